"""alter()'s change computation (spec 01 §8.2) and the yes/no prompt, without a database."""

from __future__ import annotations

import pytest

import datajoint as dj
from datajoint.declare.alter import attribute_changes
from datajoint.heading import Attribute
from datajoint.types import parse_type


def attr(name: str, declared: str = "int32", comment: str = "", default: str | None = None):
    return Attribute(name=name, type=parse_type(declared), sql_type=declared, comment=comment,
                     default=default)  # fmt: skip


def kinds(changes):
    return [(c.kind, (c.new or c.old).name, c.after) for c in changes]


def test_add_drop_modify_rename():
    old = [attr("a"), attr("b"), attr("c", comment="x")]
    new = [attr("a", "int64"), attr("d", comment="{c} renamed"), attr("e")]
    changes, moved = attribute_changes(old, new, "id")
    assert kinds(changes) == [
        ("drop", "b", None),
        ("modify", "a", None),
        ("change", "d", None),
        ("add", "e", "d"),
    ]
    assert changes[2].old.name == "c" and changes[2].new.comment == "renamed"
    assert not moved


def test_reorder_and_unchanged():
    old = [attr("a"), attr("b")]
    assert attribute_changes(old, list(old), "id") == ([], False)
    changes, moved = attribute_changes(old, [attr("b"), attr("a")], "id")
    assert moved and kinds(changes) == [("modify", "b", "id"), ("modify", "a", "b")]


def test_rename_errors():
    old = [attr("a")]
    with pytest.raises(dj.DataJointError, match="does not exist"):
        attribute_changes(old, [attr("b", comment="{zz}")], "id")
    with pytest.raises(dj.DataJointError, match="twice"):
        attribute_changes(old, [attr("b", comment="{a}"), attr("c", comment="{a}")], "id")


def test_user_choice(monkeypatch):
    answers = iter(["", "maybe", "YES"])
    prompts = []

    def fake(text):
        prompts.append(text)
        return next(answers)

    monkeypatch.setattr(dj.utils, "input", fake, raising=False)
    assert dj.utils.user_choice("Go?", default="no") == "no"
    assert dj.utils.user_choice("Go?", default="no") == "yes"
    assert prompts[0] == "Go? [yes, No]: "
