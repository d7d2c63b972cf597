"""Hidden job-metadata columns for existing Computed and Imported tables (spec 05 §9,
spec 08 §9).

Tables declared while ``jobs.add_job_metadata`` was off, and every auto-populated table of a
DataJoint 0.14 database, lack ``_job_start_time``, ``_job_duration`` and ``_job_version``;
``populate`` records them only where they exist. Old rows are never filled. Works on every
backend (2.x databases on PostgreSQL and SQLite may lack the columns too).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..backends.base import AlterChange
from ..connection import Connection
from ..declare.resolve import job_metadata_attributes
from ..errors import DataJointError
from ..table.tiers import tier_of
from .common import Target, target_of


def _tables(target: Any, connection: Connection | None) -> tuple[Target, list[str] | None]:
    """The schema of ``target`` and the one table it names (``None``: every table)."""
    if isinstance(target, type) or hasattr(target, "table_name"):
        name = getattr(target, "table_name", None)
        database = getattr(target, "database", None)
        conn = connection or getattr(target, "connection", None)
        if not isinstance(name, str) or not isinstance(database, str) or conn is None:
            raise DataJointError(
                f"add_job_metadata_columns needs a schema, a schema name or a table bound to "
                f"a schema; got {target!r}."
            )
        return Target(conn, database), [name]
    return target_of(target, connection), None


def add_job_metadata_columns(
    target: Any, dry_run: bool = True, *, connection: Connection | None = None
) -> dict[str, Any]:
    """Add the hidden job-metadata columns to the Computed and Imported tables (not Part
    tables) of a schema, or to one such table, where they are missing.

    Parameters
    ----------
    target : a ``dj.Schema``, a schema name, or a Computed/Imported table (class or instance)
    dry_run : report only (the default)

    Returns
    -------
    dict
        ``tables_analyzed`` (Computed/Imported tables looked at), ``tables_modified`` (0 in a
        dry run), ``columns_added`` (0 in a dry run), ``details`` (per table needing columns:
        ``table``, ``columns``, ``sql``), ``sql_statements``, ``dry_run``.

    Raises
    ------
    DataJointError
        A table that is not Computed/Imported was named; inside a transaction (not a dry run).
    """
    schema, only = _tables(target, connection)
    tables = schema.user_tables()
    if only is not None:
        if only[0] not in tables:
            raise DataJointError(f"Table `{schema.database}`.`{only[0]}` does not exist.")
        if tier_of(only[0]) not in ("Computed", "Imported"):
            raise DataJointError(
                f"`{schema.database}`.`{only[0]}` is not a Computed or Imported table: only "
                "auto-populated tables have job metadata."
            )
    names = [n for n in only or tables if tier_of(n) in ("Computed", "Imported")]
    adapter = schema.connection.adapter
    details = []
    for name in names:
        present = {c.name for c in tables[name].columns}
        missing = [a for a in job_metadata_attributes() if a.name not in present]
        if not missing:
            continue
        changes = [
            AlterChange("add", new=replace(a, sql_type=adapter.column_type(a, schema.database)))
            for a in missing
        ]
        statements = adapter.alter_table_sql(schema.database, name, changes)
        details.append({"table": name, "columns": [a.name for a in missing], "sql": statements})
    if not dry_run and details:
        schema.refuse_open_transaction()
        try:
            for entry in details:
                # PostgreSQL and SQLite apply a table's statements together; MySQL's one
                # ALTER TABLE applies entirely or not at all
                with schema.connection.transaction:
                    for statement in entry["sql"]:
                        schema.query(statement, None)
        finally:
            schema.connection.invalidate(schema.database)
    return {
        "tables_analyzed": len(names),
        "tables_modified": 0 if dry_run else len(details),
        "columns_added": 0 if dry_run else sum(len(d["columns"]) for d in details),
        "details": details,
        "sql_statements": [s for d in details for s in d["sql"]],
        "dry_run": dry_run,
    }
