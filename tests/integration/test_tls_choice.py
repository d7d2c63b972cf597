"""``use_tls=None`` tries TLS only where it can help, and warns once per server (spec 08 §2.3).

The test servers listen on loopback, where ``use_tls=None`` connects without TLS. The fallback
(try TLS, log a warning, connect plainly, remember the refusal) is exercised against the same
real servers by treating their loopback address as remote.
"""

from __future__ import annotations

import logging
import os

import pytest

import datajoint as dj
from datajoint.backends import tls
from support.backends import SERVERS

pytestmark = pytest.mark.server

SERVER_BACKENDS = ["mysql", "postgresql"]


def connect(backend: str, use_tls: object = None) -> dj.Connection:
    s = SERVERS[backend]
    try:
        return dj.Connection(
            s["host"], s["user"], s["password"], port=s["port"], backend=backend, use_tls=use_tls
        )
    except Exception as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{backend} server unreachable: {exc}")
        pytest.skip(f"{backend} server unreachable: {exc}")


def encrypted(connection: dj.Connection) -> bool:
    if connection.backend == "mysql":
        return bool(connection.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'").fetchone()[1])
    return bool(connection._driver.info.pgconn.ssl_in_use)


def fallback_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "SSL connection failed" in r.getMessage()]


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.8.0.1", "::1", "[::1]", "/run/s"])
def test_loopback_and_sockets_are_local(host: str) -> None:
    assert tls.is_local(host)


@pytest.mark.parametrize("host", ["db.example.org", "10.0.0.7", "2001:db8::1"])
def test_other_hosts_are_not(host: str) -> None:
    assert not tls.is_local(host)
    assert tls.worth_trying("mysql", host, 3306)


@pytest.mark.parametrize("backend", SERVER_BACKENDS)
def test_loopback_connects_without_a_tls_attempt(backend, caplog, monkeypatch) -> None:
    monkeypatch.setattr(tls, "_REFUSED", set())
    with caplog.at_level(logging.WARNING, logger="datajoint"):
        connection = connect(backend)
    try:
        assert fallback_warnings(caplog) == []
        assert not encrypted(connection)
        assert connection.query("SELECT 1").fetchone()[0] == 1
    finally:
        connection.close()


@pytest.mark.parametrize("backend", SERVER_BACKENDS)
def test_a_refusal_is_remembered_and_warned_once(backend, caplog, monkeypatch) -> None:
    monkeypatch.setattr(tls, "is_local", lambda host: False)
    monkeypatch.setattr(tls, "_REFUSED", set())
    probe = connect(backend, use_tls=False)
    probe.close()
    with caplog.at_level(logging.WARNING, logger="datajoint"):
        first = connect(backend)
        offers_tls = encrypted(first)
        second = connect(backend)
        second.close()
        first.close()
    if offers_tls:  # a server with TLS is used with TLS; nothing to remember
        assert fallback_warnings(caplog) == [] and not tls._REFUSED
        return
    assert len(fallback_warnings(caplog)) == 1  # the first connection tried and fell back
    assert not tls.worth_trying(backend, SERVERS[backend]["host"], SERVERS[backend]["port"])
    # an explicit choice is still followed: TLS required by a server without it fails
    s = SERVERS[backend]
    with pytest.raises(Exception, match=r"(?i)ssl"):
        dj.Connection(
            s["host"], s["user"], s["password"], port=s["port"], backend=backend, use_tls=True
        )
