"""Spec 04 §6 audit: a failed COMMIT closes the transaction (rolled back) so a new one can start;
a transaction's failure undoes inserts, updates and deletes of several tables together."""

from __future__ import annotations

import pytest

import datajoint as dj


@pytest.fixture
def tables(schema):
    @schema
    class Session(dj.Manual):
        definition = """
        session_id : int32
        ---
        note = "" : varchar(16)
        """

        class Trial(dj.Part):
            definition = """
            -> master
            trial : int16
            """

    Session.insert1({"session_id": 1})
    Session.Trial.insert1({"session_id": 1, "trial": 0})
    return Session


def test_failed_commit_rolls_back_and_closes_the_transaction(tables, connection, monkeypatch):
    real = connection.adapter.execute

    def failing(driver, sql, args):
        if sql == "COMMIT":
            raise dj.errors.QueryError("simulated commit failure")
        return real(driver, sql, args)

    with pytest.raises(dj.errors.QueryError, match="commit"), connection.transaction:
        tables.insert1({"session_id": 2})
        monkeypatch.setattr(connection.adapter, "execute", failing)
    monkeypatch.undo()
    assert not connection.in_transaction
    assert len(tables()) == 1
    with connection.transaction:  # a new transaction can start
        tables.insert1({"session_id": 3})
    assert len(tables()) == 2


def test_failure_undoes_every_kind_of_change(tables, connection):
    with pytest.raises(ZeroDivisionError), connection.transaction:
        tables.update1({"session_id": 1, "note": "changed"})
        tables.Trial.insert1({"session_id": 1, "trial": 1})
        tables.insert1({"session_id": 2})
        (tables & {"session_id": 1}).delete(prompt=False)
        raise ZeroDivisionError
    assert tables.to_dicts() == [{"session_id": 1, "note": ""}]
    assert len(tables.Trial()) == 1
