"""Object stores for the tests: a local folder per test, and S3 on a moto server.

The S3 server (moto's server mode) is started once per session on 127.0.0.1 on a free port and
stopped at the end. It is part of the test extra, so it is never skipped: a server that cannot
start fails the tests.
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

import datajoint as dj
from datajoint.storage.stores import StorageBackend, get_backend

STORE_KINDS = ["file", "s3"]
BUCKET = "djtest"
S3_KEY = "testing-access-key"
S3_SECRET = "testing-secret-key"


@dataclass
class S3Server:
    """A running moto S3 server: ``endpoint`` is ``host:port`` (plain http)."""

    endpoint: str

    def filesystem(self) -> Any:
        import fsspec

        return fsspec.filesystem(
            "s3",
            key=S3_KEY,
            secret=S3_SECRET,
            client_kwargs={"endpoint_url": f"http://{self.endpoint}"},
            skip_instance_cache=True,
            use_listings_cache=False,
        )


@pytest.fixture(scope="session")
def s3_server():
    """Start moto's S3 server on a free port of 127.0.0.1, with the test bucket."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    for name in ("NO_PROXY", "no_proxy"):  # the local server is never reached through a proxy
        os.environ[name] = ",".join(filter(None, [os.environ.get(name), "127.0.0.1"]))
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    running = S3Server(f"{host}:{port}")
    running.filesystem().mkdir(BUCKET)
    yield running
    server.stop()


def s3_spec(server: S3Server, location: str, **more: Any) -> dict[str, Any]:
    return {
        "protocol": "s3",
        "endpoint": server.endpoint,
        "bucket": BUCKET,
        "location": location,
        "access_key": S3_KEY,
        "secret_key": S3_SECRET,
        "secure": False,
        **more,
    }


@dataclass
class StoreUnderTest:
    """The store a test uses: its kind, its name in ``dj.config.stores`` and its spec."""

    kind: str
    name: str
    spec: dict[str, Any]
    server: S3Server | None = None

    @property
    def backend(self) -> StorageBackend:
        return get_backend(self.name)

    def files(self) -> list[str]:
        """Store-relative paths of every file in the store."""
        return sorted(self.backend.list_files(""))


def make_spec(kind: str, tmp_path_factory: Any, server: S3Server | None, **more: Any) -> dict:
    if kind == "file":
        return {"protocol": "file", "location": str(tmp_path_factory.mktemp("store")), **more}
    assert server is not None
    return s3_spec(server, f"run-{uuid.uuid4().hex[:10]}", **more)


@pytest.fixture(params=STORE_KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def store(store_kind: str, request: pytest.FixtureRequest, tmp_path_factory):
    """A fresh store of each kind, configured as ``stores.default`` = ``main`` for the test."""
    server = request.getfixturevalue("s3_server") if store_kind == "s3" else None
    spec = make_spec(store_kind, tmp_path_factory, server)
    with dj.config.override(stores={"default": "main", "main": spec}):
        yield StoreUnderTest(store_kind, "main", spec, server)
