"""``dj gc SCHEMA... [--store NAME] [--delete] [--min-age SECONDS]`` as a subprocess (spec 08
§6, spec 06 §9); the store comes from ``DJ_STORES``."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import datajoint as dj
from support.backends import SERVERS


@pytest.fixture(params=["file"])
def store_kind(request):
    """The command's work is the collector's (tested on S3 too): a local store suffices."""
    return request.param


def dj_gc(tables, *args):
    connection = tables.connection
    if connection.backend == "sqlite":
        where = ["--backend", "sqlite", "--path", connection.conn_info["path"]]
    else:
        server = SERVERS[connection.backend]
        where = ["--backend", connection.backend, "--host", server["host"]]
        where += ["--port", str(server["port"]), "-u", server["user"]]
    env = {**os.environ, "DJ_STORES": json.dumps(dj.config.stores)}
    return subprocess.run(
        [sys.executable, "-m", "datajoint", *where, "gc", tables.schema.database, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_gc_command(tables, store):
    tables.Arrays.insert([{"id": 1, "n": np.arange(3)}, {"id": 2, "n": np.arange(4)}])
    tables.Blobs.insert1({"id": 1, "b": "gone soon"})
    (tables.Arrays & {"id": 1}).delete_quick()
    tables.Blobs.delete_quick()
    recent = dj_gc(tables, "--delete")  # default grace period: one hour
    assert recent.returncode == 0, recent.stderr
    assert "Spared (newer than 3600 s): 2" in recent.stdout and len(store.files()) == 3
    dry = dj_gc(tables, "--min-age", "0")
    assert dry.returncode == 0, dry.stderr
    assert "Orphaned (unreferenced): 2" in dry.stdout and "[DRY RUN" in dry.stdout
    assert len(store.files()) == 3
    done = dj_gc(tables, "--min-age", "0", "--delete", "--store", "main")
    assert done.returncode == 0, done.stderr
    assert "  Deleted:     2" in done.stdout and len(store.files()) == 1
    missing = dj_gc(tables, "--store", "nowhere")
    assert missing.returncode == 1 and "not configured" in missing.stderr
