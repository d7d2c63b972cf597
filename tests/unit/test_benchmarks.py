"""The benchmark suite stays runnable: one tiny pass on SQLite (no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).parents[2] / "benchmarks" / "bench.py"


def test_benchmark_suite_runs_every_case() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCH), "--backend", "sqlite", "--rows", "2000", "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    cases = [line.split("  ")[0] for line in out.stdout.splitlines()[1:] if "statements" in line]
    assert cases[:6] == [
        "insert dicts",
        "insert numpy records",
        "fetch to_dicts",
        "fetch to_arrays",
        "fetch to_pandas",
        "len",
    ]
    assert any(c.startswith("restrict by") and "composite" in c for c in cases)
    assert cases[-1] == "virtual_schema of 30 tables, all headings"
    assert "1 statements" in next(
        line for line in out.stdout.splitlines() if line.startswith("len")
    )
