"""Data that DataJoint already wrote (spec 02 §5.3, §11; spec 07 §9).

Tables are created here with raw SQL in the layouts DataJoint 2.x leaves on MariaDB/MySQL
(``:<blob>:`` markers in column comments) and on PostgreSQL (markers via ``COMMENT ON``), and
filled with the byte vectors of spec 07 — ``mYm`` and ``dj0`` payloads, compressed or not, as
DataJoint for Python and MATLAB wrote them. They must decode to the same values through
``virtual_schema`` and through declared classes. A 0.14 ``longblob`` without a marker stays raw
bytes until the migration adds the marker. SQLite is not a backend DataJoint 2.x had, so these
layouts exist only on the two servers.
"""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

import datajoint as dj
from datajoint.blob import unpack
from support.blobcheck import COMPRESSED, MATLAB, ROUND_TRIP, assert_equivalent, assert_same

pytestmark = pytest.mark.parametrize("backend_name", ["mysql", "postgresql"])

VECTORS = {vector_id: bytes.fromhex(hex_text) for vector_id, _, hex_text, _, _ in ROUND_TRIP}
EXPECTED = {vector_id: decoded for vector_id, _, _, _, decoded in ROUND_TRIP}
WRITTEN = {**{k: v for k, v in VECTORS.items() if k != "V01"}, **COMPRESSED}
WRITTEN.update({k: v for k, v in MATLAB.items() if k != "M32"})  # M32 needs the 32-bit flag


def create_recording_table(connection, database):
    """``recording`` as DataJoint 2.x declares it, plus a 0.14-style ``legacy`` longblob."""
    if connection.backend == "mysql":
        statements = [
            f"""CREATE TABLE `{database}`.`recording` (
                `recording_id` int NOT NULL COMMENT ':int32:',
                `trace` longblob DEFAULT NULL COMMENT ':<blob>:the trace',
                `doc` longblob DEFAULT NULL COMMENT ':<attach>:',
                `legacy` longblob DEFAULT NULL COMMENT 'written by 0.14',
                PRIMARY KEY (`recording_id`)
            ) ENGINE=InnoDB COMMENT='recordings'"""
        ]
    else:
        table = f'"{database}"."recording"'
        statements = [
            f"""CREATE TABLE {table} (
                "recording_id" integer NOT NULL,
                "trace" bytea DEFAULT NULL,
                "doc" bytea DEFAULT NULL,
                "legacy" bytea DEFAULT NULL,
                PRIMARY KEY ("recording_id"))""",
            f"COMMENT ON TABLE {table} IS 'recordings'",
            f"COMMENT ON COLUMN {table}.\"recording_id\" IS ':int32:'",
            f"COMMENT ON COLUMN {table}.\"trace\" IS ':<blob>:the trace'",
            f"COMMENT ON COLUMN {table}.\"doc\" IS ':<attach>:'",
            f"COMMENT ON COLUMN {table}.\"legacy\" IS 'written by 0.14'",
        ]
    for sql in statements:
        connection.query(sql, None)
    connection.invalidate(database)


def add_blob_marker(connection, database):
    """What the 0.14 → 2.0 migration does to ``legacy``: prefix its comment with ``:<blob>:``."""
    if connection.backend == "mysql":
        sql = (
            f"ALTER TABLE `{database}`.`recording` MODIFY COLUMN `legacy` longblob DEFAULT NULL "
            "COMMENT ':<blob>:written by 0.14'"
        )
    else:
        column = f'"{database}"."recording"."legacy"'
        sql = f"COMMENT ON COLUMN {column} IS ':<blob>:written by 0.14'"
    connection.query(sql, None)
    connection.invalidate(database)


@pytest.fixture
def recording(schema):
    """The raw table filled with one row per vector: ``trace`` and ``legacy`` hold its bytes."""
    connection = schema.connection
    create_recording_table(connection, schema.database)
    q = connection.adapter.quote
    table = connection.adapter.table_ref(schema.database, "recording")
    rows = [(i, data, data) for i, data in enumerate(WRITTEN.values())]
    connection.query(
        f"INSERT INTO {table} ({q('recording_id')}, {q('trace')}, {q('legacy')}) VALUES "
        + ",".join(["(%s, %s, %s)"] * len(rows)),
        [value for row in rows for value in row],
    )
    return schema, {name: i for i, name in enumerate(WRITTEN)}


def expected_value(name):
    if name in EXPECTED:
        return EXPECTED[name]()
    return unpack(WRITTEN[name])


def check_decoded(table, ids):
    traces = dict(zip(*table.to_arrays("recording_id", "trace"), strict=True))
    for name, row_id in ids.items():
        if name.startswith("M"):
            assert_equivalent(traces[row_id], expected_value(name), name)
        else:
            assert_same(traces[row_id], expected_value(name), name)


def test_virtual_schema_decodes_what_datajoint_wrote(recording):
    schema, ids = recording
    module = dj.virtual_schema(schema.database, connection=schema.connection)
    table = module.Recording
    assert table.heading["trace"].codec is dj.get_codec("blob")
    assert table.heading["trace"].comment == "the trace"
    assert table.heading["doc"].codec is dj.get_codec("attach")
    assert table.heading["legacy"].codec is None and table.heading["legacy"].is_blob
    check_decoded(table, ids)
    # spot checks against the values spec 07 §9 states
    m2 = (table & {"recording_id": ids["M2"]}).fetch1("trace")
    assert m2.shape == (1, 12) and m2[0, :3].tolist() == [1.0, 16.0, 31.0]
    m5 = (table & {"recording_id": ids["M5"]}).fetch1("trace")
    np.testing.assert_array_equal(m5, np.arange(1, 25).reshape((2, 3, 4), order="F"))
    z1 = (table & {"recording_id": ids["Z1"]}).fetch1("trace")
    assert_same(z1, np.zeros(200))
    m1 = (table & {"recording_id": ids["M1"]}).fetch1("trace", squeeze=True)
    assert m1 == "character string"


def test_declared_classes_decode_the_same(recording):
    schema, ids = recording

    @schema
    class Recording(dj.Manual):
        definition = """
        # recordings
        recording_id : int32
        ---
        trace = null : <blob>  # the trace
        doc = null : <attach>
        legacy = null : longblob  # written by 0.14
        """

    check_decoded(Recording, ids)
    row = (Recording & {"recording_id": ids["V29"]}).fetch1()
    assert row["trace"] == {"a": 1}
    assert row["legacy"] == VECTORS["V29"]  # unmarked 0.14 longblob: raw bytes


def test_unmarked_longblobs_decode_once_migrated(recording):
    schema, ids = recording
    module = dj.virtual_schema(schema.database, connection=schema.connection)
    raw = dict(zip(*module.Recording.to_arrays("recording_id", "legacy"), strict=True))
    for name, row_id in ids.items():
        assert raw[row_id] == WRITTEN[name] and type(raw[row_id]) is bytes
    add_blob_marker(schema.connection, schema.database)
    module = dj.virtual_schema(schema.database, connection=schema.connection)
    table = module.Recording
    assert table.heading["legacy"].codec is dj.get_codec("blob")
    assert table.heading["legacy"].comment == "written by 0.14"
    decoded = dict(zip(*table.to_arrays("recording_id", "legacy"), strict=True))
    for name, row_id in ids.items():
        assert_equivalent(decoded[row_id], unpack(WRITTEN[name]), name)


def test_32bit_matlab_blobs_decode_with_the_flag(recording):
    schema, _ = recording
    connection = schema.connection
    q = connection.adapter.quote
    table = connection.adapter.table_ref(schema.database, "recording")
    connection.query(
        f"INSERT INTO {table} ({q('recording_id')}, {q('trace')}) VALUES (%s, %s)",
        [1000, MATLAB["M32"]],
    )
    module = dj.virtual_schema(schema.database, connection=connection)
    restricted = module.Recording & {"recording_id": 1000}
    with pytest.raises(dj.DataJointError):
        restricted.fetch1("trace")
    dj.blob.use_32bit_dims = True
    try:
        value = restricted.fetch1("trace")
    finally:
        dj.blob.use_32bit_dims = False
    assert value.dtype.names == ("hits", "sides", "tasks", "stage")
    assert value["stage"][0, 0].tolist() == ["Stage 10"]


def test_attachments_written_by_datajoint(recording, tmp_path):
    schema, _ = recording
    connection = schema.connection
    q = connection.adapter.quote
    table = connection.adapter.table_ref(schema.database, "recording")
    connection.query(
        f"INSERT INTO {table} ({q('recording_id')}, {q('doc')}) VALUES (%s, %s)",
        [2000, b"protocol.pdf\x00%PDF-1.4 not really"],
    )
    module = dj.virtual_schema(schema.database, connection=connection)
    with dj.config.override(download_path=str(tmp_path)):
        path = (module.Recording & {"recording_id": 2000}).fetch1("doc")
    assert pathlib.Path(path) == tmp_path / "protocol.pdf"
    assert pathlib.Path(path).read_bytes() == b"%PDF-1.4 not really"
