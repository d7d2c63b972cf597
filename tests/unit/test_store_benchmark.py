"""The object-store benchmark stays runnable: one tiny pass (no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).parents[2] / "benchmarks" / "bench.py"


def test_store_benchmark_runs() -> None:
    out = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            *["--only", "stores", "--store-arrays", "2", "--store-mb", "1", "--repeat", "1"],
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    lines = [line for line in out.stdout.splitlines() if line.startswith("| store ")]
    assert len(lines) == 4, out.stdout
    for line in lines:  # DataJoint's time, fsspec's time and their ratio
        cells = [c.strip() for c in line.split("|")[2:-1]]
        assert cells[0].endswith(("ms", "s")) and cells[1].endswith(("ms", "s"))
        assert cells[2].endswith("x")
