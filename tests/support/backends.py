"""The ``connection`` fixture: one Connection per backend (sqlite, mysql, postgresql).

A server that cannot be reached FAILS the tests under CI (``CI`` set) and skips them otherwise.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest

import datajoint as dj

BACKENDS = ["sqlite", "mysql", "postgresql"]

SERVERS = {
    "mysql": {
        "host": os.environ.get("DJ_TEST_MYSQL_HOST", "127.0.0.1"),
        "port": int(os.environ.get("DJ_TEST_MYSQL_PORT", "3306")),
        "user": os.environ.get("DJ_TEST_MYSQL_USER", "root"),
        "password": os.environ.get("DJ_TEST_MYSQL_PASSWORD", ""),
    },
    "postgresql": {
        "host": os.environ.get("DJ_TEST_PG_HOST", "127.0.0.1"),
        "port": int(os.environ.get("DJ_TEST_PG_PORT", "5432")),
        "user": os.environ.get("DJ_TEST_PG_USER", "postgres"),
        "password": os.environ.get("DJ_TEST_PG_PASSWORD", ""),
    },
}


def open_connection(
    name: str, tmp_path_factory: pytest.TempPathFactory, config: Any = None
) -> dj.Connection:
    """A new Connection to the test database of backend ``name`` (reading its settings from
    ``config`` when given)."""
    if name == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "pipeline.db"
        return dj.Connection(backend="sqlite", path=str(path), config_override=config)
    server = SERVERS[name]
    try:
        return dj.Connection(
            server["host"],
            server["user"],
            server["password"],
            port=server["port"],
            backend=name,
            use_tls=False,
            config_override=config,
        )
    except Exception as exc:
        message = f"{name} server at {server['host']}:{server['port']} unreachable: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def second_connection(
    connection: dj.Connection, tmp_path_factory: pytest.TempPathFactory
) -> dj.Connection:
    """Another connection to the database of ``connection`` (on SQLite, to the same file)."""
    backend = connection.adapter.name
    if backend == "sqlite":
        return dj.Connection(backend="sqlite", path=connection.conn_info["path"])
    return open_connection(backend, tmp_path_factory)


def connection_fields(backend_name: str, connection: dj.Connection) -> list[str]:
    """``backend, host, port, user, password, path`` of a test connection, as text for worker
    processes (see :func:`connect_with`)."""
    server = SERVERS.get(backend_name, {})
    return [
        backend_name,
        server.get("host", ""),
        str(server.get("port", "")),
        server.get("user", ""),
        server.get("password", ""),
        connection.conn_info["path"] or "",
    ]


def connect_with(fields: list[str]) -> dj.Connection:
    """A new connection from :func:`connection_fields` (in a worker process)."""
    backend, host, port, user, password, path = fields
    if backend == "sqlite":
        return dj.Connection(backend="sqlite", path=path)
    return dj.Connection(host, user, password, port=int(port), backend=backend, use_tls=False)


@pytest.fixture(scope="session", params=BACKENDS)
def backend_name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def _connections(tmp_path_factory: pytest.TempPathFactory) -> dict:
    opened: dict = {}
    yield opened
    for c in opened.values():
        c.close()


def shared_connection(
    backend_name: str, connections: dict, tmp_path_factory: pytest.TempPathFactory
) -> dj.Connection:
    """The session's connection of this backend (reopened if a test closed it).

    Module-scoped fixtures may use it; those that must not see a connection closed by another
    test open their own with :func:`open_connection`.
    """
    c = connections.get(backend_name)
    if c is None or not c.is_connected:
        c = open_connection(backend_name, tmp_path_factory)
        connections[backend_name] = c
    if c.in_transaction:
        c.cancel_transaction()
    return c


@pytest.fixture
def connection(backend_name: str, _connections: dict, tmp_path_factory) -> dj.Connection:
    """The shared connection of this backend (reopened if a test closed it)."""
    return shared_connection(backend_name, _connections, tmp_path_factory)


def new_schema_name(prefix: str = "djtest") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def schema(connection: dj.Connection):
    """A fresh, empty schema on the current backend, dropped after the test."""
    s = dj.Schema(new_schema_name(), connection=connection)
    yield s
    if connection.in_transaction:
        connection.cancel_transaction()
    s.drop(prompt=False)
