"""Declaring tables one after another reads only each new table's catalog (issue 15).

Re-reading the whole schema after every declaration made declaring N tables cost N² rows of
catalog; a spy on the backend's catalog reader (the real reader still runs) records which
tables each read covered.
"""

from __future__ import annotations

import datajoint as dj
from support.backends import second_connection


def test_each_declaration_reads_only_its_table(connection, schema, monkeypatch) -> None:
    adapter = connection.adapter
    reads: list[str | None] = []
    real = adapter.load_catalog

    def spy(query, name, table=None):  # type: ignore[no-untyped-def]
        if name == schema.database:
            reads.append(table)
        return real(query, name, table)

    monkeypatch.setattr(adapter, "load_catalog", spy)
    classes = []
    for i in range(8):
        parent = f"-> {classes[-1].__name__}\n" if classes else ""
        body = f"{parent}t{i}_id : int32\n---\nvalue = null : float64\n"
        cls = type(f"Table{i}", (dj.Manual,), {"definition": body})
        classes.append(schema(cls, context={c.__name__: c for c in classes}))
    # the schema is read whole once the lineage table exists, then one table per declaration
    whole = [i for i, table in enumerate(reads) if table is None]
    assert len(whole) <= 3 and whole[-1] < 4
    assert reads[-5:] == ["table3", "table4", "table5", "table6", "table7"]


def test_declared_headings_equal_a_fresh_read(connection, schema, backend_name, tmp_path_factory):
    @schema
    class Animal(dj.Manual):
        definition = """
        animal_id : int32
        ---
        species = 'mouse' : varchar(16)
        """

    @schema
    class Weighing(dj.Manual):
        definition = """
        -> Animal
        weighed_on : date
        ---
        grams : float32
        index (grams)
        """

        class Scale(dj.Part):
            definition = """
            -> master
            scale : varchar(8)
            """

    known = {name: connection.catalog.heading(schema.database, name) for name in
             ("animal", "weighing", "weighing__scale")}  # fmt: skip
    other = second_connection(connection, tmp_path_factory)
    try:
        for name, heading in known.items():
            assert heading == other.catalog.heading(schema.database, name), name
    finally:
        other.close()
    Animal.insert1({"animal_id": 1})
    Weighing.insert1({"animal_id": 1, "weighed_on": "2024-05-01", "grams": 21.5})
    assert (Weighing * Animal).fetch1("species") == "mouse"
