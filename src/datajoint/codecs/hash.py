"""``<hash@>``: raw bytes in a store at a content-addressed path (spec 02 §7.2, spec 06 §4.1).

Equal content within a schema is stored once (``{hash_prefix}/{schema}/…/{hash}``); reads
verify the hash. A column of large values is hashed, written and read on several threads.
``<blob@>`` and ``<attach@>`` store their bytes through this codec.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import CodecTypeError, DataJointError
from ..storage.paths import build_hash_path, compute_hash
from ..storage.stores import StorageBackend, get_backend
from .base import Codec, KeyContexts
from .parallel import map_values
from .storecontext import backends_of, config_of


class HashCodec(Codec):
    """Content-addressed bytes in an object store (store only)."""

    name = "hash"

    def get_dtype(self, is_store: bool) -> str:
        if not is_store:
            raise DataJointError("<hash> requires @ (in-store storage only)")
        return "json"

    def validate(self, value: Any) -> None:
        if not isinstance(value, bytes | bytearray | memoryview):
            raise CodecTypeError(f"<hash> expects bytes, got {type(value).__name__}")

    def encode(
        self, value: Any, *, key: dict[str, Any] | None = None, store_name: str | None = None
    ) -> dict[str, Any]:
        key = key or {}
        backend = get_backend(store_name, config_of(key))
        return put_hashed(backend, bytes(value), str(key.get("_schema") or ""))

    def encode_column(
        self, values: Sequence[Any], contexts: KeyContexts, store_name: str | None
    ) -> list[Any]:
        backend = get_backend(store_name, config_of(contexts.base))
        schema = str(contexts.base.get("_schema") or "")
        data = [bytes(v) for v in values]
        size = sum(len(d) for d in data)
        hashes = map_values(compute_hash, data, size)
        first = {h: i for i, h in reversed(list(enumerate(hashes)))}  # equal content: once

        def put(i: int) -> dict[str, Any]:
            return put_hashed(backend, data[i], schema, hashes[i])

        stored = dict(zip(first, map_values(put, list(first.values()), size), strict=True))
        return [dict(stored[h]) for h in hashes]

    def decode(self, stored: Any, *, key: dict[str, Any] | None = None) -> bytes:
        backend = backends_of([stored], key or {})[0]
        return read_hashed(backend, stored)

    def decode_column(self, values: Sequence[Any], contexts: KeyContexts) -> list[Any]:
        backends = backends_of(values, contexts.base)
        size = sum(int(v.get("size") or 0) for v in values if isinstance(v, dict))
        pairs = list(zip(backends, values, strict=True))
        return map_values(lambda pair: read_hashed(*pair), pairs, size)


def put_hashed(
    backend: StorageBackend, data: bytes, schema: str, content_hash: str | None = None
) -> dict[str, Any]:
    """Store ``data`` under its content hash (computed unless given) unless already present;
    its metadata."""
    content_hash = content_hash or compute_hash(data)
    path = build_hash_path(
        content_hash,
        schema,
        backend.spec.get("subfolding"),
        hash_prefix=backend.spec.get("hash_prefix", "_hash"),
    )
    if backend.exists(path):
        backend.touch(path)  # an older orphan becomes live again: restart its grace period
    else:
        backend.put_buffer(data, path)
    return {
        "hash": content_hash,
        "path": path,
        "schema": schema,
        "store": backend.name,
        "size": len(data),
    }


def read_hashed(backend: StorageBackend, stored: dict[str, Any]) -> bytes:
    """The bytes of a hash-addressed object, verified against its hash.

    Raises
    ------
    MissingExternalFile
        The object is not in the store.
    DataJointError
        ``Hash mismatch`` when the stored bytes changed.
    """
    path = stored["path"]
    data = backend.get_buffer(path)
    expected = stored.get("hash")
    if expected:
        found = compute_hash(data)
        if found != expected:
            raise DataJointError(
                f"Hash mismatch: expected {expected}, got {found}. Data at {path} may be corrupted."
            )
    return data


__all__ = ["HashCodec", "put_hashed", "read_hashed"]
