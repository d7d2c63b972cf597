"""Output formats beyond dicts: pandas, polars, Arrow (optional extras)."""

from __future__ import annotations

from typing import Any

from .._optional import require


def to_pandas(query: Any, rows: list[dict[str, Any]]) -> Any:
    """A DataFrame indexed by the primary key; empty results keep their columns."""
    pd = require("pandas", "pandas")
    names = query.heading.names
    frame = pd.DataFrame(rows, columns=names) if rows else pd.DataFrame(columns=names)
    pk = query.heading.primary_key
    if pk:
        frame = frame.set_index(pk)
    return frame


def to_polars(query: Any, rows: list[dict[str, Any]]) -> Any:
    pl = require("polars", "polars")
    if not rows:
        return pl.DataFrame({n: [] for n in query.heading.names})
    return pl.DataFrame(rows)


def to_arrow(query: Any, rows: list[dict[str, Any]]) -> Any:
    pa = require("pyarrow", "arrow")
    if not rows:
        return pa.table({n: pa.array([]) for n in query.heading.names})
    return pa.Table.from_pylist(rows)
