"""PostgresBackend against a real server: connection, DDL, catalog, DML, errors, values.

Uses the throwaway schema ``djtest_adapter_pg`` (dropped at the end). The server comes from
``DJ_TEST_PG_HOST``/``_PORT``/``_USER``/``_PASSWORD`` (default postgres@127.0.0.1:5432); an
unreachable server skips these tests (fails them when ``CI`` is set).
"""

from __future__ import annotations

import datetime
import decimal
import json
import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import psycopg
import pytest

from datajoint import errors
from datajoint.backends import tls
from datajoint.backends.base import DEFAULT, ColumnInfo, ConnectionInfo, TableInfo
from datajoint.backends.postgres import PostgresBackend, enum_type_name
from datajoint.heading import Attribute, ForeignKey, Index
from datajoint.types import parse_type

pytestmark = pytest.mark.server

SCHEMA = "djtest_adapter_pg"
SERVER = {
    "host": os.environ.get("DJ_TEST_PG_HOST", "127.0.0.1"),
    "port": int(os.environ.get("DJ_TEST_PG_PORT", "5432")),
    "user": os.environ.get("DJ_TEST_PG_USER", "postgres"),
    "password": os.environ.get("DJ_TEST_PG_PASSWORD", "") or None,
}

Query = Callable[..., Any]


def info(use_tls: Any = False) -> ConnectionInfo:
    return ConnectionInfo(use_tls=use_tls, **SERVER)


def make_query(backend: PostgresBackend, conn: Any, calls: list[str] | None = None) -> Query:
    """``query(sql, args=None)`` with the backend's error translation applied."""

    def query(sql: str, args: Any = None) -> Any:
        if calls is not None:
            calls.append(sql)
        try:
            return backend.execute(conn, sql, args)
        except backend.driver_errors as exc:
            translated = backend.translate_error(exc, sql)
            if translated is None:
                raise
            raise translated from exc

    return query


@pytest.fixture(scope="module")
def backend() -> PostgresBackend:
    return PostgresBackend()


@pytest.fixture(scope="module")
def conn(backend: PostgresBackend) -> Any:
    try:
        c = backend.connect(info())
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL server unreachable: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    yield c
    backend.close(c)


@pytest.fixture(scope="module")
def query(backend: PostgresBackend, conn: Any) -> Query:
    return make_query(backend, conn)


@pytest.fixture(scope="module")
def schema(backend: PostgresBackend, query: Query) -> str:
    backend.drop_schema(query, SCHEMA)
    backend.create_schema(query, SCHEMA)
    yield SCHEMA
    backend.drop_schema(query, SCHEMA)


def make_attr(
    backend: PostgresBackend, name: str, type_text: str, comment: str = "", **kw: Any
) -> Attribute:
    """A new attribute as the declaration passes it (sql_type, stored comment)."""
    a = Attribute(name=name, type=parse_type(type_text), **kw)
    a = replace(a, sql_type=backend.column_type(a, SCHEMA))
    return replace(a, comment=f":{a.type.declared}:{comment}" if a.type.core else comment)


def inherit(column: ColumnInfo, in_key: bool, nullable: bool = False) -> Attribute:
    """A child attribute copied from a parent catalog column (spec 01 §4.3)."""
    declared = column.comment.split(":")[1]
    return Attribute(
        name=column.name,
        type=parse_type(declared),
        sql_type=column.sql_type,
        in_key=in_key,
        nullable=nullable,
        comment=column.comment,
    )


def create(
    backend: PostgresBackend,
    query: Query,
    table: str,
    attributes: list[Attribute],
    pk: list[str],
    fks: tuple[ForeignKey, ...] = (),
    indexes: tuple[Index, ...] = (),
    comment: str = "",
) -> list[str]:
    statements = backend.create_table_sql(
        SCHEMA, table, attributes, pk, list(fks), list(indexes), comment
    )
    for sql in statements:
        query(sql)
    return statements


def column(info: TableInfo, name: str) -> ColumnInfo:
    return next(c for c in info.columns if c.name == name)


# ---------------------------------------------------------------------------- connection
def test_tls_none_falls_back(backend: PostgresBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    # the server is on loopback, where use_tls=None does not try TLS: treat it as remote
    monkeypatch.setattr(tls, "is_local", lambda host: False)
    monkeypatch.setattr(tls, "_REFUSED", set())
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    log = logging.getLogger("datajoint")
    log.addHandler(handler)
    try:
        c = backend.connect(info(use_tls=None))
    finally:
        log.removeHandler(handler)
    try:
        q = make_query(backend, c)
        assert q("SELECT current_database()").fetchone()[0] == "postgres"
        ssl_on = q("SHOW ssl").fetchone()[0] == "on"
        warned = [r for r in records if r.levelno == logging.WARNING]
        if not ssl_on:
            assert warned
            assert "Falling back to non-SSL connection" in warned[0].getMessage()
            with pytest.raises(psycopg.OperationalError):  # untranslated
                backend.connect(info(use_tls=True))
    finally:
        backend.close(c)


def test_session_basics(backend: PostgresBackend, conn: Any, query: Query) -> None:
    assert conn.autocommit
    assert backend.connection_id(conn) == conn.info.backend_pid
    assert backend.ping(conn)
    assert query(backend.current_user_sql()).fetchone()[0] == SERVER["user"]
    assert query("SELECT '100%%', %s", ("x",)).fetchone() == ("100%", "x")
    assert query("SELECT '100%%'").fetchone() == ("100%%",)
    assert query("SELECT %s::int + %s", (1, 2)).fetchone() == (3,)


def test_schemas(backend: PostgresBackend, query: Query, schema: str) -> None:
    assert backend.schema_exists(query, schema)
    names = backend.list_schemas(query)
    assert schema in names
    assert not {"pg_catalog", "information_schema"} & set(names)
    assert not any(n.startswith(("pg_toast", "pg_temp_")) for n in names)
    backend.create_schema(query, schema)  # idempotent
    backend.create_schema(query, "djtest_adapter_pg_tmp")
    backend.drop_schema(query, "djtest_adapter_pg_tmp")
    assert not backend.schema_exists(query, "djtest_adapter_pg_tmp")


# ---------------------------------------------------------------------------- DDL + catalog
@pytest.fixture(scope="module")
def tables(backend: PostgresBackend, query: Query, schema: str) -> dict[str, TableInfo]:
    """subject, #experimenter, session (FKs + indexes), ~log, counter (auto_increment)."""
    b = backend
    subject = [
        make_attr(b, "subject_id", "int32", "subject number", in_key=True),
        make_attr(b, "sex", "enum('M', 'F', 'U')", default="U"),
        make_attr(b, "name", "varchar(30)", "full name", default="it's"),
        make_attr(b, "weight", "decimal(5, 2)", nullable=True),
        make_attr(b, "alive", "bool", default="true"),
        make_attr(b, "litter", "uint8", default="0"),
        make_attr(b, "created", "datetime", default="CURRENT_TIMESTAMP"),
        make_attr(b, "created3", "datetime(3)", default="current_timestamp(3)"),
        make_attr(b, "doc", "json", nullable=True),
        make_attr(b, "token", "uuid", nullable=True),
        make_attr(b, "size", "tinyint unsigned", "native", default="1"),
    ]
    statements = create(
        b,
        query,
        "subject",
        subject,
        ["subject_id"],
        indexes=(Index(("name",), True),),
        comment="Experimental subjects",
    )
    for sql in statements:  # declaring again is harmless
        query(sql)
    create(
        b,
        query,
        "#experimenter",
        [make_attr(b, "experimenter", "varchar(32)", in_key=True)],
        ["experimenter"],
    )
    cat = b.load_catalog(query, schema)
    session = [
        inherit(column(cat["subject"], "subject_id"), True),
        make_attr(b, "session_idx", "int16", "session number", in_key=True),
        make_attr(b, "session_date", "date"),
        make_attr(b, "notes", "varchar(100)", default=""),
        inherit(column(cat["#experimenter"], "experimenter"), False, nullable=True),
        inherit(column(cat["subject"], "sex"), False, nullable=True),
    ]
    fks = (
        ForeignKey(("subject_id",), (SCHEMA, "subject"), ("subject_id",)),
        ForeignKey(("experimenter",), (SCHEMA, "#experimenter"), ("experimenter",)),
    )
    create(
        b,
        query,
        "session",
        session,
        ["subject_id", "session_idx"],
        fks,
        (Index(("session_date",)),),
        "Recording sessions",
    )
    create(b, query, "~log", [make_attr(b, "msg", "varchar(255)", in_key=True)], ["msg"])
    counter = [
        make_attr(b, "id", "int auto_increment", in_key=True, autoincrement=True),
        make_attr(b, "label", "varchar(10)", default="x"),
    ]
    create(b, query, "counter", counter, ["id"])
    return b.load_catalog(query, schema)


def test_catalog_tables(tables: dict[str, TableInfo]) -> None:
    assert {"subject", "#experimenter", "session", "~log", "counter"} <= set(tables)
    assert tables["subject"].comment == "Experimental subjects"
    assert tables["session"].comment == "Recording sessions"
    assert tables["~log"].comment == ""


def test_catalog_columns(tables: dict[str, TableInfo]) -> None:
    subject = tables["subject"]
    enum_ref = f'"{SCHEMA}"."{enum_type_name(("M", "F", "U"))}"'
    expected = {
        # name: (sql_type, nullable, default, comment)
        "subject_id": ("integer", False, None, ":int32:subject number"),
        "sex": (enum_ref, False, "U", ":enum('M', 'F', 'U'):"),
        "name": ("character varying(30)", False, "it's", ":varchar(30):full name"),
        "weight": ("numeric(5,2)", True, None, ":decimal(5, 2):"),
        "alive": ("boolean", False, "true", ":bool:"),
        "litter": ("smallint", False, "0", ":uint8:"),
        "created": ("timestamp(0) without time zone", False, "CURRENT_TIMESTAMP", ":datetime:"),
        "created3": (
            "timestamp(3) without time zone",
            False,
            "CURRENT_TIMESTAMP(3)",
            ":datetime(3):",
        ),
        "doc": ("jsonb", True, None, ":json:"),
        "token": ("uuid", True, None, ":uuid:"),
        "size": ("smallint", False, "1", ":tinyint unsigned:native"),
    }
    got = {c.name: (c.sql_type, c.nullable, c.default, c.comment) for c in subject.columns}
    assert got == expected
    assert [c.name for c in subject.columns] == list(expected)
    assert not any(c.autoincrement for c in subject.columns)
    assert column(tables["counter"], "id").autoincrement
    assert column(tables["counter"], "id").default is None


def test_catalog_keys_and_indexes(tables: dict[str, TableInfo]) -> None:
    subject, session = tables["subject"], tables["session"]
    assert subject.primary_key == ["subject_id"]
    assert [(ix.parts, ix.unique) for ix in subject.indexes] == [(("name",), True)]
    assert session.primary_key == ["subject_id", "session_idx"]
    assert session.foreign_keys == [
        ForeignKey(("subject_id",), (SCHEMA, "subject"), ("subject_id",)),
        ForeignKey(("experimenter",), (SCHEMA, "#experimenter"), ("experimenter",)),
    ]
    # the FK support index on (experimenter) exists but is not reported
    assert [(ix.parts, ix.unique) for ix in session.indexes] == [(("session_date",), False)]
    inherited = column(session, "sex")
    assert inherited.sql_type == column(subject, "sex").sql_type
    assert inherited.comment == column(subject, "sex").comment
    assert column(session, "experimenter").nullable


def test_fk_support_index_exists(query: Query, tables: dict[str, TableInfo]) -> None:
    rows = query(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = %s AND tablename = %s",
        (SCHEMA, "session"),
    ).fetchall()
    defs = [r[0] for r in rows]
    assert any(d.endswith("(experimenter)") for d in defs)
    assert not any(d.endswith("(subject_id)") for d in defs)  # left prefix of the PK


def test_expression_index_round_trip(
    backend: PostgresBackend, query: Query, tables: dict[str, TableInfo]
) -> None:
    attrs = [make_attr(backend, "k", "int32", in_key=True), make_attr(backend, "s", "varchar(9)")]
    create(backend, query, "expr", attrs, ["k"], indexes=(Index(("(lower(s))", "k")),))
    info = backend.load_catalog(query, SCHEMA)["expr"]
    (index,) = info.indexes
    assert index.parts[0].startswith("(") and "lower" in index.parts[0]
    assert index.parts[1] == "k"


def test_catalog_constant_queries(
    backend: PostgresBackend, conn: Any, query: Query, tables: dict[str, TableInfo]
) -> None:
    b = backend
    previous: list[str] = []
    for i in range(30):
        attrs = [make_attr(b, f"k{i}", "int32", in_key=True)]
        fks: tuple[ForeignKey, ...] = ()
        if previous:
            attrs.append(make_attr(b, previous[0], "int32"))
            fks = (ForeignKey((previous[0],), (SCHEMA, previous[1]), (previous[0],)),)
        create(
            b,
            query,
            f"many_{i:02d}",
            attrs,
            [f"k{i}"],
            fks,
            (Index((f"k{i}",), unique=bool(i % 2)),),
            f"table {i}",
        )
        previous = [f"k{i}", f"many_{i:02d}"]
    calls: list[str] = []
    catalog = b.load_catalog(make_query(b, conn, calls), SCHEMA)
    assert len(calls) <= 5
    many = [name for name in catalog if name.startswith("many_")]
    assert len(many) == 30
    assert catalog["many_29"].foreign_keys == [ForeignKey(("k28",), (SCHEMA, "many_28"), ("k28",))]
    assert catalog["many_29"].comment == "table 29"


# ---------------------------------------------------------------------------- DML + errors
def test_insert_defaults_and_conflicts(
    backend: PostgresBackend, query: Query, tables: dict[str, TableInfo]
) -> None:
    b = backend
    names = ["subject_id", "sex", "name", "alive", "litter"]
    attrs = [
        make_attr(b, "subject_id", "int32", in_key=True),
        make_attr(b, "sex", "enum('M', 'F', 'U')", default="U"),
        make_attr(b, "name", "varchar(30)", default="it's"),
        make_attr(b, "alive", "bool", default="true"),
        make_attr(b, "litter", "uint8", default="0"),
    ]
    rows = [(1, "M", "ann", False, 3), (2, DEFAULT, DEFAULT, DEFAULT, DEFAULT)]
    rows = [
        tuple(v if v is DEFAULT else b.to_driver(a, v) for v, a in zip(r, attrs, strict=True))
        for r in rows
    ]
    sql, params = b.insert_sql(SCHEMA, "subject", names, rows, attrs)
    query(sql, params)
    got = query(
        f'SELECT subject_id, sex, name, alive, litter, created, "size" FROM '
        f"{b.table_ref(SCHEMA, 'subject')} ORDER BY subject_id"
    ).fetchall()
    assert [r[:5] for r in got] == [(1, "M", "ann", False, 3), (2, "U", "it's", True, 0)]
    assert isinstance(got[1][5], datetime.datetime) and got[1][6] == 1

    # duplicate primary key
    sql, params = b.insert_sql(
        SCHEMA, "subject", ["subject_id", "name"], [(1, "bob")], attrs[0:3:2]
    )
    with pytest.raises(errors.DuplicateError):
        query(sql, params)
    # skip keeps the existing row
    sql, params = b.insert_sql(
        SCHEMA,
        "subject",
        ["subject_id", "name"],
        [(1, "bob"), (3, "cy")],
        attrs[0:3:2],
        on_duplicate="skip",
        primary_key=["subject_id"],
    )
    query(sql, params)
    rows = query(f"SELECT subject_id, name FROM {b.table_ref(SCHEMA, 'subject')} ORDER BY 1")
    assert rows.fetchall() == [(1, "ann"), (2, "it's"), (3, "cy")]
    # a secondary unique index still raises with skip
    sql, params = b.insert_sql(
        SCHEMA,
        "subject",
        ["subject_id", "name"],
        [(4, "ann")],
        attrs[0:3:2],
        on_duplicate="skip",
        primary_key=["subject_id"],
    )
    with pytest.raises(errors.DuplicateError):
        query(sql, params)
    # replace updates in place
    sql, params = b.insert_sql(
        SCHEMA,
        "subject",
        ["subject_id", "name"],
        [(1, "bob")],
        attrs[0:3:2],
        on_duplicate="replace",
        primary_key=["subject_id"],
    )
    query(sql, params)
    name = query(f"SELECT name FROM {b.table_ref(SCHEMA, 'subject')} WHERE subject_id = %s", (1,))
    assert name.fetchone() == ("bob",)

    session_cols = ["subject_id", "session_idx", "session_date"]
    session_attrs = [
        make_attr(b, "subject_id", "int32"),
        make_attr(b, "session_idx", "int16"),
        make_attr(b, "session_date", "date"),
    ]
    # foreign-key violation
    sql, params = b.insert_sql(
        SCHEMA, "session", session_cols, [(99, 1, datetime.date(2024, 1, 1))], session_attrs
    )
    with pytest.raises(errors.IntegrityError):
        query(sql, params)
    # NOT NULL without default
    sql, params = b.insert_sql(SCHEMA, "session", session_cols, [(1, 1, DEFAULT)], session_attrs)
    with pytest.raises(errors.MissingAttributeError):
        query(sql, params)
    # range check of uint8 is enforced by the database (CHECK violation -> ValueConversionError)
    sql, params = b.insert_sql(
        SCHEMA, "subject", ["subject_id", "litter"], [(7, 256)], [attrs[0], attrs[4]]
    )
    with pytest.raises(errors.ValueConversionError):
        query(sql, params)
    # auto-increment and an all-default row
    query(b.insert_default_row_sql(SCHEMA, "counter"))
    query(b.insert_default_row_sql(SCHEMA, "counter"))
    ids = query(f"SELECT id, label FROM {b.table_ref(SCHEMA, 'counter')} ORDER BY id").fetchall()
    assert ids == [(1, "x"), (2, "x")]


def test_other_errors(backend: PostgresBackend, query: Query, schema: str) -> None:
    with pytest.raises(errors.MissingTableError):
        query(f'SELECT * FROM "{schema}"."no_such_table"')
    with pytest.raises(errors.UnknownAttributeError):
        query("SELECT no_such_column FROM pg_namespace")
    with pytest.raises(errors.QuerySyntaxError):
        query("SELEC 1")


def test_failed_statement_in_transaction(
    backend: PostgresBackend, query: Query, tables: dict[str, TableInfo]
) -> None:
    query(backend.begin_sql())
    with pytest.raises(errors.MissingTableError):
        query(f'SELECT * FROM "{SCHEMA}"."nope"')
    query("ROLLBACK")
    assert query("SELECT 1").fetchone() == (1,)


def test_lost_connection(backend: PostgresBackend) -> None:
    c = backend.connect(info())
    backend.close(c)
    assert not backend.ping(c)
    with pytest.raises(errors.LostConnectionError):
        make_query(backend, c)("SELECT 1")


# ---------------------------------------------------------------------------- values
ROUND_TRIP = [
    ("i8", "int8", [-128, 127]),
    ("i16", "int16", [-32768, 32767]),
    ("i32", "int32", [-(2**31), 2**31 - 1]),
    ("i64", "int64", [-(2**63), 2**63 - 1]),
    ("u8", "uint8", [0, 255]),
    ("u16", "uint16", [0, 65535]),
    ("u32", "uint32", [0, 2**32 - 1]),
    ("u64", "uint64", [0, 2**64 - 1]),
    ("f32", "float32", [0.5, -1.25]),
    ("f64", "float64", [3.141592653589793, -1e300]),
    ("b", "bool", [True, False]),
    ("u", "uuid", [uuid.UUID(int=0), uuid.uuid4()]),
    ("j", "json", [{"a": [1, 2], "b": None}, "abc"]),
    ("j2", "json", [[1, "x", True], 3.5]),
    ("by", "bytes", [b"\x00\x01'\\%s", b""]),
    ("d", "date", [datetime.date(2024, 1, 2), datetime.date(1900, 12, 31)]),
    ("dt", "datetime", [datetime.datetime(2024, 1, 2, 3, 4, 5), datetime.datetime(2000, 1, 1)]),
    (
        "dt3",
        "datetime(3)",
        [datetime.datetime(2024, 1, 2, 3, 4, 5, 123000), datetime.datetime(1999, 1, 1)],
    ),
    ("c", "char(4)", ["ab", "abcd"]),
    ("vc", "varchar(20)", ["it's 100%", ""]),
    ("e", "enum('low', 'high')", ["high", "low"]),
    ("dec", "decimal(7, 3)", [decimal.Decimal("1234.567"), decimal.Decimal("-0.001")]),
    ("tm", "time", [datetime.timedelta(hours=1, minutes=2, seconds=3), datetime.timedelta(0)]),
    ("ts", "timestamp", [datetime.datetime(2024, 5, 6, 7, 8, 9), datetime.datetime(2001, 1, 1)]),
    ("yr", "year", [2024, 1999]),
    ("ti", "tinyint unsigned", [255, 0]),
    ("db", "double", [2.5, -0.0]),
    ("tx", "longtext", ["long text", "x" * 1000]),
]


def test_round_trip(backend: PostgresBackend, query: Query, tables: dict[str, TableInfo]) -> None:
    b = backend
    attrs = [make_attr(b, "id", "int32", in_key=True)]
    attrs += [make_attr(b, name, type_text, nullable=True) for name, type_text, _ in ROUND_TRIP]
    create(b, query, "values", attrs, ["id"])
    names = [a.name for a in attrs]
    rows = []
    for i in range(2):
        row = [i]
        for a, (_, type_text, values) in zip(attrs[1:], ROUND_TRIP, strict=True):
            value = values[i]
            if type_text == "json":
                value = json.dumps(value)
            row.append(b.to_driver(a, value))
        rows.append(tuple(row))
    rows.append((2, *[DEFAULT] * len(ROUND_TRIP)))
    sql, params = b.insert_sql(SCHEMA, "values", names, rows, attrs)
    query(sql, params)
    cols = ", ".join(b.quote(n) for n in names)
    fetched = query(f"SELECT {cols} FROM {b.table_ref(SCHEMA, 'values')} ORDER BY id").fetchall()
    columns = list(zip(*fetched, strict=True))
    for a, raw, (name, _, expected) in zip(attrs[1:], columns[1:], ROUND_TRIP, strict=True):
        decoded = b.from_driver(a, list(raw))
        assert decoded[2] is None, name
        for got, want in zip(decoded[:2], expected, strict=True):
            assert got == want, (name, got, want)
            assert type(got) is type(want), (name, type(got), type(want))
    # restrictions bind the converted values
    u_attr = attrs[names.index("u")]
    sql = f'SELECT id FROM {b.table_ref(SCHEMA, "values")} WHERE "u" = %s AND "tm" = %s'
    tm_attr = attrs[names.index("tm")]
    args = (b.to_driver(u_attr, uuid.UUID(int=0)), b.to_driver(tm_attr, ROUND_TRIP[22][2][0]))
    assert query(sql, args).fetchall() == [(0,)]
