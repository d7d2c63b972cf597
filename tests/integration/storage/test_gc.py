"""Garbage collection (spec 06 §9): references across several schemas, dry runs, deletion of
orphans only, grace period, refusal after scan errors, custom layouts, the v2.0.0 functions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import datajoint as dj
from datajoint.codecs.object import ObjectCodec
from support.backends import new_schema_name


class FragileObject(ObjectCodec):
    """An ``<object@>`` whose reference extraction fails for one marked value."""

    name = "test_fragile"

    def referenced_paths(self, stored):
        if "fragile" in str(stored):
            raise RuntimeError("cannot read this reference")
        return super().referenced_paths(stored)


def declare(schema):
    @schema
    class Recording(dj.Manual):
        definition = """
        rec : int32
        ---
        trace = null : <blob@>
        frames = null : <npy@>
        folder = null : <object@>
        """

    return Recording


@pytest.fixture
def two_schemas(connection, store):
    first = dj.Schema(new_schema_name("djgc"), connection=connection)
    second = dj.Schema(new_schema_name("djgc"), connection=connection)
    yield first, second
    for s in (first, second):
        s.drop(prompt=False)


def folder_source(tmp_path, name):
    source = tmp_path / name
    (source / "sub").mkdir(parents=True)
    (source / "a.bin").write_bytes(b"a" * 10)
    (source / "sub" / "b.bin").write_bytes(b"b" * 20)
    return source


def test_collect_across_schemas(two_schemas, store, tmp_path):
    first, second = two_schemas
    A, B = declare(first), declare(second)
    shared = np.arange(1000.0)
    rows = [
        {
            "rec": i,
            "trace": shared,
            "frames": np.full(4, i),
            "folder": folder_source(tmp_path, f"f{i}"),
        }
        for i in range(3)
    ]
    A.insert(rows)
    B.insert(rows)
    store.backend.put_buffer(b"user data", "acquisition/raw.dat")  # user space: never touched
    (A & "rec > 0").delete(prompt=False)
    A.insert1({"rec": 9, "trace": "an orphan soon"})
    (A & {"rec": 9}).delete_quick()
    collector = dj.gc.GarbageCollector(first)
    before = store.files()
    dry = collector.collect()
    assert store.files() == before  # a dry run deletes nothing
    assert dry["dry_run"] is True and dry["deleted"] == 0
    assert dry["hash_paths_referenced"] == 1 and dry["hash_paths_stored"] == 2
    assert dry["hash_paths_orphaned"] == 1 and dry["hash_paths_orphaned_bytes"] > 0
    # per row 1 npy + a folder of 2 files and its manifest; 2 rows deleted
    assert dry["schema_paths_referenced"] == 2 and dry["schema_paths_stored"] == 12
    assert dry["schema_paths_orphaned"] == 8
    assert all(p.startswith(f"_schema/{first.database}/") for p in dry["orphaned_schema_paths"])
    stats = collector.collect(dry_run=False)
    assert stats["deleted"] == 9 and stats["errors"] == 0 and stats["scan_errors"] == []
    assert (
        stats["bytes_freed"]
        == dry["hash_paths_orphaned_bytes"] + dry["schema_paths_orphaned_bytes"]
    )
    after = store.files()
    assert "acquisition/raw.dat" in after
    assert len([f for f in after if f.startswith(f"_schema/{second.database}/")]) == 12
    row = (A & {"rec": 0}).fetch1()  # live objects untouched
    np.testing.assert_array_equal(row["trace"], shared)
    assert row["frames"].load()[0] == 0 and row["folder"].verify()
    assert sorted(B.to_dicts(), key=lambda r: r["rec"])[2]["folder"].verify()
    if store.kind == "file":  # emptied folders pruned up to, not including, the store root
        emptied = store.backend.full_path(f"_schema/{first.database}/recording/rec=1")
        assert not Path(emptied).exists() and Path(store.backend.full_path("")).is_dir()
    assert dj.gc.GarbageCollector(first, second).collect(dry_run=False)["deleted"] == 0


def test_grace_period_spares_new_files(schema, store):
    R = declare(schema)
    R.insert1({"rec": 1, "frames": np.arange(3)})
    R.delete_quick()
    collector = dj.gc.GarbageCollector(schema, store="main")
    stats = collector.collect(dry_run=False, min_age=3600)
    assert stats["skipped_recent"] == 1 and stats["deleted"] == 0
    assert collector.collect(dry_run=False)["schema_paths_deleted"] == 1


def test_scan_error_blocks_deletion(schema, store):
    @schema
    class Fragile(dj.Manual):
        definition = "id : int32\n---\nx : <test_fragile@>"

    Fragile.insert([{"id": 1, "x": b"fragile"}, {"id": 2, "x": b"ok"}])
    R = declare(schema)
    R.insert1({"rec": 1, "frames": np.arange(3)})
    R.delete_quick()
    stats = dj.gc.GarbageCollector(schema).collect()
    assert (
        len(stats["scan_errors"]) == 1 and "cannot read this reference" in stats["scan_errors"][0]
    )
    with pytest.raises(dj.DataJointError, match="Refusing to delete: 1 scan error"):
        dj.gc.GarbageCollector(schema).collect(dry_run=False)
    assert len(store.files()) == 3


def test_custom_layout(schema, store, tmp_path):
    spec = {
        **store.spec,
        "hash_prefix": "managed/blobs",
        "schema_prefix": "managed/objects",
        "partition_pattern": "{rec}",
        "subfolding": [2, 2],
    }
    with dj.config.override(stores={"default": "custom", "custom": spec}):
        R = declare(schema)
        R.insert([{"rec": i, "trace": [i], "frames": np.arange(i + 1)} for i in range(3)])
        paths = {r["rec"]: r["frames"].path for r in R.to_dicts()}
        assert paths[1].startswith(f"managed/objects/rec=1/{schema.database}/recording/frames_")
        (R & "rec < 2").delete_quick()
        stats = dj.gc.GarbageCollector(schema).collect(dry_run=False)
        assert stats["hash_paths_deleted"] == 2 and stats["schema_paths_deleted"] == 2
        files = sorted(dj.storage.stores.get_backend("custom").list_files(""))
        assert len(files) == 2 and paths[2] in files
        assert R.fetch1("frames").load().tolist() == [0, 1, 2]


def test_collector_arguments(schema, store):
    with pytest.raises(dj.DataJointError, match="At least one schema must be provided"):
        dj.gc.GarbageCollector()
    with pytest.raises(dj.DataJointError, match="not configured"):
        dj.gc.GarbageCollector(schema, store="nowhere")


def test_v2_functional_api(schema, store, monkeypatch):
    import datajoint.gc as gc_module

    assert gc_module is dj.gc
    R = declare(schema)
    R.insert(
        [{"rec": 1, "trace": [1], "frames": np.arange(3)}, {"rec": 2, "trace": [2], "frames": None}]
    )
    (R & {"rec": 1}).delete_quick()
    with pytest.raises(dj.DataJointError, match="At least one schema must be provided"):
        dj.gc.scan()
    stats = dj.gc.scan(schema)
    assert (stats["hash_referenced"], stats["hash_stored"], stats["hash_orphaned"]) == (1, 2, 1)
    assert stats["schema_paths_orphaned"] == 1 and stats["orphaned"] == 2
    assert stats["referenced"] == 1 and stats["stored"] == 3
    report = dj.gc.format_stats(stats)
    for fragment in (
        "Object Storage Statistics:",
        "Hash-Addressed Storage (<hash@>, <blob@>, <attach@>):",
        "  Referenced: 1",
        "Schema-Addressed Storage (<object@>, <npy@>):",
        "Totals:",
        "  Orphaned (unreferenced): 2",
    ):
        assert fragment in report
    dry = dj.gc.collect(schema)
    assert dry["deleted"] == 0 and "[DRY RUN - no changes made]" in dj.gc.format_stats(dry)
    done = dj.gc.collect(schema, dry_run=False)
    assert (done["hash_deleted"], done["schema_paths_deleted"], done["deleted"]) == (1, 1, 2)
    text = dj.gc.format_stats({**done, "errors": 2})
    assert "  Deleted:     2" in text and "  Errors:      2" in text
    assert len(store.files()) == 1
    # the functions are looked up on the module, so patching them takes effect
    monkeypatch.setattr(gc_module, "scan_hash_references", lambda *s, **k: {"x"})
    assert dj.gc.scan(schema)["hash_referenced"] == 1 and dj.gc.scan(schema)["hash_stored"] == 1


def test_heading_classifies_stored_attributes(schema, store):
    R = declare(schema)
    assert R.heading.hash_objects == ["trace"]
    assert R.heading.schema_objects == ["frames", "folder"]
    assert R.heading["frames"].is_schema_object and not R.heading["frames"].is_hash_object
