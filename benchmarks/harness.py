"""Timing and the raw-driver side of the benchmarks.

Each case runs this project's code and the raw driver doing the same work on the same
database, alternately, ``repeat`` times; the best time of each side is kept (the machine is
noisy, the minimum is the least disturbed run) and the ratio of the two is reported.
"""

from __future__ import annotations

import os
import platform
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import datajoint as dj

SERVERS = {
    "mysql": {"host": "127.0.0.1", "user": "root", "password": "", "port": 3306},
    "postgresql": {"host": "127.0.0.1", "user": "postgres", "password": "", "port": 5432},
}


def connect(backend: str, path: str, use_tls: Any = None) -> dj.Connection:
    """A DataJoint connection as a user opens one (TLS setting left at its default)."""
    if backend == "sqlite":
        return dj.Connection(backend="sqlite", path=path)
    s = SERVERS[backend]
    return dj.Connection(
        s["host"], s["user"], s["password"], port=s["port"], backend=backend, use_tls=use_tls
    )


class Raw:
    """The raw driver (sqlite3, PyMySQL or psycopg) on the same database, in autocommit mode.

    ``sql`` is written with ``%s`` placeholders; ``statements`` counts what was sent.
    """

    def __init__(self, backend: str, path: str) -> None:
        self.backend = backend
        self.path = path
        self.statements = 0
        self.conn = self.open()

    def open(self) -> Any:
        if self.backend == "sqlite":
            return sqlite3.connect(self.path, isolation_level=None)
        s = SERVERS[self.backend]
        if self.backend == "mysql":
            import pymysql

            return pymysql.connect(
                host=s["host"], user=s["user"], password=s["password"], port=s["port"],
                autocommit=True, ssl_disabled=True,  # no TLS, like DataJoint on loopback
            )  # fmt: skip
        import psycopg

        return psycopg.connect(
            host=s["host"], user=s["user"], port=s["port"], dbname="postgres", autocommit=True,
            sslmode="disable",  # no TLS, like DataJoint on loopback
        )  # fmt: skip

    def _sql(self, sql: str) -> str:
        return sql.replace("%s", "?") if self.backend == "sqlite" else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        self.statements += 1
        cursor = self.conn.cursor()
        cursor.execute(self._sql(sql), tuple(params))
        return cursor

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        rows: list[Any] = self.execute(sql, params).fetchall()
        return rows

    def bulk_insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """The driver's fastest way to load rows: COPY (psycopg), else ``executemany``."""
        cols = ", ".join(columns)
        self.statements += 1
        if self.backend == "postgresql":
            with self.conn.cursor().copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(columns))
        sql = self._sql(f"INSERT INTO {table} ({cols}) VALUES ({marks})")
        if self.backend == "sqlite":
            self.conn.execute("BEGIN")
            self.conn.executemany(sql, rows)
            self.conn.execute("COMMIT")
        else:
            self.conn.cursor().executemany(sql, rows)

    def close(self) -> None:
        self.conn.close()


@dataclass
class Result:
    """One line of the table: best seconds of each side and the statements one run sent."""

    name: str
    dj: float
    dj_statements: int
    raw: float | None = None
    raw_statements: int | None = None

    @property
    def ratio(self) -> float | None:
        return None if self.raw is None or not self.raw else self.dj / self.raw


def measure(
    name: str,
    connection: dj.Connection,
    repeat: int,
    run: Callable[[], object],
    raw: Raw | None = None,
    raw_run: Callable[[], object] | None = None,
    reset: Callable[[], object] | None = None,
) -> Result:
    """Best of ``repeat`` alternating runs of ``run`` and ``raw_run`` (``reset`` before each)."""
    best, best_raw = float("inf"), float("inf")
    statements, raw_statements = 0, 0
    for _ in range(repeat):
        seconds, statements = _timed(run, reset, lambda: connection.statement_count)
        best = min(best, seconds)
        if raw is not None and raw_run is not None:
            seconds, raw_statements = _timed(raw_run, reset, lambda: raw.statements)
            best_raw = min(best_raw, seconds)
    if raw is None or raw_run is None:
        return Result(name, best, statements)
    return Result(name, best, statements, best_raw, raw_statements)


def _timed(
    run: Callable[[], object], reset: Callable[[], object] | None, count: Callable[[], int]
) -> tuple[float, int]:
    """Seconds and statements of one run (after ``reset``)."""
    if reset is not None:
        reset()
    start_count, start = count(), time.perf_counter()
    run()
    return time.perf_counter() - start, count() - start_count


Chunk = tuple[Callable[[], object], Callable[[], object], Callable[[], object] | None]


def measure_chunks(
    name: str, connection: dj.Connection, repeat: int, raw: Raw, chunks: list[Chunk]
) -> Result:
    """A per-call workload cut into short chunks ``(run, raw_run, reset)``, each timed as in
    :func:`measure`; the totals add up the best time of every chunk. On a busy machine a short
    chunk is more often run undisturbed than the whole workload."""
    parts = [
        measure(name, connection, repeat, run, raw, raw_run, reset)
        for run, raw_run, reset in chunks
    ]
    return Result(
        name,
        sum(p.dj for p in parts),
        sum(p.dj_statements for p in parts),
        sum(p.raw or 0.0 for p in parts),
        sum(p.raw_statements or 0 for p in parts),
    )


def machine() -> str:
    """A one-line description of the machine (CPU model, cores, Python)."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def table(backend: str, results: list[Result]) -> str:
    """The results of one backend as a Markdown table."""
    lines = [
        f"| {backend} | datajoint | raw driver | ratio | statements (dj / raw) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        raw = "—" if r.raw is None else _seconds(r.raw)
        ratio = "—" if r.ratio is None else f"{r.ratio:.2f}x"
        counts = str(r.dj_statements)
        if r.raw_statements is not None:
            counts += f" / {r.raw_statements}"
        lines.append(f"| {r.name} | {_seconds(r.dj)} | {raw} | {ratio} | {counts} |")
    return "\n".join(lines)


def _seconds(value: float) -> str:
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
