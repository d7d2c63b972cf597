"""Faults that must leave nothing partial (issue 9, point 8): a connection killed in the middle
of a cascading delete, a process killed in the middle of a multi-statement insert or a cascade.

Related faults tested elsewhere: a write lost mid-statement and lost transactions
(test_lost_connections.py), a SIGKILLed worker's job completed after its lease and four worker
processes making each key once (tests/integration/populate/test_workers.py).
"""

from __future__ import annotations

import multiprocessing
import os
import signal

import pytest

import datajoint as dj
from support.backends import open_connection
from support.faults import in_thread, kill, wait_until_blocked

FORK = multiprocessing.get_context("fork")


@pytest.fixture
def family(schema):
    @schema
    class Parent(dj.Manual):
        definition = """
        parent_id : int32
        """

    @schema
    class Child(dj.Manual):
        definition = """
        -> Parent
        child_id : int32
        """

    @schema
    class Grandchild(dj.Manual):
        definition = """
        -> Child
        grandchild_id : int32
        """

    Parent.insert([{"parent_id": p} for p in range(5)])
    Child.insert([{"parent_id": p, "child_id": c} for p in range(5) for c in range(20)])
    Grandchild.insert(
        [
            {"parent_id": p, "child_id": c, "grandchild_id": g}
            for p in range(5)
            for c in range(20)
            for g in range(10)
        ]
    )
    return Parent, Child, Grandchild


def counts(family) -> list[int]:
    return [len(table()) for table in family]


@pytest.fixture
def victim(backend_name, tmp_path_factory, schema):
    other = open_connection(backend_name, tmp_path_factory)
    yield other
    other.close()


@pytest.mark.parametrize("backend_name", ["mysql", "postgresql"], indirect=True)
def test_a_connection_killed_mid_cascade_delete_deletes_nothing(
    backend_name, family, victim, connection
):
    """The cascade has deleted the grandchildren and children and waits to delete the parents
    when its session is killed: every row is still there."""
    Parent = family[0]
    before = counts(family)
    if backend_name == "mysql":  # reads of the parent go on; its DELETE waits
        connection.query(f"LOCK TABLES {Parent.full_table_name} READ", None)
    else:
        connection.start_transaction()
        connection.query(f"LOCK TABLE {Parent.full_table_name} IN EXCLUSIVE MODE", None)
    doomed = dj.FreeTable(victim, Parent.full_table_name) & "parent_id < 3"
    thread, outcome = in_thread(lambda: doomed.delete(prompt=False))
    wait_until_blocked(connection, victim, f"%DELETE FROM {Parent.full_table_name}")
    kill(backend_name, victim, connection)
    if backend_name == "mysql":
        connection.query("UNLOCK TABLES", None)
    else:
        connection.cancel_transaction()
    thread.join(30)
    assert isinstance(outcome.get("error"), dj.errors.LostConnectionError), outcome
    assert counts(family) == before  # nothing partial: the children are back too
    assert (dj.FreeTable(victim, Parent.full_table_name) & "parent_id < 3").delete(
        prompt=False
    ) == 3  # the reopened connection finishes the job
    assert counts(family) == [2, 40, 400]


def _die_at(statement_prefix: str, work, path: str) -> None:
    """In a forked process: run ``work(connection)`` and SIGKILL the process as soon as it
    sends a statement beginning with ``statement_prefix`` (SQLite's trace hook)."""
    connection = dj.Connection(backend="sqlite", path=path)

    def trace(sql: str) -> None:
        if sql.lstrip().startswith(statement_prefix):
            os.kill(os.getpid(), signal.SIGKILL)

    connection._driver.set_trace_callback(trace)
    work(connection)
    os._exit(0)  # not reached when the kill happened


def _run_killed(prefix: str, work, path: str) -> int:
    process = FORK.Process(target=_die_at, args=(prefix, work, path))
    process.start()
    process.join(60)
    return process.exitcode


@pytest.mark.parametrize("backend_name", ["sqlite"], indirect=True)
def test_a_process_killed_mid_cascade_delete_deletes_nothing(family, connection):
    Parent = family[0]
    before = counts(family)
    name = Parent.full_table_name

    def work(conn):
        (dj.FreeTable(conn, name) & "parent_id < 3").delete(prompt=False)

    exitcode = _run_killed(f"DELETE FROM {name}", work, connection.conn_info["path"])
    assert exitcode == -signal.SIGKILL  # it died after deleting the children
    assert counts(family) == before


@pytest.mark.parametrize("backend_name", ["sqlite"], indirect=True)
def test_a_process_killed_mid_insert_inserts_nothing(family, connection):
    """A 40,000-row insert is sent as several statements in one transaction; the process dies
    before the second one: no row of the first is left."""
    Parent = family[0]
    name = Parent.full_table_name
    rows = [{"parent_id": i} for i in range(100, 40100)]
    sent: list[str] = []

    def work(conn):
        def trace(sql):
            if sql.startswith("INSERT"):
                sent.append(sql)
                if len(sent) == 2:
                    os.kill(os.getpid(), signal.SIGKILL)

        conn._driver.set_trace_callback(trace)
        dj.FreeTable(conn, name).insert(rows)

    exitcode = _run_killed("no statement begins like this", work, connection.conn_info["path"])
    assert exitcode == -signal.SIGKILL
    assert len(Parent()) == 5
