"""Every output format gives the same values and types for every core type (spec 04 §1).

Bulk fetches build their result straight from the driver's rows when no value needs decoding
and decode column by column otherwise; NULLs and the kinds a driver does not give as Python
values take the second way. Both ways must agree with what was inserted.
"""

from __future__ import annotations

import datetime
import decimal
import json
import math
import uuid

import numpy as np
import pytest

import datajoint as dj

D = decimal.Decimal

PLAIN = """
id : int32
---
i8 : int8
u64 : uint64
f64 : float64
f32 : float32
dec : decimal(10,3)
flag : bool
code : char(5)
name : varchar(30)
day : date
moment : datetime(3)
ident : uuid
raw : bytes
grade : enum('alpha', 'beta')
"""

NULLABLE = """
id : int32
---
n = null : int16
x = null : float64
word = null : varchar(12)
doc = null : json
"""


def plain_row(i: int) -> dict:
    return {
        "id": i,
        "i8": i % 100 - 50,
        "u64": 2**63 + i,
        "f64": i / 7,
        "f32": float(str(np.float32(i / 3))),  # read back as the shortest decimal
        "dec": D(i) / 8,
        "flag": bool(i % 2),
        "code": "c" * (i % 5 + 1),
        "name": f"name {i} ümlaut 'q'",
        "day": datetime.date(2024, 1, 1) + datetime.timedelta(days=i),
        "moment": datetime.datetime(2024, 1, 1, 12, 0, 0, (i * 1000) % 1000000),
        "ident": uuid.UUID(int=i + 1),
        "raw": bytes([i % 256, 0, 92]),
        "grade": ["alpha", "beta"][i % 2],
    }


def nullable_row(i: int) -> dict:
    return {
        "id": i,
        "n": None if i % 3 == 0 else i,
        "x": None if i % 4 == 0 else i / 4,
        "word": None if i % 5 == 0 else f"w{i}",
        "doc": None if i % 2 else {"i": i, "list": [1, 2]},
    }


@pytest.fixture
def tables(schema):
    if schema.connection.backend == "sqlite":
        plain = PLAIN.replace("u64 : uint64", "u64 : uint32")  # SQLite: signed 64-bit only
        rows = [{**plain_row(i), "u64": 2**31 + i} for i in range(120)]
    else:
        plain, rows = PLAIN, [plain_row(i) for i in range(120)]
    Plain = schema(type("Plain", (dj.Manual,), {"definition": plain}))
    Nullable = schema(type("Nullable", (dj.Manual,), {"definition": NULLABLE}))
    Plain.insert(rows)
    Nullable.insert([nullable_row(i) for i in range(120)])
    return (Plain, rows), (Nullable, [nullable_row(i) for i in range(120)])


def same(a: object, b: object) -> bool:
    """Equal values of the same type (NaN equals NaN)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("which", [0, 1])
def test_dicts_keys_and_iteration(tables, which) -> None:
    table, rows = tables[which]
    assert table.to_dicts() == rows
    fetched = table.to_dicts()
    assert all(same(a, b) for r, s in zip(fetched, rows, strict=True) for a, b in
               zip(r.values(), s.values(), strict=True))  # fmt: skip
    assert table.keys() == [{"id": r["id"]} for r in rows]
    assert list(table()) == rows
    assert (table & {"id": 7}).fetch1() == rows[7]


@pytest.mark.parametrize("which", [0, 1])
def test_structured_arrays(tables, which) -> None:
    table, rows = tables[which]
    array = table.to_arrays()
    assert array.dtype.names == tuple(rows[0])
    for name in array.dtype.names:
        column = array[name].tolist()
        expected = [r[name] for r in rows]
        if array.dtype[name] == np.float64:
            expected = [math.nan if v is None else v for v in expected]
        assert all(same(a, b) for a, b in zip(column, expected, strict=True)), name
    ids, values = table.to_arrays("id", list(rows[0])[-1])
    assert ids.tolist() == [r["id"] for r in rows]
    assert len(values) == len(rows)


@pytest.mark.parametrize("which", [0, 1])
def test_frames_and_tables(tables, which) -> None:
    table, rows = tables[which]
    frame = table.to_pandas()
    assert list(frame.index) == [r["id"] for r in rows]
    for name in frame.columns:
        for got, want in zip(frame[name].tolist(), [r[name] for r in rows], strict=True):
            missing = want is None and (got is None or (isinstance(got, float) and got != got))
            assert missing or got == want, (name, got, want)
    docs = {name for name in rows[0] if table.heading[name].json}  # JSON: its text in Arrow

    def documents_apart(records: list[dict]) -> list[dict]:
        return [{k: v for k, v in r.items() if k not in docs} for r in records]

    arrow = table.to_arrow().to_pylist()
    assert documents_apart(table.to_polars().to_dicts()) == documents_apart(arrow)
    for got, want in zip(arrow, rows, strict=True):
        for name in want:
            if name in docs and got[name] is not None:
                assert json.loads(got[name]) == want[name], name
            else:
                assert got[name] == want[name], name


def frame_as_before(table: dj.QueryExpression) -> object:
    """The DataFrame of the rows: columns from lists, then the primary key as the index."""
    import pandas as pd

    rows, names = table.to_dicts(), table.heading.names
    frame = pd.DataFrame({n: [r[n] for r in rows] for n in names}, columns=names)
    return frame.set_index(table.primary_key) if table.primary_key else frame


def test_pandas_frames_equal_columns_then_index(lab, tables) -> None:
    import pandas as pd

    cases = [lab.Session, lab.Rig, lab.Trial, lab.Car, lab.Subject, lab.Trial & "rt > 9"]
    cases += [lab.Trial.proj(late="rt > 0.45"), lab.Session * lab.Rig, tables[0][0], tables[1][0]]
    for query in cases:
        pd.testing.assert_frame_equal(query.to_pandas(), frame_as_before(query))
