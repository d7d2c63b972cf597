"""Whole-schema steps: the lineage table, a 2.0 readiness check, and every step in order
(spec 08 §9)."""

from __future__ import annotations

from typing import Any

from ..catalog import LINEAGE_TABLE
from ..connection import Connection
from ..declare.lineage import compute_lineage
from ..declare.lineage import rebuild_lineage as rebuild
from ..errors import DataJointError
from .common import target_of
from .external import LEGACY_SUBFOLDING, migrate_external, migrate_filepath, refuse_problems
from .jobs import add_job_metadata_columns
from .markers import analyze_columns, migrate_columns


def rebuild_lineage(
    schema: Any, dry_run: bool = True, *, connection: Connection | None = None
) -> dict[str, Any]:
    """Create or rebuild the schema's ``~lineage`` table from its keys and foreign keys
    (0.14 databases have none; the semantic check of joins needs it).

    Returns
    -------
    dict
        ``tables_analyzed``, ``lineage_entries`` (rows the table holds, or would hold),
        ``status`` (``dry_run``, ``rebuilt`` or ``error``) and ``error`` (the message, or
        None).
    """
    target = target_of(schema, connection)
    target.connection.invalidate(target.database)
    try:
        lineage = compute_lineage(target.connection, target.database)
        if not dry_run:
            target.refuse_open_transaction()
            rebuild(target.connection, target.database)
    except DataJointError as exc:
        return {"tables_analyzed": 0, "lineage_entries": 0, "status": "error", "error": str(exc)}
    return {
        "tables_analyzed": len(lineage),
        "lineage_entries": sum(len(v) for v in lineage.values()),
        "status": "dry_run" if dry_run else "rebuilt",
        "error": None,
    }


def verify_schema_v20(schema: Any, *, connection: Connection | None = None) -> dict[str, Any]:
    """Whether a schema is ready for DataJoint 2.0.

    Returns
    -------
    dict
        ``compatible`` (no issue), ``blob_markers`` (every blob column has a codec marker),
        ``lineage_exists`` and ``issues`` (one sentence each).
    """
    target = target_of(schema, connection)
    issues = []
    blob_markers = True
    if target.connection.backend == "mysql":
        found = analyze_columns(target.database, connection=target.connection)
        for c in found["needs_migration"]:
            blob_markers &= c["core_type"] not in ("<blob>", "<attach>")
            issues.append(
                f"`{c['table']}`.`{c['column']}` ({c['native_type']}) has no type marker: "
                f"run migrate_columns (it becomes {c['core_type']})."
            )
        for c in found["external_storage"]:
            issues.append(
                f"`{c['table']}`.`{c['column']}` refers to DataJoint 0.14 store objects: run "
                "migrate_external or migrate_filepath."
                if c["core_type"]
                else f"`{c['table']}`.`{c['column']}` holds DataJoint 0.11 external storage."
            )
    tables = target.tables()
    lineage_exists = LINEAGE_TABLE in tables
    if not lineage_exists and any(not name.startswith("~") for name in tables):
        issues.append("The schema has no ~lineage table: run rebuild_lineage.")
    return {
        "compatible": not issues,
        "blob_markers": blob_markers,
        "lineage_exists": lineage_exists,
        "issues": issues,
    }


def migrate_schema(
    schema: Any,
    dry_run: bool = True,
    finalize: bool = False,
    *,
    legacy_subfolding: Any = LEGACY_SUBFOLDING,
    legacy_database: str | None = None,
    connection: Connection | None = None,
) -> dict[str, Any]:
    """Every migration step for a DataJoint 0.14 schema, in order: type markers, store
    references (two steps, see :func:`migrate_external`), filepaths, job metadata, lineage.
    Every step is checked first: a problem with the store references stops the run before
    anything changes. ``legacy_subfolding`` and ``legacy_database`` are passed on to
    :func:`migrate_external`.

    Returns
    -------
    dict
        The result of each step under ``columns``, ``external``, ``filepath``,
        ``job_metadata`` and ``lineage``, and ``dry_run``.
    """
    target = target_of(schema, connection)
    name, conn = target.database, target.connection
    if not dry_run:  # find every problem before the first change
        checks = migrate_schema(
            name,
            True,
            finalize,
            legacy_subfolding=legacy_subfolding,
            legacy_database=legacy_database,
            connection=conn,
        )
        refuse_problems(name, checks["external"]["problems"] + checks["filepath"]["problems"])
    return {
        "columns": migrate_columns(name, dry_run, connection=conn),
        "external": migrate_external(
            name,
            dry_run,
            finalize,
            legacy_subfolding=legacy_subfolding,
            legacy_database=legacy_database,
            connection=conn,
        ),
        "filepath": migrate_filepath(name, dry_run, finalize, connection=conn),
        "job_metadata": add_job_metadata_columns(name, dry_run, connection=conn),
        "lineage": rebuild_lineage(name, dry_run, connection=conn),
        "dry_run": dry_run,
    }
