"""Running populate's keys serially, in local worker processes, or on any
``concurrent.futures.Executor`` (spec 05 §4.5, §12.3).

Tasks carry only picklable data: a :class:`TableRef` (module, class and table identity), the
key and the options. A worker resolves the table — from the tables the parent registered
before forking, else by importing its module (``spawn``, Dask, Ray) — opens its own
connection and runs :func:`make_one`. Workers coordinate only through the database.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import multiprocessing
import os
import pickle
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import (
    BrokenExecutor,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
)
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from typing import Any

from ..errors import DataJointError
from .make import error_message, make_one

logger = logging.getLogger("datajoint")

# tables registered by the parent before its workers fork: (schema, table) -> instance
_FORKED: dict[tuple[str, str], Any] = {}

# one task at a time per process: the tables of a process share one connection, and executors
# such as Dask run several tasks of a worker process in threads
_TASK_LOCK = threading.Lock()


@dataclass(frozen=True)
class TableRef:
    """A picklable description of an auto-populated table."""

    module: str
    qualname: str
    database: str
    table_name: str


@dataclass
class Options:
    """The populate options a worker needs."""

    reserve: bool = False
    make_kwargs: dict[str, Any] | None = None
    suppress_errors: bool = False
    return_exception_objects: bool = False


def table_ref(table: Any) -> TableRef:
    cls = type(table)
    return TableRef(cls.__module__, cls.__qualname__, table.database, table.table_name)


def resolve(ref: TableRef) -> Any:
    """The table instance of ``ref`` in this process."""
    table = _FORKED.get((ref.database, ref.table_name))
    if table is not None:
        return table
    try:
        obj: Any = importlib.import_module(ref.module)
        for name in ref.qualname.split("."):
            obj = getattr(obj, name)
    except (ImportError, AttributeError) as exc:
        raise DataJointError(
            f"Worker process cannot import table class {ref.module}.{ref.qualname}: define it at "
            "module level in an importable module that binds it to its schema on import."
        ) from exc
    table = obj()
    if table.database != ref.database or table.table_name != ref.table_name:
        raise DataJointError(
            f"In the worker, {ref.qualname} is bound to `{table.database}`.`{table.table_name}`, "
            f"not `{ref.database}`.`{ref.table_name}`: configure the workers like the parent."
        )
    return table


def _picklable(exc: BaseException) -> BaseException | None:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return None
    return exc


def _open(ref: TableRef) -> Any:
    """The table of ``ref`` with a live connection, in this worker process."""
    table = resolve(ref)
    connection = table.connection
    if not connection.is_connected:
        connection.connect()
    return table


def _failed(ref: TableRef, key: Any, exc: Exception) -> tuple[str, Any, Any, Any]:
    """A worker that failed outside ``make`` (resolving its table, connecting, reserving) logs
    why and hands the exception to the parent."""
    message = f"Worker process {os.getpid()} failed before make(): {error_message(exc)}"
    logger.error("%s (%s, key %s)", message, ref.qualname, key, exc_info=exc)
    return "error", key, message, _picklable(exc)


def work(ref: TableRef, key: dict[str, Any], options: Options) -> tuple[str, Any, Any, Any]:
    """One task: ``(status, key, message, exception)``; status ``success``/``skipped``/``error``.

    A failure of ``make`` is recorded in the jobs table by :func:`make_one`; any other failure
    of the worker is logged here and reported to the parent.
    """
    with _TASK_LOCK:
        try:
            table = _open(ref)
        except Exception as exc:
            return _failed(ref, key, exc)
        jobs = table.jobs if options.reserve else None
        try:
            status = make_one(table, key, jobs, options.make_kwargs)
        except Exception as exc:
            return "error", key, error_message(exc), _picklable(exc)
        return status, key, None, None


def _result(future: Future[Any], ref: TableRef) -> Any:
    """A task's result; a task that ended without one (its worker process died, the executor
    broke, the task could not be sent) raises a :class:`DataJointError` saying so."""
    try:
        return future.result()
    except DataJointError:
        raise
    except BrokenExecutor as exc:
        message = (
            f"A worker process of {ref.qualname}.populate() died without reporting (killed by a "
            f"signal, out of memory, or exited): {exc}. Jobs it had reserved return to the "
            "queue after jobs.lease_timeout seconds; run populate() again."
        )
        logger.error(message)
        raise DataJointError(message) from exc
    except Exception as exc:
        message = f"A task of {ref.qualname}.populate() failed in its executor: " + error_message(
            exc
        )
        logger.error(message)
        raise DataJointError(message) from exc


def _claim_loop(
    table: Any,
    jobs: Any,
    options: Options,
    priority: int | None,
    within: tuple[str, list[Any]] | None,
    limit: int | None,
) -> Iterator[tuple[str, Any, Any, Any]]:
    """Claim and make due jobs one by one until none is left or ``limit`` are made."""
    count = 0
    while limit is None or count < limit:
        key = jobs.claim(priority, within)
        if key is None:
            return
        count += 1
        try:
            status = make_one(table, key, jobs, options.make_kwargs, reserved=True)
        except Exception as exc:
            yield "error", key, error_message(exc), exc
            if not options.suppress_errors:
                return
        else:
            yield status, key, None, None


def drain(
    ref: TableRef,
    options: Options,
    priority: int | None,
    within: tuple[str, list[Any]] | None,
    limit: int | None,
) -> list[tuple[str, Any, Any, Any]]:
    """One worker task of claiming mode: claim and make jobs until the queue is empty."""
    out = []
    with _TASK_LOCK:
        try:
            table = _open(ref)
            for status, key, message, exc in _claim_loop(
                table, table.jobs, options, priority, within, limit
            ):
                out.append((status, key, message, None if exc is None else _picklable(exc)))
        except Exception as exc:  # claiming failed (make() failures are yielded above)
            out.append(_failed(ref, None, exc))
    return out


def run_claimed(
    table: Any,
    tally: Tally,
    workers: int,
    executor: Executor | None,
    priority: int | None,
    within: tuple[str, list[Any]] | None,
    limit: int | None,
) -> None:
    """Claiming mode (spec 05 §12.2): each worker claims due jobs itself, in queue order."""
    if executor is None and workers <= 1:
        for result in _claim_loop(table, table.jobs, tally.options, priority, within, limit):
            tally.add(*result)
        return
    shares: list[int | None] = [None] * workers
    if limit is not None:
        shares = [limit // workers + (i < limit % workers) for i in range(workers)]
    ref = table_ref(table)
    with _forked(table, executor, workers) as pool:
        futures = [pool.submit(drain, ref, tally.options, priority, within, n) for n in shares]
        for future in futures:
            for result in _result(future, ref):
                tally.add(*result)


@contextlib.contextmanager
def _forked(table: Any, executor: Executor | None, workers: int) -> Iterator[Executor]:
    """``executor`` (or a local process pool) with the table registered for forked workers;
    the parent's connection is closed meanwhile and reopened afterwards."""
    check_executor(table, executor)
    connection = table.connection
    if connection.adapter.name == "sqlite" and connection.conn_info["path"] == ":memory:":
        raise DataJointError(
            f"populate() of {type(table).__name__} cannot run in other processes: its schema "
            "lives in an in-memory SQLite database, which only this process sees. Use a "
            "database file (database.path) or populate without processes/executor."
        )
    ref = table_ref(table)
    _FORKED[(ref.database, ref.table_name)] = table
    connection.close()
    own = executor is None
    if executor is None:
        context = multiprocessing.get_context()
        executor = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    try:
        yield executor
    finally:
        if own:
            executor.shutdown(wait=True, cancel_futures=True)
        _FORKED.pop((ref.database, ref.table_name), None)
        if not connection.is_connected:
            connection.connect()


def worker_count(processes: int | None, n_keys: int) -> int:
    """``min(processes, keys, cpus)``; ``None`` or 0 processes means as many as CPUs."""
    cpus = os.cpu_count() or 1
    wanted = cpus if not processes else int(processes)
    return max(1, min(wanted, n_keys, cpus))


class Tally:
    """Counts successes and collects errors as populate reports them (spec 05 §4.1)."""

    def __init__(self, table: Any, options: Options, bar: Any = None) -> None:
        self.table, self.options, self.bar = table, options, bar
        self.success = 0
        self.errors: list[tuple[Any, Any]] = []

    def add(self, status: str, key: Any, message: Any = None, exc: Any = None) -> None:
        if self.bar is not None:
            self.bar.update(1)
        if status == "success":
            self.success += 1
            return
        if status != "error":
            return
        if not self.options.suppress_errors:
            raise exc if exc is not None else DataJointError(message)
        logger.error("Error making %s -> %s: %s", key, self.table.full_table_name, message)
        if self.options.return_exception_objects:
            self.errors.append((key, exc if exc is not None else DataJointError(message)))
        else:
            self.errors.append((key, message))

    def result(self) -> dict[str, Any]:
        return {"success_count": self.success, "error_list": self.errors}


def run_serial(table: Any, keys: Iterable[dict[str, Any]], jobs: Any, tally: Tally) -> None:
    """Process the keys one by one in this process."""
    options = tally.options
    for key in keys:
        try:
            status = make_one(table, key, jobs, options.make_kwargs)
        except Exception as exc:
            tally.add("error", key, error_message(exc), exc)
        else:
            tally.add(status, key)


def check_executor(table: Any, executor: Executor | None) -> None:
    """Refuse executors that run tasks in this process's threads."""
    if isinstance(executor, ThreadPoolExecutor):
        raise DataJointError(
            f"populate() of {type(table).__name__} cannot use a ThreadPoolExecutor: make() shares "
            "its table's connection. Use processes=N, a ProcessPoolExecutor, Dask or Ray."
        )


def run_parallel(
    table: Any,
    keys: Sequence[dict[str, Any]],
    tally: Tally,
    workers: int,
    executor: Executor | None = None,
) -> None:
    """Process the keys as tasks of ``executor`` (default: a local pool of ``workers``).

    The parent closes its connection first (forked workers then open their own) and
    reconnects at the end.
    """
    ref = table_ref(table)
    futures: list[Future[Any]] = []
    with _forked(table, executor, workers) as pool:
        try:
            futures = [pool.submit(work, ref, dict(key), tally.options) for key in keys]
            pending = set(futures)
            while pending:
                done, pending = wait_futures(pending, return_when="FIRST_COMPLETED")
                for future in done:
                    tally.add(*_result(future, ref))
        finally:
            for future in futures:
                future.cancel()
