"""The benchmark suite stays runnable: one tiny pass on SQLite (no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).parents[2] / "benchmarks" / "bench.py"


def test_benchmark_suite_runs_every_case() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCH), "--rows", "2000", "--calls", "20", "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    rows = {
        line.split("|")[1].strip(): [cell.strip() for cell in line.split("|")[2:-1]]
        for line in out.stdout.splitlines()
        if line.startswith("| ") and not line.startswith("| sqlite")
    }
    for case in (
        "20 x fetch1 by key",
        "20 x len(T & key)",
        "40 x insert1 (100 per transaction)",
        "populate 40 keys (trivial make)",
        "populate 40 keys (trivial make, reserve_jobs=True)",
        "insert 2000 rows from dicts",
        "insert 2000 rows from DataFrame",
        "insert 2000 rows from numpy records",
        "fetch 2000 rows: to_dicts",
        "fetch 2000 rows: to_arrays",
        "fetch 2000 rows: to_pandas",
        "fetch 2000 rows: to_polars",
        "fetch 2000 rows: to_arrow",
        "fetch 2000 rows: keys()",
        "fetch 2000 rows: iteration",
        "declare 36 tables",
        "virtual_schema of 36 tables",
    ):
        assert case in rows, f"{case} missing from\n{out.stdout}"
    # every side-by-side case reports the raw driver's time, the ratio and both statement counts
    _, raw, ratio, statements = rows["20 x fetch1 by key"]
    assert raw.endswith("ms") and ratio.endswith("x") and statements == "20 / 20"
    assert rows["len (whole table)"][3] == "1"
    assert "import datajoint, fresh process" in rows
    assert any(c.startswith("load 36 tables, fresh process (after import)") for c in rows)


def test_blob_workload_runs_both_sizes() -> None:
    args = ["--only", "blobs", "--blob-small", "5", "--blob-large", "2", "--blob-large-mb", "1"]
    out = subprocess.run(
        [sys.executable, str(BENCH), *args, "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    rows = {
        line.split("|")[1].strip(): [cell.strip() for cell in line.split("|")[2:-1]]
        for line in out.stdout.splitlines()
        if line.startswith("| ") and not line.startswith("| sqlite")
    }
    for size in ("5 x 10 KB", "2 x 1 MB"):
        for case in ("insert", "fetch"):
            _, raw, ratio, _ = rows[f"{case} {size} arrays (<blob>)"]
            assert raw.endswith("ms") and ratio.endswith("x")
        assert f"blob format alone, one thread: pack {size}" in rows
