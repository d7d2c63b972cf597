"""Navigation along foreign keys: a table's parents, children, ancestors, descendants, parts.

Works on dependency-graph nodes (``schema.table``); the schemas a question needs are loaded
first (upstream schemas for parents and ancestors, referencing schemas for children and
descendants), whether or not they were activated in this process.
"""

from __future__ import annotations

from typing import Any

from ..dependencies import node_name


def _node(table: Any, *, upward: bool) -> tuple[Any, str]:
    deps = table.connection.dependencies
    if upward:
        deps.load_upstream([table.database])
    else:
        deps.load_downstream([table.database])
    return deps, node_name(table.database, table.table_name)


def foreign_keys(
    table: Any, *, upward: bool, primary: bool | None
) -> list[tuple[str, dict[str, Any]]]:
    """``(node, info)`` per foreign key from ``table`` to a parent (``upward``) or from a child.

    ``info`` holds ``attr_map`` (child attribute → parent attribute), ``primary``, ``aliased``
    and ``multi`` as the dependency graph records them.
    """
    deps, node = _node(table, upward=upward)
    if node not in deps.graph:
        return []
    return [
        (other, {k: (dict(v) if isinstance(v, dict) else v) for k, v in info.items()})
        for other, info in deps.foreign_keys(node, upward=upward, primary=primary)
    ]


def lineage(table: Any, *, upward: bool) -> list[str]:
    """``table`` and its ancestors (``upward``) or descendants, in topological order."""
    deps, node = _node(table, upward=upward)
    if node not in deps.graph:
        return []
    nodes: list[str] = deps.ancestors(node) if upward else deps.descendants(node)
    return nodes


def parts(table: Any) -> list[str]:
    """The part tables of ``table`` in topological order."""
    deps, node = _node(table, upward=False)
    members = set(deps.parts(node))
    return [n for n in deps.descendants(node) if n in members] if node in deps.graph else []
