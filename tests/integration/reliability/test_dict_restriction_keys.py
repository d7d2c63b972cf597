"""Dict restriction keys that cannot be understood raise; they never widen (spec 03 §3.3).

A key whose first part names a visible attribute must be that attribute or a valid JSON path on
a json attribute. Ignoring such a key would turn ``(Doc & {"j.my-key": "x"}).delete()`` into a
delete of every row.
"""

from __future__ import annotations

import pytest

import datajoint as dj

BAD_KEYS = [
    "body.my-key",  # a key that is not a plain name, unquoted
    "body.",  # an empty path
    "body.a b",  # white space inside a path
    "body..x",
    "body[x]",  # an index that is not a number
    'body."unterminated',
    "body.x:notatype",  # an unknown cast
    "title.x",  # a path on a non-JSON attribute
    "doc_id.x",
    "title[0]",
]


@pytest.fixture
def Doc(schema):
    @schema
    class Doc(dj.Manual):
        definition = """
        doc_id : int32
        ---
        title : varchar(40)
        body = null : json
        """

    Doc.insert(
        [
            {"doc_id": 1, "title": "a", "body": {"my-key": "x", "a b": 1, "n": {"k.1": 2}}},
            {"doc_id": 2, "title": "b", "body": {"my-key": "y", "plain": "x"}},
            {"doc_id": 3, "title": "c", "body": None},
        ]
    )
    return Doc


@pytest.mark.parametrize("key", BAD_KEYS)
def test_malformed_keys_raise_and_delete_nothing(Doc, key):
    with pytest.raises(dj.DataJointError, match="Invalid restriction key") as info:
        (Doc & {key: "x"}).delete(prompt=False)
    assert repr(key) in str(info.value)
    with pytest.raises(dj.DataJointError, match="Invalid restriction key"):
        Doc - {key: "x"}
    with pytest.raises(dj.DataJointError, match="Invalid restriction key"):
        Doc & [{"doc_id": 1}, {key: 1}]
    assert len(Doc()) == 3


def test_quoted_segments_reach_any_key(Doc):
    assert (Doc & {'body."my-key"': "x"}).keys() == [{"doc_id": 1}]
    assert (Doc & {'body."a b"': 1}).keys() == [{"doc_id": 1}]
    assert (Doc & {'body.n."k.1"': 2}).keys() == [{"doc_id": 1}]
    assert (Doc - {'body."my-key"': "x"}).keys() == [{"doc_id": 2}]  # SQL: NULL never matches
    (Doc & {'body."my-key"': "y"}).delete(prompt=False)
    assert Doc.keys() == [{"doc_id": 1}, {"doc_id": 3}]


def test_keys_naming_no_visible_attribute_are_still_ignored(Doc):
    assert len(Doc & {"typo": 1}) == 3
    assert len(Doc & {"typo.x": 1, "doc_id": 2}) == 1
    assert len(Doc & {"_hidden.x": 1}) == 3


def test_record_fields_follow_the_same_rule(Doc):
    import numpy as np

    record = np.array([(1,)], dtype=[("title.x", "i4")])[0]
    with pytest.raises(dj.DataJointError, match="Invalid restriction key"):
        Doc & record


def test_quoted_segments_in_projections(Doc):
    rows = Doc.proj(v='body."my-key"').to_dicts(order_by="doc_id")
    assert [r["v"] for r in rows] == ["x", "y", None]
