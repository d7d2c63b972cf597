"""Operators composed with each other (wrapping rules of spec 03 §13.3), with rows checked."""

from __future__ import annotations

import logging

import pytest

import datajoint as dj


def rows(q, *names):
    names = names or tuple(q.heading.names)
    return [tuple(r[n] for n in names) for r in q.to_dicts()]


def test_top_merging(lab):
    S = lab.Session
    assert len(S & dj.Top(10) & dj.Top(5, None, offset=8)) == 0
    assert rows(S & dj.Top(3) & dj.Top(5, None, offset=1), "session_idx") == [(2,), (1,)]
    assert rows(S & dj.Top(2) & dj.Top(5, "KEY"), "subject_id", "session_idx") == [
        (1, 1),
        (1, 2),
    ]


def test_top_as_operand(lab):
    S, T = lab.Session, lab.Trial
    latest = S & dj.Top(1, "session_date DESC")
    assert rows(lab.Subject & latest, "subject_id") == [(2,)]
    assert rows(T * (S & dj.Top(1)), "trial_idx") == [(1,), (2,)]
    assert rows(S.aggr(T & dj.Top(1, "rt DESC"), n="count(trial_idx)"), "n") == [(1,), (0,), (0,)]
    assert rows(dj.U("subject_id") & latest) == [(2,)]


def test_aggregation_compositions(lab):
    S, T, Sub = lab.Session, lab.Trial, lab.Subject
    per_session = S.aggr(T, n="count(trial_idx)")
    total = Sub.aggr(per_session, total="sum(n)", exclude_nonmatching=True)
    assert [(r["subject_id"], int(r["total"])) for r in total.to_dicts()] == [(1, 3), (2, 0)]
    renamed = Sub.proj(sp="species").aggr(S, "sp", n="count(session_idx)")
    assert rows(renamed, "subject_id", "sp", "n") == [
        (1, "mouse", 2),
        (2, "mouse", 1),
        (3, "rat", 0),
    ]
    restricted = (Sub & "subject_id < 3").aggr(S, ..., n="count(session_idx)")
    assert rows(restricted, "subject_id", "species", "n") == [(1, "mouse", 2), (2, "mouse", 1)]
    assert rows(per_session.proj(m="n * 2") & "m > 1", "m") == [(4,), (2,)]
    assert rows(per_session * S, "session_date", "n")[0][1] == 2
    assert rows(dj.U().aggr(per_session, x="max(n)"), "x") == [(2,)]
    assert rows(dj.U().aggr(S, n="count(*)") & "n > 2", "n") == [(3,)]
    assert len(dj.U().aggr(S & "subject_id > 9", n="count(*)")) == 1
    with pytest.warns(DeprecationWarning, match="keep_all_rows"):
        kept = S.aggr(T, n="count(trial_idx)", keep_all_rows=False)
    assert len(kept) == 2
    with pytest.raises(dj.DataJointError, match="not found"):
        S.aggr(T, "rt", n="count(*)")
    with pytest.raises(dj.DataJointError):
        dj.U("species").aggr(Sub, "sex", n="count(*)")
    with pytest.raises(dj.DataJointError, match="not found in the group"):
        dj.U("nope").aggr(Sub, n="count(*)")
    with pytest.raises(dj.DataJointError, match="requires a QueryExpression"):
        dj.U("species").aggr({"a": 1}, n="count(*)")


def test_union_compositions(lab):
    Sub = lab.Subject
    u = (Sub & "subject_id = 1").proj() + (Sub & "subject_id = 3").proj()
    assert rows(u + (Sub & "subject_id = 2").proj()) == [(1,), (2,), (3,)]
    assert rows(u & dj.Top(1, "subject_id DESC")) == [(3,)]
    assert rows(u.proj(s="subject_id")) == [(1,), (3,)]
    assert rows(u * lab.Session, "subject_id", "session_idx") == [(1, 1), (1, 2)]
    assert rows(dj.U().aggr(u, n="count(*)"), "n") == [(2,)]
    assert rows(Sub - u, "subject_id") == [(2,)]


def test_left_joins(lab):
    S, R = lab.Session, lab.Rig
    ext = S.extend(R & "room > 101")
    assert rows(ext, "subject_id", "session_idx", "room") == [
        (1, 1, None),
        (1, 2, 102),
        (2, 1, None),
    ]
    assert ext.heading["room"].nullable
    assert len(S.extend(R)) == len(S()) == 3
    with pytest.raises(dj.DataJointError, match="left operand to determine"):
        R.extend(S)


def test_projection_compositions(lab):
    S, T = lab.Session, lab.Trial
    swapped = T.proj(a="trial_idx", trial_idx="session_idx")
    assert swapped.primary_key == ["subject_id", "trial_idx", "a"]
    assert rows(swapped & "a = 2", "subject_id", "trial_idx", "a") == [(1, 1, 2)]
    both = S.proj("rig", r="rig")
    assert rows(both, "rig", "r") == [("A", "A"), ("B", "B"), (None, None)]
    restricted_then_renamed = (S & "rig = 'A'").proj(day="session_date")
    assert [str(r["day"])[:10] for r in restricted_then_renamed.to_dicts()] == ["2024-01-01"]
    twice = S.proj(d="session_date").proj(e="d")
    assert len(twice & "e > '2024-01-01'") == 2
    assert rows(S.proj(n="1 + 1") & {"n": 2}, "n") == [(2,), (2,), (2,)]


def test_semantic_check_warns_without_lineage(lab, caplog):
    heading = lab.Course.heading
    missing = type(heading)(all_attributes=heading.all_attributes, lineage_available=False)
    other = lab.Course()._derive(heading=missing)
    with caplog.at_level(logging.WARNING, logger="datajoint"):
        joined = lab.Student * other
    assert "rebuild_lineage" in caplog.text
    assert len(joined) == 1


def test_fetch_order_setting(lab):
    with dj.config.override(fetch__order_by_key=False):
        assert sorted(r["subject_id"] for r in lab.Subject.to_dicts()) == [1, 2, 3]


def test_restricting_joins(lab):
    S, T, R = lab.Session, lab.Trial, lab.Rig
    st = S * T
    assert rows(st - (R & "room = 101"), "session_idx", "trial_idx") == [(2, 1)]
    assert rows(st & {"rig": "A"}, "trial_idx") == [(1,), (2,)]
    assert rows(st & "rt < 0.6 AND rig = 'A'", "trial_idx") == [(1,)]
    assert rows((S & "rig = 'A'") * (T & "correct"), "trial_idx") == [(1,)]
    assert rows(S.extend(R) - {"room": 101}, "session_idx") == [(2,)]  # NOT (NULL = 101) is NULL
