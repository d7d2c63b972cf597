"""The Backend protocol: everything that differs between SQLite, MySQL/MariaDB and PostgreSQL.

No module outside ``backends/`` quotes identifiers, names SQL types or knows a dialect.

SQL handed to :meth:`Connection.query` uses the *format* paramstyle (``%s`` for a bound value,
``%%`` for a literal percent sign) whenever ``args`` is given, and is sent verbatim when
``args`` is ``None``; each backend adapts that to its driver.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from itertools import chain
from typing import TYPE_CHECKING, Any

from .. import types as T
from .._optional import lazy_module
from ..errors import DataJointError
from ..floats import shortest_float32_column
from ..heading import Attribute, ForeignKey, Index
from . import sqltext
from .decoders import COMMON_DECODERS
from .infos import AlterChange as AlterChange
from .infos import ColumnInfo as ColumnInfo
from .infos import ConnectionInfo as ConnectionInfo
from .infos import TableInfo as TableInfo

if TYPE_CHECKING:
    from sqlglot import exp

    from . import fragments
else:  # sqlglot loads with the first user SQL fragment, not at import
    exp = lazy_module("sqlglot.expressions")
    fragments = lazy_module("datajoint.backends.fragments")

DEFAULT = T.USE_DEFAULT  # marks a cell of an INSERT that takes the column default


def value_node(value: Any) -> exp.Expression:
    """A value of a key list: an integer (written inline) or a value node as it is."""
    return exp.Literal.number(value) if type(value) is int else value


def in_list(values: Sequence[Any]) -> list[exp.Expression]:
    """The items of an ``IN (…)`` list of integers (written inline) and value nodes; a list of
    integers only is written as one text: thousands of keys in milliseconds, not one node each."""
    if all(type(v) is int for v in values):
        return [exp.Var(this=", ".join(map(str, values)))]
    return [value_node(v) for v in values]


def integer_rows(rows: Sequence[Sequence[Any]]) -> bool:
    """Whether every value of ``rows`` is an integer (then :func:`rows_text` writes them)."""
    return all(type(v) is int for row in rows for v in row)


def rows_text(rows: Sequence[Sequence[int]]) -> str:
    """``(1, 2), (3, 4)``: rows of integers as SQL text."""
    return ", ".join("(" + ", ".join(map(str, row)) + ")" for row in rows)


def in_rows(rows: Sequence[Sequence[Any]]) -> list[exp.Expression]:
    """The items of ``(a, b) IN (…)``: one tuple per row (values as in :func:`in_list`)."""
    if integer_rows(rows):
        return [exp.Var(this=rows_text(rows))]
    return [exp.Tuple(expressions=[value_node(v) for v in row]) for row in rows]


class Backend(ABC):
    """A database dialect and driver adapter; one instance per connection."""

    name: str = ""
    sqlglot_dialect: str = ""
    max_name_length: int = 64
    default_port: int | None = None
    having_aliases: bool = False  # HAVING may name select-list aliases
    # the driver may emit Python warnings while executing a statement (the connection then
    # suppresses them unless asked not to); PyMySQL, psycopg and sqlite3 emit none
    driver_warns: bool = False
    widen_float32: bool = False  # fetch float32 columns cast to double (lossy text protocol)
    max_statement_bytes: int | None = None  # split bulk inserts of large values at this size
    text_holds_nul: bool = True  # text columns can store the NUL character
    # one call may send several statements without values (a declaration's DDL in one trip)
    joins_statements: bool = False

    # ---------------------------------------------------------------- connection
    @abstractmethod
    def connect(self, info: ConnectionInfo) -> Any:
        """Open and return a driver connection in autocommit mode, session configured."""

    @abstractmethod
    def execute(self, driver_conn: Any, sql: str, args: Sequence[Any] | None) -> Any:
        """Execute one statement (format paramstyle when ``args`` is not None); return cursor."""

    @abstractmethod
    def translate_error(self, exc: BaseException, sql: str = "") -> BaseException | None:
        """Map a driver exception to a DataJoint error by its code; None if untranslatable."""

    @property
    @abstractmethod
    def driver_errors(self) -> tuple[type[BaseException], ...]:
        """Base classes of the driver's exceptions (for the error boundary)."""

    def ping(self, driver_conn: Any) -> bool:
        """True when the connection is alive."""
        try:
            self.execute(driver_conn, "SELECT 1", None).fetchall()
        except Exception:
            return False
        return True

    def closes_before_fork(self, info: ConnectionInfo) -> bool:
        """Whether a connection must be closed before the process forks (reopened after)."""
        return False

    def close(self, driver_conn: Any) -> None:
        try:
            driver_conn.close()
        except Exception:
            pass

    @abstractmethod
    def connection_id(self, driver_conn: Any) -> int:
        """Server-side id of the session (0 for SQLite)."""

    def begin_sql(self) -> str:
        return "BEGIN"

    # ---------------------------------------------------------------- statement safety
    statement_guard: bool = False  # a failed statement aborts the whole transaction
    # BEGIN is sent in one round trip with the transaction's first statement (none at all for
    # a transaction without statements); where beginning takes no lock and no snapshot
    defers_begin: bool = False

    @staticmethod
    def cannot_change_data(sql: str) -> bool:
        """Whether ``sql`` cannot have changed data (a read, or the start of a transaction),
        so that it may be sent again after a lost connection (spec 08 §2.4)."""
        head = sql.lstrip(" \t\r\n(").split(None, 1)
        if not head:
            return True
        word = head[0].upper().rstrip(";")
        if word in _STATEMENTS_THAT_READ:
            return _WRITE_WORDS.search(sql) is None
        return word in _STATEMENTS_THAT_CHANGE_NOTHING

    @staticmethod
    def transaction_control(sql: str) -> str | None:
        """``"end"`` for COMMIT/ROLLBACK, ``"savepoint"`` for SAVEPOINT, RELEASE and
        ROLLBACK TO, None for any other statement."""
        words = sql.lstrip().split(None, 2)
        if not words or words[0].upper() not in _TRANSACTION_CONTROL:
            return None
        first = words[0].upper().rstrip(";")
        if first in ("SAVEPOINT", "RELEASE") or (len(words) > 1 and words[1].upper() == "TO"):
            return "savepoint"
        return "end"

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
        """Execute inside a transaction behind a statement savepoint (backends with
        ``statement_guard``): ``begin`` the transaction first (backends that
        ``defers_begin``); ``release`` the previous statement's savepoint; ``guard`` sets a
        new one before ``sql``."""
        if begin:
            self.execute(driver_conn, self.begin_sql(), None)
        return self.execute(driver_conn, sql, args)

    def recover_statement(self, driver_conn: Any, exc: BaseException, guarded: bool) -> bool:
        """After ``exc`` failed a statement inside a transaction: restore the transaction to
        before the statement and return True, or return False when the database has rolled
        back the whole transaction (it can no longer be used)."""
        return True

    def statement_reached_server(self, driver_conn: Any, begin: bool = False) -> bool:
        """After a guarded statement raised: whether it was sent (False when the driver
        refused it first, so that no savepoint changed and, with ``begin``, no transaction
        began)."""
        return True

    def transaction_open(self, driver_conn: Any) -> bool:
        """Whether the driver connection has an open transaction (True when unknown)."""
        return True

    def savepoint_sql(self, name: str, action: str) -> str:
        """``action`` = ``"set"``, ``"release"`` or ``"rollback"`` of savepoint ``name``."""
        verb = {"set": "SAVEPOINT", "release": "RELEASE SAVEPOINT"}.get(
            action, "ROLLBACK TO SAVEPOINT"
        )
        return f"{verb} {self.quote(name)}"

    def current_user_sql(self) -> str:
        return "SELECT current_user"

    # ---------------------------------------------------------------- identifiers
    quote_char = '"'

    def quote(self, name: str) -> str:
        q = self.quote_char
        return q + name.replace(q, q + q) + q

    def table_ref(self, schema: str, table: str) -> str:
        """The full table name as SQL (quoted)."""
        return f"{self.quote(schema)}.{self.quote(table)}"

    def table_identifier(self, schema: str, table: str) -> tuple[str, str | None]:
        """``(name, db)`` identifiers for a sqlglot ``Table`` node."""
        return table, schema

    @staticmethod
    def quote_string(text: str) -> str:
        """A single-quoted SQL string literal."""
        return "'" + text.replace("'", "''") + "'"

    #: a string literal as sqlglot writes it for this dialect
    string_literal = r"'(?:[^']|'')*'"

    def check_statement(self, tree: Any, sql: str) -> None:
        """Raise :class:`DataJointError` for a compiled query (its sqlglot tree and SQL) that
        the backend would answer wrongly."""
        return None

    def format_paramstyle(self, sql: str, placeholder: re.Pattern[str]) -> tuple[str, list[str]]:
        """Generated SQL with named ``placeholder`` matches → the format paramstyle.

        Each placeholder becomes ``%s`` (its name, the first non-empty group, is returned in
        order) and every other ``%`` is doubled. Text inside string literals, quoted
        identifiers and comments is user text: it is never taken for a placeholder.
        """
        return sqltext.format_paramstyle(sql, self.string_literal, placeholder)

    # ---------------------------------------------------------------- schemas
    def name_length(self, name: str) -> int:
        """The length of an identifier as the backend measures it against its limit."""
        return len(name)

    def check_schema_name(self, name: str) -> None:
        """Refuse a schema name the backend would truncate or that could not be used safely."""
        length = self.name_length(name) if isinstance(name, str) else 0
        sqltext.check_name(name, self.name, self.max_name_length, length)

    # ``query(sql, args=None)`` runs one statement through the connection, returns a cursor.
    @abstractmethod
    def create_schema(self, query: Any, schema: str) -> None: ...

    @abstractmethod
    def drop_schema(self, query: Any, schema: str) -> None:
        """Drop the schema and every table in it."""

    @abstractmethod
    def list_schemas(self, query: Any) -> list[str]: ...

    @abstractmethod
    def schema_size(self, query: Any, schema: str) -> int:
        """Bytes of data and indexes of the schema's tables."""

    @abstractmethod
    def schema_exists(self, query: Any, schema: str) -> bool: ...

    # ---------------------------------------------------------------- DDL
    @abstractmethod
    def column_type(self, attr: Attribute, schema: str) -> str:
        """The SQL column type for an attribute's declared type on this backend."""

    @abstractmethod
    def json_index_part(self, attribute: str, path: str, type_name: str | None) -> str:
        """A functional index part extracting ``path`` from the JSON ``attribute``.

        ``type_name`` is the declared DataJoint type of the extracted value (or None). Returns
        the parenthesised expression; raises :class:`DataJointError` where the backend cannot
        index expressions.
        """

    def row_in_list(
        self, columns: list[Any], attributes: list[Attribute], rows: list[list[Any]]
    ) -> Any:
        """``(a, b) IN ((1, 2), …)`` as a sqlglot node: a restriction by many composite keys.

        ``columns`` are column nodes, ``rows`` lists of values in the same order: integers
        (written inline) or value nodes.
        """
        return exp.In(this=exp.Tuple(expressions=columns), expressions=in_rows(rows))

    def json_value_sql(self, attribute: str, path: str, type_name: str | None) -> str:
        """SQL extracting ``path`` from the JSON ``attribute`` as text, or cast to the
        DataJoint type ``type_name`` (parenthesised; used by queries, spec 03 §3.3)."""
        return self.json_index_part(attribute, path, type_name)

    @staticmethod
    def json_path_text(path: str) -> str:
        """``a.b[0]`` → ``$.a.b[0]`` (the SQL/JSON path syntax of MySQL and SQLite)."""
        return path if path.startswith("$") else "$." + path

    @staticmethod
    def json_path_elements(path: str) -> list[str]:
        """``a."b c"[0]`` → ``["a", "b c", "0"]`` (PostgreSQL's path-element form)."""
        text = path[1:] if path.startswith("$") else path
        return [next(g for g in m if g) for m in _JSON_PATH_ELEMENT.findall(text)]

    def _json_type(self, type_name: str | None, schema: str = "") -> str | None:
        if type_name is None:
            return None
        spec = T.parse_type(type_name)
        return self.column_type(Attribute(name="_", type=spec), schema)

    @abstractmethod
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
        """Statements creating the table (attributes carry ``sql_type`` and stored comment).

        ``Attribute.comment`` here is the *stored* comment (marker included).
        """

    def drop_table_sql(self, schema: str, table: str) -> list[str]:
        return [f"DROP TABLE IF EXISTS {self.table_ref(schema, table)}"]

    def default_sql(self, attr: Attribute) -> str:
        """The default clause of a column (nullability included)."""
        if attr.nullable:
            return "DEFAULT NULL"
        if attr.default is None:
            return "NOT NULL"
        return f"NOT NULL DEFAULT {self.default_literal(attr)}"

    def default_literal(self, attr: Attribute) -> str:
        """The SQL literal of a declared (non-null) default."""
        text = attr.default or ""
        head = text.split("(", 1)[0].strip().upper()
        server_time = T.CURRENT_TIMESTAMP_DEFAULT.fullmatch(text.strip())
        if server_time is not None:  # the only default that is not a quoted literal
            precision = server_time.group(1)
            return f"CURRENT_TIMESTAMP({precision})" if precision else "CURRENT_TIMESTAMP"
        if head == "NULL":
            return "NULL"
        if attr.type.kind == T.BOOL and text.lower() in ("true", "false"):
            return self.bool_literal(text.lower() == "true")
        return self.quote_string(text)

    def adapt_fragment(self, tree: Any, booleans: frozenset[str] = frozenset()) -> Any:
        """A user SQL fragment's sqlglot tree (parsed as MySQL) made valid for this backend.

        ``booleans`` names the boolean columns the fragment may compare with 0 or 1.
        """
        return fragments.adapt(self.name, tree, booleans)

    def bool_literal(self, value: bool) -> str:
        return "1" if value else "0"

    # ---------------------------------------------------------------- catalog
    def classify(self, sql_type: str) -> T.TypeSpec:
        """The TypeSpec of a catalog column type that carries no type marker (native)."""
        try:
            return T.parse_type(sql_type)
        except DataJointError:
            pass
        text = sql_type.lower()
        for pattern, kind in _CATALOG_KINDS:
            if re.match(pattern, text):
                return T.TypeSpec(sql_type, kind, False, native_name=text.split("(")[0])
        return T.TypeSpec(sql_type, T.TEXT, False, native_name=text)

    @abstractmethod
    def load_catalog(
        self, query: Any, schema: str, table: str | None = None
    ) -> dict[str, TableInfo]:
        """Every table of ``schema`` (hidden ones included) in a constant number of queries;
        with ``table``, only that one (its absence gives an empty dict).

        ``query(sql, args)`` runs a statement through the connection and returns a cursor.
        """

    # ---------------------------------------------------------------- DML
    def loads_in_one_statement(
        self, attributes: Sequence[Attribute], rows: int, on_duplicate: str | None, defaults: bool
    ) -> bool:
        """Whether :meth:`insert_sql` sends ``rows`` rows of ``attributes`` as one statement
        with no limit on its parameters (a bulk load such as PostgreSQL's COPY), so that a
        bulk insert need not be cut into statements."""
        return False

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
        """A multi-row INSERT with bound values; cells equal to ``DEFAULT`` take the default.

        ``on_duplicate``: None (error), ``"skip"`` (keep existing rows) or ``"replace"``
        (update the existing row in place). ``defaults=False``: the caller knows that no cell
        is ``DEFAULT``, so the rows are bound as they are.
        """
        cols = ",".join(self.quote(c) for c in columns)
        head = f"INSERT INTO {self.table_ref(schema, table)} ({cols}) VALUES "
        tail = self.on_duplicate_sql(on_duplicate, columns, primary_key)
        if not defaults:
            marks = "(" + ",".join(["%s"] * len(columns)) + ")"
            return head + ",".join([marks] * len(rows)) + tail, list(chain.from_iterable(rows))
        params: list[Any] = []
        row_sql = []
        for row in rows:
            cells = []
            for value, attr in zip(row, attributes, strict=True):
                if value is DEFAULT:
                    cells.append(self.default_cell(attr))
                else:
                    cells.append("%s")
                    params.append(value)
            row_sql.append("(" + ",".join(cells) + ")")
        return head + ",".join(row_sql) + tail, params

    def default_cell(self, attr: Attribute) -> str:
        return "DEFAULT"

    def fetch_sql(self, sql: str, attributes: Iterable[Attribute]) -> str:
        """The SELECT ``sql`` of ``attributes`` as this backend wants to run it (a backend may
        mark it to be sent differently, e.g. with binary results)."""
        return sql

    def update_sql(
        self,
        schema: str,
        table: str,
        values: Sequence[tuple[Attribute, Any]],
        key: Sequence[tuple[str, Any]],
    ) -> tuple[str, list[Any]]:
        """``UPDATE … SET`` of ``values`` (``DEFAULT`` cells take the column default) for the
        row whose primary key equals ``key``."""
        params: list[Any] = []
        sets = []
        for attr, value in values:
            if value is DEFAULT:
                sets.append(f"{self.quote(attr.name)} = {self.default_cell(attr)}")
            else:
                sets.append(f"{self.quote(attr.name)} = %s")
                params.append(value)
        where = []
        for name, value in key:
            where.append(f"{self.quote(name)} = %s")
            params.append(value)
        sql = (
            f"UPDATE {self.table_ref(schema, table)} SET {', '.join(sets)} "
            f"WHERE {' AND '.join(where)}"
        )
        return sql, params

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
        """``INSERT INTO t (columns) <select_sql>`` with the duplicate handling of
        :meth:`insert_sql`; ``defaults``: attributes a replaced row resets to their default."""
        cols = ",".join(self.quote(c) for c in columns)
        sql = f"INSERT INTO {self.table_ref(schema, table)} ({cols}) {select_sql}"
        return sql + self.on_duplicate_sql(on_duplicate, columns, primary_key, defaults)

    def alter_table_sql(
        self,
        schema: str,
        table: str,
        changes: Sequence[AlterChange],
        comment: str | None = None,
    ) -> list[str]:
        """Statements applying ``changes`` to secondary attributes (and the table comment).

        Attributes carry ``sql_type`` and their *stored* comment, as in
        :meth:`create_table_sql`. Raises :class:`DataJointError` for what the backend cannot do.
        """
        raise DataJointError(f"alter() is not supported on the {self.name} backend.")

    def drop_unused_types_sql(self, schema: str) -> list[str]:
        """Statements removing types of ``schema`` that no column uses any more (after a drop)."""
        return []

    def referencing_schemas(self, query: Any, schema: str) -> list[str]:
        """Other schemas holding tables with foreign keys into ``schema`` (that this user sees)."""
        return []

    def insert_default_row_sql(self, schema: str, table: str) -> str:
        return f"INSERT INTO {self.table_ref(schema, table)} DEFAULT VALUES"

    def on_duplicate_sql(
        self,
        mode: str | None,
        columns: Sequence[str],
        primary_key: Sequence[str],
        defaults: Sequence[Attribute] = (),
    ) -> str:
        """``ON CONFLICT`` clause (PostgreSQL and SQLite syntax)."""
        if mode is None:
            return ""
        target = "(" + ",".join(self.quote(c) for c in primary_key) + ")"
        sets = [
            f"{self.quote(c)}=excluded.{self.quote(c)}" for c in columns if c not in primary_key
        ]
        if mode == "replace":
            sets += [f"{self.quote(a.name)}={self.default_cell(a)}" for a in defaults]
        if mode == "skip" or not sets:
            return f" ON CONFLICT {target} DO NOTHING"
        return f" ON CONFLICT {target} DO UPDATE SET {','.join(sets)}"

    # ---------------------------------------------------------------- values
    def to_driver(self, attr: Attribute, value: Any) -> Any:
        """Convert a normalized Python value of a core kind into what the driver stores.

        Inputs by kind: INT int, FLOAT float, DECIMAL Decimal, BOOL bool, UUID uuid.UUID,
        JSON str (already serialized), BYTES bytes, DATE date, DATETIME datetime,
        strings str. Default: unchanged.
        """
        return value

    #: kinds whose normalized values this backend's :meth:`to_driver` leaves unchanged
    driver_passthrough: frozenset[str] = frozenset()

    def to_driver_column(self, attr: Attribute, values: list[Any]) -> list[Any]:
        """:meth:`to_driver` of every value of one column (normalized, no defaults), without a
        call per value where the backend stores the values as they are."""
        if attr.type.kind in self.driver_passthrough:
            return values
        return [self.to_driver(attr, v) for v in values]

    def to_driver_plain_column(self, attr: Attribute, values: list[Any]) -> list[Any]:
        """:meth:`to_driver_column` of a column whose values are already of its kind's Python
        type (``types.is_plain_column``), which a backend may use to skip its own checks."""
        return self.to_driver_column(attr, values)

    #: kinds whose fetched values the driver already gives as the Python values of spec 02
    decoded_kinds: frozenset[str] = frozenset()

    def fetched_as_is(self, attr: Attribute) -> bool:
        """Whether :meth:`from_driver` returns a column of ``attr`` unchanged (then a fetch
        need not touch its values)."""
        spec = attr.type
        if spec.kind == T.FLOAT and spec.bits == 32:
            return False  # float32 and the native float read as their shortest decimal
        return spec.kind in self.decoded_kinds

    def from_driver(self, attr: Attribute, values: list[Any]) -> list[Any]:
        """Convert one fetched column (non-NULL values and None) to the Python types of spec 02."""
        if self.fetched_as_is(attr):
            return values
        kind = attr.type.kind
        if kind == T.FLOAT and attr.type.bits == 32:  # float32 and the native float
            return shortest_float32_column(values)
        conv = COMMON_DECODERS.get(kind)
        if conv is None:
            return values
        return [None if v is None else conv(v) for v in values]


_CATALOG_KINDS = [
    (r"^(smallint|integer|bigint|int\d?|tinyint|mediumint)\b", T.INT),
    (r"^(real|double|float)", T.FLOAT),
    (r"^(numeric|decimal)", T.DECIMAL),
    (r"^bool", T.BOOL),
    (r"^uuid$", T.UUID),
    (r"^jsonb?$", T.JSON),
    (r"^(bytea|blob|\w*blob|binary|varbinary)", T.BYTES),
    (r"^date$", T.DATE),
    (r"^(timestamp|datetime)", T.DATETIME),
    (r"^time\b", T.TIME),
    (r"^(character varying|varchar)", T.VARCHAR),
    (r"^(character|char|bpchar)", T.CHAR),
    (r"^enum", T.ENUM),
]

_STATEMENTS_THAT_READ = frozenset(
    {"SELECT", "SHOW", "DESCRIBE", "DESC", "EXPLAIN", "WITH", "VALUES"}
)
_STATEMENTS_THAT_CHANGE_NOTHING = frozenset({"BEGIN", "START", "PRAGMA"})
_WRITE_WORDS = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE|INTO)\b", re.I)
_TRANSACTION_CONTROL = frozenset(
    {"SAVEPOINT", "RELEASE", "ROLLBACK", "ROLLBACK;", "COMMIT", "COMMIT;", "END"}
)
_JSON_PATH_ELEMENT = re.compile(r'\.?"([^"]*)"|\.?([A-Za-z_]\w*)|\[(\d+)\]')
