"""Columnar publishing: ``to_arrow()`` types, ``to_parquet()`` datasets read back by pyarrow,
DuckDB and polars, incremental writes and their manifest."""

from __future__ import annotations

import datetime
import decimal
import json
import pathlib
import uuid

import duckdb
import fsspec
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from portable_pipeline import add_subjects

import datajoint as dj
from datajoint.codecs.blobformat import unpack
from datajoint.query.parquet import manifest_schema, read_manifest
from support.stores import BUCKET, S3_KEY, S3_SECRET


def read_dataset(path) -> pa.Table:
    """A dataset written by to_parquet, read by pyarrow with the schema of its manifest."""
    manifest = read_manifest(fsspec.filesystem("file"), str(path))
    schema = manifest_schema(manifest)
    parts = manifest["partition_by"]
    partitioning = None
    if parts:
        partitioning = ds.partitioning(pa.schema([schema.field(p) for p in parts]), flavor="hive")
    table = ds.dataset(path, format="parquet", schema=schema, partitioning=partitioning).to_table()
    return table.sort_by([(k, "ascending") for k in manifest["primary_key"]])


def test_to_arrow_maps_core_types_exactly(pipeline) -> None:
    table = pipeline.Subject.to_arrow()
    types = {f.name: f.type for f in table.schema}
    assert types == {
        "subject_id": pa.int32(),
        "species": pa.string(),
        "born": pa.date32(),
        "weight": pa.decimal128(6, 2),
        "uid": pa.uuid(),
        "info": pa.string(),
        "big": pa.uint32(),
    }
    assert table.schema.field("weight").metadata[b"datajoint.type"] == b"decimal(6,2)"
    assert table.schema.field("subject_id").metadata[b"datajoint.key"] == b"true"
    rows = pipeline.Subject.to_dicts()
    assert table.column("weight").to_pylist() == [r["weight"] for r in rows]
    assert table.column("uid").to_pylist() == [r["uid"] for r in rows]
    assert table.column("born").to_pylist() == [r["born"] for r in rows]
    assert table.column("big").to_pylist() == [
        4_000_000_001,
        4_000_000_002,
        4_000_000_003,
        4_000_000_004,
    ]
    infos = [None if v is None else json.loads(v) for v in table.column("info").to_pylist()]
    assert infos == [r["info"] for r in rows]
    session = pipeline.Session.to_arrow()
    assert session.schema.field("started").type == pa.timestamp("us")
    assert session.schema.field("duration").type == pa.float64()  # float32: values as fetched
    assert session.column("duration").to_pylist() == [
        r["duration"] for r in pipeline.Session.to_dicts()
    ]
    assert session.schema.field("session").type == pa.int16()
    assert session.column("started").to_pylist() == pipeline.Session.to_arrays("started").tolist()
    trial = pipeline.Session.Trial.to_arrow()
    assert trial.schema.field("ok").type == pa.bool_()
    assert trial.column("ok").to_pylist() == [r["ok"] for r in pipeline.Session.Trial.to_dicts()]
    empty = (pipeline.Subject & "subject_id > 100").to_arrow()
    assert empty.num_rows == 0 and empty.schema.field("weight").type == pa.decimal128(6, 2)


def test_blob_arrays_become_lists_and_other_blobs_stay_bytes(pipeline) -> None:
    table = pipeline.Trace.to_arrow()
    assert table.schema.field("samples").type == pa.large_list(pa.float64())
    assert table.schema.field("matrix").type == pa.large_list(pa.large_list(pa.int16()))
    assert table.schema.field("params").type == pa.large_binary()
    assert table.schema.field("raw").type == pa.large_binary()
    rows = pipeline.Trace.to_dicts()
    assert table.column("samples").to_pylist() == [r["samples"].tolist() for r in rows]
    assert table.column("matrix").to_pylist() == [r["matrix"].tolist() for r in rows]
    assert [unpack(b) for b in table.column("params").to_pylist()] == [r["params"] for r in rows]

    # column-major (MATLAB-style) arrays are listed in their logical order
    key = {"subject_id": 1, "session": 1}
    fortran = np.asfortranarray(np.arange(12, dtype=np.float32).reshape(3, 4))
    (pipeline.Stats & key).delete(prompt=False)
    (pipeline.Trace & key).delete(prompt=False)
    pipeline.Trace.insert1({**key, "samples": np.ones(2), "matrix": fortran.astype(np.int16)})
    one = (pipeline.Trace & key).to_arrow()
    assert one.column("matrix").to_pylist() == [fortran.astype(np.int16).tolist()]
    assert one.column("params").to_pylist() == [None]

    # arrays of different dimensionality in one column: blob bytes, exactly as stored
    pipeline.Trace.update1({**key, "samples": np.ones((2, 2))})
    mixed = pipeline.Trace.to_arrow()
    assert mixed.schema.field("samples").type == pa.large_binary()
    values = [unpack(b) for b in mixed.column("samples").to_pylist()]
    for value, row in zip(values, pipeline.Trace.to_dicts(), strict=True):
        np.testing.assert_array_equal(value, row["samples"])
    squeezed = (pipeline.Trace & key).to_arrow(squeeze=True)
    assert squeezed.column("samples").to_pylist() == [[[1.0, 1.0], [1.0, 1.0]]]


def test_published_dataset_reads_back_as_to_arrow(pipeline, tmp_path) -> None:
    query = pipeline.Session * pipeline.Subject.proj("weight", "uid", "info")
    result = query.to_parquet(tmp_path / "sessions", partition_by="rig")
    assert result["rows"] == 8
    assert sorted(pathlib.Path(tmp_path / "sessions").iterdir())[0].name == "_datajoint.json"
    assert {f.split("/")[0] for f in result["files"]} == {"rig=A", "rig=B"}
    expected = query.to_arrow()
    back = read_dataset(tmp_path / "sessions").select(expected.column_names)
    assert back.equals(expected)
    assert back.schema.equals(expected.schema, check_metadata=False)

    trace = tmp_path / "trace"
    pipeline.Trace.to_parquet(trace)
    assert read_dataset(trace).equals(pipeline.Trace.to_arrow())

    # DuckDB and polars read the files directly
    expected = pipeline.Trace.to_arrow().to_pylist()
    found = duckdb.sql(f"SELECT * FROM read_parquet('{trace}/*.parquet') ORDER BY ALL").fetchall()
    columns = pipeline.Trace.heading.names
    assert [dict(zip(columns, row, strict=True)) for row in found] == expected
    frame = pl.read_parquet(f"{trace}/*.parquet").sort(["subject_id", "session"])
    assert frame["matrix"].to_list() == [r["matrix"] for r in expected]
    subjects = tmp_path / "subjects"
    pipeline.Subject.to_parquet(subjects)
    duck = duckdb.sql(
        f"SELECT subject_id, weight, uid, born FROM read_parquet('{subjects}/*.parquet') "
        "ORDER BY subject_id"
    ).fetchall()
    assert duck == [
        (r["subject_id"], r["weight"], r["uid"], r["born"]) for r in pipeline.Subject.to_dicts()
    ]
    assert isinstance(duck[0][1], decimal.Decimal) and isinstance(duck[0][2], uuid.UUID)
    assert isinstance(duck[0][3], datetime.date | None)


def test_incremental_writes_only_new_rows(pipeline, tmp_path) -> None:
    path = tmp_path / "trials"
    Trial = pipeline.Session.Trial
    first = Trial.to_parquet(path, partition_by=["subject_id"], incremental=True)
    assert first["rows"] == 24
    add_subjects(pipeline, range(5, 7))
    second = Trial.to_parquet(path, partition_by=["subject_id"], incremental=True)
    assert second["rows"] == 12
    assert {f.split("/")[0] for f in second["files"]} == {"subject_id=5", "subject_id=6"}
    written = ds.dataset([str(path / f) for f in second["files"]], format="parquet").to_table()
    assert written.num_rows == 12 and "subject_id" not in written.column_names  # a partition
    third = Trial.to_parquet(path, partition_by=["subject_id"], incremental=True)
    assert third == {"rows": 0, "files": [], "time": third["time"]}
    assert read_dataset(path).equals(Trial.to_arrow())
    manifest = json.loads((path / "_datajoint.json").read_text())
    assert [w["rows"] for w in manifest["writes"]] == [24, 12, 0]
    assert [w["mode"] for w in manifest["writes"]] == ["full", "incremental", "incremental"]
    assert manifest["primary_key"] == ["subject_id", "session", "trial"]
    assert manifest["source"]["table"] == ".".join(Trial.heading.table)
    assert [c["name"] for c in manifest["columns"]] == Trial.heading.names

    # a full write replaces the dataset
    again = Trial.to_parquet(path, partition_by=["subject_id"])
    assert again["rows"] == 36
    assert read_dataset(path).equals(Trial.to_arrow())
    manifest = json.loads((path / "_datajoint.json").read_text())
    assert [w["rows"] for w in manifest["writes"]] == [36]
    assert sorted(str(p.relative_to(path)) for p in path.rglob("*.parquet")) == again["files"]


def test_incremental_blob_column_keeps_its_type(pipeline, tmp_path) -> None:
    path = tmp_path / "trace"
    pipeline.Trace.to_parquet(path, incremental=True)
    add_subjects(pipeline, range(5, 6))
    key = {"subject_id": 5, "session": 1}
    pipeline.Trace.update1({**key, "samples": np.arange(3)})  # integers now: cast to float64
    assert pipeline.Trace.to_parquet(path, incremental=True)["rows"] == 2
    back = read_dataset(path)
    assert back.schema.field("samples").type == pa.large_list(pa.float64())
    assert back.filter(ds.field("subject_id") == 5).column("samples").to_pylist()[0] == [
        0.0,
        1.0,
        2.0,
    ]
    add_subjects(pipeline, range(6, 7))
    pipeline.Trace.update1({"subject_id": 6, "session": 1, "samples": "not an array"})
    with pytest.raises(dj.DataJointError, match=r"`samples` are large_binary.*incremental=False"):
        pipeline.Trace.to_parquet(path, incremental=True)


def test_parquet_errors(pipeline, tmp_path) -> None:
    with pytest.raises(dj.DataJointError, match="`nope`, which is not an attribute"):
        pipeline.Subject.to_parquet(tmp_path / "a", partition_by="nope")
    with pytest.raises(dj.DataJointError, match="cannot partition by `info`"):
        pipeline.Subject.to_parquet(tmp_path / "a", partition_by="info")
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(dj.DataJointError, match="holds files but no DataJoint manifest"):
        pipeline.Subject.to_parquet(other)
    assert (other / "notes.txt").read_text() == "mine"
    keyless = dj.U().aggr(pipeline.Subject, n="count(*)")
    keyless.to_parquet(tmp_path / "counts")  # a query without primary key writes in full
    assert ds.dataset(tmp_path / "counts", format="parquet").to_table().to_pylist() == [{"n": 4}]
    with pytest.raises(dj.DataJointError, match="needs a query with a primary key"):
        keyless.to_parquet(tmp_path / "counts", incremental=True)
    pipeline.Subject.to_parquet(tmp_path / "s", partition_by="species")
    with pytest.raises(dj.DataJointError, match="partitions"):
        pipeline.Subject.to_parquet(tmp_path / "s", incremental=True)


def test_dataset_in_s3(pipeline, s3_server) -> None:
    """A dataset written to an S3 bucket (moto server) through fsspec, incrementally."""
    url = f"s3://{BUCKET}/published-{uuid.uuid4().hex[:8]}/subjects"
    options = {
        "key": S3_KEY,
        "secret": S3_SECRET,
        "client_kwargs": {"endpoint_url": f"http://{s3_server.endpoint}"},
    }
    first = pipeline.Subject.to_parquet(url, incremental=True, storage_options=options)
    add_subjects(pipeline, range(5, 7))
    second = pipeline.Subject.to_parquet(url, incremental=True, storage_options=options)
    assert (first["rows"], second["rows"]) == (4, 2)
    fs = s3_server.filesystem()
    root = url.removeprefix("s3://")
    manifest = read_manifest(fs, root)
    assert [w["rows"] for w in manifest["writes"]] == [4, 2]
    table = ds.dataset(root, format="parquet", filesystem=fs, schema=manifest_schema(manifest))
    assert table.to_table().sort_by("subject_id").equals(pipeline.Subject.to_arrow())


class PointCodec(dj.Codec):
    """A codec storing (x, y) tuples as JSON."""

    name = "test_parquet_point"

    def get_dtype(self, is_store: bool) -> str:
        return "json"

    def encode(self, value, *, key=None):
        return {"x": value[0], "y": value[1]}

    def decode(self, stored, *, key=None):
        return (stored["x"], stored["y"])


def test_other_codecs(schema, tmp_path) -> None:
    @schema
    class Note(dj.Manual):
        definition = """
        id : int32
        ---
        doc : <attach>
        where_ = null : <test_parquet_point>
        """

    source = tmp_path / "notes.txt"
    source.write_bytes(b"field notes")
    Note.insert(
        [{"id": 1, "doc": source, "where_": (3, 4)}, {"id": 2, "doc": source, "where_": None}]
    )
    downloads = tmp_path / "downloads"
    with dj.config.override(download_path=str(downloads)):
        table = Note.to_arrow()
    assert not downloads.exists()  # attachments are not written out
    assert table.schema.field("doc").type == pa.large_binary()
    assert table.column("doc").to_pylist() == [b"notes.txt\0field notes"] * 2
    assert table.column("where_").to_pylist() == [[3, 4], None]
    Note.to_parquet(tmp_path / "notes")
    assert read_dataset(tmp_path / "notes").equals(table)
