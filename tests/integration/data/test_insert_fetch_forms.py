"""The accepted insert inputs and the fetch API basics on every backend (spec 04 §1, §2)."""

from __future__ import annotations

import types

import numpy as np
import pandas as pd
import pytest

import datajoint as dj
from support.backends import new_schema_name, open_connection
from support.pipelines import ITEM_DEFINITION

ROWS = [
    {"id": 1, "value": "one", "score": 1.5},
    {"id": 2, "value": "two", "score": None},
    {"id": 3, "value": "three", "score": -3.0},
]


@pytest.fixture(scope="module")
def declared(backend_name, tmp_path_factory):
    connection = open_connection(backend_name, tmp_path_factory)
    schema = dj.Schema(new_schema_name("djforms"), connection=connection)

    @schema
    class Item(dj.Manual):
        definition = ITEM_DEFINITION

    @schema
    class Copy(dj.Manual):
        definition = ITEM_DEFINITION

    @schema
    class Pair(dj.Manual):
        definition = """
        a : int16
        b : varchar(8)
        ---
        n : int64
        """

    yield types.SimpleNamespace(Item=Item, Copy=Copy, Pair=Pair)
    schema.drop(prompt=False)
    connection.close()


@pytest.fixture
def t(declared):
    """The declared tables, emptied before each test."""
    for table in (declared.Item, declared.Copy, declared.Pair):
        table.delete_quick()
    return declared


# ---------------------------------------------------------------------------- insert forms
def test_insert_dicts(t):
    t.Item.insert(ROWS)
    assert t.Item.to_dicts() == ROWS


def test_insert1_dict(t):
    t.Item.insert1(ROWS[0])
    assert t.Item.to_dicts() == [ROWS[0]]


def test_insert_tuples_and_lists_in_heading_order(t):
    with pytest.warns(DeprecationWarning, match="Positional inserts"):
        t.Item.insert([(1, "one", 1.5), [2, "two", None]])
    with pytest.warns(DeprecationWarning, match="Positional inserts"):
        t.Item.insert1((3, "three", -3.0))
    assert t.Item.to_dicts() == ROWS


def test_insert_numpy_record_array(t):
    records = np.array(
        [(1, "one", 1.5), (2, "two", np.nan), (3, "three", -3.0)],
        dtype=[("id", np.int32), ("value", "U10"), ("score", np.float64)],
    )
    t.Item.insert(records)
    fetched = t.Item.to_dicts()
    assert fetched == ROWS  # NaN is stored as NULL
    assert all(type(r["id"]) is int and type(r["value"]) is str for r in fetched)
    t.Item.delete_quick()
    t.Item.insert1(records[0])
    assert t.Item.to_dicts() == [ROWS[0]]


def test_insert_generator(t):
    t.Item.insert(dict(r) for r in ROWS)
    assert t.Item.to_dicts() == ROWS


def test_insert_dataframe_forms(t):
    frame = pd.DataFrame(ROWS)
    t.Item.insert(frame)  # RangeIndex is dropped
    assert t.Item.to_dicts() == ROWS
    t.Item.delete_quick()
    t.Item.insert(frame.set_index("id"))  # a named index becomes a column
    assert t.Item.to_dicts() == ROWS
    t.Item.delete_quick()
    t.Item.insert_dataframe(frame.set_index("id"))  # index matches the primary key
    assert t.Item.to_dicts() == ROWS
    t.Item.delete_quick()
    t.Item.insert_dataframe(frame)
    assert t.Item.to_dicts() == ROWS


def test_to_pandas_round_trip(t):
    t.Item.insert(ROWS)
    frame = t.Item.to_pandas()
    assert list(frame.index.names) == ["id"]
    assert list(frame.columns) == ["value", "score"]
    t.Copy.insert(frame)
    assert t.Copy.to_dicts() == ROWS
    t.Copy.delete_quick()
    t.Copy.insert_dataframe(frame)
    assert t.Copy.to_dicts() == ROWS
    with pytest.raises(dj.errors.DataJointError, match="requires a pandas DataFrame"):
        t.Copy.insert_dataframe(ROWS)


def test_composite_key_dataframe(t):
    rows = [{"a": 1, "b": "x", "n": 10}, {"a": 1, "b": "y", "n": 11}, {"a": 2, "b": "x", "n": 12}]
    t.Pair.insert(rows)
    frame = t.Pair.to_pandas()
    assert list(frame.index.names) == ["a", "b"]
    t.Pair.delete_quick()
    t.Pair.insert_dataframe(frame)
    assert t.Pair.to_dicts() == rows
    with pytest.raises(dj.errors.DataJointError, match="do not match"):
        t.Pair.insert_dataframe(frame.reset_index().set_index("n"), index_as_pk=True)


def test_skip_duplicates(t):
    t.Item.insert(ROWS[:2])
    t.Item.insert(
        [{"id": 1, "value": "changed", "score": 0.0}, ROWS[2], ROWS[2]], skip_duplicates=True
    )
    assert t.Item.to_dicts() == ROWS  # the existing row is unchanged
    t.Item.insert1({"id": 2, "value": "again", "score": None}, skip_duplicates=True)
    assert t.Item.to_dicts() == ROWS


def test_empty_insert_sends_nothing(t):
    connection = t.Item().connection
    before = connection.statement_count
    t.Item.insert([])
    assert connection.statement_count == before
    assert len(t.Item()) == 0


def test_a_large_insert_is_all_or_nothing(t, backend_name):
    """40,000 rows: SQLite binds each row on its own (one executemany) and PostgreSQL loads
    them by one COPY, so both send one statement; MySQL cuts them into multi-row INSERTs inside
    one transaction. A duplicate in the last row leaves no row on every backend."""
    rows = [{"id": i, "value": f"v{i}", "score": i / 4} for i in range(40_000)]
    connection = t.Item().connection
    assert len(t.Item()) == 0
    before = connection.statement_count
    t.Item.insert(rows)
    sent = connection.statement_count - before
    assert sent > 1 if backend_name == "mysql" else sent == 1
    assert len(t.Item()) == 40_000
    assert (t.Item & {"id": 39_999}).fetch1("score") == 39_999 / 4
    t.Item.delete_quick()
    with pytest.raises(dj.errors.DuplicateError):
        t.Item.insert([*rows, rows[5]])
    assert len(t.Item()) == 0


def test_single_dict_to_insert_is_refused(t):
    with pytest.raises(dj.errors.DataJointError, match="insert1"):
        t.Item.insert(ROWS[0])
    assert len(t.Item()) == 0


# ---------------------------------------------------------------------------- fetch forms
def test_fetch_forms(t):
    t.Item.insert(list(reversed(ROWS)))
    item = t.Item()
    assert item.to_dicts() == ROWS  # primary-key order
    assert item.keys() == [{"id": 1}, {"id": 2}, {"id": 3}]
    assert len(item) == 3
    assert bool(item)
    assert not (item & {"id": 99})
    assert len(item & {"id": 99}) == 0
    assert {"id": 2} in item
    assert {"id": 4} not in item
    rows = iter(item)
    assert isinstance(rows, types.GeneratorType)
    assert list(rows) == ROWS
    assert [r["id"] for r in t.Item] == [1, 2, 3]  # iteration of the class
    frame = item.to_pandas()
    assert frame.loc[3, "value"] == "three"
    assert frame.index.tolist() == [1, 2, 3]


def test_to_arrays(t):
    t.Item.insert(ROWS)
    array = t.Item.to_arrays()
    assert array.dtype.names == ("id", "value", "score")
    assert array.dtype["id"] == np.int64
    assert array.dtype["value"] == np.dtype("O")
    assert array.dtype["score"] == np.float64
    assert array["id"].tolist() == [1, 2, 3]
    assert np.isnan(array["score"][1])
    ids, values = t.Item.to_arrays("id", "value")
    assert ids.tolist() == [1, 2, 3]
    assert values.tolist() == ["one", "two", "three"]
    keys, scores = t.Item.to_arrays("score", include_key=True)
    assert keys == [{"id": 1}, {"id": 2}, {"id": 3}]
    assert scores.tolist() == [1.5, None, -3.0]
    empty = (t.Item & {"id": 99}).to_arrays()
    assert len(empty) == 0
    assert empty.dtype == array.dtype
    with pytest.raises(dj.errors.UnknownAttributeError):
        t.Item.to_arrays("nope")


def test_fetch1(t):
    with pytest.raises(dj.errors.DataJointError, match="fetch1"):
        t.Item.fetch1()  # no rows
    t.Item.insert(ROWS)
    with pytest.raises(dj.errors.DataJointError, match="fetch1"):
        t.Item.fetch1()  # three rows
    with pytest.raises(dj.errors.DataJointError, match="fetch1"):
        (t.Item & "id > 1").fetch1()
    one = t.Item & {"id": 3}
    assert one.fetch1() == ROWS[2]
    assert one.fetch1("KEY") == {"id": 3}
    with pytest.raises(dj.errors.UnknownAttributeError):
        one.fetch1("nope")


def test_fetch1_attributes(t):
    t.Item.insert(ROWS)
    one = t.Item & {"id": 3}
    assert one.fetch1("value") == "three"
    assert one.fetch1("value", "score") == ("three", -3.0)
    assert one.fetch1("KEY") == {"id": 3}
    with pytest.raises(dj.errors.UnknownAttributeError):
        one.fetch1("nope")
