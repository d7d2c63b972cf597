"""``dj export SCHEMA [TABLE...] --to TARGET [--where SQL] [--clone] [--rename S:T]
[--dry-run]`` as a subprocess."""

from __future__ import annotations

import subprocess
import sys

import datajoint as dj
from support.backends import SERVERS, new_schema_name


def where_args(connection: dj.Connection) -> list[str]:
    if connection.adapter.name == "sqlite":
        return ["--backend", "sqlite", "--path", connection.conn_info["path"]]
    server = SERVERS[connection.adapter.name]
    args = ["--backend", connection.adapter.name, "--host", server["host"]]
    return [*args, "--port", str(server["port"]), "-u", server["user"]]


def dj_export(connection: dj.Connection, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "datajoint", *where_args(connection), "export", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def server_url(backend: str) -> str:
    server = SERVERS[backend]
    scheme = "postgresql" if backend == "postgresql" else "mysql"
    password = f":{server['password']}" if server["password"] else ""
    return f"{scheme}://{server['user']}{password}@{server['host']}:{server['port']}"


def test_export_command(pipeline, connection, tmp_path) -> None:
    lab = pipeline
    schema = lab.schema.database
    target = tmp_path / "subset.db"
    dry = dj_export(
        connection, schema, "Session", "--where", "subject_id = 2", "--to", str(target), "--dry-run"
    )
    assert dry.returncode == 0, dry.stderr
    assert f"{schema}.session__trial" in dry.stdout and "would copy" in dry.stdout
    assert not target.exists()
    done = dj_export(
        connection, schema, "Session", "--where", "subject_id = 2", "--to", str(target)
    )
    assert done.returncode == 0, done.stderr
    copy = dj.Connection(backend="sqlite", path=str(target))
    module = dj.VirtualModule("copy", schema, connection=copy)
    assert module.Session.keys() == (lab.Session & "subject_id = 2").keys()
    assert len(module.Session.Trial()) == 6 and len(module.Subject()) == 1
    copy.close()

    # a clone to a server given by URL, under another schema name
    other = "postgresql" if connection.adapter.name != "postgresql" else "mysql"
    renamed = new_schema_name("djcli")
    url = server_url(other)
    cloned = dj_export(
        connection, schema, "Subject", "--where", "subject_id = 3", "--clone", "--to", url,
        "--rename", f"{schema}:{renamed}",
    )  # fmt: skip
    assert cloned.returncode == 0, cloned.stderr
    server = SERVERS[other]
    remote = dj.Connection(
        server["host"], server["user"], server["password"], port=server["port"], backend=other,
        use_tls=False,
    )  # fmt: skip
    try:
        module = dj.VirtualModule("remote", renamed, connection=remote)
        assert len(module.Trace()) == 2 and len(module.Stats()) == 2
        assert module.Subject.keys() == [{"subject_id": 3}]
    finally:
        dj.Schema(renamed, connection=remote).drop(prompt=False)
        remote.close()

    bad = dj_export(connection, schema, "--where", "subject_id = 1", "--to", str(target))
    assert bad.returncode == 1 and "name at least one TABLE" in bad.stderr
    unknown = dj_export(connection, schema, "Nope", "--to", str(target))
    assert unknown.returncode == 1 and "`Nope` not found" in unknown.stderr
