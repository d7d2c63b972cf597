"""PostgreSQL: the savepoint that keeps a transaction usable after a failed statement travels
with the statement, so populate costs one round trip per statement (issue 9 point 4, issue 15).

Round trips are counted by a spy on psycopg's cursors (the real methods still run).
"""

from __future__ import annotations

import numpy as np
import psycopg
import pytest

import datajoint as dj
from support.backends import new_schema_name, open_connection

pytestmark = pytest.mark.server


@pytest.fixture
def pg_schema(tmp_path_factory):
    connection = open_connection("postgresql", tmp_path_factory)
    schema = dj.Schema(new_schema_name("djtrips"), connection=connection)
    yield schema
    schema.drop(prompt=False)
    connection.close()


@pytest.fixture
def round_trips(monkeypatch):
    sent: list[str] = []
    execute = psycopg.Cursor.execute  # ClientCursor inherits it

    def spy(self, query, *args, **kwargs):  # type: ignore[no-untyped-def]
        sent.append(str(query))
        return execute(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", spy)
    return sent


def test_populate_sends_five_round_trips_per_key(pg_schema, round_trips) -> None:
    @pg_schema
    class Reading(dj.Manual):
        definition = """
        reading_id : int32
        ---
        value : float64
        trace : <blob>
        """

    @pg_schema
    class Scaled(dj.Computed):
        definition = """
        -> Reading
        ---
        scaled : float64
        """

        def make(self, key):
            value = (Reading & key).fetch1("value")
            self.insert1({**key, "scaled": 10 * value})

    @pg_schema
    class Summed(dj.Computed):
        definition = """
        -> Reading
        ---
        total : float64
        """

        def make(self, key):
            trace = (Reading & key).fetch1("trace")  # bytes: read binary, guard sent first
            self.insert1({**key, "total": float(trace.sum())})

    Reading.insert({"reading_id": i, "value": i / 2, "trace": np.arange(i + 1)} for i in range(6))
    Scaled.populate(max_calls=1)
    Summed.populate(max_calls=1)
    round_trips.clear()
    assert Scaled.populate()["success_count"] == 5
    # pending keys, then per key: BEGIN, the already-made check, make's read and insert, COMMIT
    assert len(round_trips) == 1 + 5 * 5
    assert sum("SAVEPOINT" in q for q in round_trips) == 5 * 3
    round_trips.clear()
    assert Summed.populate()["success_count"] == 5
    assert len(round_trips) == 1 + 5 * 6  # the read of bytes stays binary: its guard goes first
    assert Scaled.to_dicts()[3] == {"reading_id": 3, "scaled": 15.0}
    assert Summed.to_dicts()[5] == {"reading_id": 5, "total": 15.0}


def test_a_failed_read_leaves_the_transaction_usable(pg_schema) -> None:
    @pg_schema
    class Item(dj.Manual):
        definition = """
        item_id : int32
        ---
        value : float64
        """

    connection = pg_schema.connection
    with connection.transaction:
        Item.insert1({"item_id": 1, "value": 1.5})
        with pytest.raises(dj.DataJointError):
            (Item & "no_such_function(value) > 0").fetch1("value")
        assert (Item & {"item_id": 1}).fetch1("value") == 1.5
        Item.insert1({"item_id": 2, "value": 2.5})
    assert len(Item()) == 2


@pytest.mark.parametrize("prepared", [True, False], ids=["prepared", "not-prepared"])
def test_repeated_reads_are_prepared_unless_turned_off(tmp_path_factory, prepared) -> None:
    connection = open_connection(
        "postgresql", tmp_path_factory, {"database.prepared_statements": prepared}
    )
    schema = dj.Schema(new_schema_name("djprep"), connection=connection)
    try:

        @schema
        class Item(dj.Manual):
            definition = """
            item_id : int32
            ---
            value : float64
            """

        Item.insert1({"item_id": 1, "value": 1.5})
        for _ in range(6):  # psycopg prepares a text the fifth time it is sent
            assert (Item & {"item_id": 1}).fetch1("value") == 1.5
        statements = connection.query("SELECT statement FROM pg_prepared_statements").fetchall()
        reads = [s for (s,) in statements if '"value"' in s and "$1" in s]
        assert bool(reads) is prepared
    finally:
        schema.drop(prompt=False)
        connection.close()
