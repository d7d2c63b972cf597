"""SQLite backend (standard library): the embedded default.

One database file holds every schema of a pipeline, so foreign keys can cross schemas: the
table ``session`` of schema ``lab`` is the SQLite table ``"lab.session"``. What MySQL and
PostgreSQL keep in comments lives in hidden catalog tables (``~schemas``, ``~tables``,
``~columns``).
"""

from __future__ import annotations

import datetime
import decimal
import os
import pathlib
import re
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .. import errors
from .. import types as T
from .._optional import lazy_module
from ..heading import Attribute, ForeignKey, Index
from . import alter_sql, sqlite_functions, sqlite_text
from . import sqlite_catalog as catalog
from .base import AlterChange, Backend, ConnectionInfo, TableInfo

if TYPE_CHECKING:
    from sqlglot import exp
else:  # sqlglot loads with the first query, not at import
    exp = lazy_module("sqlglot.expressions")

_CATALOG_DDL = (
    'CREATE TABLE IF NOT EXISTS "~schemas" (schema_name TEXT PRIMARY KEY)',
    'CREATE TABLE IF NOT EXISTS "~tables" (schema_name TEXT NOT NULL, table_name TEXT NOT NULL,'
    " comment TEXT NOT NULL DEFAULT '', PRIMARY KEY (schema_name, table_name))",
    'CREATE TABLE IF NOT EXISTS "~columns" (schema_name TEXT NOT NULL, table_name TEXT NOT NULL,'
    " column_name TEXT NOT NULL, comment TEXT NOT NULL DEFAULT '',"
    " native_type TEXT NOT NULL DEFAULT '', PRIMARY KEY (schema_name, table_name, column_name))",
)


# extended result codes (sqlite3.IntegrityError.sqlite_errorcode, Python >= 3.11)
_CONSTRAINT_PRIMARYKEY = 1555
_CONSTRAINT_UNIQUE = 2067
_CONSTRAINT_FOREIGNKEY = 787
_CONSTRAINT_NOTNULL = 1299
_CONSTRAINT_TRIGGER = 1811
_CONSTRAINT_CHECK = 275
_SQLITE_ERROR = 1  # generic error: unknown function, bad statement, object already exists
_MISMATCH = 20
_INTERRUPT = 9
_TRUE_FALSE = re.compile(r'"(?:true|false)"', re.IGNORECASE)
_BUSY, _LOCKED = 5, 6  # primary codes; the extended codes keep them in the low byte

# SQLite stores integers as signed 64-bit values and decimals as 64-bit floats
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
MAX_DECIMAL_PRECISION = 15

_INT_RANGE = {
    (8, False): (-128, 127),
    (16, False): (-32768, 32767),
    (24, False): (-8388608, 8388607),
    (32, False): (-2147483648, 2147483647),
    (8, True): (0, 255),
    (16, True): (0, 65535),
    (24, True): (0, 16777215),
    (32, True): (0, 4294967295),
    (64, True): (0, None),
}


class SQLiteBackend(Backend):
    """The embedded SQLite backend."""

    name = "sqlite"
    having_aliases = True
    sqlglot_dialect = "sqlite"
    max_name_length = 64
    quote_char = '"'
    read_only = False

    def __init__(self) -> None:
        self._qmark: dict[str, str] = {}  # statements in the format paramstyle → qmark

    # ---------------------------------------------------------------- connection
    def connect(self, info: ConnectionInfo) -> sqlite3.Connection:
        """Open the database file; a file this process cannot write opens read-only (no WAL
        switch, no catalog tables created). Writers wait up to ``info.busy_timeout`` seconds
        for the database lock."""
        path = info.path or "datajoint.db"
        timeout = float(info.busy_timeout)
        options: dict[str, Any] = {"isolation_level": None, "check_same_thread": False}
        self.read_only = _read_only(path)
        conn: sqlite3.Connection
        if self.read_only:
            uri = pathlib.Path(path).absolute().as_uri() + "?mode=ro"
            conn = sqlite3.connect(uri, uri=True, timeout=timeout, **options)
        else:
            conn = sqlite3.connect(path, timeout=timeout, **options)
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        if not self.read_only and path != ":memory:":
            conn.execute("PRAGMA journal_mode = WAL")
        sqlite_functions.register(conn)
        if not self.read_only:
            for ddl in _CATALOG_DDL:
                conn.execute(ddl)
        return conn

    def closes_before_fork(self, info: ConnectionInfo) -> bool:
        # SQLite forbids carrying a connection across fork(); an in-memory database is
        # private to its process and would be lost by closing it
        return info.path != ":memory:"

    def execute(self, driver_conn: Any, sql: str, args: Sequence[Any] | None) -> Any:
        cursor = driver_conn.cursor()
        if args is None:
            cursor.execute(sql)
        elif args and type(args[0]) is tuple:  # rows of a one-row statement (insert_sql)
            # all rows or none, as with one multi-row INSERT
            cursor.execute("SAVEPOINT dj_rows")
            try:
                cursor.executemany(self._qmark_of(sql), args)
            except BaseException:
                cursor.execute("ROLLBACK TO dj_rows")
                cursor.execute("RELEASE dj_rows")
                raise
            cursor.execute("RELEASE dj_rows")
        else:
            cursor.execute(self._qmark_of(sql), tuple(args))
        return cursor

    def _qmark_of(self, sql: str) -> str:
        """``sql`` in the qmark paramstyle: ``%%`` is a literal ``%``, ``%s`` a placeholder."""
        qmark = self._qmark.get(sql)
        if qmark is None:
            qmark = "%".join(part.replace("%s", "?") for part in sql.split("%%"))
            if len(self._qmark) >= 1000:
                self._qmark.clear()
            self._qmark[sql] = qmark
        return qmark

    def loads_in_one_statement(
        self, attributes: Sequence[Attribute], rows: int, on_duplicate: str | None, defaults: bool
    ) -> bool:
        return rows > 1 and not defaults  # one executemany binds each row on its own

    def insert_sql(
        self,
        schema: str,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        attributes: Sequence[Attribute],
        *,
        on_duplicate: str | None = None,
        primary_key: Sequence[str] = (),
        defaults: bool = True,
    ) -> tuple[str, list[Any]]:
        """Rows without default cells: a one-row INSERT run for each row (executemany), which
        SQLite prepares once."""
        one = rows[:1] if not defaults and len(rows) > 1 else rows
        sql, params = super().insert_sql(
            schema, table, columns, one, attributes,
            on_duplicate=on_duplicate, primary_key=primary_key, defaults=defaults,
        )  # fmt: skip
        if one is rows:
            return sql, params
        return sql, list(rows) if type(rows[0]) is tuple else [tuple(r) for r in rows]

    def recover_statement(self, driver_conn: Any, exc: BaseException, guarded: bool) -> bool:
        # SQLite rolls the whole transaction back after some errors (full disk, I/O errors,
        # an interrupted statement); the failed statement alone is undone otherwise
        return bool(driver_conn.in_transaction)

    def transaction_open(self, driver_conn: Any) -> bool:
        return bool(driver_conn.in_transaction)

    @property
    def driver_errors(self) -> tuple[type[BaseException], ...]:
        return (sqlite3.Error,)

    def translate_error(self, exc: BaseException, sql: str = "") -> BaseException | None:
        if not isinstance(exc, sqlite3.Error):
            return None
        code = getattr(exc, "sqlite_errorcode", None)
        message = str(exc)
        if isinstance(exc, sqlite3.IntegrityError):
            if code in (_CONSTRAINT_PRIMARYKEY, _CONSTRAINT_UNIQUE):
                return errors.DuplicateError(message)
            # ON DELETE/UPDATE RESTRICT reports SQLITE_CONSTRAINT_TRIGGER
            if code in (_CONSTRAINT_FOREIGNKEY, _CONSTRAINT_TRIGGER):
                return errors.IntegrityError(message)
            if code == _CONSTRAINT_NOTNULL:
                return errors.MissingAttributeError(message)
            if code in (_CONSTRAINT_CHECK, _MISMATCH):
                return errors.ValueConversionError(message)
            return errors.QueryError(message)
        if code is not None and code & 0xFF in (_BUSY, _LOCKED):
            return errors.LockWaitError(
                "The SQLite database is locked by another connection's write and the busy "
                "timeout ran out; nothing of the statement was applied. Retry, keep "
                "transactions short, or raise dj.config['database.busy_timeout'].",
                message,
                sql[:300],
            )
        if code == _INTERRUPT:
            return errors.QueryCanceledError(
                "The statement was interrupted before it finished; nothing of it was applied.",
                message,
                sql[:300],
            )
        if isinstance(exc, sqlite3.ProgrammingError) and "closed" in message:
            return errors.LostConnectionError("Server connection lost", message)
        if isinstance(exc, sqlite3.OperationalError):
            # SQLite reports these with the generic SQLITE_ERROR code; its message prefix is
            # the only discriminator the library offers.
            if message.startswith("no such table"):
                return errors.MissingTableError(message, sql)
            if message.startswith("no such column"):
                return errors.UnknownAttributeError(message)
            if "syntax error" in message:
                return errors.QuerySyntaxError(message, sql)
            if message.startswith("attempt to write a readonly"):
                return errors.AccessError(
                    "The SQLite database is read-only (this process cannot write its file or "
                    "folder); nothing was written. Work on a writable copy to change it.",
                    message,
                    sql[:300],
                )
            if message.startswith("access permission"):
                return errors.AccessError("Insufficient privileges.", message, sql)
        return errors.QueryError(message, sql)  # any other statement the library refused

    def connection_id(self, driver_conn: Any) -> int:
        return 0

    def begin_sql(self) -> str:
        return "BEGIN IMMEDIATE"

    def check_statement(self, tree: Any, sql: str) -> None:
        if _TRUE_FALSE.search(sql) is not None:
            sqlite_text.check_derived_names(tree)

    def current_user_sql(self) -> str:
        return "SELECT 'sqlite'"

    # ---------------------------------------------------------------- identifiers
    def table_ref(self, schema: str, table: str) -> str:
        return self.quote(f"{schema}.{table}")

    def table_identifier(self, schema: str, table: str) -> tuple[str, str | None]:
        return f"{schema}.{table}", None

    # ---------------------------------------------------------------- schemas
    def create_schema(self, query: Any, schema: str) -> None:
        query('INSERT OR IGNORE INTO "~schemas" (schema_name) VALUES (%s)', (schema,))

    def drop_schema(self, query: Any, schema: str) -> None:
        tables = self._schema_tables(query, schema)
        # children first, so that no foreign key is left pointing at a dropped parent
        children: dict[str, set[str]] = {t: set() for t in tables}
        for t in tables:
            for (parent,) in query(
                'SELECT DISTINCT "table" FROM pragma_foreign_key_list(%s)', (t,)
            ).fetchall():
                if parent in children and parent != t:
                    children[parent].add(t)
        dropped: set[str] = set()

        def drop(t: str) -> None:
            if t in dropped:
                return
            dropped.add(t)
            for c in children[t]:
                drop(c)
            query(f"DROP TABLE IF EXISTS {self.quote(t)}")

        for t in tables:
            drop(t)
        for meta in ("~columns", "~tables", "~schemas"):
            query(f'DELETE FROM "{meta}" WHERE schema_name = %s', (schema,))

    def _schema_tables(self, query: Any, schema: str) -> list[str]:
        prefix = schema + "."
        rows = query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, %s) = %s",
            (len(prefix), prefix),
        ).fetchall()
        return [r[0] for r in rows]

    def schema_size(self, query: Any, schema: str) -> int:
        prefix = schema + "."
        sql = (
            "SELECT COALESCE(SUM(d.pgsize), 0) FROM dbstat d JOIN sqlite_master m "
            "ON m.name = d.name WHERE substr(m.tbl_name, 1, %s) = %s"
        )
        return int(query(sql, (len(prefix), prefix)).fetchone()[0])

    def list_schemas(self, query: Any) -> list[str]:
        return [r[0] for r in query('SELECT schema_name FROM "~schemas" ORDER BY 1').fetchall()]

    def schema_exists(self, query: Any, schema: str) -> bool:
        sql = 'SELECT 1 FROM "~schemas" WHERE schema_name = %s'
        return bool(query(sql, (schema,)).fetchall())

    # ---------------------------------------------------------------- DDL
    def json_index_part(self, attribute: str, path: str, type_name: str | None) -> str:
        path_text = self.quote_string(self.json_path_text(path))
        extract = f"json_extract({self.quote(attribute)}, {path_text})"
        sql_type = self._json_type(type_name)
        return f"(CAST({extract} AS {sql_type}))" if sql_type else f"({extract})"

    def column_type(self, attr: Attribute, schema: str) -> str:
        kind = attr.type.kind
        if kind in (T.INT, T.BOOL, T.YEAR):
            # INT, not INTEGER: a one-column INTEGER primary key would alias the rowid, which
            # ignores the column default and invents values for omitted keys
            return "INT"
        if kind == T.FLOAT:
            return "REAL"
        if kind == T.DECIMAL:
            if (attr.type.precision or 0) > MAX_DECIMAL_PRECISION:
                raise errors.DeclarationError(
                    f"Attribute `{attr.name}` ({attr.type.declared}): SQLite keeps decimals as "
                    f"64-bit floats, exact to {MAX_DECIMAL_PRECISION} digits, so a precision "
                    f"above {MAX_DECIMAL_PRECISION} is not supported on SQLite. Use "
                    f"decimal(p,s) with p <= {MAX_DECIMAL_PRECISION}, or MySQL/PostgreSQL."
                )
            return "NUMERIC"
        if kind in (T.UUID, T.BYTES):
            return "BLOB"
        return "TEXT"

    def _checks(self, attr: Attribute) -> list[str]:
        col = self.quote(attr.name)
        spec = attr.type
        out = []
        if spec.kind == T.INT and spec.bits is not None:
            lo, hi = _INT_RANGE.get((spec.bits, spec.unsigned), (None, None))
            if lo is not None and hi is not None:
                out.append(f"{col} BETWEEN {lo} AND {hi}")
            elif lo is not None:
                out.append(f"{col} >= {lo}")
        elif spec.kind == T.BOOL:
            out.append(f"{col} IN (0, 1)")
        elif spec.kind == T.UUID:
            out.append(f"length({col}) = 16")
        elif spec.kind == T.JSON:
            # json_valid(NULL) is 0 before SQLite 3.45: a nullable column needs the IS NULL
            out.append(f"{col} IS NULL OR json_valid({col})")
        elif spec.kind in (T.CHAR, T.VARCHAR) and spec.length is not None:
            out.append(f"length({col}) <= {spec.length}")
        elif spec.kind == T.DECIMAL and spec.precision is not None:
            bound = 10 ** (spec.precision - (spec.scale or 0))
            out.append(f"{col} > -{bound} AND {col} < {bound}")
        elif spec.kind == T.ENUM:
            members = ", ".join(self.quote_string(v) for v in spec.values)
            out.append(f"{col} IN ({members})")
        return [f"CHECK ({c})" for c in out]

    def default_literal(self, attr: Attribute) -> str:
        server_time = T.CURRENT_TIMESTAMP_DEFAULT.fullmatch((attr.default or "").strip())
        if server_time is not None:
            if int(server_time.group(1) or 0) > 0:
                return "(strftime('%Y-%m-%d %H:%M:%f', 'now'))"
            return "CURRENT_TIMESTAMP"
        return super().default_literal(attr)

    def create_table_sql(
        self,
        schema: str,
        table: str,
        attributes: Sequence[Attribute],
        primary_key: Sequence[str],
        foreign_keys: Sequence[ForeignKey],
        indexes: Sequence[Index],
        comment: str,
    ) -> list[str]:
        auto = [a for a in attributes if a.autoincrement]
        inline_pk = False
        if auto:
            if len(auto) > 1 or list(primary_key) != [auto[0].name]:
                raise errors.DeclarationError(
                    f"Table `{schema}`.`{table}`: on SQLite an auto_increment attribute must be "
                    "the whole primary key."
                )
            inline_pk = True
        lines = []
        for a in attributes:
            if a.autoincrement:
                lines.append(f"{self.quote(a.name)} INTEGER PRIMARY KEY AUTOINCREMENT")
                continue
            parts = [self.quote(a.name), a.sql_type, self.default_sql(a), *self._checks(a)]
            lines.append(" ".join(parts))
        if not inline_pk:
            lines.append("PRIMARY KEY (" + ", ".join(self.quote(k) for k in primary_key) + ")")
        for fk in foreign_keys:
            cols = ", ".join(self.quote(c) for c in fk.columns)
            refs = ", ".join(self.quote(c) for c in fk.ref_columns)
            lines.append(
                f"FOREIGN KEY ({cols}) REFERENCES {self.table_ref(*fk.parent)} ({refs})"
                " ON UPDATE CASCADE ON DELETE RESTRICT"
            )
        ref = self.table_ref(schema, table)
        statements = [f"CREATE TABLE IF NOT EXISTS {ref} (\n  " + ",\n  ".join(lines) + "\n)"]
        for i, index in enumerate(indexes):
            name = self.quote(f"{schema}.{table}.idx{i}")
            unique = "UNIQUE " if index.unique else ""
            columns = ", ".join(p if p.startswith("(") else self.quote(p) for p in index.parts)
            statements.append(f"CREATE {unique}INDEX IF NOT EXISTS {name} ON {ref} ({columns})")
        q = self.quote_string
        statements.append(
            f'INSERT OR REPLACE INTO "~tables" (schema_name, table_name, comment) VALUES '
            f"({q(schema)}, {q(table)}, {q(comment)})"
        )
        rows = [
            f"({q(schema)}, {q(table)}, {q(a.name)}, {q(a.comment)}, "
            f"{q('' if a.type.core else a.type.declared)})"
            for a in attributes
        ]
        statements.append(
            'INSERT OR REPLACE INTO "~columns" '
            "(schema_name, table_name, column_name, comment, native_type) VALUES " + ", ".join(rows)
        )
        return statements

    def drop_table_sql(self, schema: str, table: str) -> list[str]:
        q = self.quote_string
        return [
            f"DROP TABLE IF EXISTS {self.table_ref(schema, table)}",
            f'DELETE FROM "~columns" WHERE schema_name = {q(schema)} AND table_name = {q(table)}',
            f'DELETE FROM "~tables" WHERE schema_name = {q(schema)} AND table_name = {q(table)}',
        ]

    # ---------------------------------------------------------------- catalog
    def load_catalog(
        self, query: Any, schema: str, table: str | None = None
    ) -> dict[str, TableInfo]:
        return catalog.load_catalog(query, schema, table)

    def alter_table_sql(
        self,
        schema: str,
        table: str,
        changes: Sequence[AlterChange],
        comment: str | None = None,
    ) -> list[str]:
        """ADD, DROP and RENAME COLUMN plus catalog comments (see :mod:`.alter_sql`)."""
        return alter_sql.sqlite(self, schema, table, changes, comment)

    def referencing_schemas(self, query: Any, schema: str) -> list[str]:
        prefix = schema + "."
        rows = query(
            "SELECT DISTINCT m.name FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f "
            "WHERE m.type = 'table' AND substr(f.\"table\", 1, %s) = %s",
            (len(prefix), prefix),
        ).fetchall()
        found = {r[0].split(".", 1)[0] for r in rows if "." in r[0]}
        return sorted(found - {schema})

    def insert_select_sql(
        self,
        schema: str,
        table: str,
        columns: Sequence[str],
        select_sql: str,
        *,
        on_duplicate: str | None = None,
        primary_key: Sequence[str] = (),
        defaults: Sequence[Attribute] = (),
    ) -> str:
        # an upsert after a SELECT needs a WHERE clause to parse unambiguously
        wrapped = f"SELECT * FROM ({select_sql}) WHERE true"
        return super().insert_select_sql(
            schema,
            table,
            columns,
            wrapped,
            on_duplicate=on_duplicate,
            primary_key=primary_key,
            defaults=defaults,
        )

    # ---------------------------------------------------------------- DML
    def default_cell(self, attr: Attribute) -> str:
        if attr.nullable or attr.default is None:
            return "NULL"
        return self.default_literal(attr)

    # ---------------------------------------------------------------- values
    driver_passthrough = frozenset({T.FLOAT, T.VARCHAR, T.TEXT, T.ENUM, T.BYTES, T.JSON, T.YEAR})
    # INT and REAL affinity columns give int and float; text and blobs come back as stored
    decoded_kinds = frozenset({T.INT, T.FLOAT, T.CHAR, T.VARCHAR, T.TEXT, T.ENUM, T.BYTES, T.YEAR})

    def to_driver_column(self, attr: Attribute, values: list[Any]) -> list[Any]:
        if (
            attr.type.kind == T.INT
            and set(map(type, values)) <= {int}
            and (not values or (min(values) >= _INT64_MIN and max(values) <= _INT64_MAX))
        ):
            return values
        return super().to_driver_column(attr, values)

    def to_driver_plain_column(self, attr: Attribute, values: list[Any]) -> list[Any]:
        if attr.type.kind == T.INT and (
            not values or (min(values) >= _INT64_MIN and max(values) <= _INT64_MAX)
        ):
            return values  # Python ints already: only SQLite's 64-bit range to check
        return self.to_driver_column(attr, values)

    def to_driver(self, attr: Attribute, value: Any) -> Any:
        kind = attr.type.kind
        if kind == T.BOOL:
            return int(value)
        if kind == T.INT and isinstance(value, int) and not _INT64_MIN <= value <= _INT64_MAX:
            raise errors.ValueConversionError(
                f"Attribute `{attr.name}` ({attr.type.declared}) cannot take {value}: SQLite "
                "stores integers as signed 64-bit values, so values above "
                f"{_INT64_MAX} (the upper half of uint64) are not supported on SQLite."
            )
        if kind == T.UUID:
            return value.bytes
        if kind == T.DECIMAL:
            if attr.type.scale is not None:
                value = value.quantize(
                    decimal.Decimal(1).scaleb(-attr.type.scale), rounding=decimal.ROUND_HALF_UP
                )
            return str(value)
        if kind == T.DATETIME:
            return sqlite_text.format_datetime(value, attr.type.precision)
        if kind == T.DATE:
            return value.isoformat()
        if kind == T.TIME and isinstance(value, datetime.timedelta):
            return sqlite_text.format_timedelta(value)
        if kind == T.TIME and isinstance(value, datetime.time):
            return value.replace(microsecond=0).isoformat()
        if kind == T.CHAR and isinstance(value, str):
            return value.rstrip(" ")  # CHAR semantics of the servers: no trailing pad blanks
        return value

    def from_driver(self, attr: Attribute, values: list[Any]) -> list[Any]:
        if attr.type.kind == T.DECIMAL and attr.type.scale is not None:
            quantum = decimal.Decimal(1).scaleb(-attr.type.scale)
            return [
                None
                if v is None
                else decimal.Decimal(str(v)).quantize(quantum, rounding=decimal.ROUND_HALF_UP)
                for v in values
            ]
        return super().from_driver(attr, values)


def _read_only(path: str) -> bool:
    """Whether ``path`` is an existing database file this process cannot write (or whose folder
    it cannot write, where SQLite keeps its journal)."""
    if path == ":memory:" or path.startswith("file:") or not os.path.exists(path):
        return False
    folder = os.path.dirname(os.path.abspath(path))
    return not (os.access(path, os.W_OK) and os.access(folder, os.W_OK))
