"""Property-based tests (hypothesis) of hostile input on every backend (issue 9, point 8).

Fuzzed definitions, restriction strings, dict restrictions and insert values: whatever the
input, only DataJointError subclasses escape, and an operation that raises writes nothing.
Example counts stay modest so that the suite stays fast.
"""

from __future__ import annotations

import decimal
import os
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import datajoint as dj

FUZZ = settings(
    max_examples=int(os.environ.get("DJ_FUZZ_EXAMPLES", "30")),  # raise it to hunt locally
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,  # no example database in the working folder; CI runs are reproducible
)

# ------------------------------------------------------------------------------ strategies

_PIECES = [
    *(string.ascii_letters + string.digits + " _-.,;:()[]{}'\"`%#=<>!*/\\\n\t"),
    *["\x00", "\ud800", "é", "--", "/*", "*/", ":djp0", "%s", "?", "\\'", "true", "OR 1=1"],
]
HOSTILE_TEXT = st.lists(st.sampled_from(_PIECES), max_size=20).map("".join)
NAMES = st.sampled_from(["a", "b", "order", "true", "note", "select", "x_1"]) | st.from_regex(
    r"[a-z][a-z0-9_]{0,8}", fullmatch=True
)
TYPES = st.sampled_from(
    [
        "int32",
        "uint8",
        "float64",
        "decimal(5,2)",
        "varchar(12)",
        "char(3)",
        "bool",
        "date",
        "datetime(3)",
        "json",
        "uuid",
        "enum('a','b')",
        "int",
        "varchar(999999999)",
        "decimal(99,2)",
        "nonsense",
    ]
)
DEFAULTS = st.one_of(
    st.none(),
    st.just("null"),
    st.just("CURRENT_TIMESTAMP"),
    HOSTILE_TEXT.map(lambda t: t.replace("\n", " ")),
    HOSTILE_TEXT.map(lambda t: "'" + t.replace("\n", " ") + "'"),
    st.integers(-(2**70), 2**70).map(str),
)


@st.composite
def definitions(draw) -> str:
    lines = [f"{draw(NAMES)} : {draw(TYPES)}" for _ in range(draw(st.integers(1, 2)))]
    lines.append("---")
    for _ in range(draw(st.integers(0, 3))):
        default = draw(DEFAULTS)
        head = draw(NAMES) if default is None else f"{draw(NAMES)} = {default}"
        comment = draw(st.one_of(st.just(""), HOSTILE_TEXT.map(lambda t: " # " + t)))
        lines.append(f"{head} : {draw(TYPES)}{comment}".replace("\n", " "))
    if draw(st.booleans()):
        lines.insert(draw(st.integers(0, len(lines))), draw(HOSTILE_TEXT))
    return "\n".join(lines)


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True, places=None),
    HOSTILE_TEXT,
    st.binary(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.builds(object),
    st.dates(),
    st.datetimes(),
    st.uuids(),
)

# ------------------------------------------------------------------------------ fixtures


@pytest.fixture
def Item(schema):
    @schema
    class Item(dj.Manual):
        definition = """
        item_id : int32
        ---
        count = null : int16
        amount = null : decimal(6,2)
        ratio = null : float64
        label = null : varchar(16)
        kind = null : enum('a', 'b')
        flag = null : bool
        day = null : date
        doc = null : json
        """

    for row in (
        {"item_id": 1, "count": 3, "label": "one", "kind": "a", "doc": {"k": 1}},
        {"item_id": 2, "count": -4, "label": "two", "kind": "b", "ratio": 0.5},
        {"item_id": 3, "label": "it's", "amount": decimal.Decimal("1.25")},
    ):
        Item.insert1(row)
    return Item


def snapshot(table) -> list[dict]:
    return table.to_dicts()


# ------------------------------------------------------------------------------ properties


@FUZZ
@given(definition=definitions())
def test_fuzzed_definitions(schema, connection, definition):
    """A definition either declares a table whose columns are exactly its attributes, or
    raises a DataJointError and creates nothing."""
    before = set(schema.list_tables())
    cls = type("Fuzzed", (dj.Manual,), {"definition": definition})
    try:
        table = schema(cls)
    except dj.DataJointError:
        assert set(schema.list_tables()) == before
        return
    try:
        sql = f"SELECT * FROM {table.full_table_name} WHERE 1 = 0"
        columns = [d[0] for d in connection.query(sql, None).description]
        assert columns == list(table.heading.names)  # nothing beyond the declared attributes
    finally:
        table.drop_quick()


@FUZZ
@given(text=HOSTILE_TEXT)
def test_fuzzed_restriction_strings(Item, text):
    """A restriction string either selects a subset of the rows or raises DataJointError."""
    everything = snapshot(Item)
    try:
        rows = (Item & text).to_dicts()
    except dj.DataJointError:
        return
    assert all(row in everything for row in rows)


DICT_KEYS = st.sampled_from(
    ["item_id", "count", "label", "kind", "doc.k", "doc.", "doc.a b", 'doc."x y"', "label.x"]
) | st.text(max_size=8)


@FUZZ
@given(restriction=st.dictionaries(DICT_KEYS, VALUES, max_size=3))
def test_fuzzed_dict_restrictions_never_widen_a_delete(Item, restriction):
    """A delete restricted by a dict deletes exactly the rows the restriction selects (which
    match every known attribute it names), or raises DataJointError and deletes nothing."""
    everything = snapshot(Item)
    try:
        selected = (Item & restriction).to_dicts()
    except dj.DataJointError:
        selected = None
    exact = {  # values compared as they are (an empty string in a number means NULL)
        k: v
        for k, v in restriction.items()
        if (k in ("item_id", "count") and type(v) is int)
        or (k in ("label", "kind") and type(v) is str)
    }
    if selected is not None:
        for row in selected:
            assert row in everything
            for name, value in exact.items():
                assert row[name] == value
    try:
        (Item & restriction).delete(prompt=False)
    except dj.DataJointError:
        assert snapshot(Item) == everything
        return
    remaining = snapshot(Item)
    assert selected is not None
    assert [r for r in everything if r not in selected] == remaining
    if remaining != everything:  # put back what was deleted for the next example
        Item.insert([r for r in everything if r not in remaining])


@FUZZ
@given(
    values=st.fixed_dictionaries(
        {},
        optional=dict.fromkeys(
            ("count", "amount", "ratio", "label", "kind", "flag", "day", "doc"), VALUES
        ),
    )
)
def test_fuzzed_insert_values(Item, values):
    """An insert either stores the row or raises DataJointError and writes nothing; one bad
    value in a batch stops the whole batch."""
    before = len(Item())
    rows = [{"item_id": 100, **values}, {"item_id": 101}]
    try:
        Item.insert(rows)
    except dj.DataJointError:
        assert len(Item()) == before
        return
    assert len(Item()) == before + 2
    (Item & "item_id >= 100").delete_quick()
