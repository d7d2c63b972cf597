"""Arrow tables of query results with exact types: what ``to_arrow()`` returns and what
``to_parquet()`` writes.

Core types map to one Arrow type each (integers by width and sign, floats to ``float64`` holding
the values every fetch returns (``float32`` values as inserted), ``decimal(p,s)`` to
``decimal128(p,s)``, ``date`` to ``date32``, ``datetime`` to
``timestamp[us]``, ``uuid`` to Arrow's ``uuid`` extension type, ``json`` to its JSON text).
``<blob>`` values that are numeric arrays of one dimensionality become (nested) Arrow lists; a
column holding anything else keeps the blob bytes as ``large_binary``. Attributes in object
stores (``<blob@>``, ``<npy@>``, ``<object@>``, ...) become the URLs of their objects: nothing
is downloaded. Other codecs storing bytes (``<attach>``) give those bytes; values of the
remaining codecs are converted as Arrow infers them, or kept in their stored form when Arrow
cannot hold them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import types as T
from .._optional import require
from ..codecs.blob import BlobCodec
from ..codecs.columns import decode_values
from ..errors import DataJointError
from ..heading import Attribute, Heading
from ..storage.stores import get_backend
from . import fetch, formats
from .nodes import COMPUTED_TYPE

if TYPE_CHECKING:
    import pyarrow as pa


def _pa() -> Any:
    return require("pyarrow", "arrow")


def core_type(attr: Attribute) -> pa.DataType | None:
    """The Arrow type of a non-codec attribute; ``None`` when Arrow should infer it (values
    computed by SQL expressions)."""
    pa = _pa()
    spec = attr.type
    if spec == COMPUTED_TYPE:
        return None
    kind = spec.kind
    if kind == T.INT:
        bits = {8: 8, 16: 16, 24: 32, 32: 32, 64: 64}.get(spec.bits or 64, 64)
        return pa.from_numpy_dtype(np.dtype(f"{'u' if spec.unsigned else ''}int{bits}"))
    if kind == T.FLOAT:  # float32 too: its values as fetched (the shortest decimal form)
        return pa.float64()
    if kind == T.DECIMAL:
        if spec.precision is None:
            return pa.string()  # an unconstrained numeric: its exact decimal text
        scale = spec.scale or 0
        return (pa.decimal128 if spec.precision <= 38 else pa.decimal256)(spec.precision, scale)
    simple = {
        T.BOOL: pa.bool_(),
        T.UUID: pa.uuid(),
        T.JSON: pa.string(),
        T.BYTES: pa.large_binary(),
        T.DATE: pa.date32(),
        T.DATETIME: pa.timestamp("us"),
        T.TIME: pa.duration("us"),
        T.YEAR: pa.int16(),
        T.CHAR: pa.string(),
        T.VARCHAR: pa.string(),
        T.TEXT: pa.string(),
        T.ENUM: pa.string(),
    }
    return simple.get(kind)


def _core_values(attr: Attribute, values: list[Any]) -> list[Any]:
    kind = attr.type.kind
    if kind == T.JSON:
        return [None if v is None else json.dumps(v) for v in values]
    if kind == T.UUID:
        return [None if v is None else v.bytes for v in values]
    if kind == T.DECIMAL and attr.type.precision is None:
        return [None if v is None else str(v) for v in values]
    return values


def number_array(attr: Attribute, values: Iterator[Any], count: int) -> np.ndarray | None:
    """The ``count`` values of an integer or float64 attribute that cannot be NULL as the
    numpy array of its Arrow type (which Arrow then takes without a copy); None for other
    attributes, or values that do not fit."""
    spec = attr.type
    if spec == COMPUTED_TYPE or not (
        spec.kind == T.INT or (spec.kind == T.FLOAT and spec.bits == 64)
    ):
        return None
    arrow_type = core_type(attr)
    if arrow_type is None:
        return None
    return formats.exact_array(attr, values, count, arrow_type.to_pandas_dtype())


def core_array(attr: Attribute, values: list[Any] | np.ndarray) -> pa.Array:
    """The Arrow array of a non-codec attribute's fetched values."""
    pa = _pa()
    arrow_type = core_type(attr)
    if isinstance(values, np.ndarray):  # made by number_array
        return pa.array(values, type=arrow_type)
    values = _core_values(attr, values)
    if arrow_type is not None and attr.type.kind == T.UUID:
        storage = pa.array(values, type=pa.binary(16))
        return pa.ExtensionArray.from_storage(arrow_type, storage)
    try:
        return pa.array(values, type=arrow_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
        raise DataJointError(
            f"The values of `{attr.name}` ({attr.type}) do not fit the Arrow type "
            f"{arrow_type}: {exc}"
        ) from None


# ---------------------------------------------------------------- <blob> columns


def _numeric(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.kind in "biuf"


def blob_array(values: list[Any], stored: list[Any], squeeze: bool = False) -> pa.Array:
    """Numeric arrays of one dimensionality as nested lists (0-d: plain numbers), in the
    arrays' logical (row-major) order; any other column as the blob bytes."""
    pa = _pa()
    arrays = [np.asarray(v).squeeze() if squeeze and _numeric(v) else v for v in values]
    present = [a for a in arrays if a is not None]
    ndims = {a.ndim for a in present if _numeric(a)}
    if not present or len(ndims) != 1 or not all(_numeric(a) for a in present):
        return pa.array(stored, type=pa.large_binary())
    dtype = np.result_type(*(a.dtype for a in present))
    return nested_lists(arrays, ndims.pop(), dtype)


def nested_lists(arrays: list[Any], ndim: int, dtype: np.dtype) -> pa.Array:
    """``arrays`` (numpy arrays of ``ndim`` dimensions, or None) as an Arrow column of
    ``ndim``-deep ``large_list`` values of ``dtype`` (``ndim`` 0: the numbers themselves)."""
    pa = _pa()
    if ndim == 0:
        return pa.array(
            [None if a is None else a.item() for a in arrays], type=pa.from_numpy_dtype(dtype)
        )
    present = [a for a in arrays if a is not None]
    flat = [np.ravel(a, order="C").astype(dtype, copy=False) for a in present]
    values = pa.array(np.concatenate(flat) if flat else np.empty(0, dtype))
    # from the innermost level out: each row holds prod(shape[:k]) lists of shape[k] values
    for level in range(ndim - 1, 0, -1):
        sizes = [np.full(int(np.prod(a.shape[:level])), a.shape[level]) for a in present]
        values = pa.LargeListArray.from_arrays(_offsets(np.concatenate(sizes)), values)
    rows = [None if a is None else a.shape[0] for a in arrays]
    mask = pa.array([a is None for a in arrays])
    return pa.LargeListArray.from_arrays(_offsets(rows), values, mask=mask)


def _offsets(sizes: Any) -> pa.Array:
    """Arrow list offsets of ``sizes`` (``None`` counts as empty)."""
    pa = _pa()
    ends = np.cumsum([0 if s is None else int(s) for s in sizes], dtype=np.int64)
    return pa.array(np.concatenate([np.zeros(1, np.int64), ends]), type=pa.int64())


# ---------------------------------------------------------------- whole results


def stored_view(query: Any) -> Any:
    """``query`` with every codec attribute seen as the column it is stored in, so a fetch
    returns stored forms (blob bytes, store records) without decoding or downloading."""
    stored = query.heading.stored()
    return query if stored is query.heading else query._derive(heading=stored)


def _urls(attr: Attribute, stored: list[Any], config: Any) -> list[str | None]:
    """The store URL of each in-store value (``None`` for NULL)."""
    codec = attr.codec
    filepath = codec is not None and codec.name == "filepath"
    out: list[str | None] = []
    for value in stored:
        paths = [] if value is None else codec.referenced_paths(value)
        if not paths:
            out.append(None)
            continue
        path, store = paths[0]
        backend = get_backend(store or attr.store or "", config, use_filepath_default=filepath)
        out.append(backend.get_url(path))
    return out


def codec_array(
    query: Any, attr: Attribute, stored: list[Any], keys: dict[str, list[Any]], squeeze: bool
) -> pa.Array:
    """The Arrow array of a codec attribute from its stored values."""
    pa = _pa()
    if attr.store is not None:
        return pa.array(_urls(attr, stored, query.connection._config), type=pa.string())
    if attr.is_blob and not isinstance(attr.codec, BlobCodec):
        return core_array(attr.storage, stored)  # <attach> and other byte codecs: their bytes
    contexts = fetch._key_contexts(query, keys).field(attr.name)
    values = decode_values(attr.type, stored, contexts)
    if isinstance(attr.codec, BlobCodec):
        return blob_array(values, stored, squeeze)
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return core_array(attr.storage, stored)


def arrow_schema(heading: Heading, names: list[str], arrays: list[pa.Array]) -> pa.Schema:
    """The schema of the columns ``arrays``, each field recording its DataJoint type and
    whether it belongs to the primary key."""
    pa = _pa()
    fields = []
    for name, array in zip(names, arrays, strict=True):
        attr = heading[name]
        meta = {"datajoint.type": str(attr.type), "datajoint.key": str(attr.in_key).lower()}
        fields.append(pa.field(name, array.type, metadata=meta))
    return pa.schema(fields)


def to_arrow(
    query: Any,
    order_by: Any = None,
    limit: int | None = None,
    offset: int | None = None,
    squeeze: bool = False,
) -> pa.Table:
    """The rows of ``query`` as a pyarrow Table with exact types (see the module docstring)."""
    pa = _pa()
    heading: Heading = query.heading
    names = heading.names
    with fetch._collector_paused():  # the rows hold no cycles (see fetch.py)
        stored = fetch.columns(stored_view(query), order_by, limit, offset, False, number_array)
        keys = {k: fetch.listed(stored[k]) for k in heading.primary_key}  # Python values
        arrays = []
        for name in names:
            attr = heading[name]
            if attr.codec is None:
                arrays.append(core_array(attr, stored[name]))
            else:
                arrays.append(codec_array(query, attr, stored[name], keys, squeeze))
    if not names:
        return pa.table({})
    return pa.Table.from_arrays(arrays, schema=arrow_schema(heading, names, arrays))


__all__ = ["arrow_schema", "core_type", "stored_view", "to_arrow"]
