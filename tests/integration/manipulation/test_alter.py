"""alter() (spec 01 §8): secondary attributes and comments; refusals for keys and indexes."""

from __future__ import annotations

import pytest

import datajoint as dj

DEFINITION = """
# a thing
thing : int32
---
number = 0 : int32
label = "" : varchar(16)
old_name = null : float64  # to be renamed
gone = null : int16
"""


@pytest.fixture
def thing(schema):
    @schema
    class Thing(dj.Manual):
        definition = DEFINITION

    Thing.insert1({"thing": 1, "number": 7, "label": "x", "old_name": 2.5, "gone": 3})
    return Thing


def test_add_drop_rename_and_comments(thing):
    thing.definition = """
    # a renamed thing
    thing : int32
    ---
    number = 0 : int32
    label = "" : varchar(16)  # now with a comment
    new_name = null : float64  # {old_name} renamed
    extra = "e" : varchar(8)
    """
    thing.alter(prompt=False)
    heading = thing.heading
    assert heading.names == ["thing", "number", "label", "new_name", "extra"]
    assert heading["new_name"].comment == "renamed"
    assert heading["label"].comment == "now with a comment"
    assert heading.comment == "a renamed thing"
    row = thing.fetch1()
    assert row == {"thing": 1, "number": 7, "label": "x", "new_name": 2.5, "extra": "e"}
    thing.alter(prompt=False)  # nothing left to alter


def test_modify_type_and_default(thing, backend_name):
    thing.definition = DEFINITION.replace("number = 0 : int32", "number = 5 : int64").replace(
        "varchar(16)", "varchar(40)"
    )
    if backend_name == "sqlite":
        with pytest.raises(dj.DataJointError, match="SQLite cannot modify"):
            thing.alter(prompt=False)
        assert thing.heading["number"].type.declared == "int32"
        return
    thing.alter(prompt=False)
    assert thing.heading["number"].type.declared == "int64"
    assert thing.heading["number"].default == "5"
    thing.insert1({"thing": 2, "label": "y" * 40})
    assert (thing & {"thing": 2}).fetch1("number") == 5
    assert (thing & {"thing": 1}).fetch1("number") == 7


def test_reorder(thing, backend_name):
    thing.definition = DEFINITION.replace('label = "" : varchar(16)\n', "").replace(
        "gone = null : int16", 'gone = null : int16\nlabel = "" : varchar(16)'
    )
    thing.alter(prompt=False)
    names = thing.heading.names
    if backend_name == "mysql":
        assert names == ["thing", "number", "old_name", "gone", "label"]
    else:  # column order cannot change: reported, nothing done
        assert names == ["thing", "number", "label", "old_name", "gone"]
    assert thing.fetch1()["label"] == "x"


def test_refusals(thing, schema, connection):
    @schema
    class Other(dj.Manual):
        definition = "other : int32"

    before = thing.heading.names
    for definition, what in [
        (DEFINITION.replace("thing : int32", "thing : int32\nsub : int16"), "primary key"),
        (DEFINITION + "-> [nullable] Other\n", "foreign keys"),
        (DEFINITION + "index (number)\n", "indexes"),
    ]:
        thing.definition = definition
        with pytest.raises(NotImplementedError, match=what) as info:
            thing.alter(prompt=False, context={"Other": Other})
        assert isinstance(info.value, dj.DataJointError)
    thing.definition = DEFINITION.replace("# to be renamed", "# {nope}")
    with pytest.raises(dj.DataJointError, match="does not exist in the original"):
        thing.alter(prompt=False)
    thing.definition = """
    thing : int32
    ---
    number = 0 : int32
    label = "" : varchar(16)
    a = null : float64  # {old_name}
    b = null : float64  # {old_name}
    """
    with pytest.raises(dj.DataJointError, match="twice"):
        thing.alter(prompt=False)
    thing.definition = DEFINITION + "added = null : int32\n"
    with pytest.raises(dj.DataJointError, match="transaction"), connection.transaction:
        thing.alter(prompt=False)
    assert thing.heading.names == before


def test_prompt(thing, monkeypatch, capsys):
    thing.definition = DEFINITION + "added = null : int32\n"
    monkeypatch.setattr(dj.utils, "input", lambda _: "no", raising=False)
    thing.alter()
    assert "added" not in thing.heading.names
    assert "added" in capsys.readouterr().out  # the statement was shown
    monkeypatch.setattr(dj.utils, "input", lambda _: "yes", raising=False)
    thing.alter()
    assert "added" in thing.heading.names


def test_failed_alter_leaves_the_table_unchanged(thing):
    # PostgreSQL and SQLite: statements in one transaction; MySQL: one ALTER statement
    thing.insert1({"thing": 2, "label": "not a number"})
    thing.definition = DEFINITION.replace("gone = null : int16", "added = 1 : int16").replace(
        'label = "" : varchar(16)', "label = 0 : int32"
    )
    with pytest.raises(dj.DataJointError):
        thing.alter(prompt=False)
    assert thing.heading.names == ["thing", "number", "label", "old_name", "gone"]
    assert (thing & {"thing": 2}).fetch1("label") == "not a number"
