"""``staged_insert1`` (spec 06 §7): objects written in place, the row inserted at the end; any
exception leaves no row and nothing GC would not collect."""

from __future__ import annotations

import json

import numpy as np
import pytest

import datajoint as dj
from datajoint.storage.gc import GarbageCollector


def test_staged_file_and_folder(tables, store, tmp_path):
    with tables.Objects.staged_insert1 as staged:
        staged.rec["id"] = 1
        staged.rec["label"] = "zarr"
        mapping = staged.store("o", ".zarr")  # a Zarr-style store: keys are files
        mapping[".zgroup"] = json.dumps({"zarr_format": 2}).encode()
        mapping["frames/0.0"] = np.arange(64, dtype="u2").tobytes()
        mapping["frames/1.0"] = np.arange(64, dtype="u2").tobytes()
        assert staged.store("o") is not None  # same path on later calls
    ref = tables.Objects.fetch1("o")
    assert ref.is_dir and ref.ext == ".zarr" and ref.item_count == 3
    assert ref.size == 2 * 128 + len(json.dumps({"zarr_format": 2}))
    assert ref.fsmap["frames/1.0"] == np.arange(64, dtype="u2").tobytes()
    assert ref.verify()
    with tables.Objects.staged_insert1 as staged:
        staged.rec.update(id=2, label="file")
        with staged.open("o", "bin") as f:
            f.write(b"payload")
    single = (tables.Objects & {"id": 2}).fetch1("o")
    assert single.read() == b"payload" and single.ext == ".bin" and not single.is_dir
    # the metadata has the same keys and shape as a copy insert's
    source = tmp_path / "copy.bin"
    source.write_bytes(b"payload")
    tables.Objects.insert1({"id": 3, "label": "copy", "o": source})
    rows = tables.Objects.proj("o").cursor(as_dict=True).fetchall()
    metas = {r["id"]: r["o"] if isinstance(r["o"], dict) else json.loads(r["o"]) for r in rows}
    assert set(metas[2]) == set(metas[3]) == set(metas[1])
    for k in ("store", "ext", "is_dir", "item_count", "size"):
        assert metas[2][k] == metas[3][k]


def test_staged_errors_before_writing(tables, store):
    with pytest.raises(dj.DataJointError, match="Primary key"), tables.Objects.staged_insert1 as s:
        s.rec["id"] = 1
        s.store("o")
    missing = pytest.raises(dj.DataJointError, match="Attribute 'zz' not found in table heading")
    with missing, tables.Objects.staged_insert1 as s:
        s.store("zz")
    not_object = pytest.raises(dj.DataJointError, match="Attribute 'n' is not an <object> type")
    with not_object, tables.Arrays.staged_insert1 as s:
        s.rec["id"] = 1
        s.store("n")
    assert store.files() == [] and len(tables.Objects()) == 0


def test_exception_in_block_leaves_nothing(tables, store):
    failed = pytest.raises(RuntimeError, match="acquisition failed")
    with failed, tables.Objects.staged_insert1 as staged:
        staged.rec.update(id=1, label="x")
        mapping = staged.store("o", ".zarr")
        mapping["a/0"] = b"x" * 100
        raise RuntimeError("acquisition failed")
    assert len(tables.Objects()) == 0
    assert store.files() == []
    stats = GarbageCollector(tables.schema).collect()
    assert stats["schema_paths_stored"] == 0  # nothing left that GC would have to find


def test_duplicate_key_on_exit_removes_the_object(tables, store):
    tables.Objects.insert1({"id": 1, "label": "x", "o": b"first"})
    before = store.files()
    with pytest.raises(dj.errors.DuplicateError), tables.Objects.staged_insert1 as staged:
        staged.rec.update(id=1, label="x")
        with staged.open("o") as f:
            f.write(b"second")
    assert store.files() == before
    assert tables.Objects.fetch1("o").read() == b"first"
