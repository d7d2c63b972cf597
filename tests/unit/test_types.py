"""Type classification (spec 02 §2) and value normalization (spec 04 §2.4)."""

from __future__ import annotations

import datetime
import decimal
import math
import uuid

import numpy as np
import pytest

from datajoint import types as T
from datajoint.errors import DataJointError, SerializationError, ValueConversionError


@pytest.mark.parametrize(
    ("text", "kind", "core"),
    [
        ("float32", T.FLOAT, True),
        ("float64", T.FLOAT, True),
        ("int8", T.INT, True),
        ("INT32", T.INT, True),
        ("uint64", T.INT, True),
        ("bool", T.BOOL, True),
        ("uuid", T.UUID, True),
        ("json", T.JSON, True),
        ("jsonb", T.JSON, True),
        ("bytes", T.BYTES, True),
        ("date", T.DATE, True),
        ("datetime", T.DATETIME, True),
        ("datetime(3)", T.DATETIME, True),
        ("char(8)", T.CHAR, True),
        ("varchar(255)", T.VARCHAR, True),
        ("enum('a', 'b#c')", T.ENUM, True),
        ("decimal(7, 3)", T.DECIMAL, True),
        ("int unsigned", T.INT, False),
        ("tinyint(1)", T.INT, False),
        ("bigint auto_increment", T.INT, False),
        ("serial", T.INT, False),
        ("numeric(5,2)", T.DECIMAL, False),
        ("double", T.FLOAT, False),
        ("timestamp", T.DATETIME, False),
        ("time", T.TIME, False),
        ("year", T.YEAR, False),
        ("longblob", T.BYTES, False),
        ("mediumtext", T.TEXT, False),
        ("<blob>", T.CODEC, True),
        ("<blob@store>", T.CODEC, True),
        ("<attach@>", T.CODEC, True),
    ],
)
def test_classification(text: str, kind: str, core: bool) -> None:
    spec = T.parse_type(text)
    assert spec.kind == kind
    assert spec.core is core
    assert spec.declared == text


@pytest.mark.parametrize(
    "text",
    ["boolean", "double precision", "blob", "bit", "binary(16)", "varbinary(8)", "set('a')",
     "decimal(5)", "decimal", "tinyinteger", "int32 unsigned", "datetime(7)", "point"],
)  # fmt: skip
def test_rejections(text: str) -> None:
    with pytest.raises(DataJointError, match="Unsupported attribute type"):
        T.parse_type(text)


def test_type_parameters() -> None:
    assert T.parse_type("uint16").unsigned and T.parse_type("uint16").bits == 16
    assert T.parse_type("varchar(64)").length == 64
    d = T.parse_type("decimal(7, 3)")
    assert (d.precision, d.scale) == (7, 3)
    assert T.parse_type("enum('a','it''s')").values == ("a", "it's")
    assert T.parse_type("datetime(6)").precision == 6
    assert T.parse_type("int auto_increment").autoincrement
    blob = T.parse_type("<blob@cold>")
    assert (blob.codec_name, blob.store, blob.is_store) == ("blob", "cold", True)
    assert T.parse_type("<blob@>").store == ""
    assert T.parse_type("<blob>").store is None
    assert T.parse_codec_spec("<blob@cold>") == ("blob", "cold")
    assert T.parse_codec_spec("blob") == ("blob", None)


def test_value_normalization() -> None:
    f = T.parse_type("float64")
    assert T.to_core_value(f, None, "x") is T.USE_DEFAULT
    assert T.to_core_value(f, float("nan"), "x") is T.USE_DEFAULT
    assert T.to_core_value(f, "", "x") is T.USE_DEFAULT
    assert T.to_core_value(f, "2.5", "x") == 2.5
    assert T.to_core_value(f, np.float32(1.5), "x") == 1.5
    i = T.parse_type("int32")
    assert T.to_core_value(i, "7", "x") == 7
    assert T.to_core_value(i, np.int64(3), "x") == 3
    with pytest.raises(ValueConversionError, match="not a number") as err:
        T.to_core_value(i, "seven", "x")
    assert isinstance(err.value, ValueError)
    assert T.to_core_value(T.parse_type("bool"), np.bool_(True), "b") is True
    u = uuid.uuid4()
    assert T.to_core_value(T.parse_type("uuid"), str(u), "u") == u
    with pytest.raises(DataJointError, match="badly formed UUID"):
        T.to_core_value(T.parse_type("uuid"), "abc", "u")
    j = T.parse_type("json")
    assert T.to_core_value(j, {"a": np.arange(2)}, "j") == '{"a": [0, 1]}'
    with pytest.raises(SerializationError):
        T.to_core_value(j, object(), "j")
    dec = T.to_core_value(T.parse_type("decimal(5,3)"), 3.1415, "d")
    assert dec == decimal.Decimal("3.1415")
    assert T.to_core_value(T.parse_type("date"), "2024-01-02", "d") == datetime.date(2024, 1, 2)
    when = T.to_core_value(T.parse_type("datetime"), "2024-01-02 03:04:05", "t")
    assert when == datetime.datetime(2024, 1, 2, 3, 4, 5)
    assert not math.isnan(T.to_core_value(f, 0.0, "x"))
