"""Restriction propagation along foreign keys (spec 04 §4.2–4.4), shared by delete and Diagram.

A :class:`Cascade` starts from a restricted table (the *seed*) and gives every table downstream of
it, across schemas, the restriction that selects exactly the rows that depend on the seed's rows.
Each child is restricted by its restricted parent projected through the foreign key's attribute
map (renamed attributes included), so the database evaluates the whole cascade set-based; no
error message is ever parsed to discover children.
"""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING, Any, cast

from .._optional import lazy_module
from ..dependencies import node_name, split_node
from ..errors import DataJointError
from ..query.conditions import And, Or, Semijoin
from ..query.nodes import JoinSource, UnionSource

if TYPE_CHECKING:
    import networkx as nx
else:  # networkx loads with the first dependency graph, not at import
    nx = lazy_module("networkx")

PART_INTEGRITY = ("enforce", "ignore", "cascade")


def check_part_integrity(value: Any, allowed: tuple[str, ...] = PART_INTEGRITY) -> str:
    """``value`` if it is one of ``allowed``, else ``ValueError`` (raised before any work)."""
    if value not in allowed:
        raise ValueError(
            f"part_integrity must be one of {', '.join(repr(a) for a in allowed)}; got {value!r}."
        )
    return cast(str, value)


def display_name(node: str) -> str:
    """``schema.table`` as shown in messages: ```schema`.`table```."""
    schema, table = split_node(node)
    return f"`{schema}`.`{table}`"


def table_node(table: Any) -> str:
    """The dependency-graph node of a table object."""
    return node_name(table.database, table.table_name)


class Cascade:
    """The tables reached from ``seed`` through foreign keys, each with its restriction.

    Parameters
    ----------
    seed : a (possibly restricted) table
    part_integrity : ``"enforce"``/``"ignore"`` propagate downward only; ``"cascade"`` also
        walks from every restricted part up to its master, whose rows then cascade down again.

    Attributes
    ----------
    order : the restricted tables' nodes in topological order (parts right after masters)
    restricted : node → the restricted table (a query expression) of the rows that go
    """

    def __init__(self, seed: Any, part_integrity: str = "enforce") -> None:
        check_part_integrity(part_integrity)
        self.seed = seed
        self.connection = seed.connection
        self.seed_node = table_node(seed)
        self.dependencies = self.connection.dependencies
        self.dependencies.load_downstream([seed.database])
        if self.seed_node not in self.dependencies.graph:
            raise DataJointError(
                f"Table {display_name(self.seed_node)} does not exist; nothing to cascade from."
            )
        if _tables_read(seed) & nx.descendants(self.dependencies.graph, self.seed_node):
            # e.g. ``(A & B).delete()`` where B depends on A: B's rows go first, so a seed
            # condition still reading B would find nothing; fix the seed's keys now
            self.seed = self.table(self.seed_node).restrict(seed.keys(), semantic_check=False)
        # literal primary-key sets added by the upward walk of part_integrity="cascade"
        self._extra: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {}
        self.order: list[str] = []
        self.restricted: dict[str, Any] = {}
        self._propagate()
        if part_integrity == "cascade":
            while self._walk_up():
                self._propagate()

    # ---------------------------------------------------------------- building
    def table(self, node: str) -> Any:
        return self.seed._sibling(node)

    def _restrict(self, node: str, operands: list[Any]) -> Any:
        literal = self._extra.get(node)
        if node == self.seed_node:
            if not operands and not literal:
                return self.seed
            # materialize the seed so no DELETE reads the table it deletes from
            operands = [self.seed.keys(), *operands]
        if literal:
            operands = [list(literal.values()), *operands]
        if not operands:
            return None
        return self.table(node).restrict(operands, semantic_check=False)

    def _propagate(self) -> None:
        deps = self.dependencies
        nodes: set[str] = set()
        for root in [self.seed_node, *self._extra]:
            nodes |= nx.descendants(deps.graph, root) | {root}
        operands: dict[str, list[Any]] = {n: [] for n in nodes}
        incoming: dict[str, list[tuple[str, dict[str, Any]]]] = {n: [] for n in nodes}
        seed_key = set(self.seed.heading.all_primary_key)
        # tables whose doomed rows are exactly those holding a doomed seed key (F1, flattened)
        keyed = {self.seed_node} if not self._extra and seed_key else set()
        self.order, self.restricted = [], {}
        for node in deps.topo_sort(list(nodes)):
            sources = incoming[node]
            if sources and all(
                p in keyed and not e["aliased"] and seed_key <= set(e["attr_map"])
                for p, e in sources
            ):
                keyed.add(node)
                restricted = self.table(node).restrict(self.seed.proj(), semantic_check=False)
            else:
                restricted = self._restrict(node, operands[node])
            if restricted is None:
                continue
            self.order.append(node)
            self.restricted[node] = restricted
            for child in deps.children(node):
                for edge in deps.edges(node, child):
                    operands[child].append(through(restricted, edge))
                    incoming[child].append((node, edge))

    def _walk_up(self) -> bool:
        """Add the master rows of every restricted part; True when a master gained rows."""
        deps = self.dependencies
        grew = False
        for node in list(self.order):
            master = deps.master(node)
            if master is None:
                continue
            try:
                path = nx.shortest_path(deps.graph, master, node)
            except nx.NetworkXNoPath:
                continue
            rows = self.restricted[node]
            for parent, child in reversed(list(pairwise(path))):
                keys = parent_keys(rows, deps.edges(parent, child))
                known = self._extra.setdefault(parent, {})
                new = {k: v for k, v in keys.items() if k not in known}
                if new:
                    known.update(new)
                    grew = grew or parent == master
                rows = self.table(parent) & list(keys.values())
        return grew

    # ---------------------------------------------------------------- results
    def counts(self) -> dict[str, int]:
        """Rows that each restricted table would lose, in topological order."""
        return {node: len(self.restricted[node]) for node in self.order}

    def parts_without_master(self, counts: dict[str, int]) -> tuple[str, str] | None:
        """A ``(part, master)`` pair where the part loses rows but its master loses none."""
        for node, n in counts.items():
            master = self.dependencies.master(node)
            if n and master is not None and not counts.get(master):
                return node, master
        return None


def _tables_read(query: Any) -> set[str]:
    """The graph nodes of every base table ``query`` reads (sources and restrictions)."""
    found: set[str] = set()
    stack = [query]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple) and len(item) == 2 and all(isinstance(x, str) for x in item):
            found.add(node_name(*item))
        elif isinstance(item, JoinSource):
            stack += [item.first, *(i.source for i in item.items)]
        elif isinstance(item, (UnionSource, And, Or)):
            stack += list(item.parts)
        elif isinstance(item, Semijoin):
            stack.append(item.expression)
        elif getattr(item, "_source", None) is not None:
            stack += [item._source, *item._where, *item._having]
    return found


def through(parent: Any, edge: dict[str, Any]) -> Any:
    """The restricted parent's keys under the child's names for one foreign key (F2/F3)."""
    if edge["aliased"]:
        return parent.proj(**{c: p for c, p in edge["attr_map"].items() if c != p})
    return parent.proj()


def parent_keys(child: Any, edges: list[dict[str, Any]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The parent keys referenced by the rows of ``child`` through ``edges`` (U2/U3)."""
    keys: dict[tuple[Any, ...], dict[str, Any]] = {}
    for edge in edges:
        attr_map = edge["attr_map"]
        for row in child.proj(*attr_map).to_dicts():
            key = {p: row[c] for c, p in attr_map.items()}
            if any(v is None for v in key.values()):
                continue  # a nullable foreign key that references nothing
            keys.setdefault(tuple(sorted(key.items())), key)
    return keys


def dependents(connection: Any, table: Any) -> list[str]:
    """``table`` and every table depending on it (across schemas), in topological order."""
    deps = connection.dependencies
    deps.load_downstream([table.database])
    node = table_node(table)
    if node not in deps.graph:
        return []
    descendants: list[str] = deps.descendants(node)
    return descendants
