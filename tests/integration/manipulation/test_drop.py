"""drop(), drop_quick() and Schema.drop() (spec 04 §5)."""

from __future__ import annotations

import pytest

import datajoint as dj
from support.backends import new_schema_name


@pytest.fixture
def two(schema, connection):
    other = dj.Schema(new_schema_name(), connection=connection)

    @schema
    class Animal(dj.Manual):
        definition = "animal_id : int32"

    @schema
    class Visit(dj.Manual):
        definition = """
        -> Animal
        visit : int16
        """

        class Note(dj.Part):
            definition = """
            -> master
            note : int16
            """

    @other
    class Report(dj.Manual):
        definition = """
        report : int32
        ---
        -> Visit
        """

    Animal.insert1({"animal_id": 1})
    Visit.insert1({"animal_id": 1, "visit": 1})
    Visit.Note.insert1({"animal_id": 1, "visit": 1, "note": 1})
    Report.insert1({"report": 1, "animal_id": 1, "visit": 1})
    yield Animal, Visit, Report
    other.drop(prompt=False)


def test_drop_cascades_across_schemas(two):
    Animal, Visit, Report = two
    Animal.drop(prompt=False)
    for table in (Animal, Visit, Visit.Note, Report):
        assert not table().is_declared
    with pytest.raises(dj.errors.MissingTableError):
        Report.to_dicts()


def test_drop_prompt(two, monkeypatch, capsys):
    Animal, Visit, Report = two
    monkeypatch.setattr(dj.utils, "input", lambda _: "no", raising=False)
    Visit.drop(prompt=True)
    assert Report().is_declared and Visit().is_declared
    assert "(1 rows)" in capsys.readouterr().out
    monkeypatch.setattr(dj.utils, "input", lambda _: "yes", raising=False)
    Visit.drop(prompt=True)
    assert not Report().is_declared and not Visit.Note().is_declared
    assert Animal().is_declared


def test_drop_part_is_refused_unless_ignored(two):
    _Animal, Visit, _Report = two
    with pytest.raises(dj.DataJointError, match="before its master"):
        Visit.Note.drop(prompt=False)
    assert Visit.Note().is_declared
    Visit.Note.drop(prompt=False, part_integrity="ignore")
    assert not Visit.Note().is_declared and Visit().is_declared


def test_drop_refusals(two):
    Animal, _Visit, Report = two
    with pytest.raises(ValueError, match="part_integrity must be"):
        Animal.drop(prompt=False, part_integrity="cascade")
    with pytest.raises(dj.DataJointError, match="restricted"):
        (Animal & {"animal_id": 1}).drop(prompt=False)
    with pytest.raises(dj.DataJointError, match="transaction"), Animal().connection.transaction:
        Report.drop(prompt=False)
    assert Animal().is_declared and Report().is_declared


def test_drop_quick(two):
    _Animal, Visit, Report = two
    with pytest.raises(dj.errors.IntegrityError, match="referenced"):
        Visit.drop_quick()
    Report.drop_quick()
    assert not Report().is_declared
    Report.drop_quick()  # missing: nothing happens


def test_schema_drop_prompt(connection, monkeypatch):
    s = dj.Schema(new_schema_name(), connection=connection)

    @s
    class Thing(dj.Manual):
        definition = "thing : int32"

    monkeypatch.setattr(dj.utils, "input", lambda _: "no", raising=False)
    s.drop(prompt=True)
    assert s.exists
    monkeypatch.setattr(dj.utils, "input", lambda _: "yes", raising=False)
    s.drop(prompt=True)
    assert not s.exists
    s.drop(prompt=False)  # missing: nothing happens


def test_drop_removes_enum_types_only_the_table_used(schema, connection):
    @schema
    class Colored(dj.Manual):
        definition = """
        item : int32
        ---
        color : enum('red', 'green')
        """

    @schema
    class Kept(dj.Manual):
        definition = """
        item : int32
        ---
        shade : enum('dark', 'light')
        """

    def enum_types():
        if connection.backend != "postgresql":
            return None
        sql = (
            "SELECT count(*) FROM pg_type y JOIN pg_namespace n ON n.oid = y.typnamespace "
            "WHERE n.nspname = %s AND y.typtype = 'e'"
        )
        return connection.query(sql, (schema.database,)).fetchone()[0]

    assert enum_types() in (None, 2)
    Colored.drop(prompt=False)
    assert enum_types() in (None, 1)
    Kept.insert1({"item": 1, "shade": "dark"})
    assert Kept.fetch1("shade") == "dark"
