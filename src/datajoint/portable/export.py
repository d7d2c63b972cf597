"""``dj.export`` and ``dj.clone``: integrity-closed subsets copied between databases.

Any backend to any backend: the target's tables are declared from the source's definitions
(missing ones only), then every selected row is copied in its stored form (blob bytes as they
are, store records rewritten for the target's stores after their objects are copied), parents
before children, in one transaction on the target. Rows already in the target are skipped, so
running the same export again changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..connection import Connection
from ..dependencies import split_node
from ..errors import DataJointError
from ..query.arrow import stored_view
from ..table.insert import insert_stored
from ..table.table import FreeTable
from .objects import ObjectCopier
from .subset import Subset
from .target import Target, open_target, same_database


@dataclass
class TableReport:
    """What an export did to one table: ``rows`` selected in the source, ``inserted`` into the
    target (``None`` in a dry run), ``objects`` copied between stores, ``declared``."""

    rows: int
    inserted: int | None = None
    objects: int = 0
    declared: bool = False


@dataclass
class ExportReport(Mapping[str, TableReport]):
    """The outcome of :func:`export` per table (``schema.table`` of the source, in the order
    the rows were copied); a mapping, so ``report["lab.subject"].rows`` works."""

    target: Connection | None
    dry_run: bool
    tables: dict[str, TableReport] = field(default_factory=dict)

    def __getitem__(self, node: str) -> TableReport:
        return self.tables[node]

    def __iter__(self) -> Iterator[str]:
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)

    @property
    def counts(self) -> dict[str, int]:
        """Selected rows per table."""
        return {node: t.rows for node, t in self.tables.items()}

    def __str__(self) -> str:
        width = max((len(n) for n in self.tables), default=5)
        head = "would copy" if self.dry_run else "rows  inserted  objects"
        lines = [f"{'table'.ljust(width)}  {head}"]
        for node, t in self.tables.items():
            if self.dry_run:
                lines.append(f"{node.ljust(width)}  {t.rows:>10}")
            else:
                lines.append(f"{node.ljust(width)}  {t.rows:>4}  {t.inserted:>8}  {t.objects:>7}")
        return "\n".join(lines)


def _check_targets(subset: Subset, source: Connection, target: Target) -> None:
    if not same_database(source, target.connection):
        return
    for node in subset.order:
        if target.name(node) == node:
            raise DataJointError(
                f"dj.export() would copy `{node}` onto itself: the target is the source "
                "database; map the schemas to new names with schema_map=."
            )


def _copy_rows(subset: Subset, target: Target, report: ExportReport) -> None:
    """Insert every selected row into the target, parents first, inside its transaction."""
    source_config = subset.connection._config
    target_config = target.connection._config
    for node in subset.order:
        heading = FreeTable(subset.connection, node).heading
        schema = split_node(node)[0]
        to_schema = split_node(target.name(node))[0]
        copiers = [
            ObjectCopier(a, source_config, target_config, schema, to_schema)
            for a in heading.attributes.values()
            if a.store is not None
        ]
        table = target.table(node)
        before = len(table)
        for chunk in subset.chunks(node):
            rows = stored_view(chunk).to_dicts()
            for copier in copiers:
                name = copier.attr.name
                for row in rows:
                    row[name] = copier.record(row[name])
            insert_stored(table, rows)
        entry = report.tables[node]
        entry.inserted = len(table) - before
        entry.objects = sum(c.copied for c in copiers)


def _run(
    items: tuple[Any, ...],
    to: Any,
    downstream: bool,
    schema_map: Mapping[str, str] | None,
    dry_run: bool,
) -> ExportReport:
    subset = Subset(items, downstream=downstream)
    counts = subset.counts()
    if dry_run:
        tables = {node: TableReport(n) for node, n in counts.items()}
        return ExportReport(None, True, tables)
    connection = open_target(to)
    target = Target(connection, schema_map)
    _check_targets(subset, subset.connection, target)
    if connection.in_transaction:
        raise DataJointError(
            "dj.export() cannot run inside a transaction of the target: it declares tables "
            "first. Commit or cancel the transaction."
        )
    report = ExportReport(connection, False)
    for node in subset.order:  # DDL first: it cannot be part of the copy's transaction
        report.tables[node] = TableReport(
            counts[node], declared=target.declare(subset.connection, node)
        )
    with connection.transaction:
        _copy_rows(subset, target, report)
    return report


def export(
    *tables: Any,
    to: Any,
    schema_map: Mapping[str, str] | None = None,
    dry_run: bool = False,
) -> ExportReport:
    """Copy rows and every row they depend on into another database.

    Parameters
    ----------
    *tables : tables, restricted tables (``Session & "session_date > '2024-01-01'"``) or
        schemas (all their rows); master rows come with their part rows
    to : the target: a :class:`dj.Connection` (any backend) or the path of a SQLite file
    schema_map : source schema name → target schema name (default: the same names)
    dry_run : only count the rows that would be copied; the target is not touched

    Returns
    -------
    ExportReport
        Per source table (``schema.table``): rows selected, rows inserted, objects copied.
    """
    return _run(tables, to, False, schema_map, dry_run)


def clone(
    *tables: Any,
    to: Any,
    schema_map: Mapping[str, str] | None = None,
    dry_run: bool = False,
) -> ExportReport:
    """Copy rows with everything downstream of them and every row they depend on.

    Like :func:`export`, but the subset also holds every row that depends on the given rows
    (the rows a delete would cascade to, across schemas): ``dj.clone(Subject & key, to=...)``
    is the subject with all its sessions, results and their parents.
    """
    return _run(tables, to, True, schema_map, dry_run)


__all__ = ["ExportReport", "TableReport", "clone", "export"]
