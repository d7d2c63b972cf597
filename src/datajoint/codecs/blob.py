"""``<blob>``: any Python value the blob format supports, serialized (spec 02 §7.1, spec 07).

In-table ``<blob>`` stores the bytes in a ``bytes`` column; in-store ``<blob@>``/``<blob@store>``
hands the same bytes to ``<hash>``. A column of large values is serialized (and deserialized)
on several threads (:mod:`.parallel`). Payloads of 4 KB or more that zlib is not expected to
shrink by about a fifth (judged from samples without running zlib) are stored uncompressed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .base import Codec, KeyContexts
from .blobformat import pack, unpack
from .parallel import map_values


class BlobCodec(Codec):
    """Serialized Python objects: numpy arrays, scalars, strings, containers, MATLAB structs."""

    name = "blob"

    def get_dtype(self, is_store: bool) -> str:
        return "<hash>" if is_store else "bytes"

    def encode(self, value: Any, *, key: dict[str, Any] | None = None) -> bytes:
        return _pack(value)

    def decode(self, stored: Any, *, key: dict[str, Any] | None = None) -> Any:
        return unpack(stored)

    def encode_column(
        self, values: Sequence[Any], contexts: KeyContexts, store_name: str | None
    ) -> list[Any]:
        size = sum(v.nbytes for v in values if isinstance(v, np.ndarray))
        return map_values(_pack, values, size)

    def decode_column(self, values: Sequence[Any], contexts: KeyContexts) -> list[Any]:
        size = sum(len(v) for v in values if isinstance(v, bytes | bytearray | memoryview))
        return map_values(unpack, values, size)


def _pack(value: Any) -> bytes:
    """The stored bytes of a value: noise-like payloads of 4 KB or more are left uncompressed
    (a choice of this codec; spec 07 compresses whenever zlib saves a byte), which keeps their
    writes and reads at the speed of the bytes themselves."""
    return pack(value, compress="auto")
