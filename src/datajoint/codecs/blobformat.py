"""The ``<blob>`` binary format ("mYm" / "dj0"), byte-compatible with DataJoint (spec 07).

Pure serialization: no database, no I/O. The writer lives in ``blobwrite``, the reader in
``blobread``, the shared constants and marker classes in ``blobtypes``; this module is the
single entry point used by the codecs and re-exported publicly as ``datajoint.blob``.

Module flag
-----------
use_32bit_dims : bool
    Read every ``LEN`` field as ``u32`` instead of ``u64`` (blobs written by early 32-bit
    MATLAB mYm builds, spec 07 §7). Affects reading only. Set it here or, equivalently, as
    ``datajoint.blob.use_32bit_dims``; both names refer to this one flag.
"""

from __future__ import annotations

from typing import Any

from . import blobread
from .blobtypes import MatCell, MatStruct
from .blobwrite import pack

__all__ = ["MatCell", "MatStruct", "pack", "unpack", "use_32bit_dims"]

use_32bit_dims: bool = False


def unpack(
    blob: bytes | bytearray | memoryview | None,
    squeeze: bool = False,
    *,
    use_32bit_dims: bool | None = None,
) -> Any:
    """Deserialize a value written by :func:`pack`, DataJoint for Python or MATLAB (mYm).

    Parameters
    ----------
    blob : bytes, bytearray, memoryview or None
        The serialized value, compressed (``ZL123``) or not. ``None`` gives ``None``.
    squeeze : bool, optional
        Remove length-1 axes of every decoded array, recursively, and turn 0-d numeric or
        string results into Python scalars (cells and structs stay arrays). Default ``False``.
    use_32bit_dims : bool or None, optional
        Read lengths as 32-bit. ``None`` (default) uses the module flag ``use_32bit_dims``.

    Returns
    -------
    object
        The decoded value: NumPy arrays and scalars, :class:`MatCell`, :class:`MatStruct`,
        ``numpy.recarray`` or Python built-ins (spec 07 §4).

    Raises
    ------
    DataJointError
        If the bytes are not a valid blob (unknown protocol or item code, sparse matrix,
        truncated or trailing data, compressed size mismatch, ...).
    """
    if use_32bit_dims is None:
        use_32bit_dims = bool(globals()["use_32bit_dims"])
    return blobread.unpack(blob, squeeze, use_32bit_dims=use_32bit_dims)
