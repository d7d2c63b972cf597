"""MySQLBackend against a real MySQL/MariaDB server (adapter level, no Connection class)."""

from __future__ import annotations

import datetime
import decimal
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest

pymysql = pytest.importorskip("pymysql")

from datajoint import errors  # noqa: E402
from datajoint.backends import tls  # noqa: E402
from datajoint.backends.base import DEFAULT, ConnectionInfo  # noqa: E402
from datajoint.backends.mysql import MySQLBackend  # noqa: E402
from datajoint.heading import Attribute, ForeignKey, Index  # noqa: E402
from datajoint.types import parse_type  # noqa: E402

pytestmark = pytest.mark.server

DB = "djtest_adapter_mysql"
MANY = "djtest_adapter_mysql_many"
INFO = ConnectionInfo(
    host=os.environ.get("DJ_TEST_MYSQL_HOST", "127.0.0.1"),
    port=int(os.environ.get("DJ_TEST_MYSQL_PORT", "3306")),
    user=os.environ.get("DJ_TEST_MYSQL_USER", "root"),
    password=os.environ.get("DJ_TEST_MYSQL_PASSWORD", ""),
    use_tls=False,
)

Query = Callable[..., Any]


def make_query(backend: MySQLBackend, conn: Any) -> Query:
    """``query(sql, args=None)`` through the backend with error translation."""

    def query(sql: str, args: Any = None) -> Any:
        try:
            return backend.execute(conn, sql, args)
        except backend.driver_errors as exc:
            translated = backend.translate_error(exc, sql)
            if translated is None:
                raise
            raise translated from exc

    return query


def open_backend(**changes: Any) -> tuple[MySQLBackend, Any]:
    backend = MySQLBackend()
    try:
        conn = backend.connect(replace(INFO, **changes))
    except pymysql.err.OperationalError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"MySQL server unreachable: {exc}")
        pytest.skip(f"MySQL server unreachable: {exc}")
    return backend, conn


@pytest.fixture(scope="module")
def adapter() -> Iterator[tuple[MySQLBackend, Any, Query]]:
    backend, conn = open_backend()
    query = make_query(backend, conn)
    for db in (DB, MANY):
        backend.drop_schema(query, db)
    backend.create_schema(query, DB)
    yield backend, conn, query
    for db in (DB, MANY):
        backend.drop_schema(query, db)
    backend.close(conn)


def a(name: str, declared: str, backend: MySQLBackend, **kw: Any) -> Attribute:
    """A new attribute with its stored comment (marker for core types) and SQL type."""
    spec = parse_type(declared)
    comment = kw.pop("comment", "")
    stored = f":{spec.declared}:{comment}" if spec.core else comment
    attr = Attribute(name=name, type=spec, comment=stored, **kw)
    return replace(attr, sql_type=backend.column_type(attr, DB))


def parent_attributes(b: MySQLBackend) -> list[Attribute]:
    return [
        a("pid", "int32", b, in_key=True, comment="parent id"),
        a("name", "varchar(32)", b, default="it's \\ x", comment="a 'quoted' name"),
        a("sex", "enum('M','F')", b, default="M"),
        a("weight", "decimal(5,2)", b, nullable=True),
        a("flag", "bool", b, default="true"),
        a("created", "datetime(3)", b, default="CURRENT_TIMESTAMP(3)"),
        a("uid", "uuid", b),
        a("data", "json", b, nullable=True),
        a("count", "int unsigned", b, default="7", comment="native"),
    ]


def create(backend: MySQLBackend, query: Query, table: str, *args: Any) -> None:
    for sql in backend.create_table_sql(DB, table, *args):
        query(sql)


@pytest.fixture(scope="module")
def tables(adapter: tuple[MySQLBackend, Any, Query]) -> dict[str, list[Attribute]]:
    backend, _, query = adapter
    parent = parent_attributes(backend)
    create(backend, query, "parent", parent, ["pid"], [], [], "The parent's table")
    catalog = backend.load_catalog(query, DB)
    pid_type = next(c.sql_type for c in catalog["parent"].columns if c.name == "pid")
    inherited = Attribute(
        "pid", parse_type("int32"), pid_type, in_key=True, comment=":int32:parent id"
    )
    other = replace(inherited, name="other", in_key=False, nullable=True)
    child = [
        inherited,
        a("cid", "int16", backend, in_key=True),
        a("label", "varchar(16)", backend),
        a("score", "float64", backend, nullable=True),
        other,
    ]
    create(
        backend,
        query,
        "child",
        child,
        ["pid", "cid"],
        [
            ForeignKey(("pid",), (DB, "parent"), ("pid",)),
            ForeignKey(("other",), (DB, "parent"), ("pid",)),
        ],
        [Index(("score",)), Index(("label",), unique=True), Index(("label", "score"))],
        "",
    )
    counter = [
        replace(
            a("id", "int auto_increment", backend, in_key=True),
            autoincrement=True,
        ),
        a("note", "varchar(8)", backend, default=""),
    ]
    create(backend, query, "~counter", counter, ["id"], [], [], "hidden")
    return {"parent": parent, "child": child, "~counter": counter}


def test_connect_settings(adapter: tuple[MySQLBackend, Any, Query]) -> None:
    backend, conn, query = adapter
    mode = query("SELECT @@SESSION.sql_mode").fetchone()[0].split(",")
    for flag in ("STRICT_ALL_TABLES", "ONLY_FULL_GROUP_BY", "NO_ZERO_DATE"):
        assert flag in mode
    assert query("SELECT @@autocommit").fetchone()[0] == 1
    assert backend.connection_id(conn) == query("SELECT CONNECTION_ID()").fetchone()[0] > 0
    assert "@" in query(backend.current_user_sql()).fetchone()[0]
    assert backend.ping(conn)
    # format paramstyle only when args are given
    assert query("SELECT '100%'").fetchone()[0] == "100%"
    assert query("SELECT '100%%', %s", ("x",)).fetchone() == ("100%", "x")


def test_connect_tls_fallback(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the server is on loopback, where use_tls=None does not try TLS: treat it as remote
    monkeypatch.setattr(tls, "is_local", lambda host: False)
    monkeypatch.setattr(tls, "_REFUSED", set())
    with caplog.at_level(logging.WARNING):
        backend, conn = open_backend(use_tls=None, charset="", init_command="SET @dj_init = 1")
    try:
        query = make_query(backend, conn)
        assert query("SELECT @dj_init").fetchone()[0] == 1
        assert query("SELECT @@character_set_client").fetchone()[0] == "utf8mb4"
        cipher = query("SHOW SESSION STATUS LIKE 'Ssl_cipher'").fetchone()[1]
    finally:
        backend.close(conn)
    if not cipher:  # server without TLS: the fallback warning was logged
        assert "SSL connection failed (" in caplog.text
        assert (
            "). Falling back to non-SSL connection. To require SSL, set use_tls=True explicitly."
            in caplog.text
        )
        with pytest.raises(pymysql.err.OperationalError):  # required TLS: untranslated error
            MySQLBackend().connect(replace(INFO, use_tls=True))


def test_lost_connection() -> None:
    backend, conn = open_backend()
    query = make_query(backend, conn)
    backend.close(conn)
    assert not backend.ping(conn)
    with pytest.raises(errors.LostConnectionError):
        query("SELECT 1")


def test_schemas(adapter: tuple[MySQLBackend, Any, Query]) -> None:
    backend, _, query = adapter
    names = backend.list_schemas(query)
    assert DB in names
    assert not {"information_schema", "mysql", "performance_schema", "sys"} & set(names)
    assert backend.schema_exists(query, DB)
    assert not backend.schema_exists(query, DB + "_nope")


def test_catalog(
    adapter: tuple[MySQLBackend, Any, Query], tables: dict[str, list[Attribute]]
) -> None:
    backend, _, query = adapter
    catalog = backend.load_catalog(query, DB)
    assert set(catalog) == {"parent", "child", "~counter"}
    parent = catalog["parent"]
    assert parent.comment == "The parent's table"
    assert parent.primary_key == ["pid"]
    cols = {c.name: c for c in parent.columns}
    assert [c.name for c in parent.columns] == [x.name for x in tables["parent"]]
    assert cols["pid"].sql_type == "int" and cols["pid"].comment == ":int32:parent id"
    assert cols["name"].default == "it's \\ x"
    assert cols["name"].comment == ":varchar(32):a 'quoted' name"
    assert cols["sex"].sql_type == "enum('M','F')"
    assert cols["sex"].default == "M"
    assert cols["weight"].sql_type == "decimal(5,2)"
    assert cols["weight"].nullable and cols["weight"].default is None
    assert cols["flag"].sql_type == "tinyint" and cols["flag"].default == "1"
    assert cols["created"].sql_type == "datetime(3)"
    assert cols["created"].default == "CURRENT_TIMESTAMP(3)"
    assert cols["uid"].sql_type == "binary(16)" and not cols["uid"].nullable
    assert cols["uid"].default is None
    assert cols["data"].nullable and cols["data"].comment == ":json:"
    assert cols["count"].sql_type == "int unsigned" and cols["count"].default == "7"
    assert cols["count"].comment == "native"
    assert not any(c.autoincrement for c in parent.columns)

    child = catalog["child"]
    assert child.primary_key == ["pid", "cid"]
    assert child.comment == ""
    assert child.foreign_keys == [
        ForeignKey(("pid",), (DB, "parent"), ("pid",)),
        ForeignKey(("other",), (DB, "parent"), ("pid",)),
    ]
    assert {(i.parts, i.unique) for i in child.indexes} == {
        (("score",), False),
        (("label",), True),
        (("label", "score"), False),
    }  # the implicit index InnoDB adds for `other` is not reported
    assert all(i.name for i in child.indexes)
    ccols = {c.name: c for c in child.columns}
    assert ccols["label"].default is None and not ccols["label"].nullable
    assert ccols["other"].nullable

    counter = catalog["~counter"]
    assert counter.comment == "hidden"
    assert [c.autoincrement for c in counter.columns] == [True, False]
    assert counter.columns[1].default == ""


def test_catalog_query_count(adapter: tuple[MySQLBackend, Any, Query]) -> None:
    backend, _, query = adapter
    backend.create_schema(query, MANY)
    attrs = [a("id", "int32", backend, in_key=True), a("v", "varchar(8)", backend, default="")]
    for i in range(30):
        fks = [ForeignKey(("id",), (MANY, "t0"), ("id",))] if i else []
        for sql in backend.create_table_sql(MANY, f"t{i}", attrs, ["id"], fks, [Index(("v",))], ""):
            query(sql)
    calls = []

    def counting(sql: str, args: Any = None) -> Any:
        calls.append(sql)
        return query(sql, args)

    fresh = MySQLBackend()  # server flavour unknown: one extra query allowed
    catalog = fresh.load_catalog(counting, MANY)
    assert len(catalog) == 30 and len(calls) <= 5
    for t in catalog.values():
        assert len(t.columns) == 2 and t.indexes == [Index(("v",), False, "v")]
    assert catalog["t29"].foreign_keys == [ForeignKey(("id",), (MANY, "t0"), ("id",))]
    calls.clear()
    backend.load_catalog(counting, MANY)
    assert len(calls) <= 4


def insert(
    backend: MySQLBackend,
    query: Query,
    table: str,
    attrs: list[Attribute],
    rows: list[dict[str, Any]],
    *,
    on_duplicate: str | None = None,
) -> None:
    by_name = {x.name: x for x in attrs}
    columns = list(rows[0])
    used = [by_name[c] for c in columns]
    values = [
        [
            v if v is DEFAULT else backend.to_driver(x, v)
            for x, v in zip(used, row.values(), strict=True)
        ]
        for row in rows
    ]
    pk = [x.name for x in attrs if x.in_key]
    sql, params = backend.insert_sql(
        DB, table, columns, values, used, on_duplicate=on_duplicate, primary_key=pk
    )
    query(sql, params)


def fetch(backend: MySQLBackend, query: Query, table: str, attrs: list[Attribute]) -> list[dict]:
    names = ",".join(backend.quote(x.name) for x in attrs)
    order = ",".join(backend.quote(x.name) for x in attrs if x.in_key)
    rows = query(f"SELECT {names} FROM {backend.table_ref(DB, table)} ORDER BY {order}")
    columns = list(zip(*rows.fetchall(), strict=True)) or [[] for _ in attrs]
    decoded = [backend.from_driver(x, list(col)) for x, col in zip(attrs, columns, strict=True)]
    return [dict(zip([x.name for x in attrs], r, strict=True)) for r in zip(*decoded, strict=True)]


def test_insert_and_errors(
    adapter: tuple[MySQLBackend, Any, Query], tables: dict[str, list[Attribute]]
) -> None:
    backend, _, query = adapter
    parent, child = tables["parent"], tables["child"]
    u1, u2 = uuid.uuid4(), uuid.uuid4()
    full = {
        "pid": 1,
        "name": "o'k\\%",
        "sex": "F",
        "weight": decimal.Decimal("12.5"),
        "flag": False,
        "created": datetime.datetime(2024, 1, 2, 3, 4, 5, 123000),
        "uid": u1,
        "data": '{"a": [1, 2]}',
        "count": 3,
    }
    defaults = dict.fromkeys(full, DEFAULT) | {"pid": 2, "uid": u2}
    insert(backend, query, "parent", parent, [full, defaults])
    rows = fetch(backend, query, "parent", parent)
    assert rows[0] == full | {"data": {"a": [1, 2]}, "weight": decimal.Decimal("12.50")}
    second = rows[1]
    assert (second["name"], second["sex"], second["flag"], second["count"]) == (
        "it's \\ x",
        "M",
        True,
        7,
    )
    assert second["weight"] is None and second["data"] is None and second["uid"] == u2
    assert isinstance(second["created"], datetime.datetime)

    with pytest.raises(errors.DuplicateError):
        insert(backend, query, "parent", parent, [{"pid": 1, "uid": u1}])
    # skip keeps the existing row
    insert(
        backend,
        query,
        "parent",
        parent,
        [{"pid": 1, "uid": u2, "name": "new"}],
        on_duplicate="skip",
    )
    assert fetch(backend, query, "parent", parent)[0]["name"] == "o'k\\%"

    insert(
        backend,
        query,
        "child",
        child,
        [{"pid": 1, "cid": 1, "label": "a", "score": 0.5, "other": 2}],
    )
    with pytest.raises(errors.IntegrityError):  # unknown parent
        insert(backend, query, "child", child, [{"pid": 9, "cid": 1, "label": "b"}])
    with pytest.raises(errors.MissingAttributeError):  # no value, no default
        insert(backend, query, "child", child, [{"pid": 1, "cid": 2, "label": DEFAULT}])
    with pytest.raises(errors.DuplicateError):  # unique index
        insert(backend, query, "child", child, [{"pid": 2, "cid": 1, "label": "a"}])
    with pytest.raises(errors.IntegrityError):  # referenced parent
        query(f"DELETE FROM {backend.table_ref(DB, 'parent')} WHERE pid = %s", (2,))

    # replace updates a referenced row in place; unsupplied columns take their defaults
    row = dict.fromkeys(full, DEFAULT) | {"pid": 1, "uid": u1, "name": "replaced"}
    insert(backend, query, "parent", parent, [row], on_duplicate="replace")
    first = fetch(backend, query, "parent", parent)[0]
    assert (first["name"], first["sex"], first["weight"], first["count"]) == (
        "replaced",
        "M",
        None,
        7,
    )
    assert len(fetch(backend, query, "child", child)) == 1

    with pytest.raises(errors.UnknownAttributeError):
        query(f"SELECT nope FROM {backend.table_ref(DB, 'parent')}")
    with pytest.raises(errors.MissingTableError):
        query(f"SELECT * FROM {backend.table_ref(DB, 'nope')}")
    with pytest.raises(errors.QuerySyntaxError):
        query("SELEC 1")


def test_default_rows_and_transactions(
    adapter: tuple[MySQLBackend, Any, Query], tables: dict[str, list[Attribute]]
) -> None:
    backend, _, query = adapter
    counter = tables["~counter"]
    for _ in range(3):
        query(backend.insert_default_row_sql(DB, "~counter"))
    assert [r["id"] for r in fetch(backend, query, "~counter", counter)] == [1, 2, 3]
    query(backend.begin_sql())
    query(backend.insert_default_row_sql(DB, "~counter"))
    query("ROLLBACK")
    assert len(fetch(backend, query, "~counter", counter)) == 3
    for sql in backend.drop_table_sql(DB, "~counter"):
        query(sql)
    assert "~counter" not in backend.load_catalog(query, DB)
