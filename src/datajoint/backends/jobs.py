"""SQL of the per-table jobs tables and of populate (spec 05 §6, §7): the dialect side.

Statements use the *format* paramstyle of :meth:`Connection.query`. Values in ``sets`` and
``where`` may be :class:`ServerTime` markers, rendered as the server's clock (plus an offset in
seconds), so that every time comparison of the jobs machinery uses one clock: the database's.
Sub-selects (``select_sql`` with its ``params``) come from the query compiler.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .base import Backend

# the server clock, millisecond precision, in the form the datetime(3) column default produces
_NOW = {
    "mysql": "CURRENT_TIMESTAMP(3)",
    "postgresql": "LOCALTIMESTAMP(3)",
    "sqlite": "strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now')",
}
_NOW_PLUS = {
    "mysql": "(CURRENT_TIMESTAMP(3) + INTERVAL %s MICROSECOND)",
    "postgresql": "(LOCALTIMESTAMP(3) + make_interval(secs => %s))",
    "sqlite": "strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now', %s)",
}


# driver error codes of conflicts between concurrent workers, worth retrying: MySQL deadlock and
# lock wait timeout; PostgreSQL deadlock, serialization failure and lock not available; SQLite
# busy and locked (primary result codes)
_TRANSIENT: dict[str, set[Any]] = {
    "mysql": {1213, 1205},
    "postgresql": {"40P01", "40001", "55P03"},
    "sqlite": {5, 6},
}


def is_transient(adapter: Backend, exc: BaseException) -> bool:
    """True when ``exc`` (a translated error or its driver cause) is a concurrency conflict
    that a retry of the same autocommitted statement may resolve."""
    cause = exc.__cause__ if exc.__cause__ is not None else exc
    if adapter.name == "mysql":
        code: Any = cause.args[0] if cause.args else None
    elif adapter.name == "postgresql":
        code = getattr(cause, "sqlstate", None)
    else:
        code = getattr(cause, "sqlite_errorcode", None)
        code = None if code is None else code & 0xFF
    return code in _TRANSIENT.get(adapter.name, set())


def unlocked_reads_sql(adapter: Backend) -> str | None:
    """A statement making the next autocommitted statement read its sub-selects without
    shared locks (MySQL ``READ COMMITTED``), or None where reads never lock (PostgreSQL, SQLite).

    Under MySQL's default ``REPEATABLE READ``, ``INSERT … SELECT`` and ``UPDATE``/``DELETE``
    with sub-selects take shared next-key locks on every row they read, which deadlocks with
    workers inserting results inside their ``make`` transactions.
    """
    return "SET TRANSACTION ISOLATION LEVEL READ COMMITTED" if adapter.name == "mysql" else None


@dataclass(frozen=True)
class ServerTime:
    """The database server's current time plus ``offset`` seconds (may be negative)."""

    offset: float = 0.0


def time_sql(adapter: Backend, value: ServerTime) -> tuple[str, list[Any]]:
    """SQL (and bound values) of a server-clock expression."""
    if not value.offset:
        return _NOW[adapter.name], []
    if adapter.name == "mysql":
        param: Any = round(value.offset * 1_000_000)
    elif adapter.name == "sqlite":
        param = f"{value.offset:+.3f} seconds"
    else:
        param = float(value.offset)
    return _NOW_PLUS[adapter.name], [param]


def server_now_sql(adapter: Backend) -> str:
    """``SELECT`` of the server's current time (format paramstyle, no arguments)."""
    return "SELECT " + _NOW[adapter.name]


def _value(adapter: Backend, value: Any) -> tuple[str, list[Any]]:
    if isinstance(value, ServerTime):
        return time_sql(adapter, value)
    if value is None:
        return "NULL", []
    return "%s", [value]


def _where(
    adapter: Backend,
    ref: str,
    where: Sequence[tuple[str, str, Any]],
    exists: tuple[str, Sequence[Any], Sequence[str], bool] | None,
) -> tuple[str, list[Any]]:
    """``WHERE`` of ``(column, operator, value)`` triples and an optional ``[NOT] EXISTS``.

    ``exists`` is ``(select_sql, params, key_columns, negate)``: rows of the table whose key
    columns match a row of the sub-select (or match none when ``negate``).
    """
    parts: list[str] = []
    params: list[Any] = []
    for column, op, value in where:
        if op == "in":
            marks = ",".join("%s" for _ in value)
            parts.append(f"{adapter.quote(column)} IN ({marks})")
            params.extend(value)
            continue
        sql, args = _value(adapter, value)
        parts.append(f"{adapter.quote(column)} {op} {sql}")
        params.extend(args)
    if exists is not None:
        select_sql, select_params, keys, negate = exists
        match = " AND ".join(f"_djs.{adapter.quote(k)} = {ref}.{adapter.quote(k)}" for k in keys)
        parts.append(
            f"{'NOT ' if negate else ''}EXISTS (SELECT 1 FROM ({select_sql}) AS _djs "
            f"WHERE {match or '1=1'})"
        )
        params.extend(select_params)
    return (" WHERE " + " AND ".join(parts)) if parts else "", params


def update_sql(
    adapter: Backend,
    schema: str,
    table: str,
    sets: Sequence[tuple[str, Any]],
    where: Sequence[tuple[str, str, Any]],
    exists: tuple[str, Sequence[Any], Sequence[str], bool] | None = None,
) -> tuple[str, list[Any]]:
    """``UPDATE table SET … WHERE …``; values may be :class:`ServerTime` or None (NULL)."""
    ref = adapter.table_ref(schema, table)
    assignments, params = [], []
    for column, value in sets:
        sql, args = _value(adapter, value)
        assignments.append(f"{adapter.quote(column)} = {sql}")
        params.extend(args)
    where_sql, where_params = _where(adapter, ref, where, exists)
    return f"UPDATE {ref} SET {', '.join(assignments)}{where_sql}", params + where_params


def locked_exists_sql(
    adapter: Backend, schema: str, table: str, where: Sequence[tuple[str, str, Any]]
) -> tuple[str, list[Any]]:
    """``SELECT 1 … WHERE …`` reading the latest committed row and locking it (inside a
    transaction; SQLite's write transaction already excludes other writers)."""
    ref = adapter.table_ref(schema, table)
    where_sql, params = _where(adapter, ref, where, None)
    lock = "" if adapter.name == "sqlite" else " FOR UPDATE"
    return f"SELECT 1 FROM {ref}{where_sql}{lock}", params


def claim_select_sql(
    adapter: Backend,
    schema: str,
    table: str,
    key_columns: Sequence[str],
    where: Sequence[tuple[str, str, Any]],
    exists: tuple[str, Sequence[Any], Sequence[str], bool] | None = None,
) -> tuple[str, list[Any]]:
    """The key of the next due job (``priority``, ``scheduled_time``, key order), locked and
    skipping rows other workers hold locked (spec 05 §12.2). SQLite needs no lock clause: it
    runs inside a ``BEGIN IMMEDIATE`` transaction, which excludes other writers."""
    ref = adapter.table_ref(schema, table)
    where_sql, params = _where(adapter, ref, where, exists)
    keys = [adapter.quote(k) for k in key_columns]
    order = ", ".join([adapter.quote("priority"), adapter.quote("scheduled_time"), *keys])
    lock = "" if adapter.name == "sqlite" else " FOR UPDATE SKIP LOCKED"
    return f"SELECT {', '.join(keys)} FROM {ref}{where_sql} ORDER BY {order} LIMIT 1{lock}", params


def delete_sql(
    adapter: Backend,
    schema: str,
    table: str,
    where: Sequence[tuple[str, str, Any]],
    exists: tuple[str, Sequence[Any], Sequence[str], bool] | None = None,
) -> tuple[str, list[Any]]:
    """``DELETE FROM table WHERE …`` (same conditions as :func:`update_sql`)."""
    ref = adapter.table_ref(schema, table)
    where_sql, params = _where(adapter, ref, where, exists)
    return f"DELETE FROM {ref}{where_sql}", params


def _insert_skip(
    adapter: Backend,
    schema: str,
    table: str,
    columns: Sequence[str],
    select: str,
    primary_key: Sequence[str],
) -> str:
    """``INSERT … SELECT`` that skips rows whose key exists."""
    if adapter.name != "mysql":
        return adapter.insert_select_sql(
            schema, table, columns, select, on_duplicate="skip", primary_key=primary_key
        )
    # a qualified no-op assignment: a bare `k=k` is ambiguous after a SELECT with column k
    ref = adapter.table_ref(schema, table)
    cols = ",".join(adapter.quote(c) for c in columns)
    key = adapter.quote(primary_key[0])
    return f"INSERT INTO {ref} ({cols}) {select} ON DUPLICATE KEY UPDATE {key}={ref}.{key}"


def insert_row_sql(
    adapter: Backend,
    schema: str,
    table: str,
    values: Sequence[tuple[str, Any]],
    primary_key: Sequence[str],
) -> tuple[str, list[Any]]:
    """One-row INSERT that leaves an existing row with the same key untouched."""
    cells, params = [], []
    for _, value in values:
        sql, args = _value(adapter, value)
        cells.append(sql)
        params.extend(args)
    select = "SELECT " + ", ".join(cells)
    if adapter.name == "mysql":
        select += " FROM DUAL"
    return _insert_skip(adapter, schema, table, [c for c, _ in values], select, primary_key), params


def add_jobs_sql(
    adapter: Backend,
    schema: str,
    table: str,
    key_columns: Sequence[str],
    select_sql: str,
    select_params: Sequence[Any],
    constants: Sequence[tuple[str, Any]],
) -> tuple[str, list[Any]]:
    """``INSERT INTO jobs (keys, constants) SELECT keys, constants FROM (select)`` that skips
    keys already present (one set-based statement, spec 05 §7.4 step 2)."""
    cells, params = [], []
    for _, value in constants:
        sql, args = _value(adapter, value)
        cells.append(sql)
        params.extend(args)
    keys = [f"_djs.{adapter.quote(k)}" for k in key_columns]
    select = f"SELECT {', '.join(keys + cells)} FROM ({select_sql}) AS _djs"
    columns = [*key_columns, *(c for c, _ in constants)]
    return _insert_skip(adapter, schema, table, columns, select, key_columns), params + list(
        select_params
    )


def progress_sql(
    adapter: Backend,
    source_sql: str,
    source_params: Sequence[Any],
    target_sql: str,
    target_params: Sequence[Any],
    key_columns: Sequence[str],
) -> tuple[str, list[Any]]:
    """One aggregate query: ``(total, remaining)`` of the key source against the target."""
    match = " AND ".join(f"_djt.{adapter.quote(k)} = _djs.{adapter.quote(k)}" for k in key_columns)
    sql = (
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM "
        f"({target_sql}) AS _djt WHERE {match or '1=1'}) THEN 0 ELSE 1 END), 0) "
        f"FROM ({source_sql}) AS _djs"
    )
    return sql, [*target_params, *source_params]


def status_counts_sql(adapter: Backend, schema: str, table: str) -> str:
    """``SELECT status, COUNT(*) … GROUP BY status`` of a jobs table."""
    return (
        f"SELECT {adapter.quote('status')}, COUNT(*) FROM {adapter.table_ref(schema, table)} "
        f"GROUP BY {adapter.quote('status')}"
    )
