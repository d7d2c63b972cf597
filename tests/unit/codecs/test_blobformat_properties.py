"""Property tests of the ``<blob>`` format: exact round trips and fuzzed input (spec 07 §11)."""

from __future__ import annotations

import datetime
import struct
import uuid
import zlib
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from datajoint.blob import MatCell, pack, unpack
from datajoint.codecs.blobread import _plain_array, _Reader
from datajoint.errors import DataJointError
from support.blobcheck import COMPRESSED, MATLAB, ROUND_TRIP, assert_same

DATETIME_UNITS = ("Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps", "fs", "as")
NUMERIC_DTYPES = [
    np.dtype(name)
    for name in (
        "<f8",
        "<f4",
        "<c16",
        "<c8",
        "i1",
        "u1",
        "<i2",
        "<u2",
        "<i4",
        "<u4",
        "<i8",
        "<u8",
    )
] + [np.dtype(f"<M8[{unit}]") for unit in DATETIME_UNITS]

shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4)
common = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def bit_pattern_arrays(draw: st.DrawFn) -> np.ndarray:
    """Arrays of every supported numeric dtype with arbitrary bit patterns (NaN payloads,
    signed zeros, NaT), and bool arrays; in C, Fortran, strided or big-endian layout."""
    dtype = draw(st.sampled_from([*NUMERIC_DTYPES, np.dtype(bool)]))
    shape = draw(shapes)
    if dtype.kind == "b":
        arr = draw(hnp.arrays(dtype, shape))
    else:
        size = int(np.prod(shape)) * dtype.itemsize
        raw = draw(st.binary(min_size=size, max_size=size))
        arr = np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    return arrange(draw, arr)


def arrange(draw: st.DrawFn, arr: np.ndarray) -> np.ndarray:
    """Optionally make the array Fortran-ordered, non-contiguous or big-endian."""
    layout = draw(st.sampled_from(["C", "F", "strided", "big-endian"]))
    if layout == "F":
        return np.asfortranarray(arr)
    if layout == "strided" and arr.ndim:
        doubled = np.repeat(arr, 2, axis=-1)
        return doubled[..., ::2]
    if layout == "big-endian" and arr.dtype.kind != "M" and arr.dtype.itemsize > 1:
        return arr.astype(arr.dtype.newbyteorder(">"))
    return arr


def expected_decode(arr: np.ndarray) -> Any:
    """What ``unpack(pack(arr))`` returns: same values, little-endian, NumPy scalar if 0-d."""
    out = np.array(arr, dtype=arr.dtype.newbyteorder("<"), order="C")
    return out[()] if out.ndim == 0 else out


@common
@given(bit_pattern_arrays())
def test_numeric_arrays_round_trip_bit_exactly(arr: np.ndarray) -> None:
    assert_same(unpack(pack(arr)), expected_decode(arr))
    matlab = arr.ndim > 0 and arr.dtype.kind != "M"
    assert pack(arr, compress=False)[:4] == (b"mYm\x00" if matlab else b"dj0\x00")


def general_reader(blob: bytes, squeeze: bool) -> Any:
    """What the general item reader makes of an uncompressed blob (no plain-array path)."""
    reader = _Reader(blob, 4, squeeze, use_32bit_dims=False)
    value = reader.item()
    assert reader.pos == len(blob)
    return value


@common
@given(bit_pattern_arrays(), st.booleans())
def test_plain_arrays_read_as_the_general_reader_reads_them(arr: np.ndarray, squeeze: bool) -> None:
    """unpack reads plain numeric arrays on a shorter path: same values, types, shapes,
    layout and writability as the general reader."""
    blob = pack(arr, compress=False)
    general = general_reader(blob, squeeze)
    short = _plain_array(blob, squeeze)
    if arr.ndim and arr.size and arr.dtype.kind in "iuf":
        assert short is not None  # the short path serves every plain real numeric array
        assert_same(short, general)
    fast = unpack(blob, squeeze=squeeze)
    assert_same(fast, general)
    if isinstance(general, np.ndarray):
        assert fast.flags.writeable and fast.flags.f_contiguous == general.flags.f_contiguous


@common
@given(bit_pattern_arrays(), st.data())
def test_plain_arrays_cut_or_padded_raise(arr: np.ndarray, data: st.DataObject) -> None:
    blob = pack(arr, compress=False)
    cut = data.draw(st.integers(5, len(blob) - 1)) if len(blob) > 5 else None
    for broken in ([blob[:cut]] if cut is not None else []) + [blob + b"\x00"]:
        with pytest.raises(DataJointError):
            unpack(broken)


@common
@given(hnp.arrays("S1", shapes, elements=st.integers(1, 255).map(lambda i: bytes([i]))))
def test_char_arrays_round_trip_as_unicode(arr: np.ndarray) -> None:
    decoded = unpack(pack(arr))
    chars = np.char.decode(arr, "latin-1")
    if arr.ndim == 0:
        assert_same(decoded, np.str_(chars.item()))
    elif arr.ndim == 1 or (arr.ndim == 2 and arr.shape[0] == 1):
        assert decoded.shape == (1,) and decoded[0] == "".join(chars.ravel())
    else:
        assert_same(decoded, chars.astype("<U1"))


@common
@given(hnp.arrays(hnp.unicode_string_dtypes(max_len=3), shapes))
def test_unicode_arrays_round_trip_as_object_arrays(arr: np.ndarray) -> None:
    decoded = unpack(pack(arr))
    if arr.ndim == 0:
        assert decoded == arr.item()
    else:
        assert_same(decoded, arr.astype(object))


# --- nested Python values -------------------------------------------------------------------


def as_cell(elements: list[Any]) -> MatCell:
    out = np.empty((len(elements), 1), dtype=object)
    for i, element in enumerate(elements):
        out[i, 0] = element
    return out.view(MatCell)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**600), max_value=2**600),
    st.floats(allow_nan=True, allow_infinity=True),
    st.complex_numbers(allow_nan=True),
    st.text(),
    st.binary(),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.uuids(),
    st.dates(),
    st.times(),
    st.datetimes(),
    st.builds(np.float32, st.floats(width=32)),
    st.builds(np.int16, st.integers(-(2**15), 2**15 - 1)),
    st.builds(np.bool_, st.booleans()),
)
hashables = st.one_of(st.none(), st.integers(), st.text(), st.uuids(), st.dates())
small_arrays = bit_pattern_arrays()
values = st.recursive(
    st.one_of(scalars, small_arrays),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=4).map(tuple),
        st.sets(hashables, max_size=4),
        st.dictionaries(hashables, children, max_size=4),
        st.lists(children, min_size=1, max_size=4).map(as_cell),
    ),
    max_leaves=20,
)


def normalize(value: Any) -> Any:
    """The decoded form of ``value``: arrays as ``expected_decode``, byte order etc."""
    if isinstance(value, MatCell):
        out = np.empty(value.shape, dtype=object)
        for index in np.ndindex(value.shape):
            out[index] = normalize(value[index])
        return out.view(MatCell)
    if isinstance(value, np.ndarray):
        return expected_decode(value)
    if isinstance(value, list):
        return [normalize(v) for v in value]
    if isinstance(value, tuple):
        return tuple(normalize(v) for v in value)
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in value.items()}
    return value


@common
@given(values)
def test_nested_values_round_trip(value: Any) -> None:
    for compress in (True, False):
        assert_same(unpack(pack(value, compress=compress)), normalize(value))


@common
@given(st.lists(st.floats(), min_size=200, max_size=400))
def test_long_values_are_compressed_when_it_helps(value: list[float]) -> None:
    data = pack(value)
    raw = pack(value, compress=False)
    if data != raw:
        assert data[:6] == b"ZL123\x00" and len(data) < len(raw)
        assert struct.unpack("<Q", data[6:14])[0] == len(raw)
        assert zlib.decompress(data[14:]) == raw
    assert_same(unpack(data), value)


# --- fuzzing: corrupt input raises DataJointError only --------------------------------------

SAMPLES = [bytes.fromhex(v[2]) for v in ROUND_TRIP] + list(MATLAB.values())
SAMPLES += list(COMPRESSED.values())
SAMPLES += [
    pack(
        {
            "a": [1, 2.5, "x", None, (b"y", {3})],
            "t": datetime.datetime(2020, 1, 2),
            "d": Decimal("1.5"),
            "u": uuid.UUID(int=5),
            "c": as_cell([np.zeros((2, 2)), np.array(["s"])]),
            "r": np.zeros(2, dtype=[("x", "f8"), ("o", "O")]),
        }
    )
]


def decode_or_fail_cleanly(data: bytes, use_32bit_dims: bool = False) -> None:
    try:
        unpack(data, use_32bit_dims=use_32bit_dims)
    except DataJointError:
        pass


@pytest.mark.parametrize("sample", SAMPLES, ids=range(len(SAMPLES)))
def test_every_truncation_raises(sample: bytes) -> None:
    for size in range(len(sample)):
        with pytest.raises(DataJointError):
            unpack(sample[:size])


@common
@given(st.sampled_from(SAMPLES), st.data())
def test_mutated_blobs_raise_only_datajoint_errors(sample: bytes, data: st.DataObject) -> None:
    mutated = bytearray(sample)
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(mutated) - 1))
        mutated[position] = data.draw(st.integers(0, 255))
    decode_or_fail_cleanly(bytes(mutated))
    decode_or_fail_cleanly(bytes(mutated), use_32bit_dims=True)


@common
@given(st.sampled_from([b"mYm\x00", b"dj0\x00", b"ZL123\x00"]), st.binary(max_size=200))
def test_random_bytes_raise_only_datajoint_errors(prefix: bytes, tail: bytes) -> None:
    decode_or_fail_cleanly(prefix + tail)
    decode_or_fail_cleanly(prefix + tail, use_32bit_dims=True)


@common
@given(st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1), st.integers(0, 20))
def test_absurd_lengths_raise_quickly(ndim: int, count: int, code: int) -> None:
    for item in (
        b"A" + struct.pack("<QQ", ndim, count),
        b"A" + struct.pack("<QQQII", 2, count, ndim, code, 0),
        b"C" + struct.pack("<QQ", 1, count),
        b"S" + struct.pack("<QQI", 1, count, code),
        bytes([code]) + struct.pack("<Q", count),
    ):
        decode_or_fail_cleanly(b"dj0\x00" + item + bytes(64))
