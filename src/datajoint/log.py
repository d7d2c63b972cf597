"""The ``datajoint`` logger: custom ``JOBS`` level, stdout handler and formats (spec 08 §7).

Named ``log`` rather than ``logging`` so it never shadows the standard library module.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING, Any, TextIO

LOGGER_NAME = "datajoint"
JOBS = 15
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"

logging.addLevelName(JOBS, "JOBS")


def _jobs(self: logging.Logger, msg: object, *args: Any, **kwargs: Any) -> None:
    """Log ``msg`` at the ``JOBS`` level (15), between DEBUG and INFO."""
    if self.isEnabledFor(JOBS):
        self._log(JOBS, msg, args, **kwargs)


# the ``jobs`` method is added to the standard classes at run time (unknown to typeshed)
if not hasattr(logging.Logger, "jobs"):
    logging.Logger.jobs = _jobs  # type: ignore[attr-defined]
if not hasattr(logging.LoggerAdapter, "jobs"):

    def _adapter_jobs(
        self: logging.LoggerAdapter[logging.Logger], msg: object, *args: Any, **kw: Any
    ) -> None:
        self.log(JOBS, msg, *args, **kw)

    logging.LoggerAdapter.jobs = _adapter_jobs  # type: ignore[attr-defined]


class LogFormatter(logging.Formatter):
    """Format records as ``[time] msg``, ``[time][JOBS]: msg`` or ``[time][LEVEL]: msg``.

    DEBUG and INFO get the short form, JOBS its own tag, WARNING and above the level name.
    Exception and stack information are appended on the following lines.
    """

    def __init__(self) -> None:
        super().__init__(datefmt=DATE_FORMAT)
        self._plain = logging.Formatter("[%(asctime)s] %(message)s", DATE_FORMAT)
        self._jobs = logging.Formatter("[%(asctime)s][JOBS]: %(message)s", DATE_FORMAT)
        self._tagged = logging.Formatter("[%(asctime)s][%(levelname)s]: %(message)s", DATE_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        """Return the formatted record, choosing the layout by level."""
        if record.levelno == JOBS:
            return self._jobs.format(record)
        if record.levelno >= logging.WARNING:
            return self._tagged.format(record)
        return self._plain.format(record)


if TYPE_CHECKING:
    _StreamHandler = logging.StreamHandler[TextIO]
else:  # StreamHandler is subscriptable at run time only from Python 3.11
    _StreamHandler = logging.StreamHandler


class StdStreamHandler(_StreamHandler):
    """A handler writing to the *current* ``sys.stdout`` (or ``sys.stderr``).

    The stream is looked up at each record, so redirection of ``sys.stdout`` (e.g. by pytest's
    ``capsys``) is honoured.
    """

    def __init__(self, use_stderr: bool = False) -> None:
        super().__init__()
        self.use_stderr = use_stderr

    @property
    def stream(self) -> TextIO:
        """The standard stream the records go to."""
        return sys.stderr if self.use_stderr else sys.stdout

    @stream.setter
    def stream(self, value: TextIO) -> None:
        """Ignored: the stream always follows ``sys.stdout``/``sys.stderr``."""


def level_from_env(default: str = "INFO") -> str:
    """Return the level named by ``DJ_LOG_LEVEL`` (case-insensitive), else ``default``."""
    value = os.environ.get("DJ_LOG_LEVEL", "").strip().upper()
    return value if value in LEVELS or value == "JOBS" else default


def configure_logging(level: str | int | None = None) -> logging.Logger:
    """Set up the ``datajoint`` logger and return it.

    Installs one :class:`StdStreamHandler` (stdout, or stderr when ``DJ_LOG_STREAM=stderr``)
    with :class:`LogFormatter`, replacing a handler installed by an earlier call.

    Parameters
    ----------
    level : logger level; default from ``DJ_LOG_LEVEL`` (``INFO`` when unset).
    """
    log = logging.getLogger(LOGGER_NAME)
    for handler in list(log.handlers):
        if isinstance(handler, StdStreamHandler):
            log.removeHandler(handler)
    use_stderr = os.environ.get("DJ_LOG_STREAM", "").strip().lower() == "stderr"
    handler = StdStreamHandler(use_stderr=use_stderr)
    handler.setFormatter(LogFormatter())
    log.addHandler(handler)
    log.setLevel(level_from_env() if level is None else level)
    return log


logger = configure_logging()

__all__ = [
    "JOBS",
    "LOGGER_NAME",
    "LogFormatter",
    "StdStreamHandler",
    "configure_logging",
    "level_from_env",
    "logger",
]
