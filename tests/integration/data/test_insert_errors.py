"""Insert errors: the DataJoint error of spec 04 §2.10 / spec 08 §8 on every backend, and the
table left exactly as it was (a multi-row insert with one bad row lands none of its rows)."""

from __future__ import annotations

import types

import pytest

import datajoint as dj
from support.backends import new_schema_name, open_connection

E = dj.errors


@pytest.fixture(scope="module")
def declared(backend_name, tmp_path_factory):
    connection = open_connection(backend_name, tmp_path_factory)
    schema = dj.Schema(new_schema_name("djerrors"), connection=connection)

    @schema
    class Parent(dj.Manual):
        definition = """
        parent_id : int32
        """

    @schema
    class Child(dj.Manual):
        definition = """
        -> Parent
        child_id : int16
        ---
        name : varchar(8)
        small = null : uint8
        grade = null : enum('a', 'b')
        ident = null : uuid
        doc = null : json
        day = null : date
        when = null : datetime
        raw = null : bytes
        flag = null : bool
        amount = null : decimal(5,2)
        tiny = null : int8
        huge = null : int64
        ratio = null : float32
        -> [nullable] Parent.proj(other='parent_id')
        """

    Parent.insert([{"parent_id": 1}, {"parent_id": 2}])
    yield types.SimpleNamespace(Parent=Parent, Child=Child)
    schema.drop(prompt=False)
    connection.close()


EXISTING = [
    {"parent_id": 1, "child_id": 1, "name": "a"},
    {"parent_id": 1, "child_id": 2, "name": "b"},
]


@pytest.fixture
def child(declared):
    declared.Child.delete_quick()
    declared.Child.insert(EXISTING)
    return declared.Child


def snapshot(table):
    return table.to_dicts()


def assert_refused(table, rows, error, match=None, **options):
    """``insert(rows)`` raises ``error`` and leaves the table unchanged."""
    before = snapshot(table)
    with pytest.raises(error, match=match):
        table.insert(rows, **options)
    assert snapshot(table) == before
    assert len(table()) == len(before)


def row(child_id, **values):
    return {"parent_id": 1, "child_id": child_id, "name": "x", **values}


# ---------------------------------------------------------------------------- duplicates
def test_duplicate_primary_key(child):
    assert_refused(child, [row(1)], E.DuplicateError, "skip_duplicates")
    assert_refused(child, [row(3), row(4), row(2)], E.DuplicateError)


def test_duplicate_within_one_batch(child):
    assert_refused(child, [row(5), row(6), row(5)], E.DuplicateError)


# ---------------------------------------------------------------------------- missing
def test_missing_required_attribute(child):
    assert_refused(child, [{"parent_id": 1, "child_id": 7}], E.MissingAttributeError)
    assert_refused(
        child, [{"parent_id": 1, "child_id": c} for c in (7, 8)], E.MissingAttributeError
    )


def test_none_for_required_attribute(child):
    assert_refused(child, [row(7), row(8, name=None), row(9)], E.MissingAttributeError)


def test_missing_primary_key(child):
    assert_refused(child, [{"parent_id": 1, "name": "x"}], E.MissingAttributeError)


def test_missing_single_integer_key(declared):
    """Omitting a one-column integer key is an error everywhere (no SQLite rowid invention)."""
    before = declared.Parent.to_dicts()
    with pytest.raises(E.DataJointError, match="Cannot insert empty row"):
        declared.Parent.insert1({})
    assert declared.Parent.to_dicts() == before
    with pytest.raises(E.MissingAttributeError):
        declared.Parent.insert1({"parent_id": None})
    assert declared.Parent.to_dicts() == before


def test_skip_duplicates_does_not_hide_other_errors(child):
    assert_refused(
        child, [{"parent_id": 1, "child_id": 1}], E.MissingAttributeError, skip_duplicates=True
    )


# ---------------------------------------------------------------------------- unknown
def test_unknown_attribute(child):
    before = snapshot(child)
    with pytest.raises(E.UnknownAttributeError, match="ignore_extra_fields") as info:
        child.insert1(row(7, colour="red"))
    assert isinstance(info.value, KeyError)
    assert "colour" in str(info.value)
    assert snapshot(child) == before
    assert_refused(child, [row(7), row(8, colour="red")], KeyError)


def test_ignore_extra_fields(child):
    child.insert([row(7, colour="red")], ignore_extra_fields=True)
    assert len(child & {"child_id": 7}) == 1


def test_rows_with_different_attributes(child):
    assert_refused(child, [row(7, small=1), row(8)], E.DataJointError, "different")


def test_wrong_positional_length(child):
    with pytest.warns(DeprecationWarning):
        assert_refused(child, [(1, 7, "x")], E.DataJointError, "attributes")


# ---------------------------------------------------------------------------- wrong values
@pytest.mark.parametrize(
    ("values", "match"),
    [
        ({"small": "abc"}, "not a number"),
        ({"small": 1.5}, "integer"),
        ({"small": 256}, None),  # out of range for uint8 (database check)
        ({"small": -1}, None),
        ({"name": "x" * 9}, None),  # too long for varchar(8)
        ({"grade": "c"}, None),  # not an enum member
        ({"grade": "A"}, "case-sensitive"),  # MySQL alone would accept it as 'a'
        ({"small": 255.5}, "integer"),
        ({"ident": "not-a-uuid"}, "badly formed UUID"),
        ({"ident": 0}, "badly formed UUID"),
        ({"day": "2024-02-30"}, "date"),
        ({"day": "yesterday"}, "date"),
        ({"when": "noon"}, "datetime"),
        ({"when": 20240101}, "datetime"),
        ({"day": 20240101}, "date"),
        ({"name": {"a": 1}}, "text"),
        ({"name": b"bytes"}, "text"),
        ({"grade": ["a"]}, "text"),
        ({"raw": "text"}, "bytes"),
        ({"flag": "maybe"}, "bool"),
        ({"amount": 1000}, None),  # out of range for decimal(5,2)
        ({"tiny": 128}, None),  # int8 is a smallint on PostgreSQL: a CHECK keeps the range
        ({"tiny": -129}, None),
        ({"huge": 2**63}, None),
        ({"ratio": 1e39}, "float32"),
        ({"amount": "999.996"}, None),  # rounds to 1000.00
        ({"flag": object()}, "bool"),
    ],
    ids=lambda v: (
        "-".join(f"{k}={str(x)[:8]}" for k, x in v.items()) if isinstance(v, dict) else ""
    ),
)
def test_value_that_cannot_convert(child, values, match):
    good = {k: "ok" if k == "name" else None for k in values}
    assert_refused(child, [row(7, **good), row(8, **values)], E.ValueConversionError, match)
    assert_refused(child, [row(7, **values)], ValueError, match)


def test_value_not_json_serializable(child):
    assert_refused(child, [row(7, doc=[1]), row(8, doc={"x": object()})], E.DataJointError, "json")
    assert_refused(child, [row(7, doc={1, 2})], TypeError)


# ---------------------------------------------------------------------------- foreign keys
def test_foreign_key_violation(child):
    assert_refused(child, [{"parent_id": 99, "child_id": 1, "name": "x"}], E.IntegrityError)
    assert_refused(
        child,
        [row(7), {"parent_id": 99, "child_id": 8, "name": "x"}, row(9)],
        E.IntegrityError,
    )


def test_secondary_foreign_key_violation(child):
    assert_refused(child, [row(7, other=2), row(8, other=42)], E.IntegrityError)
    child.insert1(row(7, other=2))
    assert (child & {"child_id": 7}).fetch1()["other"] == 2


def test_errors_are_datajoint_errors():
    for cls in (
        E.DuplicateError,
        E.IntegrityError,
        E.MissingAttributeError,
        E.UnknownAttributeError,
        E.ValueConversionError,
    ):
        assert issubclass(cls, dj.DataJointError)


def test_large_batch_is_atomic(declared):
    """A batch larger than one statement's parameter limit still lands entirely or not at all."""
    parent = declared.Parent
    before = parent.to_dicts()
    rows = [{"parent_id": n} for n in range(100, 40100)] + [{"parent_id": 100}]
    with pytest.raises(E.DuplicateError):
        parent.insert(rows)
    assert parent.to_dicts() == before
    parent.insert(rows[:-1])
    assert len(parent()) == len(before) + 40000
    (parent & "parent_id >= 100").delete_quick()
    assert parent.to_dicts() == before
