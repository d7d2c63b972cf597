"""Reservation leases (spec 05 §12.1): while a long computation runs, its reservation is renewed
so that no other worker takes the key; one renewal thread per process serves every key and ends
when populate is done; a forked worker renews its own leases.

The long computations run in ``make_compute`` (three-part make), outside the transaction: on
SQLite an open transaction holds the database, and nothing (renewal or expiry) writes then."""

from __future__ import annotations

import multiprocessing
import threading
import time

import pytest

import datajoint as dj
from datajoint.populate import lease

FORK = multiprocessing.get_context("fork")
SHORT = {"lease_renew": 0.1, "lease_timeout": 0.5}


def _lease_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "dj-lease"]


@pytest.fixture
def slow(pipeline) -> type:
    """A three-part computed table whose computation takes more than twice the lease timeout;
    before storing, it records what another worker's expiry of leases finds (``expired``)."""

    @pipeline.schema
    class Slow(dj.Computed):
        definition = """
        -> pipeline.Source
        ---
        result : float32
        """
        observer = None
        expired: list[int] = []

        def make_fetch(self, key):
            return ((pipeline.Source & key).fetch1("value"),)

        def make_compute(self, key, value):
            time.sleep(1.2)  # expired unless renewed
            type(self).expired.append(type(self).observer.expire_leases())
            return (2 * value,)

        def make_insert(self, key, result):
            self.insert1({**key, "result": result})

    Slow.expired = []
    Slow.observer = Slow.jobs.with_new_connection()  # another worker's view of the queue
    yield Slow
    Slow.observer.connection.close()


@pytest.fixture
def short_idle(monkeypatch):
    monkeypatch.setattr(lease, "IDLE_SECONDS", 0.2)


def test_a_long_computation_keeps_its_reservation(slow, short_idle) -> None:
    with dj.config.override(jobs=SHORT):
        result = slow.populate({"source_id": 1}, reserve_jobs=True)
    assert slow.expired == [0]  # renewed: nothing to expire
    assert result == {"success_count": 1, "error_list": []}  # and the result was committed
    assert (slow & {"source_id": 1}).fetch1("result") == 2.0
    assert slow.jobs.progress()["total"] == 0


def test_one_renewal_thread_serves_every_key_and_ends(pipeline, short_idle) -> None:
    Doubled = pipeline.Doubled
    Doubled.fail_on = None
    seen: list[int] = []
    original = Doubled.make

    def make(self, key):
        seen.append(len(_lease_threads()))
        original(self, key)

    Doubled.make = make
    with dj.config.override(jobs=SHORT):
        result = Doubled.populate(reserve_jobs=True)
    assert result == {"success_count": 3, "error_list": []}
    assert seen == [1, 1, 1]
    deadline = time.monotonic() + 5
    while _lease_threads() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _lease_threads()  # it ended (closing its connection) once populate was done


def _forked_worker(slow, outcome) -> None:
    slow().connection.connect()  # the parent closed its connection before forking
    slow.observer = slow.jobs.with_new_connection()
    with dj.config.override(jobs=SHORT):
        result = slow.populate({"source_id": 3}, reserve_jobs=True)
    outcome.put((slow.expired, result["success_count"]))


def test_a_forked_worker_renews_its_own_leases(slow, short_idle) -> None:
    """The parent's renewal thread is running when it forks; the child has none of it and
    starts its own."""
    slow.jobs.refresh(delay=-1)
    parent_lease = lease.Lease(slow.jobs, {"source_id": 99})
    with dj.config.override(jobs=SHORT), parent_lease:  # the parent's thread is running
        assert len(_lease_threads()) == 1
        connection = slow().connection
        connection.close()
        outcome = FORK.Queue()
        worker = FORK.Process(target=_forked_worker, args=(slow, outcome))
        worker.start()
        expired, made = outcome.get(timeout=60)
        worker.join(timeout=30)
    connection.connect()
    assert worker.exitcode == 0
    assert (expired, made) == ([0], 1)
    assert (slow & {"source_id": 3}).fetch1("result") == 6.0


def test_a_lease_renews_only_its_own_connections_reservation(slow, short_idle, backend_name):
    """The renewal is conditioned on the worker connection that reserved the job (spec 05
    §12.1): another connection of the same process does not keep it alive. SQLite has no
    sessions (every connection id is 0): there the process is the owner."""
    jobs = slow.jobs
    jobs.refresh(delay=-1)
    key = {"source_id": 2}
    assert jobs.reserve(key)  # reserved by this connection
    other = jobs.with_new_connection()  # another worker connection of the same process
    try:
        before = (jobs & key).fetch1("heartbeat_time")
        with dj.config.override(jobs=SHORT), lease.Lease(other, key):
            time.sleep(0.5)
        after = (jobs & key).fetch1("heartbeat_time")
    finally:
        other.connection.close()
    assert before is not None
    if backend_name == "sqlite":
        assert after > before
    else:
        assert after == before
    with dj.config.override(jobs=SHORT), lease.Lease(jobs, key):  # its own connection renews
        time.sleep(0.5)
    assert (jobs & key).fetch1("heartbeat_time") > before
