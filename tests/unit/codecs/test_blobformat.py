"""The ``<blob>`` format against the test vectors of spec 07 §9 (encode and decode)."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import datajoint as dj
from datajoint.blob import MatCell, MatStruct, pack, unpack
from datajoint.codecs.blobtypes import MAX_DEPTH
from datajoint.errors import DataJointError
from support.blobcheck import COMPRESSED, MATLAB, ROUND_TRIP, assert_equivalent, assert_same

V = {vector[0]: vector for vector in ROUND_TRIP}


def vector_bytes(name: str) -> bytes:
    return bytes.fromhex(V[name][2])


# --- §9.2 round-trip vectors --------------------------------------------------------------


def test_all_round_trip_vectors_are_present() -> None:
    assert [v[0] for v in ROUND_TRIP] == [f"V{i:02d}" for i in range(1, 57)]


@pytest.mark.parametrize("vector", ROUND_TRIP, ids=lambda v: f"{v[0]}-{v[1]}")
def test_pack_gives_the_vector_bytes(vector: tuple[Any, ...]) -> None:
    _, _, hexdump, value, _ = vector
    assert pack(value()) == bytes.fromhex(hexdump)
    assert pack(value(), compress=False) == bytes.fromhex(hexdump)


@pytest.mark.parametrize("vector", ROUND_TRIP, ids=lambda v: f"{v[0]}-{v[1]}")
def test_unpack_gives_the_vector_value(vector: tuple[Any, ...]) -> None:
    _, _, hexdump, _, decoded = vector
    assert_same(unpack(bytes.fromhex(hexdump)), decoded())


@pytest.mark.parametrize("vector", ROUND_TRIP, ids=lambda v: f"{v[0]}-{v[1]}")
def test_unpack_accepts_bytearray_and_memoryview(vector: tuple[Any, ...]) -> None:
    _, _, hexdump, _, decoded = vector
    data = bytes.fromhex(hexdump)
    assert_same(unpack(bytearray(data)), decoded())
    assert_same(unpack(memoryview(data)), decoded())


def test_unpack_none_is_none() -> None:
    assert unpack(None) is None


def test_structured_vector_compares_with_the_original() -> None:
    original = V["V53"][3]()
    decoded = unpack(vector_bytes("V53"))
    assert isinstance(decoded, np.recarray)
    np.testing.assert_array_equal(decoded, original)
    assert decoded.x[0] == 1.0 and decoded.y[0] == 2


def test_cell_and_struct_vectors_decode_to_matlab_classes() -> None:
    cell = unpack(vector_bytes("V55"))
    assert type(cell) is MatCell and cell.shape == (1, 2)
    s = unpack(vector_bytes("V56"))
    assert type(s) is MatStruct and s.shape == (1, 1)
    assert s.a[0, 0][0] == 1.0 and s["b"][0, 0][0] == 2.0 and s[0, 0].b[0] == 2.0


# --- §9.3 MATLAB vectors -------------------------------------------------------------------


def test_m1_string() -> None:
    value = unpack(MATLAB["M1"])
    assert_same(value, np.array(["character string"]))
    assert value[0] == "character string"


def test_m2_row_vector() -> None:
    value = unpack(MATLAB["M2"])
    assert_same(value, np.arange(1.0, 181.0, 15.0).reshape(1, 12))
    assert len(MATLAB["M2"]) == 133


def test_m3_cell_of_strings() -> None:
    value = unpack(MATLAB["M3"])
    assert type(value) is MatCell and value.dtype == object and value.shape == (1, 2)
    assert_same(value[0, 0], np.array(["string1"]))
    assert_same(value[0, 1], np.array(["string2"]))
    assert_equivalent(value, np.array([["string1", "string2"]]).astype(object))


MAGIC3 = [[8, 1, 6], [3, 5, 7], [4, 9, 2]]
MAGIC5 = [
    [17, 24, 1, 8, 15],
    [23, 5, 7, 14, 16],
    [4, 6, 13, 20, 22],
    [10, 12, 19, 21, 3],
    [11, 18, 25, 2, 9],
]


def test_m4_struct_array() -> None:
    s = unpack(MATLAB["M4"])
    assert type(s) is MatStruct and s.shape == (1, 2)
    assert s.dtype.names == ("a", "b")
    assert all(s.dtype[name].kind == "O" for name in s.dtype.names)
    assert_same(s.a[0, 0], np.array([[1.0]]))
    assert_same(s.a[0, 1], np.array([[2.0]]))
    inner = s.b[0, 0]
    assert type(inner) is MatStruct and inner.shape == (1, 1) and inner.dtype.names == ("c",)
    assert_same(inner.c[0, 0], np.array(MAGIC3, dtype=float))
    other = s.b[0, 1]
    assert type(other) is MatStruct and other.shape == (1, 1) and other.dtype.names == ("C",)
    assert_same(other.C[0, 0], np.array(MAGIC5, dtype=float))


def test_m5_m6_three_dimensional() -> None:
    expected = np.arange(1, 25).reshape((2, 3, 4), order="F")
    assert_same(unpack(MATLAB["M5"]), expected.astype(float))
    assert_same(unpack(MATLAB["M6"]), expected.astype(np.uint8))


def test_m7_complex() -> None:
    value = unpack(MATLAB["M7"])
    assert value.dtype == np.complex128 and value.shape == (2, 3, 4)
    expected = np.zeros((2, 3, 4), dtype=complex)
    expected[0, 0, :] = [300, -72 + 72j, -72, -72 - 72j]
    expected[0, 1, 0] = -24 + 13.856406460551018j
    expected[0, 2, 0] = -24 - 13.856406460551018j
    expected[1, 0, 0] = -12
    np.testing.assert_array_equal(value, expected)


@pytest.mark.parametrize("name", ["M2", "M4", "M5", "M6", "M7"])
def test_matlab_vectors_repack_identically(name: str) -> None:
    # M7 too: the reader assigns real and imaginary parts, keeping signed zeros (§8)
    assert pack(unpack(MATLAB[name])) == MATLAB[name]


@pytest.mark.parametrize("name", ["M1", "M2", "M3", "M4", "M5", "M6", "M7"])
def test_matlab_vectors_survive_a_round_trip(name: str) -> None:
    value = unpack(MATLAB[name])
    assert_equivalent(unpack(pack(value)), value)


@pytest.mark.parametrize("name", ["M1", "M3"])
def test_unicode_strings_repack_as_dj0(name: str) -> None:
    assert pack(unpack(MATLAB[name]))[:4] == b"dj0\x00"


def test_matlab_vectors_with_squeeze() -> None:
    assert unpack(MATLAB["M1"], squeeze=True) == "character string"
    assert type(unpack(MATLAB["M1"], squeeze=True)) is str
    assert unpack(MATLAB["M2"], squeeze=True).shape == (12,)
    cell = unpack(MATLAB["M3"], squeeze=True)
    assert type(cell) is MatCell and cell.shape == (2,)
    assert list(cell) == ["string1", "string2"] and all(type(e) is str for e in cell)
    s = unpack(MATLAB["M4"], squeeze=True)
    assert type(s) is MatStruct and s.shape == (2,)
    assert [s[0].a, s[1].a] == [1.0, 2.0] and type(s[0].a) is float
    b = s[1].b
    assert type(b) is MatStruct and b.shape == ()
    assert b.C.item().shape == (5, 5)
    for name, shape in [("M5", (2, 3, 4)), ("M6", (2, 3, 4)), ("M7", (2, 3, 4))]:
        assert unpack(MATLAB[name], squeeze=True).shape == shape


# --- §7 32-bit dimensions ------------------------------------------------------------------


@pytest.fixture
def use_32bit_dims() -> Iterator[None]:
    saved = dj.blob.use_32bit_dims
    dj.blob.use_32bit_dims = True
    try:
        yield
    finally:
        dj.blob.use_32bit_dims = saved


def check_m32(s: Any) -> None:
    assert type(s) is MatStruct and s.shape == (1, 1)
    assert s.dtype.names == ("hits", "sides", "tasks", "stage")
    assert all(s.dtype[name].kind == "O" for name in s.dtype.names)
    hits = s.hits[0, 0]
    assert hits.dtype == np.float64
    assert_equivalent(hits, np.array([[np.nan, 1, 1, 0, 1, 0, np.nan]]))
    assert_same(s.sides[0, 0], np.array(["llllrrl"]))
    assert_same(s.tasks[0, 0], np.array(["ddddddd"]))
    assert_same(s.stage[0, 0], np.array(["Stage 10"]))


@pytest.mark.usefixtures("use_32bit_dims")
def test_m32_with_the_module_flag() -> None:
    check_m32(unpack(MATLAB["M32"]))


def test_m32_flag_is_restored_and_64bit_reading_fails() -> None:
    assert dj.blob.use_32bit_dims is False
    with pytest.raises(DataJointError):
        unpack(MATLAB["M32"])


def test_m32_with_the_keyword() -> None:
    check_m32(dj.blob.unpack(MATLAB["M32"], use_32bit_dims=True))


@pytest.mark.usefixtures("use_32bit_dims")
def test_32bit_flag_applies_to_the_compression_length() -> None:
    raw = MATLAB["M32"]
    data = b"ZL123\x00" + struct.pack("<I", len(raw)) + zlib.compress(raw)
    check_m32(unpack(data))


# --- §9.4 compression ----------------------------------------------------------------------


def test_z1_decodes() -> None:
    assert_same(unpack(COMPRESSED["Z1"]), np.zeros(200))


def test_zeros_200_is_compressed() -> None:
    data = pack(np.zeros(200))
    assert data.startswith(b"ZL123\x00" + struct.pack("<Q", 1629))
    raw = pack(np.zeros(200), compress=False)
    assert len(raw) == 1629
    assert zlib.decompress(data[14:]) == raw == zlib.decompress(COMPRESSED["Z1"][14:])
    assert data == b"ZL123\x00" + struct.pack("<Q", 1629) + zlib.compress(raw)
    if zlib.compress(raw) == COMPRESSED["Z1"][14:]:  # classic zlib at the default level
        assert data == COMPRESSED["Z1"]
    assert_same(unpack(data), np.zeros(200))


def test_compression_threshold() -> None:
    assert len(pack(np.zeros(121))) == 997  # not compressed
    data = pack(np.zeros(122))
    assert data.startswith(b"ZL123\x00" + struct.pack("<Q", 1005)) and len(data) < 100
    assert len(pack(np.zeros(122), compress=False)) == 1005
    assert not pack(np.zeros(10_000), compress=False).startswith(b"ZL123")


def test_incompressible_data_is_stored_raw() -> None:
    noise = np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8)
    data = pack(noise)
    assert data.startswith(b"mYm\x00")
    assert_same(unpack(data), noise)


# --- §9.5 negative vectors -----------------------------------------------------------------

NEGATIVE_READS = [
    ("unknown code", b"dj0\x00Z", 'Unknown data structure code "Z". Upgrade datajoint.'),
    ("sparse", b"mYm\x00P", "datajoint-python does not yet support sparse arrays. Issue (#590)"),
    ("trailing byte", bytes.fromhex(V["V34"][2]) + b"\x00", "Blob length check failed!"),
    (
        "size mismatch",
        b"ZL123\x00" + struct.pack("<Q", 100) + zlib.compress(bytes.fromhex(V["V01"][2])),
        "Blob size mismatch: expected 100, got 5",
    ),
    (
        "size mismatch, too long",
        b"ZL123\x00" + struct.pack("<Q", 3) + zlib.compress(bytes.fromhex(V["V01"][2])),
        "Blob size mismatch: expected 3, got 5",
    ),
    ("unknown protocol", b"abc\x00\xff", "Unknown blob protocol"),
    ("no zero byte", b"hello", "Unknown blob protocol"),
    ("empty", b"", "Unknown blob protocol"),
    ("header only", b"dj0\x00", "Invalid blob: truncated"),
    ("truncated array", bytes.fromhex(V["V33"][2])[:-1], "Invalid blob: truncated"),
    ("corrupt zlib", b"ZL123\x00" + struct.pack("<Q", 5) + b"garbage", "corrupt compressed"),
    ("truncated zlib", COMPRESSED["Z1"][:-6], "Blob size mismatch: expected 1629"),
    ("bad complex flag", bytes.fromhex(V["V34"][2])[:25] + b"\x02" + bytes(11), "complexity"),
]


@pytest.mark.parametrize(
    ("data", "message"), [n[1:] for n in NEGATIVE_READS], ids=[n[0] for n in NEGATIVE_READS]
)
def test_invalid_blobs_raise(data: bytes, message: str) -> None:
    with pytest.raises(DataJointError) as info:
        unpack(data)
    assert message in str(info.value)


@pytest.mark.parametrize("type_id", [0, 1, 2, 16, 17, 99, 65535, 65549, 2**32 - 1])
def test_unsupported_array_type_ids_raise(type_id: int) -> None:
    data = b"mYm\x00A" + struct.pack("<QQII", 1, 1, type_id, 0) + bytes(8)
    with pytest.raises(DataJointError, match="type id"):
        unpack(data)


NEGATIVE_WRITES = [
    ("float16", np.array([1.0], dtype=np.float16), "Type float16 is ambiguous or unknown"),
    ("generator", (x for x in []), "Packing object of type <class 'generator'> currently not"),
    ("huge int", 1 << (8 * 65535 + 10), "Integers are limited to 65535 bytes"),
    ("huge negative int", -(1 << (8 * 65535 + 10)), "Integers are limited to 65535 bytes"),
    ("S2", np.array([b"ab"]), "is ambiguous or unknown"),
    ("timedelta", np.array([1], dtype="m8[s]"), "is ambiguous or unknown"),
    ("timedelta scalar", np.timedelta64(1, "s"), "is ambiguous or unknown"),
    ("void", np.zeros(2, dtype="V4"), "is ambiguous or unknown"),
    ("datetime multiple", np.array([1], dtype="M8[10s]"), "is ambiguous or unknown"),
    ("generic datetime", np.array(["NaT"], dtype="M8"), "is ambiguous or unknown"),
    ("float16 scalar", np.float16(1), "is ambiguous or unknown"),
    ("object", object(), "currently not supported"),
    ("nested unsupported", {"a": [1, object()]}, "currently not supported"),
]


@pytest.mark.parametrize(
    ("value", "message"), [n[1:] for n in NEGATIVE_WRITES], ids=[n[0] for n in NEGATIVE_WRITES]
)
def test_unsupported_values_raise(value: Any, message: str) -> None:
    with pytest.raises(DataJointError) as info:
        pack(value)
    assert message in str(info.value)


def test_self_referencing_value_raises() -> None:
    value: list[Any] = []
    value.append(value)
    with pytest.raises(DataJointError, match="nested"):
        pack(value)


def test_deep_blob_raises() -> None:
    inner = b"\xff"
    for _ in range(1000):
        inner = b"\x02" + struct.pack("<QQ", 1, len(inner)) + inner
    with pytest.raises(DataJointError, match="nested"):
        unpack(b"dj0\x00" + inner)


def test_the_deepest_packable_value_can_be_read() -> None:
    value: Any = None
    for _ in range(MAX_DEPTH - 1):
        value = [value]
    assert unpack(pack(value)) == value
    with pytest.raises(DataJointError, match="nested"):
        pack([value])
