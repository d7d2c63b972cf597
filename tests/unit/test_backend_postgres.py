"""PostgresBackend without a server: DDL, types, names, defaults, error translation."""

from __future__ import annotations

import datetime
import decimal
import hashlib
import json
import uuid
from dataclasses import replace

import psycopg
import psycopg.errors as pge
import pytest
from psycopg.types.json import Jsonb

from datajoint import errors
from datajoint.backends.postgres import PostgresBackend, enum_type_name
from datajoint.backends.postgres_catalog import (
    fk_support_columns,
    index_name,
    normalize_default,
)
from datajoint.heading import Attribute, ForeignKey, Index
from datajoint.types import parse_type

SCHEMA = "lab"


@pytest.fixture
def pg() -> PostgresBackend:
    return PostgresBackend()


def attr(backend: PostgresBackend, name: str, type_text: str, comment: str = "", **kw) -> Attribute:
    """An attribute as declare passes it: sql_type set, comment = stored comment."""
    a = Attribute(name=name, type=parse_type(type_text), **kw)
    a = replace(a, sql_type=backend.column_type(a, SCHEMA))
    stored = f":{a.type.declared}:{comment}" if a.type.core else comment
    return replace(a, comment=stored)


# ---------------------------------------------------------------------------- DDL snapshot
SESSION_DDL = [
    'CREATE TABLE IF NOT EXISTS "lab"."session" (\n'
    '  "subject_id" integer NOT NULL,\n'
    '  "session_idx" smallint NOT NULL,\n'
    '  "session_date" date NOT NULL,\n'
    '  "rig" varchar(16) DEFAULT NULL,\n'
    "  \"notes\" varchar(1000) NOT NULL DEFAULT '',\n"
    '  "raw" bytea DEFAULT NULL,\n'
    '  "created" timestamp(0) NOT NULL DEFAULT CURRENT_TIMESTAMP,\n'
    '  "experimenter" varchar(32) DEFAULT NULL,\n'
    '  PRIMARY KEY ("subject_id", "session_idx"),\n'
    '  FOREIGN KEY ("subject_id") REFERENCES "lab"."subject" ("subject_id") '
    "ON UPDATE CASCADE ON DELETE RESTRICT,\n"
    '  FOREIGN KEY ("experimenter") REFERENCES "lab"."#experimenter" ("experimenter") '
    "ON UPDATE CASCADE ON DELETE RESTRICT\n"
    ")",
    'CREATE INDEX IF NOT EXISTS "{idx}" ON "lab"."session" ("session_date")',
    'CREATE INDEX IF NOT EXISTS "{fk}" ON "lab"."session" ("experimenter")',
    'COMMENT ON TABLE "lab"."session" IS \'Recording sessions\'',
    'COMMENT ON COLUMN "lab"."session"."subject_id" IS \':int32:subject number\'',
    'COMMENT ON COLUMN "lab"."session"."session_idx" IS \':int16:session number\'',
    'COMMENT ON COLUMN "lab"."session"."session_date" IS \':date:\'',
    'COMMENT ON COLUMN "lab"."session"."rig" IS \':varchar(16):\'',
    'COMMENT ON COLUMN "lab"."session"."notes" IS \':varchar(1000):\'',
    'COMMENT ON COLUMN "lab"."session"."raw" IS \':<blob>:\'',
    'COMMENT ON COLUMN "lab"."session"."created" IS \':datetime:\'',
    'COMMENT ON COLUMN "lab"."session"."experimenter" IS \':varchar(32):\'',
]


def test_session_ddl_snapshot(pg: PostgresBackend) -> None:
    raw = Attribute(
        name="raw", type=parse_type("bytes"), nullable=True, sql_type="bytea", comment=":<blob>:"
    )
    attributes = [
        attr(pg, "subject_id", "int32", "subject number", in_key=True),
        attr(pg, "session_idx", "int16", "session number", in_key=True),
        attr(pg, "session_date", "date"),
        attr(pg, "rig", "varchar(16)", nullable=True),
        attr(pg, "notes", "varchar(1000)", default=""),
        raw,
        attr(pg, "created", "datetime", default="CURRENT_TIMESTAMP"),
        attr(pg, "experimenter", "varchar(32)", nullable=True),
    ]
    fks = [
        ForeignKey(("subject_id",), ("lab", "subject"), ("subject_id",)),
        ForeignKey(("experimenter",), ("lab", "#experimenter"), ("experimenter",)),
    ]
    statements = pg.create_table_sql(
        SCHEMA,
        "session",
        attributes,
        ["subject_id", "session_idx"],
        fks,
        [Index(("session_date",))],
        "Recording sessions",
    )
    idx = index_name("session", ("session_date",), "index")
    fk = index_name("session", ("experimenter",), "fk")
    assert idx.startswith("session_session_date_") and len(idx) == len("session_session_date_") + 8
    assert fk.startswith("session_experimenter_") and fk != idx
    expected = [s.replace("{idx}", idx).replace("{fk}", fk) for s in SESSION_DDL]
    assert statements == expected


# ---------------------------------------------------------------------------- column types
@pytest.mark.parametrize(
    ("declared", "sql"),
    [
        ("int8", "smallint"),
        ("int16", "smallint"),
        ("int32", "integer"),
        ("int64", "bigint"),
        ("uint8", "smallint"),
        ("uint16", "integer"),
        ("uint32", "bigint"),
        ("uint64", "numeric(20,0)"),
        ("float32", "real"),
        ("float64", "double precision"),
        ("bool", "boolean"),
        ("uuid", "uuid"),
        ("json", "jsonb"),
        ("bytes", "bytea"),
        ("date", "date"),
        ("datetime", "timestamp(0)"),
        ("datetime(3)", "timestamp(3)"),
        ("char(4)", "char(4)"),
        ("varchar(64)", "varchar(64)"),
        ("decimal(7, 3)", "numeric(7,3)"),
        # native MySQL spellings translated (spec 02 §4)
        ("tinyint", "smallint"),
        ("tinyint unsigned", "smallint"),
        ("smallint", "smallint"),
        ("smallint unsigned", "integer"),
        ("mediumint", "integer"),
        ("int", "integer"),
        ("int(11)", "integer"),
        ("int unsigned", "bigint"),
        ("bigint unsigned", "numeric(20,0)"),
        ("float", "real"),
        ("double", "double precision"),
        ("real", "real"),
        ("numeric(10,2)", "numeric(10,2)"),
        ("longblob", "bytea"),
        ("mediumblob", "bytea"),
        ("longtext", "text"),
        ("text", "text"),
        ("year", "smallint"),
        ("time", "time"),
        ("timestamp", "timestamp(0)"),
        ("timestamp(3)", "timestamp(3)"),
        ("int auto_increment", "integer"),
        ("bigint unsigned auto_increment", "bigint"),
        ("serial", "bigint"),
    ],
)
def test_column_type(pg: PostgresBackend, declared: str, sql: str) -> None:
    a = Attribute(name="x", type=parse_type(declared))
    assert pg.column_type(a, SCHEMA) == sql


def test_enum_type_name_hashes_values_in_declared_order(pg: PostgresBackend) -> None:
    a = Attribute(name="sex", type=parse_type("enum('M', 'F', 'U')"))
    h = hashlib.md5(b"M_F_U").hexdigest()[:8]
    assert enum_type_name(("M", "F", "U")) == f"enum_{h}"
    assert pg.column_type(a, "lab") == f'"lab"."enum_{h}"'
    other = Attribute(name="sex", type=parse_type("enum('F', 'M', 'U')"))
    assert pg.column_type(other, "lab") != pg.column_type(a, "lab")


def test_enum_type_created_before_table(pg: PostgresBackend) -> None:
    a = attr(pg, "sex", "enum('M', 'F')", in_key=True)
    statements = pg.create_table_sql(SCHEMA, "animal", [a], ["sex"], [], [], "")
    ref = f'"lab"."{enum_type_name(("M", "F"))}"'
    assert statements[0].startswith("DO ")
    assert f"CREATE TYPE {ref} AS ENUM ('M', 'F')" in statements[0]
    assert "duplicate_object" in statements[0]
    assert f'"sex" {ref} NOT NULL' in statements[1]


def test_inherited_enum_uses_parent_schema(pg: PostgresBackend) -> None:
    parent = attr(pg, "sex", "enum('M', 'F')", in_key=True)  # sql_type in schema "lab"
    statements = pg.create_table_sql("other", "child", [parent], ["sex"], [], [], "")
    ref = f'"lab"."{enum_type_name(("M", "F"))}"'
    assert f"CREATE TYPE {ref}" in statements[0]
    assert f'"sex" {ref} NOT NULL' in statements[1]


@pytest.mark.parametrize(
    ("declared", "check"),
    [
        ("int8", "BETWEEN -128 AND 127"),
        ("uint8", "BETWEEN 0 AND 255"),
        ("uint16", "BETWEEN 0 AND 65535"),
        ("uint32", "BETWEEN 0 AND 4294967295"),
        ("uint64", "BETWEEN 0 AND 18446744073709551615"),
        ("tinyint", "BETWEEN -128 AND 127"),
        ("tinyint unsigned", "BETWEEN 0 AND 255"),
        ("int unsigned", "BETWEEN 0 AND 4294967295"),
        ("mediumint unsigned", "BETWEEN 0 AND 16777215"),
    ],
)
def test_integer_checks(pg: PostgresBackend, declared: str, check: str) -> None:
    a = attr(pg, "n", declared, in_key=True)
    create = pg.create_table_sql(SCHEMA, "t", [a], ["n"], [], [], "")[0]
    assert f'"n" {a.sql_type} NOT NULL CHECK ("n" {check})' in create


@pytest.mark.parametrize("declared", ["int16", "int32", "int64", "smallint", "int", "bigint"])
def test_no_check_when_type_matches(pg: PostgresBackend, declared: str) -> None:
    a = attr(pg, "n", declared, in_key=True)
    create = pg.create_table_sql(SCHEMA, "t", [a], ["n"], [], [], "")[0]
    assert "CHECK" not in create


def test_autoincrement_identity(pg: PostgresBackend) -> None:
    a = attr(pg, "id", "int auto_increment", "row id", in_key=True, autoincrement=True)
    statements = pg.create_table_sql(SCHEMA, "t", [a], ["id"], [], [], "")
    assert '"id" integer GENERATED BY DEFAULT AS IDENTITY,' in statements[0]
    # the marker records the type without auto_increment (children must not inherit it)
    assert statements[-1].endswith("IS ':int:row id'")


def test_native_marker(pg: PostgresBackend) -> None:
    attributes = [
        attr(pg, "a", "tinyint unsigned", "small", in_key=True),
        attr(pg, "b", "double"),
        attr(pg, "c", "time", "clock"),
        attr(pg, "d", "serial"),
        attr(pg, "e", "int32", "core"),
    ]
    statements = pg.create_table_sql(SCHEMA, "t", attributes, ["a"], [], [], "")
    comments = [s.split(" IS ", 1)[1] for s in statements if s.startswith("COMMENT ON COLUMN")]
    assert comments == [
        "':tinyint unsigned:small'",
        "':double:'",
        "':time:clock'",
        "':bigint:'",
        "':int32:core'",
    ]


def test_hidden_job_columns_get_no_marker(pg: PostgresBackend) -> None:
    a = Attribute(name="_job_version", type=replace(parse_type("varchar(64)"), core=False))
    a = replace(a, sql_type=pg.column_type(a, SCHEMA), default="")
    statements = pg.create_table_sql(SCHEMA, "t", [a], [], [], [], "")
    assert not any(s.startswith("COMMENT") for s in statements)
    assert "PRIMARY KEY" not in statements[0]


def test_unique_and_expression_indexes(pg: PostgresBackend) -> None:
    attributes = [attr(pg, "a", "int32", in_key=True), attr(pg, "name", "varchar(20)")]
    indexes = [Index(("name",), unique=True), Index(("(lower(name))",))]
    statements = pg.create_table_sql(SCHEMA, "t", attributes, ["a"], [], indexes, "")
    unique = index_name("t", ("name",), "unique")
    expr = index_name("t", ("(lower(name))",), "index")
    assert f'CREATE UNIQUE INDEX IF NOT EXISTS "{unique}" ON "lab"."t" ("name")' in statements
    assert f'CREATE INDEX IF NOT EXISTS "{expr}" ON "lab"."t" ((lower(name)))' in statements
    assert expr.startswith("t_lower_name_")


def test_index_name_truncated_to_63() -> None:
    long_table = "a" * 60
    name = index_name(long_table, ("column_one", "column_two"), "index")
    assert len(name.encode()) == 63
    assert name != index_name(long_table, ("column_one", "column_three"), "index")
    assert index_name("t", ("a",), "index") != index_name("t", ("a",), "unique")
    assert index_name("t", ("a",), "index") != index_name("t", ("a",), "fk")


# ---------------------------------------------------------------------------- FK support
def fk(*cols: str) -> ForeignKey:
    return ForeignKey(tuple(cols), ("lab", "p"), tuple(cols))


def test_fk_support_skips_primary_key_prefix() -> None:
    assert fk_support_columns(["a", "b"], [fk("a"), fk("a", "b")], []) == []


def test_fk_support_not_prefix_of_pk() -> None:
    assert fk_support_columns(["a", "b"], [fk("b")], []) == [("b",)]


def test_fk_support_skips_declared_index_prefix() -> None:
    assert fk_support_columns(["id"], [fk("x")], [Index(("x", "y"))]) == []
    # a unique foreign key comes with its own unique index
    assert fk_support_columns(["id"], [fk("u")], [Index(("u",), unique=True)]) == []


def test_fk_support_longest_first() -> None:
    chosen = fk_support_columns(["id"], [fk("x"), fk("x", "y"), fk("z")], [])
    assert chosen == [("x", "y"), ("z",)]


def test_fk_support_deduplicates() -> None:
    assert fk_support_columns(["id"], [fk("x"), fk("x")], []) == [("x",)]


def test_fk_support_order_matters() -> None:
    assert fk_support_columns(["id"], [fk("y", "x")], [Index(("x", "y"))]) == [("y", "x")]


# ---------------------------------------------------------------------------- defaults
@pytest.mark.parametrize(
    ("type_text", "default", "nullable", "clause"),
    [
        ("int32", None, False, "NOT NULL"),
        ("int32", None, True, "DEFAULT NULL"),
        ("int32", "5", False, "NOT NULL DEFAULT '5'"),
        ("varchar(10)", "it's", False, "NOT NULL DEFAULT 'it''s'"),
        ("bool", "true", False, "NOT NULL DEFAULT TRUE"),
        ("bool", "FALSE", False, "NOT NULL DEFAULT FALSE"),
        ("datetime", "CURRENT_TIMESTAMP", False, "NOT NULL DEFAULT CURRENT_TIMESTAMP"),
        ("datetime(3)", "current_timestamp(3)", False, "NOT NULL DEFAULT CURRENT_TIMESTAMP(3)"),
        ("enum('a', 'b')", "a", False, "NOT NULL DEFAULT 'a'"),
    ],
)
def test_default_clause(
    pg: PostgresBackend, type_text: str, default: str | None, nullable: bool, clause: str
) -> None:
    a = Attribute(name="x", type=parse_type(type_text), default=default, nullable=nullable)
    assert pg.default_sql(a) == clause


@pytest.mark.parametrize(
    ("expr", "value"),
    [
        (None, None),
        ("'abc'::character varying", "abc"),
        ("'it''s'::character varying", "it's"),
        ("''::character varying", ""),
        ("NULL::integer", None),
        ("'-5'::integer", "-5"),
        ("(-5)", "-5"),
        ("5", "5"),
        ("1.5", "1.5"),
        ("true", "true"),
        ("false", "false"),
        ("CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP"),
        ("CURRENT_TIMESTAMP(3)", "CURRENT_TIMESTAMP(3)"),
        ("'a'::lab.enum_0123abcd", "a"),
        ("'a'::\"my lab\".enum_0123abcd", "a"),
        ("'x::y'::text", "x::y"),
        ("'2020-01-01'::date", "2020-01-01"),
        ("'2020-01-01 00:00:00'::timestamp without time zone", "2020-01-01 00:00:00"),
        ("now()", "now()"),
    ],
)
def test_normalize_default(expr: str | None, value: str | None) -> None:
    assert normalize_default(expr) == value


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (pge.UniqueViolation("dup"), errors.DuplicateError),
        (pge.ForeignKeyViolation("fk"), errors.IntegrityError),
        (pge.NotNullViolation("nn"), errors.MissingAttributeError),
        (pge.SyntaxError("syntax"), errors.QuerySyntaxError),
        (pge.UndefinedTable("table"), errors.MissingTableError),
        (pge.UndefinedColumn("column"), errors.UnknownAttributeError),
        (pge.ConnectionException("conn"), errors.LostConnectionError),
        (pge.ConnectionDoesNotExist("conn"), errors.LostConnectionError),
        (pge.ConnectionFailure("conn"), errors.LostConnectionError),
        (pge.AdminShutdown("bye"), errors.LostConnectionError),
        (pge.InsufficientPrivilege("no"), errors.AccessError),
        (psycopg.OperationalError("the connection is closed"), errors.LostConnectionError),
        (psycopg.InterfaceError("the connection is lost"), errors.LostConnectionError),
    ],
)
def test_translate_error(pg: PostgresBackend, exc: Exception, expected: type) -> None:
    translated = pg.translate_error(exc, "SELECT 1")
    assert type(translated) is expected


def test_translate_error_args(pg: PostgresBackend) -> None:
    access = pg.translate_error(pge.InsufficientPrivilege("denied"), "DROP x")
    assert access.args == ("Insufficient privileges.", "denied", "DROP x")
    missing = pg.translate_error(pge.UndefinedTable("no table"), "SELECT *")
    assert missing.args == ("no table", "SELECT *")
    assert not isinstance(missing, errors.QueryError)
    assert pg.translate_error(pge.UniqueViolation("dup")).args == ("dup",)


@pytest.mark.parametrize(
    "exc",
    [
        pge.CheckViolation("check"),
        pge.InvalidTextRepresentation("bad"),
        pge.StringDataRightTruncation("long"),
    ],
)
def test_value_errors_translated(pg: PostgresBackend, exc: Exception) -> None:
    translated = pg.translate_error(exc)
    assert isinstance(translated, errors.ValueConversionError)
    assert isinstance(translated, ValueError)


@pytest.mark.parametrize(
    "exc",
    [pge.DivisionByZero("zero"), psycopg.ProgrammingError("no results")],
)
def test_every_other_driver_error_is_a_query_error(pg: PostgresBackend, exc: Exception) -> None:
    """No raw driver exception escapes (issue: every driver failure is a DataJointError)."""
    out = pg.translate_error(exc, "SELECT 1")
    assert type(out) is errors.QueryError
    assert str(exc) in out.args


def test_other_exceptions_are_not_translated(pg: PostgresBackend) -> None:
    assert pg.translate_error(ValueError("not a driver error")) is None


def test_driver_errors(pg: PostgresBackend) -> None:
    assert pg.driver_errors == (psycopg.Error,)


# ---------------------------------------------------------------------------- misc protocol
def test_identifiers_and_literals(pg: PostgresBackend) -> None:
    assert pg.quote("#lookup") == '"#lookup"'
    assert pg.table_ref("lab", "~log") == '"lab"."~log"'
    assert pg.quote('we"ird') == '"we""ird"'
    assert pg.bool_literal(True) == "TRUE" and pg.bool_literal(False) == "FALSE"
    assert pg.name == "postgresql" and pg.sqlglot_dialect == "postgres"
    assert pg.max_name_length == 63
    assert pg.begin_sql() == "BEGIN" and pg.current_user_sql() == "SELECT current_user"


def test_insert_forms(pg: PostgresBackend) -> None:
    from datajoint.backends.base import DEFAULT

    attributes = [attr(pg, "a", "int32", in_key=True), attr(pg, "b", "varchar(8)", default="")]
    sql, params = pg.insert_sql(
        "lab",
        "t",
        ["a", "b"],
        [(1, DEFAULT), (2, "x")],
        attributes,
        on_duplicate="replace",
        primary_key=["a"],
    )
    assert sql == (
        'INSERT INTO "lab"."t" ("a","b") VALUES (%s,DEFAULT),(%s,%s)'
        ' ON CONFLICT ("a") DO UPDATE SET "b"=excluded."b"'
    )
    assert params == [1, 2, "x"]


def test_classify_catalog_types(pg: PostgresBackend) -> None:
    assert pg.classify('"lab"."enum_0123abcd"').kind == "enum"
    assert pg.classify("character varying(16)").kind == "varchar"
    assert pg.classify("timestamp(3) without time zone").kind == "datetime"
    assert pg.classify("double precision").kind == "float"
    assert pg.classify("boolean").kind == "bool"


def test_to_driver(pg: PostgresBackend) -> None:
    js = Attribute(name="j", type=parse_type("json"))
    wrapped = pg.to_driver(js, json.dumps({"a": [1, 2]}))
    assert isinstance(wrapped, Jsonb)
    u = uuid.uuid4()
    assert pg.to_driver(Attribute(name="u", type=parse_type("uuid")), u) is u
    assert pg.to_driver(Attribute(name="b", type=parse_type("bool")), 1) is True
    t = Attribute(name="t", type=parse_type("time"))
    assert pg.to_driver(t, datetime.timedelta(hours=1, seconds=5)) == datetime.time(1, 0, 5)


def test_from_driver(pg: PostgresBackend) -> None:
    char = Attribute(name="c", type=parse_type("char(4)"))
    assert pg.from_driver(char, ["ab  ", None]) == ["ab", None]
    js = Attribute(name="j", type=parse_type("json"))
    assert pg.from_driver(js, ["abc", {"a": 1}, None]) == ["abc", {"a": 1}, None]
    u64 = Attribute(name="n", type=parse_type("uint64"))
    out = pg.from_driver(u64, [decimal.Decimal("18446744073709551615")])
    assert out == [18446744073709551615] and type(out[0]) is int
    tm = Attribute(name="t", type=parse_type("time"))
    assert pg.from_driver(tm, [datetime.time(1, 2, 3)]) == [datetime.timedelta(seconds=3723)]
