"""Per-table jobs tables (spec 05 §7, §8): ``~~<name>`` next to each auto-populated table.

A :class:`Job` is a table object (restrict, fetch, preview) with the queue operations:
``refresh`` (one set-based INSERT…SELECT plus a few conditional UPDATE/DELETE statements),
the atomic ``reserve``, ``complete``, ``error``, ``ignore`` and ``progress``. Every time
comparison uses the database server's clock. All SQL text comes from ``backends/jobs.py``.
"""

from __future__ import annotations

import copy
import logging
import os
import platform
import random
import sys
import time
from collections.abc import Mapping
from typing import Any, cast

from ..backends import jobs as sql
from ..backends.jobs import ServerTime
from ..codecs.blobformat import pack, unpack
from ..declare.ddl import declare, drop_table
from ..declare.lineage import write_lineage
from ..errors import DataJointError, DeclarationError
from ..query.compiler import compile_fetch
from ..query.conditions import Not
from ..table.insert import encode_row
from ..table.table import FreeTable, Table
from ..types import to_core_value
from .jobspec import (
    ERROR_MESSAGE_LENGTH,
    STATUSES,
    TRUNCATION_APPENDIX,
    check_priority,
    clone_connection,
    code_version,
    config_value,
    job_key,
    jobs_definition,
    jobs_table_name,
    truncate_message,
    warn_coarse_jobs,
)

logger = logging.getLogger("datajoint")

_RETRIES = 6  # attempts of a bookkeeping statement that collides with another worker

__all__ = [
    "ERROR_MESSAGE_LENGTH",
    "TRUNCATION_APPENDIX",
    "Job",
    "schema_jobs",
]


class Job(FreeTable):
    """The jobs table of an auto-populated table ``target`` (spec 05 §7.3).

    Parameters
    ----------
    target : Imported or Computed table instance
    create : declare the jobs table when it does not exist yet
    """

    def __init__(self, target: Any, create: bool = True) -> None:
        name = jobs_table_name(target.table_name)
        super().__init__(target.connection, f"{target.database}.{name}")
        self._target = target
        self._user: str | None = None
        if create and not self.is_declared:
            self._declare()
        elif self.is_declared and self._lineage_lost():
            self._write_lineage()

    def _declare(self) -> None:
        connection = self.connection
        target = self._target
        warn_coarse_jobs(target)
        for stack_type in ("<blob>", "bytes"):  # <blob> once the codec is registered
            try:
                definition = jobs_definition(target, stack_type)
                declare(connection, self._db, self.table_name, definition, {})
                break
            except DeclarationError as exc:
                if "not registered" not in str(exc):
                    raise
            except DataJointError:
                connection.invalidate(self._db)
                if not self.is_declared:
                    raise
                break  # another worker declared it meanwhile
        self._write_lineage()

    def _lineage_lost(self) -> bool:
        """True when a lineage rebuild of the schema dropped the job key's lineage rows."""
        heading = self.heading
        key = [heading[k] for k in heading.primary_key]
        return heading.lineage_available and any(a.lineage is None for a in key)

    def _write_lineage(self) -> None:
        """Give the job key the lineage of the target's key (spec 05 §7.2)."""
        lineage = {a.name: a.lineage for a in job_key(self._target) if a.lineage}
        if lineage:
            write_lineage(self.connection, self._db, self.table_name, lineage)
            self.connection.invalidate(self._db)

    @property  # computed here, a plain class attribute on Table
    def definition(self) -> str:  # type: ignore[override]
        """The definition text of this jobs table."""
        stack = "<blob>"
        if self.is_declared and self.heading["error_stack"].codec is None:
            stack = "bytes"  # declared before the <blob> codec was available
        return jobs_definition(self._target, stack)

    @property
    def _db(self) -> str:
        return str(self.database)

    @property
    def target(self) -> Any:
        """The auto-populated table whose jobs these are."""
        return self._target

    # ---------------------------------------------------------------- views
    @property
    def pending(self) -> Any:
        return self & "status = 'pending'"

    @property
    def reserved(self) -> Any:
        return self & "status = 'reserved'"

    @property
    def errors(self) -> Any:
        return self & "status = 'error'"

    @property
    def ignored(self) -> Any:
        return self & "status = 'ignore'"

    @property
    def completed(self) -> Any:
        return self & "status = 'success'"

    # ---------------------------------------------------------------- helpers
    def _query(self, statement: tuple[str, list[Any]], unlocked: bool = False) -> int:
        """Run one bookkeeping statement; retried when it collides with another worker.

        ``unlocked``: read its sub-selects without shared locks (set-based refresh statements).
        """
        connection = self.connection
        adapter = connection.adapter
        prelude = None if connection.in_transaction else sql.unlocked_reads_sql(adapter)
        for attempt in range(_RETRIES):
            try:
                if unlocked and prelude is not None:
                    connection.query(prelude, None)
                cursor = connection.query(*statement)
            except (DataJointError, *adapter.driver_errors) as exc:
                if connection.in_transaction or attempt + 1 == _RETRIES:
                    raise
                if not sql.is_transient(adapter, exc):
                    raise
                logger.debug("Retrying a jobs statement after a conflict: %s", exc)
                time.sleep(random.uniform(0.01, 0.05) * 2**attempt)
            else:
                count: int = max(cursor.rowcount, 0)
                return count
        raise AssertionError("unreachable")  # pragma: no cover

    def _driver(self, name: str, value: Any) -> Any:
        attr = self.heading[name]
        if value is None:
            return None
        return self.connection.adapter.to_driver(attr, to_core_value(attr.type, value, name))

    def _key_where(self, key: Mapping[str, Any]) -> list[tuple[str, str, Any]]:
        try:
            return [(k, "=", self._driver(k, key[k])) for k in self.primary_key]
        except KeyError as exc:
            raise DataJointError(
                f"The key {dict(key)!r} lacks the job attribute {exc} of `{self.table_name}`."
            ) from None

    def _key_values(self, key: Mapping[str, Any]) -> list[tuple[str, Any]]:
        return [(k, v) for k, _, v in self._key_where(key)]

    def _worker(self) -> list[tuple[str, Any]]:
        connection = self.connection
        if self._user is None:
            self._user = str(connection.get_user())[:255]
        return [
            ("user", self._user),
            ("host", platform.node()[:255]),
            ("pid", os.getpid()),
            ("connection_id", int(connection.connection_id or 0)),
            ("version", code_version(connection._config)),
        ]

    def _update(
        self,
        sets: list[tuple[str, Any]],
        where: list[tuple[str, str, Any]],
        exists: Any = None,
        unlocked: bool = False,
    ) -> int:
        adapter = self.connection.adapter
        statement = sql.update_sql(adapter, self._db, self.table_name, sets, where, exists)
        return self._query(statement, unlocked)

    def _insert_row(self, values: list[tuple[str, Any]]) -> int:
        adapter = self.connection.adapter
        statement = sql.insert_row_sql(adapter, self._db, self.table_name, values, self.primary_key)
        return self._query(statement)

    def _keys_select(self, query: Any) -> tuple[str, list[Any], list[str], bool]:
        keys = self.primary_key
        select, params = compile_fetch(query, keys)
        return select, params, keys, False

    def _pending_source(self, restrictions: tuple[Any, ...]) -> Any:
        target = self._target
        source = target.checked_key_source()
        missing = [k for k in self.primary_key if k not in source.primary_key]
        if missing:
            raise DataJointError(
                f"The key source of `{target.table_name}` lacks the job attributes "
                f"{', '.join(missing)}: its primary key must include them."
            )
        for r in restrictions:
            source = source & r
        return source - target.done_keys(source)

    # ---------------------------------------------------------------- queue operations
    def refresh(
        self,
        *restrictions: Any,
        delay: float = 0,
        priority: int | None = None,
        stale_timeout: float | None = None,
        orphan_timeout: float | None = None,
    ) -> dict[str, int]:
        """Bring the queue up to date with the key source (spec 05 §7.4).

        Parameters
        ----------
        *restrictions : restrictions of the key source for adding and re-pending jobs
        delay : seconds from now (server clock) before new jobs become eligible
        priority : priority of new jobs; default ``config.jobs.default_priority``
        stale_timeout : seconds after which a job whose key left the key source is removed;
            default ``config.jobs.stale_timeout``; 0 disables
        orphan_timeout : seconds after which a reservation is reset to pending

        Returns
        -------
        dict
            ``{"added": n, "removed": n, "orphaned": n, "re_pended": n}``
        """
        connection = self.connection
        adapter = connection.adapter
        if priority is None:
            priority = config_value(connection, "jobs.default_priority", 5)
        priority = check_priority(priority, self._target.table_name)
        if stale_timeout is None:
            stale_timeout = config_value(connection, "jobs.stale_timeout", 3600)
        result = {"added": 0, "removed": 0, "orphaned": 0, "re_pended": 0}
        todo = self._pending_source(restrictions)
        fresh = [
            ("status", "pending"),
            ("priority", priority),
            ("created_time", ServerTime()),
            ("scheduled_time", ServerTime(float(delay))),
        ]
        new = todo.restrict(Not(self.proj()), semantic_check=False)
        select, params = compile_fetch(new, self.primary_key)
        result["added"] = self._query(
            sql.add_jobs_sql(
                adapter, self._db, self.table_name, self.primary_key, select, params, fresh
            ),
            unlocked=True,
        )
        reset = [*fresh, ("reserved_time", None), ("completed_time", None)]
        if config_value(connection, "jobs.keep_completed", False):
            result["re_pended"] = self._update(
                reset, [("status", "=", "success")], self._keys_select(todo), unlocked=True
            )
        if stale_timeout and stale_timeout > 0:
            source = self._target.checked_key_source()
            select, params, keys, _ = self._keys_select(source)
            statement = sql.delete_sql(
                adapter,
                self._db,
                self.table_name,
                [
                    ("status", "<>", "ignore"),
                    ("created_time", "<", ServerTime(-float(stale_timeout))),
                ],
                (select, params, keys, True),
            )
            result["removed"] = self._query(statement, unlocked=True)
        if orphan_timeout is not None and orphan_timeout > 0:
            result["orphaned"] = self._update(
                reset,
                [
                    ("status", "=", "reserved"),
                    ("reserved_time", "<", ServerTime(-float(orphan_timeout))),
                ],
                unlocked=True,
            )
        result["orphaned"] += self.expire_leases(priority)
        return result

    def expire_leases(self, priority: int | None = None) -> int:
        """Reset reservations whose lease (heartbeat) ran out to pending (spec 05 §12.1)."""
        connection = self.connection
        if "heartbeat_time" not in self.heading.attributes:
            return 0
        timeout = float(config_value(connection, "jobs.lease_timeout", 300.0))
        if priority is None:
            priority = config_value(connection, "jobs.default_priority", 5)
        reset = [
            ("status", "pending"),
            ("priority", priority),
            ("created_time", ServerTime()),
            ("scheduled_time", ServerTime()),
            ("reserved_time", None),
            ("heartbeat_time", None),
        ]
        cutoff = ServerTime(-timeout)
        reserved = ("status", "=", "reserved")
        count = self._update(reset, [reserved, ("heartbeat_time", "<", cutoff)], unlocked=True)
        count += self._update(
            reset,
            [reserved, ("heartbeat_time", "IS", None), ("reserved_time", "<", cutoff)],
            unlocked=True,
        )
        return count

    def reserve(self, key: Mapping[str, Any]) -> bool:
        """Atomically claim a due pending job; True iff this worker got it (spec 05 §7.5)."""
        sets = [
            ("status", "reserved"),
            ("reserved_time", ServerTime()),
            *self._worker(),
        ]
        if "heartbeat_time" in self.heading.attributes:
            sets.append(("heartbeat_time", ServerTime()))
        where = [
            *self._key_where(key),
            ("status", "=", "pending"),
            ("scheduled_time", "<=", ServerTime()),
        ]
        return self._update(sets, where) == 1

    def within(self, *restrictions: Any) -> tuple[str, list[Any]] | None:
        """The compiled SELECT of the job keys of the restricted key source (picklable)."""
        if not restrictions:
            return None
        source = self._target.checked_key_source()
        for r in restrictions:
            source = source & r
        return compile_fetch(source, self.primary_key)

    def claim(
        self, priority: int | None = None, within: tuple[str, list[Any]] | None = None
    ) -> dict[str, Any] | None:
        """Reserve the next due pending job in one short transaction (spec 05 §12.2).

        Parameters
        ----------
        priority : take only jobs with ``priority <=`` this
        within : :meth:`within` of the populate restrictions

        Returns
        -------
        dict or None
            The claimed job key, or None when no due job is left.
        """
        connection = self.connection
        adapter = connection.adapter
        keys = self.primary_key
        where: list[tuple[str, str, Any]] = [
            ("status", "=", "pending"),
            ("scheduled_time", "<=", ServerTime()),
        ]
        if priority is not None:
            where.append(("priority", "<=", check_priority(priority, self._target.table_name)))
        exists = None if within is None else (within[0], within[1], keys, False)
        statement = sql.claim_select_sql(adapter, self._db, self.table_name, keys, where, exists)
        for attempt in range(_RETRIES):
            try:
                return self._claim_once(statement)
            except (DataJointError, *adapter.driver_errors) as exc:
                if attempt + 1 == _RETRIES or not sql.is_transient(adapter, exc):
                    raise
                time.sleep(random.uniform(0.01, 0.05) * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _claim_once(self, statement: tuple[str, list[Any]]) -> dict[str, Any] | None:
        connection = self.connection
        adapter = connection.adapter
        connection.start_transaction()
        try:
            row = connection.query(*statement).fetchone()
            if row is None:
                connection.cancel_transaction()
                return None
            key = {
                k: adapter.from_driver(self.heading[k], [v])[0]
                for k, v in zip(self.primary_key, row, strict=True)
            }
            if not self.reserve(key):  # cannot happen while the row is locked
                connection.cancel_transaction()
                return None
            connection.commit_transaction()
        except BaseException:
            if connection.in_transaction:
                connection.cancel_transaction()
            raise
        return key

    def with_new_connection(self) -> Job:
        """This jobs table on a new connection with the same parameters (for lease renewal)."""
        clone = copy.copy(self)
        clone.__dict__.pop("_sql_cache", None)
        clone._connection_ = clone_connection(self.connection)
        return clone

    def _owner(self) -> list[tuple[str, str, Any]]:
        return [
            ("status", "=", "reserved"),
            ("pid", "=", os.getpid()),
            ("host", "=", platform.node()[:255]),
        ]

    def heartbeat(self, key: Mapping[str, Any], connection_id: int | None = None) -> None:
        """Renew this worker's lease on a reserved job (spec 05 §12.1). ``connection_id``: the
        worker connection that reserved it (the renewal runs on a connection of its own)."""
        if "heartbeat_time" in self.heading.attributes:
            where = [*self._key_where(key), *self._owner()]
            if connection_id is not None:
                where.append(("connection_id", "=", connection_id))
            self._update([("heartbeat_time", ServerTime())], where)

    def holds(self, key: Mapping[str, Any]) -> bool:
        """True when this worker (process and connection) still holds the reservation of
        ``key``; inside a transaction the job row stays locked until commit."""
        connection = self.connection
        where = [
            *self._key_where(key),
            *self._owner(),
            ("connection_id", "=", int(connection.connection_id or 0)),
        ]
        statement = sql.locked_exists_sql(connection.adapter, self._db, self.table_name, where)
        return connection.query(*statement).fetchone() is not None

    def release(self, key: Mapping[str, Any]) -> None:
        """Put a job this worker reserved back in the queue (``pending``), e.g. after its
        ``make`` could not get a lock: the failure says nothing about the key itself."""
        reset: list[tuple[str, Any]] = [("status", "pending"), ("reserved_time", None)]
        if "heartbeat_time" in self.heading.attributes:
            reset.append(("heartbeat_time", None))
        self._update(reset, [*self._key_where(key), *self._owner()])

    def complete(self, key: Mapping[str, Any], duration: float | None = None) -> None:
        """Mark a job done: delete its row, or keep it as ``success`` (``keep_completed``)."""
        connection = self.connection
        adapter = connection.adapter
        if not config_value(connection, "jobs.keep_completed", False):
            self._query(sql.delete_sql(adapter, self._db, self.table_name, self._key_where(key)))
            return
        sets = [
            ("status", "success"),
            ("completed_time", ServerTime()),
            ("duration", None if duration is None else float(duration)),
        ]
        self._upsert(key, sets)

    def _upsert(self, key: Mapping[str, Any], sets: list[tuple[str, Any]]) -> None:
        """Update the job row of ``key``, creating it first if it vanished (spec 05 §5.3)."""
        where = self._key_where(key)
        if self._update(sets, where):
            return
        priority = config_value(self.connection, "jobs.default_priority", 5)
        values = dict([*self._key_values(key), ("priority", priority), *sets])
        if not self._insert_row(list(values.items())):
            self._update(sets, where)

    def error(
        self, key: Mapping[str, Any], error_message: str, error_stack: str | None = None
    ) -> None:
        """Record a failed job: status ``error``, truncated message and the full stack."""
        stack_attr = self.heading["error_stack"]
        stack: Any = error_stack
        if error_stack is not None:
            if stack_attr.codec is not None:
                row = {k: key[k] for k in self.primary_key if k in key}
                row["error_stack"] = error_stack
                adapter = self.connection.adapter
                stack = encode_row(row, ["error_stack"], self.heading, adapter, self)[0]
            else:
                stack = pack(error_stack)
        sets = [
            ("status", "error"),
            ("completed_time", ServerTime()),
            ("error_message", truncate_message(str(error_message))),
            ("error_stack", stack),
            *self._worker(),
        ]
        self._upsert(key, sets)

    def ignore(self, key: Mapping[str, Any]) -> None:
        """Mark a key as ``ignore``: populate never takes it (the row is created if absent)."""
        self._upsert(key, [("status", "ignore")])

    def error_stack(self, key: Mapping[str, Any]) -> str | None:
        """The recorded traceback text of a failed job."""
        value = (self & dict(self._key_values_raw(key))).fetch1("error_stack")
        if isinstance(value, (bytes, bytearray, memoryview)):
            return cast("str | None", unpack(bytes(value)))
        return cast("str | None", value)

    def _key_values_raw(self, key: Mapping[str, Any]) -> list[tuple[str, Any]]:
        return [(k, key[k]) for k in self.primary_key]

    def progress(self) -> dict[str, int]:
        """``{"pending", "reserved", "success", "error", "ignore", "total"}`` job counts."""
        counts = dict.fromkeys(STATUSES, 0)
        if self.is_declared:
            adapter = self.connection.adapter
            statement = sql.status_counts_sql(adapter, self._db, self.table_name)
            for status, n in self.connection.query(statement, []).fetchall():
                counts[str(status)] = int(n)
        counts["total"] = sum(counts[s] for s in STATUSES)
        return counts

    # ---------------------------------------------------------------- table operations
    def delete(self, *args: Any, **kwargs: Any) -> int:
        """Delete these job rows at once: no cascade, no prompt."""
        return int(self.delete_quick(get_count=True) or 0)

    def drop(self, *args: Any, **kwargs: Any) -> None:
        """Drop the jobs table at once, no prompt."""
        drop_table(self.connection, self._db, self.table_name)

    def __repr__(self) -> str:
        return f"Jobs of {self._target.table_name}\n" + Table.__repr__(self)


def schema_jobs(schema: Any, tiers: Mapping[str, type]) -> list[Job]:
    """The :class:`Job` objects of a schema's auto-populated tables whose jobs table exists."""
    connection = schema.connection
    tables = connection.catalog.tables(schema.database)
    out = []
    for name in sorted(tables):
        tier = "Computed" if name.startswith("__") else "Imported" if name[:1] == "_" else None
        if tier is None or "__" in name.lstrip("_") or jobs_table_name(name) not in tables:
            continue
        attrs = {"definition": "", "_table_name": name, "database": schema.database}
        cls = type(name.lstrip("_").title().replace("_", ""), (tiers[tier],), attrs)
        cls._connection_ = connection  # type: ignore[attr-defined]  # a type() built Table
        out.append(Job(cls(), create=False))
    return out


# ``datajoint.jobs`` names this module (spec 05 §7.6: tests import the constants from there)
sys.modules.setdefault("datajoint.jobs", sys.modules[__name__])
