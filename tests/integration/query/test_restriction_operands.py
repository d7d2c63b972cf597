"""Every restriction operand kind of spec 03 §3.1 and the simplification rules, per backend."""

from __future__ import annotations

import datetime
import decimal
import uuid

import numpy as np
import pandas as pd
import pytest

import datajoint as dj


def keys(q):
    return [tuple(r[k] for k in q.primary_key) for r in q.to_dicts()]


ALL = [(1, 1), (1, 2), (2, 1)]


def test_bool_and_empty_operands(lab):
    S = lab.Session()
    assert (S & True) is S
    assert keys(S & False) == []
    assert keys(S & []) == []
    assert (S & dj.AndList([])) is S
    assert keys(S - True) == []
    assert keys(S - False) == ALL
    assert keys(S - []) == ALL
    assert keys(S - dj.AndList([])) == []
    assert (S & {}) is S
    assert keys(S - {}) == []
    assert (S & {"nonexistent": 1}) is S
    assert keys(S & [[]]) == []
    assert keys(S & (lab.Rig & "room > 500")) == []
    assert keys(S & [False, {"subject_id": 2}]) == [(2, 1)]
    assert keys(S & [True, {"subject_id": 2}]) == ALL
    assert keys(S & dj.AndList([True, {"subject_id": 1}])) == [(1, 1), (1, 2)]
    assert keys(S & dj.AndList([False, {"subject_id": 1}])) == []


def test_or_and_and_lists(lab):
    S = lab.Session
    c1, c2 = {"subject_id": 2}, "session_idx = 2"
    assert keys(S & [c1, c2]) == [(1, 2), (2, 1)]
    assert keys(S & (c1, c2)) == [(1, 2), (2, 1)]
    assert keys(S - [c1, c2]) == [(1, 1)]
    assert keys(S & dj.AndList([{"subject_id": 1}, c2])) == [(1, 2)]
    assert keys(S - dj.AndList([{"subject_id": 1}, c2])) == [(1, 1), (2, 1)]
    assert keys(S & (r for r in [c1])) == [(2, 1)]
    assert keys(S & [[c1], [c2]]) == [(1, 2), (2, 1)]
    assert keys(S & lab.Session.keys()[:1]) == [(1, 1)]


def test_not_nests(lab):
    S = lab.Session
    assert keys(S & dj.Not({"subject_id": 1})) == [(2, 1)]
    assert keys(S & dj.Not(dj.Not({"subject_id": 1}))) == [(1, 1), (1, 2)]
    assert keys(S.restrict(dj.Not(lab.Trial))) == [(2, 1)]
    assert keys(S & -lab.Trial()) == [(2, 1)]
    assert keys(S - dj.Not(lab.Trial)) == [(1, 1), (1, 2)]


def test_successive_restrictions_are_anded(lab):
    S = lab.Session
    assert keys(S & {"subject_id": 1} & "session_idx > 1") == [(1, 2)]
    assert keys((S & lab.Trial) - {"session_idx": 1}) == [(1, 2)]


def test_numpy_records(lab):
    S = lab.Session
    records = np.array([(1, 2), (2, 1)], dtype=[("subject_id", "i8"), ("session_idx", "i8")])
    assert keys(S & records) == [(1, 2), (2, 1)]
    assert keys(S & records[0]) == [(1, 2)]
    assert keys(S - records) == [(1, 1)]
    arrays = S.to_arrays()
    assert keys(S & arrays[:1]) == [(1, 1)]


def test_dataframe(lab):
    S = lab.Session
    frame = pd.DataFrame({"subject_id": [1, 2], "session_idx": [2, 1]})
    assert keys(S & frame) == [(1, 2), (2, 1)]
    indexed = lab.Subject.to_pandas()
    assert keys(lab.Subject & indexed[indexed.species == "rat"]) == [(3,)]


def test_universal_set_operand(lab):
    S = lab.Session()
    assert (S & dj.U("rig")) is S
    assert keys(S - dj.U()) == []


def test_invalid_operands(lab):
    S = lab.Session
    for bad in (None, 3, 2.5, object()):
        with pytest.raises(dj.DataJointError, match="Invalid restriction type"):
            S & bad
    top = dj.Top()
    message = "Invalid restriction type Top(limit=1, order_by=['KEY'], offset=0)"
    for bad in ([top], dj.AndList([top]), dj.Not(top)):
        with pytest.raises(dj.DataJointError) as info:
            S & bad
        assert str(info.value) == message


def test_membership(lab):
    S = lab.Session()
    assert {"subject_id": 2, "session_idx": 1} in S
    assert {"subject_id": 3} not in S
    assert "rig = 'B'" in S
    assert lab.Trial() in S


def test_top_validation():
    with pytest.raises(TypeError, match="Top limit must be an integer"):
        dj.Top("3")
    with pytest.raises(TypeError, match="Top order_by attributes must all be strings"):
        dj.Top(1, [3])
    with pytest.raises(TypeError, match="The offset argument must be an integer"):
        dj.Top(1, "KEY", "2")
    assert dj.Top(None, None, 5).limit == 999999999999
    assert dj.Top(None, None, None).offset == 0
    assert repr(dj.Top()) == "Top(limit=1, order_by=['KEY'], offset=0)"


def test_different_connections(lab):
    S = lab.Session()
    other = S._derive(connection=object())
    for op in (lambda: S * other, lambda: S & other, lambda: S + other):
        with pytest.raises(dj.DataJointError, match="different connections"):
            op()
    with pytest.raises(dj.DataJointError, match="different connections"):
        S.aggr(other, n="count(*)")


def test_restricted_table_stays_a_table(lab):
    restricted = lab.Session & {"subject_id": 1}
    assert isinstance(restricted, lab.Session)
    assert isinstance(restricted & dj.Top(1), lab.Session)
    assert len(restricted) == 2
    assert len(lab.Session()) == 3


def test_json_paths(lab):
    Car = lab.Car
    assert keys(Car & {"car.name": "Civic"}) == [(2,)]
    assert keys(Car & {"car.length": 15.5}) == [(1,)]
    assert keys(Car & {"car.length": 14}) == [(2,)]
    assert keys(Car & {"car.length:decimal(4,1)": 12}) == [(3,)]
    assert keys(Car & {"car.lights[0].side": "R"}) == [(2,)]
    assert keys(Car & {"car.name": None}) == [(3,), (4,)]
    assert keys(Car - {"car.name": "Civic"}) == [(1,)]
    lengths = Car.proj(len_m="car.length:decimal(4,1)", name="car.name").to_dicts()
    assert [None if r["len_m"] is None else float(r["len_m"]) for r in lengths] == [
        15.5,
        14.0,
        12.0,
        None,
    ]
    assert [r["name"] for r in lengths] == ["Rav4", "Civic", None, None]


def test_thousands_of_keys_restrict_as_one_in_list(schema):
    """Restricting by 5,000 composite keys (spec 03 §3.1: a list is an OR) selects exactly them."""

    @schema
    class Cell(dj.Manual):
        definition = "plate : int32\nwell : varchar(8)\n---\nvalue : float64"

    Cell.insert(
        {"plate": p, "well": f"w{w}", "value": p * 100.0 + w}
        for p in range(100)
        for w in range(100)
    )
    wanted = [{"plate": p, "well": f"w{w}"} for p in range(0, 100, 2) for w in range(100)]
    chosen = Cell & wanted
    assert len(chosen) == 5000
    assert sorted(chosen.to_arrays("value")) == sorted(
        p * 100.0 + w for p in range(0, 100, 2) for w in range(100)
    )
    assert len(Cell - wanted) == 5000
    plates = Cell & [{"plate": p} for p in range(3000)]
    assert len(plates) == 10000
    mixed = Cell & [{"plate": 1, "well": "w1"}, {"plate": 2}, "value < 1"]
    assert sorted(mixed.to_arrays("value")) == [0.0, 101.0] + [200.0 + w for w in range(100)]
    assert "IN" in chosen.make_sql().upper()


def test_thousands_of_integer_composite_keys(schema):
    """Integer keys are written into the IN list as text (a VALUES list on PostgreSQL, its first
    row cast to the column types): the same rows as one condition per key, negation included."""

    @schema
    class Grid(dj.Manual):
        definition = "x : int16\ny : int64\n---\nv : int64"

    big = 2**40
    Grid.insert({"x": x, "y": y, "v": x * 1000 + y} for x in range(50) for y in range(100))
    Grid.insert1({"x": -3, "y": big, "v": -1})
    wanted = [{"x": x, "y": y} for x in range(0, 50, 2) for y in range(0, 100, 3)]
    expected = sorted(x * 1000 + y for x in range(0, 50, 2) for y in range(0, 100, 3))
    assert sorted((Grid & wanted).to_arrays("v")) == expected
    assert len(Grid - wanted) == 5001 - len(wanted)
    assert sorted((Grid & [{"x": 1, "y": 2}, {"x": 3, "y": 4}]).to_arrays("v")) == [1002, 3004]
    tail = [{"x": -3, "y": big}, {"x": np.int16(1), "y": np.int64(2)}, {"x": 0, "y": -7}]
    assert sorted((Grid & (wanted[:40] + tail)).to_arrays("v")) == sorted(
        [-1, 1002, *expected[:40]]
    )
    assert len(Grid & [{"x": -3, "y": big}] * 30) == 1
    assert len(Grid & [{"x": x} for x in range(-5, 3000)]) == 5001
    assert len(Grid - [{"x": x} for x in range(0, 3000)]) == 1


def test_many_composite_keys_of_every_key_type(schema):
    """Long composite-key lists (a VALUES semi-join on PostgreSQL) compare each value as its
    column's type: enum, date, string, uuid, decimal."""

    @schema
    class Visit(dj.Manual):
        definition = """
        kind : enum('home', 'clinic')
        day : date
        label : varchar(8)
        token : uuid
        dose : decimal(5,2)
        ---
        n : int32
        """

    tokens = [uuid.UUID(int=i) for i in range(4)]
    rows = [
        {
            "kind": ("home", "clinic")[i % 2],
            "day": datetime.date(2024, 1, 1) + datetime.timedelta(days=i),
            "label": f"l{i % 7}",
            "token": tokens[i % 4],
            "dose": decimal.Decimal(i % 5) / 4,
            "n": i,
        }
        for i in range(120)
    ]
    Visit.insert(rows)
    wanted = [{k: v for k, v in r.items() if k != "n"} for r in rows if r["n"] % 3 == 0]
    assert len(wanted) == 40
    assert sorted((Visit & wanted).to_arrays("n")) == list(range(0, 120, 3))
    assert sorted((Visit - wanted).to_arrays("n")) == [i for i in range(120) if i % 3]
    as_text = [{**w, "day": w["day"].isoformat(), "token": str(w["token"])} for w in wanted]
    assert len(Visit & as_text) == 40
