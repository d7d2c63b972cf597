"""PostgreSQL backend (psycopg 3).

A DataJoint schema is a PostgreSQL schema inside the connection's database. Values are bound
client-side (:class:`psycopg.ClientCursor`), so the format paramstyle works in any statement
and the number of values per statement is unlimited. Reads whose columns load the same from
binary (almost all of them: counts, fetches by key, bulk fetches) are bound on the server with
binary results instead, and psycopg prepares a statement the fifth time its text is sent, so a
repeated ``fetch1`` or ``len`` costs the server no parsing or planning. Catalog reading lives in
:mod:`.postgres_catalog`.
"""

from __future__ import annotations

import datetime
import math
import struct
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.types.json import Jsonb

from .. import errors
from .. import types as T
from .._optional import lazy_module
from ..heading import Attribute, ForeignKey, Index
from . import alter_sql, tls
from . import postgres_catalog as catalog
from . import postgres_ddl as ddl
from .base import (
    DEFAULT,
    AlterChange,
    Backend,
    ConnectionInfo,
    TableInfo,
    integer_rows,
    rows_text,
    value_node,
)
from .postgres_ddl import enum_type_name

if TYPE_CHECKING:
    import sqlglot.errors as sqlglot_errors
    from sqlglot import exp
else:  # sqlglot loads when the first query is compiled, not at import
    exp = lazy_module("sqlglot.expressions")
    sqlglot_errors = lazy_module("sqlglot.errors")


# SQLSTATE → DataJoint error (spec 08 §8.2)
_SQLSTATES: dict[str, type[errors.DataJointError]] = {
    "23505": errors.DuplicateError,
    "23503": errors.IntegrityError,
    "2BP01": errors.IntegrityError,  # dependent objects still exist (drop of a referenced table)
    "40P01": errors.LockWaitError,  # deadlock detected (retry the work)
    "40001": errors.QueryError,  # serialization failure
    "55P03": errors.LockWaitError,  # lock not available (lock_timeout)
    "57014": errors.QueryCanceledError,  # canceled: pg_cancel_backend, statement_timeout
    "23502": errors.MissingAttributeError,
    "42601": errors.QuerySyntaxError,
    "42P01": errors.MissingTableError,
    "42703": errors.UnknownAttributeError,
    "08000": errors.LostConnectionError,
    "08003": errors.LostConnectionError,
    "08006": errors.LostConnectionError,
    "57P01": errors.LostConnectionError,
    "42501": errors.AccessError,
    # a value the column cannot hold: string too long, numeric out of range, invalid text,
    # invalid or out-of-range datetime, CHECK constraint (integer ranges), text the encoding
    # cannot hold (NUL, sent by binary COPY)
    "22001": errors.ValueConversionError,
    "22021": errors.ValueConversionError,
    "22003": errors.ValueConversionError,
    "22P02": errors.ValueConversionError,
    "22007": errors.ValueConversionError,
    "22008": errors.ValueConversionError,
    "23514": errors.ValueConversionError,
    # a table definition the server refuses: invalid type parameter (varchar length), invalid
    # table definition, bad foreign key, type mismatch, duplicates, row/column limits
    "22023": errors.QueryError,
    "42P16": errors.QueryError,
    "42830": errors.QueryError,
    "42804": errors.QueryError,
    "42701": errors.QueryError,
    "42710": errors.QueryError,
    "54000": errors.QueryError,
    "54011": errors.QueryError,
}

# libpq connection parameters accepted from a ``use_tls`` dict (MySQL-style keys mapped)
_TLS_KEYS = {
    "ca": "sslrootcert",
    "cert": "sslcert",
    "key": "sslkey",
    "sslrootcert": "sslrootcert",
    "sslcert": "sslcert",
    "sslkey": "sslkey",
    "sslcrl": "sslcrl",
    "sslpassword": "sslpassword",
    "sslmode": "sslmode",
}


def _identity(text: str) -> str:
    return text


_VALUES_MIN_ROWS = 20  # composite-key IN lists at least this long become a VALUES semi-join
_MAX_BOUND = 30000  # values bound on the server per statement (the protocol allows 65535)
_PREPARE_AFTER = 5  # executions of a server-bound statement's text before psycopg prepares it
_STALE_PLAN = "cached plan must not change result type"
_COPY_MIN_ROWS = 100  # below this, a multi-row INSERT is as fast (one round trip fewer)
_COPY_BYTES_MIN_ROWS = 10  # ... but rows of bytea load faster in binary COPY from here
# column types whose binary COPY format psycopg writes from the values DataJoint encodes
_COPY_BINARY_TYPES = frozenset(
    {"int2", "int4", "int8", "float4", "float8", "bytea", "varchar", "bpchar", "text"}
)


_LOCK_WAIT = (
    "The statement gave up waiting for a lock held by another session (lock timeout or "
    "deadlock); nothing of it was applied. Retry the work."
)
_CANCELED = (
    "The statement was canceled before it finished (a cancel request or a timeout); nothing of "
    "it was applied."
)
_BEGIN = "BEGIN; "
_SET_GUARD = "SAVEPOINT dj_statement; "
_RELEASE_GUARD = "RELEASE SAVEPOINT dj_statement; "
_ROLLBACK_GUARD = "ROLLBACK TO SAVEPOINT dj_statement"


class _Copy(str):
    """A ``COPY … FROM STDIN`` statement; its arguments are the rows to send."""

    __slots__ = ()


class _BinaryCopy(_Copy):
    """A ``COPY … FROM STDIN (FORMAT BINARY)``: ``bytea`` values travel as they are. ``types``
    names each column's type, for psycopg's binary dumpers."""

    types: list[str]

    @classmethod
    def of(cls, sql: str, types: list[str]) -> _BinaryCopy:
        statement = cls(sql)
        statement.types = types
        return statement


class _Binary(str):
    """A statement sent with server-side binding and binary results: ``bytea`` values travel
    as raw bytes instead of hex text (about twice as fast to insert, four times to fetch)."""

    __slots__ = ()


def _binary_copy_types(attributes: Sequence[Attribute]) -> list[str] | None:
    """The type psycopg writes each column's binary COPY values as, when all of them can be
    so written, else None."""
    types = []
    for a in attributes:
        info = psycopg.adapters.types.get(a.sql_type.split("(", 1)[0].strip())
        if info is None or info.name not in _COPY_BINARY_TYPES:
            return None
        types.append("text" if info.name == "bpchar" else info.name)  # the same bytes
    return types


_BINARY_RANGES = {
    "int2": (-(1 << 15), (1 << 15) - 1),
    "int4": (-(1 << 31), (1 << 31) - 1),
    "int8": (-(1 << 63), (1 << 63) - 1),
}
_FLOAT4_MAX = 3.4028234663852886e38


def _fit_binary_copy(rows: Sequence[Sequence[Any]], types: list[str]) -> bool:
    """Whether every number fits its column's binary format: psycopg's binary dumpers wrap or
    fail on out-of-range values where the server would report them (those rows are then sent
    as a bound INSERT, whose errors are the usual ones)."""
    for i, name in enumerate(types):
        if name in _BINARY_RANGES:
            low, high = _BINARY_RANGES[name]
            values = [v for row in rows if (v := row[i]) is not None]
            if values and (min(values) < low or max(values) > high):
                return False
        elif name == "float4" and any(
            _FLOAT4_MAX < abs(v) < math.inf for row in rows if (v := row[i]) is not None
        ):
            return False
    return True


def _forget_prepared(driver_conn: Any) -> None:
    """Drop the connection's prepared statements (psycopg clears its cache on this command)."""
    driver_conn.execute("DEALLOCATE ALL")


class _Bytes(_Binary):
    """A :class:`_Binary` statement moving ``bytea`` values: inside a transaction it stays
    binary (its statement guard is sent first, one round trip more); other binary reads are
    sent as text there, with the guard in the same round trip."""

    __slots__ = ()


# column kinds whose binary results psycopg loads as the same Python values as text results
# (not enums or other user-defined types, which come back as bytes in binary)
_BINARY_KINDS = frozenset(
    {T.INT, T.FLOAT, T.DECIMAL, T.BOOL, T.UUID, T.JSON, T.BYTES, T.DATE, T.DATETIME, T.TIME}
    | {T.YEAR, T.CHAR, T.VARCHAR}
)
_TEXT_TYPES = frozenset({None, "text", "tinytext", "mediumtext", "longtext"})


class PostgresBackend(Backend):
    """The PostgreSQL backend (psycopg 3)."""

    name = "postgresql"
    sqlglot_dialect = "postgres"
    max_name_length = 63
    text_holds_nul = False
    default_port = 5432
    quote_char = '"'

    def name_length(self, name: str) -> int:
        return len(name.encode())  # NAMEDATALEN counts bytes; longer names are truncated

    # ---------------------------------------------------------------- connection
    def connect(self, info: ConnectionInfo) -> psycopg.Connection:
        """Open an autocommit connection; ``use_tls=None`` tries TLS, then falls back (not on
        loopback, nor with a server that refused TLS before: see :mod:`.tls`)."""
        params: dict[str, Any] = {
            "host": info.host or "localhost",
            "port": info.port,
            "user": info.user,
            "password": info.password,
            "dbname": info.database_name or "postgres",
        }
        params = {k: v for k, v in params.items() if v is not None}
        use_tls = info.use_tls
        if use_tls is None and tls.worth_trying(self.name, params["host"], info.port):
            try:
                conn = self._open(params, {"sslmode": "require"}, info)
            except psycopg.OperationalError as exc:
                tls.falling_back(exc)
                conn = self._open(params, {"sslmode": "disable"}, info)
                tls.refused(self.name, params["host"], info.port)
        elif isinstance(use_tls, dict):
            ssl = {"sslmode": "require"}
            ssl.update({_TLS_KEYS[k]: str(v) for k, v in use_tls.items() if k in _TLS_KEYS})
            conn = self._open(params, ssl, info)
        else:
            conn = self._open(params, {"sslmode": "require" if use_tls else "disable"}, info)
        if info.init_command:
            with conn.cursor() as cursor:
                cursor.execute(info.init_command)
        return conn

    @staticmethod
    def _open(
        params: dict[str, Any], ssl: dict[str, Any], info: ConnectionInfo
    ) -> psycopg.Connection:
        # database.prepared_statements = False: for a pooler that cannot keep them (PgBouncer
        # before 1.21 in transaction mode)
        return psycopg.connect(
            **params,
            **ssl,
            autocommit=True,
            connect_timeout=10,
            prepare_threshold=_PREPARE_AFTER if info.prepared_statements else None,
            cursor_factory=psycopg.ClientCursor,
        )

    def loads_in_one_statement(
        self, attributes: Sequence[Attribute], rows: int, on_duplicate: str | None, defaults: bool
    ) -> bool:
        if on_duplicate is not None or defaults:
            return False
        if any(a.type.kind == T.BYTES for a in attributes):
            return rows >= _COPY_BYTES_MIN_ROWS and _binary_copy_types(attributes) is not None
        return rows >= _COPY_MIN_ROWS

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
        """A plain bulk insert (no duplicate handling, no default cells) is a ``COPY … FROM
        STDIN``: about ten times faster than a multi-row INSERT, with the same errors. Rows
        with ``bytea`` values are sent in binary COPY format where psycopg can write every
        column so, or else bound on the server (binary, no hex text)."""
        if any(a.type.kind == T.BYTES for a in attributes):
            copy_types = _binary_copy_types(attributes)
            if (
                copy_types is not None
                and len(rows) >= _COPY_BYTES_MIN_ROWS
                and on_duplicate is None
                and not (defaults and any(v is DEFAULT for row in rows for v in row))
                and _fit_binary_copy(rows, copy_types)
            ):
                cols = ",".join(self.quote(c) for c in columns)
                table_ref = self.table_ref(schema, table)
                sql = f"COPY {table_ref} ({cols}) FROM STDIN (FORMAT BINARY)"
                return _BinaryCopy.of(sql, copy_types), list(rows)
            sql, params = super().insert_sql(
                schema, table, columns, rows, attributes,
                on_duplicate=on_duplicate, primary_key=primary_key,
            )  # fmt: skip
            return _Bytes(sql), params
        if (
            len(rows) < _COPY_MIN_ROWS
            or on_duplicate is not None
            or (defaults and any(v is DEFAULT for row in rows for v in row))
        ):
            return super().insert_sql(
                schema, table, columns, rows, attributes,
                on_duplicate=on_duplicate, primary_key=primary_key, defaults=defaults,
            )  # fmt: skip
        cols = ",".join(self.quote(c) for c in columns)
        sql = _Copy(f"COPY {self.table_ref(schema, table)} ({cols}) FROM STDIN")
        return sql, list(rows)

    def row_in_list(
        self, columns: list[Any], attributes: list[Attribute], rows: list[list[Any]]
    ) -> Any:
        """Many keys become ``(a, b) IN (SELECT * FROM (VALUES …))``, a hashed semi-join:
        PostgreSQL evaluates a row-value IN list as a chain of ORs (seconds for 5,000 keys).
        The first row carries the column types so every value compares as its column."""
        if len(rows) < _VALUES_MIN_ROWS or not all(a.sql_type for a in attributes):
            return super().row_in_list(columns, attributes, rows)
        try:
            types = [
                exp.DataType.build(a.sql_type, dialect="postgres", udt=True) for a in attributes
            ]
        except sqlglot_errors.SqlglotError:  # a native type sqlglot cannot spell
            return super().row_in_list(columns, attributes, rows)
        first = [exp.cast(value_node(v), t) for v, t in zip(rows[0], types, strict=True)]
        if integer_rows(rows):  # the rows after the first as one text
            head = ", ".join(v.sql(dialect="postgres") for v in first)
            rest = f", {rows_text(rows[1:])}" if len(rows) > 1 else ""
            values_sql = f"SELECT * FROM (VALUES ({head}){rest}) AS _keys"
            subquery: exp.Expression = exp.Var(this=values_sql)
        else:
            later = [tuple(value_node(v) for v in r) for r in rows[1:]]
            values = exp.values([tuple(first), *later], alias="_keys")
            subquery = exp.select("*").from_(values)
        return exp.In(this=exp.Tuple(expressions=columns), query=exp.Subquery(this=subquery))

    def fetch_sql(self, sql: str, attributes: Iterable[Attribute]) -> str:
        """A SELECT is bound on the server with binary results (psycopg loads them faster than
        text, bytea four times faster; repeated texts are prepared) when every selected column
        loads the same from binary; no attributes means a count or a test of existence."""
        moves_bytes = False
        for a in attributes:
            kind = a.type.kind
            if kind == T.BYTES:
                moves_bytes = True
            elif kind not in _BINARY_KINDS and not (
                kind == T.TEXT and a.expression is None and a.type.native_name in _TEXT_TYPES
            ):
                return sql
        return _Bytes(sql) if moves_bytes else _Binary(sql)

    def execute(self, driver_conn: Any, sql: str, args: Sequence[Any] | None) -> Any:
        if isinstance(sql, _Binary) and (args is None or len(args) <= _MAX_BOUND):
            cursor = psycopg.Cursor(driver_conn)
            params = None if args is None else args if isinstance(args, Mapping) else tuple(args)
            try:
                cursor.execute(sql, params, binary=True)
            except psycopg.errors.FeatureNotSupported as exc:
                # inside a transaction the failed read is undone by execute_guarded
                idle = driver_conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
                if not idle or not self._stale_read(exc, sql):
                    raise
                _forget_prepared(driver_conn)
                cursor.execute(sql, params, binary=True)
            return cursor
        if isinstance(sql, _Copy):
            copy_cursor = psycopg.Cursor(driver_conn)
            with copy_cursor.copy(sql) as copy:
                if isinstance(sql, _BinaryCopy):
                    copy.set_types(sql.types)
                try:
                    for row in args or ():
                        copy.write_row(row)
                except (struct.error, OverflowError, TypeError) as exc:  # the COPY is abandoned
                    raise psycopg.DataError(f"A value could not be sent: {exc}") from exc
            return copy_cursor
        cursor = psycopg.ClientCursor(driver_conn)
        if args is None:
            cursor.execute(sql)
        else:
            cursor.execute(sql, args if isinstance(args, Mapping) else tuple(args))
        return cursor

    statement_guard = True  # a failed statement aborts a PostgreSQL transaction
    defers_begin = True  # BEGIN takes no snapshot: the first statement does
    joins_statements = True  # client-side binding: several statements in one simple query

    def execute_guarded(
        self,
        driver_conn: Any,
        sql: str,
        args: Sequence[Any] | None,
        *,
        release: bool,
        guard: bool,
        begin: bool = False,
    ) -> Any:
        prefix = (
            (_BEGIN if begin else "")
            + (_RELEASE_GUARD if release else "")
            + (_SET_GUARD if guard else "")
        )
        if not prefix:
            return self.execute(driver_conn, sql, args)
        if isinstance(sql, _Copy | _Bytes):  # one statement per call: send the guard first
            self.execute(driver_conn, prefix, None)
            try:
                return self.execute(driver_conn, sql, args)
            except psycopg.errors.FeatureNotSupported as exc:
                if not guard or not self._stale_read(exc, sql):
                    raise
                psycopg.ClientCursor(driver_conn).execute(_ROLLBACK_GUARD)  # undo it first
                _forget_prepared(driver_conn)
                return self.execute(driver_conn, sql, args)
        sql = str(sql)  # a read that loads the same from text: guard and read in one round trip
        cursor = psycopg.ClientCursor(driver_conn)
        if args is None:
            cursor.execute(prefix + sql)
        else:
            cursor.execute(prefix + sql, args if isinstance(args, Mapping) else tuple(args))
        for _ in range(begin + release + guard):
            cursor.nextset()
        return cursor

    def _stale_read(self, exc: BaseException, sql: str) -> bool:
        """Whether ``exc`` failed a prepared read because another connection changed a column
        type under it: such a read may be sent again once the prepared statements are gone (a
        statement that may write never is)."""
        return _STALE_PLAN in str(exc) and self.cannot_change_data(sql)

    def recover_statement(self, driver_conn: Any, exc: BaseException, guarded: bool) -> bool:
        status = driver_conn.info.transaction_status
        if status == psycopg.pq.TransactionStatus.INTRANS:
            return True
        if status != psycopg.pq.TransactionStatus.INERROR or not guarded:
            return False
        try:
            psycopg.ClientCursor(driver_conn).execute(_ROLLBACK_GUARD)
        except psycopg.Error:
            return False
        return True

    def statement_reached_server(self, driver_conn: Any, begin: bool = False) -> bool:
        # a statement that failed on the server leaves the transaction aborted; sent with its
        # BEGIN, anything that reached the server left the connection in a transaction
        status = driver_conn.info.transaction_status
        if begin:
            return bool(status != psycopg.pq.TransactionStatus.IDLE)
        return bool(status != psycopg.pq.TransactionStatus.INTRANS)

    def transaction_open(self, driver_conn: Any) -> bool:
        return bool(driver_conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE)

    @property
    def driver_errors(self) -> tuple[type[BaseException], ...]:
        return (psycopg.Error,)

    def translate_error(self, exc: BaseException, sql: str = "") -> BaseException | None:
        if not isinstance(exc, psycopg.Error):
            return None
        code = getattr(exc, "sqlstate", None)
        message = str(exc).strip()
        if code is None:
            if isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)):
                return errors.LostConnectionError("Server connection lost", message)
            if isinstance(exc, psycopg.DataError):  # refused by the driver (e.g. NUL in text)
                return errors.ValueConversionError(message)
            return errors.QueryError(message, sql)
        # anything else the server refused is a QueryError (unknown function or collation,
        # unsupported feature, bad subquery, ...)
        cls = _SQLSTATES.get(code, errors.QueryError)
        if cls is errors.LostConnectionError:
            return cls("Server connection lost", message)
        if cls is errors.AccessError:
            return cls("Insufficient privileges.", message, sql)
        if cls is errors.LockWaitError:
            return cls(_LOCK_WAIT, message, sql[:300])
        if cls is errors.QueryCanceledError:
            return cls(_CANCELED, message, sql[:300])
        if cls in (errors.QuerySyntaxError, errors.MissingTableError, errors.QueryError):
            return cls(message, sql)
        return cls(message)

    def connection_id(self, driver_conn: Any) -> int:
        return int(driver_conn.info.backend_pid)  # from the startup: pg_backend_pid()

    def begin_sql(self) -> str:
        return "BEGIN"

    def current_user_sql(self) -> str:
        return "SELECT current_user"

    # ---------------------------------------------------------------- schemas
    def create_schema(self, query: Any, schema: str) -> None:
        query(f"CREATE SCHEMA IF NOT EXISTS {self.quote(schema)}")

    def drop_schema(self, query: Any, schema: str) -> None:
        query(f"DROP SCHEMA IF EXISTS {self.quote(schema)} CASCADE")

    def schema_size(self, query: Any, schema: str) -> int:
        sql = (
            "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind = 'r'"
        )
        return int(query(sql, (schema,)).fetchone()[0])

    def list_schemas(self, query: Any) -> list[str]:
        sql = (
            "SELECT nspname FROM pg_namespace "
            "WHERE nspname NOT IN ('pg_catalog', 'information_schema') "
            "AND nspname !~ '^pg_(toast|temp_)' ORDER BY nspname"
        )
        return [r[0] for r in query(sql).fetchall()]

    def schema_exists(self, query: Any, schema: str) -> bool:
        sql = "SELECT 1 FROM pg_namespace WHERE nspname = %s"
        return bool(query(sql, (schema,)).fetchall())

    # ---------------------------------------------------------------- DDL
    def json_index_part(self, attribute: str, path: str, type_name: str | None) -> str:
        elements = ", ".join(self.quote_string(p) for p in self.json_path_elements(path))
        extract = f"jsonb_extract_path_text({self.quote(attribute)}, {elements})"
        sql_type = self._json_type(type_name)
        return f"(({extract})::{sql_type})" if sql_type else f"({extract})"

    def column_type(self, attr: Attribute, schema: str) -> str:
        spec = attr.type
        kind = spec.kind
        if kind == T.INT:
            sql = ddl.INT_TYPES.get((spec.bits or 32, spec.unsigned), ("bigint", None, None))[0]
            return "bigint" if spec.autoincrement and sql.startswith("numeric") else sql
        if kind == T.FLOAT:
            # native ``real`` is single precision on PostgreSQL (a double on MySQL)
            single = spec.bits == 32 or spec.native_name == "real"
            return "real" if single else "double precision"
        if kind == T.DECIMAL:
            if spec.precision is None:
                return "numeric"
            return f"numeric({spec.precision},{spec.scale or 0})"
        if kind == T.DATETIME:
            return f"timestamp({spec.precision or 0})"  # MySQL datetime: whole seconds
        if kind == T.TIME:
            return "time" if spec.precision is None else f"time({spec.precision})"
        if kind in (T.CHAR, T.VARCHAR):
            if spec.length is None:
                return spec.declared.lower()
            return f"{'char' if kind == T.CHAR else 'varchar'}({spec.length})"
        if kind == T.ENUM:
            return catalog.enum_type_ref(schema, enum_type_name(spec.values))
        if kind == T.CODEC:
            raise errors.DataJointError(
                f"Attribute `{attr.name}` has the codec type {spec.declared!r}, which must be "
                "resolved to a core type before DDL."
            )
        simple = {
            T.BOOL: "boolean",
            T.UUID: "uuid",
            T.JSON: "jsonb",
            T.BYTES: "bytea",
            T.DATE: "date",
            T.YEAR: "smallint",
            T.TEXT: "text",
        }
        return simple.get(kind, spec.declared)

    def bool_literal(self, value: bool) -> str:
        return "TRUE" if value else "FALSE"

    stored_comment = staticmethod(ddl.stored_comment)

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
        """Enum types, CREATE TABLE, indexes, foreign-key support indexes, comments."""
        return ddl.create_table_sql(
            self, schema, table, attributes, primary_key, foreign_keys, indexes, comment
        )

    # ---------------------------------------------------------------- catalog
    def classify(self, sql_type: str) -> T.TypeSpec:
        if ddl.ENUM_REF.match(sql_type):
            return T.TypeSpec(sql_type, T.ENUM, False, native_name="enum")
        return super().classify(sql_type)

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
        """ADD/DROP/RENAME COLUMN and ALTER COLUMN statements (see :mod:`.alter_sql`)."""
        return alter_sql.postgres(self, schema, table, changes, comment)

    def drop_unused_types_sql(self, schema: str) -> list[str]:
        """Drop the schema's DataJoint enum types that no column uses (spec 04 §5.2)."""
        tag = "$dj$"
        return [
            f"DO {tag} DECLARE t record; BEGIN FOR t IN SELECT y.typname FROM pg_type y "
            "JOIN pg_namespace n ON n.oid = y.typnamespace "
            f"WHERE n.nspname = {self.quote_string(schema)} AND y.typtype = 'e' "
            "AND y.typname ~ '^enum_[0-9a-f]{8}$' AND NOT EXISTS (SELECT 1 FROM pg_attribute a "
            "WHERE a.atttypid = y.oid AND NOT a.attisdropped) LOOP "
            f"EXECUTE format('DROP TYPE IF EXISTS %I.%I', {self.quote_string(schema)}, t.typname); "
            f"END LOOP; END {tag}"
        ]

    def referencing_schemas(self, query: Any, schema: str) -> list[str]:
        rows = query(
            "SELECT DISTINCT cn.nspname FROM pg_constraint c "
            "JOIN pg_class cc ON cc.oid = c.conrelid "
            "JOIN pg_namespace cn ON cn.oid = cc.relnamespace "
            "JOIN pg_class pc ON pc.oid = c.confrelid "
            "JOIN pg_namespace pn ON pn.oid = pc.relnamespace "
            "WHERE c.contype = 'f' AND pn.nspname = %s AND cn.nspname <> %s",
            (schema, schema),
        ).fetchall()
        return sorted(r[0] for r in rows)

    # ---------------------------------------------------------------- values
    driver_passthrough = frozenset(
        {T.INT, T.FLOAT, T.DECIMAL, T.BYTES, T.DATE, T.DATETIME, T.YEAR}
        | {T.CHAR, T.VARCHAR, T.TEXT, T.ENUM}
    )

    def to_driver(self, attr: Attribute, value: Any) -> Any:
        kind = attr.type.kind
        if kind == T.JSON:
            if isinstance(value, str):
                return Jsonb(value, dumps=_identity)  # already serialized
            return Jsonb(value)
        if kind == T.BOOL:
            return bool(value)
        if kind == T.UUID and not isinstance(value, uuid.UUID):
            return uuid.UUID(str(value))
        if (
            kind == T.TIME
            and isinstance(value, datetime.timedelta)
            and datetime.timedelta(0) <= value < datetime.timedelta(days=1)
        ):
            return (datetime.datetime.min + value).time()
        return value

    # psycopg gives the Python values (jsonb parsed); bpchar keeps its pad, time is a
    # datetime.time (a timedelta is wanted)
    decoded_kinds = frozenset(
        {T.INT, T.FLOAT, T.DECIMAL, T.BOOL, T.UUID, T.JSON, T.BYTES, T.DATE, T.DATETIME, T.YEAR}
        | {T.VARCHAR, T.TEXT, T.ENUM}
    )

    def fetched_as_is(self, attr: Attribute) -> bool:
        spec = attr.type
        if spec.kind == T.INT and (
            (spec.unsigned and spec.bits == 64) or "numeric" in attr.sql_type
        ):
            return False  # uint64 is numeric(20,0): Decimal
        if spec.kind == T.DATETIME and "with time zone" in attr.sql_type.lower():
            return False  # aware datetimes are made naive
        return super().fetched_as_is(attr)

    def from_driver(self, attr: Attribute, values: list[Any]) -> list[Any]:
        kind = attr.type.kind
        if kind == T.JSON:
            return values  # psycopg already parsed jsonb; never parse twice
        if kind == T.CHAR:
            return [v.rstrip(" ") if isinstance(v, str) else v for v in values]
        return super().from_driver(attr, values)
