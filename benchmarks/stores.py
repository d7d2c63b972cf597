"""The object-store workload: large arrays through ``<blob@>`` and ``<npy@>`` into a local
store, insert and fetch, beside fsspec writing and reading the same array bytes directly.

The raw side is fsspec on the same kind of folder: ``pipe_file`` of each array's bytes, then
``cat_file`` and ``numpy.frombuffer``, keeping the arrays as a fetch does. DataJoint additionally
serializes (``<blob@>`` packs, compressing only when zlib is expected to pay, which it is not
for these noise-like arrays; ``<npy@>`` adds the 128-byte NPY header), computes and verifies the MD5
content hash of ``<blob@>`` objects (spec 06), and inserts/fetches the rows.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import fsspec
import numpy as np
from harness import Result, measure
from workloads import fresh_schema

import datajoint as dj
from datajoint.codecs.blobformat import pack, unpack


def stores(s: Any, arrays: int = 20, megabytes: int = 8) -> list[Result]:
    """Insert and fetch ``arrays`` float64 arrays of ``megabytes`` MB each."""
    rng = np.random.default_rng(0)
    n = megabytes * 2**20 // 8
    data = [rng.standard_normal(n) for _ in range(arrays)]
    fs = fsspec.filesystem("file", auto_mkdir=True)
    size = f"{arrays} x {megabytes} MB"
    out = []
    with tempfile.TemporaryDirectory() as folder:
        store, raw_dir = Path(folder) / "store", Path(folder) / "raw"
        store.mkdir()
        raw_dir.mkdir()
        spec = {"protocol": "file", "location": str(store)}

        def raw_write() -> None:
            for i, array in enumerate(data):
                fs.pipe_file(f"{raw_dir}/a{i}.bin", memoryview(array))

        def raw_read() -> list[np.ndarray]:
            return [
                np.frombuffer(fs.cat_file(f"{raw_dir}/a{i}.bin"), dtype="float64")
                for i in range(arrays)
            ]

        def clear() -> None:
            for path in (store, raw_dir):
                if fs.exists(str(path)):
                    fs.rm(str(path), recursive=True)
                fs.makedirs(str(path), exist_ok=True)

        with (
            dj.config.override(stores={"default": "bench", "bench": spec}),
            fresh_schema(s.connection) as schema,
        ):

            @schema
            class Blobs(dj.Manual):
                definition = "id : int32\n---\nvalue : <blob@>"

            @schema
            class Arrays(dj.Manual):
                definition = "id : int32\n---\nvalue : <npy@>"

            rows = [{"id": i, "value": a} for i, a in enumerate(data)]
            c, repeat = s.connection, s.repeat
            for name, table, load in (
                ("<npy@>", Arrays, lambda v: v.load()),
                ("<blob@>", Blobs, lambda v: v),
            ):

                def reset(table: Any = table) -> None:
                    table.delete_quick()
                    clear()

                out.append(
                    measure(
                        f"store {size} through {name}: insert (raw: fsspec write)",
                        c,
                        repeat,
                        lambda table=table: table.insert(rows),
                        s.raw,
                        raw_write,
                        reset,
                    )
                )
                table.insert(rows)
                raw_write()
                out.append(
                    measure(
                        f"store {size} through {name}: fetch (raw: fsspec read)",
                        c,
                        repeat,
                        lambda table=table, load=load: [load(r["value"]) for r in table.to_dicts()],
                        s.raw,
                        raw_read,
                    )
                )
        start = time.perf_counter()
        for array in data:
            unpack(pack(array, compress="auto"))  # as <blob> packs
        seconds = time.perf_counter() - start
        out.append(Result(f"blob format alone: pack + unpack {size}", seconds, 0))
    return out
