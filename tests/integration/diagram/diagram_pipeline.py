"""Two schemas for the diagram, navigation and CLI tests.

``simple`` holds the tables A…M of spec 08 §5.2 (whose expansion examples name exact node
sets); ``other`` depends on it across schemas, including a renamed foreign key.
"""

from __future__ import annotations

from types import SimpleNamespace

import datajoint as dj


def declare(simple: dj.Schema, other: dj.Schema) -> SimpleNamespace:
    """Declare both schemas' tables (fresh classes per call); return them by name."""

    class L(dj.Lookup):
        definition = """
        l : int32
        """
        contents = [{"l": 1}, {"l": 2}]

    class A(dj.Manual):
        definition = """
        a : int32
        """

    class B(dj.Manual):
        definition = """
        -> A
        b : int32
        """

        class C(dj.Part):
            definition = """
            -> master
            c : int32
            ---
            -> L
            """

    class D(dj.Manual):
        definition = """
        -> A
        d : int32
        ---
        -> L
        """

    class E(dj.Computed):
        definition = """
        -> B
        -> D
        """

        class F(dj.Part):
            definition = """
            -> master
            -> B.C
            """

        class G(dj.Part):
            definition = """
            -> master
            g : int32
            """

        class H(dj.Part):
            definition = """
            -> master
            h : int32
            """

        class M(dj.Part):
            definition = """
            -> master
            m : int32
            """

    class G(dj.Imported):
        definition = """
        -> E.M
        """

    class Probe(dj.Manual):
        definition = """
        probe : int32
        ---
        -> A
        -> [nullable] A.proj(spare_a='a')
        """

    class Shank(dj.Manual):
        definition = """
        -> Probe
        shank : int32
        ---
        -> D
        """

    ns: dict = {}
    for cls in (L, A, B, D, E, G):
        simple(cls, context=ns)
        ns[cls.__name__] = cls
    for cls in (Probe, Shank):
        other(cls, context=ns)
        ns[cls.__name__] = cls
    return SimpleNamespace(**ns, simple=simple, other=other)


def fill(p: SimpleNamespace) -> None:
    """A few rows in every table."""
    p.A.insert([{"a": 1}, {"a": 2}])
    p.B.insert([{"a": 1, "b": 1}, {"a": 1, "b": 2}, {"a": 2, "b": 1}], allow_direct_insert=True)
    p.B.C.insert(
        [{"a": 1, "b": 1, "c": 1, "l": 1}, {"a": 2, "b": 1, "c": 1, "l": 2}],
        allow_direct_insert=True,
    )
    p.D.insert([{"a": 1, "d": 1, "l": 1}, {"a": 2, "d": 1, "l": 2}])
    p.E.insert([{"a": 1, "b": 1, "d": 1}, {"a": 2, "b": 1, "d": 1}], allow_direct_insert=True)
    p.E.M.insert([{"a": 1, "b": 1, "d": 1, "m": 1}], allow_direct_insert=True)
    p.G.insert([{"a": 1, "b": 1, "d": 1, "m": 1}], allow_direct_insert=True)
    p.Probe.insert([{"probe": 1, "a": 1, "spare_a": 2}, {"probe": 2, "a": 2, "spare_a": None}])
    p.Shank.insert([{"probe": 1, "shank": 1, "a": 1, "d": 1}])
