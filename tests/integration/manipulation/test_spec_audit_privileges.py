"""Spec 04 §2.10/§5.3/§7 audit with a low-privilege user (MariaDB, PostgreSQL): read-only access
to a schema gives AccessError on insert, update1, delete_quick and Schema.drop, and nothing
changes. SQLite has no users: the same calls succeed there."""

from __future__ import annotations

import pytest
from test_privileges import low  # noqa: F401  (fixture: user with rights on schemas a and b)

import datajoint as dj


def grant_select(connection, user, schema):
    if connection.backend == "mysql":
        for host in ("%", "localhost", "127.0.0.1"):
            connection.query(f"GRANT SELECT ON `{schema}`.* TO '{user}'@'{host}'", None)
    else:
        connection.query(f'GRANT USAGE ON SCHEMA "{schema}" TO "{user}"', None)
        connection.query(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO "{user}"', None)


def test_read_only_schema_refuses_writes_with_access_error(low, connection):  # noqa: F811
    schemas, tables, other, user = low
    c = schemas[2].database
    if other is None:  # SQLite has no users: every write to the schema is allowed
        review = dj.FreeTable(connection, f"{c}.review")
        review.insert1({"subject_id": 2, "scan": 1})
        assert len(review) == 2
        review.delete_quick()
        assert len(review) == 0
        dj.Schema(c, connection=connection, create_schema=False).drop(prompt=False)
        assert not schemas[2].exists
        return
    grant_select(connection, user, c)
    review = dj.FreeTable(other, f"{c}.review")
    assert len(review) == 1  # reading is allowed
    with pytest.raises(dj.errors.AccessError):
        review.insert1({"subject_id": 2, "scan": 1})
    with pytest.raises(dj.errors.AccessError):
        review.delete_quick()
    with pytest.raises(dj.errors.AccessError, match="review"):
        review.delete(prompt=False)
    assert not other.in_transaction
    with pytest.raises(dj.errors.AccessError):
        dj.Schema(c, connection=other, create_schema=False).drop(prompt=False)
    assert len(tables[4]()) == 1 and schemas[2].exists
