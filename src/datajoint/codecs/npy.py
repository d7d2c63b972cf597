"""``<npy@>``: numpy arrays as ``.npy`` files at schema-addressed paths (spec 02 §7.5, spec 06
§4.5). Fetch returns an :class:`NpyRef`: shape and dtype without I/O, the array on demand."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import CodecTypeError, DataJointError
from ..storage.refs import NpyRef
from ..storage.stores import get_backend
from .base import KeyContexts, SchemaCodec
from .storecontext import backends_of, config_of


class NpyCodec(SchemaCodec):
    """One numpy array per row, saved without pickling (store only)."""

    name = "npy"

    def validate(self, value: Any) -> None:
        if not isinstance(value, np.ndarray):
            raise CodecTypeError(f"<npy> requires numpy.ndarray, got {type(value).__name__}")
        if value.dtype.hasobject:
            raise DataJointError("<npy> does not support object dtype arrays")

    def encode(
        self, value: Any, *, key: dict[str, Any] | None = None, store_name: str | None = None
    ) -> dict[str, Any]:
        key = dict(key or {})
        config = config_of(key)
        schema, table, field, primary_key = self._extract_context(key)
        backend = get_backend(store_name, config)
        path, _ = self._build_path(
            str(schema), str(table), str(field), primary_key, ".npy", store_name, config
        )
        buffer = io.BytesIO()
        np.save(buffer, value, allow_pickle=False)
        backend.put_buffer(buffer.getbuffer(), path)
        meta: dict[str, Any] = {
            "path": path,
            "store": backend.name,
            "dtype": str(value.dtype),
            "shape": list(value.shape),
        }
        if value.dtype.names is not None:
            meta["descr"] = value.dtype.descr  # str() of a structured dtype does not parse back
        return meta

    def decode(self, stored: Any, *, key: dict[str, Any] | None = None) -> NpyRef:
        return NpyRef(stored, backends_of([stored], key)[0])

    def decode_column(self, values: Sequence[Any], contexts: KeyContexts) -> list[Any]:
        backends = backends_of(values, contexts.base)
        return [NpyRef(v, b) for v, b in zip(values, backends, strict=True)]


__all__ = ["NpyCodec", "NpyRef"]
