"""The pure parts of the 0.14 migration: how columns are classified, where 0.14 kept objects,
and how a column definition gets its new comment (spec 08 §9, spec 02 §11, spec 06 §10)."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from datajoint.backends import mysql_legacy as sql
from datajoint.backends.base import ColumnInfo
from datajoint.migrate.common import classify, written_by_2x
from datajoint.migrate.external import content_hash, legacy_path
from datajoint.storage.paths import compute_hash


@pytest.mark.parametrize(
    ("native", "core"),
    [
        ("tinyint", "int8"),
        ("tinyint unsigned", "uint8"),
        ("tinyint(1)", "int8"),
        ("smallint(5) unsigned", "uint16"),
        ("mediumint", "int24"),
        ("mediumint unsigned", "uint24"),
        ("int", "int32"),
        ("int(10) unsigned", "uint32"),
        ("bigint", "int64"),
        ("bigint unsigned", "uint64"),
        ("float", "float32"),
        ("double", "float64"),
        ("longblob", "<blob>"),
        ("mediumblob", "<blob>"),
        ("blob", "<blob>"),
        ("tinyblob", "<blob>"),
        ("varchar(32)", None),
        ("date", None),
        ("decimal(5,2)", None),
        ("double(10,2)", None),  # a display-rounded double: left native
        ("int zerofill", None),
        ("binary(16)", None),
    ],
)
def test_native_types_map_to_core_types(native, core):
    assert sql.native_core_type(native) == core


def column(comment, sql_type="longblob", name="c"):
    return ColumnInfo(name=name, sql_type=sql_type, nullable=True, default=None, comment=comment)


@pytest.mark.parametrize(
    ("comment", "sql_type", "kind", "core", "user_comment"),
    [
        ("raw data", "longblob", "native", "<blob>", "raw data"),
        (":attach:the file", "longblob", "in_table", "<attach>", "the file"),
        (":blob:", "longblob", "in_table", "<blob>", ""),
        (":blob@raw:trace", "binary(16)", "stored", "<blob@raw>", "trace"),
        (":attach@raw:", "binary(16)", "stored", "<attach@raw>", ""),
        (":filepath@acq-1:file", "binary(16)", "stored", "<filepath@acq-1>", "file"),
        (":external-raw:scan", "char(51)", "obsolete", None, "scan"),
        (":<blob>:done", "longblob", "migrated", "<blob>", "done"),
        (":uuid:id", "binary(16)", "migrated", "uuid", "id"),
        (":int32:n", "int", "migrated", "int32", "n"),
        ("", "varchar(10)", "other", None, ""),
        (":not a marker:x", "int", "native", "int32", ":not a marker:x"),
    ],
)
def test_columns_are_classified(comment, sql_type, kind, core, user_comment):
    found = classify("t", column(comment, sql_type))
    assert (found.kind, found.core_type, found.comment) == (kind, core, user_comment)


@pytest.mark.parametrize(
    ("comment", "sql_type", "by_2x"),
    [
        (":int32:", "int", True),
        (":varchar(8):", "varchar(8)", True),
        (":<blob>:", "longblob", True),
        (":<blob@s>:", "json", True),
        (":<graph>:", "longblob", False),  # a 0.14 adapted type
        (":uuid:", "binary(16)", False),  # 0.14 wrote uuid markers too
        (":attach:", "longblob", False),
        ("", "longblob", False),
    ],
)
def test_markers_only_2x_writes(comment, sql_type, by_2x):
    assert written_by_2x(classify("t", column(comment, sql_type))) is by_2x


def test_hidden_columns_are_never_touched():
    assert classify("t", column("", "float", name="_job_duration")).kind == "other"
    assert classify("t", column(":blob@x:", "binary(16)", name="_x_v1")).core_type is None


def test_objects_are_where_0_14_put_them():
    ref = uuid.UUID("00112233-4455-6677-8899-aabbccddeeff").bytes
    assert legacy_path("lab", ref) == "lab/00/11/00112233445566778899aabbccddeeff"
    assert (
        legacy_path("lab", ref, ".notes.txt", (1,))
        == "lab/0/00112233445566778899aabbccddeeff.notes.txt"
    )
    assert legacy_path("lab", ref, subfolding=()) == "lab/00112233445566778899aabbccddeeff"


def test_a_0_14_reference_is_the_2_0_content_hash():
    data = b"DataJoint"
    ref = hashlib.md5(data).digest()
    assert content_hash(ref) == compute_hash(data) == "7zn3yf7gjncdv7rsvopkpnnt4q"


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        (
            "`a` int(11) NOT NULL COMMENT 'old'",
            "`a` int(11) NOT NULL COMMENT ':int32:old'",
        ),
        ("`a` int(11) NOT NULL", "`a` int(11) NOT NULL COMMENT ':int32:old'"),
        (
            "`n` varchar(9) NOT NULL DEFAULT 'x COMMENT ''y''' COMMENT 'it''s'",
            "`n` varchar(9) NOT NULL DEFAULT 'x COMMENT ''y''' COMMENT ':int32:old'",
        ),
        (
            "`i` int(11) NOT NULL AUTO_INCREMENT COMMENT 'a\\\\b'",
            "`i` int(11) NOT NULL AUTO_INCREMENT COMMENT ':int32:old'",
        ),
    ],
)
def test_only_the_comment_of_a_definition_changes(definition, expected):
    assert sql.with_comment(definition, ":int32:old") == expected


def test_comment_literals_escape_quotes_and_backslashes():
    assert sql.with_comment("`a` int", "it's a\\b") == "`a` int COMMENT 'it''s a\\\\b'"


def test_old_references_are_renamed_and_made_nullable():
    definition = "`trace` binary(16) NOT NULL COMMENT ':blob@local:the trace'"
    renamed = sql.nullable(sql.with_comment(sql.renamed(definition, "_trace_v1"), "kept"))
    assert renamed == "`_trace_v1` binary(16) COMMENT 'kept'"
    nullable = "`x` binary(16) DEFAULT NULL COMMENT 'NOT NULL'"
    assert sql.nullable(nullable) == nullable
    assert (
        sql.nullable("`n` int(10) unsigned NOT NULL DEFAULT 3") == "`n` int(10) unsigned DEFAULT 3"
    )
    assert sql.json_column("d", False, ":<blob@s>:") == "`d` json NOT NULL COMMENT ':<blob@s>:'"
