"""The fetched-data digest of the three-part make (spec 05 §2.3); no database."""

from __future__ import annotations

import datetime
import decimal
import uuid

import numpy as np

from datajoint.populate.digest import digest


def test_equal_data_equal_digest() -> None:
    value = {
        "a": np.arange(6, dtype="float32").reshape(2, 3),
        "b": [1, "x", b"\x00", None, decimal.Decimal("1.50")],
        "c": (datetime.date(2024, 1, 2), uuid.UUID(int=7), float("nan")),
    }
    same = {
        "c": (datetime.date(2024, 1, 2), uuid.UUID(int=7), float("nan")),
        "b": [1, "x", b"\x00", None, decimal.Decimal("1.50")],
        "a": np.arange(6, dtype="float32").reshape(2, 3).copy(),
    }
    assert digest(value) == digest(same)  # key order irrelevant, NaN equals NaN


def test_differences_detected() -> None:
    base = digest([1, 2])
    assert digest([2, 1]) != base  # order matters in sequences
    assert digest((1, 2)) == digest([1, 2])  # tuples and lists are both sequences
    assert digest([1, 2.0]) != base  # int vs float
    assert digest(np.zeros(3, "float32")) != digest(np.zeros(3, "float64"))  # dtype
    assert digest(np.zeros((1, 3))) != digest(np.zeros((3, 1)))  # shape
    assert digest({"a": 1}) != digest({"a": 2})
    assert digest("1") != digest(1)
    assert digest(True) != digest(1)


def test_unsupported_types_compare_by_repr(caplog) -> None:
    class Thing:
        def __repr__(self) -> str:
            return "Thing()"

    assert digest(Thing()) == digest(Thing())
    assert "repr" in caplog.text
