"""Diagram construction and algebra (spec 08 §5.1–5.2) and navigation across two schemas."""

from __future__ import annotations

import pytest

import datajoint as dj
from support.backends import second_connection


def tables(diagram: dj.Diagram) -> set[tuple[str, str]]:
    return {(t.database, t.table_name) for t in diagram}


def of(*classes) -> set[tuple[str, str]]:
    return {(c.database, c.table_name) for c in classes}


def test_spec_expansion_examples(pipe):
    p = pipe
    plus = dj.Diagram(p.B) + 3
    assert tables(plus) == of(p.B, p.B.C, p.E, p.E.F, p.E.G, p.E.H, p.E.M, p.G)
    minus = dj.Diagram(p.E) - 3
    assert tables(minus) == of(p.A, p.B, p.D, p.E, p.L)
    assert tables(plus * minus) == of(p.B, p.E)
    parts = (dj.Diagram(p.B) + p.E).add_parts() - p.B - p.E
    assert tables(parts) == of(p.B.C, p.E.F, p.E.G, p.E.H, p.E.M)


def test_construction_from_schema_module_sequence_and_copy(pipe):
    p = pipe
    whole = dj.Diagram(p.simple)
    assert tables(whole) == of(p.L, p.A, p.B, p.B.C, p.D, p.E, p.E.F, p.E.G, p.E.H, p.E.M, p.G)
    module = dj.VirtualModule("simple_module", p.simple.database, connection=p.connection)
    assert tables(dj.Diagram(module)) == tables(whole)
    both = dj.Diagram.from_sequence([p.A, p.Probe, p.Shank])
    assert tables(both) == of(p.A, p.Probe, p.Shank)
    assert tables(dj.Diagram([p.A, p.D])) == of(p.A, p.D)
    copy = dj.Diagram(both)
    assert tables(copy) == tables(both) and copy is not both
    assert tables(dj.Diagram(p.A) + 1) == of(p.A, p.B, p.D, p.Probe)
    assert tables(dj.Diagram(p.simple) - dj.Diagram(p.E) - p.G) == tables(whole) - of(p.E, p.G)
    # iteration follows dependency order; reversed runs backwards
    order = [(t.database, t.table_name) for t in dj.Diagram(p.simple)]
    assert order.index((p.A.database, "a")) < order.index((p.B.database, "b"))
    assert order == [(t.database, t.table_name) for t in reversed(dj.Diagram(p.simple))][::-1]
    assert len(whole) == 11


def test_construction_errors(pipe):
    class Unbound(dj.Manual):
        definition = "x : int32"

    with pytest.raises(dj.DataJointError, match="Could not find database connection"):
        dj.Diagram(Unbound)
    with pytest.raises(dj.DataJointError, match="Cannot plot Diagram"):
        dj.Diagram(pipe.A * pipe.D)


def test_navigation_across_schemas(pipe):
    p = pipe
    ref = p.connection.adapter.table_ref
    a, probe, shank = (ref(c.database, c.table_name) for c in (p.A, p.Probe, p.Shank))
    assert set(p.A.children()) == {ref(p.B.database, "b"), ref(p.D.database, "d"), probe}
    assert p.A.children(primary=False) == [probe]
    fks = p.A.children(primary=False, foreign_key_info=True)
    assert sorted(list(info["attr_map"].items()) for _, info in fks) == [
        [("a", "a")],
        [("spare_a", "a")],
    ]
    assert {info["aliased"] for _, info in fks} == {False, True}
    assert p.Probe.parents() == [a]
    assert p.Shank.parents(primary=True) == [probe]
    assert p.Shank.parents(primary=False) == [ref(p.D.database, "d")]
    objects = p.Shank.parents(as_objects=True)
    assert {(t.database, t.table_name) for t in objects} == of(p.Probe, p.D)
    assert len(objects[0]) >= 1  # FreeTables query the database
    ancestors = p.Shank.ancestors()
    assert set(ancestors) == {a, ref(p.L.database, "#l"), ref(p.D.database, "d"), probe, shank}
    assert ancestors.index(a) < ancestors.index(probe) < ancestors.index(shank)
    descendants = p.A.descendants()
    assert descendants[0] == a and shank in descendants and probe in descendants
    assert descendants.index(probe) < descendants.index(shank)
    assert set(p.E.parts()) == {ref(p.E.database, f"__e__{x}") for x in "fghm"}
    assert {t.table_name for t in p.B.parts(as_objects=True)} == {"b__c"}
    assert p.G.parts() == [] and p.G.children() == []
    # class and instance give the same answer
    assert p.A().children() == p.A.children()


def test_navigation_finds_schemas_not_loaded_in_this_process(pipe, tmp_path_factory):
    """A fresh connection that only knows the downstream schema still finds its parents."""
    fresh = second_connection(pipe.connection, tmp_path_factory)
    try:
        shank = dj.FreeTable(fresh, f"{pipe.other.database}.shank")
        assert {t.table_name for t in shank.ancestors(as_objects=True)} == {
            "a",
            "#l",
            "d",
            "probe",
            "shank",
        }
        a = dj.FreeTable(fresh, f"{pipe.simple.database}.a")
        assert "probe" in {t.table_name for t in a.children(as_objects=True)}
    finally:
        fresh.close()
