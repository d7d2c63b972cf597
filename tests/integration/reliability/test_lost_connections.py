"""A lost connection never re-runs a write and never commits part of a transaction
(spec 08 §2.4, §2.5).

Writes are lost deterministically: a second session holds a lock that the victim's statement
waits for, then kills the victim's session while the statement runs.
"""

from __future__ import annotations

import pytest

import datajoint as dj
from support.backends import second_connection
from support.faults import in_thread, kill, wait_until_blocked


@pytest.fixture
def victim(backend_name, tmp_path_factory, schema):
    """A second connection to the schema's database (the same file on SQLite)."""
    other = second_connection(schema.connection, tmp_path_factory)
    yield other
    other.close()


@pytest.fixture
def Event(schema):
    @schema
    class Event(dj.Manual):
        definition = """
        event_id : int auto_increment
        ---
        note : varchar(40)
        """

    return Event


def lock_table(backend_name, holder, table):
    holder.start_transaction()
    if backend_name == "mysql":  # a next-key lock up to the supremum blocks every insert
        holder.query(f"SELECT * FROM {table.full_table_name} FOR UPDATE", None).fetchall()
    else:
        holder.query(f"LOCK TABLE {table.full_table_name} IN EXCLUSIVE MODE", None)


@pytest.mark.parametrize("backend_name", ["mysql", "postgresql"], indirect=True)
def test_a_write_lost_mid_statement_is_never_sent_again(backend_name, Event, victim, connection):
    """An 8,000-row insert into an auto_increment table whose session is killed while it runs:
    the outcome is reported unknown and the statement is not re-run (it used to be, doubling
    the rows)."""
    table = dj.FreeTable(victim, Event.full_table_name)
    rows = [{"note": f"n{i}"} for i in range(8000)]
    lock_table(backend_name, connection, Event)
    thread, outcome = in_thread(lambda: table.insert(rows))
    wait_until_blocked(connection, victim, "INSERT" if backend_name == "mysql" else "COPY")
    kill(backend_name, victim, connection)
    connection.commit_transaction()
    thread.join(30)
    error = outcome.get("error")
    assert isinstance(error, dj.errors.LostConnectionError), outcome
    assert "outcome is unknown" in str(error)
    assert len(Event()) == 0  # the killed statement was rolled back and never sent again
    assert victim.is_connected  # reopened for what comes next
    table.insert1({"note": "after"})
    assert len(Event()) == 1


def test_reads_are_sent_again_after_a_lost_connection(backend_name, Event, victim, connection):
    Event.insert1({"note": "x"})
    table = dj.FreeTable(victim, Event.full_table_name)
    assert len(table) == 1
    kill(backend_name, victim, connection)
    assert table.to_dicts() == [{"event_id": 1, "note": "x"}]


def test_a_write_on_a_locally_closed_connection_runs_once(backend_name, Event, victim):
    table = dj.FreeTable(victim, Event.full_table_name)
    victim.close()  # known not to have sent anything: reopened and sent
    table.insert1({"note": "x"})
    assert len(Event()) == 1


def test_a_write_after_the_server_dropped_an_idle_connection_runs_once(
    backend_name, Event, victim, connection, monkeypatch
):
    """An idle connection is checked before a write, so that a server-side idle timeout does
    not turn the next insert into an error of unknown outcome."""
    table = dj.FreeTable(victim, Event.full_table_name)
    assert len(table) == 0
    kill(backend_name, victim, connection)
    monkeypatch.setattr("datajoint.connection._IDLE_SECONDS", 0.0)
    table.insert1({"note": "x"})
    assert Event.to_dicts() == [{"event_id": 1, "note": "x"}]


def test_a_transaction_on_a_connection_the_server_dropped_runs_once(
    backend_name, Event, victim, connection
):
    """The server dropped the idle connection before the transaction began (PostgreSQL sends
    BEGIN with the first statement): the transaction begins again on a new connection, since
    nothing of it can have been committed, and its rows are written once."""
    table = dj.FreeTable(victim, Event.full_table_name)
    assert len(table) == 0
    kill(backend_name, victim, connection)
    with victim.transaction:
        table.insert1({"note": "first"})
        table.insert1({"note": "second"})
    assert [r["note"] for r in Event.to_dicts()] == ["first", "second"]


def test_a_lost_transaction_commits_nothing(backend_name, Event, victim, connection):
    """Statements before the loss are rolled back with the connection; statements after it are
    refused until the transaction ends, so that nothing runs outside it."""
    table = dj.FreeTable(victim, Event.full_table_name)
    lost = pytest.raises(dj.errors.LostConnectionError, match="during a transaction")
    with lost, victim.transaction:
        table.insert1({"note": "before"})
        kill(backend_name, victim, connection)
        try:
            table.insert1({"note": "lost"})
        except dj.errors.LostConnectionError:
            pass  # user code that swallows the error and goes on
        table.insert1({"note": "after"})
    assert not victim.in_transaction
    assert len(Event()) == 0
    table.insert1({"note": "next"})  # outside a transaction, reconnecting is automatic
    assert [r["note"] for r in Event.to_dicts()] == ["next"]


def test_closing_inside_a_transaction_commits_nothing(backend_name, Event, victim):
    table = dj.FreeTable(victim, Event.full_table_name)
    with pytest.raises(dj.DataJointError, match="during a transaction"), victim.transaction:
        table.insert1({"note": "before"})
        victim.close()
        victim.query("SELECT 1", None, reconnect=True)
    assert len(Event()) == 0
    assert victim.query("SELECT 1", None).fetchone()[0] == 1


def test_a_dead_connection_found_by_a_ping_inside_a_transaction(
    backend_name, Event, victim, connection
):
    """``is_connected`` closes a dead connection; the transaction stays lost, not silently
    replaced by autocommit."""
    table = dj.FreeTable(victim, Event.full_table_name)
    victim.start_transaction()
    table.insert1({"note": "before"})
    kill(backend_name, victim, connection)
    assert not victim.is_connected
    with pytest.raises(dj.errors.LostConnectionError):
        table.insert1({"note": "after"})
    with pytest.raises(dj.errors.LostConnectionError):
        victim.commit_transaction()
    assert not victim.in_transaction
    assert len(Event()) == 0
