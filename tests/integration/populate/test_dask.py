"""populate() on a Dask cluster: ``populate(executor=client.get_executor())`` with a
``dask.distributed.LocalCluster`` of two worker processes (spec 05 §4.5, §12.1).

Every key is made once across the workers, a failing key is recorded in the jobs table, and the
key of a worker killed in the middle of ``make`` is made by the next populate once its lease has
run out. SQLite runs the same test on its database file (workers open the file themselves).
"""

from __future__ import annotations

import collections
import importlib
import os
import pathlib
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import pytest
from distributed import Client, LocalCluster

import datajoint as dj
from datajoint.errors import DataJointError
from support.backends import connection_fields, new_schema_name


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """Two worker processes with two threads each (tasks of one process take turns), shared by
    the tests of this module."""
    settings = tmp_path_factory.mktemp("dask") / "pipeline"
    previous = os.environ.get("DJ_DASK_TEST")
    os.environ["DJ_DASK_TEST"] = str(settings)  # inherited by the worker processes
    try:
        with (
            LocalCluster(
                n_workers=2, threads_per_worker=2, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
    finally:
        if previous is None:
            del os.environ["DJ_DASK_TEST"]
        else:
            os.environ["DJ_DASK_TEST"] = previous


def _forget_pipeline() -> None:
    sys.modules.pop("dask_pipeline", None)


@pytest.fixture
def dask_pipeline(backend_name, connection, tmp_path, client):
    name = new_schema_name("djdask")
    fields = [*connection_fields(backend_name, connection), name, str(tmp_path)]
    pathlib.Path(os.environ["DJ_DASK_TEST"]).write_text("|".join(fields))
    client.run(_forget_pipeline)  # the workers import it again, bound to the new schema
    _forget_pipeline()
    module = importlib.import_module("dask_pipeline")
    yield module
    if not module.connection.is_connected:
        module.connection.connect()
    module.schema.drop(prompt=False)
    module.connection.close()
    sys.modules.pop("dask_pipeline", None)


def calls(module) -> collections.Counter:
    lines = (module.LOG / "calls").read_text().split()
    return collections.Counter(int(n) for n in lines[::2])


def test_populate_on_a_dask_cluster(dask_pipeline, client) -> None:
    module = dask_pipeline
    Square = module.Square
    with dj.config.override(jobs={"lease_timeout": 1.0}):
        workers = set(client.run(os.getpid).values())
        assert len(workers) == 2 and os.getpid() not in workers
        result = Square.populate(
            reserve_jobs=True, executor=client.get_executor(), suppress_errors=True
        )
        # 8 keys: one failed, one lost with its killed worker, six made. Results the killed
        # worker held but had not sent are recomputed elsewhere by Dask; the recomputed task
        # finds its key done or failed and reports "skipped", so the counts returned may be
        # lower; the table and its jobs table say what happened
        assert 1 <= result["success_count"] <= 6
        assert len(Square()) == 6
        assert result["error_list"] in ([], [({"n": module.FAIL}, "ValueError: cannot square 5")])
        error = (Square.jobs & {"n": module.FAIL}).fetch1()
        assert error["status"] == "error"
        assert error["error_message"] == "ValueError: cannot square 5"
        assert "cannot square 5" in Square.jobs.error_stack({"n": module.FAIL})
        killed = Square.jobs & {"n": module.KILL}
        assert killed.fetch1("status") == "reserved"  # the dead worker still holds it
        assert not Square & {"n": module.KILL}  # its insert was rolled back with the process
        first = calls(module)
        assert first[module.KILL] == 1  # Dask's retry of the task found the key reserved
        assert all(first[n] == 1 for n in (1, 2, 4, 5, 6, 7, 8))

        time.sleep(1.2)  # the lease of the dead worker runs out
        again = Square.populate(
            reserve_jobs=True, executor=client.get_executor(), suppress_errors=True
        )
        assert again == {"success_count": 1, "error_list": []}  # failed jobs are not retried

    made = calls(module)
    assert made == {1: 1, 2: 1, 3: 2, 4: 1, 5: 1, 6: 1, 7: 1, 8: 1}
    rows = Square().to_dicts()
    assert [r["n"] for r in rows] == [1, 2, 3, 4, 6, 7, 8]
    assert all(r["square"] == r["n"] ** 2 for r in rows)
    assert os.getpid() not in {r["pid"] for r in rows}
    assert Square.jobs.progress() == {
        "pending": 0, "reserved": 0, "success": 0, "error": 1, "ignore": 0, "total": 1
    }  # fmt: skip


def test_dask_without_reservations_makes_each_key_once(dask_pipeline, client) -> None:
    module = dask_pipeline
    keys = [{"n": n} for n in (1, 2, 4, 6, 7, 8)]  # neither the failing nor the killing key
    result = module.Square.populate(keys, executor=client.get_executor())
    assert result == {"success_count": 6, "error_list": []}
    assert calls(module) == {1: 1, 2: 1, 4: 1, 6: 1, 7: 1, 8: 1}
    assert len(module.Square()) == 6


def test_memory_sqlite_refuses_other_processes() -> None:
    connection = dj.Connection(backend="sqlite", path=":memory:")
    schema = dj.Schema(new_schema_name("djmem"), connection=connection)

    @schema
    class Number(dj.Lookup):
        definition = "n : int16"
        contents = [(1,), (2,)]

    @schema
    class Twice(dj.Computed):
        definition = "-> Number\n---\nm : int16"

        def make(self, key):
            self.insert1({**key, "m": 2 * key["n"]})

    with (
        ProcessPoolExecutor(max_workers=1) as executor,
        pytest.raises(DataJointError, match="in-memory SQLite database"),
    ):
        Twice.populate(executor=executor)
    assert Twice.populate() == {"success_count": 2, "error_list": []}
    connection.close()
