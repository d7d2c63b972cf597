"""update1 (spec 04 §3) and the insert options of spec 04 §2.5–2.9."""

from __future__ import annotations

import datetime

import pytest

import datajoint as dj
from support.pipelines import ITEM_DEFINITION


@pytest.fixture
def thing(schema):
    @schema
    class Thing(dj.Manual):
        definition = """
        thing : int32
        ---
        number = 0 : int32
        frac = null : float64
        label = "none" : varchar(16)
        stamp = CURRENT_TIMESTAMP : datetime
        """

    Thing.insert1({"thing": 1, "number": 5, "frac": 1.5, "label": "x",
                   "stamp": datetime.datetime(2020, 1, 1)})  # fmt: skip
    return Thing


def test_update1_sets_and_resets_defaults(thing):
    thing.update1({"thing": 1, "number": None, "frac": 30, "label": None, "stamp": None})
    row = (thing & {"thing": 1}).fetch1()
    assert row["number"] == 0 and row["frac"] == 30.0 and row["label"] == "none"
    assert row["stamp"].year >= 2024
    thing.update1({"thing": 1, "frac": None})
    assert (thing & {"thing": 1}).fetch1("frac") is None


def test_update1_refusals(thing):
    before = thing.to_dicts()
    with pytest.raises(dj.DataJointError, match="dict"):
        thing.update1([1, 2])
    with pytest.raises(dj.DataJointError, match="primary-key"):
        thing.update1({"number": 3})
    with pytest.raises(dj.DataJointError, match="numer"):
        thing.update1({"thing": 1, "numer": 3})
    with pytest.raises(dj.DataJointError, match="restricted"):
        (thing & {"thing": 1}).update1({"thing": 1, "number": 3})
    with pytest.raises(dj.DataJointError, match="no row"):
        thing.update1({"thing": 100, "frac": 1})
    thing.update1({"thing": 1})  # key only: nothing to change
    assert thing.to_dicts() == before


@pytest.fixture
def items(schema):
    @schema
    class Item(dj.Manual):
        definition = ITEM_DEFINITION

    @schema
    class Ref(dj.Manual):
        definition = """
        -> Item
        """

    @schema
    class Derived(dj.Computed):
        definition = """
        -> Item
        ---
        twice : int32
        """

    @schema
    class Auto(dj.Manual):
        definition = """
        auto_id : int auto_increment
        ---
        tag = "t" : varchar(8)
        """

    return Item, Ref, Derived, Auto


def test_replace_is_an_in_place_upsert(items):
    Item, Ref, *_ = items
    Item.insert1({"id": 1, "value": "one", "score": 2.0})
    Ref.insert1({"id": 1})
    Item.insert1({"id": 1, "value": "uno"}, replace=True)
    assert Item.fetch1() == {"id": 1, "value": "uno", "score": None}
    assert len(Ref()) == 1
    with pytest.raises(dj.DataJointError, match="replace"):
        Item.insert1({"id": 1, "value": "x"}, replace=True, skip_duplicates=True)


def test_insert_from_query(items):
    Item, *_ = items
    Item.insert({"id": i, "value": f"v{i}"} for i in (1, 2, 3))
    shifted = (Item & "id < 10").proj("value", s="id").proj("value", id="s + 10")  # s: extra
    with pytest.raises(dj.DataJointError, match="ignore_extra_fields"):
        Item.insert(shifted)
    Item.insert(shifted, ignore_extra_fields=True)
    assert len(Item()) == 6
    assert (Item & {"id": 12}).fetch1("value") == "v2"
    Item.insert(shifted, ignore_extra_fields=True, skip_duplicates=True)
    assert len(Item()) == 6
    with pytest.raises(dj.errors.DuplicateError, match="skip_duplicates"):
        Item.insert(shifted, ignore_extra_fields=True)
    Item.insert(Item & "id < 10", replace=True)
    assert len(Item()) == 6
    with pytest.raises(dj.DataJointError, match="chunk_size is not supported"):
        Item.insert(shifted, chunk_size=2)


def test_chunked_insert_commits_completed_chunks(items):
    Item, *_ = items
    Item.insert(({"id": i, "value": "v"} for i in range(7)), chunk_size=3)
    assert len(Item()) == 7
    rows = [{"id": i, "value": "v"} for i in (10, 11, 12, 13, 3, 14)]
    with pytest.raises(dj.errors.DuplicateError):
        Item.insert(rows, chunk_size=3)
    assert len(Item()) == 10  # the first chunk landed
    Item.insert(rows, chunk_size=2, skip_duplicates=True)
    assert len(Item()) == 12


def test_direct_insert_into_computed(items):
    Item, _, Derived, _ = items
    Item.insert1({"id": 1, "value": "a"})
    with pytest.raises(dj.DataJointError, match="allow_direct_insert"):
        Derived.insert1({"id": 1, "twice": 2})
    Derived.insert1({"id": 1, "twice": 2}, allow_direct_insert=True)
    assert len(Derived()) == 1


def test_all_default_rows(items):
    *_, Auto = items
    Auto.insert([{}, {}, {}])
    assert [r["auto_id"] for r in Auto.to_dicts()] == [1, 2, 3]
    Item = items[0]
    with pytest.raises(dj.DataJointError, match="Cannot insert empty row"):
        Item.insert1({})


def test_validate(items):
    Item, *_ = items
    ok = Item.validate([{"id": 1, "value": "a"}, (2, "b", None)])
    assert ok and ok.rows_checked == 2 and "Validation passed" in ok.summary()
    bad = Item.validate([{"value": "no id"}])
    assert not bad
    assert bad.summary().startswith("Validation failed: 2 error(s) in 1 rows")
    assert "id" in bad.errors[0][2]
    with pytest.raises(dj.DataJointError, match="Validation failed"):
        bad.raise_if_invalid()
    many = Item.validate([{"id": i, "junk": 1, "value": None} for i in range(6)])
    assert len(many.errors) == 12 and "... and 2 more errors" in many.summary()
    assert Item.validate([(1, 2)]).errors[0][2].startswith("Incorrect number of attributes")
    assert Item.validate([{"id": 1, "value": "a", "junk": 0}], ignore_extra_fields=True)
    assert not Item.validate([{"id": "abc", "value": "a"}])
    assert len(Item()) == 0
