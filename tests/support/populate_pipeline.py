"""The small pipeline shared by the populate tests (spec 05 §13)."""

from __future__ import annotations

import types

import datajoint as dj


def declare_pipeline(schema: dj.Schema, calls: list | None = None) -> types.SimpleNamespace:
    """Source(source_id 1..3, value) and Doubled(-> Source; result) with a part table.

    ``make`` fails for value 2.0 while ``Doubled.fail_on`` holds 2.0; every call is appended
    to ``calls``.
    """
    calls = [] if calls is None else calls

    @schema
    class Source(dj.Lookup):
        definition = """
        source_id : int16
        ---
        value : float32
        """
        contents = [(1, 1.0), (2, 2.0), (3, 3.0)]

    @schema
    class Doubled(dj.Computed):
        definition = """
        -> Source
        ---
        result : float32
        """
        fail_on = 2.0

        class Item(dj.Part):
            definition = """
            -> master
            item : int16
            """

        def make(self, key, offset=0.0):
            calls.append(dict(key))
            value = (Source & key).fetch1("value")
            self.insert1({**key, "result": 2 * value + offset})
            self.Item.insert([{**key, "item": i} for i in range(2)])
            if value == self.fail_on:
                raise ValueError("bad value")

    return types.SimpleNamespace(Source=Source, Doubled=Doubled, calls=calls, schema=schema)
