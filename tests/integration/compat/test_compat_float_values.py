"""float32 (and the native 32-bit ``float``) values come back as inserted in every fetch form;
decimal columns and exact decimal arithmetic come back as Decimal (issue 14 point 3)."""

from __future__ import annotations

import decimal
import warnings

import numpy as np
import pytest

import datajoint as dj

D = decimal.Decimal
VALUES = [15.3, 0.1, 2.7, -1234.56, 1e-7, 3.4e38, 123456.7, 0.0, 7.0]


@pytest.fixture
def Sample(schema):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # native `float` is discouraged

        @schema
        class Sample(dj.Manual):
            definition = """
            id : int32
            ---
            f32 : float32
            native : float
            maybe = null : float32
            f64 : float64
            amount : decimal(8,3)
            """

    Sample.insert(
        {"id": i, "f32": v, "native": v, "maybe": None if i % 2 else v, "f64": v,
         "amount": D("12.345") * i}
        for i, v in enumerate(VALUES)
    )  # fmt: skip
    return Sample


def expected(name):
    return [None if name == "maybe" and i % 2 else v for i, v in enumerate(VALUES)]


def test_float32_values_in_every_fetch_form(Sample):
    rows = Sample.to_dicts()
    for name in ("f32", "native", "maybe"):
        assert [r[name] for r in rows] == expected(name), name
        assert all(type(r[name]) in (float, type(None)) for r in rows)
    assert (Sample & {"id": 0}).fetch1("f32") == 15.3
    assert (Sample & {"id": 0}).fetch1() == {
        "id": 0, "f32": 15.3, "native": 15.3, "maybe": 15.3, "f64": 15.3, "amount": D("0.000")
    }  # fmt: skip
    assert Sample.to_arrays("f32").tolist() == VALUES
    structured = Sample.to_arrays()
    assert structured["native"].tolist() == VALUES
    assert np.isnan(structured["maybe"][1]) and structured["maybe"][0] == 15.3
    assert Sample.to_pandas()["f32"].tolist() == VALUES
    assert Sample.to_polars()["native"].to_list() == VALUES
    assert Sample.to_arrow().column("f32").to_pylist() == VALUES
    assert [r["f32"] for r in Sample] == VALUES
    assert Sample.head(1)[0]["f32"] == 15.3
    with pytest.warns(DeprecationWarning):
        assert Sample.fetch("f32").tolist() == VALUES
    assert Sample.proj("f32").to_dicts()[0] == {"id": 0, "f32": 15.3}
    extremes = Sample.aggr(Sample.proj(g="f32"), low="min(g)", high="max(g)")
    assert (extremes & {"id": 0}).fetch1("low", "high") == (15.3, 15.3)


def test_fetched_float32_values_restrict_their_rows(Sample):
    for i, value in enumerate(VALUES):
        assert (Sample & {"f32": value}).fetch1("id") == i
        assert (Sample & {"native": value}).fetch1("id") == i
    row = (Sample & {"id": 0}).fetch1()
    assert len(Sample & row) == 1


def test_float32_values_stay_binary32(Sample):
    """Values that need more than float32 precision come back as the binary32 they were stored
    as, printed as the shortest decimal of it."""
    Sample.insert1({"id": 100, "f32": 1 / 3, "native": 16777217.0, "f64": 1 / 3, "amount": 0})
    row = (Sample & {"id": 100}).fetch1()
    assert row["f32"] == 0.33333334 and np.float32(row["f32"]) == np.float32(1 / 3)
    assert row["native"] == 16777216.0
    assert row["f64"] == 1 / 3


def test_decimal_values_and_arithmetic(Sample, backend_name):
    assert (Sample & {"id": 3}).fetch1("amount") == D("37.035")
    assert all(type(a) is D for a in Sample.to_arrays("amount"))
    computed = (Sample & {"id": 3}).proj(doubled="amount * 2", total="amount + amount").fetch1()
    if backend_name == "sqlite":
        # SQLite has no exact decimal arithmetic: expressions compute in binary floating point
        assert computed["doubled"] == pytest.approx(74.07)
        assert computed["total"] == pytest.approx(74.07)
    else:
        assert computed["doubled"] == D("74.070") and type(computed["doubled"]) is D
        assert computed["total"] == D("74.070") and type(computed["total"]) is D
    biggest = dj.U().aggr(Sample, top="max(amount)").fetch1("top")
    assert biggest == D("98.760") and type(biggest) is D
