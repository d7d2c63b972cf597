"""MySQL / MariaDB backend (driver: PyMySQL).

Column comments carry the type markers, the table comment is the user's table comment, and
the catalog is read from ``information_schema`` in four queries per schema.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import pymysql

from .. import errors
from .. import types as T
from ..heading import Attribute, ForeignKey, Index
from . import mysql_catalog as catalog
from . import tls
from .base import AlterChange, Backend, ConnectionInfo, TableInfo

SQL_MODE = (
    "NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,STRICT_ALL_TABLES,"
    "NO_ENGINE_SUBSTITUTION,ONLY_FULL_GROUP_BY"
)

SYSTEM_SCHEMAS = ("information_schema", "mysql", "performance_schema", "sys")

_INT_NAMES = {8: "tinyint", 16: "smallint", 24: "mediumint", 32: "int", 64: "bigint"}

_AUTO_INCREMENT = re.compile(r"\s+auto_increment\b", re.IGNORECASE)


class MySQLBackend(Backend):
    """MySQL 8 and MariaDB through PyMySQL."""

    name = "mysql"
    having_aliases = True
    widen_float32 = True
    max_statement_bytes = 1_000_000  # as PyMySQL's executemany: larger statements parse slower
    sqlglot_dialect = "mysql"
    max_name_length = 64
    default_port = 3306
    quote_char = "`"

    def __init__(self) -> None:
        self.is_mariadb: bool | None = None  # learnt at connect (or on first catalog load)
        self._packet_limit: int | None = (
            None  # max_allowed_packet, read with the first big statement
        )

    # ---------------------------------------------------------------- connection
    def connect(self, info: ConnectionInfo) -> pymysql.connections.Connection:
        """Open a connection in autocommit mode with DataJoint's ``sql_mode``.

        ``use_tls``: None tries TLS and falls back to plain TCP (WARNING logged), except on
        loopback and with a server that refused TLS before (see :mod:`.tls`); True requires
        TLS; False disables it; a dict is passed as the driver's ``ssl`` options.
        Driver errors of the connection attempt propagate untranslated.
        """
        kwargs: dict[str, Any] = {
            "host": info.host or "localhost",
            "port": int(info.port or 3306),
            "user": info.user,
            "password": info.password or "",
            "charset": info.charset or "utf8mb4",
            "sql_mode": SQL_MODE,
            "init_command": info.init_command or None,
            "autocommit": True,
        }
        use_tls = info.use_tls
        if use_tls is None and tls.worth_trying(self.name, kwargs["host"], kwargs["port"]):
            try:
                conn = pymysql.connect(**kwargs, ssl=_TLS_DEFAULT)
            except (pymysql.err.Error, OSError) as exc:
                tls.falling_back(exc)
                conn = pymysql.connect(**kwargs, ssl_disabled=True)
                tls.refused(self.name, kwargs["host"], kwargs["port"])
        elif use_tls is None or use_tls is False:
            conn = pymysql.connect(**kwargs, ssl_disabled=True)
        elif isinstance(use_tls, dict):
            conn = pymysql.connect(**kwargs, ssl=dict(use_tls) or _TLS_DEFAULT)
        else:
            conn = pymysql.connect(**kwargs, ssl=_TLS_DEFAULT)
        self.is_mariadb = "mariadb" in (conn.get_server_info() or "").lower()
        return conn

    def execute(self, driver_conn: Any, sql: str, args: Sequence[Any] | None) -> Any:
        cursor = driver_conn.cursor()
        if args is not None:
            sql = cursor.mogrify(sql, args)  # what cursor.execute(sql, args) would send
        if len(sql) > _LARGE_STATEMENT:
            self._check_packet(driver_conn, sql)
        cursor.execute(sql)
        return cursor

    def _check_packet(self, driver_conn: Any, sql: str) -> None:
        """Refuse, before sending, a statement over the server's ``max_allowed_packet``: the
        server would drop the connection, often before its error reaches the client."""
        if self._packet_limit is None:
            cursor = driver_conn.cursor()
            cursor.execute("SELECT @@max_allowed_packet")
            self._packet_limit = int(cursor.fetchone()[0])
        if len(sql) >= self._packet_limit:
            raise errors.ValueConversionError(
                f"A statement of {len(sql) / 1e6:.1f} MB is larger than the server's "
                f"max_allowed_packet ({self._packet_limit / 1e6:.1f} MB); nothing was sent. "
                + _PACKET_HINT
            )

    def recover_statement(self, driver_conn: Any, exc: BaseException, guarded: bool) -> bool:
        # InnoDB undoes only the failed statement, except after a deadlock (or a lock wait
        # timeout with innodb_rollback_on_timeout), where it rolls back the transaction
        code = exc.args[0] if exc.args else None
        if code in (_DEADLOCK, _PACKET_TOO_LARGE):  # the latter also drops the connection
            return False
        return code != _LOCK_WAIT_TIMEOUT or self.transaction_open(driver_conn)

    def transaction_open(self, driver_conn: Any) -> bool:
        try:
            driver_conn.cursor().execute("SELECT 1")  # refreshes the server status flags
        except pymysql.err.Error:
            return False
        return bool(driver_conn.server_status & _SERVER_STATUS_IN_TRANS)

    @property
    def driver_errors(self) -> tuple[type[BaseException], ...]:
        return (pymysql.err.Error,)

    def translate_error(self, exc: BaseException, sql: str = "") -> BaseException | None:
        """Map a PyMySQL error to a DataJoint error by its MySQL error number (spec 08 §8.2)."""
        if not isinstance(exc, pymysql.err.Error):
            return None
        code = exc.args[0] if exc.args else None
        message = str(exc.args[1]) if len(exc.args) > 1 else str(exc)
        if isinstance(exc, pymysql.err.InterfaceError) or code == 0:
            lost = errors.LostConnectionError(
                "Server connection lost due to an interface error.", message
            )
            # PyMySQL raises (0, '') before sending anything on a connection it knows is closed
            lost.statement_sent = code != 0
            return lost
        if not isinstance(code, int):
            return errors.QueryError(message, sql)
        if code == 2006:
            return errors.LostConnectionError("Connection timed out", message)
        if code == 2013:
            return errors.LostConnectionError("Server connection lost", message)
        if code in (1044, 1142):
            return errors.AccessError("Insufficient privileges.", message, sql)
        if code == 1062:
            return errors.DuplicateError(message)
        if code in (1217, 1451, 1452, 3730):
            return errors.IntegrityError(message)
        if code == 1064:
            return errors.QuerySyntaxError(message, sql)
        if code == 1146:
            return errors.MissingTableError(message, sql)
        if code in (1364, 1048):  # field has no default / column cannot be null
            return errors.MissingAttributeError(message)
        if code == 1054:
            return errors.UnknownAttributeError(message)
        if code in _DATA_ERRORS:
            return errors.ValueConversionError(message)
        if code in (_LOCK_WAIT_TIMEOUT, _DEADLOCK):
            return errors.LockWaitError(
                "The statement gave up waiting for a lock held by another session (lock wait "
                "timeout or deadlock); nothing of it was applied. Retry the work.",
                message,
                sql[:300],
            )
        if code == _PACKET_TOO_LARGE:
            return errors.ValueConversionError(
                "A statement was too large for the server's max_allowed_packet, so the server "
                "refused it and nothing of it was applied. " + _PACKET_HINT,
                message,
            )
        if code in _CANCELED:
            return errors.QueryCanceledError(
                "The statement was canceled before it finished (KILL QUERY or a timeout); "
                "nothing of it was applied.",
                message,
                sql[:300],
            )
        # anything else the server refused: an unknown function or collation, a feature the
        # server lacks, a bad subquery, ... (client-side codes 2000-2999 are connection errors)
        if 2000 <= code < 3000:
            return errors.LostConnectionError("Server connection lost", message)
        return errors.QueryError(message, sql)

    def connection_id(self, driver_conn: Any) -> int:
        return int(driver_conn.thread_id())  # from the handshake: CONNECTION_ID()

    def begin_sql(self) -> str:
        return "START TRANSACTION WITH CONSISTENT SNAPSHOT"

    def current_user_sql(self) -> str:
        return "SELECT user()"

    # ---------------------------------------------------------------- identifiers
    string_literal = r"'(?:[^'\\]|\\.|'')*'"  # backslash escapes, as sqlglot writes them

    @staticmethod
    def quote_string(text: str) -> str:
        """A single-quoted literal; backslashes are doubled (MySQL treats them as escapes)."""
        return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"

    # ---------------------------------------------------------------- schemas
    def create_schema(self, query: Any, schema: str) -> None:
        query(f"CREATE DATABASE IF NOT EXISTS {self.quote(schema)}", None)

    def drop_schema(self, query: Any, schema: str) -> None:
        query(f"DROP DATABASE IF EXISTS {self.quote(schema)}", None)

    def schema_size(self, query: Any, schema: str) -> int:
        sql = (
            "SELECT COALESCE(SUM(data_length + index_length), 0) "
            "FROM information_schema.tables WHERE table_schema = %s"
        )
        return int(query(sql, (schema,)).fetchone()[0])

    def list_schemas(self, query: Any) -> list[str]:
        marks = ", ".join(["%s"] * len(SYSTEM_SCHEMAS))
        rows = query(
            "SELECT schema_name FROM information_schema.schemata "
            f"WHERE schema_name NOT IN ({marks}) ORDER BY schema_name",
            SYSTEM_SCHEMAS,
        ).fetchall()
        return [r[0] for r in rows]

    def schema_exists(self, query: Any, schema: str) -> bool:
        sql = "SELECT 1 FROM information_schema.schemata WHERE schema_name = %s"
        return bool(query(sql, (schema,)).fetchall())

    # ---------------------------------------------------------------- DDL
    def json_index_part(self, attribute: str, path: str, type_name: str | None) -> str:
        if self.is_mariadb:
            raise errors.DeclarationError(
                f"MariaDB cannot index the JSON path `{attribute}.{path}`: it has no functional "
                "indexes. Index a regular attribute instead, or use MySQL or PostgreSQL."
            )
        returning = ""
        if type_name is not None:
            returning = " returning " + _json_returning(T.parse_type(type_name), type_name)
        text = self.json_path_text(path).replace("'", "''")
        return f"(json_value({self.quote(attribute)}, _utf8mb4'{text}'{returning}))"

    def json_value_sql(self, attribute: str, path: str, type_name: str | None) -> str:
        # CAST rather than RETURNING: MariaDB's json_value has no RETURNING clause
        text = self.json_path_text(path).replace("'", "''")
        extract = f"json_value({self.quote(attribute)}, _utf8mb4'{text}')"
        if type_name is None:
            return f"({extract})"
        return f"(CAST({extract} AS {_json_returning(T.parse_type(type_name), type_name)}))"

    def column_type(self, attr: Attribute, schema: str) -> str:
        """The MySQL column type (spec 02 §3.1); native types pass through verbatim."""
        spec = attr.type
        kind = spec.kind
        if kind == T.CODEC:
            raise errors.DataJointError(
                f"Attribute `{attr.name}` has the codec type {spec.declared!r}, which must be "
                "resolved to a core type before DDL."
            )
        if not spec.core:
            return _native_type(spec)
        if kind == T.INT:
            name = _INT_NAMES.get(spec.bits or 32, "int")
            return name + (" unsigned" if spec.unsigned else "")
        if kind == T.FLOAT:
            return "float" if spec.bits == 32 else "double"
        if kind == T.BOOL:
            return "tinyint"
        if kind == T.UUID:
            return "binary(16)"
        if kind == T.JSON:
            return "json"
        if kind == T.BYTES:
            return "longblob"
        if kind == T.DATE:
            return "date"
        if kind == T.DATETIME:
            return "datetime" if spec.precision is None else f"datetime({spec.precision})"
        if kind in (T.CHAR, T.VARCHAR):
            return f"{kind}({spec.length})"
        if kind == T.ENUM:
            return "enum(" + ",".join(self.quote_string(v) for v in spec.values) + ")"
        if kind == T.DECIMAL:
            return f"decimal({spec.precision},{spec.scale})"
        return _native_type(spec)

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
        """One ``CREATE TABLE`` statement following spec 01 §7.1."""
        lines = []
        for a in attributes:
            parts = [self.quote(a.name), a.sql_type or self.column_type(a, schema)]
            parts.append(self.default_sql(a))
            if a.autoincrement:
                parts.append("auto_increment")
            if a.comment:
                parts.append("COMMENT " + self.quote_string(a.comment))
            lines.append(" ".join(parts))
        if primary_key:
            lines.append(f"PRIMARY KEY ({self._names(primary_key)})")
        for fk in foreign_keys:
            lines.append(
                f"FOREIGN KEY ({self._names(fk.columns)}) REFERENCES "
                f"{self.table_ref(*fk.parent)} ({self._names(fk.ref_columns)})"
                " ON UPDATE CASCADE ON DELETE RESTRICT"
            )
        fk_columns = {tuple(fk.columns) for fk in foreign_keys}
        for index in indexes:
            head = "unique index" if index.unique else "index"
            name = index.name
            if name is None and not index.unique and tuple(index.parts) in fk_columns:
                # InnoDB would name it like the index it creates for the foreign key, so the
                # catalog could not tell the declared index from that implicit one
                name = ("ix_" + "_".join(index.parts))[: self.max_name_length]
            if name:
                head += " " + self.quote(name)
            columns = ",".join(p if p.startswith("(") else self.quote(p) for p in index.parts)
            lines.append(f"{head} ({columns})")
        return [
            f"CREATE TABLE IF NOT EXISTS {self.table_ref(schema, table)} (\n  "
            + ",\n  ".join(lines)
            + f"\n) ENGINE=InnoDB, COMMENT {self.quote_string(comment or '')}"
        ]

    def _names(self, names: Sequence[str]) -> str:
        return ",".join(self.quote(n) for n in names)

    # ---------------------------------------------------------------- catalog
    def load_catalog(
        self, query: Any, schema: str, table: str | None = None
    ) -> dict[str, TableInfo]:
        """Every table of ``schema`` (or ``table``) from ``information_schema`` in four (or
        five) queries."""
        if self.is_mariadb is None:
            version = query("SELECT VERSION()", None).fetchone()[0]
            self.is_mariadb = "mariadb" in str(version).lower()
        return catalog.load_catalog(query, schema, table, is_mariadb=self.is_mariadb)

    def _column_definition(self, a: Attribute, schema: str) -> str:
        parts = [self.quote(a.name), a.sql_type or self.column_type(a, schema), self.default_sql(a)]
        if a.comment:
            parts.append("COMMENT " + self.quote_string(a.comment))
        return " ".join(parts)

    def alter_table_sql(
        self,
        schema: str,
        table: str,
        changes: Sequence[AlterChange],
        comment: str | None = None,
    ) -> list[str]:
        """One ``ALTER TABLE`` with ADD/DROP/CHANGE/MODIFY clauses (spec 01 §8.2)."""
        clauses = []
        for c in changes:
            after = f" AFTER {self.quote(c.after)}" if c.after else ""
            if c.kind == "drop":
                assert c.old is not None  # a drop names the old attribute
                clauses.append(f"DROP COLUMN {self.quote(c.old.name)}")
            elif c.kind == "add":
                assert c.new is not None  # an add carries the new attribute
                clauses.append(f"ADD COLUMN {self._column_definition(c.new, schema)}{after}")
            elif c.kind == "change":
                assert c.old is not None and c.new is not None  # a rename carries both
                definition = self._column_definition(c.new, schema)
                clauses.append(f"CHANGE COLUMN {self.quote(c.old.name)} {definition}{after}")
            else:
                assert c.new is not None  # a modify carries the new attribute
                clauses.append(f"MODIFY COLUMN {self._column_definition(c.new, schema)}{after}")
        if comment is not None:
            clauses.append(f"COMMENT = {self.quote_string(comment)}")
        if not clauses:
            return []
        return [f"ALTER TABLE {self.table_ref(schema, table)} " + ", ".join(clauses)]

    def referencing_schemas(self, query: Any, schema: str) -> list[str]:
        rows = query(
            "SELECT DISTINCT table_schema FROM information_schema.key_column_usage "
            "WHERE referenced_table_schema = %s AND table_schema <> %s",
            (schema, schema),
        ).fetchall()
        return sorted(r[0] for r in rows)

    # ---------------------------------------------------------------- DML
    def insert_default_row_sql(self, schema: str, table: str) -> str:
        return f"INSERT INTO {self.table_ref(schema, table)} () VALUES ()"

    def on_duplicate_sql(
        self,
        mode: str | None,
        columns: Sequence[str],
        primary_key: Sequence[str],
        defaults: Sequence[Attribute] = (),
    ) -> str:
        """``ON DUPLICATE KEY UPDATE``: ``pk=pk`` to skip, ``c=VALUES(c)`` to replace."""
        if mode is None:
            return ""
        update = [c for c in columns if c not in primary_key]
        if mode == "skip" or not update:
            key = self.quote((list(primary_key) or list(columns))[0])
            return f" ON DUPLICATE KEY UPDATE {key}={key}"
        sets = ",".join(f"{self.quote(c)}=VALUES({self.quote(c)})" for c in update)
        return f" ON DUPLICATE KEY UPDATE {sets}"

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
        # a SELECT reading the target table makes bare names in the UPDATE clause ambiguous
        sql = super().insert_select_sql(schema, table, columns, select_sql)
        if on_duplicate is None:
            return sql
        ref = self.table_ref(schema, table)
        sets = [
            f"{ref}.{self.quote(c)}=VALUES({self.quote(c)})"
            for c in columns
            if c not in primary_key
        ]
        if on_duplicate == "replace":
            sets += [f"{ref}.{self.quote(a.name)}=DEFAULT" for a in defaults]
        if on_duplicate == "skip" or not sets:
            key = f"{ref}.{self.quote((list(primary_key) or list(columns))[0])}"
            return f"{sql} ON DUPLICATE KEY UPDATE {key}={key}"
        return f"{sql} ON DUPLICATE KEY UPDATE {','.join(sets)}"

    # ---------------------------------------------------------------- values
    driver_passthrough = frozenset(
        {T.INT, T.DECIMAL, T.JSON, T.BYTES, T.DATE, T.DATETIME, T.TIME, T.YEAR}
        | {T.CHAR, T.VARCHAR, T.TEXT, T.ENUM}
    )

    # PyMySQL gives ints, floats, Decimals, str (CHAR without its pad), bytes, dates,
    # datetimes and timedeltas; bool (tinyint), uuid (binary) and json (text) need decoding
    decoded_kinds = frozenset(
        {T.INT, T.FLOAT, T.DECIMAL, T.BYTES, T.DATE, T.DATETIME, T.TIME, T.YEAR}
        | {T.CHAR, T.VARCHAR, T.TEXT, T.ENUM}
    )

    def to_driver_column(self, attr: Attribute, values: list[Any]) -> list[Any]:
        if attr.type.kind == T.FLOAT and not any(
            type(v) is float and math.isinf(v) for v in values
        ):
            return values
        return super().to_driver_column(attr, values)

    def to_driver(self, attr: Attribute, value: Any) -> Any:
        kind = attr.type.kind
        if kind == T.BOOL:
            return int(bool(value))
        if kind == T.FLOAT and isinstance(value, float) and math.isinf(value):
            raise errors.ValueConversionError(
                f"Attribute `{attr.name}` cannot take {value}: MySQL and MariaDB cannot store "
                "infinite floats. Store NULL (or a sentinel value) instead."
            )
        if kind == T.UUID and hasattr(value, "bytes"):
            return value.bytes
        return value


# a value the column cannot hold: out of range (1264), truncated (1265), incorrect value
# (1292, 1366, 1411), too long (1406), CHECK constraint failed (3819 MySQL, 4025 MariaDB)
_DEADLOCK, _LOCK_WAIT_TIMEOUT, _PACKET_TOO_LARGE = 1213, 1205, 1153
_LARGE_STATEMENT = 1 << 20  # statements longer than this are checked against the packet limit
_PACKET_HINT = (
    "Binary values (blobs) travel hex-encoded, at twice their size: raise max_allowed_packet on "
    "the server (SET GLOBAL max_allowed_packet = ...), or keep large values in an object store "
    "(<blob@>)."
)
# interrupted (KILL QUERY, 1317), max_execution_time (MySQL 3024), max_statement_time
# (MariaDB 1969), lock wait timeout (1205)
_CANCELED = frozenset({1317, 3024, 1969, _LOCK_WAIT_TIMEOUT})
_SERVER_STATUS_IN_TRANS = 1
_DATA_ERRORS = frozenset({1264, 1265, 1292, 1366, 1406, 1411, 3819, 4025})

# a non-empty ``ssl`` dict makes PyMySQL require TLS; these are its default settings
_TLS_DEFAULT: dict[str, Any] = {"check_hostname": False}


def _native_type(spec: T.TypeSpec) -> str:
    """The SQL of a native type: its declared text without ``auto_increment``."""
    if spec.native_name == "serial":
        return "bigint unsigned"
    if spec.native_name == "smallblob":  # not a MySQL type
        return "blob"
    return _AUTO_INCREMENT.sub("", spec.declared).strip()


def _json_returning(spec: T.TypeSpec, declared: str) -> str:
    """The ``RETURNING`` type of ``json_value`` for a declared DataJoint type."""
    kind = spec.kind
    if kind in (T.CHAR, T.VARCHAR):
        return f"char({spec.length})"
    if kind == T.INT:
        return "unsigned" if spec.unsigned else "signed"
    if kind == T.FLOAT:
        return "float" if spec.bits == 32 else "double"
    if kind == T.DECIMAL:
        return f"decimal({spec.precision},{spec.scale or 0})"
    if kind in (T.DATE, T.DATETIME, T.TIME):
        return kind
    raise errors.DeclarationError(
        f"Cannot index a JSON value as {declared!r}: use a string, integer, float, decimal, "
        "date, datetime or time type."
    )
