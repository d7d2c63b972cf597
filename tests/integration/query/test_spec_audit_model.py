"""Audit of spec 03 §1-§2 and §14 (model, laziness, connections, error texts), every backend."""

from __future__ import annotations

import pytest
from spec_audit_tables import audit_fixture, keys  # noqa: F401

import datajoint as dj


def test_operators_are_immutable(lab):
    S = lab.Session()
    before = S.make_sql()
    restricted = S & {"subject_id": 1}
    S - lab.Trial
    S.proj("rig")
    S * lab.Rig
    S.aggr(lab.Trial, n="count(*)")
    S & dj.Top(1)
    assert S.make_sql() == before and len(S) == 3
    again = restricted & "session_idx = 2"
    assert len(restricted) == 2 and len(again) == 1


def test_building_expressions_sends_no_sql(lab, count_queries):
    S, T, Sub = lab.Session, lab.Trial, lab.Subject
    with count_queries(lab.connection) as counter:
        q = (Sub & (lab.Rig & "room > 500")) * S
        q = q.proj(..., d="session_date").aggr(T, n="count(trial_idx)", exclude_nonmatching=True)
        q = (q & "n > 0") & dj.Top(2, "n DESC")
        u = (Sub & "subject_id = 1").proj() + (Sub & "subject_id = 2").proj()
        v = dj.U("species") & Sub
        w = dj.U().aggr(S, n="count(*)")
        for expression in (q, u, v, w):
            expression.make_sql()
    assert counter.count == 0
    assert len(q) == 0  # no rig has room > 500: the EXISTS test empties the result


def test_operands_from_different_connections(lab, audit):
    S, Item = lab.Session, audit.Item
    assert S().connection is not Item().connection
    binary = [
        lambda: S * Item,
        lambda: S.join(Item, semantic_check=False),
        lambda: S & Item,
        lambda: S - Item,
        lambda: S.restrict(Item, semantic_check=False),
        lambda: S.extend(Item),
        lambda: S.proj() + Item.proj(),
        lambda: S & [Item],
        lambda: S.aggr(Item, n="count(*)"),
    ]
    for op in binary:
        with pytest.raises(dj.DataJointError, match="different connections"):
            op()


def test_exact_messages(lab):
    S = lab.Session
    for bad, text in ((None, "None"), (3, "3"), (2.5, "2.5")):
        with pytest.raises(dj.DataJointError) as info:
            S & bad
        assert str(info.value) == f"Invalid restriction type {text}"
    with pytest.raises(dj.DataJointError) as info:
        S - dj.Top(2, "session_date", 1)
    assert str(info.value) == (
        "Invalid restriction type Top(limit=2, order_by=['session_date'], offset=1)"
    )
    with pytest.raises(dj.DataJointError, match=r"operator has been removed.*semantic_check=False"):
        S() ^ lab.Trial
    with pytest.raises(dj.DataJointError, match=r"\.join\(other, semantic_check=False\)"):
        S() @ lab.Trial
    with pytest.raises(dj.DataJointError, match="must share the same primary key"):
        lab.Subject + S
    with pytest.raises(dj.DataJointError, match="must not share any secondary attributes"):
        (lab.Subject & "subject_id = 1") + (lab.Subject & "subject_id = 2")
    with pytest.raises(dj.DataJointError, match=r"Missing attributes: \['subject_id'\]"):
        lab.Subject.aggr(lab.Rig, n="count(*)")
    with pytest.raises(dj.DataJointError, match=r"left operand to determine.*subject_id"):
        lab.Rig.extend(S)
    with pytest.raises(dj.DataJointError, match="Attribute `nope` not found"):
        S.proj("nope")
    with pytest.raises(dj.DataJointError, match="Cannot exclude primary key attribute"):
        S.proj(..., "-subject_id")
    with pytest.raises(dj.DataJointError, match="Attribute `rig` already exists"):
        S.proj("rig", rig="session_date")
    with pytest.raises(dj.DataJointError, match="Set U can only be restricted"):
        dj.U("rig") & 3
    with pytest.raises(dj.DataJointError, match="Cannot set exclude_nonmatching=False"):
        dj.U("rig").aggr(S, n="count(*)", exclude_nonmatching=False)
    with pytest.raises(dj.DataJointError, match="requires a QueryExpression"):
        dj.U("rig").aggr("x", n="count(*)")
    with pytest.raises(dj.DataJointError, match="not found in the group expression"):
        dj.U("nope").aggr(S, n="count(*)")
    for exc, bad in ((dj.DataJointError, None), (dj.DataJointError, 7)):
        with pytest.raises(exc, match="argument of join"):
            S.join(bad)
    with pytest.raises(TypeError, match=r"^Top limit must be an integer$"):
        dj.Top(1.0)
    with pytest.raises(TypeError, match=r"^Top order_by attributes must all be strings$"):
        dj.Top(1, ["a", None])
    with pytest.raises(TypeError, match=r"^The offset argument must be an integer$"):
        dj.Top(1, "KEY", 1.5)


def test_errors_are_datajoint_errors_in_errors_module(lab):
    with pytest.raises(dj.errors.DataJointError) as info:
        lab.Session & None
    assert info.exconly().startswith("datajoint.errors.DataJointError: Invalid restriction type")
    with pytest.raises(dj.errors.DataJointError) as info:
        lab.Session & "bogus = 1"
    assert "not found" in info.exconly() and info.exconly().startswith("datajoint.errors.")


def test_restrictions_on_renamed_and_computed_attributes(lab):
    Sub, T = lab.Subject, lab.Trial
    renamed = Sub.proj(animal="subject_id")
    assert keys(renamed & {"animal": 2}) == [(2,)]
    assert keys(renamed & "animal > 1") == [(2,), (3,)]
    assert keys(renamed - [{"animal": 1}, "animal = 3"]) == [(2,)]
    assert keys(renamed & (lab.Subject.proj(animal="subject_id") & "animal = 3")) == [(3,)]
    computed = T.proj(ms="rt * 1000")
    assert keys(computed & "ms BETWEEN 450 AND 600", "trial_idx") == [(1,)]
    assert keys(T.proj(flag="IF(correct, 1, 0)") & {"flag": 1}, "trial_idx", "session_idx") == [
        (1, 1),
        (1, 2),
    ]


def test_aggregation_carrying_attributes_of_a_join(lab):
    A = lab.Subject * lab.Session
    agg = A.aggr(lab.Trial, "species", "session_date", n="count(trial_idx)")
    assert agg.primary_key == ["subject_id", "session_idx"]
    assert keys(agg, "subject_id", "session_idx", "species", "n") == [
        (1, 1, "mouse", 2),
        (1, 2, "mouse", 1),
        (2, 1, "mouse", 0),
    ]
    assert keys(agg & "n > 0" & {"species": "mouse"}, "session_idx") == [(1,), (2,)]
    with pytest.raises(dj.DataJointError, match="`species`"):  # native secondary namesake
        lab.Subject.aggr(agg, total="sum(n)")
    nested = lab.Subject.aggr(agg.proj("n"), ..., total="sum(n)")
    assert [(r["subject_id"], r["species"], r["total"]) for r in nested.to_dicts()][:2] == [
        (1, "mouse", 3),
        (2, "mouse", 0),
    ]


def test_semantic_check_inside_lists_and_not(lab):
    St, Co = lab.Student, lab.Course
    for operand in ([Co], dj.AndList([Co]), dj.Not(Co), [{"id": 1}, Co]):
        with pytest.raises(dj.DataJointError, match="lineage"):
            St & operand
    assert keys(St.restrict([{"id": 2}, Co], semantic_check=False)) == [(1,), (2,)]
    assert keys(St & [{"id": 2}, Co.proj(course="id")]) == [(1,), (2,)]  # no common: EXISTS
