"""The ``dj`` console as a subprocess (spec 08 §6)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import datajoint as dj


def run(args: list[str], stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import datajoint; datajoint.cli()", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_version() -> None:
    out = run(["-V"])
    assert out.returncode == 0
    assert out.stdout.strip() == f"datajoint {dj.__version__}"


def test_help() -> None:
    out = run(["--help"])
    assert out.returncode == 0
    assert "usage: dj" in out.stdout


def test_credentials_reach_config() -> None:
    stdin = "print(dj.config['database.user'], dj.config['database.host'])\n"
    out = run(["-u", "alice", "-p", "secret", "--host", "db.example:3307"], stdin)
    assert out.returncode == 0
    assert "alice db.example" in out.stdout
    assert "DataJoint" in out.stderr  # banner


def test_bad_schema_spec() -> None:
    out = run(["-s", "nocolon"])
    assert out.returncode == 2
    assert "Invalid schema format 'nocolon'" in out.stderr


def test_schema_loaded_as_module(tmp_path) -> None:
    db = tmp_path / "cli.db"
    setup = (
        "import datajoint as dj\n"
        f"c = dj.Connection(backend='sqlite', path={str(db)!r})\n"
        "s = dj.Schema('clidb', connection=c)\n"
        "@s\n"
        "class Thing(dj.Manual):\n"
        "    definition = 'thing_id : int32'\n"
        "Thing.insert1({'thing_id': 7})\n"
    )
    subprocess.run([sys.executable, "-c", setup], check=True, timeout=60)
    out = run(
        ["--backend", "sqlite", "--path", str(db), "-s", "clidb:things"],
        "print(things.Thing.to_dicts())\n",
    )
    assert out.returncode == 0, out.stderr
    assert "[{'thing_id': 7}]" in out.stdout
    assert "things -> clidb" in out.stderr


def test_every_subcommand_has_help() -> None:
    for command, words in (
        ("schemas", "List the schemas"),
        ("tables", "SCHEMA"),
        ("describe", "TABLE"),
        ("progress", "populate progress"),
        ("diagram", "--output"),
    ):
        out = run([command, "--help"])
        assert out.returncode == 0, out.stderr
        assert f"usage: dj {command}" in out.stdout and words in out.stdout
    overview = run(["--help"]).stdout
    for command in ("schemas", "tables", "describe", "progress", "diagram"):
        assert command in overview


def test_python_dash_m_datajoint() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "datajoint", "--version"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0 and out.stdout.strip() == f"datajoint {dj.__version__}"


def test_version_can_be_asked_repeatedly_in_process(capsys) -> None:
    for _ in range(3):
        with pytest.raises(SystemExit) as exit_:
            dj.cli(args=["-V"])
        assert exit_.value.code == 0
        assert capsys.readouterr().out.strip() == f"datajoint {dj.__version__}"
