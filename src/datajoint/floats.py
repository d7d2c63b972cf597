"""32-bit floats as the shortest decimals that round-trip (``15.3`` comes back as ``15.3``).

A float32 column holds binary32 values; widened to a Python float, ``15.3`` would read as
``15.300000190734863``. Each value is replaced by the shortest decimal (as a float) that
rounds to the same binary32 value — what ``repr(numpy.float32(x))`` prints — computed for a
whole column with numpy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_MAX_DIGITS = 9  # enough significant digits to round-trip any binary32 value


def shortest_float32(values: np.ndarray) -> np.ndarray:
    """float64 array of the shortest decimals that round to each binary32 value of ``values``."""
    x32 = np.asarray(values, dtype=np.float32)
    out = x32.astype(np.float64)
    where = np.flatnonzero(np.isfinite(out) & (out != 0))
    if not where.size:
        return out
    v, target = out[where], x32[where]
    exponent = np.floor(np.log10(np.abs(v))).astype(np.int64)
    # within these exponents every scale 10**(digits - 1 - exponent) below is an exact double,
    # so the rounded candidate is the double nearest to its decimal; others take numpy's repr
    fast = (exponent >= -14) & (exponent <= 22)
    pending = fast.copy()
    for digits in range(1, _MAX_DIGITS + 1):
        idx = np.flatnonzero(pending)
        if not idx.size:
            break
        scale = digits - 1 - exponent[idx]
        power = 10.0 ** np.abs(scale)
        up = scale >= 0
        candidate = np.where(up, np.round(v[idx] * power) / power, np.round(v[idx] / power) * power)
        exact = candidate.astype(np.float32) == target[idx]
        out[where[idx[exact]]] = candidate[exact]
        pending[idx[exact]] = False
    rest = np.flatnonzero(pending | ~fast)
    if rest.size:
        out[where[rest]] = target[rest].astype(str).astype(np.float64)
    return out


def shortest_float32_column(values: list[Any]) -> list[Any]:
    """A fetched float32 column (numbers and None) as Python floats (:func:`shortest_float32`)."""
    if None not in values:
        converted: list[Any] = shortest_float32(np.array(values, dtype=np.float32)).tolist()
        return converted
    present = [v for v in values if v is not None]
    it = iter(shortest_float32(np.array(present, dtype=np.float32)).tolist())
    return [None if v is None else next(it) for v in values]
