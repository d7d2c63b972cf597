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
        backend.put_chunks(npy_chunks(value), path)
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


def npy_chunks(array: np.ndarray) -> list[Any]:
    """The bytes of ``numpy.save(array)`` as two chunks, the NPY header (format 1.0, or 2.0
    for very large headers, as numpy chooses) and the array's own memory (not copied when it
    is contiguous)."""
    fmt = np.lib.format
    header_data = fmt.header_data_from_array_1_0(array)
    header = io.BytesIO()
    try:
        fmt.write_array_header_1_0(header, header_data)
    except ValueError:  # header too large for format 1.0
        header = io.BytesIO()
        fmt.write_array_header_2_0(header, header_data)
    body: Any = array.T if header_data["fortran_order"] else np.ascontiguousarray(array)
    try:
        data: Any = memoryview(body.reshape(-1)).cast("B")
    except (TypeError, ValueError, NotImplementedError):  # dtypes without a buffer format
        data = body.tobytes()
    return [header.getvalue(), data]


__all__ = ["NpyCodec", "NpyRef", "npy_chunks"]
