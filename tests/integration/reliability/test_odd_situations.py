"""Odd but legal situations (issue 9, point 7): a read-only SQLite file, over-long schema names,
attribute names that are SQL keywords, passwords kept out of printed connection attributes.
"""

from __future__ import annotations

import contextlib
import subprocess

import pytest

import datajoint as dj
from support.backends import SERVERS, new_schema_name

# ---------------------------------------------------------------------- read-only SQLite


@contextlib.contextmanager
def immutable(path):
    """Make ``path`` unwritable even for root (the tests run as root in CI)."""
    subprocess.run(["chattr", "+i", str(path)], check=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_read_only_sqlite_file_opens_for_reading(tmp_path):
    path = tmp_path / "archive.db"
    writer = dj.Connection(backend="sqlite", path=str(path))
    schema = dj.Schema("lab", connection=writer)

    @schema
    class Subject(dj.Manual):
        definition = "subject_id : int32\n---\nname : varchar(20)\n"

    Subject.insert([{"subject_id": 1, "name": "a"}, {"subject_id": 2, "name": "b"}])
    writer.close()
    with immutable(path):
        reader = dj.Connection(backend="sqlite", path=str(path))
        assert reader.adapter.read_only
        lab = dj.Schema("lab", connection=reader, create_schema=False)
        assert lab.list_tables() == ["subject"]
        table = dj.FreeTable(reader, "lab.subject")
        assert table.to_dicts() == [
            {"subject_id": 1, "name": "a"},
            {"subject_id": 2, "name": "b"},
        ]
        with pytest.raises(dj.errors.AccessError, match="read-only"):
            table.insert1({"subject_id": 3, "name": "c"})
        with pytest.raises(dj.errors.AccessError, match="readonly"):
            (table & {"subject_id": 1}).delete(prompt=False)
        assert len(table) == 2
        reader.close()
    writable = dj.Connection(backend="sqlite", path=str(path))
    assert not writable.adapter.read_only  # WAL and the catalog only when writable
    assert writable.query("PRAGMA journal_mode").fetchone()[0] == "wal"
    writable.close()


# ---------------------------------------------------------------------- long schema names

LIMITS = {"sqlite": 64, "mysql": 64, "postgresql": 63}


def test_over_long_schema_names_are_refused_with_the_limit(backend_name, connection):
    limit = LIMITS[backend_name]
    name = new_schema_name("djtest_long_") + "x" * 60
    with pytest.raises(dj.DataJointError, match=f"at most {limit} characters"):
        dj.Schema(name, connection=connection)
    assert name[:limit] not in dj.list_schemas(connection=connection)  # never truncated
    fits = new_schema_name("djtest_")
    fits += "x" * (limit - len(fits))
    schema = dj.Schema(fits, connection=connection)
    try:
        assert fits in dj.list_schemas(connection=connection)
    finally:
        schema.drop(prompt=False)


@pytest.mark.parametrize("backend_name", ["postgresql"], indirect=True)
def test_postgresql_counts_the_bytes_of_a_name(backend_name, connection):
    name = "djtest_" + "é" * 30  # 67 bytes in 37 characters: PostgreSQL would truncate it
    with pytest.raises(dj.DataJointError, match="at most 63"):
        dj.Schema(name, connection=connection)


# ---------------------------------------------------------------------- keyword names


@pytest.fixture
def keyword_tables(schema):
    @schema
    class Trial(dj.Manual):
        definition = """
        order : int32
        true : int32
        ---
        select = null : int32
        group = "g" : varchar(8)
        """

    @schema
    class Event(dj.Manual):
        definition = """
        -> Trial
        from : int32
        ---
        where : int32
        """

    Trial.insert([{"order": 1, "true": 1, "select": 5}, {"order": 2, "true": 0, "select": None}])
    Event.insert([{"order": 1, "true": 1, "from": 3, "where": 4}])
    return Trial, Event


def test_keyword_attribute_names_in_queries(backend_name, keyword_tables):
    Trial, Event = keyword_tables
    joined = {"order": 1, "true": 1, "from": 3, "where": 4, "select": 5, "group": "g"}
    assert (Trial * Event).to_dicts() == [joined]
    assert (Trial & Event).to_arrays("order").tolist() == [1]
    assert Trial.aggr(Event, n="count(`from`)").to_dicts() == [
        {"order": 1, "true": 1, "n": 1},
        {"order": 2, "true": 0, "n": 0},
    ]
    assert (Trial - Event).to_arrays("order").tolist() == [2]
    assert (Trial - (Event & {"from": 3})).to_arrays("order").tolist() == [2]
    assert (Trial - (Event & {"from": 9})).to_arrays("order").tolist() == [1, 2]
    assert (Trial & "`order` = 1 AND `true` = 1").fetch1("select") == 5
    assert (Trial & {"order": 2, "true": 0, "group": "g"}).fetch1("select") is None
    assert Trial.proj(s="`select` + 1").to_arrays("s").tolist()[0] == 6
    Trial.update1({"order": 2, "true": 0, "select": 7})
    (Trial & {"order": 1}).delete(prompt=False)  # cascades through `order` and `true`
    assert len(Event()) == 0 and len(Trial()) == 1


def test_keyword_names_in_derived_tables(backend_name, keyword_tables):
    """SQLite never names a derived table's column `true` or `false`: such a query raises a
    clear error there instead of reading the wrong column (or the string 'true')."""
    Trial, Event = keyword_tables
    derived = Trial.proj("select") * Event.proj(w="`where`")
    if backend_name == "sqlite":
        with pytest.raises(dj.DataJointError, match="cannot name a derived table's column"):
            derived.to_dicts()
        renamed = Trial.proj("select", "order", is_true="`true`")
        assert renamed.to_dicts()[0]["is_true"] == 1
        return
    assert derived.to_dicts() == [{"order": 1, "true": 1, "from": 3, "w": 4, "select": 5}]
    assert (Trial.proj() + Trial.proj()).to_dicts() == [
        {"order": 1, "true": 1},
        {"order": 2, "true": 0},
    ]


# ---------------------------------------------------------------------- passwords


@pytest.mark.parametrize("backend_name", ["mysql", "postgresql"], indirect=True)
def test_passwords_are_not_shown_by_connection_attributes(backend_name):
    server = SERVERS[backend_name]
    password = "s3cret-pass"
    if backend_name == "mysql":
        admin = dj.Connection(
            server["host"],
            server["user"],
            server["password"],
            port=server["port"],
            backend="mysql",
            use_tls=False,
        )
        user = new_schema_name("dju")[:30]
        admin.query(f"CREATE USER '{user}'@'%%' IDENTIFIED BY %s", (password,))
    else:
        admin, user = None, server["user"]  # the test server trusts local connections
    try:
        conn = dj.Connection(
            server["host"],
            user,
            password,
            port=server["port"],
            backend=backend_name,
            use_tls=False,
        )
        shown = f"{conn!r} {conn.conn_info!r} {conn._info!r} {vars(conn)!r}"
        assert password not in shown and "**********" in shown
        assert conn.conn_info["passwd"] == password  # code reading conn_info still works
        assert conn.conn_info["passwd"].get_secret_value() == password
        conn.close()
        conn.connect()  # reconnecting uses the kept password
        assert conn.query("SELECT 1").fetchone()[0] == 1
        conn.close()
    finally:
        if admin is not None:
            admin.query(f"DROP USER '{user}'@'%%'", ())
            admin.close()


def test_a_config_password_is_masked_too(backend_name, connection):
    from pydantic import SecretStr

    info = connection._info
    clone = dj.Connection(
        info.host,
        info.user,
        SecretStr(info.password or ""),
        info.port,
        info.use_tls,
        backend=backend_name,
        path=info.path,
    )
    assert "SecretStr('**********')" in repr(clone.conn_info)
    assert clone.query("SELECT 1").fetchone()[0] == 1
    clone.close()
