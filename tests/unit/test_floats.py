"""float32 columns decode to the shortest decimal that rounds to the stored binary32 value."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from datajoint.floats import shortest_float32, shortest_float32_column


def numpy_shortest(value: np.float32) -> float:
    return float(str(value))  # numpy prints the shortest round-tripping decimal


@given(st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=200))
def test_matches_the_shortest_repr_for_any_bits(bits):
    values = np.array(bits, dtype=np.uint32).view(np.float32)
    values = values[np.isfinite(values)]
    got = shortest_float32(values)
    assert got.tolist() == [numpy_shortest(v) for v in values]
    assert np.array_equal(got.astype(np.float32), values)


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False, width=32), max_size=100))
def test_short_decimals_come_back_unchanged(values):
    decimals = [round(v, 2) for v in values]
    got = shortest_float32(np.array(decimals, dtype=np.float32)).tolist()
    assert got == [numpy_shortest(np.float32(d)) for d in decimals]


def test_values_users_type():
    values = [15.3, 0.1, 2.7, -0.3, 1e-45, 3.4e38, 1e30, 123456.7, 0.0, -0.0, 100.0]
    assert shortest_float32(np.array(values, dtype=np.float32)).tolist() == values
    assert np.signbit(shortest_float32(np.array([-0.0], dtype=np.float32))[0])
    special = shortest_float32(np.array([np.inf, -np.inf, np.nan], dtype=np.float32))
    assert special[0] == np.inf and special[1] == -np.inf and np.isnan(special[2])


def test_columns_with_nulls():
    assert shortest_float32_column([15.300000190734863, None, 2.700000047683716]) == [
        15.3,
        None,
        2.7,
    ]
    assert shortest_float32_column([None, None]) == [None, None]
    assert shortest_float32_column([]) == []
