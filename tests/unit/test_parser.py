"""Unit tests of the definition parser (spec 01 §2-§6, §10, §11.3, §12 item 2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from datajoint.declare import parser as parser_module
from datajoint.declare.parser import classify_line, parse_definition
from datajoint.declare.tablespec import (
    AttributeLine,
    ForeignKeyLine,
    IndexLine,
    JsonPath,
    Reference,
    SqlExpression,
)
from datajoint.errors import DataJointError, DeclarationError


def one(definition: str):
    """The single line of a one-line definition."""
    spec = parse_definition(definition)
    assert len(spec.lines) == 1, spec.lines
    return spec.lines[0]


def fails(definition: str, substring: str) -> str:
    with pytest.raises(DeclarationError) as info:
        parse_definition(definition)
    message = str(info.value)
    assert substring in message, message
    return message


# ----------------------------------------------------------------------------- structure


def test_full_definition():
    spec = parse_definition(
        """
        # Recording sessions
        -> Subject
        session_idx : int16            # session number
        ---
        session_date : date
        rig = null : varchar(16)
        notes = '' : varchar(1000)
        raw = null : <blob>
        created = CURRENT_TIMESTAMP : datetime
        -> [nullable] Experimenter
        index (session_date)
        """
    )
    assert spec.comment == "Recording sessions"
    kinds = "".join(type(x).__name__[0] for x in spec.lines)
    assert kinds == "FAAAAAAFI"
    names = "session_idx session_date rig notes raw created"
    assert [a.name for a in spec.attributes] == names.split()
    assert [a.in_key for a in spec.attributes] == [True] + [False] * 5
    assert [f.in_key for f in spec.foreign_keys] == [True, False]
    assert spec.attributes[0].comment == "session number"
    assert spec.attributes[0].line == "session_idx : int16            # session number"
    assert spec.foreign_keys[1].nullable
    assert spec.indexes[0].parts == ("session_date",)


def test_empty_and_comment_only():
    assert parse_definition("").lines == ()
    assert parse_definition("   \n\n  ").comment == ""
    spec = parse_definition("# only a comment")
    assert spec.comment == "only a comment"
    assert spec.lines == ()


def test_table_comment():
    spec = parse_definition("a : int32\n# not the table comment\nb : int32")
    assert spec.comment == ""
    assert [a.name for a in spec.attributes] == ["a", "b"]
    assert parse_definition("#   spaced out   \na : int32").comment == "spaced out"
    assert parse_definition("#\na : int32").comment == ""
    fails("# :marker\na : int32", "must not start with a colon")
    fails("#   :marker\na : int32", "must not start with a colon")


def test_sections():
    spec = parse_definition("a : int32\nb : int32\n-> Other")
    assert all(x.in_key for x in spec.attributes + spec.foreign_keys)
    assert parse_definition("---\na : int32").attributes[0].in_key is False
    spec = parse_definition("a : int32\n---\nb : int32\n---\nc : int32\n-----\nd : int32")
    assert [a.in_key for a in spec.attributes] == [True, False, False, False]
    with pytest.raises(DataJointError):
        parse_definition("Bad : int32")


# ----------------------------------------------------------------------------- classification


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("---", "separator"),
        ("----", "separator"),
        ("------------", "separator"),
        ("--- secondary attributes", "separator"),
        ("---# comment", "separator"),
        ("-> Subject", "foreign key"),
        ("->Subject", "foreign key"),
        ("b -> A", "foreign key"),
        ('x = "->" : varchar(4)', "attribute"),
        ("x = '->' : varchar(4)", "attribute"),
        ("x : int32  # see -> Subject", "attribute"),
        ("index (a)", "index"),
        ("index(a, b)", "index"),
        ("INDEX (a)", "index"),
        ("Unique Index (a)", "index"),
        ("unique   index   (a)", "index"),
        ("index (a)  # trailing comment", "index"),
        ("index : int", "attribute"),
        ("index = 3 : int32", "attribute"),
        ("unique : bool", "attribute"),
        ("indexes : int32", "attribute"),
        ("index (a", "attribute"),
        ("a : int32", "attribute"),
    ],
)
def test_classify_line(line, kind):
    assert classify_line(line) == kind


def test_separator_variants_in_definition():
    for sep in ("----", "--- secondary", "-------- # the rest"):
        spec = parse_definition(f"a : int32\n{sep}\nb : int32")
        assert [x.in_key for x in spec.attributes] == [True, False]


def test_underscore_separator_rejected():
    fails("a : int32\n___\nb : int32", "---")


def test_comment_lines_ignored():
    spec = parse_definition(
        """
        # table
        # a comment line
        a : int32
        #--- not a separator
        # -> Not a foreign key
        # index (a)
        b : int32
        """
    )
    assert [x.name for x in spec.attributes] == ["a", "b"]
    assert all(x.in_key for x in spec.attributes)
    assert spec.foreign_keys == [] and spec.indexes == []


def test_arrow_inside_quoted_default_and_comment():
    spec = parse_definition(
        "a : int32\n---\nx = \"a->b\" : varchar(8)\ny = '->' : varchar(4)\nz : int32 # -> Foo"
    )
    assert [x.default for x in spec.attributes] == [None, "a->b", "->", None]
    assert spec.attributes[3].comment == "-> Foo"
    assert spec.foreign_keys == []


def test_index_named_attribute():
    spec = parse_definition("index : int\n---\nunique : int32\nindex (unique)")
    assert [a.name for a in spec.attributes] == ["index", "unique"]
    assert spec.attributes[0].type.declared == "int"
    assert spec.indexes[0].parts == ("unique",)


def test_index_upper_case_and_trailing_comment():
    spec = parse_definition("a : int32\n---\nb : int32\nINDEX (b)   # fast lookups")
    assert spec.indexes[0] == IndexLine(("b",), False, "INDEX (b)   # fast lookups")


# ----------------------------------------------------------------------------- attributes


def test_attribute_basic():
    attr = one("subject_id : int32   # subject number")
    assert attr == AttributeLine(
        "subject_id", attr.type, True, comment="subject number", line=attr.line
    )
    assert (attr.type.declared, attr.type.bits) == ("int32", 32)


def test_attribute_no_spaces():
    attr = one("x=5:int32#c")
    assert (attr.name, attr.default, attr.type.declared, attr.comment) == ("x", "5", "int32", "c")
    assert one("x\t=\t5\t:\tint32\t#\tc") == AttributeLine(
        "x", attr.type, True, "5", comment="c", line="x\t=\t5\t:\tint32\t#\tc"
    )


@pytest.mark.parametrize(
    ("written", "default", "quoted", "nullable"),
    [
        ("null", None, False, True),
        ("NULL", None, False, True),
        ("Null", None, False, True),
        ('"null"', "null", True, False),
        ("5", "5", False, False),
        ("-1.5", "-1.5", False, False),
        ("abc", "abc", False, False),
        ("hello world", "hello world", False, False),
        ('"text"', "text", True, False),
        ("'text'", "text", True, False),
        ('""', "", True, False),
        ("''", "", True, False),
        ("'it''s'", "it's", True, False),
        ('"it\'s"', "it's", True, False),
        ('"say \\"hi\\""', 'say "hi"', True, False),
        ('"a # b"', "a # b", True, False),
        ('"12:00:00"', "12:00:00", True, False),
        ("'12:00:00'", "12:00:00", True, False),
    ],
)
def test_defaults(written, default, quoted, nullable):
    attr = one(f"---\nx = {written} : varchar(32)  # note")
    assert attr.default == default
    assert attr.default_quoted is quoted
    assert attr.nullable is nullable
    assert attr.comment == "note"


def test_special_defaults():
    spec = parse_definition(
        "---\na = CURRENT_TIMESTAMP : datetime\nb = current_timestamp(3) : datetime(3)"
    )
    assert [x.default for x in spec.attributes] == ["CURRENT_TIMESTAMP", "current_timestamp(3)"]
    assert not any(x.default_quoted or x.nullable for x in spec.attributes)
    attr = one('---\nt = "12:00:00" : time')
    assert (attr.default, attr.type.declared) == ("12:00:00", "time")
    fails("---\nt = 12:00:00 : time", "Declaration error")
    attr = one("a = 3 : int32")
    assert attr.in_key and attr.default == "3"


TYPES = {
    "int8": "int",
    "uint64": "int",
    "float64": "float",
    "decimal(7, 3)": "decimal",
    "varchar(64)": "varchar",
    "char(1)": "char",
    "bool": "bool",
    "uuid": "uuid",
    "date": "date",
    "datetime(3)": "datetime",
    "int unsigned": "int",
    "smallint unsigned auto_increment": "int",
    "enum('a', 'b')": "enum",
    "longblob": "bytes",
}


@pytest.mark.parametrize("type_text", TYPES)
def test_types(type_text):
    attr = one(f"---\nx : {type_text}  # c")
    assert (attr.type.declared, attr.type.kind, attr.comment) == (type_text, TYPES[type_text], "c")


def test_enum_with_hash_and_comma():
    attr = one("---\ne : enum('a#b', 'c,d', \"e:f\")  # the comment")
    assert attr.type.kind == "enum"
    assert attr.type.values == ("a#b", "c,d", "e:f")
    assert attr.comment == "the comment"
    attr = one("---\ne = 'a' : enum('a', 'b')")
    assert attr.default == "a" and attr.default_quoted


@pytest.mark.parametrize(
    ("type_text", "codec", "store"),
    [
        ("<blob>", "blob", None),
        ("<blob@>", "blob", ""),
        ("<blob@store>", "blob", "store"),
        ("<attach@cold>", "attach", "cold"),
        ("< blob >", "blob", None),
    ],
)
def test_codec_types(type_text, codec, store):
    attr = one(f"---\ndata = null : {type_text}  # raw data")
    assert attr.type.is_codec
    assert (attr.type.codec_name, attr.type.store) == (codec, store)
    assert attr.nullable and attr.default is None
    assert attr.comment == "raw data"
    attr = one("---\ndata : <blob@store>")
    assert attr.type.store == "store" and attr.default is None and not attr.nullable


def test_comment_variants():
    spec = parse_definition("---\na : int32 #\nb : int32\nc : int32 ## double\nd : int32 # a: b")
    assert [x.comment for x in spec.attributes] == ["", "", "# double", "a: b"]
    assert one("---\nb : int32  # {a} renamed").comment == "{a} renamed"


@pytest.mark.parametrize("name", ["key", "in", "from", "int", "select", "index", "a1", "a_b_2"])
def test_sql_keywords_and_digits_are_valid_names(name):
    assert one(f"{name} : int32").name == name


def test_name_max_length():
    name = "a" * 64
    assert one(f"{name} : int32").name == name
    fails(f"{'a' * 65} : int32", "exceeds the max length")


# ----------------------------------------------------------------------------- attribute errors


@pytest.mark.parametrize(
    "line",
    [
        "Bad_name : int32",
        "bad_Name : int32",
        "1abc : int32",
        "x int32",
        "x",
        "x :",
        "x = : int32",
        "x = 'unterminated : int32",
        "x = 'a' 'b' : int32",
        "x-y : int32",
        "x : 123",
        "x : <blob> extra",
        "x : enum('a#b) # c",
    ],
)
def test_unparsable_attribute(line):
    message = fails(f"a : int32\n---\n{line}", "Declaration error")
    assert line in message


def test_parse_error_reports_position():
    message = fails("x int32", "Declaration error")
    assert "column 3" in message
    assert "\n    x int32\n      ^" in message
    message = fails("Bad_name : int32", "Declaration error")
    assert "column 1" in message and "[a-z][a-z0-9_]*" in message


@pytest.mark.parametrize("line", ["_hidden : bool", "_x = 1 : int32", "__y : int32"])
def test_reserved_leading_underscore(line):
    message = fails(line, "reserved for platform-managed")
    assert line in message


def test_duplicate_attribute():
    message = fails("a : int32\n---\na : int16", "already")
    assert "a : int16" in message
    fails("a : int32\nb : int32\n---\nc : int32\nb = null : int32", "already")


def test_unsupported_type():
    message = fails("x : completely_invalid_type_xyz", "Unsupported attribute type")
    assert "x : completely_invalid_type_xyz" in message
    fails("---\nx : tinyinteger", "Unsupported attribute type")


def test_attribute_comment_colon():
    message = fails("---\nnote : varchar(10)  # :tagged", "must not start with a colon")
    assert "note : varchar(10)  # :tagged" in message


def test_nullable_primary_key():
    message = fails("score = null : float32", "cannot be nullable")
    assert "score = null : float32" in message
    fails("id : int32\nscore = NULL : float32\n---\nx : int32", "cannot be nullable")


@pytest.mark.parametrize(
    "line", ["data = '' : <blob>", "data = 0 : bytes", 'data = "{}" : json', "data = x : <blob@s>"]
)
def test_non_null_default_on_binary(line):
    message = fails(f"id : int32\n---\n{line}", "can only be NULL")
    assert line in message


@pytest.mark.parametrize("type_text", ["bytes", "json", "<blob>", "<blob@store>", "jsonb"])
def test_binary_in_primary_key(type_text):
    message = fails(f"k : {type_text}\n---\nx : int32", "not allowed in the primary key")
    assert f"k : {type_text}" in message


def test_binary_secondary_ok():
    spec = parse_definition("id : int32\n---\na : bytes\nb = null : json\nc : <blob>")
    assert [x.type.binary_or_json for x in spec.attributes] == [False, True, True, True]


# ----------------------------------------------------------------------------- foreign keys


def test_fk_simple():
    fk = one("-> Subject")
    assert isinstance(fk, ForeignKeyLine)
    assert fk.ref == Reference(("Subject",))
    assert fk.in_key and not fk.nullable and not fk.unique
    assert fk.line == "-> Subject"
    fk = one("->Subject   # the subject, 'quoted' -> here")
    assert fk.ref.path == ("Subject",)
    assert fk.line == "->Subject   # the subject, 'quoted' -> here"


PATHS = {
    "lab.Subject": "lab Subject",
    "master": "master",
    "master.Channel": "master Channel",
    "Session.Trial": "Session Trial",
    "self.source": "self source",
    "(master)": "master",
    "((master))": "master",
    "(lab.Subject).Part": "lab Subject Part",
    "a . b": "a b",
    "_private_module.Table2": "_private_module Table2",
}


@pytest.mark.parametrize("text", PATHS)
def test_fk_paths(text):
    assert one(f"-> {text}").ref == Reference(tuple(PATHS[text].split()))


@pytest.mark.parametrize(
    ("text", "names", "renames"),
    [
        (".proj()", (), ()),
        (".proj(parent='person_id')", (), (("parent", "person_id"),)),
        (
            '.proj(pre_slice="slice", pre_cell="cell")',
            (),
            (("pre_slice", "slice"), ("pre_cell", "cell")),
        ),
        (".proj('a', \"b\")", ("a", "b"), ()),
        (".proj(a, new=\"old\", 'x')", ("a", "x"), (("new", "old"),)),
        (" . proj ( new = 'old' ) ", (), (("new", "old"),)),
    ],
)
def test_fk_proj(text, names, renames):
    fk = one(f"---\n-> Person{text}")
    assert fk.ref == Reference(("Person",), True, names, renames)


def test_fk_paren_proj():
    fk = one("-> (master).proj(x='y')")
    assert fk.ref == Reference(("master",), True, (), (("x", "y"),))
    fk = one("-> (master.proj(x='y'))")
    assert fk.ref == Reference(("master",), True, (), (("x", "y"),))
    fk = one("-> lab.Cell.proj(pre='cell')")
    assert fk.ref.text == "lab.Cell.proj(pre='cell')"


def test_fk_options():
    spec = parse_definition(
        "id : int32\n---\n-> [nullable] A\n-> [UNIQUE] B\n-> [ Nullable , unique ] C\n-> [] D"
    )
    assert [(f.nullable, f.unique) for f in spec.foreign_keys] == [(1, 0), (0, 1), (1, 1), (0, 0)]
    assert not any(f.in_key for f in spec.foreign_keys)
    fk = one("-> [unique] A")
    assert fk.unique and fk.in_key  # unique is allowed in the primary section
    message = fails("-> [nullable] Experiment", "cannot be nullable")
    assert "-> [nullable] Experiment" in message


@pytest.mark.parametrize("option", ["optional", "null", "nullable unique", "not-null"])
def test_fk_invalid_option(option):
    message = fails(f"id : int32\n---\n-> [{option}] User", "Invalid foreign key option")
    assert f"-> [{option}] User" in message


@pytest.mark.parametrize(
    "line",
    [
        "b -> A",
        "x : int32 -> A",
        "->",
        "-> A B",
        "-> A.",
        "-> A.proj(",
        "-> A.proj(x)y",
        "-> A.proj(x=y)",
        "-> A.proj(X='y')",
        "-> A.proj(a).B",
        "-> (A.proj(a)).B",
        "-> A()",
        "-> [nullable A",
        "-> A[0]",
        "-> A + B",
        "-> A & 'x=1'",
        "-> 1A",
    ],
)
def test_fk_parse_error(line):
    message = fails(f"id : int32\n---\n{line}", "Parsing error in line")
    assert line in message
    message = fails("b -> A", "Parsing error in line")
    assert "column 1" in message and "\n    b -> A\n    ^" in message


# ----------------------------------------------------------------------------- indexes


def test_index_simple():
    idx = one("---\nindex (a, b)")
    assert idx == IndexLine(("a", "b"), False, "index (a, b)")
    idx = one("---\nunique index(a)")
    assert idx.unique and idx.parts == ("a",)
    assert one("---\nindex (a)  # (b, c)").parts == ("a",)
    assert one("---\nunique index (_singleton, a)").parts == ("_singleton", "a")


def test_index_json_paths():
    idx = one("---\nindex (car.name:char(20), car.engine.power, b.c:decimal(7,3), d.e : date)")
    assert idx.parts == (
        JsonPath("car", "name", "char(20)"),
        JsonPath("car", "engine.power", None),
        JsonPath("b", "c", "decimal(7,3)"),
        JsonPath("d", "e", "date"),
    )


def test_index_sql_expressions():
    idx = one("---\nUNIQUE INDEX (a, (lower(`x`)), ((a + b) * 2), (concat(c, ')', \"(\")))  # c")
    assert idx.unique
    assert idx.parts == (
        "a",
        SqlExpression("(lower(`x`))"),
        SqlExpression("((a + b) * 2)"),
        SqlExpression("(concat(c, ')', \"(\"))"),
    )


@pytest.mark.parametrize(
    "line",
    [
        "index ()",
        "index (a,)",
        "index (a b)",
        "index (A)",
        "index (a) extra)",
        "unique index (a, (b)",
        "index (a.)",
        "index (1a)",
    ],
)
def test_index_syntax_error(line):
    message = fails(f"a : int32\n---\n{line}", "syntax error in line")
    assert line in message


# ----------------------------------------------------------------------------- §11.3


@pytest.mark.parametrize(
    ("definition", "substring"),
    [
        ("-> [nullable] Experiment", "cannot be nullable"),
        ("id : int32\n---\n-> [optional] User", "Invalid foreign key option"),
        ("b -> A", "Parsing error in line"),
        ("Bad_name : int32", "Declaration error"),
        ("_hidden : bool", "reserved for platform-managed"),
        ("x : completely_invalid_type_xyz", "Unsupported attribute type"),
        ("score = null : float32", "cannot be nullable"),
        ("id : int32\n---\ndata = '' : <blob>", "can only be NULL"),
        ("id : int32\n---\nnote : varchar(10)  # :tagged", "must not start with a colon"),
    ],
)
def test_rejections_11_3(definition, substring):
    fails(definition, substring)


# ----------------------------------------------------------------------------- packaging


def test_parser_built_once():
    parse_definition("a : int32")
    first = parser_module._parser()
    parse_definition("b : int32")
    assert parser_module._parser() is first


def test_parser_not_built_at_import():
    src = str(Path(parser_module.__file__).parents[2])
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    code = "import datajoint.declare.parser as p; assert p._PARSER is None"
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
