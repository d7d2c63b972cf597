"""Spec 01 §8 audit: nullability/default changes, comment-only changes, rename with a type
change, added core/enum types; SQLite refuses in-place modifications with a clear error."""

from __future__ import annotations

import pytest

import datajoint as dj

BASE = """
# t
id : int32
---
a = null : int16   # ca
b = 1 : int32
c : varchar(8)
"""

CASES = {
    "null-to-default": (BASE.replace("a = null : int16", "a = 5 : int16"), "a", ("5", False)),
    "default-to-null": (BASE.replace("b = 1 : int32", "b = null : int32"), "b", (None, True)),
    "required-to-default": (
        BASE.replace("c : varchar(8)", 'c = "z" : varchar(8)'),
        "c",
        ("z", False),
    ),
}


@pytest.fixture
def t(schema):
    @schema
    class T(dj.Manual):
        definition = BASE

    T.insert1({"id": 1, "a": 2, "c": "q"})
    return T


@pytest.mark.parametrize("case", sorted(CASES))
def test_nullability_and_default_changes(t, backend_name, case):
    definition, name, (default, nullable) = CASES[case]
    t.definition = definition
    if backend_name == "sqlite":
        with pytest.raises(dj.DataJointError, match=f"SQLite cannot modify.*|`{name}`"):
            t.alter(prompt=False)
        return
    t.alter(prompt=False)
    attr = t.heading[name]
    assert (attr.default, attr.nullable) == (default, nullable)
    assert t.fetch1() == {"id": 1, "a": 2, "b": 1, "c": "q"}


def test_comment_only_and_rename_with_type_change(t, backend_name):
    t.definition = BASE.replace("# ca", "# new comment")
    t.alter(prompt=False)
    assert t.heading["a"].comment == "new comment"
    t.definition = BASE.replace("# ca", "# new comment").replace(
        "b = 1 : int32", "bb = 1 : int64  # {b} renamed"
    )
    t.alter(prompt=False)
    assert t.heading["bb"].comment == "renamed" and "b" not in t.heading.names
    assert t.fetch1() == {"id": 1, "a": 2, "bb": 1, "c": "q"}


def test_add_json_uuid_and_enum_attributes(t):
    t.definition = BASE + "j = null : json\nu = null : uuid\ne = 'x' : enum('x', 'y')\n"
    t.alter(prompt=False)
    assert t.fetch1() == {"id": 1, "a": 2, "b": 1, "c": "q", "j": None, "u": None, "e": "x"}
    t.insert1({"id": 2, "c": "r", "j": {"k": 1}, "e": "y"})
    assert (t & {"id": 2}).fetch1("j", "e") == ({"k": 1}, "y")
