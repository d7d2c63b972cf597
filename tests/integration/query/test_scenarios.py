"""The worked scenarios of spec 03 §15 (and their neighbours), on every backend."""

from __future__ import annotations

import datetime

import pytest

import datajoint as dj


def keys(q, *names):
    names = names or tuple(q.primary_key)
    return [tuple(r[n] for n in names) for r in q.to_dicts()]


def test_restriction_by_dict_and_null(lab):
    S = lab.Session
    assert keys(lab.Subject & {"species": "mouse"}) == [(1,), (2,)]
    assert keys(S & {"rig": None}) == [(2, 1)]
    assert keys(S - {"rig": None}) == [(1, 1), (1, 2)]
    both = S & [{"subject_id": 1, "session_idx": 2}, {"subject_id": 2}]
    assert keys(both) == [(1, 2), (2, 1)]
    assert keys(lab.Trial & {"correct": True}) == [(1, 1, 1), (1, 2, 1)]


def test_semijoin_and_antijoin(lab):
    S, T = lab.Session, lab.Trial
    assert keys(lab.Subject - S) == [(3,)]
    assert keys(S & T) == [(1, 1), (1, 2)]
    assert keys(S - T) == [(2, 1)]
    assert len(S & T) + len(S - T) == len(S()) == 3
    assert keys(lab.Subject & (S & {"rig": "B"})) == [(1,)]
    assert keys(lab.Subject & lab.Rig) == [(1,), (2,), (3,)]
    assert keys(S & (lab.Rig & {"room": 103})) == []
    assert keys(S - (lab.Rig & {"room": 103})) == [(1, 1), (1, 2), (2, 1)]


def test_antijoin_with_nulls(lab):
    """len(A & B) + len(A - B) == len(A) even when B has NULLs in the common attribute."""
    S = lab.Session
    rigs = dj.U("rig") & S  # contains a NULL rig
    assert len(S & rigs) + len(S - rigs) == 3
    assert keys(S - rigs) == [(2, 1)]


def test_join_keys_and_rows(lab):
    S, T = lab.Session, lab.Trial
    st = S * T
    assert st.primary_key == ["subject_id", "session_idx", "trial_idx"]
    assert st.heading.names[:3] == ["subject_id", "session_idx", "trial_idx"]
    assert len(st) == 3
    sr = S * lab.Rig
    assert sr.primary_key == ["subject_id", "session_idx"]
    assert keys(sr, "subject_id", "session_idx", "rig", "room") == [
        (1, 1, "A", 101),
        (1, 2, "B", 102),
    ]
    ext = S.extend(lab.Rig)
    assert keys(ext, "subject_id", "session_idx", "room") == [
        (1, 1, 101),
        (1, 2, 102),
        (2, 1, None),
    ]
    cross = lab.Subject * lab.Rig
    assert cross.primary_key == ["subject_id", "rig"]
    assert len(cross) == 9
    assert (T * S).primary_key == T.primary_key


def test_aggregation(lab):
    S, T = lab.Session, lab.Trial
    agg = S.aggr(T, n="count(trial_idx)")
    assert agg.primary_key == ["subject_id", "session_idx"]
    assert keys(agg, "subject_id", "session_idx", "n") == [(1, 1, 2), (1, 2, 1), (2, 1, 0)]
    star = S.aggr(T, n="count(*)")
    assert [r["n"] for r in star.to_dicts()] == [2, 1, 1]
    only = S.aggr(T, n="count(*)", exclude_nonmatching=True)
    assert keys(only, "subject_id", "session_idx", "n") == [(1, 1, 2), (1, 2, 1)]
    avg = S.aggr(T, n="count(trial_idx)", avg_rt="avg(rt)").to_dicts()
    assert [None if r["avg_rt"] is None else round(float(r["avg_rt"]), 6) for r in avg] == [
        0.6,
        0.4,
        None,
    ]
    last = lab.Subject.aggr(S, ..., last="max(session_date)")
    rows = last.to_dicts()
    assert [r["species"] for r in rows] == ["mouse", "mouse", "rat"]
    assert [str(r["last"])[:10] if r["last"] else None for r in rows] == [
        "2024-01-02",
        "2024-01-05",
        None,
    ]
    assert keys(agg & "n > 1") == [(1, 1)]
    assert keys(lab.Subject & (agg & "n = 0")) == [(2,)]


def test_aggregation_with_restricted_group_keeps_all_rows(lab):
    S, T = lab.Session, lab.Trial
    agg = S.aggr(T & "correct", n="count(trial_idx)")
    assert keys(agg, "subject_id", "session_idx", "n") == [(1, 1, 1), (1, 2, 1), (2, 1, 0)]


def test_universal_sets(lab):
    S = lab.Session
    species = dj.U("species") & lab.Subject
    assert species.primary_key == ["species"]
    assert keys(species) == [("mouse",), ("rat",)]
    counts = dj.U("species").aggr(lab.Subject, n="count(*)")
    assert keys(counts, "species", "n") == [("mouse", 2), ("rat", 1)]
    assert dj.U().aggr(S, n="count(*)").fetch1("n") == 3
    pairs = dj.U("subject_id", "rig") & S
    assert sorted(keys(pairs), key=str) == sorted([(1, "A"), (1, "B"), (2, None)], key=str)
    assert (dj.U("rig") & S).primary_key == ["rig"]
    assert len(dj.U() & S) == 1
    assert len(dj.U() & (S & "subject_id > 5")) == 0
    assert (S & dj.U("rig")).make_sql() == S().make_sql()
    assert len(S - dj.U("rig")) == 0
    years = dj.U("year").aggr(S.proj(year="YEAR(session_date)"), n="count(*)")
    assert keys(years, "year", "n") == [(2024, 3)]
    nested = dj.U().aggr(dj.U().aggr(lab.Trial, m="avg(rt)"), x="max(m)").fetch1("x")
    assert float(nested) == pytest.approx(0.5333333, rel=1e-5)


def test_top(lab):
    S = lab.Session
    top = S & dj.Top(2, "session_date DESC")
    assert keys(top) == [(2, 1), (1, 2)]
    assert keys(top & {"subject_id": 1}) == [(1, 2)]
    assert keys(S & dj.Top(None, "KEY DESC")) == [(2, 1), (1, 2), (1, 1)]
    assert len(top) == 2
    assert bool(S & dj.Top(1, "KEY", offset=5)) is False
    merged = S & dj.Top(3) & dj.Top(5, None, offset=2)
    assert keys(merged) == [(2, 1)]
    reordered = S & dj.Top(2, "session_date DESC") & dj.Top(1, "session_date")
    assert keys(reordered) == [(1, 2)]
    assert keys(top.proj()) == [(2, 1), (1, 2)]
    assert S.to_dicts(order_by="session_date DESC", limit=1)[0]["session_idx"] == 1


def test_projection(lab):
    T, S = lab.Trial, lab.Session
    ms = T.proj(ms="rt * 1000") & "ms > 450"
    assert keys(ms) == [(1, 1, 1), (1, 1, 2)]
    assert ms.primary_key == T.primary_key
    dd = S.proj(d="session_date") * S.proj(d2="session_date")
    assert len(dd) == 3
    animals = lab.Subject.proj(animal="subject_id") * S
    assert len(animals) == 9
    assert animals.primary_key == ["animal", "subject_id", "session_idx"]
    assert keys(S.proj()) == [(1, 1), (1, 2), (2, 1)]
    assert lab.Subject.proj(..., "-sex").heading.names == ["subject_id", "species"]
    assert lab.Subject.proj(animal="subject_id").primary_key == ["animal"]
    dup = lab.Subject.proj("species", kind="(species)")
    assert dup.heading.names == ["subject_id", "species", "kind"]
    assert dup.heading["kind"].in_key is False
    assert [r["kind"] for r in dup.to_dicts()] == ["mouse", "mouse", "rat"]
    chained = T.proj(y="rt").proj(z="y * 2")
    assert [round(float(r["z"]), 6) for r in chained.to_dicts()] == [1.0, 1.4, 0.8]


def test_union(lab):
    Sub = lab.Subject
    u = (Sub & "subject_id = 1").proj() + (Sub & "subject_id = 3").proj()
    assert keys(u) == [(1,), (3,)]
    outer = (Sub & "subject_id<3").proj("species") + (Sub & "subject_id>1").proj("sex")
    assert outer.primary_key == ["subject_id"]
    assert keys(outer, "subject_id", "species", "sex") == [
        (1, "mouse", None),
        (2, "mouse", "F"),
        (3, None, "F"),
    ]
    assert len(outer) == 3
    assert keys(outer & "subject_id > 1", "subject_id") == [(2,), (3,)]
    assert keys(lab.Session & u) == [(1, 1), (1, 2)]


def test_errors(lab):
    S, Sub = lab.Session, lab.Subject
    with pytest.raises(dj.DataJointError, match="same primary key"):
        Sub + S
    with pytest.raises(dj.DataJointError, match="left operand to determine"):
        S.extend(lab.Trial)
    with pytest.raises(dj.DataJointError, match="Missing attributes"):
        Sub.aggr(lab.Rig, n="count(*)")
    with pytest.raises(dj.DataJointError, match="lineage"):
        lab.Student * lab.Course
    with pytest.raises(dj.DataJointError, match="lineage"):
        lab.Student & lab.Course
    with pytest.raises(dj.DataJointError, match="name"):
        lab.Student * lab.Pet
    with pytest.raises(dj.DataJointError, match="lineage"):
        Sub * lab.Rig.proj(subject_id="room")
    with pytest.raises(dj.DataJointError, match="not found"):
        S & "nonexistent_attr > 3"
    with pytest.raises(dj.DataJointError, match="Invalid restriction type"):
        S & None
    with pytest.raises(dj.DataJointError, match="Invalid restriction type"):
        S & 3
    with pytest.raises(dj.DataJointError, match=r"Invalid restriction type Top\(limit=1"):
        S & [dj.Top()]
    with pytest.raises(dj.DataJointError, match="Invalid restriction type"):
        S - dj.Top()
    with pytest.raises(dj.DataJointError, match="argument of join"):
        S * 3
    with pytest.raises(dj.DataJointError, match="no longer supported"):
        S * dj.U("rig")
    with pytest.raises(dj.DataJointError, match="no longer supported"):
        dj.U("rig") * S
    with pytest.raises(dj.DataJointError, match="infinite"):
        dj.U("rig") - S
    with pytest.raises(dj.DataJointError, match="can only be restricted with a QueryExpression"):
        dj.U("rig") & {"rig": "A"}
    with pytest.raises(dj.DataJointError, match="not found"):
        dj.U("nope") & S
    with pytest.raises(dj.DataJointError):
        dj.U("rig").aggr(S, n="count(*)", exclude_nonmatching=False)
    with pytest.raises(dj.DataJointError, match="removed"):
        S() ^ lab.Trial()
    with pytest.raises(dj.DataJointError, match="removed"):
        S() @ lab.Trial()
    with pytest.raises(dj.DataJointError, match="valid data type"):
        S.proj(3)
    with pytest.raises(dj.DataJointError, match="not found"):
        S.proj("nope")
    with pytest.raises(dj.DataJointError, match="Cannot exclude primary key"):
        S.proj(..., "-subject_id")
    with pytest.raises(dj.DataJointError, match="already exists"):
        Sub.proj(..., sex="species")
    with pytest.raises(dj.DataJointError, match="not found"):
        Sub.proj(x="nope")
    with pytest.raises(dj.DataJointError, match="fetch1"):
        Sub.fetch1()
    with pytest.raises(dj.DataJointError, match="unioned"):
        Sub() + 3
    with pytest.raises(dj.DataJointError, match="must not share any secondary"):
        Sub() + Sub()
    with pytest.raises(dj.errors.QueryError):  # unparsable: sent verbatim, driver error translated
        (S & "session_idx >>> ??? 3").to_dicts()


def test_semantic_check_bypass(lab):
    joined = lab.Student.join(lab.Course, semantic_check=False)
    assert keys(joined, "id", "name", "title") == [(1, "Ann", "Math")]
    assert keys(lab.Student.restrict(lab.Course, semantic_check=False)) == [(1,)]
    assert keys(lab.Student.restrict(dj.Not(lab.Course), semantic_check=False)) == [(2,)]
    assert len(lab.Student * lab.Course.proj(course_id="id")) == 4
    assert len(lab.Student * lab.Pet.proj(pet_name="name")) == 2
    assert len(lab.Session * lab.Trial) == 3
    assert len(lab.Subject * lab.Session) == 3


def test_session_values_identical(lab):
    rows = lab.Session.to_dicts()
    assert rows[0] == {
        "subject_id": 1,
        "session_idx": 1,
        "session_date": datetime.date(2024, 1, 1),
        "rig": "A",
    }
