"""Auto-populated tables (spec 05): ``key_source``, ``populate``, ``progress`` and ``jobs``.

``populate()`` computes the pending keys in one query (direct mode) or takes due jobs from the
table's jobs table (distributed mode), then runs :func:`make_one` for each key — serially, in
local worker processes, or on any ``concurrent.futures.Executor``.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import random
import signal
import threading
import warnings
from collections.abc import Iterator
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._optional import lazy_module
from ..backends import jobs as sql
from ..errors import DataJointError
from ..query.compiler import compile_fetch
from ..query.expression import QueryExpression, is_expression
from ..table.table import FreeTable, _ClassProperty, on_class
from ..table.tiers import Computed as _Computed
from ..table.tiers import Imported as _Imported
from .executors import (
    Options,
    Tally,
    check_executor,
    run_claimed,
    run_parallel,
    run_serial,
    worker_count,
)
from .jobs import Job
from .jobspec import check_priority, config_value
from .make import inserts_allowed, make_mode
from .upstream import Upstream

if TYPE_CHECKING:
    import tqdm.auto as tqdm_auto
else:  # the progress bar (and the asyncio it imports) loads when one is shown
    tqdm_auto = lazy_module("tqdm.auto")

logger = logging.getLogger("datajoint")

_ORDERS = ("original", "reverse", "random")


@contextlib.contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """Turn SIGTERM into ``SystemExit("SIGTERM received")`` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise SystemExit("SIGTERM received")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@dataclass
class _Plan:
    """How populate runs its keys."""

    options: Options
    order: str | None
    max_calls: int | None
    processes: int | None
    executor: Executor | None
    display_progress: bool


def _server_now(connection: Any) -> str:
    value = connection.query(sql.server_now_sql(connection.adapter), []).fetchone()[0]
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")[:23]
    return str(value)


class AutoPopulate:
    """Mixin of Imported and Computed tables: ``key_source``, ``populate``, ``progress``."""

    # `# type: ignore[attr-defined]` below: Table attributes the mixin uses (it is always
    # combined with Table in Imported and Computed)

    @property
    def _allow_insert(self) -> bool:
        """True while this table's ``make()`` runs in the current thread (insert guard)."""
        return inserts_allowed(self)

    @property
    def upstream(self) -> Upstream:
        """Inside ``make``: the ancestors restricted to what feeds the current key (§5.6)."""
        key = self.__dict__.get("_making")
        if key is None:
            raise DataJointError(
                f"{type(self).__name__}.upstream is only available inside make() (and the "
                "make_fetch/make_compute/make_insert methods) during populate()."
            )
        trace = self.__dict__.get("_upstream")
        if trace is None:
            trace = self.__dict__["_upstream"] = Upstream(self, key)
        return trace

    # ---------------------------------------------------------------- key source
    @_ClassProperty
    def key_source(self) -> QueryExpression:
        """The join of the primary-key parents, projected to their keys (spec 05 §3)."""
        cached: QueryExpression | None = self.__dict__.get("_default_key_source")
        if cached is not None:
            return cached
        heading = self.heading  # type: ignore[attr-defined]
        key = set(heading.primary_key)
        source: QueryExpression | None = None
        for fk in heading.foreign_keys:
            if not set(fk.columns) <= key:
                continue
            parent = FreeTable(self.connection, ".".join(fk.parent))  # type: ignore[attr-defined]
            renames = {new: old for new, old in fk.attr_map.items() if new != old}
            part = parent.proj(**renames) if renames else parent.proj()
            source = part if source is None else source.join(part, semantic_check=False)
        if source is None:
            raise DataJointError(
                f"`{self.table_name}` has no primary-key parents to populate from: add a "  # type: ignore[attr-defined]
                "dependency (-> Parent) to its primary key or define key_source."
            )
        self.__dict__["_default_key_source"] = source
        return source

    def checked_key_source(self) -> QueryExpression:
        """The key source projected to its primary key, after the checks of spec 05 §3."""
        name = type(self).__name__
        source: Any = self.key_source
        if isinstance(source, type):
            source = source()
        if not is_expression(source):
            raise DataJointError(
                f"{name}.key_source must be a query expression, got {type(source).__name__}."
            )
        present = {a.name for a in self.heading.all_attributes}  # type: ignore[attr-defined]
        for attr in source.primary_key:
            if attr not in present:
                raise DataJointError(
                    f"The key source of {name} has the primary-key attribute `{attr}`, which is "
                    f"not an attribute of {name}: fix key_source."
                )
        projected: QueryExpression = source.proj()
        return projected

    def done_keys(self, source: QueryExpression) -> QueryExpression:
        """This table projected to the key source's primary key (keys already made)."""
        extra = [k for k in source.primary_key if k not in self.primary_key]  # type: ignore[attr-defined]
        done: QueryExpression = self.proj(*extra)  # type: ignore[attr-defined]
        return done

    def _unrestricted(self, action: str) -> None:
        if self.is_restricted:  # type: ignore[attr-defined]
            raise DataJointError(
                f"{action} of a restricted {type(self).__name__} is not supported: call it on the "
                "table and pass the restriction as an argument instead."
            )

    def _todo(self, restrictions: tuple[Any, ...]) -> QueryExpression:
        source = self.checked_key_source()
        for r in restrictions:
            source = source & r
        return source

    def _pending(self, restrictions: tuple[Any, ...]) -> QueryExpression:
        todo = self._todo(restrictions)
        return todo - self.done_keys(todo)

    # ---------------------------------------------------------------- jobs
    @_ClassProperty
    def jobs(self) -> Job:
        """This table's jobs table, declared on first use (spec 05 §7)."""
        job = self.__dict__.get("_jobs")
        if job is None:
            job = Job(self)
            self.__dict__["_jobs"] = job
        return job

    def _due_jobs(
        self, jobs: Job, restrictions: tuple[Any, ...], priority: int | None, limit: int | None
    ) -> list[dict[str, Any]]:
        jobs.expire_leases()
        due = jobs & "status = 'pending'" & f"scheduled_time <= '{_server_now(self.connection)}'"  # type: ignore[attr-defined]
        if priority is not None:
            due = due & f"priority <= {check_priority(priority, self.table_name)}"  # type: ignore[attr-defined]
        if restrictions:
            # job keys carry the target's lineage, which a lineage rebuild may have dropped
            due = due.restrict(self._todo(restrictions), semantic_check=False)
        return due.keys(order_by=["priority", "scheduled_time", "KEY"], limit=limit)

    # ---------------------------------------------------------------- populate
    def populate(
        self,
        *restrictions: Any,
        suppress_errors: bool = False,
        return_exception_objects: bool = False,
        reserve_jobs: bool = False,
        max_calls: int | None = None,
        display_progress: bool = False,
        processes: int | None = 1,
        make_kwargs: dict[str, Any] | None = None,
        priority: int | None = None,
        refresh: bool | None = None,
        executor: Executor | None = None,
        claim: bool = False,
        order: str | None = None,
        limit: int | None = None,
    ) -> dict[str, Any]:
        """Call ``make(key)`` for each pending key of the key source (spec 05 §4).

        Parameters
        ----------
        *restrictions : restrictions of the key source, ANDed
        suppress_errors : collect failures and go on instead of raising the first one
        return_exception_objects : collect exception objects instead of messages
        reserve_jobs : distributed mode: take due jobs from the jobs table, reserving each
        max_calls : attempt at most this many keys
        display_progress : show a progress bar
        processes : worker processes on this machine (``None``: one per CPU)
        make_kwargs : keyword arguments for every ``make`` (or ``make_fetch``)
        priority : distributed mode: take only jobs with ``priority <=`` this; priority of
            jobs added by the automatic refresh
        refresh : distributed mode: refresh the queue first (default ``jobs.auto_refresh``)
        executor : any ``concurrent.futures.Executor`` running tasks in other processes
        claim : distributed mode: each worker claims the next due job in one short
            transaction instead of reserving from a key list (spec 05 §12.2)
        order, limit : deprecated (``order="original"|"reverse"|"random"``; ``limit`` is
            ``max_calls``)

        Returns
        -------
        dict
            ``{"success_count": int, "error_list": [(key, message or exception), ...]}``
        """
        connection = self.connection  # type: ignore[attr-defined]
        name = type(self).__name__
        if connection.in_transaction:
            raise DataJointError(
                f"{name}.populate() cannot run inside a transaction: commit or cancel it first."
            )
        self._unrestricted(f"{name}.populate()")
        if limit is not None:
            warnings.warn("populate(limit=) is deprecated: use max_calls=.", DeprecationWarning, 2)
            max_calls = limit if max_calls is None else max_calls
        if order is not None:
            warnings.warn("populate(order=) is deprecated.", DeprecationWarning, stacklevel=2)
            if order not in _ORDERS:
                raise DataJointError(
                    f"{name}.populate(order=) must be one of {', '.join(_ORDERS)}."
                )
        if max_calls is not None and (not isinstance(max_calls, int) or max_calls < 0):
            raise DataJointError(f"{name}.populate(max_calls=) must be a non-negative integer.")
        make_mode(self)  # NotImplementedError before any key is reserved
        check_executor(self, executor)
        if claim and not reserve_jobs:
            raise DataJointError(f"{name}.populate(claim=True) needs reserve_jobs=True.")
        options = Options(
            reserve=bool(reserve_jobs),
            make_kwargs=dict(make_kwargs or {}),
            suppress_errors=suppress_errors,
            return_exception_objects=return_exception_objects,
        )
        plan = _Plan(options, order, max_calls, processes, executor, display_progress)
        if not reserve_jobs:
            ordered = order in (None, "original")
            keys = self._pending(restrictions).keys(
                order_by="KEY", limit=max_calls if ordered else None
            )
            return self._run(keys, None, plan)
        with _sigterm_as_exit():
            jobs = self.jobs
            if refresh is None:
                refresh = bool(config_value(connection, "jobs.auto_refresh", True))
            if refresh:
                jobs.refresh(*restrictions, priority=priority, delay=-1)
            if claim:
                return self._run_claimed(jobs, restrictions, priority, plan)
            keys = self._due_jobs(jobs, restrictions, priority, max_calls)
            return self._run(keys, jobs, plan)

    def _run(self, keys: list[dict[str, Any]], jobs: Job | None, plan: _Plan) -> dict[str, Any]:
        order, max_calls, executor = plan.order, plan.max_calls, plan.executor
        if order == "reverse":
            keys.reverse()
        elif order == "random":
            random.shuffle(keys)
        if max_calls is not None:
            keys = keys[:max_calls]
        workers = worker_count(plan.processes, len(keys))
        parallel = executor is not None or workers > 1
        bar = None
        if plan.display_progress:
            desc = "Processes: " if parallel else type(self).__name__
            bar = tqdm_auto.tqdm(total=len(keys), desc=desc)
        tally = Tally(self, plan.options, bar)
        try:
            if parallel and keys:
                run_parallel(self, keys, tally, workers, executor)
            else:
                run_serial(self, keys, jobs, tally)
        finally:
            if bar is not None:
                bar.close()
        return tally.result()

    def _run_claimed(
        self, jobs: Job, restrictions: tuple[Any, ...], priority: int | None, plan: _Plan
    ) -> dict[str, Any]:
        max_calls, executor = plan.max_calls, plan.executor
        jobs.expire_leases()
        within = jobs.within(*restrictions)
        workers = worker_count(plan.processes, max_calls if max_calls is not None else 1 << 30)
        parallel = executor is not None or workers > 1
        bar = None
        if plan.display_progress:
            desc = "Processes: " if parallel else type(self).__name__
            bar = tqdm_auto.tqdm(total=max_calls, desc=desc)
        tally = Tally(self, plan.options, bar)
        try:
            run_claimed(self, tally, workers, executor, priority, within, max_calls)
        finally:
            if bar is not None:
                bar.close()
        return tally.result()

    # ---------------------------------------------------------------- progress
    def progress(self, *restrictions: Any, display: bool = False) -> tuple[int, int]:
        """``(remaining, total)`` keys of the restricted key source, in one query (spec 05 §6)."""
        name = type(self).__name__
        self._unrestricted(f"{name}.progress()")
        todo = self._todo(restrictions)
        keys = todo.primary_key
        connection = self.connection  # type: ignore[attr-defined]
        source_sql, source_params = compile_fetch(todo, keys)
        target_sql, target_params = compile_fetch(self.done_keys(todo), keys)
        statement = sql.progress_sql(
            connection.adapter, source_sql, source_params, target_sql, target_params, keys
        )
        total, remaining = connection.query(*statement).fetchone()
        total, remaining = int(total), int(remaining or 0)
        if display:
            done = total - remaining
            percent = 100.0 * done / total if total else 100.0
            now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
            logger.info(f"{name:<20}Completed {done} of {total} ({percent:.1f}%)   {now}")
        return remaining, total


class Imported(AutoPopulate, _Imported):
    """Auto-populated from outside data by ``make()``."""


class Computed(AutoPopulate, _Computed):
    """Auto-populated from upstream tables by ``make()``."""


for _name in ("populate", "progress"):
    setattr(AutoPopulate, _name, on_class(getattr(AutoPopulate, _name)))
