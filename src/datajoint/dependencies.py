"""The foreign-key graph of the loaded schemas (networkx); no SQL of its own.

Nodes are ``"schema.table"`` names; an edge parent → child carries ``attr_map`` (child attribute →
parent attribute), ``primary`` (all FK attributes are in the child's primary key), ``aliased``
(some attribute renamed) and ``multi`` (the child's key has attributes beyond this FK).
"""

from __future__ import annotations

import re
from typing import Any

import networkx as nx

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

    def load(self, schemas: list[str] | None = None) -> nx.MultiDiGraph:
        """Add the tables and foreign keys of ``schemas`` (default: all registered ones)."""
        for schema in schemas if schemas is not None else list(self.connection.schemas):
            if schema in self._loaded:
                continue
            self._loaded.add(schema)
            for table, heading in self.connection.catalog.tables(schema).items():
                if table.startswith("~"):
                    continue
                child = node_name(schema, table)
                self.graph.add_node(child, primary_key=set(heading.primary_key))
                key = set(heading.all_primary_key)
                for fk in heading.foreign_keys:
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

    def parents(self, node: str) -> list[str]:
        return list(dict.fromkeys(self.graph.predecessors(node)))

    def children(self, node: str) -> list[str]:
        return list(dict.fromkeys(self.graph.successors(node)))

    def descendants(self, node: str) -> list[str]:
        """``node`` and all its descendants in topological order."""
        nodes = nx.descendants(self.graph, node) | {node}
        return [n for n in self.topo_sort() if n in nodes]

    def topo_sort(self, nodes: list[str] | None = None) -> list[str]:
        """Topological order in which every part follows its master directly."""
        graph = self.graph if nodes is None else self.graph.subgraph(nodes)
        order = list(nx.lexicographical_topological_sort(nx.DiGraph(graph)))
        masters: dict[str, list[str]] = {}
        rest = []
        for node in order:
            schema, table = split_node(node)
            master = master_of(table)
            if master is not None and node_name(schema, master) in graph:
                masters.setdefault(node_name(schema, master), []).append(node)
            else:
                rest.append(node)
        result = []
        for node in rest:
            result.append(node)
            result.extend(masters.get(node, []))
        return result
