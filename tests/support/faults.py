"""Fault injection against real servers: killing a session, waiting for a blocked statement."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import datajoint as dj
from support.backends import open_connection


@contextlib.contextmanager
def second_session(
    backend_name: str, schema: dj.Schema, tmp_path_factory: Any
) -> Iterator[dj.Connection]:
    """Another connection to the schema's database (the same file on SQLite), closed after."""
    if backend_name == "sqlite":
        other = dj.Connection(backend="sqlite", path=schema.connection.conn_info["path"])
    else:
        other = open_connection(backend_name, tmp_path_factory)
    try:
        yield other
    finally:
        if other.in_transaction:
            other.cancel_transaction()
        other.close()


def kill(backend_name: str, victim: dj.Connection, killer: dj.Connection) -> None:
    """Drop ``victim``'s session from the server side, as an idle timeout or an admin would."""
    if backend_name == "mysql":
        killer.query(f"KILL {int(victim.connection_id)}", None)
    elif backend_name == "postgresql":
        killer.query("SELECT pg_terminate_backend(%s)", (victim.connection_id,))
    else:  # SQLite has no server: close the driver connection underneath
        victim._driver.close()


def cancel(backend_name: str, victim: dj.Connection, killer: dj.Connection) -> None:
    """Cancel ``victim``'s running statement, leaving its session open (``KILL QUERY``,
    ``pg_cancel_backend``, SQLite's interrupt)."""
    if backend_name == "mysql":
        killer.query(f"KILL QUERY {int(victim.connection_id)}", None)
    elif backend_name == "postgresql":
        killer.query("SELECT pg_cancel_backend(%s)", (victim.connection_id,)).fetchall()
    else:
        victim._driver.interrupt()


def wait_until_blocked(
    killer: dj.Connection, victim: dj.Connection, verb: str = "INSERT", timeout: float = 20
) -> None:
    """Wait until ``victim`` runs a statement beginning with ``verb`` that waits for a lock
    (MySQL, PostgreSQL)."""
    if killer.backend == "mysql":
        sql = (
            "SELECT COUNT(*) FROM information_schema.processlist "
            "WHERE id = %s AND command = 'Query' AND info LIKE %s"
        )
    else:
        sql = (
            "SELECT COUNT(*) FROM pg_stat_activity "
            "WHERE pid = %s AND wait_event_type = 'Lock' AND query LIKE %s"
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if killer.backend == "postgresql":  # statistics are a snapshot per transaction
            killer.query("SELECT pg_stat_clear_snapshot()", None).fetchall()
        if killer.query(sql, (victim.connection_id, verb + "%")).fetchone()[0]:
            return
        time.sleep(0.02)
    if killer.backend == "mysql":
        seen = "SELECT command, state, info FROM information_schema.processlist WHERE id = %s"
    else:
        seen = "SELECT state, wait_event_type, query FROM pg_stat_activity WHERE pid = %s"
    activity = killer.query(seen, (victim.connection_id,)).fetchall()
    raise AssertionError(f"the victim's statement never started waiting: {activity}")


def in_thread(work: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    """Run ``work`` in a thread; the returned dict gets ``result`` or ``error``."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = work()
        except BaseException as exc:  # handed to the test
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome
