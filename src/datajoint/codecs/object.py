"""``<object@>``: files and folders at schema-addressed paths (spec 02 §7.4, spec 06 §4.4).

Insert a local file or folder path, a URL, ``bytes``, an ``(ext, bytes or readable)`` tuple, or
the metadata made by ``staged_insert1``; fetch returns an :class:`ObjectRef` (no download).
"""

from __future__ import annotations

import os
import pathlib
import posixpath
from collections.abc import Sequence
from typing import Any

from ..errors import CodecTypeError, MissingSourceFile
from ..storage.paths import normalize_ext
from ..storage.refs import ObjectRef, object_metadata
from ..storage.stores import StorageBackend, get_backend, is_url, parse_url
from .base import KeyContexts, SchemaCodec
from .storecontext import backends_of, config_of


class ObjectCodec(SchemaCodec):
    """One file or folder per row in a store (store only; no de-duplication)."""

    name = "object"

    def validate(self, value: Any) -> None:
        if isinstance(value, bytes | bytearray | memoryview | str | os.PathLike):
            return
        if isinstance(value, dict) and "path" in value:
            return
        if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
            data = value[1]
            if isinstance(data, bytes | bytearray | memoryview) or hasattr(data, "read"):
                return
        raise CodecTypeError(f"<object> expects bytes or path, got {type(value).__name__}")

    def encode(
        self, value: Any, *, key: dict[str, Any] | None = None, store_name: str | None = None
    ) -> dict[str, Any]:
        if isinstance(value, dict):
            return value  # metadata of an object already in place (staged_insert1)
        key = dict(key or {})
        config = config_of(key)
        schema, table, field, primary_key = self._extract_context(key)
        backend = get_backend(store_name, config)

        def place(ext: str | None) -> str:
            path, _ = self._build_path(
                str(schema), str(table), str(field), primary_key, ext, store_name, config
            )
            return path

        return upload(backend, value, place)

    def decode(self, stored: Any, *, key: dict[str, Any] | None = None) -> ObjectRef:
        return ObjectRef.from_json(stored, backends_of([stored], key)[0])

    def decode_column(self, values: Sequence[Any], contexts: KeyContexts) -> list[Any]:
        backends = backends_of(values, contexts.base)
        return [ObjectRef.from_json(v, b) for v, b in zip(values, backends, strict=True)]


def upload(backend: StorageBackend, value: Any, place: Any) -> dict[str, Any]:
    """Write ``value`` at the path ``place(ext)`` and return its metadata (spec 06 §3.2)."""
    size: int | None
    item_count = None
    is_dir = False
    if isinstance(value, bytes | bytearray | memoryview):
        ext = ""
        path = place(None)
        backend.put_buffer(value, path)
        size = len(value)
    elif isinstance(value, tuple):
        ext = normalize_ext(value[0])
        path = place(ext)
        data = value[1]
        if hasattr(data, "read"):
            size = backend.put_stream(data, path)
        else:
            backend.put_buffer(data, path)
            size = len(data)
    elif is_url(value):
        ext = posixpath.splitext(parse_url(str(value))[1].rstrip("/"))[1]
        path = place(ext)
        copied = backend.copy_from_url(str(value), path)
        size, is_dir, item_count = copied["size"], copied["is_dir"], copied["item_count"]
    else:
        source = pathlib.Path(value)
        if not source.exists():
            raise MissingSourceFile(f"Source path not found: {value}")
        ext = source.suffix
        path = place(ext)
        if source.is_dir():
            manifest = backend.put_folder(source, path)
            size, is_dir, item_count = manifest["total_size"], True, manifest["item_count"]
        else:
            backend.put_file(source, path)
            size = source.stat().st_size
    return object_metadata(path, backend.name, size, ext, is_dir, item_count)


__all__ = ["ObjectCodec", "upload"]
