"""Declaring tables on every backend: every line kind and tier of spec 01, and what the
catalog reads back (headings, keys, foreign keys, indexes, hidden attributes)."""

from __future__ import annotations

import datetime
import decimal
import re
import types
import uuid
import warnings

import pytest

import datajoint as dj
from support.backends import new_schema_name, open_connection


@pytest.fixture(scope="module")
def lab(backend_name, tmp_path_factory):
    connection = open_connection(backend_name, tmp_path_factory)
    people = dj.Schema(new_schema_name("djpeople"), connection=connection)
    lab = dj.Schema(new_schema_name("djlab"), connection=connection)

    @people
    class Person(dj.Manual):
        definition = """
        # lab members
        person_id : int32      # person number
        ---
        full_name : varchar(60)
        """

    @lab
    class Rig(dj.Lookup):
        definition = """
        rig : varchar(16)
        ---
        room = "B1" : char(4)   # where it stands
        """
        contents = [("r1", "A1"), {"rig": "r2", "room": "A2"}]

    @lab
    class Protocol(dj.Lookup):
        definition = """
        protocol : int16
        """
        contents = [(1,), (2,)]

    @lab
    class Subject(dj.Manual):
        definition = """
        # experimental animals: it's a "mouse" ☃ 100%
        subject_id : int32          # unique animal id
        ---
        sex = 'U' : enum('F', 'M', 'U')
        dob = null : date
        weight = 20.5 : float32     # grams # not 'kg' \\ ☃
        notes = '' : varchar(100)
        index : int16               # an attribute named like the keyword
        -> [nullable] Person.proj(caretaker='person_id')
        index (dob)
        unique index (notes, weight)
        index (caretaker)           # on the columns of a foreign key
        """

    @lab
    class Session(dj.Manual):
        definition = """
        -> Subject
        session : int16
        ---
        -> [nullable] Rig
        -> Person.proj(operator='person_id')
        -> [unique, nullable] Protocol
        created = CURRENT_TIMESTAMP : datetime
        """

        class Trial(dj.Part):
            definition = """
            -> master
            trial : int32
            ---
            outcome : bool
            """

    @lab
    class Raw(dj.Imported):
        definition = """
        -> Session
        ---
        n_samples : int64
        """

    with dj.config.override(jobs={"add_job_metadata": True}):

        @lab
        class Summary(dj.Computed):
            definition = """
            -> Raw
            ---
            mean : float64
            """

            class Unit(dj.Part):
                definition = """
                -> master
                unit : int16
                """

    @lab
    class Setting(dj.Manual):
        definition = """
        # a singleton table
        ---
        value : varchar(20)
        """

    @lab
    class Misc(dj.Manual):
        definition = """
        misc_id : uuid
        tag : char(3)
        ---
        flag = true : bool
        neg = -7 : int64
        big = 18446744073 : uint64
        ratio = 0.25 : decimal(5,3)   # exact
        quoted = "it's: #1" : varchar(20)
        day = '2020-01-31' : date
        stamp = '2020-01-31 10:11:12' : datetime(3)
        doc = null : json
        blob = null : bytes
        """

    namespace = types.SimpleNamespace(
        Misc=Misc,
        connection=connection,
        people=people,
        lab=lab,
        Person=Person,
        Rig=Rig,
        Protocol=Protocol,
        Subject=Subject,
        Session=Session,
        Raw=Raw,
        Summary=Summary,
        Setting=Setting,
    )
    yield namespace
    lab.drop(prompt=False)
    people.drop(prompt=False)
    connection.close()


def test_table_names_and_tiers(lab):
    assert lab.Person.table_name == "person"
    assert lab.Rig.table_name == "#rig"
    assert lab.Session.table_name == "session"
    assert lab.Session.Trial.table_name == "session__trial"
    assert lab.Raw.table_name == "_raw"
    assert lab.Summary.table_name == "__summary"
    assert lab.Summary.Unit.table_name == "__summary__unit"
    assert lab.Session.Trial._master is lab.Session
    assert set(lab.lab.list_tables()) == {
        "#rig",
        "#protocol",
        "subject",
        "session",
        "session__trial",
        "_raw",
        "__summary",
        "__summary__unit",
        "setting",
        "misc",
    }


def test_primary_and_secondary_attributes(lab):
    heading = lab.Subject.heading
    assert heading.primary_key == ["subject_id"]
    assert heading.secondary_attributes == [
        "sex",
        "dob",
        "weight",
        "notes",
        "index",
        "caretaker",
    ]
    assert heading.comment == 'experimental animals: it\'s a "mouse" ☃ 100%'
    assert heading["subject_id"].comment == "unique animal id"
    assert heading["subject_id"].type.declared == "int32"
    assert heading["weight"].comment == "grams # not 'kg' \\ ☃"
    assert heading["sex"].type.declared == "enum('F', 'M', 'U')"
    assert heading["sex"].default == "U"
    assert heading["weight"].default == "20.5"
    assert heading["notes"].default == ""
    assert heading["dob"].nullable and heading["dob"].default is None
    assert not heading["sex"].nullable
    assert heading["index"].default is None and not heading["index"].nullable


def test_defaults_apply(lab):
    lab.Subject.insert1({"subject_id": 1, "index": 3})
    row = (lab.Subject & {"subject_id": 1}).fetch1()
    assert row == {
        "subject_id": 1,
        "sex": "U",
        "dob": None,
        "weight": 20.5,
        "notes": "",
        "index": 3,
        "caretaker": None,
    }


def test_foreign_keys(lab):
    people, db = lab.people.database, lab.lab.database
    session = lab.Session.heading
    assert session.primary_key == ["subject_id", "session"]
    assert session.secondary_attributes == ["rig", "operator", "protocol", "created"]
    fks = {fk.parent: fk.attr_map for fk in session.foreign_keys}
    assert fks == {
        (db, "subject"): {"subject_id": "subject_id"},
        (db, "#rig"): {"rig": "rig"},
        (people, "person"): {"operator": "person_id"},
        (db, "#protocol"): {"protocol": "protocol"},
    }
    assert session["rig"].nullable
    assert session["protocol"].nullable
    assert not session["operator"].nullable
    # inherited attributes keep the parent's type and comment (spec 01 §4.3)
    assert session["operator"].type.declared == "int32"
    assert session["operator"].comment == "person number"
    assert session["subject_id"].comment == "unique animal id"
    assert session["rig"].type.declared == "varchar(16)"
    assert [ix.parts for ix in session.indexes if ix.unique] == [("protocol",)]
    # part and auto-populated tables inherit the master's key
    assert lab.Session.Trial.heading.primary_key == ["subject_id", "session", "trial"]
    assert lab.Summary.Unit.heading.primary_key == ["subject_id", "session", "unit"]


def test_foreign_keys_are_enforced(lab):
    lab.Person.insert1({"person_id": 7, "full_name": "Ann"})
    lab.Subject.insert1({"subject_id": 2, "index": 0, "caretaker": 7, "notes": "second"})
    base = {"subject_id": 2, "operator": 7}
    lab.Session.insert1({**base, "session": 1, "rig": None, "protocol": 1})
    lab.Session.insert1({**base, "session": 2, "rig": "r1"})  # [nullable] left NULL
    with pytest.raises(dj.errors.DuplicateError):  # [unique]
        lab.Session.insert1({**base, "session": 3, "protocol": 1})
    with pytest.raises(dj.errors.IntegrityError):  # projected foreign key
        lab.Session.insert1({**base, "session": 4, "operator": 8})
    with pytest.raises(dj.errors.IntegrityError):  # cross-schema parent row in use
        (lab.Person & {"person_id": 7}).delete_quick()
    lab.Session.Trial.insert1({"subject_id": 2, "session": 1, "trial": 1, "outcome": True})
    with pytest.raises(dj.errors.IntegrityError):
        lab.Session.Trial.insert1({"subject_id": 2, "session": 9, "trial": 1, "outcome": True})
    assert len(lab.Session & {"subject_id": 2}) == 2


def test_indexes(lab):
    indexes = {(ix.parts, ix.unique) for ix in lab.Subject.heading.indexes}
    assert indexes == {(("dob",), False), (("notes", "weight"), True), (("caretaker",), False)}
    lab.Subject.insert1({"subject_id": 10, "index": 0, "notes": "twin", "weight": 1.0})
    with pytest.raises(dj.errors.DuplicateError):
        lab.Subject.insert1({"subject_id": 11, "index": 0, "notes": "twin", "weight": 1.0})


def test_lookup_contents(lab):
    assert lab.Rig.to_dicts() == [{"rig": "r1", "room": "A1"}, {"rig": "r2", "room": "A2"}]
    assert lab.Protocol.keys() == [{"protocol": 1}, {"protocol": 2}]
    lab.lab(lab.Rig)  # decorating again does not insert the contents twice
    assert len(lab.Rig()) == 2


def test_hidden_attributes(lab):
    heading = lab.Summary.heading
    assert heading.names == ["subject_id", "session", "mean"]
    hidden = [a.name for a in heading.all_attributes if a.is_hidden]
    assert hidden == ["_job_start_time", "_job_duration", "_job_version"]
    assert all(not a.is_hidden for a in lab.Summary.Unit.heading.all_attributes)
    assert all(not a.is_hidden for a in lab.Raw.heading.all_attributes)
    # hidden attributes cannot be inserted by name, and never come back from a fetch
    lab.Person.insert1({"person_id": 70, "full_name": "Hid"})
    lab.Subject.insert1({"subject_id": 70, "index": 0, "notes": "hidden"})
    key = {"subject_id": 70, "session": 1}
    lab.Session.insert1({**key, "operator": 70})
    lab.Raw.insert1({**key, "n_samples": 5}, allow_direct_insert=True)
    with pytest.raises(KeyError, match="_job_version"):
        lab.Summary.insert1({**key, "mean": 1.0, "_job_version": "x"}, allow_direct_insert=True)
    lab.Summary.insert1(
        {**key, "mean": 1.0, "_job_version": "x"},
        allow_direct_insert=True,
        ignore_extra_fields=True,
    )
    assert (lab.Summary & key).fetch1() == {**key, "mean": 1.0}


def test_singleton_table(lab):
    heading = lab.Setting.heading
    assert heading.primary_key == []
    assert heading.names == ["value"]
    assert [a.name for a in heading.all_attributes if a.is_hidden] == ["_singleton"]
    lab.Setting.insert1({"value": "on"})
    assert lab.Setting.fetch1() == {"value": "on"}
    with pytest.raises(dj.errors.DuplicateError):
        lab.Setting.insert1({"value": "off"})


def test_computed_native_key_refused_when_the_setting_is_off(schema):
    class Trace(dj.Computed):
        definition = """
        trace : int32
        ---
        x : float64
        """

    with (
        dj.config.override(jobs={"allow_new_pk_fields_in_computed_tables": False}),
        pytest.raises(dj.DataJointError, match="non-FK primary key"),
    ):
        schema(Trace)
    assert schema.list_tables() == []
    schema(Trace)  # accepted by default
    assert schema.list_tables() == ["__trace"]


def test_heading_is_the_same_for_a_new_connection(lab, backend_name, tmp_path_factory):
    """What a fresh connection reads from the catalog equals the declared heading."""
    if backend_name == "sqlite":
        other = dj.Connection(backend="sqlite", path=lab.connection.conn_info["path"])
    else:
        other = open_connection(backend_name, tmp_path_factory)
    try:
        for cls in (lab.Subject, lab.Session, lab.Session.Trial, lab.Summary, lab.Setting):
            fresh = other.catalog.heading(cls.database, cls.table_name)
            assert fresh == cls.heading
    finally:
        other.close()


# ---------------------------------------------------------------------------- describe()
def comparable(heading, database):
    """A heading's declared structure, independent of the schema it lives in."""
    attributes = [
        (
            a.name,
            a.type.declared,
            a.sql_type.replace(database, "<db>"),
            a.in_key,
            a.nullable,
            a.default,
            a.comment,
            a.autoincrement,
        )
        for a in heading.all_attributes
        if not a.name.startswith("_job_")
    ]
    foreign_keys = sorted((fk.parent, fk.columns, fk.ref_columns) for fk in heading.foreign_keys)
    indexes = sorted((ix.parts, ix.unique) for ix in heading.indexes)
    return attributes, foreign_keys, indexes, heading.comment


def test_describe_declares_an_identical_table(lab, backend_name, tmp_path_factory):
    """``describe()`` re-declared in another schema gives the same heading (spec 01 §7.6)."""
    context = {
        name: getattr(lab, name)
        for name in ("Person", "Rig", "Protocol", "Subject", "Session", "Raw", "Summary")
    }
    copies = dj.Schema(new_schema_name("djcopy"), connection=lab.connection)
    try:
        originals = [
            lab.Person,
            lab.Rig,
            lab.Subject,
            lab.Session,
            lab.Session.Trial,
            lab.Raw,
            lab.Summary,
            lab.Summary.Unit,
            lab.Setting,
            lab.Misc,
        ]
        for i, original in enumerate(originals):
            text = original.describe(context=context)
            copy = type(f"Copy{i}", (dj.Manual,), {"definition": text})
            copies(copy, context=context)
            assert comparable(copy.heading, copies.database) == comparable(
                original.heading, original.database
            ), text
            assert copy.describe(context=context) == text
        session_text = lab.Session.describe(context=context)
        assert "-> Subject" in session_text
        assert "-> [nullable] Rig" in session_text
        assert '-> Person.proj(operator="person_id")' in session_text
        assert "-> [nullable, unique] Protocol" in session_text
        assert "created = CURRENT_TIMESTAMP : datetime" in session_text
        subject_text = lab.Subject.describe(context=context)
        assert subject_text.startswith('# experimental animals: it\'s a "mouse" ☃ 100%\n')
        # names, types and comments are aligned in columns
        lines = subject_text.splitlines()
        assert re.fullmatch(r"subject_id +: int32 +# unique animal id", lines[1])
        assert re.search(r"^sex = \"U\" +: enum\('F', 'M', 'U'\)", subject_text, re.MULTILINE)
        columns = {line.index(" : ") for line in lines if " : " in line}
        assert len(columns) == 1
        assert "UNIQUE INDEX (notes, weight)" in subject_text
        assert "_job" not in lab.Summary.describe(context=context)
    finally:
        copies.drop(prompt=False)


def test_defaults_of_every_kind(lab):
    key = {"misc_id": "00000000-0000-0000-0000-000000000001", "tag": "ab"}
    lab.Misc.insert1(key)
    row = (lab.Misc & key).fetch1()
    assert row == {
        "misc_id": uuid.UUID(key["misc_id"]),
        "tag": "ab",
        "flag": True,
        "neg": -7,
        "big": 18446744073,
        "ratio": decimal.Decimal("0.250"),
        "quoted": "it's: #1",
        "day": datetime.date(2020, 1, 31),
        "stamp": datetime.datetime(2020, 1, 31, 10, 11, 12),
        "doc": None,
        "blob": None,
    }


def test_lookup_positional_contents_do_not_warn(schema):
    class Color(dj.Lookup):
        definition = """
        color : varchar(10)
        ---
        code : char(7)
        """
        contents = [("red", "#ff0000"), ("green", "#00ff00")]

    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        schema(Color)
    assert Color.to_dicts() == [
        {"color": "green", "code": "#00ff00"},
        {"color": "red", "code": "#ff0000"},
    ]


def test_sql_keywords_as_names(schema):
    """Every identifier is quoted: keywords are valid table and attribute names."""

    @schema
    class Order(dj.Manual):
        definition = """
        key : int32
        from : varchar(5)
        ---
        select = null : int16
        group = 'by' : varchar(4)
        index (select)
        """

    @schema
    class Table(dj.Lookup):
        definition = """
        -> Order
        where : bool
        """

    Order.insert1({"key": 1, "from": "x", "select": 3})
    Table.insert1({"key": 1, "from": "x", "where": True})
    assert Order.fetch1() == {"key": 1, "from": "x", "select": 3, "group": "by"}
    assert Table.fetch1() == {"key": 1, "from": "x", "where": True}
    assert schema.list_tables() == ["order", "#table"]
    text = Order.describe(context={})
    Copy = schema(type("CopyOrder", (dj.Manual,), {"definition": text}))
    assert Copy.heading.names == Order.heading.names


def test_reference_to_a_singleton_table(schema):
    """A child of a singleton table inherits the hidden key, which points at the only row."""

    @schema
    class Config(dj.Lookup):
        definition = """
        ---
        level : int16
        """
        contents = [(3,)]

    @schema
    class Run(dj.Manual):
        definition = """
        -> Config
        run : int16
        """

    Run.insert1({"run": 1})
    assert Run.to_dicts() == [{"run": 1}]
    assert Run.heading.primary_key == ["run"]
    text = Run.describe(context={"Config": Config})
    assert text == "-> Config\nrun : int16\n"
    Copy = schema(type("CopyRun", (dj.Manual,), {"definition": text}), context={"Config": Config})
    assert Copy.heading.all_primary_key == Run.heading.all_primary_key
    with pytest.raises(dj.errors.IntegrityError):
        Config.delete_quick()


def test_line_classification_corner_cases(schema):
    """`->` inside a quoted default or a comment, `----` with text, comment-only lines."""

    @schema
    class Odd(dj.Manual):
        definition = """
        # arrows -> in the table comment
        id : int32   # maps a->b
        # a comment line -> ignored
        ---------- secondary attributes follow
        note = "a->b" : varchar(10)
        t = "12:00:00" : varchar(8)   # a default with colons
        INDEX (note)
        """

    heading = Odd.heading
    assert heading.comment == "arrows -> in the table comment"
    assert heading.primary_key == ["id"]
    assert heading["id"].comment == "maps a->b"
    assert heading.secondary_attributes == ["note", "t"]
    assert heading["note"].default == "a->b"
    assert heading["t"].default == "12:00:00"
    assert [ix.parts for ix in heading.indexes] == [("note",)]
    Odd.insert1({"id": 1})
    assert Odd.fetch1() == {"id": 1, "note": "a->b", "t": "12:00:00"}
