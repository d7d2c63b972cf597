"""Audit of spec 03 §5-§12 (Top, proj, join, aggr, union, dj.U, lineage), every backend."""

from __future__ import annotations

import pytest
from spec_audit_tables import audit_fixture, keys  # noqa: F401

import datajoint as dj


# ---------------------------------------------------------------- §5 Top
def test_top_merge_uses_remaining_limit(audit):
    Item = audit.Item
    merged = Item & dj.Top(10) & dj.Top(5, None, offset=8)
    assert keys(merged) == [(9,), (10,)]
    assert len(merged) == 2
    merged = Item & dj.Top(10, "KEY") & dj.Top(None, "KEY", offset=7)
    assert keys(merged) == [(8,), (9,), (10,)]
    merged = Item & dj.Top(None, "item_id DESC", offset=2) & dj.Top(3, None, offset=1)
    assert keys(merged) == [(12,), (11,), (10,)]


def test_top_with_different_order_wraps(audit):
    Item = audit.Item
    q = Item & dj.Top(10, "item_id desc") & dj.Top(3, "item_id asc")
    assert keys(q) == [(6,), (7,), (8,)]
    assert len(q) == 3 and bool(q)


def test_top_ordering_entries(audit):
    Item = audit.Item
    assert keys(Item & dj.Top(3, ["val DESC", "item_id"])) == [(3,), (7,), (11,)]
    assert keys(Item & dj.Top(2, "KEY DESC")) == [(15,), (14,)]
    assert keys(Item & dj.Top(2, "KEY ASC", offset=13)) == [(14,), (15,)]
    assert keys(Item & dj.Top(None, "KEY", offset=13)) == [(14,), (15,)]
    kw = audit.Keyword
    assert keys(kw & dj.Top(2, ["select desc", "kid"]), "kid", "select") == [(1, 5), (2, 5)]
    assert keys(kw & dj.Top(2, ["select DESC", "kid DESC"]), "kid") == [(2,), (1,)]
    with pytest.raises(dj.DataJointError, match="not found"):
        Item & dj.Top(1, "nope")
    with pytest.raises(dj.DataJointError, match="not found"):
        Item.to_dicts(order_by=["val DESC", "nope"])


def test_top_on_singleton_key(lab):
    single = dj.U().aggr(lab.Trial, n="count(*)") & dj.Top()
    assert single.primary_key == []
    assert "ORDER BY" not in single.make_sql()
    assert single.fetch1("n") == 3


def test_operators_after_top(lab, audit):
    S, Sub = lab.Session, lab.Subject
    first = (S & dj.Top(1, "session_date DESC")).proj()
    assert keys(first + (S & {"subject_id": 1, "session_idx": 1}).proj()) == [(1, 1), (2, 1)]
    assert keys(S.proj() - first) == [(1, 1), (1, 2)]
    assert keys(Sub.aggr(S & dj.Top(2), n="count(session_idx)"), "subject_id", "n") == [
        (1, 2),
        (2, 0),
        (3, 0),
    ]
    top2 = audit.Item & dj.Top(2, ["val DESC", "item_id"])
    assert keys(top2.proj(double="val * 2"), "item_id", "double") == [(3, 6), (7, 6)]
    assert keys(top2 & "item_id > 3") == [(7,)]
    assert len(dj.U("val") & top2) == 1


# ---------------------------------------------------------------- §6 projection
def test_projection_forms(lab):
    Sub, S, T = lab.Subject, lab.Session, lab.Trial
    assert Sub.proj(...).heading.names == ["subject_id", "species", "sex"]
    assert keys(Sub.proj(...), "subject_id", "species", "sex")[2] == (3, "rat", "F")
    assert Sub.proj("sex").heading.names == ["subject_id", "sex"]
    assert keys(Sub.proj("sex", "species"), "sex", "species") == [
        ("M", "mouse"),
        ("F", "mouse"),
        ("F", "rat"),
    ]
    assert Sub.proj(..., "- sex", "-  species").heading.names == ["subject_id"]
    assert keys(S.proj(..., "-rig"), "session_date")[0][0].isoformat() == "2024-01-01"
    renamed = T.proj(sess="session_idx")
    assert renamed.primary_key == ["subject_id", "sess", "trial_idx"]
    assert keys(renamed) == [(1, 1, 1), (1, 1, 2), (1, 2, 1)]
    assert Sub.proj(kind="species").heading.names == ["subject_id", "kind"]
    assert keys(Sub.proj(kind=" species "), "kind") == [("mouse",), ("mouse",), ("rat",)]
    dup = S.proj(s2="(session_idx)")
    assert dup.primary_key == ["subject_id", "session_idx"]
    assert not dup.heading["s2"].in_key
    assert keys(dup, "session_idx", "s2") == [(1, 1), (2, 2), (1, 1)]


def test_projection_computed_order_and_literals(lab):
    T = lab.Trial
    q = T.proj("correct", b="(rt)", a="rt * 2", sess="session_idx")
    assert q.heading.names == ["subject_id", "sess", "trial_idx", "correct", "b", "a"]
    assert q.heading["a"].lineage is None and not q.heading["a"].in_key
    assert q.heading["sess"].lineage == T.heading["session_idx"].lineage
    literals = T.proj(n="null", t="true", f="FALSE", now="current_timestamp")
    rows = literals.to_dicts()
    assert [r["n"] for r in rows] == [None, None, None]
    assert [bool(r["t"]) for r in rows] == [True] * 3
    assert [bool(r["f"]) for r in rows] == [False] * 3
    assert all(r["now"] is not None for r in rows)


def test_projection_errors(lab):
    S = lab.Session
    with pytest.raises(dj.DataJointError, match="not a valid data type"):
        S.proj(["session_date"])
    with pytest.raises(dj.DataJointError, match="not found"):
        S.proj(..., "-nope")
    with pytest.raises(dj.DataJointError, match="Cannot exclude primary key attribute"):
        S.proj("-session_idx")
    with pytest.raises(dj.DataJointError, match="already exists"):
        S.proj("rig", rig="session_date")
    with pytest.raises(dj.DataJointError, match="already exists"):
        S.proj(x="session_date", **{"session_idx": "rig"})
    with pytest.raises(dj.DataJointError, match="Attribute `nope` not found"):
        S.proj(d="nope")


# ---------------------------------------------------------------- §7 join
def test_join_headings_and_commutativity(lab):
    S, T, R = lab.Session, lab.Trial, lab.Rig
    assert (S * R).heading.names == ["subject_id", "session_idx", "session_date", "rig", "room"]
    st, ts = S * T, T * S
    assert st.heading.names[:5] == ["subject_id", "session_idx", "trial_idx", "rt", "correct"]
    assert ts.heading.names == st.heading.names
    assert keys(st) == keys(ts) == [(1, 1, 1), (1, 1, 2), (1, 2, 1)]
    cross = lab.Subject * R
    assert cross.heading.names == ["subject_id", "rig", "species", "sex", "room"]
    assert keys(cross)[:4] == [(1, "A"), (1, "B"), (1, "C"), (2, "A")]
    assert (R * lab.Subject).primary_key == ["rig", "subject_id"]
    assert keys(lab.Session.join(lab.Trial), "trial_idx") == [(1,), (2,), (1,)]


def test_left_joins(lab):
    S, R, T = lab.Session, lab.Rig, lab.Trial
    left = S.join(R, left=True)
    assert left.primary_key == S.primary_key
    assert keys(left, "session_idx", "room") == [(1, 101), (2, 102), (1, None)]
    no_namesakes = lab.Subject.extend(dj.U().aggr(T, n="count(*)"))
    assert "ON TRUE" in no_namesakes.make_sql().upper().replace("(TRUE)", "TRUE")
    assert keys(no_namesakes, "subject_id", "n") == [(1, 3), (2, 3), (3, 3)]
    empty_right = lab.Subject.extend(dj.U().aggr(T & "rt > 5", m="max(rt)"))
    assert keys(empty_right, "subject_id", "m") == [(1, None), (2, None), (3, None)]
    with pytest.raises(dj.DataJointError, match="left operand to determine"):
        R.join(S, left=True)
    with pytest.raises(dj.DataJointError, match="session_idx"):
        lab.Subject.extend(S)


def test_join_errors(lab):
    S = lab.Session
    with pytest.raises(dj.DataJointError, match="argument of join"):
        S * {"subject_id": 1}
    with pytest.raises(dj.DataJointError, match="argument of join"):
        S.join("subject_id = 1")
    with pytest.raises(dj.DataJointError, match="no longer supported"):
        S.join(dj.U())
    with pytest.raises(dj.DataJointError, match="no longer supported"):
        dj.U("rig") * 3
    with pytest.raises(dj.DataJointError):
        dj.U("rig") * {"rig": 1}


# ---------------------------------------------------------------- §8 aggregation
def test_aggregation_keeps_all_rows(lab):
    S, T, Sub = lab.Session, lab.Trial, lab.Subject
    full = Sub.aggr(S * T, n="count(trial_idx)", best="min(rt)")
    assert keys(full, "subject_id", "n") == [(1, 3), (2, 0), (3, 0)]
    assert [r["best"] for r in full.to_dicts()][1:] == [None, None]
    with pytest.warns(DeprecationWarning, match="keep_all_rows"):
        kept = S.aggr(T, n="count(trial_idx)", keep_all_rows=True)
    assert keys(kept, "session_idx", "n") == [(1, 2), (2, 1), (1, 0)]
    alias = S.aggregate(T, n="count(trial_idx)", exclude_nonmatching=True)
    assert keys(alias, "session_idx", "n") == [(1, 2), (2, 1)]
    stats = S.aggr(T, "session_date", lo="min(rt)", hi="max(rt)", span="max(rt) - min(rt)")
    rows = stats.to_dicts()
    assert stats.heading.names == ["subject_id", "session_idx", "session_date", "lo", "hi", "span"]
    assert [round(float(r["span"]), 6) for r in rows[:2]] == [0.2, 0.0]
    assert rows[2]["lo"] is None
    assert keys(Sub.aggr(S, n="count(session_idx)") & "n = 0") == [(3,)]


def test_aggregation_semantic_check(lab):
    with pytest.raises(dj.DataJointError, match=r"`id`.*lineage"):
        lab.Student.aggr(lab.Course, n="count(*)")
    group = lab.Student * lab.Pet.proj(pet="name")
    with pytest.raises(dj.DataJointError, match="`name`"):  # shared native secondary
        lab.Student.aggr(group, n="count(pet_id)")
    fine = lab.Student.proj().aggr(group, n="count(pet_id)")
    assert keys(fine, "id", "n") == [(1, 1), (2, 1)]
    with pytest.raises(dj.DataJointError, match="Missing attributes"):
        lab.Session.aggr(lab.Subject, n="count(*)")


# ---------------------------------------------------------------- §9 union
def test_union_without_semantic_check_and_key_order(lab):
    u = lab.Student.proj() + lab.Course.proj()  # different lineages of `id`: no check
    assert keys(u) == [(1,), (2,), (3,)]
    S = lab.Session
    swapped = dj.U("session_idx", "subject_id") & (S & "subject_id = 2")  # key (idx, subject)
    ij = (S & "subject_id = 1").proj() + swapped
    assert ij.heading.names == ["subject_id", "session_idx"]
    assert keys(ij) == [(1, 1), (1, 2), (2, 1)]
    ji = swapped + (S & "subject_id = 1").proj()
    assert ji.primary_key == ["session_idx", "subject_id"]
    assert keys(ji, "subject_id", "session_idx") == [(1, 1), (2, 1), (1, 2)]
    outer = lab.Student + lab.Course.proj(course_title="title")
    assert keys(outer, "id", "name", "course_title") == [
        (1, "Ann", "Math"),
        (2, "Bob", None),
        (3, None, "Art"),
    ]
    with pytest.raises(dj.DataJointError, match="same primary key"):
        lab.Student.proj() + lab.Pet.proj()
    with pytest.raises(dj.DataJointError, match="unioned"):
        lab.Student() + {"id": 1}


def test_union_as_operand(lab):
    Sub = lab.Subject
    u = (Sub & "subject_id = 1").proj("species") + (Sub & "subject_id = 3").proj("sex")
    assert keys(u & {"subject_id": 3}, "subject_id", "sex") == [(3, "F")]
    assert keys(u - {"subject_id": 3}, "subject_id", "species") == [(1, "mouse")]
    assert keys(dj.U("subject_id") & u) == [(1,), (3,)]
    assert keys(u.aggr(lab.Session, n="count(session_idx)"), "subject_id", "n") == [
        (1, 2),
        (3, 0),
    ]
    assert bool(u & "subject_id > 5") is False


# ---------------------------------------------------------------- §10 dj.U
def test_universal_set_forms(lab, audit):
    S, T, Sub = lab.Session, lab.Trial, lab.Subject
    agg = S.aggr(T, n="count(trial_idx)")
    assert keys(dj.U("n") & agg) == [(0,), (1,), (2,)]
    assert keys(dj.U("n").aggr(agg, k="count(*)"), "n", "k") == [(0, 1), (1, 1), (2, 1)]
    distinct = dj.U("species") & Sub
    assert keys(dj.U().aggr(distinct, k="count(*)"), "k") == [(2,)]
    one = dj.U().aggr(T, n="count(*)", mean_rt="avg(rt)").fetch1()
    assert one["n"] == 3 and float(one["mean_rt"]) == pytest.approx(1.6 / 3)
    assert dj.U().aggr(T, n="count(*)").heading.names == ["n"]
    assert keys(dj.U("val") & (audit.Item & "item_id < 4")) == [(1,), (2,), (3,)]
    assert keys(dj.U("subject_id", "rig") & (S & "rig IS NOT NULL")) == [(1, "A"), (1, "B")]
    assert (dj.U("rig", "subject_id") & S).primary_key == ["rig", "subject_id"]
    assert len(dj.U() & S) == 1 and bool(dj.U() & S)
    assert (dj.U() & (S & "subject_id = 9")).to_dicts() == []
    assert (S() & dj.U()).make_sql() == S().make_sql()
    assert keys(S - dj.U("rig", "subject_id")) == []


def test_universal_set_lineage(lab):
    species = dj.U("species") & lab.Subject
    assert species.heading["species"].lineage is None
    with pytest.raises(dj.DataJointError, match=r"`species`.*lineage|lineage.*`species`"):
        species * lab.Subject
    assert len(species.join(lab.Subject, semantic_check=False)) == 3
    subjects = dj.U("subject_id") & lab.Session
    assert subjects.heading["subject_id"].lineage == lab.Subject.heading["subject_id"].lineage
    assert keys(lab.Subject & subjects) == [(1,), (2,)]


def test_universal_set_errors(lab):
    S = lab.Session
    with pytest.raises(dj.DataJointError, match="can only be restricted with a QueryExpression"):
        dj.U("rig") & "rig = 'A'"
    with pytest.raises(dj.DataJointError, match="infinite"):
        dj.U() - S
    with pytest.raises(dj.DataJointError, match="exclude_nonmatching"):
        dj.U().aggr(S, n="count(*)", exclude_nonmatching=False)
    with pytest.raises(dj.DataJointError, match="not found"):
        dj.U("rig", "room") & S
    with pytest.raises(dj.DataJointError, match="not found in the group expression"):
        dj.U("room").aggr(S, n="count(*)")


# ---------------------------------------------------------------- §12 semantic check
def test_semantic_check_messages(lab):
    with pytest.raises(dj.DataJointError) as info:
        lab.Student * lab.Course
    message = str(info.value)
    assert "`id`" in message and "different lineages" in message and ".proj()" in message
    with pytest.raises(dj.DataJointError) as info:
        lab.Student * lab.Pet
    message = str(info.value)
    assert "`name`" in message and "lineage" in message and ".proj()" in message
    with pytest.raises(dj.DataJointError) as info:
        lab.Subject * lab.Rig.proj(subject_id="room")
    message = str(info.value)
    assert "`subject_id`" in message and "lineage" in message and "rebuild_lineage" in message
    with pytest.raises(dj.DataJointError, match=r"`id`.*lineage"):
        lab.Student - lab.Course
    with pytest.raises(dj.DataJointError, match=r"`id`.*lineage"):
        lab.Student.extend(lab.Course)


def test_semantic_check_false_everywhere(lab):
    St, Co = lab.Student, lab.Course
    assert keys(St.join(Co, semantic_check=False, left=True), "id", "title") == [
        (1, "Math"),
        (2, None),
    ]
    assert keys(St.extend(Co, semantic_check=False), "id", "title") == [(1, "Math"), (2, None)]
    assert keys(St.restrict(Co, semantic_check=False)) == [(1,)]
    assert keys(St.restrict(dj.Not(Co), semantic_check=False)) == [(2,)]
    assert keys(St.restrict([Co], semantic_check=False)) == [(1,)]
    renamed = St * Co.proj(course_id="id")
    assert renamed.primary_key == ["id", "course_id"] and len(renamed) == 4
