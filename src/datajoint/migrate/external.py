"""Values DataJoint 0.14 kept in stores: ``blob@store``, ``attach@store`` and
``filepath@store`` columns (spec 08 §9, spec 06 §10).

In 0.14 such a column is ``binary(16)``: a reference (an MD5-based UUID) into the hidden table
``~external_<store>``, which records each object's size, attachment name or file path. The
objects live in the store under ``{database}/{ab}/{cd}/{uuid hex}`` (attachments with
``.{file name}`` appended), files of ``filepath@`` at their own path.

2.0 keeps JSON metadata in the column instead (spec 06 §3). The migration runs in two steps
so the new values can be checked before the old ones are retired:

1. add ``<col>_v2`` (JSON, marker ``:<blob@store>:`` …) next to each column and fill it: a
   blob's metadata points at the existing object (its MD5 is the 2.0 content hash); an
   attachment is rewritten once in the 2.0 layout (2.0 stores the file name with the
   contents); a filepath points at the same file.
2. ``finalize=True``: the 2.0 column takes the name ``<col>`` (and the position and
   nullability of the old one); the old references stay in the hidden column ``_<col>_v1``
   (nullable, no marker, no foreign key into ``~external_<store>``).

Nothing is deleted: old objects, ``~external_<store>`` tables and old references stay until
the user drops them. Everything is checked before anything changes (a missing object, an
unknown reference or an unconfigured store stops the run with nothing done). Each table's DDL
is one statement and its values are filled in one transaction; a run that stops midway is
completed by the next one, and a finished migration finds nothing left to do.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..backends import mysql_legacy as sql
from ..codecs.hash import put_hashed
from ..connection import Connection
from ..errors import DataJointError
from ..storage.stores import StorageBackend, get_backend
from ..types import parse_type
from .common import Column, Target, columns, marker, target_of

LEGACY_SUBFOLDING = (2, 2)  # 0.14's default: object abcdef… is stored as ab/cd/abcdef…


def legacy_path(
    database: str, ref: bytes, suffix: str = "", subfolding: Sequence[int] = LEGACY_SUBFOLDING
) -> str:
    """Where 0.14 stored an object, relative to the store's location."""
    name = uuid.UUID(bytes=ref).hex
    folds, start = [], 0
    for width in subfolding:
        folds.append(name[start : start + width])
        start += width
    return "/".join([database, *folds, name + suffix])


def content_hash(ref: bytes) -> str:
    """The 2.0 content hash of a 0.14 reference: both are the MD5 of the stored bytes."""
    return base64.b32encode(ref).decode().rstrip("=").lower()


@dataclass
class Plan:
    """The migration of one store-reference column."""

    column: Column
    state: str  # "legacy", "filling" (the _v2 column exists) or "finalized"
    rows: int = 0  # rows still to fill
    values: dict[bytes, dict[str, Any]] = field(default_factory=dict)  # reference → metadata
    to_write: dict[bytes, tuple[str, bytes]] = field(default_factory=dict)  # path, prefix
    problems: list[str] = field(default_factory=list)

    @property
    def new_name(self) -> str:
        return self.column.name + "_v2"

    @property
    def old_name(self) -> str:
        return f"_{self.column.name}_v1"

    def report(self, finalize: bool) -> dict[str, Any]:
        action = {
            "legacy": "add and fill " + self.new_name,
            "filling": f"fill {self.rows} remaining rows of {self.new_name}",
            "finalized": "none (migrated)",
        }[self.state]
        if finalize and self.state != "finalized":
            action += f"; rename it to {self.column.name}, keep the old one as {self.old_name}"
        return {
            "table": self.column.table,
            "column": self.column.name,
            "type": self.column.core_type,
            "store": self.column.store,
            "state": self.state,
            "rows": self.rows,
            "action": action,
            "problems": list(self.problems),
        }


def _store_columns(target: Target, codecs: Sequence[str]) -> tuple[list[Plan], list[str]]:
    """A plan per store-reference column of the given codecs; the problems found meanwhile."""
    found = columns(target)
    by_name = {(c.table, c.name): c for c in found}
    plans = []
    for c in found:
        if c.kind == "stored" and c.codec in codecs:
            companion = by_name.get((c.table, c.name + "_v2"))
            if companion is not None and companion.core_type != c.core_type:
                raise DataJointError(
                    f"Column `{c.name}_v2` of `{target.database}`.`{c.table}` exists but is not "
                    f"the {c.core_type} copy of `{c.name}`: rename it, then migrate again."
                )
            plans.append(Plan(c, "filling" if companion is not None else "legacy"))
        elif c.kind == "migrated" and (c.table, f"_{c.name}_v1") in by_name:
            spec = parse_type(str(c.core_type))
            if spec.codec_name in codecs and spec.store:
                plans.append(Plan(replace(c, store=spec.store, codec=spec.codec_name), "finalized"))
    obsolete = [
        f"`{c.table}`.`{c.name}` holds DataJoint 0.11 external storage ({c.info.comment!r}); "
        "convert it to the 0.12 layout with DataJoint 0.14 first"
        for c in found
        if c.kind == "obsolete"
    ]
    return plans, obsolete


def backend_of(target: Target, store: str) -> StorageBackend:
    """The backend of a store 0.14 references name; an error that says to configure it."""
    try:
        return get_backend(store, target.connection._config)
    except DataJointError as exc:
        raise DataJointError(
            f"Store '{store}' of the DataJoint 0.14 references in `{target.database}` is not "
            f"usable: {exc} Configure dj.config.stores['{store}'] with the location the 0.14 "
            "store had."
        ) from None


def _prepare(
    target: Target,
    plan: Plan,
    layout: tuple[str, Sequence[int]],
    copy_files: bool,
    listings: dict[str, set[str]],
) -> None:
    """Fill ``plan.values`` (the metadata of every reference still to migrate), the objects
    to rewrite and ``plan.problems``; write nothing. ``listings`` caches the 0.14 objects of
    each store (one listing per store instead of one request per object); ``layout`` is the
    database name the 0.14 objects are stored under and the 0.14 subfolding."""
    c = plan.column
    assert c.store is not None  # a stored column names its store
    source = c.name
    pending = plan.new_name if plan.state == "filling" else None
    plan.rows = sql.count_rows(target.query, target.database, c.table, source, pending)
    refs = sql.pending_references(target.query, target.database, c.table, source, pending)
    if not refs:
        return
    try:
        backend = backend_of(target, c.store)
    except DataJointError as exc:
        plan.problems.append(str(exc))
        return
    if c.codec != "filepath" and c.store not in listings:
        listings[c.store] = set(backend.list_files(layout[0]))
    entries = sql.external_entries(
        target.query, target.database, sql.EXTERNAL_PREFIX + c.store, refs
    )
    for ref in refs:
        entry = entries.get(ref)
        if entry is None:
            plan.problems.append(f"{uuid.UUID(bytes=ref)} is not in ~external_{c.store}")
            continue
        if c.codec == "filepath":
            path = str(entry["filepath"])
            if not backend.exists(path):
                plan.problems.append(f"missing file {backend.get_url(path)}")
            else:
                plan.values[ref] = _filepath_metadata(backend, path, entry)
            continue
        name = entry["attachment_name"]
        suffix = "." + name if c.codec == "attach" and name else ""
        path = legacy_path(layout[0], ref, suffix, layout[1])
        if path not in listings[c.store]:
            plan.problems.append(f"missing object {backend.get_url(path)}")
        elif c.codec == "attach":
            plan.to_write[ref] = (path, str(name).encode() + b"\0")
        elif copy_files:
            plan.to_write[ref] = (path, b"")
        else:
            plan.values[ref] = {
                "hash": content_hash(ref),
                "path": path,
                "schema": target.database,
                "store": backend.name,
                "size": int(entry["size"]),
            }


def _filepath_metadata(backend: StorageBackend, path: str, entry: dict[str, Any]) -> dict[str, Any]:
    stamp = entry["timestamp"]
    is_dir = backend.isdir(path)
    return {
        "path": path,
        "store": backend.name,
        "size": None if is_dir else int(entry["size"]),
        "is_dir": is_dir,
        "timestamp": stamp.isoformat() if isinstance(stamp, datetime.datetime) else stamp,
    }


def _write_objects(target: Target, plan: Plan) -> None:
    """Write, one at a time, the objects 2.0 reads from a new place (before any row refers
    to them): each is checked against its 0.14 reference first.

    Raises
    ------
    DataJointError
        An object's contents do not match its reference (nothing in the database changed).
    """
    store = plan.column.store
    assert store is not None  # a stored column names its store
    backend = backend_of(target, store)
    for ref, (path, prefix) in plan.to_write.items():
        data = prefix + backend.get_buffer(path)
        if hashlib.md5(data).digest() != ref:
            raise DataJointError(
                f"{backend.get_url(path)} does not match its DataJoint 0.14 reference "
                f"{uuid.UUID(bytes=ref)} (`{plan.column.table}`.`{plan.column.name}`): the object "
                "changed since 0.14 wrote it. Nothing was migrated; restore the object (see "
                "dj.migrate.verify_external_integrity) and run the migration again."
            )
        plan.values[ref] = put_hashed(backend, data, target.database)
    plan.to_write.clear()


def _statements(target: Target, table: str, plans: Sequence[Plan], finalize: bool) -> list[str]:
    """The DDL of one table: adding the ``_v2`` columns, and (``finalize``) swapping them in."""
    out = []
    new = [p for p in plans if p.state == "legacy"]
    if new:
        clauses = [
            sql.add_json_clause(
                p.new_name, marker(str(p.column.core_type), p.column.comment), p.column.name
            )
            for p in new
        ]
        out.append(sql.alter_sql(target.database, table, clauses))
    if finalize:
        clauses = _finalize_clauses(target, table, [p for p in plans if p.state != "finalized"])
        if clauses:
            out.append(sql.alter_sql(target.database, table, clauses))
    return out


def _finalize_clauses(target: Target, table: str, plans: Sequence[Plan]) -> list[str]:
    if not plans:
        return []
    definitions = sql.column_definitions(target.query, target.database, table)
    clauses: list[str] = []
    for p in plans:
        c = p.column
        for name in sql.external_foreign_keys(target.query, target.database, table, c.name):
            clauses.append(sql.drop_foreign_key_clause(name))
        for name in sql.single_column_indexes(target.query, target.database, table, c.name):
            clauses.append(sql.drop_index_clause(name))
        note = (
            f"DataJoint 0.14 reference into ~external_{c.store} ({str(c.core_type)[1:-1]}) "
            f"kept by dj.migrate; drop it once `{c.name}` is verified"
        )
        old = sql.nullable(sql.with_comment(sql.renamed(definitions[c.name], p.old_name), note))
        clauses.append(sql.change_clause(c.name, old))
        new = sql.json_column(c.name, c.info.nullable, marker(str(c.core_type), c.comment))
        clauses.append(sql.change_clause(p.new_name, new))
    return clauses


def _fill(target: Target, plan: Plan) -> int:
    """Set the ``_v2`` values of every row still without one (inside the caller's
    transaction)."""
    values = [
        (ref, json.dumps(meta, separators=(",", ":"), default=str))
        for ref, meta in plan.values.items()
    ]
    statements = sql.fill_statements(
        target.database, plan.column.table, plan.column.name, plan.new_name, values
    )
    rows = 0
    for statement, args in statements:
        rows += target.query(statement, args).rowcount
    return rows


def refuse_problems(database: str, problems: Sequence[str]) -> None:
    """Stop a migration that found problems, before it changes anything."""
    if problems:
        shown = "; ".join(problems[:10]) + ("; …" if len(problems) > 10 else "")
        raise DataJointError(
            f"Nothing was migrated in `{database}`: {len(problems)} problem(s) with its "
            f"DataJoint 0.14 store references: {shown}. See dj.migrate.verify_external_integrity "
            "and check_store_configuration."
        )


def _migrate(
    target: Target,
    codecs: Sequence[str],
    dry_run: bool,
    finalize: bool,
    subfolding: Sequence[int] = LEGACY_SUBFOLDING,
    copy_files: bool = False,
    legacy_database: str | None = None,
) -> dict[str, Any]:
    plans, unsupported = _store_columns(target, codecs)
    listings: dict[str, set[str]] = {}
    for plan in plans:
        if plan.state != "finalized":
            layout = (legacy_database or target.database, subfolding)
            _prepare(target, plan, layout, copy_files, listings)
    by_table: dict[str, list[Plan]] = {}
    for plan in plans:
        by_table.setdefault(plan.column.table, []).append(plan)
    statements = {t: _statements(target, t, ps, finalize) for t, ps in by_table.items()}
    problems = [f"`{p.column.table}`.`{p.column.name}`: {x}" for p in plans for x in p.problems]
    result: dict[str, Any] = {
        "columns_found": len(plans),
        "columns_migrated": 0,
        "rows_migrated": 0,
        "details": [p.report(finalize) for p in plans],
        "sql_statements": [s for ss in statements.values() for s in ss],
        "problems": problems,
        "unsupported": unsupported,
        "dry_run": dry_run,
    }
    if dry_run:
        return result
    refuse_problems(target.database, problems)
    target.refuse_open_transaction()
    for plan in plans:  # copy-first: every new object exists before the first change
        _write_objects(target, plan)
    try:
        for table, table_plans in by_table.items():
            result["rows_migrated"] += _migrate_table(target, table, table_plans, finalize)
            result["columns_migrated"] += sum(p.state != "finalized" for p in table_plans)
    finally:
        target.connection.invalidate(target.database)
    return result


def _migrate_table(target: Target, table: str, plans: Sequence[Plan], finalize: bool) -> int:
    """Add, fill and (``finalize``) swap in the 2.0 columns of one table; rows filled."""
    active = [p for p in plans if p.state != "finalized"]
    if not active:
        return 0
    for statement in _statements(target, table, active, finalize=False):
        target.query(statement, None)
    for plan in active:
        plan.state = "filling"
    rows = 0
    with target.connection.transaction:  # the table's values: all or none
        for plan in active:
            rows += _fill(target, plan)
    if finalize:
        for plan in active:
            left = sql.count_rows(
                target.query, target.database, table, plan.column.name, plan.new_name
            )
            if left:
                raise DataJointError(
                    f"`{target.database}`.`{table}`: {left} rows of `{plan.column.name}` have no "
                    f"2.0 value in `{plan.new_name}` (rows added meanwhile?); run the migration "
                    "again."
                )
        target.query(
            sql.alter_sql(target.database, table, _finalize_clauses(target, table, active)), None
        )
    return rows


def migrate_external(
    schema: Any,
    dry_run: bool = True,
    finalize: bool = False,
    *,
    copy_files: bool = False,
    legacy_subfolding: Sequence[int] = LEGACY_SUBFOLDING,
    legacy_database: str | None = None,
    connection: Connection | None = None,
) -> dict[str, Any]:
    """Convert the ``blob@store`` and ``attach@store`` columns of a 0.14 schema to
    ``<blob@store>`` and ``<attach@store>`` (see the module documentation for the two steps).

    Parameters
    ----------
    schema : a ``dj.Schema`` or a schema name
    dry_run : report what would change, change nothing (the default)
    finalize : also swap the filled 2.0 columns in (the second step)
    copy_files : also copy blobs into the 2.0 layout (``_hash/{schema}/…``) instead of
        pointing at the 0.14 objects
    legacy_subfolding : the ``subfolding`` the 0.14 store used (0.14's default ``(2, 2)``)
    legacy_database : the schema name the 0.14 objects are stored under (default: this
        schema's; the original's when migrating a copy made by ``create_parallel_schema``)
    connection : the connection for a schema given by name (default ``dj.conn()``)

    Returns
    -------
    dict
        ``columns_found``, ``columns_migrated`` and ``rows_migrated`` (0 in a dry run),
        ``details`` (per column: state, rows to fill, planned action, problems),
        ``sql_statements`` (the DDL), ``problems``, ``unsupported`` (0.11 columns),
        ``dry_run``.

    Raises
    ------
    DataJointError
        Not MySQL; inside a transaction; any problem (missing object, reference not in
        ``~external_<store>``, store not configured) when not a dry run — nothing changes.
    """
    target = target_of(schema, connection)
    sql.require_mysql(target.connection, "migrate_external")
    return _migrate(
        target,
        ("blob", "attach"),
        dry_run,
        finalize,
        legacy_subfolding,
        copy_files,
        legacy_database,
    )


def migrate_filepath(
    schema: Any,
    dry_run: bool = True,
    finalize: bool = False,
    *,
    connection: Connection | None = None,
) -> dict[str, Any]:
    """Convert the ``filepath@store`` columns of a 0.14 schema to ``<filepath@store>``
    pointing at the same files (same steps and result as :func:`migrate_external`)."""
    target = target_of(schema, connection)
    sql.require_mysql(target.connection, "migrate_filepath")
    return _migrate(target, ("filepath",), dry_run, finalize)
