"""What a jobs table is (spec 05 §7.2, §7.6, §10): its name, key, definition and the small
helpers of the queue (settings read at use, message truncation, code version, priority).
"""

from __future__ import annotations

import logging
import subprocess
from typing import Any

from ..connection import Connection
from ..errors import DataJointError
from ..heading import Attribute

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


def _native_key(target: Any) -> list[str]:
    """Primary-key attributes of ``target`` that no foreign key brings (PK bypass, §1)."""
    heading = target.heading
    from_fk = {c for fk in heading.foreign_keys for c in fk.columns}
    return [name for name in heading.primary_key if name not in from_fk]


def job_key(target: Any) -> list[Attribute]:
    """The FK-derived primary-key attributes of ``target``, in primary-key order."""
    heading = target.heading
    native = _native_key(target)
    key = [heading[name] for name in heading.primary_key if name not in native]
    if not key:
        raise DataJointError(
            f"Table `{target.table_name}` has no primary-key attributes from foreign keys, so it "
            "cannot have a jobs table: add a dependency (-> Parent) to its primary key."
        )
    return key


def warn_coarse_jobs(target: Any) -> None:
    """Log (once, when its jobs table is made) that jobs of ``target`` omit native key parts."""
    native = _native_key(target)
    if native:
        logger.warning(
            "Jobs of `%s` omit the primary-key attributes %s (not from foreign keys): one job "
            "covers all their values.",
            target.table_name,
            ", ".join(native),
        )


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


def check_priority(priority: Any, table: str) -> int:
    """``priority`` if it is an integer 0…255 (spec 05 §10), else DataJointError."""
    if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= 255:
        raise DataJointError(
            f"Job priority for `{table}` must be an integer from 0 (most urgent) to 255, got "
            f"{priority!r}."
        )
    return priority
