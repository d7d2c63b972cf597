"""The rows an export copies: an integrity-closed subset of a pipeline.

Starting from restricted tables (the *seeds*), a :class:`Subset` adds, for a clone, every row
downstream of them (the rows a delete of the seeds would cascade to, with the masters of the
parts reached), then the part rows of every selected master, and finally, walking the foreign
keys upward from children to parents, every row the selected rows reference. Each table's
selection is a query (the table restricted by an OR of semijoins), so the database evaluates
the whole subset set-based.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ..dependencies import split_node
from ..errors import DataJointError
from ..query.expression import is_expression
from ..schema import Schema
from ..table.cascade import Cascade, table_node
from ..table.table import FreeTable, Table

CHUNK = 500  # keys per restriction when rows are read by their keys


def _seeds(items: Sequence[Any]) -> list[Any]:
    """Restricted tables from the user's arguments (tables, table classes, restricted tables,
    schemas: every table of a schema)."""
    seeds: list[Any] = []
    for item in items:
        if isinstance(item, Schema):
            if item.database is None or item.connection is None:
                raise DataJointError("dj.export() needs activated schemas.")
            for name in item.list_tables():
                if not name.startswith("~"):
                    seeds.append(FreeTable(item.connection, f"{item.database}.{name}"))
            continue
        query = item() if isinstance(item, type) and issubclass(item, Table) else item
        if not is_expression(query) or not isinstance(query, Table):
            raise DataJointError(
                f"dj.export() takes tables, restricted tables and schemas, not {item!r}: "
                "restrict a table by the query instead (Table & query)."
            )
        seeds.append(query)
    if not seeds:
        raise DataJointError("dj.export() needs at least one table or schema to export.")
    connections = {id(s.connection) for s in seeds}
    if len(connections) > 1:
        raise DataJointError("dj.export() takes tables of one connection at a time.")
    return seeds


class Subset:
    """The selected rows of every table involved, in topological order.

    Parameters
    ----------
    items : tables, restricted tables or schemas whose rows are exported
    downstream : also select every row that depends on the selected rows (``dj.clone``)

    Attributes
    ----------
    connection : the source connection
    order : the nodes (``schema.table``) of the selected tables, parents first
    keys : node → the primary keys of its selected rows

    The seeds (and their cascade) stay queries; the rows their foreign keys reference are
    collected as keys, table by table from children to parents, so no query nests deeper
    than the seeds' own.
    """

    def __init__(self, items: Sequence[Any], downstream: bool = False) -> None:
        seeds = _seeds(items)
        self.connection = seeds[0].connection
        deps = self.connection.dependencies
        operands: dict[str, list[Any]] = {}
        for seed in seeds:
            if downstream:
                cascade = Cascade(seed, part_integrity="cascade")
                for node in cascade.order:
                    operands.setdefault(node, []).append(cascade.restricted[node].proj())
            else:
                operands.setdefault(table_node(seed), []).append(seed.proj())
        deps.load_upstream(sorted({split_node(n)[0] for n in operands}))
        for master in list(operands):  # a master row comes with its part rows
            for part in deps.parts(master):
                if part not in operands:
                    selected = self._table(master).restrict(operands[master])
                    operands[part] = [self._table(part).restrict(selected.proj()).proj()]
        involved: set[str] = set()
        for node in operands:
            involved |= set(deps.ancestors(node))
        order = deps.topo_sort(sorted(involved))
        referenced: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {}
        self.keys: dict[str, list[dict[str, Any]]] = {}
        for node in reversed(order):  # children first: a parent sees all its children's rows
            if node not in operands and node not in referenced:
                continue
            edges = [(p, e) for p in deps.parents(node) for e in deps.edges(p, node)]
            rows = self._rows(node, operands.get(node, []), referenced.get(node, {}), edges)
            pk = self._table(node).primary_key
            self.keys[node] = [{k: row[k] for k in pk} for row in rows]
            for parent, edge in edges:
                found = referenced.setdefault(parent, {})
                for row in rows:
                    key = {p: row[c] for c, p in edge["attr_map"].items()}
                    if None not in key.values():  # a nullable foreign key may reference nothing
                        found.setdefault(tuple(key.items()), key)
        self.order = [n for n in order if n in self.keys]

    def _table(self, node: str) -> FreeTable:
        return FreeTable(self.connection, node)

    def _rows(
        self,
        node: str,
        queries: list[Any],
        keys: dict[tuple[Any, ...], dict[str, Any]],
        edges: list[tuple[str, dict[str, Any]]],
    ) -> list[dict[str, Any]]:
        """The distinct selected rows of ``node`` with their primary key and foreign-key
        columns: those of the ``queries``, then those of the referenced ``keys``."""
        table = self._table(node)
        pk = table.primary_key
        columns = {c for _, e in edges for c in e["attr_map"] if c not in pk}
        found: dict[tuple[Any, ...], dict[str, Any]] = {}
        sources = [table.restrict(queries, semantic_check=False)] if queries else []
        wanted = list(keys.values())
        sources += [table & wanted[i : i + CHUNK] for i in range(0, len(wanted), CHUNK)]
        for source in sources:
            for row in source.proj(*sorted(columns)).to_dicts():
                found.setdefault(tuple(row[k] for k in pk), row)
        return list(found.values())

    def chunks(self, node: str) -> Iterator[Any]:
        """The selected rows of ``node`` as restricted tables of at most ``CHUNK`` keys."""
        keys = self.keys[node]
        table = self._table(node)
        for i in range(0, len(keys), CHUNK):
            yield table & keys[i : i + CHUNK]

    def counts(self) -> dict[str, int]:
        """Selected rows per table (``schema.table``), in topological order."""
        return {node: len(self.keys[node]) for node in self.order}


__all__ = ["CHUNK", "Subset"]
