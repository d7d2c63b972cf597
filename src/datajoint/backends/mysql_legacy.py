"""The SQL of the DataJoint 0.14 migration helpers (spec 08 §9); MySQL/MariaDB only, the one
backend DataJoint 0.14 ran on.

Column definitions are taken verbatim from ``SHOW CREATE TABLE`` and only their ``COMMENT``
clause is replaced, so a marker change keeps everything else of the column (type, character
set, nullability, default, ``AUTO_INCREMENT``). Each table's DDL is one ``ALTER TABLE``
statement: MySQL commits DDL implicitly, but a single statement applies entirely or not at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..errors import DataJointError

EXTERNAL_PREFIX = "~external_"

# a single-quoted MySQL string literal, or a run of text outside quotes
_TOKEN = re.compile(r"'(?:[^'\\]|\\.|'')*'|[^']+")
_COMMENT_KEYWORD = re.compile(r"\s+COMMENT\s+$", re.IGNORECASE)
_NATIVE_INT = re.compile(r"^(tinyint|smallint|mediumint|int|integer|bigint)(\(\d+\))?( unsigned)?$")
_INT_BITS = {"tinyint": 8, "smallint": 16, "mediumint": 24, "int": 32, "integer": 32, "bigint": 64}
_NATIVE_FLOAT = {"float": "float32", "double": "float64", "double precision": "float64"}
_NATIVE_BLOB = re.compile(r"^(tiny|medium|long|)blob$")


def native_core_type(sql_type: str, blob_type: str = "<blob>") -> str | None:
    """The 2.0 core type of a native MySQL type the migration marks (spec 08 §9): integers,
    ``float``/``double`` and blobs; ``None`` for any other type."""
    text = sql_type.lower().strip()
    m = _NATIVE_INT.match(text)
    if m:
        return ("uint" if m.group(3) else "int") + str(_INT_BITS[m.group(1)])
    if text in _NATIVE_FLOAT:
        return _NATIVE_FLOAT[text]
    if _NATIVE_BLOB.match(text):
        return blob_type
    return None


def quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def table_ref(schema: str, table: str) -> str:
    return f"{quote(schema)}.{quote(table)}"


def literal(text: str) -> str:
    """A string literal (backslashes doubled: MySQL reads them as escapes)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


# ---------------------------------------------------------------- reading
def column_definitions(query: Any, schema: str, table: str) -> dict[str, str]:
    """Column name → its full definition as ``SHOW CREATE TABLE`` prints it (no trailing
    comma), in column order."""
    row = query(f"SHOW CREATE TABLE {table_ref(schema, table)}", None).fetchone()
    text = row[1] if isinstance(row, tuple | list) else list(row.values())[1]
    out: dict[str, str] = {}
    for line in text.splitlines()[1:]:
        stripped = line.strip()
        if not stripped.startswith("`"):
            continue  # keys, constraints and the closing line
        name = stripped[1:].split("`", 1)[0].replace("``", "`")
        out[name] = stripped.removesuffix(",")
    return out


def with_comment(definition: str, comment: str) -> str:
    """``definition`` with its ``COMMENT '…'`` clause replaced by (or given) ``comment``."""
    tokens = _TOKEN.findall(definition)
    for i in range(len(tokens) - 1, 0, -1):
        if tokens[i].startswith("'") and _COMMENT_KEYWORD.search(tokens[i - 1]):
            head = _COMMENT_KEYWORD.sub("", tokens[i - 1])
            rest = "".join(tokens[i + 1 :])
            prefix = "".join(tokens[: i - 1]) + head
            return f"{prefix} COMMENT {literal(comment)}{rest}"
    return f"{definition} COMMENT {literal(comment)}"


def renamed(definition: str, name: str) -> str:
    """``definition`` of a column under a new name."""
    old = definition[1:].split("`", 1)[0]
    return quote(name) + definition[len(old) + 2 :]


def nullable(definition: str) -> str:
    """``definition`` without ``NOT NULL`` (a nullable column's default is NULL unless the
    definition gives another)."""
    tokens = _TOKEN.findall(definition)
    return "".join(t if t.startswith("'") else re.sub(r"\s+NOT NULL\b", "", t) for t in tokens)


def external_tables(query: Any, schema: str) -> list[str]:
    """Names of the schema's ``~external_<store>`` tables."""
    rows = query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
        "AND table_name LIKE %s ORDER BY table_name",
        (schema, EXTERNAL_PREFIX.replace("_", "\\_") + "%"),
    ).fetchall()
    return [r[0] for r in rows]


def external_foreign_keys(query: Any, schema: str, table: str, column: str) -> list[str]:
    """Names of the foreign keys of ``column`` into a ``~external_*`` table."""
    rows = query(
        "SELECT constraint_name FROM information_schema.key_column_usage WHERE "
        "table_schema = %s AND table_name = %s AND column_name = %s AND "
        "referenced_table_name LIKE %s",
        (schema, table, column, EXTERNAL_PREFIX.replace("_", "\\_") + "%"),
    ).fetchall()
    return sorted({r[0] for r in rows})


def single_column_indexes(query: Any, schema: str, table: str, column: str) -> list[str]:
    """Non-unique indexes on exactly ``column`` (InnoDB's index for a foreign key)."""
    rows = query(
        "SELECT index_name, COUNT(*), MAX(column_name = %s), MIN(non_unique) FROM "
        "information_schema.statistics WHERE table_schema = %s AND table_name = %s "
        "GROUP BY index_name",
        (column, schema, table),
    ).fetchall()
    return sorted(r[0] for r in rows if int(r[1]) == 1 and int(r[2]) == 1 and int(r[3]) == 1)


def external_entries(
    query: Any, schema: str, store_table: str, hashes: Sequence[bytes] | None = None
) -> dict[bytes, dict[str, Any]]:
    """Rows of a ``~external_<store>`` table by hash (all, or those of ``hashes``)."""
    sql = (
        "SELECT `hash`, `size`, `attachment_name`, `filepath`, `contents_hash`, `timestamp` FROM "
        f"{table_ref(schema, store_table)}"
    )
    out: dict[bytes, dict[str, Any]] = {}
    chunks: list[Sequence[bytes] | None] = [None]
    if hashes is not None:
        chunks = [hashes[i : i + 1000] for i in range(0, len(hashes), 1000)]
    for chunk in chunks:
        args: Sequence[Any] | None = None
        where = ""
        if chunk is not None:
            if not chunk:
                continue
            where = " WHERE `hash` IN (" + ",".join(["%s"] * len(chunk)) + ")"
            args = list(chunk)
        for h, size, name, path, contents, stamp in query(sql + where, args).fetchall():
            out[bytes(h)] = {
                "size": size,
                "attachment_name": name,
                "filepath": path,
                "contents_hash": None if contents is None else bytes(contents),
                "timestamp": stamp,
            }
    return out


def pending_references(
    query: Any, schema: str, table: str, source: str, target: str | None
) -> list[bytes]:
    """Distinct non-NULL references of ``source`` (only of rows whose ``target`` is NULL)."""
    where = f"{quote(source)} IS NOT NULL"
    if target is not None:
        where += f" AND {quote(target)} IS NULL"
    rows = query(
        f"SELECT DISTINCT {quote(source)} FROM {table_ref(schema, table)} WHERE {where}", None
    ).fetchall()
    return [bytes(r[0]) for r in rows]


def count_rows(query: Any, schema: str, table: str, source: str, target: str | None) -> int:
    """Rows with a non-NULL ``source`` (whose ``target`` is NULL, when given)."""
    where = f"{quote(source)} IS NOT NULL"
    if target is not None:
        where += f" AND {quote(target)} IS NULL"
    row = query(f"SELECT COUNT(*) FROM {table_ref(schema, table)} WHERE {where}", None).fetchone()
    return int(row[0])


# ---------------------------------------------------------------- writing
def alter_sql(schema: str, table: str, clauses: Sequence[str]) -> str:
    """One ``ALTER TABLE`` applying all ``clauses``."""
    return f"ALTER TABLE {table_ref(schema, table)} " + ", ".join(clauses)


def modify_clause(definition: str) -> str:
    return f"MODIFY COLUMN {definition}"


def add_json_clause(name: str, comment: str, after: str) -> str:
    """A nullable JSON column (filled next, tightened at finalization) placed after ``after``."""
    column = f"{quote(name)} json DEFAULT NULL COMMENT {literal(comment)}"
    return f"ADD COLUMN {column} AFTER {quote(after)}"


def change_clause(old: str, definition: str) -> str:
    """Rename and redefine a column in place."""
    return f"CHANGE COLUMN {quote(old)} {definition}"


def drop_foreign_key_clause(name: str) -> str:
    return f"DROP FOREIGN KEY {quote(name)}"


def drop_index_clause(name: str) -> str:
    return f"DROP INDEX {quote(name)}"


def add_column_clause(definition: str) -> str:
    return f"ADD COLUMN {definition}"


def fill_statements(
    schema: str, table: str, source: str, target: str, values: Sequence[tuple[bytes, str]]
) -> list[tuple[str, list[Any]]]:
    """``UPDATE`` statements setting ``target`` from ``source`` by value (rows whose
    ``target`` is still NULL), at most 500 distinct values per statement."""
    out = []
    for i in range(0, len(values), 500):
        chunk = values[i : i + 500]
        cases = " ".join(["WHEN %s THEN %s"] * len(chunk))
        args: list[Any] = [x for pair in chunk for x in pair]
        keys = ",".join(["%s"] * len(chunk))
        args += [ref for ref, _ in chunk]
        out.append(
            (
                f"UPDATE {table_ref(schema, table)} SET {quote(target)} = CASE {quote(source)} "
                f"{cases} END WHERE {quote(source)} IN ({keys}) AND {quote(target)} IS NULL",
                args,
            )
        )
    return out


def require_mysql(connection: Any, what: str) -> None:
    """Refuse other backends: DataJoint 0.14 made databases only on MySQL/MariaDB."""
    if connection.backend != "mysql":
        raise DataJointError(
            f"{what} is for databases made by DataJoint 0.14, which ran only on MySQL/MariaDB; "
            f"this connection is {connection.backend}, where such databases cannot exist. "
            "Nothing was changed."
        )


def json_column(name: str, is_nullable: bool, comment: str) -> str:
    """The definition of a JSON column (MariaDB: ``longtext`` checked with ``json_valid``)."""
    null = "DEFAULT NULL" if is_nullable else "NOT NULL"
    return f"{quote(name)} json {null} COMMENT {literal(comment)}"


# ---------------------------------------------------------------- copies of a schema
def copy_table_sql(query: Any, source: str, table: str, dest: str) -> str:
    """``CREATE TABLE`` of ``dest``.``table`` as ``source``.``table`` is: columns, keys,
    comments and foreign keys (a key into the same schema names the copy's own table, as
    MySQL resolves an unqualified reference in the new table's database)."""
    row = query(f"SHOW CREATE TABLE {table_ref(source, table)}", None).fetchone()
    text = str(row[1])
    head, rest = text.split("(", 1)
    if not head.strip().upper().startswith("CREATE TABLE"):
        raise DataJointError(f"`{source}`.`{table}` is not a base table; it cannot be copied.")
    return f"CREATE TABLE {table_ref(dest, table)} ({rest}"


def copy_rows_sql(
    source: str, dest: str, table: str, where: str | None = None, limit: int | None = None
) -> str:
    """``INSERT … SELECT`` of the rows of ``source``.``table`` (``where``: a MySQL condition)."""
    sql = f"INSERT INTO {table_ref(dest, table)} SELECT * FROM {table_ref(source, table)}"
    if where:
        sql += f" WHERE {where}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return sql


def count_sql(schema: str, table: str) -> str:
    return f"SELECT COUNT(*) FROM {table_ref(schema, table)}"
