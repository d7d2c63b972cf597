"""Independent worker processes sharing one queue; a killed worker (spec 05 §11, §12.1)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time

import pytest

import datajoint as dj

FORK = multiprocessing.get_context("fork")


def _worker(table: type, results: object, claim: bool = False) -> None:
    table().connection.connect()  # the parent closed its connection before forking
    result = table.populate(reserve_jobs=True, claim=claim)  # type: ignore[attr-defined]
    results.put(result["success_count"])  # type: ignore[attr-defined]


@pytest.mark.parametrize("claim", [False, True], ids=["reserve", "claim"])
def test_independent_worker_processes(pipeline, claim) -> None:
    Doubled = pipeline.Doubled
    Doubled.fail_on = None
    pipeline.Source.insert([{"source_id": i, "value": float(i)} for i in range(4, 301)])
    Doubled.jobs.refresh(delay=-1)
    connection = Doubled().connection
    connection.close()
    results = FORK.Queue()
    workers = [FORK.Process(target=_worker, args=(Doubled, results, claim)) for _ in range(4)]
    for w in workers:
        w.start()
    counts = [results.get(timeout=60) for _ in workers]
    for w in workers:
        w.join(timeout=60)
        assert w.exitcode == 0
    connection.connect()
    assert sum(counts) == 300  # every key made exactly once across the workers
    assert len(Doubled()) == 300 and len(Doubled.Item()) == 600
    assert Doubled.jobs.progress()["total"] == 0


def test_killed_worker_leaves_no_rows_and_its_lease_expires(pipeline) -> None:
    Doubled = pipeline.Doubled
    Doubled.fail_on = None
    parent = os.getpid()
    ready = FORK.Event()
    original = Doubled.make

    def make(self, key):
        original(self, key)
        if os.getpid() != parent:  # the worker hangs mid-make, rows inserted, not committed
            ready.set()
            time.sleep(60)

    Doubled.make = make
    Doubled.jobs.refresh({"source_id": 1}, delay=-1)
    connection = Doubled().connection
    connection.close()
    worker = FORK.Process(target=_worker, args=(Doubled, FORK.Queue()))
    worker.start()
    assert ready.wait(timeout=30)
    os.kill(worker.pid, signal.SIGKILL)
    worker.join(timeout=30)
    connection.connect()
    assert len(Doubled()) == 0 and len(Doubled.Item()) == 0  # rolled back (I3)
    assert Doubled.jobs.reserved.fetch1("source_id") == 1
    time.sleep(0.3)
    with dj.config.override(jobs={"lease_timeout": 0.2}):
        result = Doubled.populate(reserve_jobs=True)
    assert result == {"success_count": 3, "error_list": []}  # the dead worker's key too
    assert Doubled.jobs.progress()["total"] == 0


def test_spawned_workers(backend_name, connection, monkeypatch) -> None:
    import importlib
    import sys
    from concurrent.futures import ProcessPoolExecutor

    from support.backends import connection_fields, new_schema_name

    fields = [*connection_fields(backend_name, connection), new_schema_name("djspawn")]
    monkeypatch.setenv("DJ_SPAWN_TEST", "|".join(fields))
    sys.modules.pop("spawn_pipeline", None)
    module = importlib.import_module("spawn_pipeline")
    try:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=2, mp_context=context) as executor:
            result = module.Square.populate(reserve_jobs=True, executor=executor)
        assert result == {"success_count": 6, "error_list": []}
        rows = module.Square().to_dicts()
        assert [r["square"] for r in rows] == [1, 4, 9, 16, 25, 36]
        assert os.getpid() not in {r["pid"] for r in rows}
    finally:
        module.schema.drop(prompt=False)
        module.connection.close()
        sys.modules.pop("spawn_pipeline", None)


def test_sigterm_in_distributed_mode(pipeline) -> None:
    Doubled = pipeline.Doubled

    def make(self, key):
        self.insert1({**key, "result": 0})
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises SystemExit before this ends

    Doubled.make = make
    previous = signal.getsignal(signal.SIGTERM)
    try:
        Doubled.populate(reserve_jobs=True, suppress_errors=True)
    except SystemExit as exc:
        assert str(exc) == "SIGTERM received"
    else:
        raise AssertionError("SystemExit expected")
    assert signal.getsignal(signal.SIGTERM) is previous  # handler restored
    assert Doubled.jobs.errors.fetch1("error_message") == "SystemExit: SIGTERM received"
    assert len(Doubled()) == 0
