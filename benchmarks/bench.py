"""A runnable benchmark suite: ``python benchmarks/bench.py [--backend B] [--rows N]``.

Times the hot paths of a pipeline on one backend (SQLite by default; ``mysql`` and
``postgresql`` use the local test servers) and prints one line per case: seconds (best of
``--repeat``) and the number of statements sent. The test suite runs it once, tiny, on
SQLite to keep it working; timings are never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator

import numpy as np

import datajoint as dj

SERVERS = {
    "mysql": ("127.0.0.1", "root", ""),
    "postgresql": ("127.0.0.1", "postgres", ""),
}


def connect(backend: str, folder: str) -> dj.Connection:
    if backend == "sqlite":
        return dj.Connection(backend="sqlite", path=f"{folder}/bench.db")
    host, user, password = SERVERS[backend]
    return dj.Connection(host, user, password, backend=backend, use_tls=False)


@contextlib.contextmanager
def fresh_schema(connection: dj.Connection) -> Iterator[dj.Schema]:
    schema = dj.Schema(f"djbench_{uuid.uuid4().hex[:8]}", connection=connection)
    try:
        yield schema
    finally:
        schema.drop(prompt=False)


def measure(
    name: str, connection: dj.Connection, repeat: int, run: Callable[[], object], reset=None
) -> None:
    best, statements = float("inf"), 0
    for _ in range(repeat):
        if reset is not None:
            reset()
        start_count = connection.statement_count
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
        statements = connection.statement_count - start_count
    print(f"{name:<44} {best:9.4f} s {statements:6d} statements")


def declare_wide_schema(schema: dj.Schema, n_tables: int) -> None:
    previous = None
    for i in range(n_tables):
        parent = f"-> {previous.__name__}\n" if previous is not None and i % 3 else ""
        body = f"{parent}t{i}_id : int32\n---\nvalue : float64\nnote = '' : varchar(64)\n"
        cls = type(f"Table{i}", (dj.Manual,), {"definition": body})
        previous = schema(cls, context={p.__name__: p for p in [previous] if p is not None})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", *SERVERS])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n, repeat = args.rows, args.repeat
    with tempfile.TemporaryDirectory() as folder:
        connection = connect(args.backend, folder)
        print(f"backend {args.backend}, {n} rows, best of {repeat}")
        with fresh_schema(connection) as schema:

            @schema
            class Measurement(dj.Manual):
                definition = """
                subject : int32
                trial : int32
                ---
                value : float64
                label : varchar(16)
                """

            rng = np.random.default_rng(0)
            records = np.rec.fromarrays(
                [np.arange(n) // 100, np.arange(n) % 100, rng.random(n), ["x"] * n],
                names=["subject", "trial", "value", "label"],
            )
            dicts = [dict(zip(records.dtype.names, r.tolist(), strict=True)) for r in records]
            measure(
                "insert dicts",
                connection,
                repeat,
                lambda: Measurement.insert(dicts),
                reset=Measurement.delete_quick,
            )
            measure(
                "insert numpy records",
                connection,
                repeat,
                lambda: Measurement.insert(records),
                reset=Measurement.delete_quick,
            )
            measure("fetch to_dicts", connection, repeat, Measurement.to_dicts)
            measure("fetch to_arrays", connection, repeat, Measurement.to_arrays)
            measure("fetch to_pandas", connection, repeat, Measurement.to_pandas)
            measure("len", connection, repeat, lambda: len(Measurement()))
            keys = [{"subject": s} for s in range(0, n // 100, 7)]
            measure(
                f"restrict by {len(keys)} keys + fetch",
                connection,
                repeat,
                lambda: (Measurement & keys).to_arrays("value"),
            )
            pairs = [
                {"subject": i // 100, "trial": i % 100} for i in range(0, n, max(1, n // 5000))
            ]
            measure(
                f"restrict by {len(pairs)} composite keys + fetch",
                connection,
                repeat,
                lambda: (Measurement & pairs).to_arrays("value"),
            )
        with fresh_schema(connection) as schema:
            declare_wide_schema(schema, 30)

            def open_virtual() -> None:
                fresh = connect(args.backend, folder)
                start = fresh.statement_count
                module = dj.virtual_schema(schema.database, connection=fresh)
                for name in module.schema.list_tables():
                    module.schema[name].heading  # noqa: B018
                print(f"  (fresh connection: {fresh.statement_count - start} statements)")
                fresh.close()

            measure("virtual_schema of 30 tables, all headings", connection, repeat, open_virtual)


if __name__ == "__main__":
    main()
