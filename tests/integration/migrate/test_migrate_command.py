"""``dj migrate SCHEMA [--apply] [--finalize] [--sql]`` as a subprocess on a DataJoint 0.14
database (spec 08 §6, §9); the store comes from ``DJ_STORES``."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import datajoint as dj
from support.backends import SERVERS
from support.legacy014 import snapshot

pytestmark = pytest.mark.parametrize("backend_name", ["mysql"])


def dj_migrate(database, *args, stores=None):
    server = SERVERS["mysql"]
    where = ["--backend", "mysql", "--host", server["host"], "--port", str(server["port"])]
    where += ["-u", server["user"]]
    env = {**os.environ, "DJ_STORES": json.dumps(dj.config.stores if stores is None else stores)}
    return subprocess.run(
        [sys.executable, "-m", "datajoint", *where, "migrate", database, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_migrate_command(legacy, connection, schema):
    before = snapshot(connection, legacy)
    dry = dj_migrate(legacy.database, "--sql")
    assert dry.returncode == 0, dry.stderr
    assert "dry run: nothing changed" in dry.stdout
    assert "session.settings: longblob -> <blob>" in dry.stdout
    assert "_recording.trace <blob@local>: legacy, 3 row(s) to fill" in dry.stdout
    assert "__activity: _job_start_time, _job_duration, _job_version" in dry.stdout
    assert "ALTER TABLE" in dry.stdout and "--apply" in dry.stdout
    assert snapshot(connection, legacy) == before
    unconfigured = dj_migrate(legacy.database, "--apply", stores={})
    assert unconfigured.returncode == 1 and "Store 'local'" in unconfigured.stderr
    assert snapshot(connection, legacy) == before
    done = dj_migrate(legacy.database, "--apply", "--finalize")
    assert done.returncode == 0, done.stderr
    assert "(applied)" in done.stdout
    assert dj.migrate.verify_schema_v20(schema)["compatible"]
    again = dj_migrate(legacy.database)
    assert again.returncode == 0, again.stderr
    assert (
        "Type markers: 0 column(s)" in again.stdout and "Job metadata: 0 table(s)" in again.stdout
    )
    missing = dj_migrate("no_such_schema_here")
    assert missing.returncode == 1 and "does not exist" in missing.stderr
