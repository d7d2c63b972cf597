"""Rows to insert, read column by column where the input allows it.

DataFrames, structured arrays, polars and Arrow tables hold their data by column, and a list
of dicts that all have the same keys reads as columns in one pass each: an insert then
encodes and checks each column at once instead of making and reading a dict per row. Any
other input is read row by row (``None`` here).
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import numpy as np


@dataclass
class Columns:
    """``count`` rows as one list of values per field name (in input order)."""

    names: list[Any]
    values: dict[Any, list[Any]]
    count: int


def columns_of(rows: Any) -> Columns | None:
    """The rows of a column-oriented input (or of uniform dicts) as columns, else None."""
    kind = type(rows).__name__
    module = type(rows).__module__.split(".")[0]
    if kind == "DataFrame" and module == "pandas":
        return _frame(rows)
    if kind == "DataFrame" and module == "polars":
        return _mapping(rows.to_dict(as_series=False), rows.height)
    if kind == "Table" and module == "pyarrow":
        return _mapping(rows.to_pydict(), rows.num_rows)
    if isinstance(rows, np.ndarray) and rows.dtype.names is not None and rows.ndim == 1:
        return _records(rows)
    if type(rows) is list and rows and type(rows[0]) is dict:
        return _dicts(rows)
    return None


def _mapping(values: dict[Any, list[Any]], count: int) -> Columns:
    return Columns(list(values), values, count)


def _frame(df: Any) -> Columns | None:
    """A DataFrame's columns; a named index becomes columns (``reset_index``), as row by row."""
    named = any(n is not None for n in df.index.names)
    frame = df.reset_index() if named else df  # an unnamed index is dropped
    if not frame.columns.is_unique:
        return None  # the row-by-row reading reports it
    labels = list(frame.columns)
    return Columns(labels, {n: frame[n].tolist() for n in labels}, len(frame))


def _records(records: np.ndarray) -> Columns:
    """A structured array's fields: numbers, bools and strings as Python scalars (one call per
    field), other fields as their numpy values."""
    names = list(records.dtype.names or ())
    values = {
        n: records[n].tolist() if records.dtype[n].kind in "biufUS?" else list(records[n])
        for n in names
    }
    return Columns(names, values, len(records))


def _dicts(rows: list[Any]) -> Columns | None:
    """Dicts with the same keys as columns; None when one differs (row by row reports it)."""
    first = rows[0]
    if set(map(type, rows)) != {dict} or set(map(len, rows)) != {len(first)}:
        return None
    try:
        values = {name: list(map(itemgetter(name), rows)) for name in first}
    except KeyError:
        return None
    return Columns(list(first), values, len(rows))
