"""Fetch details of spec 04 §1 on query expressions, identical on every backend."""

from __future__ import annotations

import datetime
import types

import numpy as np
import pytest

import datajoint as dj


def test_default_order_is_primary_key(lab):
    rows = (lab.Session * lab.Trial).to_dicts()
    assert [(r["subject_id"], r["session_idx"], r["trial_idx"]) for r in rows] == [
        (1, 1, 1),
        (1, 1, 2),
        (1, 2, 1),
    ]
    assert [r["subject_id"] for r in lab.Subject - lab.Session] == [3]


def test_order_by_limit_offset(lab):
    S = lab.Session
    assert [r["session_idx"] for r in S.to_dicts(order_by="KEY DESC")] == [1, 2, 1]
    by_date = S.to_dicts(order_by=["session_date DESC"], limit=2)
    assert [r["session_date"] for r in by_date] == [
        datetime.date(2024, 1, 5),
        datetime.date(2024, 1, 2),
    ]
    assert S.to_dicts(limit=1, offset=1)[0]["session_idx"] == 2
    assert len(S.to_dicts(offset=1)) == 2
    assert [r["rig"] for r in S.to_dicts(order_by=["rig", "KEY"])] == [None, "A", "B"]
    assert [r["rig"] for r in S.to_dicts(order_by="rig DESC")] == ["B", "A", None]
    assert S.keys(order_by="session_date DESC", limit=1) == [{"subject_id": 2, "session_idx": 1}]
    with pytest.raises(dj.errors.UnknownAttributeError):
        S.to_dicts(order_by="nope")
    with pytest.raises(TypeError):
        S.to_dicts(order_by=[3])
    with pytest.raises(TypeError):
        S.to_dicts(limit="3")


def test_fetch_limit_inherits_top_order(lab):
    top = lab.Session & dj.Top(3, "session_date DESC")
    assert [r["session_idx"] for r in top.to_dicts(limit=2)] == [1, 2]
    reordered = top.to_dicts(order_by="KEY")
    assert [(r["subject_id"], r["session_idx"]) for r in reordered] == [(1, 1), (1, 2), (2, 1)]


def test_fetch1(lab):
    one = lab.Session & {"subject_id": 2}
    assert one.fetch1() == {
        "subject_id": 2,
        "session_idx": 1,
        "session_date": datetime.date(2024, 1, 5),
        "rig": None,
    }
    assert one.fetch1("rig") is None
    assert one.fetch1("session_date", "session_idx") == (datetime.date(2024, 1, 5), 1)
    assert one.fetch1("KEY") == {"subject_id": 2, "session_idx": 1}
    assert one.fetch1("KEY", "rig") == ({"subject_id": 2, "session_idx": 1}, None)
    with pytest.raises(dj.errors.UnknownAttributeError):
        one.fetch1("nope")
    with pytest.raises(dj.DataJointError, match=r"fetch1.*no rows"):
        (lab.Session & {"subject_id": 9}).fetch1()
    with pytest.raises(dj.DataJointError, match="2 or more"):
        lab.Session.fetch1("rig")


def test_to_arrays(lab):
    S = lab.Session
    arr = S.to_arrays()
    assert arr.dtype.names == ("subject_id", "session_idx", "session_date", "rig")
    assert arr["subject_id"].tolist() == [1, 1, 2]
    idx = S.to_arrays("session_idx")
    assert idx.tolist() == [1, 2, 1]
    rigs, idx = S.to_arrays("rig", "session_idx", order_by="KEY DESC")
    assert rigs.tolist() == [None, "B", "A"] and idx.tolist() == [1, 2, 1]
    key_list, rigs = S.to_arrays("rig", include_key=True)
    assert key_list[0] == {"subject_id": 1, "session_idx": 1} and rigs[0] == "A"
    assert (S & key_list[1]).fetch1("rig") == rigs[1]
    assert S.to_arrays(limit=2)["session_idx"].tolist() == [1, 2]
    with pytest.raises(dj.errors.UnknownAttributeError):
        S.to_arrays("nope")
    rt = lab.Trial.proj(sub="rt").to_arrays("sub")
    assert rt.dtype == np.float64


def test_head_tail_iteration(lab):
    S = lab.Session
    assert [r["session_idx"] for r in S.head(2)] == [1, 2]
    assert [(r["subject_id"], r["session_idx"]) for r in S.tail(2)] == [(1, 2), (2, 1)]
    gen = iter(lab.Session())
    assert isinstance(gen, types.GeneratorType)
    assert [r["session_idx"] for r in gen] == [1, 2, 1]
    for row in lab.Subject():  # the body may query the same connection
        assert len(lab.Subject & row) == 1


def test_len_and_bool_are_single_queries(lab, count_queries):
    S = lab.Session
    expressions = [
        S(),
        S & lab.Trial,
        S.aggr(lab.Trial, n="count(*)") & "n > 1",
        dj.U("rig") & S,
        dj.U() & S,
        (S & "subject_id = 1").proj() + (S & "subject_id = 2").proj(),
        S & dj.Top(2, "session_date"),
    ]
    expected = [3, 2, 1, 3, 1, 3, 2]
    for q, n in zip(expressions, expected, strict=True):
        with count_queries(lab.connection) as counter:
            assert len(q) == n
            assert bool(q) is True
        assert counter.count == 2
    with count_queries(lab.connection) as counter:
        assert not (S & "subject_id > 10")
    assert counter.count == 1


def test_output_formats(lab):
    frame = lab.Session.to_pandas()
    assert list(frame.index.names) == ["subject_id", "session_idx"]
    assert list(frame.columns) == ["session_date", "rig"]
    empty = (lab.Session & "subject_id > 10").to_pandas()
    assert list(empty.columns) == ["session_date", "rig"] and len(empty) == 0
    polars = pytest.importorskip("polars")
    pl_frame = lab.Subject.to_polars()
    assert isinstance(pl_frame, polars.DataFrame)
    assert pl_frame["species"].to_list() == ["mouse", "mouse", "rat"]
    pa = pytest.importorskip("pyarrow")
    table = lab.Subject.to_arrow(order_by="KEY DESC")
    assert isinstance(table, pa.Table)
    assert table.column("subject_id").to_pylist() == [3, 2, 1]
    assert (lab.Subject & "subject_id > 10").to_arrow().num_rows == 0


def test_squeeze(lab):
    rows = lab.Trial.to_dicts(squeeze=True, limit=1)
    assert rows[0]["trial_idx"] == 1


def test_ties_in_order_by_break_by_primary_key(schema):
    """``order_by`` with ties and a limit picks the same rows, in the same order, everywhere."""

    @schema
    class Score(dj.Manual):
        definition = "a : int32\nb : varchar(4)\n---\ngrade : int16"

    rows = [(3, "x", 1), (1, "y", 2), (2, "x", 1), (1, "x", 1), (3, "a", 2), (2, "b", 2)]
    Score.insert([{"a": a, "b": b, "grade": g} for a, b, g in reversed(rows)])
    picked = Score.to_dicts(order_by="grade", limit=3)
    assert [(r["a"], r["b"]) for r in picked] == [(1, "x"), (2, "x"), (3, "x")]
    top = Score & dj.Top(4, "grade DESC")
    assert [(r["a"], r["b"]) for r in top.to_dicts()] == [(1, "y"), (2, "b"), (3, "a"), (1, "x")]
    assert [(r["a"], r["b"]) for r in Score.to_dicts(order_by="grade", offset=4)] == [
        (2, "b"),
        (3, "a"),
    ]
