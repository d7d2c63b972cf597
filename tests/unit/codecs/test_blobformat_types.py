"""The ``<blob>`` writer dispatch, protocol headers and reader details (spec 07 §3–§8)."""

from __future__ import annotations

import collections
import datetime
import enum
import struct
import uuid
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

import datajoint as dj
from datajoint.blob import MatCell, MatStruct, pack, unpack
from datajoint.codecs import blobformat
from datajoint.errors import DataJointError
from support.blobcheck import assert_same, cell


def round_trip(value: Any, **kwargs: Any) -> Any:
    return unpack(pack(value), **kwargs)


def header(value: Any) -> bytes:
    return pack(value, compress=False)[:4]


# --- public API ----------------------------------------------------------------------------


def test_public_names() -> None:
    assert dj.MatCell is MatCell is blobformat.MatCell
    assert dj.MatStruct is MatStruct is blobformat.MatStruct
    assert dj.blob.pack is blobformat.pack
    assert issubclass(MatCell, np.ndarray) and issubclass(MatStruct, np.recarray)


def test_flag_set_on_datajoint_blob_reaches_the_implementation() -> None:
    assert dj.blob.use_32bit_dims is False and blobformat.use_32bit_dims is False
    data = b"mYm\x00A" + struct.pack("<IIII", 1, 2, 9, 0) + b"\x07\x08"
    with pytest.raises(DataJointError):
        blobformat.unpack(data)
    dj.blob.use_32bit_dims = True
    try:
        assert blobformat.use_32bit_dims is True
        assert_same(blobformat.unpack(data), np.array([7, 8], dtype=np.uint8))
        assert_same(dj.blob.unpack(data), np.array([7, 8], dtype=np.uint8))
        with pytest.raises(DataJointError):
            blobformat.unpack(data, use_32bit_dims=False)
    finally:
        dj.blob.use_32bit_dims = False
    assert blobformat.use_32bit_dims is False


def test_unpack_rejects_non_bytes() -> None:
    with pytest.raises(DataJointError, match="Cannot unpack"):
        unpack("dj0\x00\xff")  # type: ignore[arg-type]


# --- §3.3 protocol header ------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        np.zeros((2, 3, 4)),
        np.array([True]),
        np.array([[b"a", b"b"]]),
        np.arange(6, dtype=np.uint16).reshape(2, 3, order="F"),
        cell(np.zeros(3), np.array([b"x"])),
        cell(cell(np.ones(2))),
        np.zeros((0, 3)),
    ],
    ids=["float", "bool", "char", "uint16", "cell", "nested-cell", "empty"],
)
def test_matlab_values_use_mym(value: Any) -> None:
    assert header(value) == b"mYm\x00"


def struct_of(**fields: Any) -> MatStruct:
    out = np.empty((1, 1), dtype=[(name, object) for name in fields])
    for name, value in fields.items():
        out[name][0, 0] = value
    return out.view(MatStruct)


@pytest.mark.parametrize(
    "value",
    [
        [np.zeros(3)],
        np.array(2.0),
        np.float32(1),
        np.array(["a"]),
        np.array([1, None], dtype=object),
        np.array(["2020-01-01"], dtype="M8[D]"),
        cell(np.zeros(2), 1.0),
        cell(np.zeros(2), np.array(3)),
        struct_of(a=np.zeros(2), b=np.array(["2020"], dtype="M8[Y]")),
        cell(struct_of(a=np.array("text"))),
        np.zeros(2, dtype=[("x", "f8")]),
    ],
)
def test_python_specific_values_anywhere_switch_to_dj0(value: Any) -> None:
    assert header(value) == b"dj0\x00"


def test_struct_of_plain_arrays_uses_mym() -> None:
    assert header(struct_of(a=np.zeros(2), b=np.array([[b"a"]]))) == b"mYm\x00"


# --- §6 writer dispatch consequences --------------------------------------------------------


class Color(enum.IntEnum):
    RED = 3


class Frozen(collections.abc.Mapping):
    def __init__(self, **items: Any) -> None:
        self._items = items

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __iter__(self) -> Any:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (range(3), (0, 1, 2)),
        (frozenset({1, 2}), {1, 2}),
        (bytearray(b"ab"), b"ab"),
        (np.str_("hi"), "hi"),
        (np.bytes_(b"hi"), b"hi"),
        (np.float32(1.5), np.float32(1.5)),
        (np.complex64(1 + 2j), np.complex64(1 + 2j)),
        (np.complex128(1 - 2j), np.complex128(1 - 2j)),
        (np.int32(-7), np.int32(-7)),
        (np.datetime64("2021-03-04", "D"), np.datetime64("2021-03-04", "D")),
        (np.datetime64("NaT", "ns"), np.datetime64("NaT", "ns")),
        (Color.RED, 3),
        (collections.OrderedDict(b=1, a=2), {"b": 1, "a": 2}),
        (Frozen(x=1), {"x": 1}),
        (collections.deque([1, 2]), [1, 2]),
        ({"a": {"b": {"c": [1, (2, {3})]}}}, {"a": {"b": {"c": [1, (2, {3})]}}}),
        ({1: "one", (1, 2): "tuple", None: "none"}, {1: "one", (1, 2): "tuple", None: "none"}),
        (-(2**1000) + 1, -(2**1000) + 1),
        (2**64, 2**64),
        (float("nan"), float("nan")),
        (-0.0, -0.0),
        (complex(-0.0, float("inf")), complex(-0.0, float("inf"))),
        ("", ""),
        ("\U0001f600 \x00 done", "\U0001f600 \x00 done"),
        (b"", b""),
        (Decimal("1E+3"), Decimal("1E+3")),
        (Decimal("-0.000"), Decimal("-0.000")),
        (Decimal("NaN"), Decimal("NaN")),
        (uuid.UUID(int=0), uuid.UUID(int=0)),
        (datetime.date(1, 1, 1), datetime.date(1, 1, 1)),
        (datetime.time(0, 0), datetime.time(0, 0)),
        (datetime.time(23, 59, 59, 999999), datetime.time(23, 59, 59, 999999)),
        (datetime.datetime(9999, 12, 31, 23, 59), datetime.datetime(9999, 12, 31, 23, 59)),
    ],
    ids=repr,
)
def test_dispatch_round_trips(value: Any, expected: Any) -> None:
    assert_same(round_trip(value), expected)


def test_aware_datetime_loses_its_timezone() -> None:
    tz = datetime.timezone(datetime.timedelta(hours=5))
    value = datetime.datetime(2020, 1, 2, 3, 4, 5, 6, tzinfo=tz)
    assert_same(round_trip(value), datetime.datetime(2020, 1, 2, 3, 4, 5, 6))
    assert_same(round_trip(datetime.time(1, 2, tzinfo=tz)), datetime.time(1, 2))


def test_sets_of_strings_are_written_in_sorted_order() -> None:
    data = pack({"b", "c", "a"})
    assert data.index(b"a") < data.index(b"b") < data.index(b"c")
    assert round_trip({"b", "c", "a"}) == {"a", "b", "c"}


def test_datetime_code_decoding_without_either_part_is_none() -> None:
    assert unpack(b"dj0\x00t" + struct.pack("<iq", -1, -1)) is None


# --- arrays ---------------------------------------------------------------------------------


def test_memory_layout_does_not_change_the_bytes() -> None:
    c_order = np.arange(24, dtype=np.int32).reshape(2, 3, 4)
    f_order = np.asfortranarray(c_order)
    sliced = np.arange(48, dtype=np.int32).reshape(2, 3, 8)[:, :, ::2]
    assert pack(c_order) == pack(f_order)
    np.testing.assert_array_equal(sliced, c_order * 2)
    assert_same(round_trip(sliced), sliced.copy())
    assert_same(round_trip(f_order), c_order)


def test_big_endian_arrays_are_converted() -> None:
    value = np.array([[1.5, -2.0]], dtype=">f8")
    assert pack(value) == pack(value.astype("<f8"))
    assert_same(round_trip(value), np.array([[1.5, -2.0]]))
    assert pack(np.array([7], dtype=">u4")) == pack(np.array([7], dtype="<u4"))


def test_decoded_arrays_are_writeable_copies() -> None:
    data = pack(np.arange(5.0))
    value = unpack(data)
    value[0] = 42.0
    assert unpack(data)[0] == 0.0
    assert unpack(pack(np.array([True, False]))).tolist() == [True, False]


def test_complex_signed_zeros_survive() -> None:
    value = np.array([complex(1.0, -0.0), complex(-0.0, 0.0)])
    data = pack(value)
    assert pack(unpack(data)) == data
    assert_same(unpack(data), value)


def test_matlab_complex_integer_array_decodes_to_complex128() -> None:
    data = (
        b"mYm\x00A"
        + struct.pack("<QQII", 1, 2, 12, 1)
        + np.array([1, -2], "<i4").tobytes()
        + np.array([0, 3], "<i4").tobytes()
    )
    assert_same(unpack(data), np.array([1 + 0j, -2 + 3j]))


@pytest.mark.parametrize("type_id", [3, 4, 5, 65536])
def test_complex_flag_on_non_numeric_types_raises(type_id: int) -> None:
    data = b"mYm\x00A" + struct.pack("<QQII", 1, 1, type_id, 1) + bytes(32)
    with pytest.raises(DataJointError):
        unpack(data)


def test_char_matrix_is_written_column_major() -> None:
    value = np.array([[b"a", b"b"], [b"c", b"d"]])
    data = pack(value)
    assert data.endswith(b"a\x00c\x00b\x00d\x00")
    assert_same(unpack(data), np.array([["a", "b"], ["c", "d"]]))


def test_matlab_char_matrix_and_rows() -> None:
    def char(shape: tuple[int, ...], text: str) -> bytes:
        units = np.array([ord(c) for c in text], dtype="<u2").tobytes()
        head = struct.pack(f"<Q{len(shape)}QII", len(shape), *shape, 4, 0)
        return b"mYm\x00A" + head + units

    assert_same(unpack(char((2, 2), "acbd")), np.array([["a", "b"], ["c", "d"]]))
    assert_same(unpack(char((1, 1), "x")), np.array(["x"]))
    assert_same(unpack(char((1, 0), "")), np.array([""]))
    assert_same(unpack(char((0, 0), "")), np.empty((0, 0), dtype="<U1"))
    assert_same(unpack(char((1, 3), "h\xe9\u20ac")), np.array(["h\xe9\u20ac"]))
    assert_same(unpack(char((2,), "ab")), np.array(["ab"]))
    assert unpack(char((1, 5), "hello"), squeeze=True) == "hello"


def test_zero_dimensional_char_array() -> None:
    assert_same(round_trip(np.array(b"q")), np.str_("q"))


def test_object_arrays_of_equal_length_sequences_keep_their_shape() -> None:
    value = np.empty(2, dtype=object)
    value[0] = np.array([1.0, 2.0])
    value[1] = np.array([3.0, 4.0])
    assert_same(round_trip(value), value)
    ragged = np.empty((2, 1), dtype=object)
    ragged[0, 0] = [1, 2]
    ragged[1, 0] = (3, 4)
    assert_same(round_trip(ragged), ragged)


def test_ragged_and_empty_cells() -> None:
    value = cell(np.zeros((2, 3)), np.array([]), cell(np.array([1])), "text", np.array([[1, 2]]))
    decoded = round_trip(value)
    assert type(decoded) is MatCell
    assert_same(decoded, value)
    value[0, 2] = cell()  # an empty 1 x 0 cell decodes with shape (0,)
    assert_same(round_trip(value)[0, 2], np.empty(0, dtype=object).view(MatCell))
    empty = np.empty((0, 0), dtype=object).view(MatCell)
    assert_same(round_trip(empty), np.empty(0, dtype=object).view(MatCell))


def test_struct_arrays_round_trip() -> None:
    s = np.empty((2, 3), dtype=[("a", object), ("bb", object)]).view(MatStruct)
    for i in range(2):
        for j in range(3):
            s["a"][i, j] = np.full((1, i + 1), float(j))
            s["bb"][i, j] = cell(np.array([[i, j]], dtype=np.int8))
    decoded = round_trip(s)
    assert type(decoded) is MatStruct
    assert_same(decoded, s)
    assert decoded[1, 2].a.shape == (1, 2)


def test_struct_and_recarray_without_fields_decode_to_none_array() -> None:
    for code in (b"S" + struct.pack("<QQQ", 2, 1, 1), b"F"):
        data = b"mYm\x00" + code + struct.pack("<I", 0)
        value = unpack(data)
        assert type(value) is np.ndarray and value.shape == () and value.item() is None


def test_record_arrays_round_trip() -> None:
    inner = np.dtype([("p", "<i2"), ("q", "O")])
    dtype = np.dtype([("x", "<f8"), ("name", "O"), ("nested", inner), ("when", "M8[ms]")])
    value = np.zeros((2, 2), dtype=dtype)
    for (i, j), name, q in zip(
        np.ndindex(2, 2), ["a", 1, None, [2]], [{}, (), "z", 2.5], strict=True
    ):
        value["name"][i, j] = name
        value["nested"]["q"][i, j] = q
    value["x"] = [[1, 2], [3, 4]]
    decoded = round_trip(value)
    assert type(decoded) is np.recarray and decoded.shape == (2, 2)
    assert decoded.dtype.names == dtype.names
    assert_same(np.asarray(decoded.x), value["x"])
    assert_same(np.asarray(decoded.name), value["name"])
    assert_same(np.asarray(decoded.nested.q), value["nested"]["q"])
    assert_same(np.asarray(decoded.nested.p), value["nested"]["p"])
    assert_same(np.asarray(decoded.when), value["when"])
    assert_same(round_trip(value.view(np.recarray)).x, decoded.x)


# --- §8 squeeze -----------------------------------------------------------------------------


def test_squeeze() -> None:
    assert_same(round_trip(np.array([[2.5]]), squeeze=True), 2.5)
    assert_same(round_trip(np.float32(2.5), squeeze=True), 2.5)
    assert_same(round_trip(np.zeros((1, 3, 1)), squeeze=True), np.zeros(3))
    assert_same(round_trip([np.array([[1]])], squeeze=True), [1])
    squeezed = round_trip(cell(np.array([[7.0]])), squeeze=True)
    assert type(squeezed) is MatCell and squeezed.shape == () and squeezed.item() == 7.0
    assert_same(round_trip(np.array([["ab"]], dtype=object), squeeze=True), "ab")
