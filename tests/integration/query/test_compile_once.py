"""A statement is compiled once per expression shape; later calls only bind values (issue 15).

``sqlglot`` renders SQL text through ``Expression.sql`` and parses fragments through
``parse_one``: a spy on both (the real methods still run) counts the sqlglot work of a call.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

import pytest
import sqlglot
from sqlglot import expressions

import datajoint as dj


@contextlib.contextmanager
def sqlglot_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of the sqlglot entry points called in the block (render and parse)."""
    calls: list[str] = []
    render, parse = expressions.Expression.sql, sqlglot.parse_one

    def spy_render(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append("render")
        return render(self, *args, **kwargs)

    def spy_parse(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append("parse")
        return parse(*args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(expressions.Expression, "sql", spy_render)
        m.setattr(sqlglot, "parse_one", spy_parse)
        yield calls


def test_fetch1_len_and_exists_by_key_compile_once(lab, monkeypatch) -> None:
    Trial = lab.Trial
    keys = Trial.keys()
    (Trial & keys[0]).fetch1()  # the first call of each shape compiles
    len(Trial & keys[0]), bool(Trial & keys[0]), (Trial & keys[0]).fetch1("rt")
    with sqlglot_calls(monkeypatch) as calls:
        rows = [(Trial & k).fetch1() for k in keys]
        counts = [len(Trial & k) for k in keys]
        found = [bool(Trial & k) for k in keys]
        rts = [(Trial & k).fetch1("rt") for k in keys]
    assert calls == []
    assert [{k: r[k] for k in keys[0]} for r in rows] == keys
    assert counts == [1, 1, 1] and found == [True, True, True]
    assert rts == [r["rt"] for r in rows] == [0.5, 0.7, 0.4]


def test_bound_values_follow_each_call(lab, monkeypatch) -> None:
    Session = lab.Session
    assert len(Session & {"subject_id": 1}) == 2
    with sqlglot_calls(monkeypatch) as calls:
        assert len(Session & {"subject_id": 2}) == 1
        assert len(Session & {"subject_id": 3}) == 0
        assert len(Session - {"subject_id": 1}) == 1
        assert len(Session - {"subject_id": 2}) == 2
        assert len(Session & {"subject_id": 1, "rig": "B"}) == 1
        assert len(Session & {"subject_id": 1, "rig": "A"}) == 1
    assert calls.count("render") == 2  # one per new shape (negated, two attributes)
    # NULL compiles differently from a value (IS NULL): a shape of its own, both correct
    assert (Session & {"rig": None}).fetch1("subject_id") == 2
    assert (Session & {"rig": "A"}).fetch1("session_idx") == 1
    assert (Session & {"rig": math.nan}).fetch1("subject_id") == 2
    assert (Session & {"rig": "B"}).fetch1("session_idx") == 2


def test_shapes_nested_in_operators_bind_their_own_values(lab, monkeypatch) -> None:
    Session, Trial, Subject = lab.Session, lab.Trial, lab.Subject

    def query(subject: int, trial: int) -> dj.QueryExpression:
        sessions = (Session & {"subject_id": subject}).proj("session_date")
        return (sessions * (Trial & {"trial_idx": trial})) & (Subject & {"sex": "M"})

    assert len(query(1, 1)) == 2
    with sqlglot_calls(monkeypatch) as calls:
        assert len(query(1, 2)) == 1
        assert len(query(2, 1)) == 0
        assert query(1, 2).fetch1("rt") == 0.7
    assert calls.count("render") == 1  # fetch1 of the shape is new; len was compiled
    top = Trial & dj.Top(1, "rt DESC")
    assert top.fetch1("rt") == 0.7
    assert (Trial & dj.Top(1, "rt")).fetch1("rt") == 0.4  # another Top, another statement


def test_fragments_parse_once_per_text(lab, monkeypatch) -> None:
    Trial = lab.Trial
    assert len(Trial & "rt > 0.45") == 2
    with sqlglot_calls(monkeypatch) as calls:
        for _ in range(5):
            assert len(Trial & "rt > 0.45") == 2
            assert len(Trial & "rt > 0.45" & {"subject_id": 1}) == 2
    assert "parse" not in calls
    assert calls.count("render") == 1  # the new shape (fragment and key) compiled once


def test_lists_of_keys_compile_per_expression(lab) -> None:
    Trial = lab.Trial
    keys = Trial.keys()
    assert len(Trial & keys[:2]) == 2
    assert len(Trial & keys[1:]) == 2
    assert len(Trial - keys[:1]) == 2


def test_a_table_change_drops_compiled_statements(connection, schema) -> None:
    @schema
    class Reading(dj.Manual):
        definition = """
        reading_id : int32
        ---
        value : float64
        """

    Reading.insert1({"reading_id": 1, "value": 1.5})
    assert (Reading & {"reading_id": 1}).fetch1() == {"reading_id": 1, "value": 1.5}
    Reading.drop_quick()

    @schema
    class Reading(dj.Manual):  # type: ignore[no-redef]
        definition = """
        reading_id : int32
        ---
        label : varchar(8)
        """

    Reading.insert1({"reading_id": 1, "label": "x"})
    assert (Reading & {"reading_id": 1}).fetch1() == {"reading_id": 1, "label": "x"}


def test_json_paths_compile_by_value_kind(lab) -> None:
    Car = lab.Car
    assert (Car & {"car.name": "Civic"}).fetch1("car_id") == 2
    assert (Car & {"car.name": "Rav4"}).fetch1("car_id") == 1
    assert (Car & {"car.length": 14}).fetch1("car_id") == 2
    assert (Car & {"car.length": 12}).fetch1("car_id") == 3
    assert len(Car & {"car.name": None}) == 2
