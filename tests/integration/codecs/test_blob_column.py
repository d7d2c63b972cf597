"""``<blob>`` columns on every backend: declare, insert, fetch (spec 02 §7.1, spec 04 §1, spec 07).

Every value kind of spec 07 goes in through ``insert`` and comes back through ``fetch`` with its
type, dtype, shape and bit pattern intact.
"""

from __future__ import annotations

import datetime
import decimal
import itertools
import uuid

import numpy as np
import pytest

import datajoint as dj
from datajoint.codecs.blob import BlobCodec
from datajoint.codecs.blobformat import pack, unpack
from support.backends import new_schema_name, open_connection
from support.blobcheck import MATLAB, ROUND_TRIP, assert_equivalent, assert_same

_ids = itertools.count(1)


@pytest.fixture(scope="module")
def blobs(backend_name, tmp_path_factory):
    connection = open_connection(backend_name, tmp_path_factory)
    schema = dj.Schema(new_schema_name("djblob"), connection=connection)

    @schema
    class Blob(dj.Manual):
        definition = """
        id : int32
        ---
        x = null : <blob>   # any value
        tag = '' : varchar(20)
        """

    yield Blob
    schema.drop(prompt=False)
    connection.close()


def round_trip(table, value, **fetch):
    key = {"id": next(_ids)}
    table.insert1({**key, "x": value})
    return (table & key).fetch1("x", **fetch)


@pytest.mark.parametrize("vector", ROUND_TRIP, ids=[v[0] for v in ROUND_TRIP])
def test_every_spec_vector_round_trips(blobs, vector):
    _, _, _, value, decoded = vector
    assert_same(round_trip(blobs, value()), decoded())


@pytest.mark.parametrize("name", sorted(MATLAB))
def test_matlab_values_round_trip(blobs, name):
    value = unpack(MATLAB[name], use_32bit_dims=name == "M32")
    assert_equivalent(round_trip(blobs, value), value)


DTYPES = [
    "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float32", "float64", "complex64", "complex128", "bool",
]  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("order", ["C", "F"])
def test_numeric_arrays_of_every_dtype_and_order(blobs, dtype, order):
    rng = np.random.default_rng(7)
    values = rng.standard_normal(24) * 100
    if dtype.startswith("complex"):
        values = values + 1j * rng.standard_normal(24)
    array = np.asarray(values).astype(dtype).reshape((2, 3, 4), order=order)
    array = np.asfortranarray(array) if order == "F" else np.ascontiguousarray(array)
    fetched = round_trip(blobs, array)
    assert_same(fetched, array)
    assert fetched.flags.writeable


def test_other_array_kinds_round_trip(blobs):
    structured = np.array([(1.5, 2), (3.0, 4)], dtype=[("x", "<f8"), ("y", "<i8")])
    text = np.array([["ab", "c"], ["d", "e"]])  # unicode comes back as an object array of str
    assert_equivalent(round_trip(blobs, text), text)
    cases = [
        np.array(["2020-01-02T03:04:05"], dtype="datetime64[s]"),
        np.array([1, "a", None], dtype=object),
        np.zeros((0, 3)),
        np.float64(2.5),
    ]
    for value in cases:
        assert_same(round_trip(blobs, value), value)
    fetched = round_trip(blobs, structured)
    assert fetched.dtype.names == ("x", "y")
    np.testing.assert_array_equal(fetched, structured)


def stored_bytes(table, key):
    """The bytes in the database, read with plain SQL."""
    sql = f"SELECT x FROM {table.full_table_name} WHERE id = %s"
    return bytes(table.connection.query(sql, (key,)).fetchone()[0])


def test_large_compressible_and_incompressible_payloads(blobs):
    """Compressible payloads are stored as spec 07 packs them; a large noise-like payload that
    zlib would shrink by less than 10% is stored uncompressed (still a valid blob)."""
    zeros = np.zeros((1000, 1000))  # 8 MB, stored compressed
    noise = np.random.default_rng(1).standard_normal(1_000_000)  # 8 MB, barely compressible
    for value, stored_as in ((zeros, pack(zeros)), (noise, pack(noise, compress=False))):
        key = next(_ids)
        blobs.insert1({"id": key, "x": value})
        assert_same((blobs & {"id": key}).fetch1("x"), value)
        assert stored_bytes(blobs, key) == stored_as
    assert len(pack(noise)) < len(pack(noise, compress=False))


def test_one_insert_of_more_bytes_than_a_server_packet(blobs):
    """18 MB in one insert() call: more than MariaDB's default 16 MB packet allows in one
    statement, so the rows go in several statements (one transaction)."""
    rng = np.random.default_rng(2)
    arrays = [rng.integers(0, 256, 6_000_000, dtype=np.uint8) for _ in range(3)]
    keys = [{"id": next(_ids)} for _ in arrays]
    blobs.insert([{**k, "x": a} for k, a in zip(keys, arrays, strict=True)])
    fetched = (blobs & keys).to_arrays("x")
    for got, want in zip(fetched, arrays, strict=True):
        assert_same(got, want)


def test_a_bad_value_among_large_ones_stops_the_insert(blobs):
    """Large columns are serialized on worker threads; an error still reaches the caller."""
    big = np.ones(300_000)  # 2.4 MB each: enough to serialize the column in parallel
    keys = [{"id": next(_ids)} for _ in range(3)]
    values = [big, big, object()]
    with pytest.raises(dj.DataJointError, match="not supported"):
        blobs.insert([{**k, "x": v} for k, v in zip(keys, values, strict=True)])
    assert len(blobs & keys) == 0


def test_stored_bytes_are_the_blob_format(blobs):
    """The column holds exactly ``pack(value)``: compressed behind ``ZL123`` when that is
    shorter (readable by any DataJoint), so the bytes also match what <blob@> would hash."""
    key = {"id": next(_ids)}
    blobs.insert1({**key, "x": np.zeros(200)})
    conn = blobs.connection
    table = conn.adapter.table_ref(blobs.database, blobs.table_name)
    column = conn.adapter.quote("x")
    raw = conn.query(
        f"SELECT {column} FROM {table} WHERE {conn.adapter.quote('id')} = %s", [key["id"]]
    )
    stored = bytes(raw.fetchone()[0])
    assert stored == pack(np.zeros(200))
    assert stored.startswith(b"ZL123\0")


def test_null_and_missing_values_skip_the_codec(blobs, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the codec saw a NULL")

    monkeypatch.setattr(BlobCodec, "encode_column", refuse)
    monkeypatch.setattr(BlobCodec, "decode_column", refuse)
    key = {"id": next(_ids)}
    blobs.insert1({**key, "x": None})
    assert (blobs & key).fetch1("x") is None
    key2 = {"id": next(_ids)}
    blobs.insert1({**key2, "tag": "nothing"})
    assert (blobs & key2).fetch1() == {**key2, "x": None, "tag": "nothing"}


def test_squeeze_removes_singleton_dimensions(blobs):
    key = {"id": next(_ids)}
    blobs.insert1({**key, "x": np.arange(4.0).reshape(1, 4, 1)})
    assert (blobs & key).fetch1("x").shape == (1, 4, 1)
    assert (blobs & key).fetch1("x", squeeze=True).shape == (4,)
    assert (blobs & key).to_dicts(squeeze=True)[0]["x"].shape == (4,)
    assert (blobs & key).to_arrays("x", squeeze=True)[0].shape == (4,)


def test_to_arrays_gives_one_object_per_row(blobs):
    first, second = next(_ids), next(_ids)
    blobs.insert([{"id": first, "x": np.ones(3)}, {"id": second, "x": np.zeros(3)}])
    both = blobs & [{"id": first}, {"id": second}]
    column = both.to_arrays("x")
    assert column.dtype == object and column.shape == (2,)
    assert_same(column[0], np.ones(3))
    assert_same(column[1], np.zeros(3))
    records = both.to_arrays()
    assert records.dtype["x"] == np.dtype("O")
    assert_same(records["x"][1], np.zeros(3))
    keys, values = both.to_arrays("x", include_key=True)
    assert keys == [{"id": first}, {"id": second}] and values.dtype == object
    frame = both.to_pandas()
    assert_same(frame.loc[second, "x"], np.zeros(3))


def test_bulk_insert_and_fetch_keep_rows_apart(blobs):
    rows = [
        {"id": next(_ids), "x": np.full(i + 1, float(i)), "tag": f"bulk{i}"} for i in range(150)
    ]
    blobs.insert(rows)
    fetched = (blobs & 'tag LIKE "bulk%%"').to_dicts()
    assert len(fetched) == 150
    for row, original in zip(fetched, rows, strict=True):
        assert_same(row["x"], original["x"])


def test_blob_columns_cannot_be_restricted_by_value(blobs):
    with pytest.raises(dj.DataJointError, match="cannot be restricted by value"):
        blobs & {"x": np.zeros(3)}
    with pytest.raises(dj.DataJointError, match="cannot be restricted by value"):
        blobs - {"id": 1, "x": 5}
    key = {"id": next(_ids)}
    blobs.insert1(key)
    assert (blobs & {"x": None}).keys().count(key) == 1


def test_blob_attributes_cannot_be_in_the_primary_key(schema):
    with pytest.raises(dj.DataJointError, match="not allowed in the primary key"):

        @schema
        class BlobKey(dj.Manual):
            definition = """
            data : <blob>
            """


def test_preview_shows_a_placeholder_without_decoding(blobs, monkeypatch):
    key = {"id": next(_ids)}
    blobs.insert1({**key, "x": np.arange(10)})

    def refuse(*args, **kwargs):
        raise AssertionError("the preview decoded a blob")

    monkeypatch.setattr(BlobCodec, "decode_column", refuse)
    text = repr(blobs & key)
    assert "<blob>" in text and str(key["id"]) in text
    assert "&lt;blob&gt;" in (blobs & key)._repr_html_()


def test_heading_exposes_the_codec(blobs):
    heading = blobs.heading
    attr = heading["x"]
    assert attr.codec is dj.get_codec("blob")
    assert attr.is_blob and attr.is_codec and attr.store is None
    assert attr.type == "<blob>" and str(attr.type) == "<blob>"
    assert heading.blobs == ["x"]
    assert heading.non_blobs == ["id", "tag"]
    assert heading.as_dtype == np.dtype([("id", "int64"), ("x", "O"), ("tag", "O")])
    assert "x = null : <blob> # any value" in " ".join(blobs.describe().split())


def test_a_fresh_connection_reads_the_marker(blobs, backend_name, tmp_path_factory):
    key = {"id": next(_ids)}
    blobs.insert1({**key, "x": {"a": [1, 2]}})
    if backend_name == "sqlite":
        other = dj.Connection(backend="sqlite", path=blobs.connection.conn_info["path"])
    else:
        other = open_connection(backend_name, tmp_path_factory)
    try:
        module = dj.virtual_schema(blobs.database, connection=other)
        table = module.Blob
        assert table.heading["x"].codec is dj.get_codec("blob")
        assert (table & key).fetch1("x") == {"a": [1, 2]}
    finally:
        other.close()


def test_blobs_fetched_beside_every_core_type(schema):
    """Rows mixing a blob with other types read the same whichever way the backend sends
    them (PostgreSQL: binary results, except beside an enum)."""

    @schema
    class Mixed(dj.Manual):
        definition = """
        mixed_id : int32
        ---
        blob : <blob>
        raw : bytes
        flag : bool
        amount : decimal(6,2)
        ident : uuid
        doc : json
        code : char(4)
        name : varchar(20)
        day : date
        moment : datetime(3)
        small : uint8
        big : uint64
        ratio : float32
        grade = null : enum('a', 'b')
        """

    row = {
        "mixed_id": 1,
        "blob": np.arange(3),
        "raw": b"\x00raw\x00",
        "flag": True,
        "amount": decimal.Decimal("12.34"),
        "ident": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "doc": {"k": [1, None]},
        "code": "ab",
        "name": "héllo",
        "day": datetime.date(2024, 1, 2),
        "moment": datetime.datetime(2024, 1, 2, 3, 4, 5, 678000),
        "small": 255,
        "big": 2**63 - 1,
        "ratio": 0.5,
        "grade": "b",
    }
    Mixed.insert1(row)
    with_enum = Mixed.fetch1()
    without_enum = Mixed.proj(*[n for n in row if n not in ("mixed_id", "grade")]).fetch1()
    for fetched in (with_enum, without_enum):
        assert_same(fetched.pop("blob"), row["blob"])
        for name, value in fetched.items():
            assert value == row[name] and type(value) is type(row[name]), name


def test_alter_adds_and_changes_codec_attributes(schema):
    @schema
    class Altered(dj.Manual):
        definition = """
        altered_id : int32
        ---
        x = null : <blob>  # first
        """

    Altered.insert1({"altered_id": 1, "x": np.arange(3)})
    Altered.definition = """
    altered_id : int32
    ---
    x = null : <blob>  # second
    doc = null : <attach>
    """
    Altered.alter(prompt=False)
    heading = Altered.heading
    assert heading["x"].comment == "second" and heading["doc"].codec is dj.get_codec("attach")
    assert_same(Altered.fetch1("x"), np.arange(3))
    assert Altered.fetch1("doc") is None
