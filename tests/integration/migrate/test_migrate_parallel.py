"""Trying the migration on a copy, backups, and comparing query results (spec 08 §9), on a
DataJoint 0.14 database built in MariaDB (see ``support/legacy014.py``)."""

from __future__ import annotations

import numpy as np
import pytest

import datajoint as dj
from support.legacy014 import snapshot, tables_and_rows

pytestmark = pytest.mark.parametrize("backend_name", ["mysql"])


@pytest.fixture
def other_schemas(connection, legacy):
    """Names for the copies a test makes; each is dropped afterwards."""
    names = []

    def make(suffix):
        names.append(f"{legacy.database}_{suffix}")
        return names[-1]

    yield make
    for name in names:
        connection.query(f"DROP DATABASE IF EXISTS `{name}`")


def test_a_parallel_copy_is_migrated_and_compared(legacy, connection, schema, other_schemas):
    before = snapshot(connection, legacy)
    dest = other_schemas("v20")
    made = dj.migrate.create_parallel_schema(schema, dest, copy_data=True)
    assert made["tables_created"] == 9 and made["data_copied"] and made["rows_copied"] > 0
    order = made["tables"]
    assert order.index("~external_local") < order.index("_recording") < order.index("__activity")
    assert tables_and_rows(connection, dest) == tables_and_rows(connection, legacy.database)
    # the copy's 0.14 references name objects stored under the original schema's name
    missing = dj.migrate.migrate_external(dest, connection=connection)
    assert missing["problems"] and f"{dest}/" in missing["problems"][0]
    result = dj.migrate.migrate_schema(
        dest, dry_run=False, finalize=True, legacy_database=legacy.database, connection=connection
    )
    assert result["external"]["rows_migrated"] == 7 and result["lineage"]["status"] == "rebuilt"
    copy = dj.virtual_schema(dest, connection=connection)
    traces = copy.Recording.to_arrays("trace", order_by="subject_id, session_idx")
    for (key, expected), trace in zip(
        sorted(legacy.expected["_recording"].items()), traces, strict=True
    ):
        np.testing.assert_array_equal(trace, expected["trace"], err_msg=str(key))
    # the migrated copy gives the same results as the 0.14 original
    for table in ("subject", "session", "__activity", "__activity__unit"):
        same = dj.migrate.compare_query_results(schema, dest, table)
        assert same["match"], (table, same["discrepancies"])
        assert same["row_count"] == len(legacy.expected[table])
    recording = dj.migrate.compare_query_results(schema, dest, "_recording")
    assert recording["match"] and recording["skipped"] == ["notes_file", "raw_file", "trace"]
    connection.query(f"UPDATE `{dest}`.`subject` SET weight = weight + 1 WHERE subject_id = 2")
    connection.query(
        f"UPDATE `{dest}`.`__activity__unit` SET waveform = %s WHERE unit_id = 1",
        (dj.blob.pack(np.zeros((3, 4), dtype=np.int16)),),
    )
    differs = dj.migrate.compare_query_results(schema, dest, "subject")
    assert not differs["match"] and differs["discrepancies"] == [
        "{'subject_id': 2}: `weight` differs"
    ]
    units = dj.migrate.compare_query_results(schema, dest, "__activity__unit")
    assert len(units["discrepancies"]) == 3 and "`waveform` differs" in units["discrepancies"][0]
    # the original is untouched; the store only gained the copy's attachments in 2.0 layout
    after = snapshot(connection, legacy)
    new_files = set(after.pop("files")) - set(before.pop("files"))
    assert after == before and new_files and all(f.startswith(f"_hash/{dest}/") for f in new_files)


def test_backup_and_restore(legacy, connection, schema, other_schemas):
    backup = other_schemas("backup")
    saved = dj.migrate.backup_schema(schema, backup)
    assert saved["tables_backed_up"] == 9 and saved["backup_location"] == backup
    original = tables_and_rows(connection, legacy.database)
    assert saved["rows_backed_up"] == sum(len(rows) for _, rows in original.values())
    dj.migrate.migrate_schema(schema, dry_run=False, finalize=True)
    assert tables_and_rows(connection, legacy.database) != original
    with pytest.raises(dj.DataJointError, match="already has tables"):
        dj.migrate.restore_schema(backup, legacy.database, connection=connection)
    restored = other_schemas("restored")
    result = dj.migrate.restore_schema(backup, restored, connection=connection)
    assert result == {"tables_restored": 9, "rows_restored": saved["rows_backed_up"]}
    assert tables_and_rows(connection, restored) == original
    with pytest.raises(dj.DataJointError, match="onto itself"):
        dj.migrate.backup_schema(schema, legacy.database)


def test_copy_table_data(legacy, connection, schema, other_schemas):
    dest = other_schemas("partial")
    made = dj.migrate.create_parallel_schema(schema, dest, connection=connection)
    assert not made["data_copied"] and made["rows_copied"] == 0
    copied = dj.migrate.copy_table_data(schema, dest, "#species", connection=connection)
    assert copied["rows_copied"] == 2 and copied["time_taken"] >= 0
    one = dj.migrate.copy_table_data(schema, dest, "subject", where_clause="subject_id = 1")
    assert one["rows_copied"] == 1
    capped = dj.migrate.copy_table_data(
        schema, dest, "session", limit=2, where_clause="subject_id = 1"
    )
    assert capped["rows_copied"] == 2
    with pytest.raises(dj.DataJointError, match="does not exist"):
        dj.migrate.copy_table_data(schema, dest, "no_such_table")
    with pytest.raises(
        dj.DataJointError
    ):  # a child row without its parent: refused, nothing copied
        dj.migrate.copy_table_data(schema, dest, "session", where_clause="subject_id = 2")
    rows = connection.query(f"SELECT COUNT(*) FROM `{dest}`.`session`").fetchone()[0]
    assert rows == 2
