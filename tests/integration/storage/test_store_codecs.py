"""Every in-store codec round-trips on SQLite, MariaDB and PostgreSQL, against a local store and
S3 (spec 02 §7, spec 06 §2-§4)."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np
import pytest

import datajoint as dj


def raw_column(table, attribute):
    """The stored JSON metadata of a column, as the database holds it (no decoding)."""
    rows = table.proj(attribute).cursor(as_dict=True).fetchall()
    values = [r[attribute] for r in rows]
    return [json.loads(v) if isinstance(v, str | bytes) else v for v in values]


def test_blob_in_store_round_trip_and_deduplication(tables, store):
    array = np.random.default_rng(0).standard_normal((50, 40))
    value = {"array": array, "label": "x", "n": [1, 2, 3]}
    tables.Blobs.insert([{"id": 1, "b": value}, {"id": 2, "b": value}, {"id": 3, "b": None}])
    rows = tables.Blobs.to_dicts()
    for row in rows[:2]:
        np.testing.assert_array_equal(row["b"]["array"], array)
        assert row["b"]["label"] == "x"
    assert rows[2]["b"] is None
    metas = raw_column(tables.Blobs & "id < 3", "b")
    assert metas[0] == metas[1]  # equal content: one object shared by both rows
    schema = tables.schema.database
    assert metas[0]["path"].startswith(f"_hash/{schema}/") and metas[0]["store"] == "main"
    assert set(metas[0]) >= {"hash", "path", "schema", "store", "size"}
    assert [f for f in store.files() if f.startswith("_hash/")] == [metas[0]["path"]]
    assert metas[0]["size"] == store.backend.size(metas[0]["path"])


def test_large_blob_column_in_store_round_trips_and_deduplicates(tables, store):
    arrays = [np.random.default_rng(i).standard_normal(100_000) for i in range(3)]  # 800 KB
    # a column this large is serialized, hashed, written and read on several threads
    tables.Blobs.insert([{"id": i, "b": arrays[i % 3]} for i in range(6)])
    for row in tables.Blobs.to_dicts():
        np.testing.assert_array_equal(row["b"], arrays[row["id"] % 3])
    metas = raw_column(tables.Blobs, "b")
    assert [m["path"] for m in metas[:3]] == [m["path"] for m in metas[3:]]
    assert len({m["path"] for m in metas}) == 3
    assert sorted(f for f in store.files() if f.startswith("_hash/")) == sorted(
        {m["path"] for m in metas}
    )


def test_blob_in_named_store(tables, store):
    tables.Blobs.insert1({"id": 1, "named": np.arange(5)})
    np.testing.assert_array_equal((tables.Blobs & {"id": 1}).fetch1("named"), np.arange(5))
    assert raw_column(tables.Blobs, "named")[0]["store"] == "main"


def test_attach_in_store(tables, store, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "notes.txt").write_text("first")
    (second / "notes.txt").write_text("second")
    tables.Attachments.insert(
        [{"id": 1, "a": first / "notes.txt"}, {"id": 2, "a": str(second / "notes.txt")}]
    )
    download = tmp_path / "downloads"
    with dj.config.override(download_path=str(download)):
        paths = [r["a"] for r in tables.Attachments.to_dicts()]
        again = (tables.Attachments & {"id": 1}).fetch1("a")
    assert [Path(p).read_text() for p in paths] == ["first", "second"]
    assert sorted(os.path.basename(p) for p in paths) == ["notes.txt", "notes_1.txt"]
    assert again == paths[0]  # the same file is found again, not copied
    assert all(m["path"].startswith("_hash/") for m in raw_column(tables.Attachments, "a"))


def test_hash_codec_verifies_content(tables, store):
    tables.Hashes.insert([{"id": 1, "h": b"hello"}, {"id": 2, "h": b""}])
    assert [r["h"] for r in tables.Hashes.to_dicts()] == [b"hello", b""]
    meta = raw_column(tables.Hashes & {"id": 1}, "h")[0]
    assert meta["hash"] == "lvauakv4jmvhnolrtwiraf6fsi" and meta["size"] == 5
    with pytest.raises(TypeError, match="<hash> expects bytes, got str"):
        tables.Hashes.insert1({"id": 3, "h": "text"})
    # a changed object is detected on read
    store.backend.fs.pipe_file(store.backend.full_path(meta["path"]), b"HELLO")
    with pytest.raises(dj.DataJointError, match="Hash mismatch: expected lvauakv4"):
        (tables.Hashes & {"id": 1}).fetch1("h")
    store.backend.remove(meta["path"])
    with pytest.raises(dj.errors.MissingExternalFile, match="Missing external file"):
        (tables.Hashes & {"id": 1}).fetch1("h")


def test_hash_requires_store(schema):
    with pytest.raises(dj.DataJointError, match=r"<hash> requires @"):

        @schema
        class NoStore(dj.Manual):
            definition = "id : int32\n---\nh : <hash>"

    for codec in ("object", "npy", "filepath"):
        with pytest.raises(dj.DataJointError, match="requires @"):
            dj.get_codec(codec).get_dtype(False)


def test_object_values(tables, store, tmp_path):
    csv = tmp_path / "readings.csv"
    csv.write_text("t,v\n0,1\n")
    folder = tmp_path / "scan.zarr"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("12345678")
    (folder / "sub" / "b.txt").write_text("abcdefgh")
    tables.Objects.insert(
        [
            {"id": 1, "label": "file", "o": csv},
            {"id": 2, "label": "folder", "o": str(folder)},
            {"id": 3, "label": "a/b", "o": b"raw bytes"},
            {"id": 4, "label": "stream", "o": ("txt", io.BytesIO(b"streamed"))},
        ]
    )
    refs = {r["label"]: r["o"] for r in tables.Objects.to_dicts()}
    schema = tables.schema.database
    file_ref = refs["file"]
    assert isinstance(file_ref, dj.ObjectRef)
    assert file_ref.path.startswith(f"_schema/{schema}/objects/id=1/label=file/o_")
    assert file_ref.path.endswith(".csv") and file_ref.ext == ".csv"
    assert (file_ref.size, file_ref.is_dir, file_ref.item_count) == (8, False, None)
    assert file_ref.store == "main" and file_ref.timestamp is not None
    assert file_ref.read() == b"t,v\n0,1\n"
    assert file_ref.verify() is True
    folder_ref = refs["folder"]
    assert folder_ref.path.endswith(".zarr") and folder_ref.is_dir
    assert (folder_ref.size, folder_ref.item_count) == (16, 2)
    assert folder_ref.listdir() == ["a.txt", "sub"]
    assert folder_ref.verify() is True
    assert store.backend.exists(folder_ref.path + ".manifest.json")
    assert "/label=a%2Fb/" in refs["a/b"].path and refs["a/b"].ext is None
    assert refs["a/b"].read() == b"raw bytes"
    assert refs["stream"].ext == ".txt" and refs["stream"].read() == b"streamed"
    meta = raw_column(tables.Objects & {"id": 1}, "o")[0]
    assert set(meta) == {"path", "store", "size", "ext", "is_dir", "item_count", "timestamp"}


def test_object_errors(tables, store, tmp_path):
    with pytest.raises(dj.DataJointError, match="not found"):
        tables.Objects.insert1({"id": 1, "label": "x", "o": str(tmp_path / "missing.bin")})
    with pytest.raises(TypeError, match="<object> expects bytes or path, got int"):
        tables.Objects.insert1({"id": 1, "label": "x", "o": 5})
    assert len(tables.Objects()) == 0


def test_object_copied_from_url(tables, store, tmp_path):
    source = tmp_path / "remote.bin"
    source.write_bytes(b"0123456789")
    tables.Objects.insert1({"id": 1, "label": "url", "o": source.as_uri()})
    ref = tables.Objects.fetch1("o")
    assert ref.ext == ".bin" and ref.size == 10 and ref.read() == b"0123456789"


@pytest.mark.parametrize(
    "array",
    [
        np.arange(12, dtype="int32").reshape(3, 4),
        np.linspace(0, 1, 7, dtype="float32"),
        np.array(3.5),
        np.array([True, False]),
        np.array(["ab", "c"]),
        np.zeros((2, 0, 3), dtype="uint16"),
        np.array([(1, 2.0), (3, 4.0)], dtype=[("a", "i4"), ("b", "f8")]),
    ],
    ids=["int32-2d", "float32", "0-d", "bool", "unicode", "empty", "structured"],
)
def test_npy_round_trip(tables, store, array):
    tables.Arrays.insert1({"id": 1, "n": array})
    ref = tables.Arrays.fetch1("n")
    assert isinstance(ref, dj.NpyRef) and not ref.is_loaded
    assert ref.shape == array.shape and ref.dtype == array.dtype and ref.ndim == array.ndim
    assert ref.size == array.size and ref.nbytes == array.nbytes
    loaded = ref.load()
    np.testing.assert_array_equal(loaded, array)
    assert ref.load() is loaded and ref.is_loaded
    assert ref.path.endswith(".npy") and ref.store == "main"


def test_npy_numpy_interop_and_mmap(tables, store):
    array = np.arange(20.0).reshape(4, 5)
    tables.Arrays.insert1({"id": 1, "n": array})
    ref = tables.Arrays.fetch1("n")
    assert len(ref) == 4 and np.mean(ref) == array.mean()
    np.testing.assert_array_equal(ref + 1, array + 1)
    np.testing.assert_array_equal(ref[1], array[1])
    mapped = tables.Arrays.fetch1("n").load(mmap_mode="r")
    assert isinstance(mapped, np.memmap)
    np.testing.assert_array_equal(mapped, array)
    assert repr(ref).startswith("NpyRef(shape=(4, 5), dtype=float64")
    tables.Arrays.insert1({"id": 2, "n": np.array(1)})
    with pytest.raises(TypeError, match="0-dimensional"):
        len((tables.Arrays & {"id": 2}).fetch1("n"))


def test_npy_validation(tables, store):
    with pytest.raises(dj.DataJointError, match=r"requires numpy\.ndarray, got list"):
        tables.Arrays.insert1({"id": 1, "n": [1, 2]})
    with pytest.raises(dj.DataJointError, match="object dtype"):
        tables.Arrays.insert1({"id": 1, "n": np.array([{}, 1], dtype=object)})
    assert store.files() == []


def test_filepath_references(tables, store):
    backend = store.backend
    backend.put_buffer(b"acquired", "sessions/s1/rec.dat")
    backend.put_buffer(b"x", "sessions/s1/folder/part.dat")
    with dj.config.override(stores={**dj.config.stores, "filepath_default": "main"}):
        tables.Files.insert(
            [{"id": 1, "f": "sessions/s1/rec.dat"}, {"id": 2, "f": "/sessions/s1/folder"}]
        )
        refs = [r["f"] for r in tables.Files.to_dicts()]
        assert refs[0].read() == b"acquired" and refs[0].size == 8 and not refs[0].is_dir
        assert refs[1].is_dir and refs[1].size is None and refs[1].listdir() == ["part.dat"]
        assert refs[1].path == "sessions/s1/folder"
        for path, section in (("_hash/lab/x", "_hash"), ("_schema/x", "_schema")):
            with pytest.raises(ValueError, match=f"cannot use reserved section '{section}'"):
                tables.Files.insert1({"id": 3, "f": path})
        with pytest.raises(FileNotFoundError, match="File not found in store 'main'"):
            tables.Files.insert1({"id": 3, "f": "sessions/none.dat"})
        with pytest.raises(dj.DataJointError, match="inside the store"):
            tables.Files.insert1({"id": 3, "f": "../outside.dat"})
    assert sorted(store.files()) == ["sessions/s1/folder/part.dat", "sessions/s1/rec.dat"]


def test_filepath_prefix(tables, store):
    spec = {**store.spec, "filepath_prefix": "acq"}
    store.backend.put_buffer(b"1", "acq/a.dat")
    store.backend.put_buffer(b"1", "other/a.dat")
    with dj.config.override(stores={"default": "main", "filepath_default": "raw", "raw": spec}):
        tables.Files.insert1({"id": 1, "f": "acq/a.dat"})
        with pytest.raises(ValueError, match="must use prefix 'acq'"):
            tables.Files.insert1({"id": 2, "f": "other/a.dat"})
        assert tables.Files.fetch1("f").store == "raw"


def test_unconfigured_store_names_the_setting(tables, store):
    with (
        dj.config.override(stores={"main": store.spec}),
        pytest.raises(dj.DataJointError, match=r"stores\.default is not configured"),
    ):
        tables.Arrays.insert1({"id": 1, "n": np.arange(3)})
    assert len(tables.Arrays()) == 0
