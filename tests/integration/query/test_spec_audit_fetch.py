"""Audit of spec 04 §1 (fetch) and spec 03 §13 (SQL, display) on query expressions."""

from __future__ import annotations

import datetime
import types

import numpy as np
import pytest
from spec_audit_tables import audit_fixture, keys  # noqa: F401

import datajoint as dj


def test_worked_example_of_spec_04(audit):
    Language = audit.Language
    first = Language.to_arrays(limit=2)
    assert [(r["name"], r["language"]) for r in first] == [
        ("Dimitri", "English"),
        ("Dimitri", "Ukrainian"),
    ]
    names, langs = Language.to_arrays("name", "language", order_by=["language", "name DESC"])
    assert langs[:3].tolist() == ["English"] * 3
    assert names[:3].tolist() == ["Fabian", "Edgar", "Dimitri"]
    key_list, names = Language.to_arrays("name", include_key=True, order_by="KEY")
    assert (Language & key_list[0]).fetch1("name") == names[0]
    assert (Language & {"name": "Edgar", "language": "Japanese"}).fetch1() == {
        "name": "Edgar",
        "language": "Japanese",
    }
    with pytest.raises(dj.DataJointError, match="fetch1"):
        Language.fetch1()
    assert Language.tail(2) == [
        {"name": "Fabian", "language": "English"},
        {"name": "Fabian", "language": "German"},
    ]
    assert len(Language & "name='Dimitri'") == 2
    assert {"name": "Edgar", "language": "English"} in Language()
    assert {"name": "Edgar", "language": "German"} not in Language()


def test_structured_array_dtypes(lab, audit):
    arr = lab.Trial.to_arrays()
    assert arr.dtype["trial_idx"] == np.int64 and arr.dtype["rt"] == np.float64
    assert arr.dtype["correct"] == np.bool_
    assert arr["correct"].tolist() == [True, False, True]
    typed = audit.Typed.to_arrays()
    for name in ("u", "amount", "stamp", "day", "n"):
        assert typed.dtype[name].kind == "O", name
    assert typed["n"].tolist() == [7, None, 9]
    assert typed["day"][0] == datetime.date(2024, 1, 1)
    empty = (lab.Trial & "rt > 5").to_arrays()
    assert len(empty) == 0 and empty.dtype == arr.dtype


def test_named_arrays(lab):
    S, R = lab.Session, lab.Rig
    rooms = S.extend(R).to_arrays("room")
    assert rooms.dtype == object and rooms.tolist() == [101, 102, None]
    rooms = (S.extend(R) & "rig IS NOT NULL").to_arrays("room")
    assert rooms.dtype == np.int64 and rooms.tolist() == [101, 102]
    rt, idx = lab.Trial.to_arrays("rt", "trial_idx", order_by="rt DESC", limit=2)
    assert rt.tolist() == [0.7, 0.5] and idx.tolist() == [2, 1]
    (only,) = [lab.Trial.to_arrays("rt", offset=2)]
    assert only.tolist() == [0.4]
    key_list, rigs, dates = S.to_arrays("rig", "session_date", include_key=True, limit=2)
    assert key_list == [{"subject_id": 1, "session_idx": 1}, {"subject_id": 1, "session_idx": 2}]
    assert rigs.tolist() == ["A", "B"] and dates[1] == datetime.date(2024, 1, 2)
    with pytest.raises(dj.DataJointError):
        S.to_arrays("KEY")
    empty = (S & "subject_id > 5").to_arrays("rig")
    assert len(empty) == 0


def test_keys_and_fetch1(lab):
    S = lab.Session
    assert S.keys(order_by="KEY DESC", limit=2) == [
        {"subject_id": 2, "session_idx": 1},
        {"subject_id": 1, "session_idx": 2},
    ]
    assert S.keys(offset=2) == [{"subject_id": 2, "session_idx": 1}]
    key_list = S.keys()
    assert [len(S & k) for k in key_list] == [1, 1, 1]
    one = S & {"subject_id": 1, "session_idx": 2}
    assert one.fetch1("KEY", "rig", "session_idx") == (
        {"subject_id": 1, "session_idx": 2},
        "B",
        2,
    )
    assert lab.Subject.aggr(S, n="count(*)", exclude_nonmatching=True).keys() == [
        {"subject_id": 1},
        {"subject_id": 2},
    ]
    assert (dj.U().aggr(S, n="count(*)")).fetch1() == {"n": 3}
    assert (S.aggr(lab.Trial, n="count(trial_idx)") & "n = 2").fetch1("n") == 2
    with pytest.raises(dj.DataJointError, match="fetch1"):
        (S & "subject_id = 9").fetch1("rig")
    with pytest.raises(dj.DataJointError, match="fetch1"):
        (S & {"subject_id": 1}).fetch1("KEY")


def test_fetch_argument_errors(lab):
    S = lab.Session
    with pytest.raises(TypeError):
        S.to_dicts(offset="1")
    with pytest.raises(TypeError):
        S.to_dicts(limit=1.5)
    with pytest.raises(TypeError):
        S.keys(order_by=[None])
    with pytest.raises(dj.errors.UnknownAttributeError):
        S.to_pandas(order_by="nope")
    with pytest.raises(dj.errors.UnknownAttributeError):
        S.fetch1("KEY", "nope")


def test_ordering_of_every_operator_kind(lab):
    S, T, Sub = lab.Session, lab.Trial, lab.Subject
    assert [r["rig"] for r in (dj.U("rig") & S).to_dicts()] == [None, "A", "B"]
    assert [r["rig"] for r in (dj.U("rig") & S).to_dicts(order_by="rig DESC")] == [
        "B",
        "A",
        None,
    ]
    agg = S.aggr(T, n="count(trial_idx)")
    assert [r["n"] for r in agg.to_dicts(order_by=["n DESC"])] == [2, 1, 0]
    assert [r["n"] for r in agg.to_dicts(order_by=["n", "KEY"], limit=2)] == [0, 1]
    u = (Sub & "subject_id = 1").proj() + (Sub & "subject_id = 3").proj()
    assert [r["subject_id"] for r in u.to_dicts(order_by="subject_id DESC")] == [3, 1]
    assert [r["subject_id"] for r in u] == [1, 3]
    renamed = Sub.proj(animal="subject_id")
    assert [r["animal"] for r in renamed.to_dicts(order_by="animal DESC")] == [3, 2, 1]
    assert [r["animal"] for r in renamed.tail(2)] == [2, 3]
    computed = T.proj(ms="rt * 1000")
    assert [r["trial_idx"] for r in computed.to_dicts(order_by="ms DESC")] == [2, 1, 1]
    assert [r["ms"] for r in computed.head(1)] == [pytest.approx(500)]
    joined = S * lab.Rig
    assert [r["room"] for r in joined.to_dicts(order_by="room DESC")] == [102, 101]
    assert [r["species"] for r in dj.U("species").aggr(Sub, n="count(*)")] == ["mouse", "rat"]


def test_class_level_fetch(lab, count_queries):
    Sub = lab.Subject
    assert [r["subject_id"] for r in Sub] == [1, 2, 3]
    assert isinstance(iter(Sub()), types.GeneratorType)
    assert Sub.keys(limit=1) == [{"subject_id": 1}]
    assert Sub.head(1)[0]["species"] == "mouse"
    assert Sub.tail(1)[0]["species"] == "rat"
    assert len(Sub.to_pandas()) == 3
    assert (Sub & {"subject_id": 3}).fetch1("species") == "rat"

    # spec 04 §1: len, bool and `in` need an instance; the class is truthy without a query
    with pytest.raises(TypeError):
        len(Sub)
    with pytest.raises(dj.DataJointError, match=r"Subject\(\)"):
        _ = {"subject_id": 1} in Sub
    assert {"subject_id": 1} in Sub() and {"subject_id": 9} not in Sub()
    with count_queries(Sub().connection) as counter:
        assert bool(Sub) and bool(lab.Trial)
    assert counter.count == 0


def test_iteration_can_stop_early(lab):
    gen = iter(lab.Session * lab.Trial)
    assert next(gen)["trial_idx"] == 1
    gen.close()
    assert len(lab.Session()) == 3


def test_head_tail_defaults(audit):
    Item = audit.Item
    assert [r["item_id"] for r in Item.head()] == list(range(1, 16))
    assert [r["item_id"] for r in Item.tail(3)] == [13, 14, 15]
    assert [r["item_id"] for r in (Item & "val = 0").tail(2)] == [8, 12]
    assert [r["item_id"] for r in (Item & dj.Top(5, "item_id DESC")).head(2)] == [11, 12]


def test_output_formats_shapes(lab):
    frame = lab.Trial.to_pandas(order_by="rt", limit=2)
    assert list(frame.index.names) == ["subject_id", "session_idx", "trial_idx"]
    assert frame["rt"].tolist() == [0.4, 0.5]
    single_key = lab.Subject.to_pandas()
    assert single_key.index.name == "subject_id" and list(single_key.index) == [1, 2, 3]
    keyless = dj.U().aggr(lab.Trial, n="count(*)").to_pandas()
    assert keyless["n"].tolist() == [3]
    polars = pytest.importorskip("polars")
    frame = (lab.Session & "rig IS NOT NULL").to_polars(order_by="KEY DESC")
    assert isinstance(frame, polars.DataFrame)
    assert frame["rig"].to_list() == ["B", "A"]
    assert (lab.Session & "subject_id > 5").to_polars().height == 0
    pa = pytest.importorskip("pyarrow")
    table = lab.Trial.to_arrow(limit=1, offset=1)
    assert isinstance(table, pa.Table) and table.column("trial_idx").to_pylist() == [2]
    empty = (lab.Trial & "rt > 5").to_arrow()
    assert empty.num_rows == 0


def test_cursor_returns_raw_rows(lab):
    rows = lab.Subject().cursor().fetchall()
    assert sorted(r[0] for r in rows) == [1, 2, 3]
    dict_rows = lab.Subject().cursor(as_dict=True).fetchall()
    assert sorted(r["species"] for r in dict_rows) == ["mouse", "mouse", "rat"]


def test_legacy_fetch_layer(lab):
    S = lab.Session
    with pytest.warns(DeprecationWarning, match=r"fetch\(\) is deprecated"):
        arr = S.fetch()
    assert arr["session_idx"].tolist() == [1, 2, 1]
    with pytest.warns(DeprecationWarning):
        assert S.fetch(as_dict=True, limit=1)[0]["rig"] == "A"
    with pytest.warns(DeprecationWarning):
        assert S.fetch("KEY", order_by="KEY DESC", limit=1) == [{"subject_id": 2, "session_idx": 1}]
    with pytest.warns(DeprecationWarning):
        rigs, idx = S.fetch("rig", "session_idx")
    assert rigs.tolist() == ["A", "B", None] and idx.tolist() == [1, 2, 1]
    with pytest.warns(DeprecationWarning):
        key_list, rigs = S.fetch("KEY", "rig")
    assert key_list[2] == {"subject_id": 2, "session_idx": 1} and rigs[2] is None
    with pytest.warns(DeprecationWarning):
        rows = S.fetch("KEY", "rig", as_dict=True)
    assert rows[0] == {"subject_id": 1, "session_idx": 1, "rig": "A"}
    with pytest.warns(DeprecationWarning):
        frame = S.fetch(format="frame")
    assert list(frame.columns) == ["session_date", "rig"]
    with pytest.warns(DeprecationWarning), pytest.raises(dj.DataJointError, match="frame"):
        S.fetch("rig", format="frame")


def test_preview_details(lab, audit):
    text = repr(audit.Item())
    lines = text.splitlines()
    assert lines[0].split() == ["*item_id", "val"]
    assert [line.split()[0] for line in lines[2:14]] == [str(i) for i in range(1, 13)]
    assert lines[14] == "   ..." and lines[-1] == " (Total: 15)"
    assert len(audit.Item().preview(limit=3).splitlines()) == 7
    narrow = audit.Language().preview(width=6)
    assert narrow.splitlines()[2].split()[0] == "Dimitr"
    car = repr(lab.Car()).splitlines()
    assert car[0].split() == ["*car_id", "car"]
    assert car[2].split() == ["1", "json"]
    top = repr(audit.Item & dj.Top(2, "item_id DESC")).splitlines()
    assert [line.split()[0] for line in top[2:4]] == ["15", "14"] and top[-1] == " (Total: 2)"
    html = audit.Item()._repr_html_()
    assert html.startswith("<style>") and "<p>...</p>" in html and "Total: 15" in html
    assert html.count("<tr>") == 13  # header + display.limit rows
    empty = repr(lab.Session & "subject_id > 5").splitlines()
    assert empty[-1] == " (Total: 0)" and len(empty) == 3


def test_make_sql_shapes(lab, backend_name):
    S = lab.Session
    proj = S.proj(date="session_date", year="YEAR(session_date)").make_sql()
    assert proj.startswith("SELECT")
    if backend_name == "mysql":
        assert "YEAR(" in proj and "AS `year`" in proj and "AS `date`" in proj
    elif backend_name == "postgresql":
        assert "EXTRACT(YEAR FROM" in proj and 'AS "year"' in proj
    wrapped = (S.proj(year="YEAR(session_date)") & "year = 2024").make_sql()
    assert wrapped.count("SELECT") == 2 and "FROM (SELECT" in wrapped
    assert keys(S.proj(year="YEAR(session_date)") & "year = 2024") == [(1, 1), (1, 2), (2, 1)]
    union = ((S & "subject_id = 1").proj() + (S & "subject_id = 2").proj()).make_sql()
    assert "UNION" in union
    outer = (lab.Subject.proj("species") + lab.Subject.proj("sex")).make_sql()
    assert "UNION" in outer and "NOT EXISTS" in outer
    for q in (S * lab.Trial, S.aggr(lab.Trial, n="count(*)"), dj.U("rig") & S, S - lab.Trial):
        assert q.make_sql() == q.make_sql() and q.make_sql().startswith("SELECT")
    assert "GROUP BY" not in dj.U().aggr(S, n="count(*)").make_sql()
    assert keys(S.aggr(lab.Trial)) == [(1, 1), (1, 2), (2, 1)]  # key only: one row per S
    assert "SELECT DISTINCT" in S.aggr(lab.Trial).make_sql()  # §8.3: no aggregates → DISTINCT
    nothing = dj.U().aggr(S)
    assert len(nothing) == 1 and nothing.to_dicts() == [{}]
    assert keys(lab.Subject.aggr(S, "species"), "subject_id", "species")[2] == (3, "rat")
    assert "INNER JOIN" in S.aggr(lab.Trial, n="count(*)", exclude_nonmatching=True).make_sql()


def test_comma_separated_order_by(audit):
    Language = audit.Language
    rows = Language.to_dicts(order_by="language DESC, name", limit=3)
    assert [(r["name"], r["language"]) for r in rows] == [
        ("Dimitri", "Ukrainian"),
        ("Edgar", "Japanese"),
        ("Fabian", "German"),
    ]
    top = Language & dj.Top(2, "language, name DESC")
    assert keys(top) == [("Fabian", "English"), ("Edgar", "English")]
    with pytest.raises(dj.DataJointError, match="not found"):
        Language.to_dicts(order_by="language, nope")
