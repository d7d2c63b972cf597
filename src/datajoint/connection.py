"""Connection: statements, transactions, reconnection; the one error boundary (spec 08 §2)."""

from __future__ import annotations

import contextlib
import logging
import os
import time
import warnings
import weakref
from collections.abc import Iterator, Sequence
from typing import Any, Literal

from . import errors, query_cache
from .backends import get_backend
from .backends.base import Backend, ConnectionInfo
from .catalog import Catalog
from .cursors import DictCursor
from .dependencies import Dependencies
from .settings import check_thread_safe
from .settings import config as global_config
from .utils import secret

logger = logging.getLogger("datajoint")

_VERSION = "2.0.0"
_IDLE_SECONDS = 30.0  # a write after this long idle checks the connection first


def _config_value(config: Any, key: str, default: Any = None) -> Any:
    try:
        value = config[key]
    except KeyError:
        return default
    return default if value is None else value


class Connection:
    """A connection to a database server (or SQLite file).

    Parameters
    ----------
    host, user, password, port : server address and credentials; ``host`` may be ``host:port``
    use_tls : None (try TLS, fall back), True, False, or a dict of driver TLS options
    database_name : PostgreSQL database to connect to
    backend : ``"sqlite"``, ``"mysql"`` or ``"postgresql"``; default from config
    config_override : the Config this connection reads its settings from
    path : SQLite database file; default ``config["database.path"]``
    """

    def __init__(
        self,
        host: str | None = None,
        user: str | None = None,
        password: str | None = None,
        port: int | None = None,
        use_tls: Any = None,
        *,
        database_name: str | None = None,
        backend: str | None = None,
        config_override: Any = None,
        path: str | None = None,
    ) -> None:
        self._config = global_config if config_override is None else config_override
        password = secret(password)  # never in clear in the attributes (repr masked)
        backend_name = backend or _config_value(self._config, "database.backend", "sqlite")
        self.adapter: Backend = get_backend(backend_name)
        # what the error boundary catches: from connecting, from running a statement
        self._attempt_errors: tuple[type[BaseException], ...] = (
            *self.adapter.driver_errors,
            OSError,
        )
        self._statement_errors: tuple[type[BaseException], ...] = (
            *self.adapter.driver_errors,
            UnicodeEncodeError,  # text the driver cannot encode
            OverflowError,  # a number the driver cannot bind (SQLite: beyond 64 bits)
        )
        host = host or _config_value(self._config, "database.host", "localhost")
        if host and ":" in host:
            host, port_text = host.rsplit(":", 1)
            port = int(port_text)
        if port is None and backend is None:
            port = _config_value(self._config, "database.port")
        if port is None:
            port = self.adapter.default_port
        if use_tls is None:
            use_tls = _config_value(self._config, "database.use_tls")
        if database_name is None:
            database_name = _config_value(self._config, "database.name")
        if database_name and self.adapter.name == "mysql":
            warnings.warn(
                "database.name is set but the MySQL backend does not support database "
                "selection. The setting is ignored.",
                UserWarning,
                stacklevel=2,
            )
        self._info = ConnectionInfo(
            host=host,
            port=port,
            user=user,
            password=password,
            database_name=database_name,
            path=path or _config_value(self._config, "database.path", "datajoint.db"),
            use_tls=use_tls,
            charset=_config_value(self._config, "connection.charset", ""),
            init_command=_config_value(self._config, "connection.init_function"),
            busy_timeout=float(_config_value(self._config, "database.busy_timeout", 60.0)),
            prepared_statements=bool(
                _config_value(self._config, "database.prepared_statements", True)
            ),
        )
        self.conn_info = {
            "host": host,
            "port": port,
            "user": user,
            "passwd": password,
            "database_name": database_name,
            "path": self._info.path if self.adapter.name == "sqlite" else None,
            "ssl": use_tls,
            "ssl_input": use_tls,
        }
        self.schemas: dict[str, Any] = {}
        self._in_transaction = False
        self._doomed: BaseException | None = None  # the error that ended the open transaction
        self._guard_open = False  # a statement savepoint is set (see _execute_guarded)
        self._begin_pending = False  # BEGIN goes out with the transaction's first statement
        self._suspended = False  # closed before a fork(); reopened on next use
        self._last_used = time.monotonic()
        self._savepoints = 0
        self._driver: Any = None
        self._catalog: Any = None
        self._dependencies: Any = None
        self.statement_count = 0
        self._query_cache: str | None = None
        self.connect()
        _live.add(self)

    # ---------------------------------------------------------------- lifecycle
    def _suspend_for_fork(self) -> None:
        """Close a driver connection that must not be carried across ``fork()``; the next
        statement (in this process or the child) reopens it quietly."""
        if (
            self._driver is not None
            and not self._in_transaction
            and self.adapter.closes_before_fork(self._info)
        ):
            self.adapter.close(self._driver)
            self._driver = None
            self._suspended = True

    def _resume(self) -> Any:
        """The driver connection, reopened if it was closed for a fork."""
        if self._driver is None and self._suspended:
            self._suspended = False
            self._driver = self.adapter.connect(self._info)
        return self._driver

    def connect(self) -> None:
        """(Re)open the driver connection.

        A failed attempt raises :class:`~datajoint.errors.ConnectionAttemptError`, which is
        also an instance of the driver's exception class (spec 08 §2.2).
        """
        try:
            self._driver = self.adapter.connect(self._info)
        except self._attempt_errors as exc:
            raise errors.connection_attempt_error(exc, self._attempt_failure(exc)) from exc
        self._in_transaction = self._begin_pending = False
        self._doomed = None
        self._guard_open = False
        self._suspended = False
        self.connection_id = self.adapter.connection_id(self._driver)
        logger.info("DataJoint %s connected to %s", _VERSION, self._describe_target(), stacklevel=2)

    def _attempt_failure(self, exc: BaseException) -> str:
        reason = " ".join(str(a) for a in exc.args) if exc.args else type(exc).__name__
        if self.adapter.name == "sqlite":
            return (
                f"Could not open the SQLite database {self._info.path!r}: {reason}. Check that "
                "its folder exists and that the file is a readable SQLite database "
                "(dj.config['database.path'])."
            )
        return (
            f"Could not connect to the {self.adapter.name} server as "
            f"{self._describe_target()}: {reason}. Check the host, port, user and password "
            "(dj.config['database.host'], ['database.port'], ['database.user'], "
            "['database.password']) and that the server accepts connections."
        )

    def _describe_target(self) -> str:
        if self.adapter.name == "sqlite":
            return f"sqlite:{self._info.path}"
        db = f"/{self._info.database_name}" if self._info.database_name else ""
        return f"{self._info.user}@{self._info.host}:{self._info.port}{db}"

    def close(self) -> None:
        """Close the driver connection.

        Inside a transaction, the transaction stays open but lost: every statement raises
        until it is ended (``cancel_transaction()``, or leaving the ``transaction`` block),
        so that nothing after the loss runs outside it. The next statement after that reopens
        the connection.
        """
        if self._driver is not None:
            self.adapter.close(self._driver)
        self._driver = None
        self._guard_open = False
        if self._in_transaction and self._doomed is None:
            self._doomed = errors.LostConnectionError(
                "Connection was lost during a transaction. The database rolled the transaction "
                "back: nothing of it was committed."
            )

    def ping(self) -> None:
        """Round trip to the server; raises LostConnectionError when it is dead."""
        driver = self._resume()
        if driver is None or not self.adapter.ping(driver):
            raise errors.LostConnectionError("Server connection lost")

    @property
    def is_connected(self) -> bool:
        driver = self._resume()
        if driver is None:
            return False
        if self.adapter.ping(driver):
            return True
        self.close()
        return False

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        self.close()
        return False

    def __repr__(self) -> str:
        state = "connected" if self._driver is not None else "disconnected"
        return f"DataJoint connection ({state}) {self._describe_target()}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Connection) and self.conn_info == other.conn_info

    __hash__ = object.__hash__

    @property
    def backend(self) -> str:
        return self.adapter.name

    # ---------------------------------------------------------------- queries
    def query(
        self,
        sql: str,
        args: Sequence[Any] | None = (),
        *,
        as_dict: bool = False,
        suppress_warnings: bool = True,
        reconnect: bool | None = None,
    ) -> Any:
        """Execute one statement and return its cursor.

        ``args`` binds values to ``%s`` placeholders; ``args=None`` sends ``sql`` verbatim.
        Driver errors are translated into DataJoint errors. After a lost connection, the
        connection is reopened; the statement is sent again only when it cannot have changed
        data (a read) or was never sent (spec 08 §2.4).
        """
        if self._doomed is not None:
            raise self._doomed_error()
        if self._query_cache:
            cursor = self._cached(sql, args, suppress_warnings, reconnect)
            return DictCursor(cursor) if as_dict else cursor
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s", sql[:300])
        if (
            time.monotonic() - self._last_used > _IDLE_SECONDS
            and not self._in_transaction
            and self._reconnects(reconnect)
            and not self.adapter.cannot_change_data(sql)
        ):
            self._reopen_if_dead()
        first = self._begin_pending  # sent with the BEGIN of its transaction
        try:
            cursor = self._execute(sql, args, suppress_warnings)
        except errors.LostConnectionError as lost:
            if not self._reconnects(reconnect):
                raise
            never_sent = self._driver is None or getattr(lost, "statement_sent", True) is False
            if self._in_transaction and first:
                # nothing of the transaction can have been committed (no COMMIT was sent):
                # the server rolled back whatever it ran; begin again on a new connection
                logger.warning("Reconnecting to database server.")
                self.close()
                self.connect()
                self._in_transaction = self._begin_pending = True
                cursor = self._execute(sql, args, suppress_warnings)
                return DictCursor(cursor) if as_dict else cursor
            if self._in_transaction:
                self.close()  # the transaction is lost with the connection (see close)
                raise self._doomed_error() from lost
            logger.warning("Reconnecting to database server.")
            self.close()
            self.connect()
            if not never_sent and not self.adapter.cannot_change_data(sql):
                raise errors.LostConnectionError(
                    "Connection was lost while the server ran a statement that changes data, so "
                    "its outcome is unknown: it may or may not have been applied. The statement "
                    "was not sent again; check the data before repeating it.",
                    sql[:300],
                ) from lost
            cursor = self._execute(sql, args, suppress_warnings)
        return DictCursor(cursor) if as_dict else cursor

    def _reconnects(self, reconnect: bool | None) -> bool:
        """``reconnect``, or the setting ``database.reconnect`` when it is None."""
        if reconnect is None:
            return bool(_config_value(self._config, "database.reconnect", True))
        return reconnect

    def _reopen_if_dead(self) -> None:
        """Before a write on a connection that was idle: a server may have dropped it
        meanwhile (idle timeouts), and a write sent on it could not be retried safely."""
        if self._driver is not None and not self.adapter.ping(self._driver):
            logger.warning("Reconnecting to database server.")
            self.close()
            self.connect()

    def _execute(self, sql: str, args: Sequence[Any] | None, suppress_warnings: bool) -> Any:
        driver = self._driver if self._driver is not None else self._resume()
        if driver is None:
            raise errors.LostConnectionError("Server connection lost", "connection is closed")
        self.statement_count += 1
        guard = self._in_transaction and self.adapter.statement_guard
        try:
            if suppress_warnings and self.adapter.driver_warns:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    cursor = self._send(driver, sql, args, guard)
            else:  # the driver emits no warnings of its own: nothing to suppress
                cursor = self._send(driver, sql, args, guard)
            self._last_used = time.monotonic()
            return cursor
        except self._statement_errors as exc:
            if isinstance(exc, UnicodeEncodeError):  # refused before anything was sent
                translated: BaseException | None = _unencodable(exc)
            elif isinstance(exc, OverflowError):
                translated = errors.ValueConversionError(
                    f"A value of the statement is out of the range the {self.adapter.name} "
                    f"driver can send ({exc}); nothing was sent to the database. Use values "
                    "within the attribute's type.",
                    sql[:300],
                )
            else:
                translated = self.adapter.translate_error(exc, sql)
            if (
                self._in_transaction
                and not self._begin_pending  # else nothing reached the server
                and not isinstance(translated, errors.LostConnectionError)
            ):
                guarded = guard and self._guard_open
                if not self.adapter.recover_statement(driver, exc, guarded):
                    self._doomed = translated if translated is not None else exc
            if translated is None:
                raise
            raise translated from exc

    def _send(self, driver: Any, sql: str, args: Sequence[Any] | None, guard: bool) -> Any:
        if guard:
            return self._execute_guarded(driver, sql, args)
        return self.adapter.execute(driver, sql, args)

    def _execute_guarded(self, driver: Any, sql: str, args: Sequence[Any] | None) -> Any:
        """Inside a transaction on a backend where a failed statement aborts the transaction
        (PostgreSQL), each statement runs behind a savepoint, so that a failure undoes only
        that statement, as on MySQL."""
        control = self.adapter.transaction_control(sql)
        begin = self._begin_pending
        if control == "end" and not begin:
            return self.adapter.execute(driver, sql, args)
        release, self._guard_open = self._guard_open, control is None
        try:
            cursor = self.adapter.execute_guarded(
                driver, sql, args, release=release, guard=not control, begin=begin
            )
        except BaseException:
            if not self.adapter.statement_reached_server(driver, begin):
                self._guard_open = release  # the savepoints are as they were
            else:
                self._begin_pending = False
            raise
        self._begin_pending = False
        return cursor

    def _doomed_error(self) -> errors.DataJointError:
        cause = self._doomed
        message = (
            f"{cause} The transaction can no longer be used: leave the transaction block "
            "(or call cancel_transaction()) and run it again."
        )
        if isinstance(cause, errors.DataJointError):
            return type(cause)(message)
        return errors.QueryError(message)

    # ---------------------------------------------------------------- query cache
    def set_query_cache(self, query_cache: str | None = None) -> None:
        """Serve reads from the query cache named ``query_cache`` (a falsy name: stop).

        While it is on, only ``SELECT``/``SHOW`` statements are allowed, and results are
        stored in ``config["query_cache"]`` and reused even after the tables change.
        """
        self._query_cache = query_cache or None

    def purge_query_cache(self) -> None:
        """Delete the stored results of the query cache."""
        query_cache.purge(self._config)

    def _cached(
        self, sql: str, args: Sequence[Any] | None, suppress_warnings: bool, reconnect: Any
    ) -> Any:
        name, self._query_cache = self._query_cache, None
        try:
            return query_cache.cached_query(
                str(name),
                self._config,
                sql,
                args,
                lambda s, a: self.query(
                    s, a, suppress_warnings=suppress_warnings, reconnect=reconnect
                ),
            )
        finally:
            self._query_cache = name

    def get_user(self) -> str:
        user: str = self.query(self.adapter.current_user_sql(), None).fetchone()[0]
        return user

    # ---------------------------------------------------------------- transactions
    @property
    def in_transaction(self) -> bool:
        """True between start and commit/cancel, also when the transaction was lost (then
        every statement raises until it is ended)."""
        return self._in_transaction

    def start_transaction(self) -> None:
        """Begin a transaction. Where beginning takes the write lock (SQLite's ``BEGIN
        IMMEDIATE``), a busy database is retried with back-off within ``database.busy_timeout``
        seconds, then :class:`~datajoint.errors.LockWaitError` is raised."""
        if self.in_transaction:
            raise errors.DataJointError("Nested connections are not supported.")
        if self.adapter.defers_begin:  # BEGIN goes out with the first statement
            self._in_transaction, self._begin_pending, self._guard_open = True, True, False
            return
        deadline = time.monotonic() + self._info.busy_timeout
        pause = 0.005
        while True:
            try:
                self.query(self.adapter.begin_sql(), None)
                break
            except errors.LockWaitError:
                if time.monotonic() + pause > deadline:
                    raise
                time.sleep(pause)
                pause = min(2 * pause, 0.25)
        self._in_transaction = True
        self._guard_open = False

    def commit_transaction(self) -> None:
        if self._doomed is not None:
            error = self._doomed_error()
            self.cancel_transaction()
            raise error
        if self._begin_pending:  # nothing was sent: nothing to commit
            self._in_transaction = self._begin_pending = False
            return
        try:
            self.query("COMMIT", None)
        except BaseException:
            # a failed COMMIT must not leave the transaction "open"
            with contextlib.suppress(Exception):
                self.cancel_transaction()
            raise
        self._in_transaction = False
        self._guard_open = False

    def cancel_transaction(self) -> None:
        doomed, self._doomed = self._doomed, None
        pending, self._begin_pending = self._begin_pending, False
        try:
            if pending:  # nothing was sent: nothing to undo
                pass
            elif self._driver is not None and doomed is None:
                try:
                    self.query("ROLLBACK", None, reconnect=False)
                except errors.LostConnectionError:
                    # the server ended the transaction with the connection: nothing to undo,
                    # and the error that led here (if any) is the one to report
                    self._in_transaction = False
                    self.close()
            elif self._driver is not None:
                # the database already rolled the transaction back (or the connection that
                # held it is gone): only make sure nothing is left open
                with contextlib.suppress(Exception):
                    if self.adapter.transaction_open(self._driver):
                        self.adapter.execute(self._driver, "ROLLBACK", None)
        finally:
            self._in_transaction = False
            self._guard_open = False

    @contextlib.contextmanager
    def savepoint(self) -> Iterator[Connection]:
        """Inside a transaction, undo only this block's statements when it raises (so that a
        caught database error does not abort a PostgreSQL transaction); outside, do nothing."""
        if not self.in_transaction:
            yield self
            return
        self._savepoints += 1
        name = f"dj_sp{self._savepoints}"
        self.query(self.adapter.savepoint_sql(name, "set"), None)
        try:
            yield self
        except BaseException:
            if self.in_transaction:
                self.query(self.adapter.savepoint_sql(name, "rollback"), None)
            raise
        else:
            self.query(self.adapter.savepoint_sql(name, "release"), None)

    @property
    def transaction(self) -> contextlib.AbstractContextManager[Connection]:
        """Context manager: commit on normal exit, roll back on any exception."""
        return self._transaction()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Connection]:
        self.start_transaction()
        try:
            yield self
        except BaseException:
            self.cancel_transaction()
            raise
        else:
            self.commit_transaction()

    # ---------------------------------------------------------------- schema registry
    def register(self, schema: Any) -> None:
        self.schemas[schema.database] = schema
        self._dependencies = None

    @property
    def catalog(self) -> Any:
        """Headings of loaded schemas (cached; reloaded per schema after DDL)."""
        if self._catalog is None:
            self._catalog = Catalog(self)
        return self._catalog

    @property
    def dependencies(self) -> Any:
        """The foreign-key graph of the registered schemas."""
        if self._dependencies is None:
            self._dependencies = Dependencies(self)
        return self._dependencies

    def invalidate(self, schema: str | None = None, table: str | None = None) -> None:
        """Forget cached headings and dependencies (after DDL); ``table``: only that table of
        ``schema`` changed (it was declared)."""
        if self._catalog is not None:
            self._catalog.invalidate(schema, table)
        self._dependencies = None


def _unencodable(exc: UnicodeEncodeError) -> errors.ValueConversionError:
    bad = exc.object[exc.start : exc.end]
    return errors.ValueConversionError(
        f"A text value holds {bad!r} at position {exc.start}, which cannot be encoded as "
        f"{exc.encoding.upper()} (a lone surrogate, e.g. from bytes decoded with "
        "errors='surrogateescape'); nothing was sent to the database. Repair the text first, "
        "e.g. text.encode('utf-8', 'replace').decode('utf-8')."
    )


_live: weakref.WeakSet[Connection] = weakref.WeakSet()


def _close_before_fork() -> None:
    """SQLite connections must not be carried across ``fork()``: the child would share the
    parent's lock bookkeeping for the file and could write without holding the lock (lost
    commits with several worker processes). Idle ones are closed and reopen on next use."""
    for connection in list(_live):
        connection._suspend_for_fork()


os.register_at_fork(before=_close_before_fork)

_singleton: Connection | None = None


def conn(
    host: str | None = None,
    user: str | None = None,
    password: str | None = None,
    *,
    reset: bool = False,
    use_tls: Any = None,
) -> Connection:
    """The process-wide connection, created on first use from ``dj.config`` (spec 08 §2.1)."""
    global _singleton
    check_thread_safe()
    if reset or _singleton is None:
        backend = _config_value(global_config, "database.backend", "sqlite")
        if backend != "sqlite":
            user = user or _config_value(global_config, "database.user")
            password = password or _config_value(global_config, "database.password")
            if user is None:
                raise errors.DataJointError(
                    "Database user not configured. Set dj.config['database.user'] or pass "
                    "user= argument."
                )
            if password is None:
                password = ""
        _singleton = Connection(host, user, password, use_tls=use_tls)
    return _singleton
