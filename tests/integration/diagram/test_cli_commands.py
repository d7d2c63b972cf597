"""Every ``dj`` subcommand as a subprocess against a real database (spec 08 §6)."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import datajoint as dj
from support.backends import SERVERS


def dj_command(pipe, *args: str) -> subprocess.CompletedProcess:
    if pipe.backend == "sqlite":
        where = ["--backend", "sqlite", "--path", pipe.connection.conn_info["path"]]
    else:
        server = SERVERS[pipe.backend]
        where = ["--backend", pipe.backend, "--host", server["host"]]
        where += ["--port", str(server["port"]), "-u", server["user"]]
        if server["password"]:
            where += ["-p", server["password"]]
    return subprocess.run(
        [sys.executable, "-m", "datajoint", *where, *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_schemas(pipe):
    out = dj_command(pipe, "schemas")
    assert out.returncode == 0, out.stderr
    listed = out.stdout.split()
    assert pipe.simple.database in listed and pipe.other.database in listed


def test_tables_in_dependency_order_with_tier_and_rows(pipe):
    out = dj_command(pipe, "tables", pipe.simple.database)
    assert out.returncode == 0, out.stderr
    lines = [line.split() for line in out.stdout.splitlines()]
    assert lines[0] == ["TABLE", "TIER", "ROWS"]
    table = {name: (tier, int(n)) for name, tier, n in lines[1:]}
    assert table["L"] == ("Lookup", 2) and table["A"] == ("Manual", 2)
    assert table["B.C"] == ("Part", 2) and table["E"] == ("Computed", 2)
    assert table["G"] == ("Imported", 1) and len(table) == 11
    order = [line[0] for line in lines[1:]]
    assert order.index("A") < order.index("B") < order.index("B.C") < order.index("E")


def test_describe_names_parents_by_class(pipe):
    out = dj_command(pipe, "describe", pipe.other.database, "Shank")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "-> Probe"
    assert f"-> {pipe.simple.database}.D" in out.stdout
    assert re.search(r"^shank +: int32$", out.stdout, re.MULTILINE)
    part = dj_command(pipe, "describe", pipe.simple.database, "E.F")
    assert part.returncode == 0 and "-> B.C" in part.stdout
    by_sql_name = dj_command(pipe, "describe", pipe.simple.database, "__e__f")
    assert by_sql_name.stdout == part.stdout


def test_progress(pipe):
    out = dj_command(pipe, "progress", pipe.simple.database)
    assert out.returncode == 0, out.stderr
    lines = [line.split() for line in out.stdout.splitlines()]
    assert lines[0] == ["TABLE", "DONE", "TOTAL", "REMAINING"]
    rows = {name: tuple(map(int, numbers)) for name, *numbers in lines[1:]}
    for cls, name in ((pipe.E, "E"), (pipe.G, "G")):
        remaining, total = cls.progress()
        assert rows[name] == (total - remaining, total, remaining)
    none = dj_command(pipe, "progress", pipe.other.database)
    assert none.returncode == 0 and "no Computed or Imported tables" in none.stdout


def test_diagram_to_stdout_and_files(pipe, tmp_path):
    out = dj_command(pipe, "diagram", pipe.simple.database)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("flowchart LR")
    assert "    A --> B\n" in out.stdout and "E_F[F]:::part" in out.stdout
    svg = tmp_path / "simple.svg"
    out = dj_command(pipe, "diagram", pipe.simple.database, "-o", str(svg))
    assert out.returncode == 0, out.stderr
    root = ET.fromstring(svg.read_text())
    assert (
        len([g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "node"])
        == 11
    )
    png = tmp_path / "simple.png"
    assert dj_command(pipe, "diagram", pipe.simple.database, "-o", str(png)).returncode == 0
    assert png.read_bytes()[:4] == b"\x89PNG"
    bad = dj_command(pipe, "diagram", pipe.simple.database, "-o", str(tmp_path / "x.pdf"))
    assert bad.returncode == 1 and "Could not infer format" in bad.stderr


def test_errors_exit_with_status_and_message(pipe):
    missing = dj_command(pipe, "tables", "no_such_schema_xyz")
    assert missing.returncode == 1
    assert "schema `no_such_schema_xyz` does not exist" in missing.stderr
    assert missing.stdout == ""
    table = dj_command(pipe, "describe", pipe.simple.database, "Nope")
    assert table.returncode == 1 and "table `Nope` not found" in table.stderr
    assert "B.C" in table.stderr  # lists what exists
    usage = dj_command(pipe, "frobnicate")
    assert usage.returncode == 2 and "invalid choice: 'frobnicate'" in usage.stderr
    assert dj_command(pipe, "describe", pipe.simple.database).returncode == 2


def test_cli_called_repeatedly_in_one_process(pipe, capsys):
    if pipe.backend != "sqlite":
        server = SERVERS[pipe.backend]
        where = ["--backend", pipe.backend, "--host", server["host"], "-u", server["user"]]
        where += ["--port", str(server["port"])]
    else:
        where = ["--backend", "sqlite", "--path", pipe.connection.conn_info["path"]]
    before = dj.config["database.host"], dj.config["database.backend"]
    for _ in range(2):
        dj.cli(args=[*where, "tables", pipe.other.database])
        first = capsys.readouterr().out
        assert "Probe" in first and "Shank" in first
        dj.cli(args=[*where, "describe", pipe.other.database, "Probe"])
        assert "-> " in capsys.readouterr().out
    assert (dj.config["database.host"], dj.config["database.backend"]) == before
