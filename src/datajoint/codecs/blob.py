"""``<blob>``: any Python value the blob format supports, serialized (spec 02 §7.1, spec 07).

In-table ``<blob>`` stores the bytes in a ``bytes`` column; in-store
``<blob@>``/``<blob@store>`` hands the same bytes to ``<hash>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .base import Codec, KeyContexts
from .blobformat import pack, unpack


class BlobCodec(Codec):
    """Serialized Python objects: numpy arrays, scalars, strings, containers, MATLAB structs."""

    name = "blob"

    def get_dtype(self, is_store: bool) -> str:
        return "<hash>" if is_store else "bytes"

    def encode(self, value: Any, *, key: dict[str, Any] | None = None) -> bytes:
        return pack(value, compress=True)

    def decode(self, stored: Any, *, key: dict[str, Any] | None = None) -> Any:
        return unpack(stored)

    def encode_column(
        self, values: Sequence[Any], contexts: KeyContexts, store_name: str | None
    ) -> list[Any]:
        return [pack(v, compress=True) for v in values]

    def decode_column(self, values: Sequence[Any], contexts: KeyContexts) -> list[Any]:
        return [unpack(v) for v in values]
