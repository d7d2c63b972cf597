"""Restrictions carried through a diagram's foreign keys (the 2.2+ data operations).

:func:`trace` walks upward: every ancestor keeps the rows that the seed's rows reference.
:func:`restrict` walks downward with AND semantics: a descendant keeps the rows that reference
kept rows of every restricted parent. (Downward OR semantics, what a delete removes, is
:class:`~datajoint.table.cascade.Cascade`.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._optional import lazy_module
from ..dependencies import node_name, topo_sort
from ..query.universal import U
from ..table.cascade import parent_keys, through

if TYPE_CHECKING:
    import networkx as nx
else:  # networkx loads with the first diagram, not at import
    nx = lazy_module("networkx")


def _edges(graph: Any, parent: str, child: str) -> list[dict[str, Any]]:
    return list(graph.get_edge_data(parent, child, default={}).values())


def _referenced(child: Any, edge: dict[str, Any]) -> Any:
    """The parent keys that the rows of ``child`` reference through one foreign key."""
    attr_map: dict[str, str] = edge["attr_map"]
    if not edge["aliased"]:
        return U(*attr_map) & child
    renames = {p: c for c, p in attr_map.items() if c != p}
    kept = [c for c, p in attr_map.items() if c == p]
    taken = set(child.heading.names) - set(renames.values())
    if set(renames) & taken:
        # a parent attribute's name belongs to another attribute of the child
        return list(parent_keys(child, [edge]).values())
    return U(*attr_map.values()) & child.proj(*kept, **renames)


def trace(graph: nx.MultiDiGraph, expression: Any) -> dict[str, Any]:
    """``{node: restricted table}`` for the seed ``expression`` and every ancestor it reaches."""
    seed = node_name(expression.database, expression.table_name)
    order = topo_sort(graph, list(nx.ancestors(graph, seed) | {seed}))
    restricted: dict[str, Any] = {seed: expression}
    operands: dict[str, list[Any]] = {}
    for node in reversed(order):
        if node != seed:
            if node not in operands:
                continue
            restricted[node] = expression._sibling(node).restrict(
                operands[node], semantic_check=False
            )
        for parent in dict.fromkeys(graph.predecessors(node)):
            for edge in _edges(graph, parent, node):
                operands.setdefault(parent, []).append(_referenced(restricted[node], edge))
    return restricted


def restrict(
    graph: nx.MultiDiGraph,
    shown: set[str],
    seeds: list[tuple[str, Any]],
    free: Callable[[str], Any],
) -> dict[str, Any]:
    """``{node: restricted table}`` for the seeds and the shown tables downstream of them."""
    operands: dict[str, list[Any]] = {}
    for node, expression in seeds:
        operands.setdefault(node, []).append(expression.proj())
    visible = graph.subgraph(shown)
    reach: set[str] = set()
    for node in operands:
        reach |= nx.descendants(visible, node) | {node}
    restricted: dict[str, Any] = {}
    for node in topo_sort(graph, list(reach)):
        conditions = list(operands.get(node, []))
        for parent in dict.fromkeys(visible.predecessors(node)):
            if parent in restricted:
                conditions += [through(restricted[parent], e) for e in _edges(graph, parent, node)]
        if not conditions:
            continue
        table = free(node)
        for condition in conditions:
            table = table.restrict(condition, semantic_check=False)
        restricted[node] = table
    return restricted
