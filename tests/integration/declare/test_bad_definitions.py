"""Bad definitions (spec 01 §10) raise a DataJointError that quotes the offending line, on
every backend, before any DDL: no table is created."""

from __future__ import annotations

import pytest

import datajoint as dj
from support.backends import new_schema_name, open_connection


@pytest.fixture(scope="module")
def declared(backend_name, tmp_path_factory):
    connection = open_connection(backend_name, tmp_path_factory)
    schema = dj.Schema(new_schema_name("djbad"), connection=connection)

    @schema
    class Parent(dj.Manual):
        definition = """
        parent_id : int32
        """

    context = {"Parent": Parent, "Restricted": Parent & {"parent_id": 1}, "Joined": Parent * Parent}
    yield schema, context
    schema.drop(prompt=False)
    connection.close()


# (definition, message substring, offending line or None)
CASES = [
    ("# :tagged comment\nid : int32", "must not start with a colon", None),
    ("Bad_name : int32", "Declaration error", "Bad_name : int32"),
    ("1abc : int32", "Declaration error", "1abc : int32"),
    ("id int32", "Declaration error", "id int32"),
    ("_hidden : bool", "reserved for platform-managed", "_hidden : bool"),
    ("id : int32\n---\nid : int16", "already", "id : int16"),
    ("x : completely_invalid_type_xyz", "Unsupported attribute type", "x : completely_invalid"),
    ("x : tinyinteger", "Unsupported attribute type", "x : tinyinteger"),
    ("x : decimal(5)", "Unsupported attribute type", "x : decimal(5)"),
    ("x : decimal(3,5)", "Unsupported attribute type", "x : decimal(3,5)"),
    ("x : varchar(0)", "Unsupported attribute type", "x : varchar(0)"),
    ("x : datetime(7)", "Unsupported attribute type", "x : datetime(7)"),
    ("x : boolean", "Unsupported attribute type", "x : boolean"),
    ("x : int NOT NULL", "Unsupported attribute type", "x : int NOT NULL"),
    ("id : int32\n---\nx : <nonexistent>", "is not registered", "x : <nonexistent>"),
    ("note : varchar(10)  # :tagged", "must not start with a colon", "note : varchar(10)"),
    ("score = null : float32", "cannot be nullable", "score = null : float32"),
    ("id : int32\n---\ndata = '' : bytes", "can only be NULL", "data = '' : bytes"),
    ("id : int32\n---\ndoc = '{}' : json", "can only be NULL", "doc = '{}' : json"),
    ("doc : json", "not allowed in the primary key", "doc : json"),
    ("raw : bytes", "not allowed in the primary key", "raw : bytes"),
    ("b -> Parent", "Parsing error in line", "b -> Parent"),
    ("-> Parent.proj(", "Parsing error in line", "-> Parent.proj("),
    ("-> Missing", "could not be resolved", "-> Missing"),
    ("-> Parent.Missing", "could not be resolved", "-> Parent.Missing"),
    ("-> [optional] Parent", "Invalid foreign key option", "-> [optional] Parent"),
    ("-> [nullable] Parent\nid : int32", "cannot be nullable", "-> [nullable] Parent"),
    ("-> Restricted", "is not supported", "-> Restricted"),
    ("-> Joined", "is not supported", "-> Joined"),
    ("-> Parent.proj(p='nope')", "does not exist", "-> Parent.proj(p='nope')"),
    ("id : int32\n---\nx : int32\nindex (y)", "not found", "index (y)"),
    ("id : int32\n---\nx : int32\nindex (x,,)", "syntax error in line", "index (x,,)"),
    ("id : int32\n---\n-> Parent\nx : int32\nunique index (x, nope)", "not found", None),
    # defaults the type cannot hold are refused on every backend (SQLite would accept them)
    ("id : int32\n---\ny = 'abc' : int32", "Invalid default value", "y = 'abc' : int32"),
    ("id : int32\n---\ny = 1.5 : int16", "Invalid default value", "y = 1.5 : int16"),
    ("id : int32\n---\nd = 'notadate' : date", "Invalid default value", "d = 'notadate'"),
    ("id : int32\n---\nd = '2020-02-30' : date", "Invalid default value", None),
    ("id : int32\n---\nb = maybe : bool", "Invalid default value", "b = maybe : bool"),
    ("id : int32\n---\ne = 'c' : enum('a', 'b')", "Invalid default value", None),
    ("id : int32\n---\ns = 'toolong' : varchar(3)", "Invalid default value", None),
    ("id : int32\n---\nu = 'nope' : uuid", "Invalid default value", None),
    ("id : int32\n---\nx = '' : float64", "Invalid default value", None),
    ("id : int32\n---\nd = CURRENT_TIMESTAMP : date", "Invalid default value", None),
]


@pytest.mark.parametrize(("definition", "match", "line"), CASES, ids=[c[0] for c in CASES])
def test_bad_definition(declared, definition, match, line):
    schema, context = declared
    before = schema.list_tables()

    class Bad(dj.Manual):
        pass

    Bad.definition = definition
    with pytest.raises(dj.DataJointError, match=match) as info:
        schema(Bad, context=context)
    if line is not None:
        assert line in str(info.value)
    assert schema.list_tables() == before
    assert "bad" not in schema


def test_table_name_too_long(declared):
    schema, context = declared
    limit = schema.connection.adapter.max_name_length
    name = "A" + "b" * limit  # snake case: `a` + limit times `b` > limit characters
    Long = type(name, (dj.Manual,), {"definition": "id : int32"})
    with pytest.raises(dj.DataJointError, match="exceeds the max length"):
        schema(Long, context=context)
    Fits = type("A" + "b" * (limit - 1), (dj.Manual,), {"definition": "id : int32"})
    schema(Fits, context=context)
    assert Fits.table_name in schema.list_tables()
    Fits.drop_quick()


def test_declare_inside_a_transaction(declared):
    schema, context = declared

    class Late(dj.Manual):
        definition = "id : int32"

    connection = schema.connection
    with connection.transaction, pytest.raises(dj.DataJointError, match="inside a transaction"):
        schema(Late, context=context)
    assert "late" not in schema


def test_class_name_not_camel_case(declared):
    schema, context = declared
    lower = type("lower", (dj.Manual,), {"definition": "id : int32"})
    with pytest.raises(dj.DataJointError, match="CamelCase"):
        schema(lower, context=context)
    with pytest.warns(UserWarning, match="contains underscores"):
        Snake = type("Has_Underscore", (dj.Manual,), {"definition": "id : int32"})
        schema(Snake, context=context)
    assert Snake.table_name == "has_underscore"
    Snake.drop_quick()


def test_schema_decorator_refuses_parts(declared):
    schema, _ = declared

    class Alone(dj.Part):
        definition = "-> master\nid : int32"

    with pytest.raises(dj.DataJointError, match="Part tables"):
        schema(Alone)


@pytest.mark.parametrize("definition", ["x : varchar(70000)", "x : char(300)"])
def test_server_limits_are_clear_errors(declared, backend_name, definition):
    """A type the server cannot hold is refused by the server with a translated error."""
    schema, context = declared
    Wide = type("Wide", (dj.Manual,), {"definition": definition})
    if backend_name == "mysql":
        with pytest.raises(dj.errors.QueryError, match="Column length too big"):
            schema(Wide, context=context)
        assert "wide" not in schema
        return
    schema(Wide, context=context)
    Wide.insert1({"x": "é" * 300})
    assert Wide.fetch1()["x"] == "é" * 300
    Wide.drop_quick()


def test_failed_ddl_leaves_no_table(declared):
    """A definition the server refuses part-way (a bad index expression, created after the
    table on PostgreSQL and SQLite) leaves nothing behind: the DDL runs as one unit."""
    schema, context = declared
    Broken = type(
        "Broken",
        (dj.Manual,),
        {"definition": "id : int32\n---\nx : int32\nindex ((nosuchfunc(x)))"},
    )
    before = schema.list_tables()
    with pytest.raises(dj.errors.QueryError):
        schema(Broken, context=context)
    assert schema.list_tables() == before
    assert not schema.connection.in_transaction
    Fixed = type("Broken", (dj.Manual,), {"definition": "id : int32\n---\nx : int32\nindex (x)"})
    schema(Fixed, context=context)  # the name is free
    assert "broken" in schema
    Fixed.drop_quick()


def test_attribute_name_too_long(declared):
    """63 characters on PostgreSQL (which would truncate silently), 64 elsewhere."""
    schema, context = declared
    limit = schema.connection.adapter.max_name_length
    assert limit == (63 if schema.connection.backend == "postgresql" else 64)
    Long = type("Long", (dj.Manual,), {"definition": f"{'a' * (limit + 1)} : int32"})
    with pytest.raises(dj.DataJointError, match="exceeds the max length"):
        schema(Long, context=context)
    assert "long" not in schema
    name = "a" * limit
    Fits = type("Long", (dj.Manual,), {"definition": f"{name} : int32"})
    schema(Fits, context=context)
    Fits.insert1({name: 1})
    assert Fits.fetch1() == {name: 1}
    Fits.drop_quick()
