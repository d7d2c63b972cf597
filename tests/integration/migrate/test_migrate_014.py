"""Migrating a database DataJoint 0.14 made (spec 08 §9, spec 02 §11, spec 06 §10).

The database is built with raw SQL in the 0.14 layout on MariaDB (the only backend 0.14 ran
on; see ``support/legacy014.py``): unmarked ``longblob``/``mediumblob`` columns, ``:attach:``,
``blob@local``/``attach@local``/``filepath@local`` references into ``~external_local`` with the
objects in the store folder where 0.14 put them, and the ``~jobs``/``~log`` tables. After the
migration every value decodes to what was stored, through ``virtual_schema`` and through
classes declared with 2.0 definitions. Dry runs change nothing, a second run finds nothing to
do, and a run that finds a problem changes nothing.
"""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

import datajoint as dj
from support.legacy014 import (
    STORE,
    add_legacy_recording,
    legacy_object_path,
    legacy_uuid,
    snapshot,
)
from support.stores import BUCKET, s3_spec

pytestmark = pytest.mark.parametrize("backend_name", ["mysql"])


def module_of(legacy, connection):
    connection.invalidate(legacy.database)
    return dj.virtual_schema(legacy.database, connection=connection)


def rows_by_key(table):
    keys = table.primary_key
    return {tuple(r[k] for k in keys): r for r in table.to_dicts()}


def assert_sessions(table, legacy):
    for key, row in rows_by_key(table).items():
        expected = legacy.expected["session"][key]
        assert row["settings"]["label"] == expected["settings"]["label"]
        np.testing.assert_array_equal(row["settings"]["gain"], expected["settings"]["gain"])
        if expected["protocol"] is None:
            assert row["protocol"] is None
        else:
            assert pathlib.Path(row["protocol"]).read_bytes() == expected["protocol"]


def assert_recordings(table, legacy, trace="trace", notes="notes_file", raw="raw_file"):
    """Every recording decodes to what 0.14 stored (``raw=None``: the filepath is not
    checked)."""
    rows = rows_by_key(table)
    assert set(rows) == set(legacy.expected["_recording"])
    for key, row in rows.items():
        expected = legacy.expected["_recording"][key]
        np.testing.assert_array_equal(row[trace], expected["trace"])
        assert row["sampling_rate"] == expected["sampling_rate"]
        if expected["notes_file"] is None:
            assert row[notes] is None
        else:
            path = pathlib.Path(row[notes])
            # same name, other contents: the download is notes_1.txt (spec 04 §1.11)
            assert path.name.startswith("notes") and path.suffix == ".txt"
            assert path.read_bytes() == expected["notes_file"]
        if raw is None:
            continue
        if expected["raw_file"] is None:
            assert row[raw] is None
        else:
            assert row[raw].path == expected["raw_file"]
            assert row[raw].read() == expected["raw_bytes"]


def assert_activity(table, legacy, summary=True):
    rows = rows_by_key(table)
    for key, expected in legacy.expected["__activity"].items():
        np.testing.assert_array_equal(rows[key]["spikes"], expected["spikes"])
        assert rows[key]["n_spikes"] == expected["n_spikes"]
        if summary:
            assert rows[key]["summary"] == expected["summary"]
    units = rows_by_key(table.Unit)
    for key, expected in legacy.expected["__activity__unit"].items():
        np.testing.assert_array_equal(units[key]["waveform"], expected["waveform"])


def test_the_0_14_database_loads_before_migration(legacy, connection):
    module = module_of(legacy, connection)
    assert sorted(n for n in vars(module) if n[:1].isupper()) == [
        "Activity",
        "Recording",
        "Session",
        "Species",
        "Subject",
    ]
    assert dj.Schema(legacy.database, connection=connection).list_tables() == [
        "#species",
        "subject",
        "session",
        "_recording",
        "__activity",
        "__activity__unit",
    ]
    # unmarked blobs are raw bytes and 0.14 references raw UUIDs until migrated (spec 02 §11)
    session = (module.Session & {"subject_id": 1, "session_idx": 1}).fetch1()
    assert isinstance(session["settings"], bytes) and session["settings"][:4] == b"dj0\0"
    recording = (module.Recording & {"subject_id": 1, "session_idx": 1}).fetch1()
    assert len(recording["trace"]) == 16
    assert module.Recording.heading["trace"].codec is None
    assert len(module.Subject * module.Session) == 3


def test_dry_runs_list_the_changes_and_change_nothing(legacy, connection, schema):
    before = snapshot(connection, legacy)
    columns = dj.migrate.analyze_columns(schema)
    needs = {(c["table"], c["column"]): c["core_type"] for c in columns["needs_migration"]}
    assert needs[("subject", "subject_id")] == "int32"
    assert needs[("subject", "weight")] == "float64"
    assert needs[("session", "session_idx")] == "uint16"
    assert needs[("session", "settings")] == "<blob>"
    assert needs[("session", "protocol")] == "<attach>"
    assert needs[("_recording", "sampling_rate")] == "float32"
    assert needs[("__activity", "spikes")] == "<blob>"
    assert needs[("__activity__unit", "unit_id")] == "uint8"
    assert ("session", "session_note") not in needs  # varchar: read the same either way
    stored = {(c["table"], c["column"]): c["core_type"] for c in columns["external_storage"]}
    assert stored == {
        ("_recording", "trace"): "<blob@local>",
        ("_recording", "notes_file"): "<attach@local>",
        ("_recording", "raw_file"): "<filepath@local>",
        ("__activity", "summary"): "<blob@local>",
    }
    report = dj.migrate.migrate_columns(schema)
    assert report["dry_run"] and report["columns_migrated"] == 0
    assert report["columns_skipped"] == 4
    assert len(report["sql_statements"]) == 5  # one ALTER TABLE per user table with changes
    assert any(":<attach>:protocol document" in s for s in report["sql_statements"])
    external = dj.migrate.migrate_external(schema, finalize=True)
    assert {(d["column"], d["rows"], d["state"]) for d in external["details"]} == {
        ("trace", 3, "legacy"),
        ("notes_file", 2, "legacy"),
        ("summary", 2, "legacy"),
    }
    assert external["problems"] == [] and external["rows_migrated"] == 0
    assert any("DROP FOREIGN KEY" in s for s in external["sql_statements"])
    filepath = dj.migrate.migrate_filepath(schema, finalize=True)
    assert [(d["column"], d["rows"]) for d in filepath["details"]] == [("raw_file", 2)]
    jobs = dj.migrate.add_job_metadata_columns(schema)
    assert [d["table"] for d in jobs["details"]] == ["__activity", "_recording"]  # no Part
    assert jobs["tables_modified"] == 0
    blobs = dj.migrate.migrate_blob_columns(schema)
    assert blobs["needs_migration"] == 4 and blobs["migrated"] == 0
    assert len(dj.migrate.generate_migration_sql(schema)) == 3
    assert dj.migrate.rebuild_lineage(schema)["status"] == "dry_run"
    everything = dj.migrate.migrate_schema(schema, finalize=True)
    assert everything["columns"]["sql_statements"] == report["sql_statements"]
    status = dj.migrate.verify_schema_v20(schema)
    assert not status["compatible"] and not status["blob_markers"]
    assert not status["lineage_exists"]
    assert snapshot(connection, legacy) == before


def test_markers_make_blobs_and_attachments_decode(legacy, connection, schema):
    assert dj.migrate.check_migration_status(schema)["pending"] == 4
    report = dj.migrate.migrate_columns(schema, dry_run=False)
    assert report["columns_migrated"] == 18
    module = module_of(legacy, connection)
    heading = module.Session.heading
    assert heading["settings"].codec is dj.get_codec("blob")
    assert heading["settings"].comment == "acquisition settings"
    assert heading["protocol"].codec is dj.get_codec("attach")
    assert heading["subject_id"].type == "int32" and heading["session_idx"].type == "uint16"
    assert heading["session_note"].comment == "it's a note"
    assert module.Subject.heading["weight"].default == "20.5"
    assert_sessions(module.Session, legacy)
    assert_activity(module.Activity, legacy, summary=False)  # a store reference: not yet
    status = dj.migrate.check_migration_status(schema)
    assert status["pending"] == 0 and status["migrated"] == status["total_blob_columns"] == 4
    # a second run finds nothing to do and changes nothing, also after 2.0 code added a
    # native longblob (raw bytes by choice) to a migrated table
    connection.query(
        f"ALTER TABLE `{legacy.database}`.`session` ADD COLUMN `raw` longblob DEFAULT NULL"
    )
    before = snapshot(connection, legacy)
    again = dj.migrate.migrate_columns(schema, dry_run=False)
    assert again["sql_statements"] == [] and again["columns_migrated"] == 0
    assert snapshot(connection, legacy) == before


def test_blob_helpers_mark_only_blobs(legacy, connection, schema):
    statements = dj.migrate.generate_migration_sql(schema)
    assert any(":<blob>:acquisition settings" in s for s in statements)
    result = dj.migrate.migrate_blob_columns(schema, dry_run=False)
    assert result["migrated"] == 4
    module = module_of(legacy, connection)
    assert module.Session.heading["subject_id"].type == "int"  # integers left alone
    assert_sessions(module.Session, legacy)
    assert dj.migrate.analyze_blob_columns(schema)[0]["needs_migration"] is False
    assert dj.migrate.migrate_blob_columns(schema, dry_run=False)["sql_statements"] == []
    with pytest.raises(dj.DataJointError, match="in-table codec"):
        dj.migrate.generate_migration_sql(schema, target_type="blob@local")


def test_store_references_migrate_in_two_steps(legacy, connection, schema, store_files_kept):
    first = dj.migrate.migrate_external(schema, dry_run=False)
    assert first["columns_migrated"] == 3 and first["rows_migrated"] == 7
    module = module_of(legacy, connection)
    # step 1: the 2.0 values sit beside the old references
    assert module.Recording.heading["trace"].codec is None
    assert_recordings(module.Recording, legacy, "trace_v2", "notes_file_v2", raw=None)
    # a 0.14 client adds a recording meanwhile: the next run fills it in
    add_legacy_recording(connection, legacy, (2, 2))
    pending = dj.migrate.migrate_external(schema, finalize=True)
    assert {(d["column"], d["state"], d["rows"]) for d in pending["details"]} >= {
        ("trace", "filling", 1),
        ("notes_file", "filling", 1),
    }
    final = dj.migrate.migrate_external(schema, dry_run=False, finalize=True)
    assert final["rows_migrated"] == 2 and final["columns_migrated"] == 3
    dj.migrate.migrate_filepath(schema, dry_run=False, finalize=True)
    # the markers may come last: the 2.0 columns made above do not hide the 0.14 ones
    needs = dj.migrate.analyze_columns(schema)["needs_migration"]
    assert ("_recording", "sampling_rate") in {(c["table"], c["column"]) for c in needs}
    dj.migrate.migrate_columns(schema, dry_run=False)
    module = module_of(legacy, connection)
    recording = module.Recording
    assert recording.heading["trace"].codec is dj.get_codec("blob")
    assert recording.heading["trace"].store == STORE
    assert recording.heading["notes_file"].codec is dj.get_codec("attach")
    assert recording.heading.names == [
        "subject_id",
        "session_idx",
        "sampling_rate",
        "trace",
        "notes_file",
        "raw_file",
    ]  # the old references are hidden
    assert_recordings(recording, legacy)
    assert_activity(module.Activity, legacy)
    # blobs point at the 0.14 objects; attachments were rewritten in the 2.0 layout
    raw = recording.proj("trace", "notes_file").cursor(as_dict=True).fetchall()
    trace = json.loads(raw[0]["trace"])
    assert trace["path"].startswith(f"{legacy.database}/") and trace["store"] == STORE
    notes = json.loads(next(r["notes_file"] for r in raw if r["notes_file"]))
    assert notes["path"].startswith(f"_hash/{legacy.database}/")
    # nothing of 0.14 is lost: old references hidden, ~external_local and its objects intact
    old = connection.query(
        f"SELECT _trace_v1 FROM `{legacy.database}`.`_recording` WHERE subject_id = 1 "
        "AND session_idx = 1",
        None,
    ).fetchone()[0]
    assert old == legacy_uuid(legacy.objects[trace["path"]]).bytes
    assert legacy.database + ".~external_local" not in connection.dependencies
    before = snapshot(connection, legacy)
    assert dj.migrate.migrate_external(schema, dry_run=False, finalize=True)["sql_statements"] == []
    assert dj.migrate.migrate_filepath(schema, dry_run=False, finalize=True)["rows_migrated"] == 0
    assert snapshot(connection, legacy) == before
    # the objects the migration wrote are referenced: garbage collection keeps them
    stats = dj.gc.GarbageCollector(schema, store=STORE).collect()
    assert stats["hash_paths_orphaned"] == 0 and stats["hash_paths_referenced"] >= 2


@pytest.fixture
def store_files_kept(legacy):
    """Every object 0.14 wrote is still there, unchanged, after the test."""
    yield
    files = legacy.store_files()
    for path, data in legacy.objects.items():
        assert files[path] == data


def test_blobs_can_be_copied_into_the_2_0_layout(legacy, connection, schema):
    result = dj.migrate.migrate_external(schema, dry_run=False, finalize=True, copy_files=True)
    assert result["rows_migrated"] == 7
    module = module_of(legacy, connection)
    raw = module.Recording.proj("trace").cursor(as_dict=True).fetchall()
    assert all(json.loads(r["trace"])["path"].startswith("_hash/") for r in raw)
    dj.migrate.migrate_filepath(schema, dry_run=False, finalize=True)
    dj.migrate.migrate_columns(schema, dry_run=False)
    assert_recordings(module_of(legacy, connection).Recording, legacy)


def test_a_missing_object_stops_the_migration_before_any_change(legacy, connection, schema):
    key = (2, 1)
    trace_object = legacy_object_path(
        legacy.database, legacy_uuid(dj.blob.pack(legacy.expected["_recording"][key]["trace"]))
    )
    (legacy.location / trace_object).unlink()
    del legacy.objects[trace_object]
    integrity = dj.migrate.verify_external_integrity(schema)
    assert integrity["stores_checked"] == [STORE]
    assert [m["path"] for m in integrity["missing"]] == [trace_object]
    assert integrity["valid"] == integrity["total_references"] - 1
    report = dj.migrate.migrate_external(schema)
    assert report["problems"] and trace_object in report["problems"][0]
    before = snapshot(connection, legacy)
    with pytest.raises(dj.DataJointError, match="Nothing was migrated") as error:
        dj.migrate.migrate_external(schema, dry_run=False, finalize=True)
    assert trace_object in str(error.value) and "_recording" in str(error.value)
    assert snapshot(connection, legacy) == before


def test_changed_objects_are_found_and_stop_the_migration(legacy, connection, schema):
    assert dj.migrate.verify_external_integrity(schema, check_contents=True)["corrupt"] == []
    notes = next(p for p in legacy.objects if p.endswith(".notes.txt"))
    raw = "raw/subject2/session1.dat"
    for path in (notes, raw):
        (legacy.location / path).write_bytes(b"changed after 0.14 wrote it")
    integrity = dj.migrate.verify_external_integrity(schema, STORE, check_contents=True)
    assert sorted(c["path"] for c in integrity["corrupt"]) == sorted([notes, raw])
    assert integrity["missing"] == [] and integrity["valid"] == integrity["total_references"] - 2
    assert dj.migrate.verify_external_integrity(schema)["corrupt"] == []  # contents not read
    with pytest.raises(dj.DataJointError, match="no table ~external_elsewhere"):
        dj.migrate.verify_external_integrity(schema, "elsewhere")
    before = snapshot(connection, legacy)
    with pytest.raises(dj.DataJointError, match=r"does not match its DataJoint 0\.14 reference"):
        dj.migrate.migrate_external(schema, dry_run=False)
    after = snapshot(connection, legacy)
    assert {k: v for k, v in after.items() if k != "files"} == {
        k: v for k, v in before.items() if k != "files"
    }  # the database is untouched; a 2.0 object already written is left for dj.gc


def test_an_unconfigured_store_stops_the_migration(legacy, connection, schema):
    with dj.config.override(stores={}):
        status = dj.migrate.check_store_configuration(schema)
        assert status["stores_missing"] == [STORE] and status["stores_configured"] == []
        before = snapshot(connection, legacy)
        with pytest.raises(dj.DataJointError, match=r"Store 'local'.*dj.config.stores"):
            dj.migrate.migrate_filepath(schema, dry_run=False)
        assert snapshot(connection, legacy) == before
    assert dj.migrate.check_store_configuration(schema)["stores_configured"] == [STORE]


def test_migration_refuses_to_run_inside_a_transaction(legacy, connection, schema):
    before = snapshot(connection, legacy)
    with connection.transaction:
        for step in (dj.migrate.migrate_columns, dj.migrate.migrate_external):
            with pytest.raises(dj.DataJointError, match="inside a transaction"):
                step(schema, dry_run=False)
    assert snapshot(connection, legacy) == before


def declare_pipeline(schema):
    """The pipeline as DataJoint 2.0 code declares it, bound to the migrated tables."""

    class Species(dj.Lookup):
        definition = """
        # species
        species : varchar(32)  # species name
        """

    class Subject(dj.Manual):
        definition = """
        # experimental subjects
        subject_id : int32  # subject number
        ---
        -> Species
        weight = 20.5 : float64  # grams
        date_of_birth = null : date
        """

    class Session(dj.Manual):
        definition = """
        # recording sessions
        -> Subject
        session_idx : uint16  # session within the subject
        ---
        session_note = "" : varchar(255)  # it's a note
        settings = null : <blob>  # acquisition settings
        protocol = null : <attach>  # protocol document
        """

    class Recording(dj.Imported):
        definition = """
        # imported recordings
        -> Session
        ---
        sampling_rate : float32  # Hz
        trace : <blob@local>  # the raw trace
        notes_file = null : <attach@local>  # lab notes
        raw_file = null : <filepath@local>  # acquisition file
        """

        def make(self, key):
            s, i = key["subject_id"], key["session_idx"]
            self.insert1(
                {
                    **key,
                    "sampling_rate": 500.0,
                    "trace": np.arange(5.0) * s + i,
                    "raw_file": f"raw/subject{s}/session{i}.dat",
                }
            )

    class Activity(dj.Computed):
        definition = """
        # activity
        -> Recording
        ---
        mean_rate : float64
        n_spikes : uint32
        spikes : <blob>  # spike times
        summary = null : <blob@local>
        """

        class Unit(dj.Part):
            definition = """
            -> master
            unit_id : uint8
            ---
            waveform : <blob>
            """

        def make(self, key):
            trace = (Recording & key).fetch1("trace")
            spikes = np.flatnonzero(trace > trace.mean()).astype(float)
            self.insert1(
                {
                    **key,
                    "mean_rate": float(trace.mean()),
                    "n_spikes": spikes.size,
                    "spikes": spikes,
                    "summary": {"new": True},
                }
            )
            self.Unit.insert1({**key, "unit_id": 0, "waveform": np.ones(3, dtype=np.int16)})

    classes = (Species, Subject, Session, Recording, Activity)
    for cls in classes:
        schema(cls)
    return classes


def test_after_migration_2_0_code_runs_the_pipeline(legacy, connection, schema):
    result = dj.migrate.migrate_schema(schema, dry_run=False, finalize=True)
    assert result["lineage"]["status"] == "rebuilt"
    assert dj.migrate.verify_schema_v20(schema) == {
        "compatible": True,
        "blob_markers": True,
        "lineage_exists": True,
        "issues": [],
    }
    _, Subject, Session, Recording, Activity = declare_pipeline(schema)
    assert_sessions(Session, legacy)
    assert_recordings(Recording, legacy)
    assert_activity(Activity, legacy)
    assert Subject.to_arrays("weight", order_by="subject_id").tolist() == [21.5, 22.5]
    assert len(Subject * Session) == 3  # the semantic check of joins has its lineage
    # new work: a session, its recording (imported) and activity (computed)
    (legacy.location / "raw/subject2").mkdir(parents=True, exist_ok=True)
    (legacy.location / "raw/subject2/session5.dat").write_bytes(b"new raw data")
    Session.insert1({"subject_id": 2, "session_idx": 5, "settings": {"gain": 3}})
    assert len(Recording.key_source - Recording) == 1
    Recording.populate()
    Activity.populate()
    key = {"subject_id": 2, "session_idx": 5}
    np.testing.assert_array_equal((Recording & key).fetch1("trace"), np.arange(5.0) * 2 + 5)
    assert (Recording & key).fetch1("raw_file").read() == b"new raw data"
    assert (Activity & key).fetch1("summary") == {"new": True}
    assert Activity.progress(display=False) == (0, 4)
    start, version = connection.query(
        f"SELECT _job_start_time, _job_version FROM `{legacy.database}`.`__activity` "
        "WHERE subject_id = 2 AND session_idx = 5",
        None,
    ).fetchone()
    assert start is not None and version is not None
    old_rows = connection.query(
        f"SELECT COUNT(*) FROM `{legacy.database}`.`__activity` WHERE _job_start_time IS NULL",
        None,
    ).fetchone()[0]
    assert old_rows == 3  # old rows are never filled
    # deleting through 2.0 works across the migrated foreign keys
    (Subject & {"subject_id": 2}).delete(prompt=False)
    assert len(Activity()) == 2 and len(Activity.Unit()) == 4


def test_pre_2_0_external_columns_load_as_placeholders(legacy, connection, schema):
    """A column of 0.11 external storage (``:external-…:``) must not stop the schema from
    loading: the table works without it, and its values raise an error naming dj.migrate."""
    connection.query(
        f"ALTER TABLE `{legacy.database}`.`subject` ADD COLUMN `scan` char(51) DEFAULT NULL "
        "COMMENT ':external-raw:old scan'",
        None,
    )
    connection.query(
        f"UPDATE `{legacy.database}`.`subject` SET scan = 'x' WHERE subject_id = 1", None
    )
    module = module_of(legacy, connection)
    subject = module.Subject
    assert subject.heading["scan"].type == "external-raw"
    assert subject.heading["scan"].comment == "old scan"
    assert "scan = null : external-raw" in " ".join(subject.describe().split())
    assert subject.to_arrays("species", order_by="subject_id").tolist() == ["mouse", "rat"]
    assert len(subject & {"species": "rat"}) == 1
    assert (subject & {"subject_id": 2}).fetch1("scan") is None  # NULL needs no decoding
    with pytest.raises(dj.DataJointError, match=r"`scan`.*`subject`.*dj\.migrate"):
        subject.to_dicts()
    with pytest.raises(dj.DataJointError, match="external storage"):
        subject.insert1({"subject_id": 3, "species": "rat", "scan": "y"})
    subject.insert1({"subject_id": 3, "species": "rat"})  # the other attributes work
    assert len(module.Session()) == 3  # other tables of the schema are unaffected
    analysis = dj.migrate.analyze_columns(schema)
    assert {
        "table": "subject",
        "column": "scan",
        "native_type": "char(51)",
        "core_type": None,
        "comment": ":external-raw:old scan",
    } in analysis["external_storage"]
    assert "0.11" in dj.migrate.migrate_external(schema)["unsupported"][0]
    assert "0.11" in " ".join(dj.migrate.verify_schema_v20(schema)["issues"])


def test_a_0_14_store_on_s3_migrates_the_same(legacy, connection, schema, s3_server):
    """The 0.14 objects in an S3 bucket (moto server) under the store's location."""
    location = f"legacy-{legacy.database}"
    fs = s3_server.filesystem()
    for path, data in legacy.store_files().items():
        fs.pipe(f"{BUCKET}/{location}/{path}", data)
    with dj.config.override(stores={STORE: s3_spec(s3_server, location)}):
        integrity = dj.migrate.verify_external_integrity(schema, check_contents=True)
        assert integrity["valid"] == integrity["total_references"] == 8
        dj.migrate.migrate_schema(schema, dry_run=False, finalize=True)
        module = module_of(legacy, connection)
        assert_recordings(module.Recording, legacy)
        assert_activity(module.Activity, legacy)
        notes = json.loads(
            next(
                r["notes_file"]
                for r in module.Recording.proj("notes_file").cursor(as_dict=True).fetchall()
                if r["notes_file"]
            )
        )
        assert fs.exists(f"{BUCKET}/{location}/{notes['path']}")
