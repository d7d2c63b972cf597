"""Nothing reaches SQL unquoted: defaults, user SQL fragments, schema names (issue 9, point 6).

Every value is bound or quoted; the compiler's own markers cannot be forged by user text.
"""

from __future__ import annotations

import pytest

import datajoint as dj
from support.backends import new_schema_name


def columns(connection, table) -> list[str]:
    cursor = connection.query(f"SELECT * FROM {table.full_table_name} WHERE 1 = 0", None)
    return [d[0] for d in cursor.description]


def declare(schema, definition: str, name: str = "Probe"):
    cls = type(name, (dj.Manual,), {"definition": definition})
    return schema(cls)


@pytest.mark.parametrize(
    "default",
    [
        "CURRENT_TIMESTAMP(0), evil int",
        "CURRENT_TIMESTAMP(0)) , evil int",
        "current_timestamp(3), evil int -- ",
        "CURRENT_TIMESTAMP(7)",
        "CURRENT_TIMESTAMP(a)",
    ],
)
def test_a_default_that_only_begins_like_server_time_is_refused(schema, connection, default):
    with pytest.raises(dj.errors.DeclarationError, match="CURRENT_TIMESTAMP"):
        declare(schema, f"id : int32\n---\nts = {default} : datetime\n")
    assert "probe" not in schema.list_tables()


@pytest.mark.parametrize(
    "line",
    [
        "x = 1), evil int : int",  # a native type: checked like its core type
        "x = 1) : int32",
        "x : int32, evil int",
        "x : varchar(10), evil int",
        "x = 'a'', evil int -- ' : varchar(40)",
    ],
)
def test_malformed_attribute_lines_never_add_a_column(schema, connection, line):
    try:
        table = declare(schema, f"id : int32\n---\n{line}\n")
    except dj.errors.DeclarationError:
        assert "probe" not in schema.list_tables()
    else:  # accepted only as a literal: the text is the default, not SQL
        assert columns(connection, table) == ["id", "x"]
        table.insert1({"id": 1})
        assert table.fetch1("x") == "a', evil int -- "


@pytest.mark.parametrize("precision", ["", "(3)", "(6)"])
def test_server_time_defaults_still_work(schema, connection, precision):
    table = declare(
        schema, f"id : int32\n---\nts = current_timestamp{precision} : datetime{precision}\n"
    )
    table.insert1({"id": 1})
    assert table.fetch1("ts") is not None
    assert table.heading["ts"].default.upper().startswith("CURRENT_TIMESTAMP")


@pytest.fixture
def Note(schema):
    @schema
    class Note(dj.Manual):
        definition = """
        note_id : int32
        ---
        body : varchar(60)
        """

    Note.insert(
        [
            {"note_id": 1, "body": ":djp0"},
            {"note_id": 2, "body": "100%"},
            {"note_id": 3, "body": "%(djp0)s"},
            {"note_id": 4, "body": "plain"},
        ]
    )
    return Note


@pytest.mark.parametrize(
    ("restriction", "expected"),
    [
        ("body = ':djp0'", [1]),
        ("body = '100%'", [2]),
        ("body LIKE '100%%'", [2]),  # %% is two wildcards, as on every server
        ("body = '%(djp0)s'", [3]),
        ("body = 'plain' /* :djp0 */", [4]),
        ("body = 'plain' -- :djp0", [4]),
        ('`body` = "plain"', [4]),
    ],
)
def test_compiler_markers_in_user_text_are_plain_text(Note, restriction, expected):
    """Text inside literals and comments that looks like the compiler's bound-parameter
    markers is never bound (it used to swallow or shift parameters)."""
    query = Note & restriction & {"note_id": expected[0]}
    assert [r["note_id"] for r in query.to_dicts()] == expected
    assert [r["note_id"] for r in (Note & restriction).to_dicts()] == expected


@pytest.mark.parametrize("fragment", ["note_id = :djp0", "note_id = ?"])
def test_placeholders_in_fragments_are_refused(Note, fragment):
    with pytest.raises(dj.DataJointError, match="placeholder"):
        (Note & fragment & {"note_id": 1}).to_dicts()


def test_a_nul_character_in_a_fragment_is_bound_not_a_marker(backend_name, Note):
    """A NUL in a fragment literal used to collide with the compiler's internal marker and
    turn into a bound parameter; it is now bound as the literal text it is."""
    if backend_name == "postgresql":  # PostgreSQL text cannot hold NUL at all: a clear error
        with pytest.raises(dj.errors.ValueConversionError, match="NUL"):
            (Note & "body = 'a\x00b'").to_dicts()
        return
    Note.insert1({"note_id": 5, "body": "a\x00b"})
    assert [r["note_id"] for r in (Note & "body = 'a\x00b'").to_dicts()] == [5]
    assert (Note & "body = '\x00'").to_dicts() == []


@pytest.mark.parametrize("name", ["djtest_%s_x", "djtest_100%", "djtest_%%"])
def test_a_percent_sign_in_a_schema_name_is_refused(connection, name):
    with pytest.raises(dj.DataJointError, match="cannot be used in a schema name"):
        dj.Schema(name, connection=connection)
    assert name not in dj.list_schemas(connection=connection)


def test_unparsable_fragments_cannot_forge_markers(Note):
    with pytest.raises(dj.DataJointError):
        (Note & "body = ':djp0' AND (((").to_dicts()


def test_schema_names_with_quotes_are_quoted(connection):
    name = new_schema_name("djtest_q'\"`")
    schema = dj.Schema(name, connection=connection)
    try:

        @schema
        class Quoted(dj.Manual):
            definition = "id : int32\n---\nv : varchar(8)\n"

        Quoted.insert1({"id": 1, "v": "x"})
        assert (Quoted & {"id": 1}).fetch1("v") == "x"
        (Quoted & {"id": 1}).delete(prompt=False)
        assert len(Quoted()) == 0
    finally:
        schema.drop(prompt=False)
