"""A runnable benchmark suite: ``python benchmarks/bench.py [--backend B ...] [--rows N]``.

Runs each workload with this project and with the raw driver (sqlite3, PyMySQL, psycopg)
doing the same work on the same database, and prints per backend a Markdown table: the best
time of each (of ``--repeat`` alternating runs), their ratio, and the statements one run sent.
MariaDB and PostgreSQL are the local test servers (127.0.0.1). The test suite runs it once,
tiny, on SQLite to keep it working; timings are never asserted.

``--only stores`` runs the object-store workload (``benchmarks/stores.py``): 20 arrays of 8 MB
through ``<blob@>`` and ``<npy@>`` into a local store, beside fsspec writing and reading the
same bytes. ``--only blobs`` runs the ``<blob>`` column workload (``benchmarks/blobs.py``):
1,000 arrays of 10 KB and 20 arrays of 8 MB, beside the raw driver inserting and selecting the
same serialized bytes.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import warnings

from blobs import blobs
from harness import Raw, connect, machine, table
from stores import stores
from workloads import Setup, bulk, bulk_fetch, per_call, schemas

BACKENDS = ["sqlite", "mysql", "postgresql"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", nargs="+", default=["sqlite"], choices=BACKENDS)
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the bulk cases")
    parser.add_argument("--calls", type=int, default=1000, help="calls of the per-call cases")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--only",
        nargs="+",
        default=["per_call", "bulk", "schemas"],
        help="workload groups: per_call, bulk, schemas, stores (object stores), blobs (<blob> "
        "columns); the last two not by default",
    )
    parser.add_argument("--store-arrays", type=int, default=20, help="arrays of the stores case")
    parser.add_argument("--store-mb", type=int, default=8, help="MB per array of the stores case")
    parser.add_argument("--blob-small", type=int, default=1000, help="10 KB arrays (blobs case)")
    parser.add_argument("--blob-large", type=int, default=20, help="large arrays (blobs case)")
    parser.add_argument("--blob-large-mb", type=int, default=8, help="MB per large array")
    args = parser.parse_args()
    logging.getLogger("datajoint").setLevel(logging.WARNING)
    warnings.simplefilter("ignore", UserWarning)  # no datajoint.json here
    groups = {
        "per_call": per_call,
        "bulk": bulk,
        "bulk_fetch": bulk_fetch,
        "schemas": schemas,
        "stores": lambda s: stores(s, args.store_arrays, args.store_mb),
        "blobs": lambda s: blobs(
            s, small=args.blob_small, large=args.blob_large, large_mb=args.blob_large_mb
        ),
    }
    print(f"Machine: {machine()}; best of {args.repeat}\n")
    for backend in args.backend:
        with tempfile.TemporaryDirectory() as folder:
            path = f"{folder}/bench.db"
            connection = connect(backend, path)
            raw = Raw(backend, path)
            setup = Setup(backend, path, connection, raw, args.rows, args.calls, args.repeat)
            results = [r for name in args.only for r in groups[name](setup)]
            raw.close()
            connection.close()
        print(table(backend, results), end="\n\n", flush=True)


if __name__ == "__main__":
    main()
