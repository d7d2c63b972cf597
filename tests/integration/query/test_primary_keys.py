"""Every row of spec 03's primary-key tables (§7.2 worked examples, §11), with rows checked."""

from __future__ import annotations

import types

import pytest

import datajoint as dj
from support.backends import new_schema_name, open_connection


@pytest.fixture(scope="session")
def xyz(backend_name: str, tmp_path_factory) -> types.SimpleNamespace:
    connection = open_connection(backend_name, tmp_path_factory)
    schema = dj.Schema(new_schema_name("djpk"), connection=connection)
    ns = types.SimpleNamespace()
    roots = {}
    for name in "XYZW":
        attr = name.lower()
        roots[name] = type(
            name, (dj.Lookup,), {"definition": f"{attr} : int32", "contents": [(1,), (2,)]}
        )
        schema(roots[name])
        setattr(ns, name, roots[name])
    context = dict(roots)
    definitions = {
        "A1": "-> X\n-> Y",
        "B2": "-> X\n-> Z\n---\n-> Y",
        "A3": "-> X\n-> Y\n---\n-> Z",
        "B3": "-> Y\n-> Z\n---\n-> X",
        "B4": "-> Z\n---\n-> X",
        "A5": "-> X\n---\n-> W",
        "B5": "-> W\n-> Z",
        "C1": "-> Y\n-> X",
        "Single": "---\nvalue : int32",
    }
    for name, definition in definitions.items():
        cls = type(name, (dj.Manual,), {"definition": definition})
        schema(cls, context=context)
        context[name] = cls
        setattr(ns, name, cls)
    ns.A1.insert([{"x": 1, "y": 1}, {"x": 1, "y": 2}, {"x": 2, "y": 1}])
    ns.B2.insert([{"x": 1, "z": 1, "y": 1}, {"x": 1, "z": 2, "y": 2}, {"x": 2, "z": 1, "y": 1}])
    ns.A3.insert([{"x": 1, "y": 1, "z": 1}, {"x": 2, "y": 2, "z": 2}])
    ns.B3.insert([{"y": 1, "z": 1, "x": 1}, {"y": 2, "z": 2, "x": 1}])
    ns.B4.insert([{"z": 1, "x": 1}, {"z": 2, "x": 2}])
    ns.A5.insert([{"x": 1, "w": 1}, {"x": 2, "w": 2}])
    ns.B5.insert([{"w": 1, "z": 1}, {"w": 1, "z": 2}, {"w": 2, "z": 1}])
    ns.C1.insert([{"y": 2, "x": 2}, {"y": 1, "x": 1}])
    ns.Single.insert1({"value": 7})
    yield ns
    schema.drop(prompt=False)
    connection.close()


def rows(q, *names):
    return [tuple(r[n] for n in names) for r in q.to_dicts()]


def test_a_determines_b(xyz):
    q = xyz.A1 * xyz.X
    assert q.primary_key == ["x", "y"]
    assert rows(q, "x", "y") == [(1, 1), (1, 2), (2, 1)]


def test_b_determines_a(xyz):
    q = xyz.A1 * xyz.B2
    assert q.primary_key == ["x", "z"]
    assert q.heading.names == ["x", "z", "y"]
    assert not q.heading["y"].in_key
    assert rows(q, "x", "z", "y") == [(1, 1, 1), (1, 2, 2), (2, 1, 1)]


def test_both_determine(xyz):
    q = xyz.A3 * xyz.B3
    assert q.primary_key == ["x", "y"]
    assert rows(q, "x", "y", "z") == [(1, 1, 1)]


def test_neither_determines(xyz):
    q = xyz.A1 * xyz.B4
    assert q.primary_key == ["x", "y", "z"]
    assert rows(q, "x", "y", "z") == [(1, 1, 1), (1, 2, 1), (2, 1, 2)]
    q = xyz.A5 * xyz.B5
    assert q.primary_key == ["x", "w", "z"]
    assert rows(q, "x", "w", "z") == [(1, 1, 1), (1, 1, 2), (2, 2, 1)]


def test_singleton_operand(xyz):
    q = xyz.A1 * xyz.Single
    assert q.primary_key == ["x", "y"]
    assert rows(q, "x", "y", "value") == [(1, 1, 7), (1, 2, 7), (2, 1, 7)]
    assert xyz.Single.proj().heading.names == []
    assert len(xyz.Single.proj()) == 1
    assert xyz.Single.fetch1("value") == 7


def test_summary_table(xyz):
    A1, B2, C1 = xyz.A1, xyz.B2, xyz.C1
    assert (A1 & {"x": 1}).primary_key == ["x", "y"]
    assert (A1 - {"x": 1}).primary_key == ["x", "y"]
    assert (A1 & dj.Top(1)).primary_key == ["x", "y"]
    renamed = A1.proj(yy="y")
    assert renamed.primary_key == ["x", "yy"]
    assert rows(renamed, "x", "yy") == [(1, 1), (1, 2), (2, 1)]
    left = xyz.B4.extend(xyz.A5)
    assert left.primary_key == ["z"]
    assert rows(left, "z", "x", "w") == [(1, 1, 1), (2, 2, 2)]
    agg = A1.aggr(B2, n="count(z)")
    assert agg.primary_key == ["x", "y"]
    assert rows(agg, "x", "y", "n") == [(1, 1, 1), (1, 2, 1), (2, 1, 1)]
    union = A1 + C1
    assert union.primary_key == ["x", "y"]
    assert rows(union, "x", "y") == [(1, 1), (1, 2), (2, 1), (2, 2)]
    u = dj.U("y", "x") & A1
    assert u.primary_key == ["y", "x"]
    assert rows(u, "y", "x") == [(1, 1), (1, 2), (2, 1)]
    counted = dj.U("y").aggr(B2, n="count(*)")
    assert counted.primary_key == ["y"]
    assert rows(counted, "y", "n") == [(1, 2), (2, 1)]
    assert dj.U().aggr(B2, n="count(*)").primary_key == []
    assert xyz.Single().primary_key == []
