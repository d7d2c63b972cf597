"""``ObjectRef`` (spec 06 §5) on a local store and on S3: every method and its errors."""

from __future__ import annotations

import datetime

import pytest

import datajoint as dj
from datajoint.codecs.object import upload
from datajoint.objectref import IntegrityError
from datajoint.storage.refs import ObjectRef


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "scan.zarr"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("12345678")
    (root / "sub" / "b.txt").write_text("abcdefgh")
    return root


def stored(store, value, name):
    backend = store.backend
    meta = upload(backend, value, lambda ext: f"_schema/lab/t/id=1/{name}{ext or ''}")
    return ObjectRef.from_json(meta, backend), meta


def test_file_object(store, tmp_path):
    source = tmp_path / "data.csv"
    source.write_text("a,b\n")
    ref, _ = stored(store, source, "f_tok")
    assert str(ref) == ref.path == "_schema/lab/t/id=1/f_tok.csv"
    assert repr(ref) == "ObjectRef(file: _schema/lab/t/id=1/f_tok.csv, size=4)"
    assert isinstance(ref.timestamp, datetime.datetime) and ref.timestamp.tzinfo is not None
    assert ref.read() == b"a,b\n"
    with ref.open() as f:
        assert f.read() == b"a,b\n"
    assert ref.exists() and ref.verify()
    expected = {"file": "file:///", "s3": f"s3://djtest/{store.spec['location']}/"}[store.kind]
    assert ref.full_path.startswith(expected) and ref.full_path.endswith(ref.path)
    into = tmp_path / "down"
    into.mkdir()
    assert ref.download(into) == into / "f_tok.csv"
    assert (into / "f_tok.csv").read_text() == "a,b\n"
    assert ref.download(tmp_path / "x" / "named.csv").read_text() == "a,b\n"
    with pytest.raises(dj.DataJointError, match="Cannot use subpath on a file object"):
        ref.open("inner")
    with pytest.raises(dj.DataJointError, match=r"Cannot listdir\(\) on a file"):
        ref.listdir()
    with pytest.raises(dj.DataJointError, match=r"Cannot walk\(\) on a file"):
        next(ref.walk())
    assert ref.fs is store.backend.fs
    round_trip = ObjectRef.from_json(ref.to_json(), store.backend)
    assert round_trip == ref and round_trip.to_json()["store"] == "main"
    assert ObjectRef.from_json('{"path": "p", "size": null, "timestamp": "2026-01-15T10:30:00Z"}')


def test_folder_object(store, folder, tmp_path):
    ref, _ = stored(store, folder, "scan_tok")
    assert ref.is_dir and ref.item_count == 2 and ref.size == 16
    assert repr(ref).startswith("ObjectRef(folder: ")
    assert ref.listdir() == ["a.txt", "sub"] and ref.listdir("sub") == ["b.txt"]
    walked = list(ref.walk())
    assert walked[0] == ("", ["sub"], ["a.txt"]) and walked[1] == ("sub", [], ["b.txt"])
    with ref.open("sub/b.txt") as f:
        assert f.read() == b"abcdefgh"
    assert ref.exists("sub/b.txt") and not ref.exists("sub/none.txt")
    with pytest.raises(dj.DataJointError, match=r"Cannot read\(\) a directory"):
        ref.read()
    target = ref.download(tmp_path / "copy")
    assert (target / "sub" / "b.txt").read_text() == "abcdefgh"
    assert ref.download(tmp_path, subpath="a.txt") == tmp_path / "a.txt"
    mapping = ref.fsmap
    assert mapping["sub/b.txt"] == b"abcdefgh" and sorted(mapping) == ["a.txt", "sub/b.txt"]
    assert ref.verify()


def test_verify_detects_damage(store, folder, tmp_path):
    source = tmp_path / "data.bin"
    source.write_bytes(b"0123456789")
    ref, _ = stored(store, source, "f_tok")
    fs, backend = store.backend.fs, store.backend
    fs.pipe_file(backend.full_path(ref.path), b"01234")  # truncated
    with pytest.raises(IntegrityError, match="size mismatch: expected 10, found 5"):
        ref.verify()
    hashed = ObjectRef.from_json({**ref.to_json(), "size": 5, "hash": "x" * 26}, backend)
    with pytest.raises(dj.DataJointError, match="hash mismatch"):
        hashed.verify()
    backend.remove(ref.path)
    with pytest.raises(dj.errors.ObjectIntegrityError, match="missing"):
        ref.verify()
    folder_ref, _ = stored(store, folder, "scan_tok")
    backend.remove(folder_ref.path + "/sub/b.txt")
    with pytest.raises(IntegrityError, match=r"missing file: sub/b\.txt"):
        folder_ref.verify()
    backend.remove(folder_ref.path + ".manifest.json")  # no manifest: valid, unverified
    assert folder_ref.verify()


def test_ref_without_backend():
    ref = ObjectRef.from_json({"path": "x", "size": 1})
    with pytest.raises(dj.DataJointError, match="ObjectRef has no storage backend configured"):
        ref.read()
    with pytest.raises(dj.DataJointError, match="has no path"):
        ObjectRef.from_json({"size": 1})
