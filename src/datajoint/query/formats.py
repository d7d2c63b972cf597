"""Column-oriented outputs: pandas, polars (optional extras; Arrow is in ``arrow.py``).

Each builder takes ``{name: decoded values}`` in heading order, so no per-row Python objects
are made on the way.
"""

from __future__ import annotations

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


def _typed(attr: Any, values: list[Any]) -> Any:
    """A column of numbers that cannot be NULL as the numpy array pandas would infer from its
    Python ints, floats or bools; any other column as it is."""
    spec = attr.type
    if attr.nullable or attr.codec is not None or spec.kind not in _NUMBER_KINDS:
        return values
    wide = spec.kind == T.INT and spec.unsigned and spec.bits == 64  # may exceed int64
    if values and spec.kind in _FROMITER and not wide:
        try:  # the type known in advance: faster than numpy's inference, the same array
            return np.fromiter(values, dtype=_FROMITER[spec.kind], count=len(values))
        except (TypeError, ValueError, OverflowError):
            pass
    array = np.array(values)
    return array if array.dtype.kind in "iufb" else values


_NUMBER_KINDS = frozenset({T.INT, T.FLOAT, T.BOOL})
_FROMITER = {T.INT: np.dtype("int64"), T.FLOAT: np.dtype("float64")}


def to_polars(query: Any, columns: dict[str, list[Any]]) -> Any:
    """A polars DataFrame with one column per attribute."""
    pl = require("polars", "polars")
    return pl.DataFrame(columns, strict=False)
