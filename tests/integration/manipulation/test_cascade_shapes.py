"""Cascade shapes of spec 04 §4.3: secondary foreign-key chains, two foreign keys between the same
pair of tables (renamed), and nullable references."""

from __future__ import annotations

import pytest

import datajoint as dj
from datajoint.query.compiler import compile_delete
from datajoint.table.cascade import Cascade


@pytest.fixture
def things(schema):
    @schema
    class ThingA(dj.Manual):
        definition = "a : int32"

    @schema
    class ThingB(dj.Manual):
        definition = "b : int32"

    @schema
    class ThingC(dj.Manual):
        definition = """
        -> ThingA
        c : int32
        ---
        -> [unique, nullable] ThingB
        """

    @schema
    class ThingD(dj.Manual):
        definition = """
        d : int32
        ---
        -> ThingC
        """

    @schema
    class ThingE(dj.Manual):
        definition = """
        -> ThingD
        """

    ThingA.insert({"a": a} for a in range(1, 5))
    ThingB.insert({"b": b} for b in range(1, 5))
    ThingC.insert({"a": a, "c": a, "b": a} for a in range(1, 5))
    ThingD.insert({"d": a, "a": a, "c": a} for a in range(1, 5))
    ThingE.insert({"d": a} for a in range(1, 5))
    return ThingA, ThingB, ThingC, ThingD, ThingE


def test_secondary_foreign_key_chain(things):
    (things[0] & "a = 3").delete(prompt=False)
    assert [len(t()) for t in things] == [3, 4, 3, 3, 3]
    assert not (things[4] & {"d": 3})
    (things[1] & {"b": 1}).delete(prompt=False)  # through the nullable unique reference
    assert [len(t()) for t in things] == [3, 3, 2, 2, 2]


def test_two_renamed_references_to_one_table(schema):
    @schema
    class Neuron(dj.Manual):
        definition = "neuron_id : int32"

    @schema
    class Synapse(dj.Manual):
        definition = """
        -> Neuron.proj(pre='neuron_id')
        -> Neuron.proj(post='neuron_id')
        """

    Neuron.insert({"neuron_id": i} for i in range(1, 5))
    Synapse.insert({"pre": p, "post": q} for p in range(1, 5) for q in range(1, 5) if p != q)
    assert (Neuron & {"neuron_id": 1}).delete(prompt=False) == 1
    remaining = Synapse.to_dicts()
    assert len(remaining) == 6
    assert all(1 not in (r["pre"], r["post"]) for r in remaining)


def test_cascade_sql_stays_flat_when_keys_propagate(things):
    ThingA = things[0]
    cascade = Cascade(ThingA & "a = 3")
    counts = {n.split(".", 1)[1]: c for n, c in cascade.counts().items()}
    assert counts == {"thing_a": 1, "thing_c": 1, "thing_d": 1, "thing_e": 1}
    # thing_c holds the seed's key: restricted by the seed directly, whatever the depth
    sql, _ = compile_delete(cascade.restricted[cascade.order[1]])
    assert sql.upper().count("SELECT") == 1
