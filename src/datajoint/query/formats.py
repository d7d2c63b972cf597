"""Column-oriented outputs: pandas, polars, Arrow (optional extras).

Each builder takes ``{name: decoded values}`` in heading order, so no per-row Python objects
are made on the way.
"""

from __future__ import annotations

from typing import Any

from .._optional import require


def to_pandas(query: Any, columns: dict[str, list[Any]]) -> Any:
    """A DataFrame indexed by the primary key; empty results keep their columns."""
    pd = require("pandas", "pandas")
    frame = pd.DataFrame(columns, columns=list(columns))
    pk = query.heading.primary_key
    if pk:
        frame = frame.set_index(pk)
    return frame


def to_polars(query: Any, columns: dict[str, list[Any]]) -> Any:
    """A polars DataFrame with one column per attribute."""
    pl = require("polars", "polars")
    return pl.DataFrame(columns, strict=False)


def to_arrow(query: Any, columns: dict[str, list[Any]]) -> Any:
    """A pyarrow Table with one column per attribute."""
    pa = require("pyarrow", "arrow")
    return pa.table({name: pa.array(values) for name, values in columns.items()})
