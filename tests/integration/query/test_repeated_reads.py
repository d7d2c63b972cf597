"""Reads repeated many times (which PostgreSQL runs as prepared statements) stay right when
another connection changes the table between them (issue 15, point 1)."""

from __future__ import annotations

import datajoint as dj
from support.backends import second_connection

DEFINITION = """
item_id : int32
---
value : int32
"""


def _read(table: type[dj.Manual]) -> tuple[int, int, list[dict[str, int]], bool]:
    key = {"item_id": 1}
    return (
        (table & key).fetch1("value"),
        len(table & key),
        table.to_dicts(),
        bool(table & key),
    )


def test_reads_repeated_past_a_change_by_another_connection(
    schema, backend_name, tmp_path_factory
) -> None:
    @schema
    class Item(dj.Manual):
        definition = DEFINITION

    Item.insert1({"item_id": 1, "value": 2})
    for _ in range(8):  # past psycopg's threshold: the reads are prepared on PostgreSQL
        assert _read(Item) == (2, 1, [{"item_id": 1, "value": 2}], True)

    connection = schema.connection
    big = 5 if backend_name == "sqlite" else 2**40
    other = second_connection(connection, tmp_path_factory)
    try:
        changed = dj.VirtualModule("changed", schema.database, connection=other)
        if backend_name == "sqlite":  # SQLite cannot change a column's type: add a column
            changed.Item.definition = DEFINITION + "extra = 0 : int16\n"
        else:  # the result type of every prepared read changes
            changed.Item.definition = DEFINITION.replace("value : int32", "value : int64")
        changed.Item.alter(prompt=False)
        changed.Item.insert1({"item_id": 2, "value": big})
    finally:
        other.close()

    rows = [{"item_id": 1, "value": 2}, {"item_id": 2, "value": big}]
    for _ in range(3):
        assert _read(Item) == (2, 1, rows, True)
        assert (Item & {"item_id": 2}).fetch1("value") == big


def test_reads_in_transactions_repeated_past_a_change_by_another_connection(
    schema, backend_name, tmp_path_factory
) -> None:
    """Inside transactions, reads that move bytes (blobs) are prepared on PostgreSQL too: after
    another connection changes a column type, the next read in a transaction is still right and
    the transaction goes on."""

    @schema
    class Trace(dj.Manual):
        definition = """
        trace_id : int32
        ---
        value : int32
        samples : <blob>
        """

    Trace.insert1({"trace_id": 1, "value": 2, "samples": [1, 2, 3]})
    connection = schema.connection
    for _ in range(8):  # past psycopg's threshold: the read is prepared on PostgreSQL
        with connection.transaction:
            assert (Trace & {"trace_id": 1}).fetch1("value", "samples")[0] == 2

    other = second_connection(connection, tmp_path_factory)
    try:
        changed = dj.VirtualModule("changed", schema.database, connection=other)
        if backend_name == "sqlite":  # SQLite cannot change a column's type: add a column
            changed.Trace.definition = Trace.definition + "extra = 0 : int16\n"
        else:  # the result type of the prepared read changes
            changed.Trace.definition = Trace.definition.replace("value : int32", "value : int64")
        changed.Trace.alter(prompt=False)
    finally:
        other.close()

    with connection.transaction:
        value, samples = (Trace & {"trace_id": 1}).fetch1("value", "samples")
        Trace.insert1({"trace_id": 2, "value": 3, "samples": samples})
    assert value == 2 and list(samples) == [1, 2, 3]
    assert len(Trace()) == 2
