"""``dj.publish(schema, path)``: every table as a Parquet dataset, incrementally; in-store
attributes published as the URLs of their objects (local store and S3)."""

from __future__ import annotations

import io
import json

import fsspec
import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from portable_pipeline import add_subjects
from test_parquet import read_dataset

import datajoint as dj
from datajoint.codecs.blobformat import unpack


def test_publish_every_table_then_only_new_rows(pipeline, tmp_path) -> None:
    schema = pipeline.schema
    out = tmp_path / "pub"
    written = dj.publish(schema, out, partition_by={"Session.Trial": "subject_id"})
    names = ["Species", "Subject", "Session", "Session.Trial", "Trace", "Stats"]
    assert list(written) == names  # in dependency order
    assert {n: w["rows"] for n, w in written.items()} == {
        "Species": 2, "Subject": 4, "Session": 8, "Session.Trial": 24, "Trace": 8, "Stats": 8
    }  # fmt: skip
    tables = {
        "Species": pipeline.Species, "Subject": pipeline.Subject, "Session": pipeline.Session,
        "Session.Trial": pipeline.Session.Trial, "Trace": pipeline.Trace, "Stats": pipeline.Stats,
    }  # fmt: skip
    for name, table in tables.items():
        assert read_dataset(out / name).equals(table.to_arrow()), name
    assert not any(p.name.startswith("~") for p in out.iterdir())  # no jobs tables

    add_subjects(pipeline, range(5, 7))
    pipeline.Stats.populate()
    again = dj.publish(schema, out, partition_by={"Session.Trial": "subject_id"})
    assert {n: w["rows"] for n, w in again.items()} == {
        "Species": 0, "Subject": 2, "Session": 4, "Session.Trial": 12, "Trace": 4, "Stats": 4
    }  # fmt: skip
    for name, table in tables.items():
        assert read_dataset(out / name).equals(table.to_arrow()), name
    manifest = json.loads((out / "_datajoint.json").read_text())
    assert manifest["schema"] == schema.database
    assert manifest["tables"] == {n: n + "/" for n in names}
    assert [p["rows"]["Subject"] for p in manifest["publishes"]] == [4, 2]

    only = dj.publish(schema, tmp_path / "some", tables=["Subject"], incremental=False)
    assert list(only) == ["Subject"] and only["Subject"]["rows"] == 6
    with pytest.raises(dj.DataJointError, match="Nope"):
        dj.publish(schema, tmp_path / "x", tables=["Nope"])
    with pytest.raises(dj.DataJointError, match=r"activated dj\.Schema"):
        dj.publish("not a schema", tmp_path / "x")


def test_in_store_attributes_are_published_as_urls(schema, store, tmp_path) -> None:
    @schema
    class Scan(dj.Manual):
        definition = """
        scan : int32
        ---
        movie : <npy@>
        params = null : <blob@>
        raw : <object@>
        """

    source = tmp_path / "raw.bin"
    source.write_bytes(b"raw bytes")
    frames = np.arange(12, dtype=np.uint16).reshape(3, 4)
    Scan.insert(
        [
            {"scan": 1, "movie": frames, "params": {"gain": 2}, "raw": str(source)},
            {"scan": 2, "movie": frames * 2, "params": None, "raw": ("bin", b"second")},
        ]
    )
    table = Scan.to_arrow()
    assert [table.schema.field(n).type for n in ("movie", "params", "raw")] == [pa.string()] * 3
    rows = Scan.to_dicts()
    movies = table.column("movie").to_pylist()
    prefix = "file://" if store.kind == "file" else "s3://"
    assert all(url.startswith(prefix) for url in movies)
    assert movies == [store.backend.get_url(r["movie"].path) for r in rows]
    options = {}
    if store.kind == "s3":
        options = {"key": store.spec["access_key"], "secret": store.spec["secret_key"]}
        options["client_kwargs"] = {"endpoint_url": f"http://{store.spec['endpoint']}"}
    for url, row in zip(movies, rows, strict=True):  # each URL opens the object itself
        with fsspec.open(url, "rb", **options) as handle:
            np.testing.assert_array_equal(np.load(io.BytesIO(handle.read())), row["movie"].load())
    raws = table.column("raw").to_pylist()
    assert [fsspec.open(u, "rb", **options).open().read() for u in raws] == [
        b"raw bytes",
        b"second",
    ]
    params = table.column("params").to_pylist()
    assert params[1] is None
    with fsspec.open(params[0], "rb", **options) as handle:
        assert unpack(handle.read()) == {"gain": 2}

    Scan.to_parquet(tmp_path / "scans")
    back = ds.dataset(tmp_path / "scans", format="parquet").to_table().sort_by("scan")
    assert back.equals(table)
