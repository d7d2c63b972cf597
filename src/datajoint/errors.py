"""The DataJoint error hierarchy (spec 08 §8).

::

    Exception
    └── DataJointError                      base of everything DataJoint raises
        ├── LostConnectionError             connection lost / failed
        │   └── ConnectionAttemptError      a connection could not be opened (also the
        │                                   driver's exception class, see below)
        ├── QueryError                      database rejected a query
        │   ├── QuerySyntaxError            SQL syntax error
        │   ├── AccessError                 insufficient privileges
        │   ├── DuplicateError              duplicate primary/unique key
        │   ├── IntegrityError              foreign-key constraint violated
        │   ├── QueryCanceledError          statement canceled: by a user, a timeout or a lock wait
        │   │   └── LockWaitError           gave up waiting for a lock (or a deadlock victim)
        │   ├── UnknownAttributeError       unknown column
        │   │   └── UnknownFieldError       (also a KeyError) unknown attribute in an insert row
        │   └── MissingAttributeError       NOT NULL column without value
        ├── MissingTableError               table does not exist
        ├── UnboundTableError               (also an AttributeError) table class not bound to a
        │                                   schema, so it has no table name or heading yet
        ├── MissingExternalFile             a stored object is gone
        ├── MissingSourceFile               (also a FileNotFoundError) a source file is missing
        ├── StorePathError                  (also a ValueError) a path a store does not allow
        ├── CodecTypeError                  (also a TypeError) a codec rejects a value's type
        ├── ObjectIntegrityError            a stored object fails verification
        ├── BucketInaccessible              S3 bucket unreachable (kept for compatibility)
        ├── ThreadSafetyError               global state used in thread-safe mode
        ├── DeclarationError                a table definition is invalid
        ├── ValueConversionError            (also a ValueError) a value cannot be stored
        └── SerializationError              (also a TypeError) a value is not JSON-serializable

Every class is constructible without arguments.

A failed connection attempt (a refused login, an unreachable server, a file SQLite cannot open)
raises a :class:`ConnectionAttemptError` whose class also derives from the driver's exception
class (e.g. ``pymysql.err.OperationalError``) and keeps its ``args``, so that code catching
either one works (spec 08 §2.2, §8.3).
"""

from __future__ import annotations

from typing import Any


class DataJointError(Exception):
    """Base class of every error raised by DataJoint."""

    def suggest(self, *args: object) -> DataJointError:
        """Return a new error of the same class with ``args`` appended (hints)."""
        return self.__class__(*(self.args + args))


class LostConnectionError(DataJointError):
    """The connection to the database server was lost or could not be used.

    ``statement_sent`` is False when the driver refused the statement before sending it (a
    connection already known to be closed), so it cannot have run.
    """

    statement_sent: bool = True


class ConnectionAttemptError(LostConnectionError):
    """A connection to the database could not be opened. Raised as an instance of a class that
    also derives from the driver's exception class; ``args`` are the driver's."""

    explanation: str = ""
    statement_sent = False

    def __str__(self) -> str:
        return self.explanation or super().__str__()

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild_attempt_error, (self.__class__.__bases__[1], self.args, self.explanation)


_ATTEMPT_CLASSES: dict[type[BaseException], type[ConnectionAttemptError]] = {}


def connection_attempt_error(exc: BaseException, explanation: str) -> ConnectionAttemptError:
    """The :class:`ConnectionAttemptError` for driver exception ``exc``: an instance of both,
    with ``exc``'s args and ``explanation`` as its message."""
    driver_class = type(exc)
    if isinstance(exc, DataJointError):
        driver_class = Exception
    cls = _ATTEMPT_CLASSES.get(driver_class)
    if cls is None:
        bases = (ConnectionAttemptError, driver_class)
        cls = type("ConnectionAttemptError", bases, {"__module__": __name__})
        _ATTEMPT_CLASSES[driver_class] = cls
    error = cls.__new__(cls, *exc.args)
    error.args = exc.args
    error.explanation = explanation
    return error


def _rebuild_attempt_error(
    driver_class: type[BaseException], args: tuple[Any, ...], explanation: str
) -> ConnectionAttemptError:
    return connection_attempt_error(driver_class(*args), explanation)


class QueryError(DataJointError):
    """The database rejected a query."""


class QuerySyntaxError(QueryError):
    """The SQL statement has a syntax error."""


class AccessError(QueryError):
    """The database user lacks the privileges for the operation."""


class DuplicateError(QueryError):
    """A duplicate primary key or unique-index value."""


class IntegrityError(QueryError):
    """A foreign-key constraint was violated."""


class QueryCanceledError(QueryError):
    """The server (or SQLite) canceled the statement before it finished: a cancel request
    (``KILL QUERY``, ``pg_cancel_backend``, an interrupt), a statement timeout
    (``max_statement_time``, ``statement_timeout``) or a lock wait timeout. Nothing of the
    statement was applied."""


class LockWaitError(QueryCanceledError):
    """The statement gave up waiting for a lock that another session holds (a lock wait
    timeout, a busy SQLite database file) or was ended to break a deadlock. Nothing of it was
    applied; the work can be retried."""


class UnknownAttributeError(QueryError):
    """An attribute (column) that does not exist was named."""


class UnknownFieldError(UnknownAttributeError, KeyError):
    """An insert row names an attribute that is not in the table heading."""

    def __str__(self) -> str:
        return " ".join(str(a) for a in self.args)


class MissingAttributeError(QueryError):
    """A required attribute was not given a value."""


class MissingTableError(DataJointError):
    """The table does not exist in the database."""


class UnboundTableError(DataJointError, AttributeError):
    """A table class is used before a schema bound it (``hasattr`` answers False)."""


class MissingExternalFile(DataJointError):
    """An object referenced by the database is missing from its store."""


class MissingSourceFile(DataJointError, FileNotFoundError):
    """A file to store, a file referenced in a store, or a local store's folder is missing."""


class StorePathError(DataJointError, ValueError):
    """A path that a store does not allow (a reserved section, outside ``filepath_prefix``)."""


class CodecTypeError(DataJointError, TypeError):
    """A codec was given a value of a type it does not store."""


class ObjectIntegrityError(DataJointError):
    """A stored object does not match its metadata (missing, wrong size, hash or manifest)."""


class BucketInaccessible(DataJointError):
    """An S3 bucket cannot be reached (kept for compatibility)."""


class ThreadSafetyError(DataJointError):
    """Global DataJoint state was used in thread-safe mode."""


class DeclarationError(DataJointError):
    """A table definition is invalid."""


class ValueConversionError(DataJointError, ValueError):
    """A value cannot be converted to the attribute's type."""


class SerializationError(DataJointError, TypeError):
    """A value cannot be serialized (e.g. to JSON)."""


__all__ = [
    "AccessError",
    "BucketInaccessible",
    "CodecTypeError",
    "ConnectionAttemptError",
    "DataJointError",
    "DeclarationError",
    "DuplicateError",
    "IntegrityError",
    "LockWaitError",
    "LostConnectionError",
    "MissingAttributeError",
    "MissingExternalFile",
    "MissingSourceFile",
    "MissingTableError",
    "ObjectIntegrityError",
    "QueryCanceledError",
    "QueryError",
    "QuerySyntaxError",
    "SerializationError",
    "StorePathError",
    "ThreadSafetyError",
    "UnboundTableError",
    "UnknownAttributeError",
    "UnknownFieldError",
    "ValueConversionError",
]
