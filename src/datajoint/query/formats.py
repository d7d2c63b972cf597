"""Column-oriented outputs: pandas, polars (optional extras; Arrow is in ``arrow.py``).

Each builder takes ``{name: decoded values}`` in heading order, so no per-row Python objects
are made on the way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import types as T
from .._optional import require


def to_pandas(query: Any, columns: dict[str, list[Any]]) -> Any:
    """A DataFrame indexed by the primary key; empty results keep their columns.

    The frame equals ``DataFrame(columns).set_index(primary_key)``; it is built from the
    index and typed arrays of the number columns, which spares pandas its type inference.
    """
    pd = require("pandas", "pandas")
    heading = query.heading
    pk = heading.primary_key
    data = {name: _typed(heading[name], values) for name, values in columns.items()}
    if not pk or not all(len(data[k]) for k in pk if k in data) or not set(pk) <= set(data):
        frame = pd.DataFrame(data, columns=list(columns))
        return frame.set_index(pk) if pk else frame
    if len(pk) == 1:
        index = pd.Index(data[pk[0]], name=pk[0])
    else:
        index = pd.MultiIndex.from_arrays([data[k] for k in pk], names=pk)
    rest = [name for name in columns if name not in pk]
    return pd.DataFrame({name: data[name] for name in rest}, index=index, columns=rest)


def _typed(attr: Any, values: Any) -> Any:
    """A column of numbers that cannot be NULL as the numpy array pandas would infer from its
    Python ints, floats or bools; any other column as it is."""
    if isinstance(values, np.ndarray):  # made by pandas_array
        return values
    spec = attr.type
    if attr.nullable or attr.codec is not None or spec.kind not in _NUMBER_KINDS:
        return values
    if values:
        array = pandas_array(attr, iter(values), len(values))
        if array is not None:
            return array
    array = np.array(values)
    return array if array.dtype.kind in "iufb" else values


def pandas_array(attr: Any, values: Iterator[Any], count: int) -> np.ndarray | None:
    """The ``count`` values of an integer or float column that cannot be NULL as the numpy
    array pandas would infer from them (int64, float64), made with the type known in advance;
    None for other columns, or values that do not fit."""
    spec = attr.type
    if spec.kind not in _FROMITER or (spec.kind == T.INT and spec.unsigned and spec.bits == 64):
        return None  # (an unsigned 64-bit value may exceed int64)
    return exact_array(attr, values, count, _FROMITER[spec.kind])


def exact_array(attr: Any, values: Iterator[Any], count: int, dtype: Any) -> np.ndarray | None:
    """The ``count`` values of an attribute that cannot be NULL as a numpy array of ``dtype``,
    made in one pass; None for a nullable or codec attribute, or values that do not fit."""
    if attr.nullable or attr.codec is not None or not count:
        return None
    try:
        return np.fromiter(values, dtype=dtype, count=count)
    except (TypeError, ValueError, OverflowError):
        return None


_NUMBER_KINDS = frozenset({T.INT, T.FLOAT, T.BOOL})
_FROMITER = {T.INT: np.dtype("int64"), T.FLOAT: np.dtype("float64")}


def to_polars(query: Any, columns: dict[str, list[Any]]) -> Any:
    """A polars DataFrame with one column per attribute."""
    pl = require("polars", "polars")
    return pl.DataFrame(columns, strict=False)
