"""Transactions (spec 04 §6, spec 08 §2.5)."""

from __future__ import annotations

import pytest

import datajoint as dj


@pytest.fixture
def session(schema):
    @schema
    class Session(dj.Manual):
        definition = "session_id : int32"

        class Trial(dj.Part):
            definition = """
            -> master
            trial : int16
            """

    return Session


def test_commit_and_rollback(session, connection):
    with connection.transaction as c:
        assert c is connection and c.in_transaction
        session.insert1({"session_id": 1})
        session.Trial.insert([{"session_id": 1, "trial": t} for t in range(3)])
    assert not connection.in_transaction
    assert len(session.Trial()) == 3
    for exc in (ValueError, KeyboardInterrupt):
        with pytest.raises(exc), connection.transaction:
            session.insert1({"session_id": 2})
            session.Trial.insert1({"session_id": 2, "trial": 0})
            raise exc()
        assert not connection.in_transaction
    assert len(session()) == 1 and len(session.Trial()) == 3


def test_database_error_rolls_back_everything(session, connection):
    with pytest.raises(dj.errors.DuplicateError), connection.transaction:
        session.insert1({"session_id": 5})
        session.insert1({"session_id": 5})
    assert len(session()) == 0


def test_no_nesting(session, connection):
    with connection.transaction:
        with pytest.raises(dj.DataJointError, match="Nested"):
            connection.start_transaction()
        assert connection.in_transaction
    connection.start_transaction()
    session.insert1({"session_id": 1})
    connection.cancel_transaction()
    assert len(session()) == 0
    connection.start_transaction()
    session.insert1({"session_id": 1})
    connection.commit_transaction()
    assert len(session()) == 1


def test_declaring_inside_a_transaction_is_refused(schema, connection):
    with pytest.raises(dj.DataJointError, match="transaction"), connection.transaction:

        @schema
        class Late(dj.Manual):
            definition = "late : int32"
