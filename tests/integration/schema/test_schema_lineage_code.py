"""Schema.lineage, rebuild_lineage, size_on_disk, code/save (spec 08 §4.3, §4.6; spec 03 §12)."""

import re
import types

import pytest

import datajoint as dj
from support.backends import new_schema_name


@pytest.fixture
def lab(connection):
    """Two schemas: `subjects` (Person, Subject) and `acq` (Session with a part, Pairing)."""
    subjects = dj.Schema(new_schema_name("djsubj"), connection=connection)
    acq = dj.Schema(new_schema_name("djacq"), connection=connection)

    @subjects
    class Person(dj.Manual):
        definition = """
        person_id : int32
        ---
        name : varchar(40)
        """

    @subjects
    class Subject(dj.Manual):
        definition = """
        subject_id : int32
        ---
        -> Person
        """

    @acq
    class Session(dj.Manual):
        definition = """
        -> Subject
        session : int16
        ---
        -> Person.proj(operator='person_id')
        note = "" : varchar(100)
        """

        class Channel(dj.Part):
            definition = """
            -> master
            channel : int16
            """

    @acq
    class Pairing(dj.Lookup):
        definition = """
        -> Person.proj(first='person_id')
        -> Person.proj(second='person_id')
        """

    yield types.SimpleNamespace(subjects=subjects, acq=acq, Session=Session)
    acq.drop(prompt=False)
    subjects.drop(prompt=False)


def expected_lineage(lab) -> dict[str, str]:
    s, a = lab.subjects.database, lab.acq.database
    return {
        f"{s}.person.person_id": f"{s}.person.person_id",
        f"{s}.subject.subject_id": f"{s}.subject.subject_id",
        f"{s}.subject.person_id": f"{s}.person.person_id",
        f"{a}.session.subject_id": f"{s}.subject.subject_id",
        f"{a}.session.session": f"{a}.session.session",
        f"{a}.session.operator": f"{s}.person.person_id",
        f"{a}.session__channel.subject_id": f"{s}.subject.subject_id",
        f"{a}.session__channel.session": f"{a}.session.session",
        f"{a}.session__channel.channel": f"{a}.session__channel.channel",
        f"{a}.#pairing.first": f"{s}.person.person_id",
        f"{a}.#pairing.second": f"{s}.person.person_id",
    }


def test_lineage_recorded_at_declaration(lab):
    assert lab.acq.lineage_table_exists
    expected = expected_lineage(lab)
    assert {**lab.subjects.lineage, **lab.acq.lineage} == expected


def test_rebuild_lineage_restores_lost_rows(lab):
    connection = lab.acq.connection
    connection.query(f"DELETE FROM {connection.adapter.table_ref(lab.acq.database, '~lineage')}")
    connection.invalidate(lab.acq.database)
    assert lab.acq.lineage == {}
    lab.acq.rebuild_lineage()
    lab.acq.rebuild_lineage()  # idempotent
    assert {**lab.subjects.lineage, **lab.acq.lineage} == expected_lineage(lab)


def test_rebuild_lineage_keeps_rows_of_hidden_tables(lab):
    """Jobs tables (``~~name``) record their target's lineage; a rebuild must not drop it."""
    connection = lab.acq.connection
    ref = connection.adapter.table_ref(lab.acq.database, "~lineage")
    origin = f"{lab.acq.database}.session.session"
    connection.query(
        f"INSERT INTO {ref} (table_name, attribute_name, lineage) VALUES (%s, %s, %s)",
        ("~~session_summary", "session", origin),
    )
    lab.acq.rebuild_lineage()
    rows = connection.query(
        f"SELECT lineage FROM {ref} WHERE table_name = %s", ("~~session_summary",)
    ).fetchall()
    assert [r[0] for r in rows] == [origin]
    assert {**lab.subjects.lineage, **lab.acq.lineage} == expected_lineage(lab)


def test_rebuild_lineage_needs_parent_schema_lineage(lab):
    connection = lab.acq.connection
    connection.query(
        f"DELETE FROM {connection.adapter.table_ref(lab.subjects.database, '~lineage')}"
    )
    connection.invalidate(lab.subjects.database)
    with pytest.raises(dj.DataJointError, match="rebuild_lineage"):
        lab.acq.rebuild_lineage()
    lab.subjects.rebuild_lineage()
    lab.acq.rebuild_lineage()
    assert {**lab.subjects.lineage, **lab.acq.lineage} == expected_lineage(lab)


def test_size_on_disk_counts_the_tables(lab):
    before = lab.acq.size_on_disk
    assert isinstance(before, int) and before > 0
    assert lab.subjects.size_on_disk > 0


def test_code_redeclares_the_schema(lab, connection):
    code = lab.acq.code
    assert "class Session(dj.Manual):" in code
    assert "    class Channel(dj.Part):" in code
    assert "-> master" in code
    assert "vmod0 = dj.VirtualModule('vmod0', " in code
    assert "class Pairing(dj.Lookup):" in code
    # executing the generated module against a new schema name declares identical tables
    copy_name = new_schema_name("djcopy")
    source = code.replace(repr(lab.acq.database), repr(copy_name))
    source = re.sub(
        r"dj\.(Schema|VirtualModule)\((.*)\)$",
        r"dj.\1(\2, connection=connection)",
        source,
        flags=re.MULTILINE,
    )
    namespace = {"connection": connection}
    try:
        exec(compile(source, "generated", "exec"), namespace)
        copy = namespace["schema"]
        assert copy.list_tables() == lab.acq.list_tables()
        for table in lab.acq.list_tables():
            original = lab.acq[table].heading
            redeclared = copy[table].heading
            assert [
                (a.name, a.type_text, a.in_key, a.nullable) for a in original.all_attributes
            ] == [(a.name, a.type_text, a.in_key, a.nullable) for a in redeclared.all_attributes]
    finally:
        dj.Schema(copy_name, connection=connection).drop(prompt=False)


def test_save_writes_the_code(lab, tmp_path):
    path = tmp_path / "acq.py"
    text = lab.acq.save(str(path))
    assert path.read_text() == text == lab.acq.code
