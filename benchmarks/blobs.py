"""Blob workload beside the raw driver: ``python benchmarks/blobs.py [--backend B]``.

Inserts and fetches numpy arrays through a ``<blob>`` column (``--small`` arrays of
``--small-kb`` KB, then ``--large`` arrays of ``--large-mb`` MB, random normal float64 values,
which zlib barely compresses) and, beside it, the raw driver (sqlite3, PyMySQL, psycopg)
inserting and selecting the same serialized bytes into an equivalent table. Prints seconds
(best of ``--repeat``) and the ratio DataJoint / raw driver. DataJoint's side includes
serializing (``blob.pack``, which tries zlib on every payload over 1 KB, as the format
requires) and deserializing; the serializer's own time is printed too, so that what the
framework adds can be told from what the format costs. Timings are never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import datajoint as dj
from datajoint.blob import pack, unpack

SERVERS = {
    "mysql": ("127.0.0.1", "root", ""),
    "postgresql": ("127.0.0.1", "postgres", ""),
}
BLOB_COLUMN = {"sqlite": "BLOB", "mysql": "longblob", "postgresql": "bytea"}
ROWS_PER_STATEMENT = 100  # raw inserts: multi-row statements of this many rows (or fewer)
MAX_STATEMENT_BYTES = 8_000_000  # MariaDB's default max_allowed_packet is 16 MB


def connect(backend: str, folder: str) -> dj.Connection:
    if backend == "sqlite":
        return dj.Connection(backend="sqlite", path=f"{folder}/bench.db")
    host, user, password = SERVERS[backend]
    return dj.Connection(host, user, password, backend=backend, use_tls=False)


def raw_connection(backend: str, folder: str) -> Any:
    """A plain driver connection in autocommit mode."""
    if backend == "sqlite":
        return sqlite3.connect(f"{folder}/bench.db", isolation_level=None)
    host, user, password = SERVERS[backend]
    if backend == "mysql":
        import pymysql  # this backend's driver only

        return pymysql.connect(host=host, user=user, password=password, autocommit=True)
    import psycopg  # this backend's driver only

    return psycopg.connect(host=host, user=user, password=password or None, autocommit=True)


class RawTable:
    """The same table as DataJoint's, written and read with the bare driver."""

    def __init__(self, backend: str, conn: Any, database: str) -> None:
        self.conn, self.backend = conn, backend
        quote = "`" if backend == "mysql" else '"'
        self.name = f"{quote}{database}{quote}.{quote}raw_blob{quote}"
        if backend == "sqlite":  # DataJoint keeps one file; the raw table lives beside
            self.name = '"raw_blob"'
        self.mark = "?" if backend == "sqlite" else "%s"
        self.execute(f"DROP TABLE IF EXISTS {self.name}")
        self.execute(
            f"CREATE TABLE {self.name} (id INT NOT NULL PRIMARY KEY, "
            f"x {BLOB_COLUMN[backend]} NOT NULL)"
        )

    def execute(self, sql: str, args: Any = None) -> Any:
        cursor = self.conn.cursor()
        cursor.execute(sql, args) if args is not None else cursor.execute(sql)
        return cursor

    def insert(self, rows: list[tuple[int, bytes]]) -> None:
        """Multi-row INSERTs of at most ROWS_PER_STATEMENT rows and ~8 MB each, in one
        transaction (what a careful hand-written loader does)."""
        self.execute("BEGIN")
        batch: list[tuple[int, bytes]] = []
        size = 0
        for row in rows:
            full = len(batch) == ROWS_PER_STATEMENT or size + len(row[1]) > MAX_STATEMENT_BYTES
            if batch and full:
                self._send(batch)
                batch, size = [], 0
            batch.append(row)
            size += len(row[1])
        if batch:
            self._send(batch)
        self.execute("COMMIT")

    def _send(self, batch: list[tuple[int, bytes]]) -> None:
        values = ",".join([f"({self.mark},{self.mark})"] * len(batch))
        self.execute(
            f"INSERT INTO {self.name} (id, x) VALUES {values}", [v for r in batch for v in r]
        )

    def fetch(self) -> list[tuple[int, bytes]]:
        rows: list[tuple[int, bytes]] = self.execute(
            f"SELECT id, x FROM {self.name} ORDER BY id"
        ).fetchall()
        return rows

    def clear(self) -> None:
        self.execute(f"DELETE FROM {self.name}")

    def drop(self) -> None:
        self.execute(f"DROP TABLE IF EXISTS {self.name}")


@contextlib.contextmanager
def fresh_schema(connection: dj.Connection) -> Iterator[dj.Schema]:
    schema = dj.Schema(f"djbench_{uuid.uuid4().hex[:8]}", connection=connection)
    try:
        yield schema
    finally:
        schema.drop(prompt=False)


def best_of(repeat: int, run: Callable[[], object], reset: Callable[[], object] | None) -> float:
    best = float("inf")
    for _ in range(repeat):
        if reset is not None:
            reset()
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def workload(label: str, arrays: list[np.ndarray], table: Any, raw: RawTable, repeat: int) -> None:
    rows = [{"id": i, "x": a} for i, a in enumerate(arrays)]
    packed = [(i, pack(a)) for i, a in enumerate(arrays)]
    mb = sum(len(b) for _, b in packed) / 1e6

    def clear_both() -> None:
        table.delete_quick()
        raw.clear()

    dj_insert = best_of(repeat, lambda: table.insert(rows), clear_both)
    raw_insert = best_of(repeat, lambda: raw.insert(packed), raw.clear)
    dj_fetch = best_of(repeat, table.to_dicts, None)
    raw_fetch = best_of(repeat, raw.fetch, None)
    check = table.to_dicts()
    assert all(np.array_equal(r["x"], a) for r, a in zip(check, arrays, strict=True))
    pack_time = best_of(repeat, lambda: [pack(a) for a in arrays], None)
    unpack_time = best_of(repeat, lambda: [unpack(b) for _, b in packed], None)
    print(f"{label} ({mb:.1f} MB serialized)")
    for case, ours, theirs, codec in (
        ("insert", dj_insert, raw_insert, pack_time),
        ("fetch", dj_fetch, raw_fetch, unpack_time),
    ):
        print(
            f"  {case:<6} datajoint {ours:8.3f} s   raw driver {theirs:8.3f} s   "
            f"ratio {ours / theirs:5.2f}x   (serializer alone {codec:6.3f} s; "
            f"ratio without it {(ours - codec) / theirs:5.2f}x)"
        )


def run(backend: str, args: argparse.Namespace) -> None:
    rng = np.random.default_rng(0)
    small = [rng.standard_normal(args.small_kb * 1000 // 8) for _ in range(args.small)]
    large = [rng.standard_normal(args.large_mb * 1_000_000 // 8) for _ in range(args.large)]
    with tempfile.TemporaryDirectory() as folder:
        connection = connect(backend, folder)
        raw_conn = raw_connection(backend, folder)
        print(f"backend {backend}, best of {args.repeat}")
        with fresh_schema(connection) as schema:

            @schema
            class Trace(dj.Manual):
                definition = """
                id : int32
                ---
                x : <blob>
                """

            raw = RawTable(backend, raw_conn, schema.database)
            try:
                label = f"{args.small} arrays of {args.small_kb} KB"
                workload(label, small, Trace, raw, args.repeat)
                raw.clear()
                Trace.delete_quick()
                label = f"{args.large} arrays of {args.large_mb} MB"
                workload(label, large, Trace, raw, args.repeat)
            finally:
                raw.drop()
        raw_conn.close()
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="all", choices=["all", "sqlite", *SERVERS])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--small-kb", type=int, default=10)
    parser.add_argument("--large", type=int, default=20)
    parser.add_argument("--large-mb", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for backend in ["sqlite", *SERVERS] if args.backend == "all" else [args.backend]:
        run(backend, args)


if __name__ == "__main__":
    main()
