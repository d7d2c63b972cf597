"""Mistakes users make when writing rows are reported in one sentence naming the table, the
attribute, the offending value and what to do — word for word the same on every backend
(issue 14 point 9)."""

from __future__ import annotations

import types

import pytest

import datajoint as dj

E = dj.errors
SKIP = "To ignore duplicate entries, use skip_duplicates=True."
FITS = "Use a value that fits, or change the attribute's type with alter()."


@pytest.fixture
def lab(schema):
    @schema
    class Mouse(dj.Manual):
        definition = """
        mouse_id : int32
        ---
        note : varchar(20)
        small = 0 : int8
        count = 0 : uint8
        weight = null : decimal(5,2)
        sex = "F" : enum("F", "M")
        email = null : varchar(40)
        unique index (email)
        """

    @schema
    class Session(dj.Manual):
        definition = """
        -> Mouse
        session : int16
        ---
        -> [nullable] Mouse.proj(partner='mouse_id')
        """

    Mouse.insert1({"mouse_id": 1, "note": "first", "email": "a@lab"})
    db = schema.database
    return types.SimpleNamespace(
        Mouse=Mouse, Session=Session, mouse=f"`{db}`.`mouse`", session=f"`{db}`.`session`"
    )


def message(error, call):
    with pytest.raises(error) as info:
        call()
    return str(info.value)


def test_duplicates(lab):
    Mouse, T = lab.Mouse, lab.mouse
    assert message(E.DuplicateError, lambda: Mouse.insert1({"mouse_id": 1, "note": "x"})) == (
        f"Duplicate entry in table {T}: a row with mouse_id=1 (primary key) already exists. {SKIP}"
    )
    rows = [{"mouse_id": 2, "note": "x"}, {"mouse_id": 1, "note": "y"}]
    assert message(E.DuplicateError, lambda: Mouse.insert(rows)) == (
        f"Duplicate entry in table {T}: a row with mouse_id=1 (primary key) already exists. {SKIP}"
    )
    rows = [{"mouse_id": 3, "note": "x"}, {"mouse_id": 3, "note": "y"}]
    assert message(E.DuplicateError, lambda: Mouse.insert(rows)) == (
        f"Duplicate entry in table {T}: the inserted rows give mouse_id=3 (primary key) twice. "
        f"{SKIP}"
    )
    row = {"mouse_id": 4, "note": "x", "email": "a@lab"}
    assert message(E.DuplicateError, lambda: Mouse.insert1(row)) == (
        f"Duplicate entry in table {T}: a row with email='a@lab' (unique index on email) "
        f"already exists. {SKIP}"
    )
    Mouse.insert1({"mouse_id": 5, "note": "x"})
    update = {"mouse_id": 5, "email": "a@lab"}
    assert message(E.DuplicateError, lambda: Mouse.update1(update)) == (
        f"Duplicate entry in table {T}: a row with email='a@lab' (unique index on email) "
        "already exists."
    )
    assert len(Mouse()) == 2


def test_duplicate_inside_a_transaction(lab):
    Mouse, T = lab.Mouse, lab.mouse
    with pytest.raises(E.DuplicateError) as info, Mouse.connection.transaction:
        Mouse.insert1({"mouse_id": 7, "note": "x"})
        Mouse.insert1({"mouse_id": 7, "note": "y"})
    assert str(info.value) == (
        f"Duplicate entry in table {T}: a row with mouse_id=7 (primary key) already exists. {SKIP}"
    )
    assert not Mouse & {"mouse_id": 7}


def test_values_that_do_not_fit(lab):
    Mouse, T = lab.Mouse, lab.mouse
    long_note = "n" * 30
    assert message(
        E.ValueConversionError, lambda: Mouse.insert1({"mouse_id": 2, "note": long_note})
    ) == (
        f"Value too long for attribute `note` (varchar(20)): '{long_note}' has 30 characters, "
        f"at most 20 fit (table {T}, the row with mouse_id=2). {FITS}"
    )
    rows = [{"mouse_id": 2, "note": "ok", "small": 1}, {"mouse_id": 3, "note": "ok", "small": 300}]
    assert message(E.ValueConversionError, lambda: Mouse.insert(rows)) == (
        "Value out of range for attribute `small` (int8): 300 is not between -128 and 127 "
        f"(table {T}, the row with mouse_id=3). {FITS}"
    )
    assert message(
        E.ValueConversionError, lambda: Mouse.insert1({"mouse_id": 2, "note": "ok", "count": -1})
    ) == (
        "Value out of range for attribute `count` (uint8): -1 is not between 0 and 255 "
        f"(table {T}, the row with mouse_id=2). {FITS}"
    )
    assert message(
        E.ValueConversionError, lambda: Mouse.insert1({"mouse_id": 2**40, "note": "ok"})
    ) == (
        "Value out of range for attribute `mouse_id` (int32): 1099511627776 is not between "
        f"-2147483648 and 2147483647 (table {T}, row 0). {FITS}"
    )
    assert message(
        E.ValueConversionError,
        lambda: Mouse.insert1({"mouse_id": 2, "note": "ok", "weight": 1234.5}),
    ) == (
        "Value out of range for attribute `weight` (decimal(5,2)): 1234.5 is not between -1000 "
        f"and 1000 (exclusive) (table {T}, the row with mouse_id=2). {FITS}"
    )
    assert message(
        E.ValueConversionError, lambda: Mouse.update1({"mouse_id": 1, "note": long_note})
    ) == (
        f"Value too long for attribute `note` (varchar(20)): '{long_note}' has 30 characters, "
        f"at most 20 fit (table {T}, the row with mouse_id=1). {FITS}"
    )
    assert message(
        E.ValueConversionError, lambda: Mouse.insert1({"mouse_id": 2, "note": "ok", "sex": "X"})
    ) == (
        "Attribute `sex` cannot take 'X': the members of enum(\"F\", \"M\") are 'F', 'M' "
        f"(case-sensitive) (table {T}, the row with mouse_id=2)."
    )
    assert message(
        E.ValueConversionError, lambda: Mouse.insert1({"mouse_id": "two", "note": "ok"})
    ) == (
        f"Attribute `mouse_id` (int32) cannot take the value 'two': not a number (table {T}, "
        "row 0)."
    )
    assert Mouse.to_dicts() == [
        {"mouse_id": 1, "note": "first", "small": 0, "count": 0, "weight": None, "sex": "F",
         "email": "a@lab"}
    ]  # fmt: skip


def test_missing_values(lab):
    Mouse, T = lab.Mouse, lab.mouse
    assert message(E.MissingAttributeError, lambda: Mouse.insert1({"mouse_id": 2})) == (
        f"Missing value for attribute `note` (varchar(20)) of table {T}: it has no default and "
        "cannot be NULL, but the inserted rows do not give it. Add `note` to every row."
    )
    rows = [{"mouse_id": 2, "note": "ok"}, {"mouse_id": 3, "note": None}]
    assert message(E.MissingAttributeError, lambda: Mouse.insert(rows)) == (
        f"Missing value for attribute `note` (varchar(20)) of table {T}: it has no default and "
        "cannot be NULL, but the row with mouse_id=3 gives None. Give `note` a value."
    )
    assert message(E.MissingAttributeError, lambda: lab.Session.insert1({"session": 1})) == (
        f"Missing value for attribute `mouse_id` (int32) of table {lab.session}: it has no "
        "default and cannot be NULL, but the inserted rows do not give it. Add `mouse_id` to "
        "every row."
    )
    assert len(Mouse()) == 1


def test_missing_referenced_rows(lab):
    Session, S, T = lab.Session, lab.session, lab.mouse
    assert message(E.IntegrityError, lambda: Session.insert1({"mouse_id": 9, "session": 1})) == (
        f"Cannot insert into table {S}: the row with mouse_id=9, session=1 references a row of "
        f"{T} with mouse_id=9, which does not exist. Insert that row into {T} first."
    )
    rows = [
        {"mouse_id": 1, "session": 1, "partner": None},
        {"mouse_id": 1, "session": 2, "partner": 8},
    ]
    assert message(E.IntegrityError, lambda: Session.insert(rows)) == (
        f"Cannot insert into table {S}: the row with mouse_id=1, session=2 references a row of "
        f"{T} with partner=8 (as mouse_id), which does not exist. Insert that row into {T} first."
    )
    Session.insert1({"mouse_id": 1, "session": 1})
    update = {"mouse_id": 1, "session": 1, "partner": 5}
    assert message(E.IntegrityError, lambda: Session.update1(update)) == (
        f"Cannot update table {S}: the row with mouse_id=1, session=1 references a row of {T} "
        f"with partner=5 (as mouse_id), which does not exist. Insert that row into {T} first."
    )
    assert message(E.IntegrityError, lambda: lab.Mouse.delete_quick()) == (
        f"Cannot delete from {T}: rows of {S} reference the rows to delete. Delete those rows "
        "first, or use delete(), which deletes them too."
    )
    assert len(Session()) == 1 and len(lab.Mouse()) == 1


def test_many_rows_inside_a_transaction(lab):
    """The database still answers which row collided inside a transaction (PostgreSQL runs
    each statement of a transaction behind a savepoint)."""
    Mouse, T = lab.Mouse, lab.mouse
    rows = [{"mouse_id": 8, "note": "x"}, {"mouse_id": 1, "note": "y"}]
    with pytest.raises(E.DuplicateError) as info, Mouse.connection.transaction:
        Mouse.insert(rows)
    assert str(info.value) == (
        f"Duplicate entry in table {T}: a row with mouse_id=1 (primary key) already exists. {SKIP}"
    )
    assert len(Mouse()) == 1


def test_insert_from_a_query(lab, schema):
    """INSERT … SELECT sends no rows from Python: the message names the table and quotes the
    database's report."""
    Mouse, T = lab.Mouse, lab.mouse
    text = message(E.DuplicateError, lambda: Mouse.insert(Mouse & {"mouse_id": 1}))
    assert text.startswith(
        f"Duplicate entry in table {T}: an inserted row repeats an existing primary key or "
        "unique value (the database reports: "
    )
    assert text.endswith(SKIP)

    @schema
    class Candidate(dj.Manual):
        definition = "candidate : int32"

    Candidate.insert1({"candidate": 100})
    text = message(
        E.MissingAttributeError, lambda: Mouse.insert(Candidate.proj(mouse_id="candidate"))
    )
    assert text == (
        f"Missing value for attribute `note` (varchar(20)) of table {T}: it has no default and "
        "cannot be NULL, but the inserted rows do not give it. Add `note` to every row."
    )
