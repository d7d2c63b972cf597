"""Data operations on diagrams (2.2+): cascade, trace, restrict, counts, prune, d[Table]."""

from __future__ import annotations

import pytest

import datajoint as dj


class Rollback(Exception):
    pass


def rows(p) -> dict[str, int]:
    ref = p.connection.adapter.table_ref
    return {
        ref(t.database, t.table_name): len(t) for t in dj.Diagram(p.simple) + dj.Diagram(p.other)
    }


def test_cascade_counts_what_delete_deletes(pipe):
    p = pipe
    seed = p.A & {"a": 1}
    cascade = dj.Diagram.cascade(seed)
    counts = cascade.counts()
    before = rows(p)
    try:
        with p.connection.transaction:
            seed.delete(prompt=False)
            after = rows(p)
            raise Rollback
    except Rollback:
        pass
    assert rows(p) == before
    lost = {name: before[name] - after[name] for name in before if before[name] != after[name]}
    assert {name: n for name, n in counts.items() if n} == lost
    ref = p.connection.adapter.table_ref
    assert counts[ref(p.A.database, "a")] == 1
    assert counts[ref(p.Probe.database, "probe")] == 1  # across schemas
    assert len(cascade[p.B]) == 2 and len(cascade[p.Shank]) == 1
    assert ref(p.L.database, "#l") not in counts  # upstream tables are not in a cascade
    with pytest.raises(ValueError, match="part_integrity"):
        dj.Diagram.cascade(seed, part_integrity="bogus")


def test_trace_finds_the_upstream_rows(pipe):
    p = pipe
    traced = dj.Diagram.trace(p.Shank & {"probe": 1, "shank": 1})
    assert traced[p.Probe].keys() == [{"probe": 1}]
    assert traced[p.D].keys() == [{"a": 1, "d": 1}]
    assert traced[p.L].keys() == [{"l": 1}]
    # A is reached through Probe's plain key (a=1), its renamed key (spare_a=2) and D (a=1)
    assert traced[p.A].keys() == [{"a": 1}, {"a": 2}]
    ref = p.connection.adapter.table_ref
    assert traced.counts() == {
        ref(p.L.database, "#l"): 1,
        ref(p.A.database, "a"): 2,
        ref(p.D.database, "d"): 1,
        ref(p.Probe.database, "probe"): 1,
        ref(p.Shank.database, "shank"): 1,
    }


def test_restrict_keeps_rows_agreeing_with_every_restricted_parent(pipe):
    p = pipe
    diagram = dj.Diagram(p.simple) + dj.Diagram(p.other)
    only_a1 = diagram.restrict(p.A & {"a": 1})
    assert only_a1[p.B].keys() == [{"a": 1, "b": 1}, {"a": 1, "b": 2}]
    assert only_a1[p.E].keys() == [{"a": 1, "b": 1, "d": 1}]
    assert len(only_a1[p.L]) == 2  # not downstream of A: all rows
    # restrictions combine: E needs B's rows with b=2 and A=1 — none exist
    narrower = only_a1.restrict(p.B & {"b": 2})
    assert len(narrower[p.B]) == 1 and len(narrower[p.E]) == 0 and len(narrower[p.G]) == 0
    pruned = narrower.prune()
    shown = {t.table_name for t in pruned}
    assert "__e" not in shown and "_g" not in shown and "b" in shown
    with pytest.raises(dj.DataJointError, match="not shown"):
        dj.Diagram(p.A).restrict(p.D & {"d": 1})
    with pytest.raises(dj.DataJointError, match="cannot be restricted"):
        dj.Diagram.cascade(p.A & {"a": 1}).restrict(p.A)
    with pytest.raises(dj.DataJointError, match="not shown"):
        dj.Diagram(p.A)[p.D]
