"""The ``<blob>`` writer: Python and NumPy values to bytes (spec 07 §3, §5, §6).

Array payloads are produced with NumPy buffer operations (``tobytes(order="F")``); only
containers (object arrays, cells, structs, lists, dicts, ...) are walked element by element.
"""

from __future__ import annotations

import collections.abc
import datetime
import decimal
import functools
import math
import struct
import uuid
import zlib
from typing import Any, Literal

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
    CODE_STR,
    CODE_STRUCT,
    CODE_TUPLE,
    CODE_UUID,
    COMPRESS_THRESHOLD,
    COMPRESSION_TAG,
    DATETIME_BASE,
    DATETIME_UNITS,
    HEADER_DJ0,
    HEADER_MYM,
    KIND_TO_TYPE,
    MAX_DEPTH,
    MAX_INT_BYTES,
    MIN_ESTIMATED_SAVING,
    PROBE_FROM,
    PROBE_MIN_SAMPLE,
    PROBE_SAMPLE,
    PROBE_THREE_FROM,
    REPEAT_SAVING,
    TYPE_CHAR,
    TYPE_VOID,
    MatCell,
    MatStruct,
)

_LEN = struct.Struct("<Q")  # writers always emit 64-bit lengths
_U32 = struct.Struct("<I")
_TYPE = struct.Struct("<II")  # type_id, is_complex
_INT_HEAD = struct.Struct("<BH")
_FLOAT = struct.Struct("<Bd")
_COMPLEX = struct.Struct("<Bdd")
_DATETIME = struct.Struct("<Biq")


def array_type(dtype: np.dtype) -> tuple[int, bool]:
    """Return ``(type_id, is_complex)`` of an ``A`` item for a little-endian ``dtype``.

    Raises
    ------
    DataJointError
        If the dtype has no representation in the format.
    """
    kind = dtype.kind
    if kind in "OU":
        return TYPE_VOID, False
    if kind == "S" and dtype.itemsize == 1:
        return TYPE_CHAR, False
    if kind == "M":
        unit, count = np.datetime_data(dtype)
        if count == 1 and unit in DATETIME_UNITS:
            return DATETIME_BASE + DATETIME_UNITS.index(unit), False
    else:
        found = KIND_TO_TYPE.get((kind, dtype.itemsize))
        if found is not None:
            return found
    raise DataJointError(f"Type {dtype} is ambiguous or unknown")


def _date_code(value: datetime.date) -> int:
    return (value.year * 100 + value.month) * 100 + value.day


def _time_code(value: datetime.time | datetime.datetime) -> int:
    seconds = (value.hour * 100 + value.minute) * 100 + value.second
    return seconds * 1_000_000 + value.microsecond


def _set_order(value: collections.abc.Set[Any]) -> list[Any]:
    """Sets of strings (or of bytes) are written sorted so that their bytes are deterministic.

    Their iteration order depends on the hash seed of the process anyway; other sets keep
    their iteration order, which is what upstream writes.
    """
    items = list(value)
    if items and (all(type(e) is str for e in items) or all(type(e) is bytes for e in items)):
        items.sort()
    return items


def _column_major(arr: np.ndarray) -> bytes | memoryview:
    """The elements of ``arr`` in column-major order: a view of its own memory when it is laid
    out that way (1-D and Fortran-ordered arrays; joined into the blob with no intermediate
    copy), else a copy."""
    if arr.flags.f_contiguous and arr.size:
        return arr.ravel(order="F").view(np.uint8).data
    return arr.tobytes(order="F")


class _Writer:
    """Serializes one value into a list of byte chunks, joined once at the end."""

    __slots__ = ("chunks", "depth", "dj0", "size")

    def __init__(self) -> None:
        self.chunks: list[bytes | memoryview] = [b""]  # chunk 0: the protocol header, set last
        self.size = 0
        self.depth = 0
        self.dj0 = False

    def put(self, data: bytes | memoryview) -> None:
        self.chunks.append(data)
        self.size += len(data)

    def put_len(self, value: int) -> None:
        self.put(_LEN.pack(value))

    def nested(self, obj: Any) -> None:
        """Write ``LEN byte_length`` followed by the item of ``obj``."""
        slot = len(self.chunks)
        self.put(b"")  # placeholder for the length, filled in below
        self.size += _LEN.size
        start = self.size
        self.item(obj)
        self.chunks[slot] = _LEN.pack(self.size - start)

    def item(self, obj: Any) -> None:
        """Write the item of ``obj`` following the dispatch of spec 07 §6."""
        if self.depth >= MAX_DEPTH:
            raise DataJointError(f"Cannot pack a value nested more than {MAX_DEPTH} levels deep")
        self.depth += 1
        try:
            if isinstance(obj, MatCell):
                self.cell(obj)
            elif isinstance(obj, MatStruct):
                self.struct(obj)
            elif isinstance(obj, np.ndarray) and obj.dtype.names is None:
                self.array(obj)
            else:
                self.dj0 = True
                self.python(obj)
        finally:
            self.depth -= 1

    def python(self, obj: Any) -> None:
        """Rules 5-22 of the writer dispatch: everything that is written as ``dj0``."""
        # NumPy scalars that subclass Python types (float64, complex128) are written as 0-d
        # "A" items (rule 10) so that they decode with their own dtype
        numpy_scalar = isinstance(obj, np.generic)
        if isinstance(obj, bool):
            self.put(bytes((CODE_BOOL, obj)))
        elif isinstance(obj, int) and not numpy_scalar:
            self.integer(int(obj))
        elif isinstance(obj, complex) and not numpy_scalar:
            self.put(_COMPLEX.pack(CODE_COMPLEX, obj.real, obj.imag))
        elif isinstance(obj, float) and not numpy_scalar:
            self.put(_FLOAT.pack(CODE_FLOAT, obj))
        elif isinstance(obj, np.ndarray):
            self.recarray(obj)
        elif isinstance(obj, np.number | np.datetime64 | np.bool_):
            self.array(np.asarray(obj))
        elif isinstance(obj, datetime.date | datetime.time):
            self.datetime(obj)
        elif isinstance(obj, decimal.Decimal):
            self.put(bytes((CODE_DECIMAL,)))
            self.text(str(obj).encode("ascii"))
        elif isinstance(obj, uuid.UUID):
            self.put(bytes((CODE_UUID,)) + obj.bytes)
        elif isinstance(obj, collections.abc.Mapping):
            self.put(bytes((CODE_DICT,)))
            self.put_len(len(obj))
            for key, value in obj.items():
                self.nested(key)
                self.nested(value)
        elif isinstance(obj, str):
            self.put(bytes((CODE_STR,)))
            self.text(obj.encode("utf-8", "surrogatepass"))
        elif isinstance(obj, bytes | bytearray):
            self.put(bytes((CODE_BYTES,)))
            self.text(bytes(obj))
        elif isinstance(obj, collections.abc.MutableSequence):
            self.sequence(CODE_LIST, obj)
        elif isinstance(obj, collections.abc.Sequence):
            self.sequence(CODE_TUPLE, obj)
        elif isinstance(obj, collections.abc.Set):
            self.sequence(CODE_SET, _set_order(obj))
        elif obj is None:
            self.put(bytes((CODE_NONE,)))
        else:
            raise DataJointError(f"Packing object of type {type(obj)} currently not supported!")

    # --- built-ins -----------------------------------------------------------------------
    def text(self, data: bytes) -> None:
        self.put_len(len(data))
        self.put(data)

    def integer(self, value: int) -> None:
        size = value.bit_length() // 8 + 1
        if size > MAX_INT_BYTES:
            raise DataJointError(f"Integers are limited to {MAX_INT_BYTES} bytes")
        self.put(_INT_HEAD.pack(CODE_INT, size) + value.to_bytes(size, "little", signed=True))

    def datetime(self, value: datetime.date | datetime.time) -> None:
        if isinstance(value, datetime.datetime):
            date, time = _date_code(value), _time_code(value)
        elif isinstance(value, datetime.date):
            date, time = _date_code(value), -1
        else:
            date, time = -1, _time_code(value)
        self.put(_DATETIME.pack(CODE_DATETIME, date, time))

    def sequence(self, code: int, items: collections.abc.Iterable[Any]) -> None:
        slot = len(self.chunks)
        self.put(bytes((code,)))
        self.put(b"")  # placeholder for the count
        self.size += _LEN.size
        count = 0
        for element in items:
            self.nested(element)
            count += 1
        self.chunks[slot + 1] = _LEN.pack(count)

    # --- arrays --------------------------------------------------------------------------
    def shape(self, code: int, arr: np.ndarray) -> None:
        """Write the code byte, ``ndim`` and the shape of an ``A``, ``C`` or ``S`` item."""
        self.put(
            bytes((code,)) + _LEN.pack(arr.ndim) + np.asarray(arr.shape, dtype="<u8").tobytes()
        )

    def array(self, arr: np.ndarray) -> None:
        """An ``A`` item (§5.1): numeric, logical, char, datetime64, object or Unicode."""
        arr = np.asarray(arr)  # drop subclasses such as np.matrix
        if arr.dtype.byteorder == ">":
            arr = arr.astype(arr.dtype.newbyteorder("<"))
        type_id, is_complex = array_type(arr.dtype)
        if arr.ndim == 0 or type_id == TYPE_VOID or type_id >= DATETIME_BASE:
            self.dj0 = True
        self.shape(CODE_ARRAY, arr)
        self.put(_TYPE.pack(type_id, is_complex))
        if type_id == TYPE_VOID:
            for element in arr.ravel(order="F"):
                self.nested(element)
        elif type_id == TYPE_CHAR:
            self.put(arr.view(np.uint8).astype("<u2").tobytes(order="F"))
        elif is_complex:
            self.put(arr.real.tobytes(order="F"))
            self.put(arr.imag.tobytes(order="F"))
        else:
            self.put(_column_major(arr))

    def cell(self, cell: MatCell) -> None:
        """A ``C`` item (§5.3): elements in column-major order, each length-prefixed."""
        arr = np.asarray(cell)
        self.shape(CODE_CELL, arr)
        for element in arr.ravel(order="F"):
            self.nested(element)

    def struct(self, struct_array: MatStruct) -> None:
        """An ``S`` item (§5.4): field names, then each record's fields, column-major."""
        arr = np.asarray(struct_array)
        names = arr.dtype.names or ()
        self.shape(CODE_STRUCT, arr)
        self.put(_U32.pack(len(names)) + b"".join(n.encode() + b"\x00" for n in names))
        if names:
            flat = arr.ravel(order="F")
            columns = [flat[name] for name in names]
            for i in range(flat.size):
                for column in columns:
                    self.nested(column[i])

    def recarray(self, arr: np.ndarray) -> None:
        """An ``F`` item (§5.2): field names, then one unprefixed item per field column."""
        arr = np.asarray(arr)
        names = arr.dtype.names or ()
        self.put(
            bytes((CODE_RECARRAY,))
            + _U32.pack(len(names))
            + b"".join(n.encode() + b"\x00" for n in names)
        )
        for name in names:
            self.item(arr[name])


def worth_compressing(raw: bytes) -> bool:
    """Whether zlib is likely to save enough of a payload to be worth it, estimated without
    running zlib (whose set-up alone costs tens of microseconds): from the byte entropy of
    samples (what Huffman coding saves) plus the share of repeated 4-byte words in them (what
    back-references save; words are taken at the alignment of array elements). One sample from
    the middle, or three (start, middle, end) from ``PROBE_THREE_FROM`` bytes, an eighth of
    the payload each within ``PROBE_MIN_SAMPLE`` and ``PROBE_SAMPLE`` bytes. Payloads under
    ``PROBE_FROM`` bytes are always worth trying."""
    size = len(raw)
    if size < PROBE_FROM:
        return True
    length = min(PROBE_SAMPLE, max(PROBE_MIN_SAMPLE, size // 8)) & ~7
    starts = [_element_aligned((size - length) // 2)]
    if size >= PROBE_THREE_FROM:
        starts += [_ARRAY_DATA_ALIGNMENT, _element_aligned(size - length - 8)]
    samples = [np.frombuffer(raw, np.uint8, length, at) for at in starts]
    sample = samples[0] if len(samples) == 1 else np.concatenate(samples)
    n = sample.size
    entropy_bits = n * math.log2(n) - float(_xlogx(np.bincount(sample, minlength=256)).sum())
    words = np.sort(sample.view(np.uint32))
    repeated = np.count_nonzero(words[1:] == words[:-1]) / words.size
    estimate = 1 - entropy_bits / (8 * n) + REPEAT_SAVING * repeated
    return bool(estimate >= MIN_ESTIMATED_SAVING)


def _element_aligned(offset: int) -> int:
    """``offset`` moved back to the alignment of a numeric array's first element."""
    return offset - (offset - _ARRAY_DATA_ALIGNMENT) % 8


def _xlogx(counts: np.ndarray) -> np.ndarray:
    """``c * log2(c)`` of each count (0 for 0), from a table for the counts a sample can have."""
    table: np.ndarray = _xlogx_table()
    return table[counts]  # type: ignore[no-any-return]


@functools.cache
def _xlogx_table() -> np.ndarray:
    counts = np.arange(3 * PROBE_SAMPLE + 1, dtype=np.float64)
    counts[1:] *= np.log2(counts[1:])
    return counts


_ARRAY_DATA_ALIGNMENT = 5  # header (4) + item code (1) + u64 ndim + u64 dims + u64 class


def pack(obj: Any, compress: bool | Literal["auto"] = True) -> bytes:
    """Serialize one Python or NumPy value into the ``<blob>`` format.

    Parameters
    ----------
    obj : object
        The value: NumPy arrays and scalars, :class:`MatCell`, :class:`MatStruct`, ``None``,
        ``bool``, ``int``, ``float``, ``complex``, ``str``, ``bytes``, ``Decimal``, ``UUID``,
        ``date``/``time``/``datetime``, and mappings, sequences and sets of these.
    compress : bool or "auto", optional
        Compress with zlib when the serialized value exceeds 1000 bytes and compression makes
        it shorter. Default ``True``. ``"auto"`` (what the ``<blob>`` codec uses) first probes
        payloads of 4 KB and more and leaves them uncompressed when zlib would save less
        than 10% (noise-like arrays): the bytes stay a valid blob, and reading them is a
        buffer view instead of a decompression.

    Returns
    -------
    bytes
        The serialized value: ``mYm`` for MATLAB-compatible values, ``dj0`` otherwise.

    Raises
    ------
    DataJointError
        If the value (or anything nested in it) cannot be serialized.
    """
    writer = _Writer()
    try:
        writer.item(obj)
    except RecursionError:
        raise DataJointError("Cannot pack a value nested this deeply") from None
    writer.chunks[0] = HEADER_DJ0 if writer.dj0 else HEADER_MYM
    raw = b"".join(writer.chunks)
    if compress and len(raw) > COMPRESS_THRESHOLD:
        if compress == "auto" and not worth_compressing(raw):
            return raw
        compressed = zlib.compress(raw)
        if len(COMPRESSION_TAG) + _LEN.size + len(compressed) < len(raw):
            return COMPRESSION_TAG + _LEN.pack(len(raw)) + compressed
    return raw
