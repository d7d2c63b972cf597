"""Writers under contention (issue 9, point 3): a writer that cannot get a lock waits a bounded,
configurable time, then raises LockWaitError (never a raw "database is locked"); a job whose
make() failed for a lock goes back to the queue instead of to ``error``; a worker process that
fails says why.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time

import pytest

import datajoint as dj
from support.faults import in_thread, second_session
from support.populate_pipeline import declare_pipeline

SHORT = 0.3  # seconds: the lock timeout the victims use


@pytest.fixture
def holder(backend_name, tmp_path_factory, schema):
    """A second session on the same database (the same file on SQLite) that takes locks."""
    with second_session(backend_name, schema, tmp_path_factory) as other:
        yield other


@contextlib.contextmanager
def short_lock_timeout(connection):
    """Make ``connection`` give up waiting for a lock after about SHORT seconds."""
    backend = connection.backend
    if backend == "sqlite":
        saved = connection._info
        with dj.config.override(database={"busy_timeout": SHORT}):
            fresh = dj.Connection(backend="sqlite", path=connection.conn_info["path"])
        connection.close()
        connection._info, connection._driver = fresh._info, fresh._driver
        try:
            yield
        finally:
            connection.close()
            connection._info = saved
            connection.connect()
        return
    if backend == "mysql":
        connection.query("SET SESSION innodb_lock_wait_timeout = 1", None)
    else:
        connection.query(f"SET lock_timeout = '{int(SHORT * 1000)}ms'", None)
    try:
        yield
    finally:
        if backend == "mysql":
            connection.query("SET SESSION innodb_lock_wait_timeout = DEFAULT", None)
        else:
            connection.query("RESET lock_timeout", None)


def hold_write_lock(holder, table):
    """Begin a transaction on ``holder`` that blocks every insert into ``table``."""
    holder.start_transaction()
    if holder.backend == "mysql":  # a next-key lock up to the supremum blocks every insert
        holder.query(f"SELECT * FROM {table.full_table_name} FOR UPDATE", None).fetchall()
    elif holder.backend == "postgresql":
        holder.query(f"LOCK TABLE {table.full_table_name} IN EXCLUSIVE MODE", None)
    # SQLite: BEGIN IMMEDIATE already holds the database's write lock


@pytest.fixture
def Log(schema):
    @schema
    class Log(dj.Manual):
        definition = """
        log_id : int32
        ---
        note : varchar(40)
        """

    return Log


def test_a_blocked_write_waits_then_raises_lock_wait_error(Log, holder, connection):
    hold_write_lock(holder, Log)
    lock_wait = pytest.raises(dj.errors.LockWaitError, match=r"gave up waiting|busy timeout")
    with short_lock_timeout(connection), lock_wait as caught:
        Log.insert1({"log_id": 1, "note": "blocked"})
    assert isinstance(caught.value, dj.errors.QueryCanceledError)
    holder.cancel_transaction()
    assert len(Log()) == 0  # nothing of the statement was applied
    Log.insert1({"log_id": 1, "note": "after"})
    assert len(Log()) == 1


@pytest.mark.parametrize("backend_name", ["sqlite"], indirect=True)
def test_sqlite_busy_timeout_is_configurable_and_bounded(Log, holder, connection):
    """The message names the setting to raise; the wait ends within the configured time."""
    hold_write_lock(holder, Log)
    with short_lock_timeout(connection):
        start = time.monotonic()
        with pytest.raises(dj.errors.LockWaitError, match=r"database\.busy_timeout"):
            connection.start_transaction()
        waited = time.monotonic() - start
        assert not connection.in_transaction
    assert waited >= SHORT * 0.9  # it waited for the lock before giving up
    holder.cancel_transaction()


@pytest.mark.parametrize("backend_name", ["sqlite"], indirect=True)
def test_sqlite_begin_waits_for_a_writer_that_finishes(Log, holder, connection):
    """A transaction that cannot begin while another connection writes starts as soon as the
    writer commits, within the busy timeout."""
    hold_write_lock(holder, Log)
    holder.query(f"INSERT INTO {Log.full_table_name} VALUES (1, 'holder')", None)

    def release():
        time.sleep(0.3)
        holder.commit_transaction()

    thread, outcome = in_thread(release)
    with connection.transaction:
        Log.insert1({"log_id": 2, "note": "waited"})
    thread.join(10)
    assert "error" not in outcome
    assert sorted(Log.to_arrays("log_id")) == [1, 2]


def test_busy_timeout_setting(connection):
    assert dj.config["database.busy_timeout"] == 60.0
    with dj.config.override(database={"busy_timeout": 2.5}):
        assert dj.config.database.busy_timeout == 2.5
    with pytest.raises(Exception, match="greater than 0"):
        dj.config["database.busy_timeout"] = 0


@pytest.fixture
def pipeline(schema):
    return declare_pipeline(schema)


def test_a_job_whose_make_cannot_get_a_lock_goes_back_to_the_queue(
    backend_name, pipeline, schema, holder, connection
):
    """make() blocked by another session's lock: the job returns to ``pending`` (not
    ``error``), the error is reported, and a later populate computes the key."""

    @schema
    class Side(dj.Manual):
        definition = """
        side_id : int32
        """

    @schema
    class Blocked(dj.Computed):
        definition = """
        -> pipeline.Source
        ---
        y : float64
        """

        def make_fetch(self, key):
            return ((pipeline.Source & key).fetch1("value"),)

        def make_compute(self, key, value):
            if Blocked.lock_in_compute:  # the write lock is taken while make computes
                hold_write_lock(holder, Side)
            return (2 * value,)

        def make_insert(self, key, y):
            Side.insert1({"side_id": key["source_id"]})
            self.insert1({**key, "y": y})

    Blocked.lock_in_compute = True
    Blocked.jobs.refresh({"source_id": 1}, delay=-1)
    with short_lock_timeout(connection):
        result = Blocked.populate(
            {"source_id": 1}, reserve_jobs=True, suppress_errors=True, refresh=False
        )
    assert len(result["error_list"]) == 1
    assert "LockWaitError" in result["error_list"][0][1]
    assert len(Blocked.jobs.errors) == 0
    assert len(Blocked()) == 0 and len(Side()) == 0
    if backend_name == "sqlite":
        # the whole file stayed locked, so the job could not be written back: it stays
        # reserved until its lease runs out, like the job of a killed worker
        assert Blocked.jobs.reserved.to_arrays("source_id").tolist() == [1]
    else:
        assert Blocked.jobs.pending.to_arrays("source_id").tolist() == [1]
    holder.cancel_transaction()
    Blocked.lock_in_compute = False
    time.sleep(0.3)
    with dj.config.override(jobs={"lease_timeout": 0.2}):
        result = Blocked.populate({"source_id": 1}, reserve_jobs=True, refresh=False)
    assert result == {"success_count": 1, "error_list": []}
    assert Blocked.jobs.progress()["total"] == 0


def test_workers_sharing_one_sqlite_file_never_fail_on_the_lock(tmp_path):
    """Four processes populate one SQLite file: each waits for the lock instead of failing
    with "database is locked", and every key is made once."""
    connection = dj.Connection(backend="sqlite", path=str(tmp_path / "shared.db"))
    pipeline = declare_pipeline(dj.Schema("lab", connection=connection))
    Doubled = pipeline.Doubled
    Doubled.fail_on = None
    pipeline.Source.insert([{"source_id": i, "value": float(i)} for i in range(4, 61)])
    result = Doubled.populate(reserve_jobs=True, processes=4)
    assert result == {"success_count": 60, "error_list": []}
    assert len(Doubled()) == 60 and Doubled.jobs.progress()["total"] == 0
    connection.close()


@pytest.mark.parametrize("backend_name", ["sqlite"], indirect=True)
def test_workers_forked_beside_other_open_connections_lose_nothing(pipeline, tmp_path_factory):
    """SQLite connections must not cross fork(): idle connections of the parent to the same
    file (one with a read in progress) are closed before the workers fork and reopen on next
    use, so that no worker writes without holding the lock."""
    path = pipeline.schema.connection.conn_info["path"]
    bystander = dj.Connection(backend="sqlite", path=path)
    reading = bystander.query(f"SELECT * FROM {pipeline.Source.full_table_name}", None)
    reading.fetchone()
    Doubled = pipeline.Doubled
    Doubled.fail_on = None
    pipeline.Source.insert([{"source_id": i, "value": float(i)} for i in range(4, 61)])
    result = Doubled.populate(reserve_jobs=True, processes=4)
    assert result == {"success_count": 60, "error_list": []}
    assert len(Doubled()) == 60 and len(Doubled.Item()) == 120
    assert len(dj.FreeTable(bystander, Doubled.full_table_name)) == 60  # reopened on use
    bystander.close()


def test_a_worker_process_that_fails_before_make_says_why(pipeline, monkeypatch, caplog):
    """A worker that cannot open its table reports the exception to the parent (and its own
    log); the key stays in the queue."""
    Doubled = pipeline.Doubled
    Doubled.fail_on = None
    parent = os.getpid()
    real_open = dj.populate.executors._open  # type: ignore[attr-defined]

    def broken_open(ref):
        if os.getpid() != parent:
            raise dj.errors.LostConnectionError("database unreachable from this worker")
        return real_open(ref)

    monkeypatch.setattr("datajoint.populate.executors._open", broken_open)
    with caplog.at_level(logging.ERROR, logger="datajoint"):
        result = Doubled.populate(reserve_jobs=True, processes=2, suppress_errors=True)
    assert result["success_count"] == 0
    messages = [message for _, message in result["error_list"]]
    assert len(messages) == 3
    assert all("failed before make()" in m and "unreachable" in m for m in messages)
    assert "database unreachable" in caplog.text  # the parent logs each reported error
    assert len(Doubled.jobs.errors) == 0 and len(Doubled.jobs.pending) == 3


def test_a_worker_process_that_dies_is_reported(pipeline):
    """A worker killed mid-make (no exception to report): populate raises a DataJointError
    saying a worker died, and the killed make left nothing behind."""
    Doubled = pipeline.Doubled
    Doubled.fail_on = None
    parent = os.getpid()
    original = Doubled.make

    def make(self, key):
        original(self, key)
        if os.getpid() != parent:
            os._exit(3)

    Doubled.make = make
    with pytest.raises(dj.DataJointError, match="died without reporting"):
        Doubled.populate(reserve_jobs=True, processes=2)
    assert len(Doubled()) == 0 and len(Doubled.Item()) == 0
    # (the broken pool terminates the other worker with SIGTERM, which its make() records as
    # an error, spec 05 §5.3)
