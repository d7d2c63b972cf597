"""Type markers for the columns of a DataJoint 0.14 database (spec 08 §9, spec 02 §11).

DataJoint 2.0 reads an attribute's type from the ``:type:`` marker that opens its column
comment. 0.14 wrote no marker for serialized objects (MySQL blobs) or numeric types and wrote
``:attach:`` for attachments; these helpers write the 2.0 markers (``:<blob>:``,
``:<attach>:``, ``:int32:``, …). Only comments change: the column's type, nullability, default
and data stay as they are, so a marker change is one ``ALTER TABLE … MODIFY COLUMN`` per table
(applied entirely or not at all) and running it again finds nothing left to do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..backends import mysql_legacy as sql
from ..connection import Connection
from ..errors import DataJointError
from .common import Column, Target, columns, marker, target_of


def _blob_type(target_type: str) -> str:
    name = target_type.strip().strip("<>").strip()
    if not name or "@" in name:
        raise DataJointError(
            f"target_type {target_type!r} must name an in-table codec such as 'blob'; values "
            "in stores are migrated by migrate_external()."
        )
    return f"<{name}>"


def _plan(target: Target, todo: Sequence[Column]) -> list[str]:
    """One ``ALTER TABLE`` per table giving ``todo`` columns their 2.0 markers."""
    by_table: dict[str, list[Column]] = {}
    for column in todo:
        by_table.setdefault(column.table, []).append(column)
    statements = []
    for table, cols in by_table.items():
        definitions = sql.column_definitions(target.query, target.database, table)
        clauses = [
            sql.modify_clause(
                sql.with_comment(definitions[c.name], marker(str(c.core_type), c.comment))
            )
            for c in cols
        ]
        statements.append(sql.alter_sql(target.database, table, clauses))
    return statements


def _run(target: Target, statements: Sequence[str]) -> None:
    target.refuse_open_transaction()
    try:
        for statement in statements:
            target.query(statement, None)
    finally:
        target.connection.invalidate(target.database)


def analyze_columns(schema: Any, *, connection: Connection | None = None) -> dict[str, Any]:
    """The columns of a 0.14 schema and the 2.0 type each should record.

    Returns
    -------
    dict
        ``needs_migration`` (native integer, float and blob columns without a marker, and 0.14
        ``:attach:`` columns), ``already_migrated`` (columns with a 2.0 marker) and
        ``external_storage`` (references into ``~external_<store>``, see
        :func:`migrate_external`; 0.11 ``:external:`` columns have ``core_type`` None): lists
        of ``{table, column, native_type, core_type, comment}``.
    """
    target = target_of(schema, connection)
    sql.require_mysql(target.connection, "analyze_columns")
    found = columns(target)
    return {
        "needs_migration": [c.as_dict() for c in found if c.kind in ("native", "in_table")],
        "already_migrated": [c.as_dict() for c in found if c.kind == "migrated"],
        "external_storage": [c.as_dict() for c in found if c.kind in ("stored", "obsolete")],
    }


def migrate_columns(
    schema: Any, dry_run: bool = True, *, connection: Connection | None = None
) -> dict[str, Any]:
    """Record 2.0 type markers in the comments of the columns :func:`analyze_columns` finds
    (``ALTER TABLE … MODIFY COLUMN … COMMENT ':<core>:…'``); store references are skipped.

    Returns
    -------
    dict
        ``columns_analyzed``, ``columns_migrated`` (0 in a dry run), ``columns_skipped``
        (store references), ``sql_statements`` (run, or to be run), ``details`` (one entry
        per column that needs a change or is skipped, with its ``action``), ``dry_run``.
    """
    target = target_of(schema, connection)
    sql.require_mysql(target.connection, "migrate_columns")
    found = columns(target)
    todo = [c for c in found if c.kind in ("native", "in_table")]
    skipped = [c for c in found if c.kind in ("stored", "obsolete")]
    statements = _plan(target, todo)
    if not dry_run:
        _run(target, statements)
    details = [{**c.as_dict(), "action": "add marker"} for c in todo]
    details += [{**c.as_dict(), "action": "skipped: stored in ~external"} for c in skipped]
    return {
        "columns_analyzed": len(found),
        "columns_migrated": 0 if dry_run else len(todo),
        "columns_skipped": len(skipped),
        "sql_statements": statements,
        "details": details,
        "dry_run": dry_run,
    }


def _blob_columns(target: Target, blob_type: str) -> list[Column]:
    """Columns holding serialized values in the table: native blobs and ``:attach:``."""
    return [
        c
        for c in columns(target, blob_type)
        if c.info.sql_type.endswith("blob")
        and c.kind in ("native", "in_table", "migrated")
        and not c.name.startswith("_")
    ]


def analyze_blob_columns(
    schema: Any, *, connection: Connection | None = None
) -> list[dict[str, Any]]:
    """The blob columns (MySQL's tiny, medium, long or plain blobs) of a schema's user tables.

    Returns
    -------
    list of dict
        ``{table_name, column_name, column_type, current_comment, needs_migration}``;
        ``needs_migration`` is true for columns without a 2.0 codec marker.
    """
    target = target_of(schema, connection)
    sql.require_mysql(target.connection, "analyze_blob_columns")
    return [
        {
            "table_name": c.table,
            "column_name": c.name,
            "column_type": c.info.sql_type,
            "current_comment": c.info.comment,
            "needs_migration": c.kind != "migrated",
        }
        for c in _blob_columns(target, "<blob>")
    ]


def generate_migration_sql(
    schema: Any,
    target_type: str = "blob",
    dry_run: bool = True,
    *,
    connection: Connection | None = None,
) -> list[str]:
    """The ``ALTER TABLE`` statements that give unmarked blob columns the marker
    ``:<target_type>:`` (0.14 ``:attach:`` columns get ``:<attach>:``). Nothing runs.
    ``dry_run`` is accepted for compatibility: this function never changes the database."""
    target = target_of(schema, connection)
    sql.require_mysql(target.connection, "generate_migration_sql")
    todo = [c for c in _blob_columns(target, _blob_type(target_type)) if c.kind != "migrated"]
    return _plan(target, todo)


def migrate_blob_columns(
    schema: Any,
    target_type: str = "blob",
    dry_run: bool = True,
    *,
    connection: Connection | None = None,
) -> dict[str, Any]:
    """Give the blob columns without a codec marker their 2.0 marker (``:<blob>:`` by
    default, ``:<attach>:`` for 0.14 attachments).

    Returns
    -------
    dict
        ``analyzed`` (blob columns), ``needs_migration``, ``migrated`` (0 in a dry run),
        ``sql_statements``, ``dry_run``.
    """
    target = target_of(schema, connection)
    sql.require_mysql(target.connection, "migrate_blob_columns")
    blobs = _blob_columns(target, _blob_type(target_type))
    todo = [c for c in blobs if c.kind != "migrated"]
    statements = _plan(target, todo)
    if not dry_run:
        _run(target, statements)
    return {
        "analyzed": len(blobs),
        "needs_migration": len(todo),
        "migrated": 0 if dry_run else len(todo),
        "sql_statements": statements,
        "dry_run": dry_run,
    }


def check_migration_status(schema: Any, *, connection: Connection | None = None) -> dict[str, Any]:
    """How far the blob columns of a schema are migrated.

    Returns
    -------
    dict
        ``total_blob_columns``, ``migrated``, ``pending`` and ``columns`` (as
        :func:`analyze_blob_columns`).
    """
    found = analyze_blob_columns(schema, connection=connection)
    pending = sum(1 for c in found if c["needs_migration"])
    return {
        "total_blob_columns": len(found),
        "migrated": len(found) - pending,
        "pending": pending,
        "columns": found,
    }
