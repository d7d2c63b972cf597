"""The ``<blob>`` workload: numpy arrays in a table column, insert and fetch, beside the raw
driver inserting and selecting the same serialized bytes (``bench.py --only blobs``).

1,000 arrays of 10 KB and 20 arrays of 8 MB (random normal float64 values, which zlib barely
compresses). The raw side is the driver's fastest plain way with bytes: ``executemany`` of the
already serialized values (psycopg: binary parameters), then ``SELECT`` of all rows (psycopg:
binary results). DataJoint's side also serializes and deserializes (``<blob>`` estimates
from samples whether zlib would pay and, for noise, does not compress; columns with over 1 MB
of data use worker threads); the serializer's own time on one thread is listed too, so that what the
framework adds can be told from what the format costs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from harness import Result, measure
from workloads import fresh_schema

import datajoint as dj
from datajoint.codecs.blobformat import pack, unpack

COLUMN_TYPE = {"sqlite": "BLOB", "mysql": "longblob", "postgresql": "bytea"}


def blobs(
    s: Any, small: int = 1000, small_kb: int = 10, large: int = 20, large_mb: int = 8
) -> list[Result]:
    """Both sizes through a ``<blob>`` column and through the raw driver."""
    rng = np.random.default_rng(0)
    cases = [
        (
            f"{small} x {small_kb} KB",
            [rng.standard_normal(small_kb * 1000 // 8) for _ in range(small)],
        ),
        (
            f"{large} x {large_mb} MB",
            [rng.standard_normal(large_mb * 1_000_000 // 8) for _ in range(large)],
        ),
    ]
    out: list[Result] = []
    with fresh_schema(s.connection) as schema:

        @schema
        class Trace(dj.Manual):
            definition = """
            id : int32
            ---
            x : <blob>
            """

        raw_table = schema.connection.adapter.table_ref(schema.database, "raw_blob")
        s.raw.execute(
            f"CREATE TABLE {raw_table} (id INT NOT NULL PRIMARY KEY, x {COLUMN_TYPE[s.backend]})"
        )
        for size, arrays in cases:
            out += _case(s, size, arrays, Trace, raw_table)
    return out


def _case(s: Any, size: str, arrays: list[np.ndarray], table: Any, raw_table: str) -> list[Result]:
    rows = [{"id": i, "x": a} for i, a in enumerate(arrays)]
    packed = [(i, pack(a, compress="auto")) for i, a in enumerate(arrays)]  # the stored bytes
    raw = s.raw
    sql = raw._sql(f"INSERT INTO {raw_table} (id, x) VALUES (%s, %s)")
    select = f"SELECT id, x FROM {raw_table} ORDER BY id"

    def raw_insert() -> None:
        raw.statements += 1
        if s.backend == "sqlite":
            raw.conn.execute("BEGIN")
            raw.conn.executemany(sql, packed)
            raw.conn.execute("COMMIT")
        elif s.backend == "postgresql":
            with raw.conn.transaction():
                raw.conn.cursor().executemany(sql, packed)
        else:
            raw.conn.cursor().executemany(sql, packed)

    def raw_fetch() -> None:
        raw.statements += 1
        cursor = raw.conn.cursor()
        if s.backend == "postgresql":
            cursor.execute(select, binary=True)
        else:
            cursor.execute(select)
        cursor.fetchall()

    def reset() -> None:
        table.delete_quick()
        raw.execute(f"DELETE FROM {raw_table}")

    c, repeat = s.connection, s.repeat
    out = [
        measure(
            f"insert {size} arrays (<blob>)",
            c,
            repeat,
            lambda: table.insert(rows),
            raw,
            raw_insert,
            reset,
        )
    ]
    table.insert(rows)  # the raw table holds its rows from the last timed run
    out.append(measure(f"fetch {size} arrays (<blob>)", c, repeat, table.to_dicts, raw, raw_fetch))
    fetched = table.to_dicts()
    assert all(np.array_equal(r["x"], a) for r, a in zip(fetched, arrays, strict=True))
    alone = "blob format alone, one thread"
    out.append(
        measure(
            f"{alone}: pack {size}", c, repeat, lambda: [pack(a, compress="auto") for a in arrays]
        )
    )
    out.append(
        measure(f"{alone}: unpack {size}", c, repeat, lambda: [unpack(b) for _, b in packed])
    )
    reset()
    return out
