"""``fetch1`` of a row that needs no decoding runs a statement remembered per query shape
(issue 15): each form gives what the general path gives, errors included, and a changed
table is read as it is now."""

from __future__ import annotations

import numpy as np
import pytest

import datajoint as dj
from datajoint.query import fetch


@pytest.fixture
def reading(schema):
    @schema
    class Reading(dj.Manual):
        definition = """
        reading_id : int32
        ---
        value : float64
        label = null : varchar(8)
        """

    Reading.insert(
        [
            {"reading_id": 1, "value": 1.5, "label": "a"},
            {"reading_id": 2, "value": 2.5, "label": None},
            {"reading_id": 3, "value": 2.5, "label": "c"},
        ]
    )
    return Reading


def _general(query, *attributes):
    """fetch1 by the general path (as for a query with no shape)."""
    plain = fetch._plain_fetch1
    fetch._plain_fetch1 = lambda query, attributes: None
    try:
        return query.fetch1(*attributes)
    finally:
        fetch._plain_fetch1 = plain


@pytest.mark.parametrize(
    "attributes",
    [(), ("value",), ("label", "value"), ("KEY",), ("KEY", "value"), ("value", "value")],
)
@pytest.mark.parametrize(
    "restriction",
    [{"reading_id": 1}, {"reading_id": 2}, {"label": None}, {"label": "c", "value": 2.5}],
)
def test_every_form_gives_what_the_general_path_gives(reading, attributes, restriction) -> None:
    query = reading & restriction
    if "KEY" not in attributes:  # (fetch1 takes the general path for KEY)
        short = fetch._plain_fetch1(query, attributes)
        assert (short is not None) == (len(set(attributes)) == len(attributes))
    for _ in range(3):  # the first call remembers the statement, the next ones reuse it
        assert query.fetch1(*attributes) == _general(query, *attributes)
    assert (reading & restriction).fetch1(*attributes) == _general(query, *attributes)


def test_values_follow_each_call(reading) -> None:
    assert [(reading & {"reading_id": i}).fetch1("value") for i in (1, 2, 3, 1)] == [
        1.5,
        2.5,
        2.5,
        1.5,
    ]
    assert (reading & {"reading_id": 2}).fetch1() == {
        "reading_id": 2,
        "value": 2.5,
        "label": None,
    }
    renamed = (reading & {"reading_id": 3}).proj(score="value")
    assert renamed.fetch1() == {"reading_id": 3, "score": 2.5}
    assert renamed.fetch1("score") == 2.5


def test_no_row_or_several_rows_raise(reading) -> None:
    for _ in range(2):
        with pytest.raises(dj.DataJointError, match="no rows"):
            (reading & {"reading_id": 9}).fetch1()
        with pytest.raises(dj.DataJointError, match="2 or more rows"):
            (reading & {"value": 2.5}).fetch1("label")
        with pytest.raises(dj.errors.UnknownAttributeError, match="missing"):
            (reading & {"reading_id": 1}).fetch1("missing")


def test_a_changed_table_is_read_as_it_is_now(schema, reading) -> None:
    assert (reading & {"reading_id": 1}).fetch1() == {"reading_id": 1, "value": 1.5, "label": "a"}
    reading.definition = reading.definition.replace(
        "label = null : varchar(8)", "label = null : varchar(8)\nextra = 7 : int16"
    )
    reading.alter(prompt=False)
    for _ in range(2):
        assert (reading & {"reading_id": 1}).fetch1() == {
            "reading_id": 1,
            "value": 1.5,
            "label": "a",
            "extra": 7,
        }


def test_rows_that_need_decoding_take_the_general_path(schema) -> None:
    @schema
    class Trace(dj.Manual):
        definition = """
        trace_id : int32
        ---
        samples : <blob>
        """

    Trace.insert1({"trace_id": 1, "samples": np.arange(4.0)})
    for _ in range(2):
        np.testing.assert_array_equal((Trace & {"trace_id": 1}).fetch1("samples"), np.arange(4.0))
        row = (Trace & {"trace_id": 1}).fetch1()
        assert row["trace_id"] == 1
        np.testing.assert_array_equal(row["samples"], np.arange(4.0))


def _walked(query):
    """The shape of ``query`` as the general walker makes it."""
    from datajoint.query import shape

    walker = shape._Walker(query.connection)
    try:
        key = walker.table_block(query)
    except shape._Unshaped:
        return None
    return shape.Shape(key, walker.values, walker.slots, walker.anchors)


@pytest.mark.parametrize(
    ("restrict", "keyed"),
    [
        (lambda r: r & {"reading_id": 1}, True),
        (lambda r: r & {"label": "c", "value": 2.5}, True),
        (lambda r: r - {"reading_id": 2}, True),
        (lambda r: (r & {"value": 2.5}) & {"label": "c"}, True),
        (lambda r: r & {"reading_id": 1, "nonexistent": 3}, True),
        (lambda r: r & {"label": None}, False),
        (lambda r: r & {"reading_id": np.int64(1)}, False),
        (lambda r: r & {"value": float("nan")}, False),
        (lambda r: r & "value > 2", False),
        (lambda r: r & [{"reading_id": 1}, {"reading_id": 2}], False),
    ],
)
def test_the_keyed_table_shape_is_the_walkers(reading, restrict, keyed) -> None:
    """Tables restricted by keys of plain values take a shorter way to their shape; it is the
    walker's shape (key, bound values, slots), and other restrictions are left to the walker."""
    from datajoint.query import shape

    query = restrict(reading)
    short = shape._keyed_table(query)
    walked = _walked(query)
    assert (short is not None) == keyed
    if short is None:
        assert shape.shape_of(query) == walked
        return
    assert walked is not None
    assert (short.key, short.values, short.slots) == (walked.key, walked.values, walked.slots)
    assert [id(h) for h in short.anchors] == [id(h) for h in walked.anchors]


def test_a_key_condition_used_twice_has_no_shape(reading) -> None:
    """One condition object twice in a restriction cannot bind its values by position."""
    from datajoint.query import shape

    once = reading & {"reading_id": 1}
    twice = once & once._where[0]
    assert shape._keyed_table(twice) is None
    assert shape.shape_of(twice) is None
    assert twice.fetch1("value") == 1.5
