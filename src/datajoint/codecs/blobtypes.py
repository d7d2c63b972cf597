"""Constants and array classes shared by the ``<blob>`` reader and writer (spec 07 §4–§5).

Pure definitions: item codes, element type ids, the MATLAB marker classes :class:`MatCell`
and :class:`MatStruct`, and the limits that keep the reader safe on corrupt input.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataJointError

# --- envelope (§3) ---------------------------------------------------------------------------
COMPRESSION_TAG = b"ZL123\x00"
HEADER_MYM = b"mYm\x00"
HEADER_DJ0 = b"dj0\x00"
COMPRESS_THRESHOLD = 1000  # compress only when the raw value is strictly longer than this
PROBE_FROM = 1 << 12  # pack(compress="auto") probes payloads this large before compressing:
PROBE_THREE_FROM = 1 << 16  # one sample from the middle, three (start, middle, end) from here
PROBE_SAMPLE = 1 << 14  # bytes of a sample, at most ...
PROBE_MIN_SAMPLE = 1 << 10  # ... and at least (an eighth of the payload in between)
# ... and compresses when the samples' estimated saving (byte entropy, plus REPEAT_SAVING per
# repeated 4-byte word) reaches MIN_ESTIMATED_SAVING. Order-0 entropy is optimistic about
# zlib on noise (about 7%, where zlib saves 4-7% on float noise), hence the margin over the
# 10% that compression should save to be worth a decompression on every read.
MIN_ESTIMATED_SAVING = 0.18
REPEAT_SAVING = 0.6  # a repeated word costs a back-reference: about 40% of its literals

# --- item codes (§4) -------------------------------------------------------------------------
CODE_ARRAY = 0x41  # "A"
CODE_CELL = 0x43  # "C"
CODE_STRUCT = 0x53  # "S"
CODE_RECARRAY = 0x46  # "F"
CODE_SPARSE = 0x50  # "P"
CODE_NONE = 0xFF
CODE_TUPLE = 0x01
CODE_LIST = 0x02
CODE_SET = 0x03
CODE_DICT = 0x04
CODE_STR = 0x05
CODE_BYTES = 0x06
CODE_INT = 0x0A
CODE_BOOL = 0x0B
CODE_COMPLEX = 0x0C
CODE_FLOAT = 0x0D
CODE_DECIMAL = 0x64  # "d"
CODE_DATETIME = 0x74  # "t"
CODE_UUID = 0x75  # "u"

# --- element type ids of "A" items (§5.1) ----------------------------------------------------
TYPE_LOGICAL = 3
TYPE_CHAR = 4
TYPE_VOID = 5
DATETIME_BASE = 0x10000
DATETIME_UNITS = ("Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps", "fs", "as")

# numeric and logical element types: type id -> little-endian dtype of one stored element
NUMERIC_DTYPES: dict[int, np.dtype] = {
    TYPE_LOGICAL: np.dtype("u1"),
    6: np.dtype("<f8"),
    7: np.dtype("<f4"),
    8: np.dtype("i1"),
    9: np.dtype("u1"),
    10: np.dtype("<i2"),
    11: np.dtype("<u2"),
    12: np.dtype("<i4"),
    13: np.dtype("<u4"),
    14: np.dtype("<i8"),
    15: np.dtype("<u8"),
}
for _i, _unit in enumerate(DATETIME_UNITS):
    NUMERIC_DTYPES[DATETIME_BASE + _i] = np.dtype(f"<M8[{_unit}]")

# writer lookup: (dtype.kind, dtype.itemsize) -> (type id, is_complex)
KIND_TO_TYPE: dict[tuple[str, int], tuple[int, bool]] = {
    ("b", 1): (TYPE_LOGICAL, False),
    ("f", 8): (6, False),
    ("f", 4): (7, False),
    ("c", 16): (6, True),
    ("c", 8): (7, True),
    ("i", 1): (8, False),
    ("u", 1): (9, False),
    ("i", 2): (10, False),
    ("u", 2): (11, False),
    ("i", 4): (12, False),
    ("u", 4): (13, False),
    ("i", 8): (14, False),
    ("u", 8): (15, False),
}

# --- safety limits (§10) ---------------------------------------------------------------------
MAX_DEPTH = 200  # nesting levels of containers, on read and on write
MAX_INT_BYTES = 65535


class MatCell(np.ndarray):
    """A NumPy object array that serializes as a MATLAB cell array (item ``C``).

    Create one as a view of an object array::

        cell = np.empty((1, 2), dtype=object).view(MatCell)

    ``unpack`` returns cell arrays written by MATLAB as ``MatCell``.
    """


class MatStruct(np.recarray):
    """A NumPy record array that serializes as a MATLAB struct array (item ``S``).

    Every field should have dtype ``object``; each element of the array is one struct.
    Create one as a view of a structured array::

        s = np.empty((1, 1), dtype=[("a", object), ("b", object)]).view(MatStruct)

    ``unpack`` returns struct arrays written by MATLAB as ``MatStruct``; fields are
    reachable as attributes (``s.a``) or by key (``s["a"]``).
    """


def invalid(reason: str) -> DataJointError:
    """The error raised for a corrupt or unsupported blob."""
    return DataJointError(f"Invalid blob: {reason}")
