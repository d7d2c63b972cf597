"""Deletes by a low-privilege user (spec 04 §4.2): allowed within its own schemas, refused with
an error naming the table it lacks rights on, and the database left unchanged.

SQLite has no users or privileges: whoever can open the file may delete anywhere in it, so the
whole cascade is always visible (spec 08 maps only a read-only file to AccessError).
"""

from __future__ import annotations

import uuid

import pytest

import datajoint as dj
from support.backends import SERVERS, new_schema_name

PASSWORD = "low-pass-1"


def declare(connection):
    a = dj.Schema(new_schema_name("djpa"), connection=connection)
    b = dj.Schema(new_schema_name("djpb"), connection=connection)
    c = dj.Schema(new_schema_name("djpc"), connection=connection)

    @a
    class Subject(dj.Manual):
        definition = "subject_id : int32"

    @a
    class Tag(dj.Manual):
        definition = "tag : int32"

    @b
    class Scan(dj.Manual):
        definition = """
        -> Subject
        scan : int16
        """

    @b
    class Tagged(dj.Manual):
        definition = """
        -> Tag
        item : int16
        """

    @b
    class Detail(dj.Manual):
        definition = """
        -> Scan
        detail : int16
        """

    @c
    class Review(dj.Manual):
        definition = """
        -> Scan
        """

    Subject.insert({"subject_id": i} for i in (1, 2))
    Tag.insert({"tag": i} for i in (1, 2))
    Scan.insert({"subject_id": i, "scan": 1} for i in (1, 2))
    Tagged.insert({"tag": i, "item": j} for i in (1, 2) for j in (1, 2))
    Detail.insert({"subject_id": i, "scan": 1, "detail": d} for i in (1, 2) for d in (1, 2))
    Review.insert1({"subject_id": 1, "scan": 1})
    return (a, b, c), (Subject, Tag, Scan, Tagged, Review, Detail)


def grant(connection, user, schemas):
    def q(sql):
        return connection.query(sql, None)

    if connection.backend == "mysql":
        for host in ("%", "localhost", "127.0.0.1"):
            q(f"CREATE USER '{user}'@'{host}' IDENTIFIED BY '{PASSWORD}'")
            for s in schemas:
                q(f"GRANT ALL PRIVILEGES ON `{s}`.* TO '{user}'@'{host}'")
    else:
        q(f"CREATE ROLE \"{user}\" LOGIN PASSWORD '{PASSWORD}'")
        for s in schemas:
            q(f'GRANT USAGE ON SCHEMA "{s}" TO "{user}"')
            q(f'GRANT ALL ON ALL TABLES IN SCHEMA "{s}" TO "{user}"')


def revoke(connection, user, schemas):
    def q(sql):
        return connection.query(sql, None)

    if connection.backend == "mysql":
        for host in ("%", "localhost", "127.0.0.1"):
            q(f"DROP USER IF EXISTS '{user}'@'{host}'")
    else:
        for s in schemas:
            q(f'REVOKE ALL ON ALL TABLES IN SCHEMA "{s}" FROM "{user}"')
            q(f'REVOKE USAGE ON SCHEMA "{s}" FROM "{user}"')
        q(f'DROP ROLE IF EXISTS "{user}"')


@pytest.fixture
def low(connection, backend_name):
    schemas, tables = declare(connection)
    user = f"djlow_{uuid.uuid4().hex[:8]}"
    other = None
    if backend_name != "sqlite":
        grant(connection, user, [s.database for s in schemas[:2]])
        server = SERVERS[backend_name]
        other = dj.Connection(
            server["host"], user, PASSWORD, port=server["port"], backend=backend_name,
            use_tls=False,
        )  # fmt: skip
    yield schemas, tables, other, user
    if other is not None:
        other.close()
        revoke(connection, user, [s.database for s in schemas])
    for s in reversed(schemas):
        s.drop(prompt=False)


def rows(tables):
    return [len(t()) for t in tables]


def test_low_privilege_delete(low, backend_name):
    schemas, tables, other, _ = low
    Subject, _Tag, *_ = tables
    if other is None:  # SQLite: no users, the whole cascade is visible and allowed
        assert (Subject & {"subject_id": 1}).delete(prompt=False) == 1
        assert rows(tables) == [1, 2, 1, 4, 0, 2]
        return
    a = schemas[0].database
    tag = dj.FreeTable(other, f"{a}.tag")
    assert (tag & {"tag": 1}).delete(prompt=False) == 1  # within its own schemas
    assert rows(tables) == [2, 1, 2, 2, 1, 4]
    subject = dj.FreeTable(other, f"{a}.subject")
    with pytest.raises(dj.DataJointError, match="review") as info:
        (subject & {"subject_id": 1}).delete(prompt=False)
    assert isinstance(info.value, (dj.errors.AccessError, dj.errors.IntegrityError))
    # the details went before the refused scan delete: rolled back with everything else
    assert rows(tables) == [2, 1, 2, 2, 1, 4]
    assert not other.in_transaction
    # a subject whose rows no unreadable table references
    assert (subject & {"subject_id": 2}).delete(prompt=False) == 1
    assert rows(tables) == [1, 1, 1, 2, 1, 2]


def test_read_only_schema_is_named_in_the_error(low, connection, backend_name):
    schemas, tables, other, user = low
    if other is None:  # SQLite: no privileges, so nothing is read-only
        assert (tables[0] & {"subject_id": 2}).delete(prompt=False) == 1
        assert rows(tables) == [1, 2, 1, 4, 1, 2]
        return
    c = schemas[2].database
    if backend_name == "mysql":
        for host in ("%", "localhost", "127.0.0.1"):
            connection.query(f"GRANT SELECT ON `{c}`.* TO '{user}'@'{host}'", None)
    else:
        connection.query(f'GRANT USAGE ON SCHEMA "{c}" TO "{user}"', None)
        connection.query(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{c}" TO "{user}"', None)
    subject = dj.FreeTable(other, f"{schemas[0].database}.subject")
    with pytest.raises(dj.errors.AccessError, match="review") as info:
        (subject & {"subject_id": 2}).delete(prompt=False)
    assert "DELETE privilege" in str(info.value)
    assert rows(tables) == [2, 2, 2, 4, 1, 4]
    assert not other.in_transaction


def test_low_privilege_delete_inside_a_transaction(low):
    schemas, tables, other, _ = low
    if other is None:  # SQLite: no users or privileges
        with tables[1]().connection.transaction:
            assert (tables[1] & {"tag": 1}).delete(prompt=False) == 1
        assert rows(tables) == [2, 1, 2, 2, 1, 4]
        return
    tag = dj.FreeTable(other, f"{schemas[0].database}.tag")
    with other.transaction:
        # loading the unreadable schema fails inside the transaction without aborting it
        assert (tag & {"tag": 1}).delete(prompt=False) == 1
        assert len(tag) == 1
    assert rows(tables) == [2, 1, 2, 2, 1, 4]
