"""The ``<blob>`` reader: bytes to Python and NumPy values (spec 07 §3–§5, §7, §8, §10).

Every read is bounds-checked against the end of the current item, and every count is checked
against the bytes that remain, so a corrupt blob raises :class:`DataJointError` instead of
hanging, allocating absurdly or leaking a NumPy/struct exception. Numeric payloads are decoded
with one ``numpy.frombuffer`` each and copied, so results never reference the input buffer.
"""

from __future__ import annotations

import datetime
import decimal
import math
import struct
import sys
import uuid
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import DataJointError
from .blobtypes import (
    CODE_ARRAY,
    CODE_BOOL,
    CODE_BYTES,
    CODE_CELL,
    CODE_COMPLEX,
    CODE_DATETIME,
    CODE_DECIMAL,
    CODE_DICT,
    CODE_FLOAT,
    CODE_INT,
    CODE_LIST,
    CODE_NONE,
    CODE_RECARRAY,
    CODE_SET,
    CODE_SPARSE,
    CODE_STR,
    CODE_STRUCT,
    CODE_TUPLE,
    CODE_UUID,
    COMPRESSION_TAG,
    DATETIME_BASE,
    HEADER_DJ0,
    HEADER_MYM,
    MAX_DEPTH,
    NUMERIC_DTYPES,
    TYPE_CHAR,
    TYPE_LOGICAL,
    TYPE_VOID,
    MatCell,
    MatStruct,
    invalid,
)

_U64 = struct.Struct("<Q")
_U32 = struct.Struct("<I")
_U16 = struct.Struct("<H")
_F64 = struct.Struct("<d")
_C128 = struct.Struct("<dd")
_TYPE = struct.Struct("<II")
_DATETIME = struct.Struct("<iq")
_INFLATE_CHUNK = 1 << 24

# exceptions that NumPy, struct, zlib and the standard library raise on malformed input
_MALFORMED = (
    ValueError,
    TypeError,
    IndexError,
    KeyError,
    OverflowError,
    ArithmeticError,
    struct.error,
    zlib.error,
)


class _Reader:
    """Decodes one protocol payload (the bytes after the protocol header)."""

    __slots__ = ("data", "depth", "end", "len_dtype", "len_struct", "pos", "squeeze")

    def __init__(self, data: bytes, pos: int, squeeze: bool, use_32bit_dims: bool) -> None:
        self.data = data
        self.pos = pos
        self.end = len(data)
        self.squeeze = squeeze
        self.len_struct = _U32 if use_32bit_dims else _U64
        self.len_dtype = np.dtype("<u4" if use_32bit_dims else "<u8")
        self.depth = 0

    # --- primitive reads ---------------------------------------------------------------
    def need(self, size: int) -> None:
        if size > self.end - self.pos:
            raise invalid("truncated")

    def take(self, size: int) -> bytes:
        self.need(size)
        start = self.pos
        self.pos += size
        return self.data[start : self.pos]

    def fixed(self, layout: struct.Struct) -> tuple[Any, ...]:
        self.need(layout.size)
        values = layout.unpack_from(self.data, self.pos)
        self.pos += layout.size
        return values

    def length(self) -> int:
        return int(self.fixed(self.len_struct)[0])

    def count(self, min_bytes_each: int) -> int:
        """Read a ``LEN`` count of things that take at least ``min_bytes_each`` bytes each."""
        value = self.length()
        if value * min_bytes_each > self.end - self.pos:
            raise invalid("truncated")
        return value

    def zstr(self) -> str:
        stop = self.data.find(b"\x00", self.pos, self.end)
        if stop < 0:
            raise invalid("truncated")
        text = self.data[self.pos : stop].decode("utf-8")
        self.pos = stop + 1
        return text

    def buffer(self, dtype: np.dtype | str, n: int) -> np.ndarray:
        """``n`` elements of ``dtype`` as a read-only view of the input."""
        dtype = np.dtype(dtype)
        self.need(n * dtype.itemsize)
        if n == 0:
            return np.empty(0, dtype)
        out = np.frombuffer(self.data, dtype, count=n, offset=self.pos)
        self.pos += n * dtype.itemsize
        return out

    def shape(self) -> tuple[int, ...]:
        ndim = self.count(self.len_struct.size)
        return tuple(int(d) for d in self.buffer(self.len_dtype, ndim))

    # --- items -------------------------------------------------------------------------
    def item(self) -> Any:
        if self.depth >= MAX_DEPTH:
            raise invalid(f"nested more than {MAX_DEPTH} levels deep")
        code = self.take(1)[0]
        read = _ITEM_READERS.get(code)
        if read is None:
            if code == CODE_SPARSE:
                raise DataJointError(
                    "datajoint-python does not yet support sparse arrays. Issue (#590)"
                )
            raise DataJointError(f'Unknown data structure code "{chr(code)}". Upgrade datajoint.')
        self.depth += 1
        try:
            return read(self)
        finally:
            self.depth -= 1

    def nested(self) -> Any:
        """``LEN byte_length`` followed by an item that must fit in that many bytes."""
        size = self.length()
        self.need(size)
        stop, outer_end = self.pos + size, self.end
        self.end = stop
        try:
            value = self.item()
        finally:
            self.end = outer_end
        self.pos = stop
        return value

    def elements(self, n: int) -> np.ndarray:
        """``n`` length-prefixed items as a 1-D object array (built element by element)."""
        if n * (self.len_struct.size + 1) > self.end - self.pos:
            raise invalid("truncated")
        out = np.empty(n, dtype=object)
        for i in range(n):
            out[i] = self.nested()
        return out

    def shaped(self, flat: np.ndarray, shape: tuple[int, ...]) -> Any:
        """Reshape decoded data column-major; ``ndim == 0`` gives a NumPy scalar (§5.1, §8)."""
        if not shape:
            value = flat[0]
            return value.item() if self.squeeze and isinstance(value, np.generic) else value
        arr = flat.reshape(shape, order="F")
        if self.squeeze:
            arr = arr.squeeze()
            if arr.ndim == 0:
                return arr.item()
        return arr

    def array(self) -> Any:
        shape = self.shape()
        type_id, is_complex = self.fixed(_TYPE)
        n = math.prod(shape)
        if is_complex not in (0, 1):
            raise invalid(f"complexity flag {is_complex}")
        if type_id == TYPE_CHAR and not is_complex:
            return self.char(shape, n)
        if type_id == TYPE_VOID and not is_complex:
            return self.shaped(self.elements(n), shape)
        dtype = NUMERIC_DTYPES.get(type_id)
        if dtype is None:
            raise invalid(f"unsupported array type id {type_id}")
        if not is_complex:
            data = self.buffer(dtype, n)
            flat = data != 0 if type_id == TYPE_LOGICAL else data.copy()
            return self.shaped(flat, shape)
        if type_id == TYPE_LOGICAL or type_id >= DATETIME_BASE:
            raise invalid(f"complex array of type id {type_id}")
        real = self.buffer(dtype, n)
        imag = self.buffer(dtype, n)
        flat = np.empty(n, np.complex64 if dtype == np.float32 else np.complex128)
        flat.real = real  # assigning the parts keeps signed zeros (§8)
        flat.imag = imag
        return self.shaped(flat, shape)

    def char(self, shape: tuple[int, ...], n: int) -> Any:
        """CHAR (§5.1): MATLAB UTF-16 code units; a row becomes one string in a ``(1,)`` array."""
        units = self.buffer("<u2", n)
        if len(shape) == 1 or (len(shape) == 2 and shape[0] == 1):
            text = units.tobytes().decode("utf-16-le", "surrogatepass")
            return self.shaped(np.array([text]), (1,))
        return self.shaped(units.astype("<u4").view("<U1"), shape)

    def cell(self) -> MatCell:
        shape = self.shape()
        n = math.prod(shape)
        flat = self.elements(n)
        if n == 0:
            return flat.view(MatCell)
        arr = flat.reshape(shape, order="F")
        return (arr.squeeze() if self.squeeze else arr).view(MatCell)

    def field_names(self) -> list[str]:
        n_fields = self.fixed(_U32)[0]
        if n_fields > self.end - self.pos:
            raise invalid("truncated")
        return [self.zstr() for _ in range(n_fields)]

    def struct(self) -> MatStruct | np.ndarray:
        shape = self.shape()
        names = self.field_names()
        if not names:
            return np.array(None)
        n = math.prod(shape)
        if n * len(names) * (self.len_struct.size + 1) > self.end - self.pos:
            raise invalid("truncated")
        columns = [np.empty(n, dtype=object) for _ in names]
        for i in range(n):
            for column in columns:
                column[i] = self.nested()
        records = np.empty(n, dtype=[(name, object) for name in names])
        for name, column in zip(names, columns, strict=True):
            records[name] = column
        arr = records.reshape(shape, order="F")
        return (arr.squeeze() if self.squeeze else arr).view(MatStruct)

    def recarray(self) -> np.ndarray:
        names = self.field_names()
        if not names:
            return np.array(None)
        columns = [np.asarray(self.item()) for _ in names]
        records = np.empty(
            columns[0].shape,
            dtype=[(name, c.dtype) for name, c in zip(names, columns, strict=True)],
        )
        for name, column in zip(names, columns, strict=True):
            records[name] = column
        return records.view(np.recarray)

    # --- Python built-ins (dj0) --------------------------------------------------------
    def none(self) -> None:
        return None

    def boolean(self) -> bool:
        return bool(self.take(1)[0])

    def integer(self) -> int:
        size = self.fixed(_U16)[0]
        return int.from_bytes(self.take(size), "little", signed=True)

    def real(self) -> float:
        return float(self.fixed(_F64)[0])

    def complex(self) -> complex:
        real, imag = self.fixed(_C128)
        return complex(real, imag)

    def text(self) -> bytes:
        return self.take(self.length())

    def string(self) -> str:
        return self.text().decode("utf-8", "surrogatepass")

    def bytes_(self) -> bytes:
        return self.text()

    def decimal(self) -> decimal.Decimal:
        return decimal.Decimal(self.text().decode("ascii"))

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(bytes=self.take(16))

    def datetime(self) -> datetime.date | datetime.time | None:
        date_code, time_code = self.fixed(_DATETIME)
        date = time = None
        if date_code != -1:
            year, month_day = divmod(date_code, 10000)
            month, day = divmod(month_day, 100)
            date = datetime.date(year, month, day)
        if time_code != -1:
            seconds, microsecond = divmod(time_code, 1_000_000)
            hour, minute_second = divmod(seconds, 10000)
            minute, second = divmod(minute_second, 100)
            time = datetime.time(hour, minute, second, microsecond)
        if date is not None and time is not None:
            return datetime.datetime.combine(date, time)
        return date if date is not None else time

    def sequence(self) -> list[Any]:
        return [self.nested() for _ in range(self.count(self.len_struct.size + 1))]

    def tuple_(self) -> tuple[Any, ...]:
        return tuple(self.sequence())

    def set_(self) -> set[Any]:
        return set(self.sequence())

    def dict_(self) -> dict[Any, Any]:
        pairs = self.count(2 * (self.len_struct.size + 1))
        out = {}
        for _ in range(pairs):
            key = self.nested()
            out[key] = self.nested()
        return out


_ITEM_READERS: dict[int, Callable[[_Reader], Any]] = {
    CODE_ARRAY: _Reader.array,
    CODE_CELL: _Reader.cell,
    CODE_STRUCT: _Reader.struct,
    CODE_RECARRAY: _Reader.recarray,
    CODE_NONE: _Reader.none,
    CODE_TUPLE: _Reader.tuple_,
    CODE_LIST: _Reader.sequence,
    CODE_SET: _Reader.set_,
    CODE_DICT: _Reader.dict_,
    CODE_STR: _Reader.string,
    CODE_BYTES: _Reader.bytes_,
    CODE_INT: _Reader.integer,
    CODE_BOOL: _Reader.boolean,
    CODE_COMPLEX: _Reader.complex,
    CODE_FLOAT: _Reader.real,
    CODE_DECIMAL: _Reader.decimal,
    CODE_DATETIME: _Reader.datetime,
    CODE_UUID: _Reader.uuid,
}


def inflate(data: bytes, use_32bit_dims: bool) -> bytes:
    """Undo the ``ZL123`` compression envelope (§3.2), checking the stored length."""
    length = _U32 if use_32bit_dims else _U64
    start = len(COMPRESSION_TAG) + length.size
    if len(data) < start:
        raise invalid("truncated")
    expected = length.unpack_from(data, len(COMPRESSION_TAG))[0]
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data[start:], min(expected + 1, sys.maxsize))
        if len(out) != expected:
            got = len(out)
            while inflater.unconsumed_tail:  # count the surplus without keeping it
                got += len(inflater.decompress(inflater.unconsumed_tail, _INFLATE_CHUNK))
            raise DataJointError(f"Blob size mismatch: expected {expected}, got {got}")
    except zlib.error as error:
        raise invalid(f"corrupt compressed data ({error})") from None
    if not inflater.eof:
        raise invalid("truncated compressed data")
    return out


_ARRAY_CODE = bytes((CODE_ARRAY,))
_SHAPES = {ndim: struct.Struct(f"<{ndim}Q") for ndim in range(1, 9)}


def _plain_array(data: bytes, squeeze: bool) -> Any:
    """The most frequent value, a non-empty real numeric array of 1 to 8 dimensions, read
    without the general reader (the same result); None for anything else, which the general
    reader decodes or reports."""
    layout = _SHAPES.get(_U64.unpack_from(data, 5)[0]) if len(data) >= 13 else None
    if layout is None or len(data) < 13 + layout.size + _TYPE.size:
        return None
    shape = layout.unpack_from(data, 13)
    start = 13 + layout.size + _TYPE.size
    type_id, is_complex = _TYPE.unpack_from(data, start - _TYPE.size)
    dtype = NUMERIC_DTYPES.get(type_id)
    n = math.prod(shape)
    if is_complex or dtype is None or type_id == TYPE_LOGICAL or n == 0:
        return None
    if start + n * dtype.itemsize != len(data):
        return None
    arr = np.frombuffer(data, dtype, n, start).copy().reshape(shape, order="F")
    if squeeze:
        arr = arr.squeeze()
        if arr.ndim == 0:
            return arr.item()
    return arr


def unpack(
    blob: bytes | bytearray | memoryview | None,
    squeeze: bool = False,
    *,
    use_32bit_dims: bool = False,
) -> Any:
    """Decode a ``<blob>`` value; see :func:`datajoint.codecs.blobformat.unpack`."""
    if blob is None:
        return None
    if not isinstance(blob, bytes | bytearray | memoryview):
        raise DataJointError(f"Cannot unpack a blob from an object of type {type(blob)}")
    data = bytes(blob)
    try:
        if data.startswith(COMPRESSION_TAG):
            data = inflate(data, use_32bit_dims)
        header = data[:4]
        if header not in (HEADER_MYM, HEADER_DJ0):
            raise DataJointError(f"Unknown blob protocol {header!r}: not a DataJoint blob")
        if data[4:5] == _ARRAY_CODE and not use_32bit_dims:
            value = _plain_array(data, squeeze)
            if value is not None:
                return value
        reader = _Reader(data, len(header), squeeze, use_32bit_dims)
        value = reader.item()
    except DataJointError:
        raise
    except RecursionError:
        raise invalid("nested too deeply") from None
    except _MALFORMED as error:
        raise invalid(f"{type(error).__name__}: {error}") from None
    if reader.pos != len(data):
        raise DataJointError("Blob length check failed! Invalid blob")
    return value
