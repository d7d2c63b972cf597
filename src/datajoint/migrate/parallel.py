"""Copies of a schema for trying the migration on the side, and backups (spec 08 §9).

The parallel-schema way to migrate: copy the 0.14 schema (``create_parallel_schema``, e.g. to
``lab_v20``), migrate the copy, compare query results with the original, and migrate the
original once satisfied; ``backup_schema``/``restore_schema`` keep a full copy to return to.
Copies are made on the same MySQL server: each table is created as the original is (columns,
keys, comments, foreign keys), hidden tables included, and filled with ``INSERT … SELECT`` in
dependency order, all rows in one transaction. Objects in stores are not copied: a copy's
0.14 references still name objects stored under the original schema's name (migrate the copy
with ``legacy_database=<original>``).
"""

from __future__ import annotations

import graphlib
import math
import os
import pathlib
import time
from typing import Any

import numpy as np

from ..backends import mysql_legacy as sql
from ..blob import unpack
from ..connection import Connection
from ..errors import DataJointError
from ..table.table import FreeTable
from .common import Target, classify, target_of


def _order(target: Target) -> list[str]:
    """Every table of the schema (hidden ones included), parents before children."""
    infos = target.tables()
    graph = {
        name: {
            fk.parent[1]
            for fk in info.foreign_keys
            if fk.parent[0] == target.database and fk.parent[1] != name
        }
        for name, info in infos.items()
    }
    return list(graphlib.TopologicalSorter(graph).static_order())


def _copy(source: Target, dest: str, copy_data: bool, what: str) -> tuple[list[str], int]:
    """Copy every table of ``source`` into the schema ``dest`` (created if absent; it must
    have no tables). On failure the tables created so far are dropped again."""
    sql.require_mysql(source.connection, what)
    source.refuse_open_transaction()
    if dest == source.database:
        raise DataJointError(f"Cannot copy schema `{dest}` onto itself.")
    connection = source.connection
    adapter = connection.adapter
    if adapter.schema_exists(connection.query, dest):
        present = adapter.load_catalog(connection.query, dest)
        if present:
            raise DataJointError(
                f"Schema `{dest}` already has tables ({', '.join(sorted(present))}): choose "
                "another name or drop them first."
            )
    else:
        adapter.create_schema(connection.query, dest)
    tables = _order(source)
    created: list[str] = []
    rows = 0
    try:
        for table in tables:
            connection.query(sql.copy_table_sql(connection.query, source.database, table, dest))
            created.append(table)
        if copy_data:
            with connection.transaction:
                for table in tables:
                    rows += connection.query(
                        sql.copy_rows_sql(source.database, dest, table)
                    ).rowcount
    except BaseException:
        for table in reversed(created):
            for statement in adapter.drop_table_sql(dest, table):
                connection.query(statement)
        raise
    finally:
        connection.invalidate(dest)
    return tables, rows


def create_parallel_schema(
    source: Any, dest: str, copy_data: bool = False, connection: Connection | None = None
) -> dict[str, Any]:
    """Copy the tables of ``source`` (a ``dj.Schema`` or a name) into the new schema ``dest``
    to try the migration there; with ``copy_data`` their rows too.

    Returns
    -------
    dict
        ``tables_created`` (count), ``data_copied`` (bool), ``rows_copied``, ``tables``
        (names, parents first).
    """
    tables, rows = _copy(target_of(source, connection), dest, copy_data, "create_parallel_schema")
    return {
        "tables_created": len(tables),
        "data_copied": copy_data,
        "rows_copied": rows,
        "tables": tables,
    }


def copy_table_data(
    source_schema: Any,
    dest_schema: Any,
    table: Any,
    limit: int | None = None,
    where_clause: str | None = None,
    connection: Connection | None = None,
) -> dict[str, Any]:
    """Copy rows of ``table`` (its SQL name, or a table class) from one schema into the same
    table of another with ``INSERT … SELECT``; ``where_clause`` is a MySQL condition.

    Returns
    -------
    dict
        ``rows_copied`` and ``time_taken`` (seconds).
    """
    source = target_of(source_schema, connection)
    sql.require_mysql(source.connection, "copy_table_data")
    dest = target_of(dest_schema, connection or source.connection)
    name = getattr(table, "table_name", table)
    for where in (source, dest):
        if name not in where.tables():
            raise DataJointError(f"Table `{where.database}`.`{name}` does not exist.")
    start = time.monotonic()
    with source.connection.transaction:
        statement = sql.copy_rows_sql(source.database, dest.database, name, where_clause, limit)
        rows = source.connection.query(statement).rowcount
    return {"rows_copied": rows, "time_taken": time.monotonic() - start}


def backup_schema(
    schema: Any, backup_name: str, connection: Connection | None = None
) -> dict[str, Any]:
    """A full copy (tables and rows) of ``schema`` in the new schema ``backup_name``.

    Returns
    -------
    dict
        ``tables_backed_up``, ``rows_backed_up``, ``backup_location`` (the schema name).
    """
    tables, rows = _copy(target_of(schema, connection), backup_name, True, "backup_schema")
    return {"tables_backed_up": len(tables), "rows_backed_up": rows, "backup_location": backup_name}


def restore_schema(backup: Any, dest: str, connection: Connection | None = None) -> dict[str, Any]:
    """Copy a backup made by :func:`backup_schema` into ``dest`` (absent, or without tables:
    drop the failed schema's tables first).

    Returns
    -------
    dict
        ``tables_restored``, ``rows_restored``.
    """
    tables, rows = _copy(target_of(backup, connection), dest, True, "restore_schema")
    return {"tables_restored": len(tables), "rows_restored": rows}


def compare_query_results(
    prod_schema: Any,
    test_schema: Any,
    table: Any,
    tolerance: float = 1e-6,
    connection: Connection | None = None,
) -> dict[str, Any]:
    """Compare the rows of ``table`` in two schemas (e.g. a 0.14 schema and its migrated
    copy), row by row in primary-key order, over the attributes both have.

    Numbers match within ``tolerance`` (relative and absolute), arrays element-wise; a
    serialized blob that one side still holds as raw bytes is unpacked before comparing, and
    an attachment's raw bytes are compared with the file the other side downloaded.
    Attributes that are 0.14 store references on either side are not compared (listed in
    ``skipped``).

    Returns
    -------
    dict
        ``match``, ``row_count`` (rows of ``prod_schema``), ``discrepancies`` (up to 100
        sentences) and ``skipped``.
    """
    prod = target_of(prod_schema, connection)
    test = target_of(test_schema, connection or prod.connection)
    name = getattr(table, "table_name", table)
    for where in (prod, test):
        if name not in where.tables():
            raise DataJointError(f"Table `{where.database}`.`{name}` does not exist.")
    tables = [FreeTable(t.connection, f"{t.database}.{name}") for t in (prod, test)]
    skipped = sorted(
        c.info.name
        for where in (prod, test)
        for c in (classify(name, i) for i in where.tables()[name].columns)
        if c.kind in ("stored", "obsolete")
    )
    common = [
        a for a in tables[0].heading.names if a in tables[1].heading.names and a not in skipped
    ]
    key = tables[0].primary_key
    rows = [t.proj(*[a for a in common if a not in key]).to_dicts(order_by=key) for t in tables]
    discrepancies: list[str] = []
    if len(rows[0]) != len(rows[1]):
        discrepancies.append(f"row counts differ: {len(rows[0])} and {len(rows[1])}")
    for a, b in zip(*rows, strict=False):
        row_key = {k: a[k] for k in key}
        if row_key != {k: b[k] for k in key}:
            discrepancies.append(
                f"rows differ in primary key: {row_key} and { {k: b[k] for k in key} }"
            )
            break
        for attribute in common:
            if not _same(a[attribute], b[attribute], tolerance):
                discrepancies.append(f"{row_key}: `{attribute}` differs")
        if len(discrepancies) >= 100:
            break
    return {
        "match": not discrepancies,
        "row_count": len(rows[0]),
        "discrepancies": discrepancies[:100],
        "skipped": sorted(set(skipped)),
    }


def _same(a: Any, b: Any, tolerance: float) -> bool:
    if isinstance(b, bytes) and not isinstance(a, bytes):
        a, b = b, a
    if isinstance(a, bytes) and not isinstance(b, bytes | type(None)):
        # one side still holds the raw bytes of a blob or an attachment
        if isinstance(b, str) and b"\0" in a[:256] and os.path.isfile(b):
            name, _, contents = a.partition(b"\0")
            path = pathlib.Path(b)
            return path.name.startswith(pathlib.Path(name.decode()).stem) and (
                path.read_bytes() == contents
            )
        try:
            a = unpack(a)
        except DataJointError:
            return False
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            return False
        if a.dtype.kind in "fc" or b.dtype.kind in "fc":
            return bool(np.allclose(a, b, rtol=tolerance, atol=tolerance, equal_nan=True))
        if a.dtype.kind == "O" or b.dtype.kind == "O":
            return all(_same(x, y, tolerance) for x, y in zip(a.ravel(), b.ravel(), strict=True))
        return bool(np.array_equal(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k], tolerance) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y, tolerance) for x, y in zip(a, b, strict=True))
    if isinstance(a, float | np.floating) or isinstance(b, float | np.floating):
        try:
            return math.isclose(float(a), float(b), rel_tol=tolerance, abs_tol=tolerance)
        except (TypeError, ValueError):
            return False
    return bool(a == b)
