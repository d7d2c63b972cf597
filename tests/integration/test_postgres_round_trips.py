"""PostgreSQL: the savepoint that keeps a transaction usable after a failed statement travels
with the statement, and BEGIN with the transaction's first statement, so populate costs one
round trip per statement of its own and make's, plus COMMIT (issue 9 point 4, issue 15).

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


def test_populate_sends_four_round_trips_per_key(pg_schema, round_trips) -> None:
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
    # pending keys, then per key: BEGIN with the already-made check, make's read and insert,
    # COMMIT
    assert len(round_trips) == 1 + 5 * 4
    assert sum(q.startswith("BEGIN; SAVEPOINT") for q in round_trips) == 5
    assert sum("SAVEPOINT" in q for q in round_trips) == 5 * 3
    round_trips.clear()
    assert Summed.populate()["success_count"] == 5
    assert len(round_trips) == 1 + 5 * 5  # the read of bytes stays binary: its guard goes first
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


def test_a_transaction_without_statements_sends_nothing(pg_schema, round_trips) -> None:
    connection = pg_schema.connection
    with connection.transaction:
        assert connection.in_transaction
    connection.start_transaction()
    connection.cancel_transaction()
    assert round_trips == []
    assert not connection.in_transaction
    assert connection.query("SELECT 1", None).fetchone() == (1,)


def declare_note(schema: dj.Schema) -> type[dj.Manual]:
    @schema
    class Note(dj.Manual):
        definition = """
        note_id : int32
        ---
        text : varchar(20)
        """

    return Note


def test_a_first_statement_refused_before_sending_leaves_the_transaction_usable(
    pg_schema, round_trips
) -> None:
    Note = declare_note(pg_schema)
    connection = pg_schema.connection
    round_trips.clear()
    with connection.transaction:
        with pytest.raises(dj.DataJointError):
            Note.insert1({"note_id": 1, "text": "nul \x00 inside"})  # refused, nothing sent
        Note.insert1({"note_id": 2, "text": "kept"})
    assert round_trips[0].startswith("BEGIN; ")
    assert Note.to_dicts() == [{"note_id": 2, "text": "kept"}]


def test_a_failing_first_statement_leaves_the_transaction_usable(pg_schema) -> None:
    Note = declare_note(pg_schema)
    Note.insert1({"note_id": 1, "text": "first"})
    connection = pg_schema.connection
    with connection.transaction:
        with pytest.raises(dj.errors.DuplicateError):
            Note.insert1({"note_id": 1, "text": "again"})  # sent with BEGIN, fails there
        Note.insert1({"note_id": 2, "text": "second"})
    with pytest.raises(RuntimeError), connection.transaction:
        Note.insert1({"note_id": 3, "text": "undone"})
        raise RuntimeError
    assert [r["text"] for r in Note.to_dicts()] == ["first", "second"]


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


def test_a_bulk_insert_is_one_copy(pg_schema, round_trips) -> None:
    """However many rows, a plain bulk insert is one COPY: one round trip, all or nothing."""

    @pg_schema
    class Sample(dj.Manual):
        definition = """
        sample_id : int32
        ---
        value : float64
        note : varchar(8)
        """

    rows = [{"sample_id": i, "value": i / 4, "note": f"n{i % 7}"} for i in range(40_000)]
    connection = pg_schema.connection
    assert len(Sample()) == 0
    round_trips.clear()
    before = connection.statement_count
    Sample.insert(rows)
    assert connection.statement_count - before == 1
    assert round_trips == []  # no SAVEPOINT or BEGIN: the COPY (not a cursor.execute) alone
    assert len(Sample()) == 40_000
    assert (Sample & {"sample_id": 39_999}).fetch1("value") == 39_999 / 4
    Sample.delete_quick()
    broken = [*rows, {"sample_id": 5, "value": 0.0, "note": "dup"}]
    with pytest.raises(dj.errors.DuplicateError):
        Sample.insert(broken)
    assert len(Sample()) == 0


def test_rows_with_bytes_are_one_binary_copy(pg_schema, round_trips) -> None:
    """Rows carrying bytea values (here blobs, raw bytes and NULLs) are one binary COPY:
    values arrive as stored, the errors are the usual ones, and a failure keeps nothing."""

    @pg_schema
    class Trace(dj.Manual):
        definition = """
        trace_id : int32
        ---
        channel : int16
        gain : float32
        label : varchar(12)
        code : char(3)
        raw = null : bytes
        trace : <blob>
        """

    rng = np.random.default_rng(5)
    rows = [
        {
            "trace_id": i,
            "channel": i % 8 - 4,
            "gain": i / 8,
            "label": f"trace {i}",
            "code": "ab",
            "raw": None if i % 3 else bytes([i % 256, 0, 255]),
            "trace": rng.standard_normal(300 + i),
        }
        for i in range(50)
    ]
    connection = pg_schema.connection
    assert len(Trace()) == 0
    round_trips.clear()
    before = connection.statement_count
    Trace.insert(rows)
    assert connection.statement_count - before == 1
    assert round_trips == []  # the COPY alone
    fetched = Trace.to_dicts(order_by="trace_id")
    assert [{k: v for k, v in r.items() if k != "trace"} for r in fetched] == [
        {k: v for k, v in r.items() if k != "trace"} for r in rows
    ]
    assert all(np.array_equal(f["trace"], r["trace"]) for f, r in zip(fetched, rows, strict=True))
    Trace.delete_quick()
    with pytest.raises(dj.errors.DuplicateError):
        Trace.insert([*rows, rows[7] | {"label": "again"}])
    # psycopg's binary writers would wrap these (40,000 -> -25,536; 2**40 -> 0): never sent so
    with pytest.raises(dj.errors.ValueConversionError, match="channel"):
        Trace.insert([*rows[:20], rows[20] | {"channel": 40_000}])
    with pytest.raises(dj.errors.DataJointError, match="trace_id"):
        Trace.insert([*rows[1:20], rows[20] | {"trace_id": 1 << 40}])
    with pytest.raises(dj.errors.ValueConversionError, match="NUL character for attribute `label`"):
        Trace.insert([*rows[:20], rows[20] | {"label": "a\x00b"}])
    assert len(Trace()) == 0
    with connection.transaction:  # a failed COPY inside a transaction leaves it usable
        Trace.insert(rows[:20])
        with pytest.raises(dj.errors.DuplicateError):
            Trace.insert(rows[10:30])
        Trace.insert(rows[20:])
    assert len(Trace()) == len(rows)
