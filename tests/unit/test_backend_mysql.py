"""MySQLBackend without a server: DDL, column types, defaults, error translation, upserts."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pymysql
import pytest

from datajoint import errors
from datajoint.backends.mysql import MySQLBackend
from datajoint.backends.mysql_catalog import catalog_default, catalog_type, unescape
from datajoint.heading import Attribute, ForeignKey, Index
from datajoint.types import parse_type


@pytest.fixture
def backend() -> MySQLBackend:
    return MySQLBackend()


def attr(name: str, declared: str, **kw) -> Attribute:
    return Attribute(name=name, type=parse_type(declared), **kw)


def test_ddl_snapshot_spec_example(backend: MySQLBackend) -> None:
    attrs = [
        attr("subject_id", "int32", in_key=True, comment=":int32:subject number"),
        attr("session_idx", "int16", in_key=True, comment=":int16:session number"),
        attr("session_date", "date", comment=":date:"),
        attr("rig", "varchar(16)", nullable=True, comment=":varchar(16):"),
        attr("notes", "varchar(1000)", default="", comment=":varchar(1000):"),
        attr("raw", "<blob>", sql_type="longblob", nullable=True, comment=":<blob>:"),
        attr("created", "datetime", default="CURRENT_TIMESTAMP", comment=":datetime:"),
        attr("experimenter", "varchar(32)", nullable=True, comment=":varchar(32):"),
    ]
    attrs = [a if a.sql_type else replace(a, sql_type=backend.column_type(a, "lab")) for a in attrs]
    fks = [
        ForeignKey(("subject_id",), ("lab", "subject"), ("subject_id",)),
        ForeignKey(("experimenter",), ("lab", "#experimenter"), ("experimenter",)),
    ]
    statements = backend.create_table_sql(
        "lab",
        "session",
        attrs,
        ["subject_id", "session_idx"],
        fks,
        [Index(("session_date",))],
        "Recording sessions",
    )
    # the spec template shows no clause for the inherited nullable `experimenter`;
    # ``DEFAULT NULL`` is equivalent (a nullable MySQL column defaults to NULL)
    assert statements == [
        """CREATE TABLE IF NOT EXISTS `lab`.`session` (
  `subject_id` int NOT NULL COMMENT ':int32:subject number',
  `session_idx` smallint NOT NULL COMMENT ':int16:session number',
  `session_date` date NOT NULL COMMENT ':date:',
  `rig` varchar(16) DEFAULT NULL COMMENT ':varchar(16):',
  `notes` varchar(1000) NOT NULL DEFAULT '' COMMENT ':varchar(1000):',
  `raw` longblob DEFAULT NULL COMMENT ':<blob>:',
  `created` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP COMMENT ':datetime:',
  `experimenter` varchar(32) DEFAULT NULL COMMENT ':varchar(32):',
  PRIMARY KEY (`subject_id`,`session_idx`),
  FOREIGN KEY (`subject_id`) REFERENCES `lab`.`subject` (`subject_id`) ON UPDATE CASCADE ON DELETE RESTRICT,
  FOREIGN KEY (`experimenter`) REFERENCES `lab`.`#experimenter` (`experimenter`) ON UPDATE CASCADE ON DELETE RESTRICT,
  index (`session_date`)
) ENGINE=InnoDB, COMMENT 'Recording sessions'"""  # noqa: E501
    ]


def test_ddl_details(backend: MySQLBackend) -> None:
    a = attr("id", "int auto_increment", in_key=True, autoincrement=True)
    a = replace(a, sql_type=backend.column_type(a, "s"))
    car = attr("car", "json", nullable=True, comment=":json:", sql_type="json")
    (sql,) = backend.create_table_sql(
        "s",
        "t",
        [a, car],
        ["id"],
        [ForeignKey(("id", "x"), ("o", "p"), ("a", "b"))],
        [
            Index(("id", "car"), unique=True),
            Index(("(json_value(`car`, _utf8mb4'$.name' returning char(20)))",)),
        ],
        "it's a \\ table",
    )
    assert "`id` int NOT NULL auto_increment," in sql
    assert "`car` json DEFAULT NULL COMMENT ':json:'" in sql
    assert "FOREIGN KEY (`id`,`x`) REFERENCES `o`.`p` (`a`,`b`)" in sql
    assert "unique index (`id`,`car`)" in sql
    assert "index ((json_value(`car`, _utf8mb4'$.name' returning char(20))))" in sql
    assert sql.endswith(") ENGINE=InnoDB, COMMENT 'it''s a \\\\ table'")
    no_comment = attr("n", "int32", sql_type="int")
    (sql,) = backend.create_table_sql("s", "u", [no_comment], ["n"], [], [], "")
    assert "`n` int NOT NULL,\n" in sql and sql.endswith("COMMENT ''")


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("int8", "tinyint"),
        ("int16", "smallint"),
        ("int32", "int"),
        ("int64", "bigint"),
        ("uint8", "tinyint unsigned"),
        ("uint16", "smallint unsigned"),
        ("uint32", "int unsigned"),
        ("uint64", "bigint unsigned"),
        ("float32", "float"),
        ("float64", "double"),
        ("bool", "tinyint"),
        ("uuid", "binary(16)"),
        ("json", "json"),
        ("bytes", "longblob"),
        ("date", "date"),
        ("datetime", "datetime"),
        ("datetime(3)", "datetime(3)"),
        ("datetime(0)", "datetime(0)"),
        ("char(8)", "char(8)"),
        ("varchar(255)", "varchar(255)"),
        ("enum('M','F', 'it''s')", "enum('M','F','it''s')"),
        ("decimal(7, 3)", "decimal(7,3)"),
        ("int24", "mediumint"),
        ("uint24", "mediumint unsigned"),
        # native types pass through
        ("int unsigned", "int unsigned"),
        ("tinyint(1)", "tinyint(1)"),
        ("int auto_increment", "int"),
        ("bigint unsigned auto_increment", "bigint unsigned"),
        ("double", "double"),
        ("timestamp(3)", "timestamp(3)"),
        ("time", "time"),
        ("year", "year"),
        ("longblob", "longblob"),
        ("mediumtext", "mediumtext"),
        ("numeric(5,2)", "numeric(5,2)"),
        ("serial", "bigint unsigned"),
    ],
)
def test_column_type(backend: MySQLBackend, declared: str, expected: str) -> None:
    assert backend.column_type(attr("a", declared), "s") == expected


def test_column_type_codec_rejected(backend: MySQLBackend) -> None:
    with pytest.raises(errors.DataJointError):
        backend.column_type(attr("a", "<blob>"), "s")


@pytest.mark.parametrize(
    ("declared", "kw", "expected"),
    [
        ("bool", {"default": "true"}, "NOT NULL DEFAULT 1"),
        ("bool", {"default": "FALSE"}, "NOT NULL DEFAULT 0"),
        ("varchar(20)", {"default": "it's"}, "NOT NULL DEFAULT 'it''s'"),
        ("varchar(20)", {"default": "a\\b"}, "NOT NULL DEFAULT 'a\\\\b'"),
        ("varchar(20)", {"default": ""}, "NOT NULL DEFAULT ''"),
        ("int32", {"default": "5"}, "NOT NULL DEFAULT '5'"),
        ("datetime", {"default": "CURRENT_TIMESTAMP"}, "NOT NULL DEFAULT CURRENT_TIMESTAMP"),
        (
            "datetime(3)",
            {"default": "current_timestamp(3)"},
            "NOT NULL DEFAULT CURRENT_TIMESTAMP(3)",
        ),
        ("int32", {"nullable": True}, "DEFAULT NULL"),
        ("int32", {}, "NOT NULL"),
    ],
)
def test_default_sql(backend: MySQLBackend, declared: str, kw: dict, expected: str) -> None:
    assert backend.default_sql(attr("a", declared, **kw)) == expected


def test_quoting(backend: MySQLBackend) -> None:
    assert backend.quote("a`b") == "`a``b`"
    assert backend.table_ref("db", "~log") == "`db`.`~log`"
    assert backend.quote_string("it's \\n") == "'it''s \\\\n'"
    assert backend.bool_literal(True) == "1" and backend.bool_literal(False) == "0"
    assert backend.sqlglot_dialect == "mysql" and backend.max_name_length == 64


@pytest.mark.parametrize(
    ("exc", "cls"),
    [
        (pymysql.err.IntegrityError(1062, "Duplicate entry"), errors.DuplicateError),
        (pymysql.err.IntegrityError(1452, "Cannot add child"), errors.IntegrityError),
        (pymysql.err.IntegrityError(1451, "Cannot delete parent"), errors.IntegrityError),
        (pymysql.err.IntegrityError(1217, "Cannot delete parent"), errors.IntegrityError),
        (pymysql.err.OperationalError(3730, "Cannot drop table"), errors.IntegrityError),
        (pymysql.err.OperationalError(1364, "no default"), errors.MissingAttributeError),
        (pymysql.err.IntegrityError(1048, "cannot be null"), errors.MissingAttributeError),
        (pymysql.err.OperationalError(1054, "Unknown column"), errors.UnknownAttributeError),
        (pymysql.err.ProgrammingError(1064, "syntax"), errors.QuerySyntaxError),
        (pymysql.err.ProgrammingError(1146, "no table"), errors.MissingTableError),
        (pymysql.err.OperationalError(1044, "denied"), errors.AccessError),
        (pymysql.err.OperationalError(1142, "denied"), errors.AccessError),
        (pymysql.err.OperationalError(2006, "gone away"), errors.LostConnectionError),
        (pymysql.err.OperationalError(2013, "lost"), errors.LostConnectionError),
        (pymysql.err.OperationalError(0, ""), errors.LostConnectionError),
        (pymysql.err.InterfaceError(0, ""), errors.LostConnectionError),
        (pymysql.err.InterfaceError("(0, '')"), errors.LostConnectionError),
    ],
)
def test_translate_error(backend: MySQLBackend, exc: Exception, cls: type) -> None:
    out = backend.translate_error(exc, "SELECT 1")
    assert type(out) is cls
    assert isinstance(out, errors.DataJointError)


def test_translate_error_args(backend: MySQLBackend) -> None:
    out = backend.translate_error(pymysql.err.ProgrammingError(1064, "bad"), "SELEC")
    assert out.args == ("bad", "SELEC")
    out = backend.translate_error(pymysql.err.OperationalError(1142, "no"), "DROP")
    assert out.args == ("Insufficient privileges.", "no", "DROP")
    assert backend.translate_error(pymysql.err.IntegrityError(1062, "dup")).args == ("dup",)


@pytest.mark.parametrize(
    "exc",
    [
        pymysql.err.OperationalError(1049, "Unknown database"),
        pymysql.err.OperationalError(1305, "FUNCTION NO_SUCH does not exist"),
        pymysql.err.ProgrammingError("execute() first"),
    ],
)
def test_every_other_driver_error_is_a_query_error(backend: MySQLBackend, exc: Exception) -> None:
    """No raw driver exception escapes (issue: every driver failure is a DataJointError)."""
    out = backend.translate_error(exc, "SELECT 1")
    assert type(out) is errors.QueryError
    assert str(exc.args[-1]) in out.args


def test_other_exceptions_are_not_translated(backend: MySQLBackend) -> None:
    assert backend.translate_error(ValueError("not a driver error")) is None


def test_driver_errors(backend: MySQLBackend) -> None:
    assert issubclass(pymysql.err.IntegrityError, backend.driver_errors)
    assert issubclass(pymysql.err.InterfaceError, backend.driver_errors)


def test_on_duplicate_sql(backend: MySQLBackend) -> None:
    cols, pk = ["a", "b", "c"], ["a", "b"]
    assert backend.on_duplicate_sql(None, cols, pk) == ""
    assert backend.on_duplicate_sql("skip", cols, pk) == " ON DUPLICATE KEY UPDATE `a`=`a`"
    assert (
        backend.on_duplicate_sql("replace", cols, pk) == " ON DUPLICATE KEY UPDATE `c`=VALUES(`c`)"
    )
    assert backend.on_duplicate_sql("replace", ["a", "b"], pk) == (
        " ON DUPLICATE KEY UPDATE `a`=`a`"
    )


def test_insert_sql(backend: MySQLBackend) -> None:
    from datajoint.backends.base import DEFAULT

    attrs = [attr("a", "int32"), attr("b", "varchar(8)", default="x")]
    sql, params = backend.insert_sql(
        "db",
        "t",
        ["a", "b"],
        [(1, DEFAULT), (2, "y")],
        attrs,
        on_duplicate="replace",
        primary_key=["a"],
    )
    assert sql == (
        "INSERT INTO `db`.`t` (`a`,`b`) VALUES (%s,DEFAULT),(%s,%s)"
        " ON DUPLICATE KEY UPDATE `b`=VALUES(`b`)"
    )
    assert params == [1, 2, "y"]
    assert backend.insert_default_row_sql("db", "t") == "INSERT INTO `db`.`t` () VALUES ()"


def test_to_driver(backend: MySQLBackend) -> None:
    u = uuid.uuid4()
    assert backend.to_driver(attr("a", "uuid"), u) == u.bytes
    assert backend.to_driver(attr("a", "bool"), True) == 1
    assert backend.to_driver(attr("a", "bool"), False) == 0
    assert backend.to_driver(attr("a", "json"), '{"a": 1}') == '{"a": 1}'
    assert backend.to_driver(attr("a", "int32"), 5) == 5


def test_from_driver(backend: MySQLBackend) -> None:
    u = uuid.uuid4()
    assert backend.from_driver(attr("a", "uuid"), [u.bytes, None]) == [u, None]
    assert backend.from_driver(attr("a", "bool"), [1, 0, None]) == [True, False, None]
    assert backend.from_driver(attr("a", "json"), ['{"a": [1]}']) == [{"a": [1]}]


def test_catalog_helpers() -> None:
    assert catalog_type("INT(11)") == "int"
    assert catalog_type("int(10) unsigned") == "int unsigned"
    assert catalog_type("tinyint(1)") == "tinyint(1)"
    assert catalog_type("tinyint(4)") == "tinyint"
    assert catalog_type("varchar(16)") == "varchar(16)"
    assert unescape("it''s\\\\a\\n") == "it's\\a\n"


@pytest.mark.parametrize(
    ("mariadb", "text", "expected"),
    [
        (True, None, None),
        (True, "NULL", None),
        (True, "'abc'", "abc"),
        (True, "'it''s\\\\'", "it's\\"),
        (True, "''", ""),
        (True, "5", "5"),
        (True, "current_timestamp()", "CURRENT_TIMESTAMP"),
        (True, "current_timestamp(3)", "CURRENT_TIMESTAMP(3)"),
        (False, None, None),
        (False, "abc", "abc"),
        (False, "'q'", "'q'"),
        (False, "CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP"),
        (False, "CURRENT_TIMESTAMP(6)", "CURRENT_TIMESTAMP(6)"),
    ],
)
def test_catalog_default(mariadb: bool, text: str | None, expected: str | None) -> None:
    assert catalog_default(text, is_mariadb=mariadb) == expected


def test_catalog_type_keeps_enum_members() -> None:
    assert catalog_type("ENUM('M','it''s','A\\\\b')") == "enum('M','it''s','A\\\\b')"
