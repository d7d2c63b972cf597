"""Distributed populate and the jobs tables (spec 05 §4.3, §7, §8, §11)."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from datajoint.jobs import ERROR_MESSAGE_LENGTH, TRUNCATION_APPENDIX

import datajoint as dj
from datajoint import errors
from datajoint.errors import DataJointError
from support.populate_pipeline import declare_pipeline

EMPTY = {"pending": 0, "reserved": 0, "success": 0, "error": 0, "ignore": 0}


def test_worked_example_distributed(pipeline, connection) -> None:
    Doubled = pipeline.Doubled
    result = Doubled.populate(reserve_jobs=True, suppress_errors=True)
    assert result["success_count"] == 2
    assert Doubled.jobs.progress() == {**EMPTY, "error": 1, "total": 1}
    assert Doubled.jobs.errors.fetch1("error_message") == "ValueError: bad value"
    stack = Doubled.jobs.error_stack({"source_id": 2})
    assert "Traceback" in stack and "bad value" in stack
    job = Doubled.jobs.fetch1()
    assert job["status"] == "error" and job["completed_time"] is not None
    assert len(Doubled()) == 2 and len(Doubled.Item()) == 4  # the failed key left no rows
    # error jobs are never retried, even by a refresh
    assert Doubled.jobs.refresh()["added"] == 0
    assert Doubled.populate(reserve_jobs=True)["success_count"] == 0
    assert Doubled.jobs.errors.delete() == 1
    Doubled.jobs.ignore({"source_id": 2})
    assert Doubled.populate(reserve_jobs=True) == {"success_count": 0, "error_list": []}
    assert Doubled.jobs.progress()["ignore"] == 1
    assert Doubled.jobs.target is not None and Doubled.jobs is not None
    assert [j.table_name for j in pipeline.schema.jobs] == ["~~doubled"]
    assert "~~doubled" not in pipeline.schema.list_tables()


def test_direct_mode_leaves_no_jobs(pipeline, connection) -> None:
    pipeline.Doubled.populate(suppress_errors=True)
    assert pipeline.schema.jobs == []


def test_reserve_complete_error(pipeline) -> None:
    jobs = pipeline.Doubled.jobs
    assert jobs.refresh(delay=-1) == {"added": 3, "removed": 0, "orphaned": 0, "re_pended": 0}
    assert jobs.refresh(delay=-1)["added"] == 0
    key = {"source_id": 1, "extra": "ignored"}
    assert jobs.reserve(key) is True
    assert jobs.reserve(key) is False
    row = (jobs & key).fetch1()
    assert row["status"] == "reserved" and row["pid"] > 0 and row["host"]
    jobs.complete(key, duration=1.5)
    assert len(jobs & key) == 0
    with dj.config.override(jobs={"keep_completed": True}):
        jobs.reserve({"source_id": 2})
        jobs.complete({"source_id": 2}, duration=2.5)
        row = (jobs & {"source_id": 2}).fetch1()
        assert row["status"] == "success" and row["duration"] == 2.5
        # the result is not in the table: refresh puts the job back in the queue
        assert jobs.refresh(delay=-1)["re_pended"] == 1
        assert (jobs & {"source_id": 2}).fetch1("status") == "pending"
    jobs.error({"source_id": 3}, "x" * 5000, "stack " * 15000)
    row = (jobs & {"source_id": 3}).fetch1()
    assert len(row["error_message"]) == ERROR_MESSAGE_LENGTH
    assert row["error_message"].endswith(TRUNCATION_APPENDIX)
    assert jobs.error_stack({"source_id": 3}) == "stack " * 15000
    assert jobs.reserve({"source_id": 3}) is False  # error jobs are not taken
    jobs.ignore({"source_id": 3})
    assert jobs.reserve({"source_id": 3}) is False
    # recording an error recreates a vanished row
    (jobs & {"source_id": 1}).delete()
    jobs.error({"source_id": 1}, "gone")
    assert (jobs & {"source_id": 1}).fetch1("status") == "error"
    with pytest.raises(DataJointError, match="priority"):
        jobs.refresh(priority=300)


def test_refresh_stale_orphan_delay_priority(pipeline) -> None:
    Doubled, Source = pipeline.Doubled, pipeline.Source
    Doubled.fail_on = None
    jobs = Doubled.jobs
    assert jobs.refresh({"source_id": 1}, delay=3600)["added"] == 1
    assert Doubled.populate(reserve_jobs=True, refresh=False)["success_count"] == 0  # not due
    assert jobs.refresh({"source_id": 2}, priority=1, delay=-1)["added"] == 1
    assert jobs.refresh({"source_id": 3}, priority=9, delay=-1)["added"] == 1
    result = Doubled.populate(reserve_jobs=True, refresh=False, priority=5)
    assert result["success_count"] == 1 and len(Doubled()) == 1  # only priority <= 5
    assert jobs.reserve({"source_id": 3})
    time.sleep(0.05)
    assert jobs.refresh(orphan_timeout=0.01, delay=-1)["orphaned"] == 1
    assert (jobs & {"source_id": 3}).fetch1("status") == "pending"
    (Source & {"source_id": 1}).delete(prompt=False)
    time.sleep(0.05)
    counts = jobs.refresh(stale_timeout=0.01)
    assert counts["removed"] == 1  # key 1 left the key source
    assert len(jobs & {"source_id": 1}) == 0


def test_distributed_restrictions_without_refresh(pipeline) -> None:
    Doubled = pipeline.Doubled
    Doubled.fail_on = None
    Doubled.jobs.refresh(delay=-1)
    result = Doubled.populate({"source_id": 3}, reserve_jobs=True, refresh=False)
    assert result["success_count"] == 1
    assert Doubled.keys() == [{"source_id": 3}]
    assert Doubled.populate(reserve_jobs=True, max_calls=1)["success_count"] == 1
    assert Doubled.jobs.progress()["pending"] == 1


@pytest.mark.parametrize("exc_class", [KeyboardInterrupt, SystemExit])
def test_interrupts_recorded_and_reraised(pipeline, exc_class) -> None:
    Doubled = pipeline.Doubled

    def make(self, key):
        self.insert1({**key, "result": 0})
        raise exc_class("SIGTERM received") if exc_class is SystemExit else exc_class()

    Doubled.make = make
    with pytest.raises(exc_class):
        Doubled.populate(reserve_jobs=True, suppress_errors=True)
    assert len(Doubled()) == 0
    message = Doubled.jobs.errors.fetch1("error_message")
    assert message in ("KeyboardInterrupt", "SystemExit: SIGTERM received")


def test_every_error_class_suppressible(pipeline) -> None:
    # (a LockWaitError puts the job back in the queue instead: tests/integration/reliability)
    classes = [
        c
        for c in vars(errors).values()
        if isinstance(c, type) and issubclass(c, Exception) and c is not errors.LockWaitError
    ]
    Doubled = pipeline.Doubled

    @pipeline.schema
    class Raiser(dj.Computed):
        definition = """
        -> pipeline.Source
        ---
        x : int16
        """
        to_raise = None

        def make(self, key):
            raise self.to_raise()

    for exc_class in classes:
        Raiser.to_raise = exc_class
        result = Raiser.populate(reserve_jobs=True, suppress_errors=True, max_calls=1)
        assert len(result["error_list"]) == 1, exc_class
        assert len(Raiser.jobs.errors) == 1
        assert Raiser.jobs.errors.fetch1("error_message").startswith(exc_class.__name__)
        Raiser.jobs.errors.delete()
    del Doubled


def test_uuid_key_definition(schema) -> None:
    @schema
    class Recording(dj.Manual):
        definition = """
        rec : uuid
        """

    @schema
    class Spikes(dj.Imported):
        definition = """
        -> Recording
        ---
        n : int32
        """

        def make(self, key):
            self.insert1({**key, "n": 7})

    Recording.insert([{"rec": uuid.uuid4()} for _ in range(2)])
    assert "rec : uuid" in Spikes.jobs.definition
    assert Spikes.jobs.table_name == "~~spikes"
    assert Spikes.populate(reserve_jobs=True)["success_count"] == 2
    assert Spikes.jobs.progress()["total"] == 0
    Spikes.drop(prompt=False)
    assert "~~spikes" not in schema.connection.catalog.tables(schema.database)


def test_two_workers_two_connections(schema, backend_name, tmp_path_factory) -> None:
    """Two workers on separate connections share the queue; no key is computed twice."""
    from support.backends import second_connection

    calls: list = []
    first = declare_pipeline(schema, calls)
    first.Doubled.fail_on = None
    extra = [{"source_id": i, "value": float(i)} for i in range(4, 41)]
    first.Source.insert(extra)
    other_conn = second_connection(schema.connection, tmp_path_factory)
    other_schema = dj.Schema(schema.database, connection=other_conn)
    second = declare_pipeline(other_schema, calls)
    second.Doubled.fail_on = None
    first.Doubled.jobs.refresh(delay=-1)
    results: list = []

    def run(pipe) -> None:
        results.append(pipe.Doubled.populate(reserve_jobs=True, refresh=False))

    threads = [threading.Thread(target=run, args=(p,)) for p in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other_conn.close()
    keys = [c["source_id"] for c in calls]
    assert sorted(keys) == list(range(1, 41))  # each key made exactly once
    assert sum(r["success_count"] for r in results) == 40
    assert len(first.Doubled()) == 40 and first.Doubled.jobs.progress()["total"] == 0


def test_processes_distributed(pipeline) -> None:
    Doubled = pipeline.Doubled
    Doubled.fail_on = None
    pipeline.Source.insert([{"source_id": i, "value": float(i)} for i in range(4, 21)])
    result = Doubled.populate(reserve_jobs=True, processes=2)
    assert result == {"success_count": 20, "error_list": []}
    assert len(Doubled()) == 20 and Doubled.jobs.progress()["total"] == 0


def test_executor(pipeline) -> None:
    from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

    Doubled = pipeline.Doubled
    Doubled.fail_on = None
    with ProcessPoolExecutor(max_workers=2) as executor:
        result = Doubled.populate(reserve_jobs=True, executor=executor)
    assert result["success_count"] == 3
    with ThreadPoolExecutor() as executor, pytest.raises(DataJointError, match="Thread"):
        Doubled.populate(executor=executor)


def test_jobs_survive_lineage_rebuild(pipeline) -> None:
    Doubled, Source = pipeline.Doubled, pipeline.Source
    Doubled.fail_on = None
    Doubled.jobs.refresh({"source_id": 1}, delay=-1)
    assert len(Doubled.jobs & Source) == 1  # the job key has the target's lineage
    pipeline.schema.rebuild_lineage()
    assert Doubled.populate(reserve_jobs=True)["success_count"] == 3
    assert len(Doubled.jobs & Source) == 0


def test_priority_then_schedule_order(pipeline) -> None:
    Doubled = pipeline.Doubled
    Doubled.fail_on = None
    jobs = Doubled.jobs
    jobs.refresh({"source_id": 3}, priority=1, delay=-1)
    jobs.refresh(delay=-1)  # keys 1 and 2 at the default priority 5
    Doubled.populate(reserve_jobs=True, refresh=False, max_calls=1)
    assert pipeline.calls == [{"source_id": 3}]
    Doubled.populate(reserve_jobs=True, refresh=False)
    assert [c["source_id"] for c in pipeline.calls] == [3, 1, 2]


def test_two_parents_key_source(schema) -> None:
    @schema
    class Session(dj.Manual):
        definition = """
        session : int16
        """

    @schema
    class Method(dj.Lookup):
        definition = """
        method : varchar(8)
        """
        contents = [("a",), ("b",)]

    @schema
    class Result(dj.Computed):
        definition = """
        -> Session
        -> Method
        ---
        ok : bool
        """

        def make(self, key):
            self.insert1({**key, "ok": True})

    Session.insert([{"session": 1}, {"session": 2}, {"session": 3}])
    assert Result.key_source.primary_key == ["session", "method"]
    assert Result.progress() == (6, 6)
    assert Result.populate({"method": "a"}, reserve_jobs=True)["success_count"] == 3
    assert Result.jobs.primary_key == ["session", "method"]
    assert Result.progress() == (3, 6)


def test_claiming_serial(pipeline) -> None:
    """Claiming gives the same results, counts and order as reserving from a list (§12.2)."""
    Doubled = pipeline.Doubled
    jobs = Doubled.jobs
    jobs.refresh({"source_id": 3}, priority=1, delay=-1)
    jobs.refresh(delay=-1)
    result = Doubled.populate(reserve_jobs=True, claim=True, max_calls=2)
    assert result == {"success_count": 2, "error_list": []}
    assert [c["source_id"] for c in pipeline.calls] == [3, 1]
    result = Doubled.populate(reserve_jobs=True, claim=True, suppress_errors=True)
    assert result == {
        "success_count": 0,
        "error_list": [({"source_id": 2}, "ValueError: bad value")],
    }
    Doubled.fail_on = None
    assert Doubled.populate({"source_id": 2}, reserve_jobs=True, claim=True)["success_count"] == 0
    Doubled.jobs.errors.delete()
    result = Doubled.populate({"source_id": 2}, reserve_jobs=True, claim=True)
    assert result["success_count"] == 1 and len(Doubled()) == 3
    assert jobs.claim() is None


def test_claiming_workers(pipeline) -> None:
    Doubled = pipeline.Doubled
    Doubled.fail_on = None
    pipeline.Source.insert([{"source_id": i, "value": float(i)} for i in range(4, 41)])
    result = Doubled.populate(reserve_jobs=True, claim=True, processes=2)
    assert result == {"success_count": 40, "error_list": []}
    assert len(Doubled()) == 40 and Doubled.jobs.progress()["total"] == 0
