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
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

from ..backends import jobs as sql
from ..backends.jobs import ServerTime
from ..codecs.blobformat import pack, unpack
from ..connection import Connection
from ..declare.ddl import declare, drop_table
from ..declare.lineage import write_lineage
from ..errors import DataJointError, DeclarationError, DuplicateError
from ..heading import Attribute
from ..query.compiler import compile_fetch
from ..table.table import FreeTable, Table
from ..types import to_core_value

logger = logging.getLogger("datajoint")

ERROR_MESSAGE_LENGTH = 2047
TRUNCATION_APPENDIX = "...truncated"
STATUSES = ("pending", "reserved", "success", "error", "ignore")

_COLUMNS = """\
---
status : enum('pending','reserved','success','error','ignore')
priority : int16  # lower is more urgent
created_time = CURRENT_TIMESTAMP(3) : datetime(3)  # when the job was (re)queued
scheduled_time = CURRENT_TIMESTAMP(3) : datetime(3)  # not eligible before this time
reserved_time = null : datetime(3)  # when a worker reserved the job
completed_time = null : datetime(3)  # when the job succeeded or failed
duration = null : float64  # seconds of the successful run
error_message = "" : varchar(2047)  # error class and message
error_stack = null : {stack}  # full traceback
user = "" : varchar(255)  # database user of the worker
host = "" : varchar(255)  # host name of the worker
pid = 0 : int32  # process id of the worker
connection_id = 0 : int64  # server connection id of the worker
version = "" : varchar(64)  # code version of the worker
heartbeat_time = null : datetime(3)  # lease: last sign of life of the worker
index(status, priority, scheduled_time)
"""


def jobs_table_name(table_name: str) -> str:
    """``__spike_sort`` → ``~~spike_sort``; ``_recording`` → ``~~recording``."""
    return "~~" + table_name.lstrip("_")


def job_key(target: Any) -> list[Attribute]:
    """The FK-derived primary-key attributes of ``target``, in primary-key order."""
    heading = target.heading
    from_fk = {c for fk in heading.foreign_keys for c in fk.columns}
    key = [heading[name] for name in heading.primary_key if name in from_fk]
    native = [name for name in heading.primary_key if name not in from_fk]
    if not key:
        raise DataJointError(
            f"Table `{target.table_name}` has no primary-key attributes from foreign keys, so it "
            "cannot have a jobs table: add a dependency (-> Parent) to its primary key."
        )
    if native:
        logger.warning(
            "Jobs of `%s` omit the primary-key attributes %s (not from foreign keys): one job "
            "covers all their values.",
            target.table_name,
            ", ".join(native),
        )
    return key


def jobs_definition(target: Any, stack_type: str = "<blob>") -> str:
    """The definition text of ``target``'s jobs table (spec 05 §7.2)."""
    lines = [f"# jobs of {target.database}.{target.table_name}"]
    for attr in job_key(target):
        comment = f"  # {attr.comment}" if attr.comment else ""
        lines.append(f"{attr.name} : {attr.type.declared}{comment}")
    return "\n".join(lines) + "\n" + _COLUMNS.format(stack=stack_type)


def truncate_message(message: str) -> str:
    """``message`` cut to :data:`ERROR_MESSAGE_LENGTH` characters, marked as truncated."""
    if len(message) <= ERROR_MESSAGE_LENGTH:
        return message
    return message[: ERROR_MESSAGE_LENGTH - len(TRUNCATION_APPENDIX)] + TRUNCATION_APPENDIX


def code_version(config: Any) -> str:
    """The worker's code version per ``jobs.version_method`` (spec 05 §10)."""
    try:
        method = config["jobs.version_method"]
    except KeyError:
        method = None
    if method != "git":
        return ""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except Exception:
        return ""
    return out.stdout.strip()[:64]


def config_value(connection: Any, key: str, default: Any) -> Any:
    """A setting of the connection's configuration, read now."""
    try:
        value = connection._config[key]
    except KeyError:
        return default
    return default if value is None else value


def clone_connection(connection: Connection) -> Connection:
    """A new connection to the same database, with the same settings."""
    info = connection._info
    return Connection(
        info.host,
        info.user,
        info.password,
        info.port,
        info.use_tls,
        database_name=info.database_name,
        backend=connection.adapter.name,
        config_override=connection._config,
        path=info.path,
    )


def check_priority(priority: Any) -> int:
    if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= 255:
        raise DataJointError(f"Job priority must be an integer from 0 to 255, got {priority!r}.")
    return priority


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

    def _declare(self) -> None:
        connection = self.connection
        target = self._target
        for stack_type in ("<blob>", "bytes"):  # <blob> once the codec is registered
            try:
                definition = jobs_definition(target, stack_type)
                declare(connection, self.database, self.table_name, definition, {})
                break
            except DeclarationError as exc:
                if "not registered" not in str(exc):
                    raise
            except DuplicateError:  # another worker declared it meanwhile
                break
        lineage = {a.name: a.lineage for a in job_key(target) if a.lineage}
        write_lineage(connection, self.database, self.table_name, lineage)
        connection.invalidate(self.database)

    @property
    def definition(self) -> str:  # type: ignore[override]
        """The definition text of this jobs table."""
        stack = "<blob>"
        if self.is_declared and self.heading["error_stack"].codec is None:
            stack = "bytes"  # declared before the <blob> codec was available
        return jobs_definition(self._target, stack)

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
    def _query(self, statement: tuple[str, list[Any]]) -> int:
        cursor = self.connection.query(*statement)
        return max(cursor.rowcount, 0)

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
    ) -> int:
        adapter = self.connection.adapter
        return self._query(
            sql.update_sql(adapter, self.database, self.table_name, sets, where, exists)
        )

    def _insert_row(self, values: list[tuple[str, Any]]) -> int:
        adapter = self.connection.adapter
        statement = sql.insert_row_sql(
            adapter, self.database, self.table_name, values, self.primary_key
        )
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
        priority = check_priority(priority)
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
        select, params = compile_fetch(todo - self.proj(), self.primary_key)
        result["added"] = self._query(
            sql.add_jobs_sql(
                adapter, self.database, self.table_name, self.primary_key, select, params, fresh
            )
        )
        reset = [*fresh, ("reserved_time", None), ("completed_time", None)]
        if config_value(connection, "jobs.keep_completed", False):
            result["re_pended"] = self._update(
                reset, [("status", "=", "success")], self._keys_select(todo)
            )
        if stale_timeout and stale_timeout > 0:
            source = self._target.checked_key_source()
            select, params, keys, _ = self._keys_select(source)
            statement = sql.delete_sql(
                adapter,
                self.database,
                self.table_name,
                [
                    ("status", "<>", "ignore"),
                    ("created_time", "<", ServerTime(-float(stale_timeout))),
                ],
                (select, params, keys, True),
            )
            result["removed"] = self._query(statement)
        if orphan_timeout is not None and orphan_timeout > 0:
            result["orphaned"] = self._update(
                reset,
                [
                    ("status", "=", "reserved"),
                    ("reserved_time", "<", ServerTime(-float(orphan_timeout))),
                ],
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
        count = self._update(reset, [reserved, ("heartbeat_time", "<", cutoff)])
        count += self._update(
            reset, [reserved, ("heartbeat_time", "IS", None), ("reserved_time", "<", cutoff)]
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

    def with_new_connection(self) -> Job:
        """This jobs table on a new connection with the same parameters (for lease renewal)."""
        clone = copy.copy(self)
        clone.__dict__.pop("_sql_cache", None)
        clone._connection_ = clone_connection(self.connection)
        return clone

    def heartbeat(self, key: Mapping[str, Any]) -> bool:
        """Renew this worker's lease on a reserved job; False when it no longer holds it."""
        if "heartbeat_time" not in self.heading.attributes:
            return True
        where = [
            *self._key_where(key),
            ("status", "=", "reserved"),
            ("pid", "=", os.getpid()),
            ("host", "=", platform.node()[:255]),
        ]
        return self._update([("heartbeat_time", ServerTime())], where) == 1

    def complete(self, key: Mapping[str, Any], duration: float | None = None) -> None:
        """Mark a job done: delete its row, or keep it as ``success`` (``keep_completed``)."""
        connection = self.connection
        adapter = connection.adapter
        if not config_value(connection, "jobs.keep_completed", False):
            self._query(
                sql.delete_sql(adapter, self.database, self.table_name, self._key_where(key))
            )
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

    def error(self, key: Mapping[str, Any], error_message: str, error_stack: str | None = None):
        """Record a failed job: status ``error``, truncated message and the full stack."""
        stack_attr = self.heading["error_stack"]
        stack: Any = error_stack
        if error_stack is not None:
            if stack_attr.codec is not None:
                stack = stack_attr.codec.encode_value(stack_attr, error_stack, {}, self)
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
            return unpack(bytes(value))
        return value

    def _key_values_raw(self, key: Mapping[str, Any]) -> list[tuple[str, Any]]:
        return [(k, key[k]) for k in self.primary_key]

    def progress(self) -> dict[str, int]:
        """``{"pending", "reserved", "success", "error", "ignore", "total"}`` job counts."""
        counts = dict.fromkeys(STATUSES, 0)
        if self.is_declared:
            adapter = self.connection.adapter
            statement = sql.status_counts_sql(adapter, self.database, self.table_name)
            for status, n in self.connection.query(statement, []).fetchall():
                counts[str(status)] = int(n)
        counts["total"] = sum(counts[s] for s in STATUSES)
        return counts

    # ---------------------------------------------------------------- table operations
    def delete(self, *args: Any, **kwargs: Any) -> int:  # type: ignore[override]
        """Delete these job rows at once: no cascade, no prompt."""
        return int(self.delete_quick(get_count=True) or 0)

    def drop(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """Drop the jobs table at once, no prompt."""
        drop_table(self.connection, self.database, self.table_name)

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
        cls = type(name.lstrip("_").title().replace("_", ""), (tiers[tier],), {"definition": ""})
        cls._table_name = name
        cls.database = schema.database
        cls._connection_ = connection
        out.append(Job(cls(), create=False))
    return out


# ``datajoint.jobs`` names this module (spec 05 §7.6: tests import the constants from there)
sys.modules.setdefault("datajoint.jobs", sys.modules[__name__])
