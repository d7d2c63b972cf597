"""populate() sends one statement of its own per key beyond BEGIN, make's and COMMIT (issue 15);
on PostgreSQL, BEGIN travels with the first statement of the transaction."""

from __future__ import annotations

import logging

import datajoint as dj


def declare(schema: dj.Schema) -> tuple[type[dj.Manual], type[dj.Computed]]:
    @schema
    class Reading(dj.Manual):
        definition = """
        reading_id : int32
        ---
        value : float64
        """

    @schema
    class Scaled(dj.Computed):
        definition = """
        -> Reading
        ---
        scaled : float64
        """
        skip: frozenset[int] = frozenset()

        def make(self, key):
            value = (Reading & key).fetch1("value")
            if key["reading_id"] not in self.skip:
                self.insert1({**key, "scaled": 10 * value})

    Reading.insert({"reading_id": i, "value": i / 2} for i in range(12))
    return Reading, Scaled


def per_key(schema: dj.Schema) -> int:
    """Round trips per key of a two-statement make: 5, or 4 where BEGIN goes with the check."""
    return 4 if schema.connection.adapter.name == "postgresql" else 5


def test_five_statements_per_key_with_a_two_statement_make(schema, count_queries) -> None:
    _, Scaled = declare(schema)
    Scaled.populate(max_calls=2)  # compiles the statements of each shape once
    with count_queries(schema.connection) as counter:
        assert Scaled.populate()["success_count"] == 10
    # the pending keys, then per key: BEGIN, the already-made check, make's two, COMMIT
    assert counter.count == 1 + 10 * per_key(schema)
    assert (Scaled & {"reading_id": 7}).fetch1("scaled") == 35.0


def test_a_make_that_inserts_nothing_is_reported_without_a_second_check(
    schema, count_queries, caplog
) -> None:
    _, Scaled = declare(schema)
    Scaled.skip = frozenset({3})
    with count_queries(schema.connection) as counter, caplog.at_level(logging.WARNING):
        assert Scaled.populate()["success_count"] == 12
    assert counter.count == 1 + 12 * per_key(schema) - 1  # key 3's make sent only its fetch
    warnings = [r.getMessage() for r in caplog.records if "inserted no row" in r.getMessage()]
    assert warnings == ["make() of Scaled inserted no row for {'reading_id': 3}."]
    assert Scaled.progress() == (1, 12)  # key 3 stays pending
