"""A deterministic structural digest of fetched data (spec 05 §2.3).

Two values get the same digest exactly when they hold the same data: dicts compare without
regard to key order, lists and tuples in order, numpy arrays by dtype, shape and bytes, NaN
equals NaN, object-store references by their stored metadata. Other types fall back to
``repr`` with a warning.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import logging
import math
import uuid
from collections.abc import Mapping
from typing import Any

import numpy as np

logger = logging.getLogger("datajoint")

_SCALARS = (
    str,
    bytes,
    bool,
    int,
    decimal.Decimal,
    datetime.date,
    datetime.time,
    datetime.timedelta,
    uuid.UUID,
)


def digest(value: Any) -> str:
    """The hex SHA-256 digest of ``value``'s structure and content."""
    h = hashlib.sha256()
    _feed(h, value)
    return h.hexdigest()


def _tag(h: Any, tag: str, payload: bytes = b"") -> None:
    h.update(tag.encode())
    h.update(len(payload).to_bytes(8, "little"))
    h.update(payload)


def _feed(h: Any, value: Any) -> None:
    if value is None:
        _tag(h, "N")
    elif isinstance(value, float | np.floating) and not isinstance(value, np.ndarray):
        number = float(value)
        _tag(h, "f", b"nan" if math.isnan(number) else repr(number).encode())
    elif isinstance(value, np.generic):
        _feed(h, value.item())
    elif isinstance(value, _SCALARS):
        payload = value if isinstance(value, bytes) else repr(value).encode()
        _tag(h, type(value).__name__, payload)
    elif isinstance(value, bytearray | memoryview):
        _tag(h, "bytes", bytes(value))
    elif isinstance(value, np.ndarray):
        _array(h, value)
    elif isinstance(value, Mapping):
        _tag(h, "{", str(len(value)).encode())
        items = sorted(((digest(k), k, v) for k, v in value.items()), key=lambda t: t[0])
        for key_digest, _, item in items:
            _tag(h, "k", key_digest.encode())
            _feed(h, item)
    elif isinstance(value, list | tuple):
        _tag(h, "[", str(len(value)).encode())
        for item in value:
            _feed(h, item)
    elif isinstance(value, set | frozenset):
        _tag(h, "s", "".join(sorted(digest(v) for v in value)).encode())
    elif _stored_metadata(value) is not None:
        _feed(h, _stored_metadata(value))
    else:
        logger.warning(
            "make_fetch returned a %s; its fetched-data check compares repr() text.",
            type(value).__name__,
        )
        _tag(h, "r", repr(value).encode())


def _array(h: Any, value: np.ndarray) -> None:
    _tag(h, "a", f"{value.dtype.str}|{value.shape}".encode())
    if value.dtype.hasobject:
        for item in value.ravel(order="C"):
            _feed(h, item)
        return
    data = np.ascontiguousarray(value)
    if data.dtype.kind in "fc":  # every NaN the same bytes
        data = np.where(np.isnan(data), np.nan, data).astype(data.dtype)
    _tag(h, "b", data.tobytes())


def _stored_metadata(value: Any) -> dict[str, Any] | None:
    """Path, size and hash of an object-store reference (compared without downloading)."""
    path = getattr(value, "path", None)
    if path is None or not hasattr(value, "size"):
        return None
    return {
        "path": str(path),
        "size": getattr(value, "size", None),
        "hash": getattr(value, "hash", None),
    }
