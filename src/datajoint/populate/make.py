"""One key of populate (spec 05 §5.1): reserve, transaction, ``make`` (simple, three-part or
generator form), hidden job metadata, commit, and the record of the outcome in the jobs table.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import functools
import inspect
import logging
import time
import traceback
from collections.abc import Mapping
from typing import Any

from ..backends import jobs as sql
from ..errors import DataJointError, LockWaitError, LostConnectionError
from ..log import JOBS
from ..table.insert import recording_inserts
from ..types import to_core_value
from .digest import digest
from .jobspec import code_version
from .lease import Lease

logger = logging.getLogger("datajoint")

METADATA = ("_job_start_time", "_job_duration", "_job_version")

# (schema, table) of the tables whose make() runs in this thread/context: inserts allowed
_MAKING: contextvars.ContextVar[frozenset[tuple[str, str]]] = contextvars.ContextVar(
    "datajoint_making", default=frozenset()
)


def inserts_allowed(table: Any) -> bool:
    """True while ``make()`` of ``table`` runs in the current thread (or context)."""
    return (table.database, table.table_name) in _MAKING.get()


class making:
    """For the duration of the block: inserts into ``table`` are permitted in this thread (or
    context) only, and ``key`` is the key being made (for ``self.upstream``, spec 05 §5.6)."""

    __slots__ = ("key", "table", "token")

    def __init__(self, table: Any, key: Mapping[str, Any]) -> None:
        self.table, self.key = table, key

    def __enter__(self) -> None:
        table = self.table
        self.token = _MAKING.set(_MAKING.get() | {(table.database, table.table_name)})
        table.__dict__["_making"] = dict(self.key)

    def __exit__(self, *exc: object) -> None:
        state = self.table.__dict__
        state.pop("_making", None)
        state.pop("_upstream", None)
        _MAKING.reset(self.token)


def error_message(exc: BaseException) -> str:
    """``"<ExceptionClass>: <text>"``, or the class name alone when the text is empty."""
    text = str(exc)
    name = type(exc).__name__
    return f"{name}: {text}" if text else name


def make_mode(table: Any) -> str:
    """``"simple"``, ``"generator"`` or ``"tripartite"``; NotImplementedError if none."""
    make = getattr(table, "make", None)
    if make is None:
        make = getattr(table, "_make_tuples", None)
    if callable(make):
        function = getattr(make, "__func__", make)
        try:
            generator = _generator(function)
        except TypeError:  # an unhashable callable object
            generator = inspect.isgeneratorfunction(function)
        return "generator" if generator else "simple"
    if all(
        callable(getattr(table, m, None)) for m in ("make_fetch", "make_compute", "make_insert")
    ):
        return "tripartite"
    raise NotImplementedError(
        f"`{type(table).__name__}` defines neither make(self, key) nor all of make_fetch, "
        "make_compute and make_insert: define them to populate it."
    )


@functools.lru_cache(maxsize=256)
def _generator(function: Any) -> bool:
    return inspect.isgeneratorfunction(function)


def _sequence(value: Any, method: str, table: Any) -> tuple[Any, ...] | list[Any]:
    if not isinstance(value, tuple | list):
        raise DataJointError(
            f"{type(table).__name__}.{method} must return a tuple or list (it is unpacked into "
            f"the next method's arguments), got {type(value).__name__}."
        )
    return value


_PROTOCOL = (
    "A generator make() must yield the fetched data, then yield the computed result (not "
    "None) when the first yield gives None, insert when it gives the result, and yield once "
    "more (spec 05 §2.4)."
)


def _step(gen: Any, value: Any, table: Any) -> Any:
    try:
        return gen.send(value)
    except StopIteration:
        raise DataJointError(f"{type(table).__name__}.make ended early. {_PROTOCOL}") from None


def _changed(table: Any) -> DataJointError:
    return DataJointError(
        f"Referential integrity failed for {type(table).__name__}: the make_fetch data has "
        "changed between computing and inserting; the result was not inserted. Populate again."
    )


def _three_part(table: Any, key: dict[str, Any], mode: str, kwargs: dict[str, Any]) -> None:
    """Fetch and compute outside any transaction, then re-fetch, compare and insert inside one."""
    connection = table.connection
    if mode == "generator":
        gen = table.make(dict(key), **kwargs)
        before = digest(_step(gen, None, table))
        computed = _step(gen, None, table)
        gen.close()
        if computed is None:
            raise DataJointError(
                f"{type(table).__name__}.make yielded None as its computed result. {_PROTOCOL}"
            )
        connection.start_transaction()
        gen = table.make(dict(key), **kwargs)
        if digest(_step(gen, None, table)) != before:
            raise _changed(table)
        with contextlib.suppress(StopIteration):
            gen.send(computed)
        gen.close()
        return
    fetched = _sequence(table.make_fetch(dict(key), **kwargs), "make_fetch", table)
    before = digest(fetched)
    computed = _sequence(table.make_compute(dict(key), *fetched), "make_compute", table)
    del fetched
    connection.start_transaction()
    fetched = _sequence(table.make_fetch(dict(key), **kwargs), "make_fetch", table)
    if digest(fetched) != before:
        raise _changed(table)
    table.make_insert(dict(key), *computed)


def _write_metadata(
    table: Any, key: Mapping[str, Any], start: datetime.datetime, duration: float
) -> None:
    heading = table.heading
    if not heading.__dict__.get("_has_job_metadata", True):
        return
    if not all(heading.has_hidden(name) for name in METADATA):
        heading.__dict__["_has_job_metadata"] = False  # remembered with the heading
        return
    present = heading.all_names
    connection = table.connection
    adapter = connection.adapter
    version = code_version(connection._config)[:64]
    values = (start, float(duration), version)
    sets = [(n, adapter.to_driver(heading[n], v)) for n, v in zip(METADATA, values, strict=True)]
    where = [
        (name, "=", adapter.to_driver(heading[name], to_core_value(heading[name].type, v, name)))
        for name, v in key.items()
        if name in present
    ]
    connection.query(*sql.update_sql(adapter, table.database, table.table_name, sets, where))


def make_one(
    table: Any,
    key: Mapping[str, Any],
    jobs: Any = None,
    make_kwargs: dict[str, Any] | None = None,
    reserved: bool = False,
) -> str:
    """Process one key (spec 05 §5.1); returns ``"success"`` or ``"skipped"``.

    A failure is rolled back, recorded in the jobs table (distributed mode) and re-raised.
    ``reserved``: the job was already claimed by this worker (spec 05 §12.2).
    """
    kwargs = dict(make_kwargs or {})
    key = dict(key)
    if jobs is not None and not reserved and not jobs.reserve(key):
        return "skipped"
    connection = table.connection
    mode = make_mode(table)
    wall, start = time.monotonic(), datetime.datetime.now()
    lease = Lease(jobs, key) if jobs is not None else contextlib.nullcontext()
    try:
        with lease:
            if mode == "simple":
                connection.start_transaction()
            if table & key:  # the one statement of populate's own per key (spec 05 §5.1)
                if connection.in_transaction:
                    connection.cancel_transaction()
                if jobs is not None:
                    jobs.complete(key)
                return "skipped"
            if logger.isEnabledFor(JOBS):
                logger.log(JOBS, "Making %s -> %s", key, table.full_table_name)
            with making(table, key), recording_inserts() as inserted:
                if mode == "simple":
                    make = getattr(table, "make", None) or table._make_tuples
                    make(dict(key), **kwargs)
                else:
                    _three_part(table, key, mode, kwargs)
            duration = time.monotonic() - wall
            if (table.database, table.table_name) not in inserted:
                logger.warning("make() of %s inserted no row for %s.", type(table).__name__, key)
            _write_metadata(table, key, start, duration)
            if jobs is not None and not jobs.holds(key):
                # the lease ran out and the job went to another worker (spec 05 §12.1)
                connection.cancel_transaction()
                logger.warning("Lost the reservation of %s; its result is discarded.", key)
                return "skipped"
            connection.commit_transaction()
    except BaseException as exc:
        if connection.in_transaction:
            with contextlib.suppress(LostConnectionError):
                connection.cancel_transaction()
        message = error_message(exc)
        logger.log(JOBS, "Error making %s -> %s - %s", key, table.full_table_name, message)
        if jobs is not None:
            try:
                if isinstance(exc, LockWaitError):  # not the key's fault: back to the queue
                    jobs.release(key)
                else:
                    jobs.error(key, message, traceback.format_exc())
            except Exception as record_error:  # never mask the original exception
                logger.error("Could not record the error of %s: %s", key, record_error)
        raise
    if jobs is not None:
        jobs.complete(key, duration=duration)
    if logger.isEnabledFor(JOBS):
        logger.log(JOBS, "Success making %s -> %s", key, table.full_table_name)
    return "success"
