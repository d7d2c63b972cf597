"""``self.upstream`` inside ``make`` (spec 05 §5.6): the ancestors of the table, each restricted
to the rows that feed the key being made.

The restriction walks the foreign-key graph upward from the key (the key source restricted by
it, since the target has no row for the key yet): a parent is
restricted by the foreign-key values of its restricted children (any of them, through any of
its foreign keys), renamed to the parent's attribute names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._optional import lazy_module
from ..dependencies import node_name
from ..errors import DataJointError
from ..query.expression import QueryExpression
from ..query.universal import U
from ..table.table import FreeTable

if TYPE_CHECKING:
    import networkx as nx
else:  # networkx loads with the first dependency graph, not at import
    nx = lazy_module("networkx")


class Upstream:
    """The trace of one key: ``upstream[Ancestor]`` is ``Ancestor`` restricted to what feeds it.

    Parameters
    ----------
    table : the auto-populated table whose ``make`` runs
    key : the key being made
    """

    def __init__(self, table: Any, key: Mapping[str, Any]) -> None:
        self._table = table
        self._key = dict(key)
        connection = table.connection
        self._deps = connection.dependencies
        self._deps.load()
        self._node = node_name(table.database, table.table_name)
        self._ancestors: set[str] = set(nx.ancestors(self._deps.graph, self._node))
        self._memo: dict[str, QueryExpression] = {}

    @property
    def nodes(self) -> list[str]:
        """Full names (``schema.table``) of the ancestors in the trace."""
        return sorted(self._ancestors)

    def _resolve(self, item: Any) -> str:
        if isinstance(item, str):
            name = item.replace("`", "").replace('"', "")
            if "." not in name:
                name = node_name(self._table.database, name)
        else:
            obj = item() if isinstance(item, type) else item
            name = node_name(obj.database, obj.table_name)
        if name not in self._ancestors:
            raise DataJointError(
                f"`{name}` is not in this trace: it is not upstream of "
                f"{type(self._table).__name__}. Index the trace with one of its ancestors."
            )
        return name

    def __getitem__(self, item: Any) -> QueryExpression:
        return self._restricted(self._resolve(item))

    def __contains__(self, item: Any) -> bool:
        try:
            self._resolve(item)
        except DataJointError:
            return False
        return True

    def _restricted(self, node: str) -> QueryExpression:
        if node == self._node:  # no rows yet: the key itself, as the key source gives it
            source: QueryExpression = self._table.checked_key_source() & self._key
            return source
        if node in self._memo:
            return self._memo[node]
        feeds = []
        for child in self._deps.children(node):
            if child != self._node and child not in self._ancestors:
                continue
            below = self._restricted(child)
            for edge in self._deps.edges(node, child):
                attr_map = edge["attr_map"]  # child attribute -> parent attribute
                if not set(attr_map) <= set(below.heading.names):
                    continue  # a secondary reference of the target: made by make, not an input
                renames = {p: c for c, p in attr_map.items() if c != p}
                keys = below.proj(**renames) if renames else below
                feeds.append(U(*attr_map.values()) & keys)
        table = FreeTable(self._table.connection, node)
        restricted = table & (feeds[0] if len(feeds) == 1 else feeds)
        self._memo[node] = restricted
        return restricted
