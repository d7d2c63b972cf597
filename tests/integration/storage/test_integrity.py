"""Write and delete ordering (spec 06 §8): objects are written before the row; a failed insert
removes the schema-addressed objects it wrote (hash-addressed ones are left for GC); deleting
rows never deletes objects; ``<npy@>`` fetches read nothing until the array is needed."""

from __future__ import annotations

import numpy as np
import pytest
from adapters import READS

import datajoint as dj
from datajoint.storage.gc import GarbageCollector


def plugin_store(tmp_path, protocol, **more):
    location = tmp_path / "plugin-store"
    location.mkdir(parents=True)
    spec = {"protocol": protocol, "location": str(location), **more}
    return dj.config.override(stores={"default": "main", "main": spec}), location


def files_under(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_npy_shape_and_dtype_without_reading(_store_tables, tmp_path):
    Arrays = _store_tables.Arrays
    override, _ = plugin_store(tmp_path, "djtest-counting")
    with override:
        Arrays.insert([{"id": i, "n": np.full((10, 3), i, dtype="int16")} for i in range(5)])
        READS.clear()
        refs = [r["n"] for r in Arrays.to_dicts()]
        assert [(r.shape, r.dtype, r.nbytes) for r in refs] == [((10, 3), np.int16, 60)] * 5
        assert sum(READS.values()) == 0  # metadata only: nothing read from the store
        assert refs[2].load()[0, 0] == 2
        assert sum(READS.values()) == 1
        refs[2].load()
        assert sum(READS.values()) == 1  # loaded once, then kept
        Arrays.delete_quick()


def test_failing_store_leaves_no_row(_store_tables, tmp_path):
    Arrays, Objects = _store_tables.Arrays, _store_tables.Objects
    override, location = plugin_store(tmp_path, "djtest-failing", fail_after=2)
    rows = [{"id": i, "n": np.arange(3)} for i in range(4)]
    with override, pytest.raises(dj.DataJointError, match=r"could not write .*injected store"):
        Arrays.insert(rows)
    assert len(Arrays()) == 0
    assert files_under(location) == []  # the two objects written first were removed
    override, location = plugin_store(tmp_path / "b", "djtest-failing", fail_after=0)
    with override, pytest.raises(dj.DataJointError, match="injected store failure"):
        Objects.insert1({"id": 1, "label": "x", "o": b"data"})
    assert len(Objects()) == 0 and files_under(location) == []


def test_failed_insert_removes_schema_objects_keeps_hash_objects(tables, store):
    tables.Arrays.insert1({"id": 1, "n": np.arange(3)})
    tables.Blobs.insert1({"id": 1, "b": "shared"})
    before = store.files()
    with pytest.raises(dj.errors.DuplicateError):
        tables.Arrays.insert1({"id": 1, "n": np.arange(4)})
    assert store.files() == before  # the new .npy was removed
    with pytest.raises(dj.errors.DuplicateError):
        tables.Blobs.insert1({"id": 1, "b": "other content"})
    extra = sorted(set(store.files()) - set(before))
    assert len(extra) == 1 and extra[0].startswith("_hash/")  # left for GC
    stats = GarbageCollector(tables.schema).collect()
    assert stats["orphaned_hash_paths"] == extra


def test_rolled_back_transaction_leaves_objects_for_gc(tables, store):
    connection = tables.connection
    with pytest.raises(RuntimeError), connection.transaction:
        tables.Arrays.insert1({"id": 1, "n": np.arange(3)})
        tables.Blobs.insert1({"id": 1, "b": [1, 2]})
        raise RuntimeError("abort")
    assert len(tables.Arrays()) == 0 and len(tables.Blobs()) == 0
    stats = GarbageCollector(tables.schema).collect(dry_run=False)
    assert stats["hash_paths_deleted"] == 1 and stats["schema_paths_deleted"] == 1
    assert store.files() == []


def test_delete_never_removes_shared_objects(tables, store):
    value = np.arange(100)
    tables.Blobs.insert([{"id": 1, "b": value}, {"id": 2, "b": value}])
    tables.Arrays.insert1({"id": 1, "n": value})
    stored = store.files()
    (tables.Blobs & {"id": 1}).delete(prompt=False)
    tables.Arrays.delete_quick()
    assert store.files() == stored  # database-first: rows only
    np.testing.assert_array_equal((tables.Blobs & {"id": 2}).fetch1("b"), value)
    stats = GarbageCollector(tables.schema).collect(dry_run=False)
    assert stats["hash_paths_deleted"] == 0 and stats["schema_paths_deleted"] == 1
    np.testing.assert_array_equal((tables.Blobs & {"id": 2}).fetch1("b"), value)


def test_update1_writes_a_new_object(tables, store):
    tables.Arrays.insert1({"id": 1, "n": np.arange(3)})
    old = tables.Arrays.fetch1("n").path
    tables.Arrays.update1({"id": 1, "n": np.arange(5)})
    ref = tables.Arrays.fetch1("n")
    assert ref.path != old and ref.shape == (5,)
    assert store.backend.exists(old)  # left for GC
    assert GarbageCollector(tables.schema).collect()["orphaned_schema_paths"] == [old]
