"""The foreign-key graph of the loaded schemas (networkx); no SQL of its own.

Nodes are ``"schema.table"`` names; an edge parent → child carries ``attr_map`` (child attribute →
parent attribute), ``primary`` (all FK attributes are in the child's primary key), ``aliased``
(some attribute renamed) and ``multi`` (the child's key has attributes beyond this FK).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ._optional import lazy_module
from .errors import AccessError

if TYPE_CHECKING:
    import networkx as nx
else:  # networkx loads with the first dependency graph, not at import
    nx = lazy_module("networkx")

_PART = re.compile(r"^(.+?)__[a-z][a-z0-9_]*$")


def node_name(schema: str, table: str) -> str:
    return f"{schema}.{table}"


def split_node(node: str) -> tuple[str, str]:
    schema, table = node.split(".", 1)
    return schema, table


def master_of(table: str) -> str | None:
    """The master table name of a part table name (``#rig__slot`` → ``#rig``), else None."""
    stripped = table.lstrip("_#")
    prefix = table[: len(table) - len(stripped)]
    if "__" not in stripped:
        return None
    return prefix + stripped.split("__", 1)[0]


class Dependencies:
    """The dependency graph of every schema registered with a connection."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.graph: nx.MultiDiGraph = nx.MultiDiGraph()
        self._loaded: set[str] = set()
        self.inaccessible: set[str] = set()
        self._closed: set[str] = set()  # schemas whose referencing schemas are loaded

    def load(self, schemas: list[str] | None = None) -> nx.MultiDiGraph:
        """Add the tables and foreign keys of ``schemas`` (default: all registered ones)."""
        for schema in schemas if schemas is not None else list(self.connection.schemas):
            if schema in self._loaded:
                continue
            tables = self.connection.catalog.tables(schema)
            self._loaded.add(schema)
            for table, heading in tables.items():
                if table.startswith("~"):
                    continue
                child = node_name(schema, table)
                self.graph.add_node(child, primary_key=set(heading.primary_key))
                key = set(heading.all_primary_key)
                for fk in heading.foreign_keys:
                    if fk.parent[1].startswith("~"):
                        continue  # e.g. a DataJoint 0.14 reference into ~external_<store>
                    parent = node_name(*fk.parent)
                    if parent not in self.graph:
                        self.graph.add_node(parent)
                    self.graph.add_edge(
                        parent,
                        child,
                        attr_map=fk.attr_map,
                        primary=set(fk.columns) <= key,
                        aliased=fk.renamed,
                        multi=not key <= set(fk.columns),
                    )
        return self.graph

    def _load_readable(self, schema: str) -> bool:
        """Load one schema; False (and recorded as inaccessible) when this user cannot read it.

        Its tables then stay out of the graph, and the database refuses operations that would
        need them (reported by the caller).
        """
        try:
            with self.connection.savepoint():
                self.load([schema])
        except AccessError:
            self.inaccessible.add(schema)
            return False
        return True

    def __contains__(self, name: object) -> bool:
        """Whether the table ``name`` is in the graph of the registered schemas.

        ``name`` is ``schema.table`` or a quoted full table name (``Table.full_table_name``).
        """
        if not isinstance(name, str):
            return False
        self.load()
        return name.replace("`", "").replace('"', "") in self.graph

    def load_downstream(self, schemas: list[str]) -> nx.MultiDiGraph:
        """Load ``schemas`` and, until closure, every schema with foreign keys into them.

        Schemas found this way are loaded whether or not they were activated in this process.
        """
        adapter = self.connection.adapter
        pending = list(dict.fromkeys(schemas))
        seen = self._closed
        while pending:
            schema = pending.pop()
            if schema in seen:
                continue
            seen.add(schema)
            if not self._load_readable(schema):
                continue
            for other in adapter.referencing_schemas(self.connection.query, schema):
                if other not in seen:
                    pending.append(other)
        return self.graph

    def load_upstream(self, schemas: list[str]) -> nx.MultiDiGraph:
        """Load ``schemas`` and, until closure, every schema that their tables reference."""
        pending = list(dict.fromkeys(schemas))
        while pending:
            schema = pending.pop()
            if schema in self._loaded or schema in self.inaccessible:
                continue
            if not self._load_readable(schema):
                continue
            for node in list(self.graph):
                parent_schema = split_node(node)[0]
                if parent_schema not in self._loaded and parent_schema not in self.inaccessible:
                    pending.append(parent_schema)
        return self.graph

    def edges(self, parent: str, child: str) -> list[dict[str, Any]]:
        """The data of every foreign key from ``child`` to ``parent`` (one per constraint)."""
        return list(self.graph.get_edge_data(parent, child, default={}).values())

    def master(self, node: str) -> str | None:
        """The master node of a part table node, if the master is in the graph."""
        schema, table = split_node(node)
        name = master_of(table)
        if name is None:
            return None
        master = node_name(schema, name)
        return master if master in self.graph else None

    def parts(self, master: str) -> list[str]:
        """The part tables of ``master`` that are in the graph."""
        return [n for n in self.graph if n != master and self.master(n) == master]

    def parents(self, node: str) -> list[str]:
        return list(dict.fromkeys(self.graph.predecessors(node)))

    def children(self, node: str) -> list[str]:
        return list(dict.fromkeys(self.graph.successors(node)))

    def descendants(self, node: str) -> list[str]:
        """``node`` and all its descendants in topological order."""
        nodes = nx.descendants(self.graph, node) | {node}
        return [n for n in self.topo_sort() if n in nodes]

    def ancestors(self, node: str) -> list[str]:
        """``node`` and all its ancestors in topological order."""
        nodes = nx.ancestors(self.graph, node) | {node}
        return [n for n in self.topo_sort() if n in nodes]

    def foreign_keys(
        self, node: str, *, upward: bool, primary: bool | None = None
    ) -> list[tuple[str, dict[str, Any]]]:
        """``(other node, edge data)`` per foreign key into (``upward``) or out of ``node``.

        ``primary`` True keeps the foreign keys inside the child's primary key, False the
        secondary ones, None all of them.
        """
        edges = (
            self.graph.in_edges(node, data=True)
            if upward
            else self.graph.out_edges(node, data=True)
        )
        return [
            (parent if upward else child, data)
            for parent, child, data in edges
            if primary is None or data["primary"] == primary
        ]

    def topo_sort(self, nodes: list[str] | None = None) -> list[str]:
        """Topological order in which every part follows its master directly."""
        return topo_sort(self.graph, nodes)


def topo_sort(graph_: Any, nodes: list[str] | None = None) -> list[str]:
    """The nodes of ``graph_`` (or only ``nodes``) in topological order, parts after masters.

    A part's other parents come before its master (spec 08 §4.3): masters and their parts
    are sorted as one unit. When that is impossible (a part referencing a descendant of
    its master), parts are moved after their masters in the plain topological order.
    """
    graph = nx.DiGraph(graph_ if nodes is None else graph_.subgraph(nodes))
    unit: dict[str, str] = {}
    for node in graph:
        schema, table = split_node(node)
        master = master_of(table)
        master_node = node_name(schema, master) if master is not None else None
        unit[node] = master_node if master_node is not None and master_node in graph else node
    units = nx.DiGraph()
    units.add_nodes_from(set(unit.values()))
    units.add_edges_from((unit[a], unit[b]) for a, b in graph.edges if unit[a] != unit[b])
    if nx.is_directed_acyclic_graph(units):
        order = list(nx.lexicographical_topological_sort(graph))
        members: dict[str, list[str]] = {}
        for node in order:
            members.setdefault(unit[node], []).append(node)
        return [
            node
            for head in nx.lexicographical_topological_sort(units)
            for node in [head, *(n for n in members[head] if n != head)]
        ]
    # a part references a descendant of its master: keep every foreign key in order (so
    # leaves-first deletes and drops work) and put each part as soon after its master as
    # its other parents allow
    pending = {n: graph.in_degree(n) for n in graph}
    ready = [n for n, d in pending.items() if d == 0]
    done: set[str] = set()
    result = []
    while ready:
        node = min(ready, key=lambda n: (not (unit[n] != n and unit[n] in done), n))
        ready.remove(node)
        done.add(node)
        result.append(node)
        for child in graph.successors(node):
            pending[child] -= 1
            if not pending[child]:
                ready.append(child)
    return result
