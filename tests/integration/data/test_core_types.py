"""Insert → fetch round trip of every core type on every backend (spec 02 §3, spec 04 §1.12).

Each case asserts the fetched value AND its Python type; since the expectations are the same
for the three backends, passing on all of them proves the backends agree.
"""

from __future__ import annotations

import datetime
import decimal
import itertools
import uuid

import numpy as np
import pytest

import datajoint as dj
from support.backends import new_schema_name, open_connection

D = decimal.Decimal
DT = datetime.datetime
U = uuid.UUID("12345678-1234-5678-1234-567812345678")

VALUES = """
id : int32
---
i8 = null : int8
i16 = null : int16
i32 = null : int32
i64 = null : int64
u8 = null : uint8
u16 = null : uint16
u32 = null : uint32
u64 = null : uint64
f32 = null : float32
f64 = null : float64
dec = null : decimal(10,3)
flag = null : bool
code = null : char(5)
name = null : varchar(30)
day = null : date
moment = null : datetime
precise = null : datetime(3)
micro = null : datetime(6)
ident = null : uuid
doc = null : json
raw = null : bytes
grade = null : enum('alpha', 'beta', 'it''s')
"""

DEFAULTS = """
id : int32
---
word = 'hi' : varchar(10)
colon = "a:b # c" : varchar(10)
number = 7 : int32
negative = -1.5 : float64
flag = true : bool
off = False : bool
day = '2020-02-29' : date
amount = 0.5 : decimal(4,2)
grade = 'beta' : enum('alpha', 'beta')
empty = '' : varchar(10)
created = CURRENT_TIMESTAMP : datetime
maybe = null : int16
"""

NATIVE = """
id : int32
---
small = null : tinyint
wide = null : int unsigned
real_number = null : double
blob = null : longblob
text = null : mediumtext
stamp = null : timestamp
"""

_ids = itertools.count(1)


@pytest.fixture(scope="module")
def tables(backend_name, tmp_path_factory):
    connection = open_connection(backend_name, tmp_path_factory)
    schema = dj.Schema(new_schema_name("djtypes"), connection=connection)

    @schema
    class Value(dj.Manual):
        definition = VALUES

    @schema
    class Defaults(dj.Manual):
        definition = DEFAULTS

    @schema
    class Native(dj.Manual):
        definition = NATIVE

    Value.Native = Native
    yield Value, Defaults
    schema.drop(prompt=False)
    connection.close()


def round_trip(table, attribute, value):
    key = {"id": next(_ids)}
    table.insert1({**key, attribute: value})
    return (table & key).fetch1()[attribute]


def as_float32(value):
    """What a float32 attribute returns for ``value``: the shortest decimal of its binary32."""
    return float(str(np.float32(value)))


CASES = [
    # integers, including the extremes of every width
    ("i8", -128, -128, int),
    ("i8", 127, 127, int),
    ("i16", -32768, -32768, int),
    ("i16", 32767, 32767, int),
    ("i32", -(2**31), -(2**31), int),
    ("i32", 2**31 - 1, 2**31 - 1, int),
    ("i64", -(2**63), -(2**63), int),
    ("i64", 2**63 - 1, 2**63 - 1, int),
    ("u8", 0, 0, int),
    ("u8", 255, 255, int),
    ("u16", 65535, 65535, int),
    ("u32", 2**32 - 1, 2**32 - 1, int),
    ("u64", 0, 0, int),
    ("u64", 2**63 - 1, 2**63 - 1, int),
    ("i32", np.int16(-5), -5, int),
    ("u8", np.uint8(200), 200, int),
    ("i64", "42", 42, int),
    ("i16", 12.0, 12, int),
    # floats: float32 comes back as inserted (the shortest decimal of the stored binary32)
    ("f32", 3.14, 3.14, float),
    ("f32", 0.5, 0.5, float),
    ("f32", np.float32(-2.25), -2.25, float),
    ("f32", 7, 7.0, float),
    ("f32", D("0.1"), 0.1, float),
    ("f32", 1 / 3, 0.33333334, float),
    ("f64", D("0.1"), 0.1, float),
    ("f64", 2.718281828459045, 2.718281828459045, float),
    ("f64", -1e300, -1e300, float),
    ("f64", 1e-300, 1e-300, float),
    ("f64", np.float64(0.1), 0.1, float),
    ("f64", 3, 3.0, float),
    ("f64", "6.25", 6.25, float),
    # decimal(10,3): exact, rounded to the scale
    ("dec", D("1234567.891"), D("1234567.891"), D),
    ("dec", D("-0.5"), D("-0.500"), D),
    ("dec", "3.14159", D("3.142"), D),
    ("dec", 2, D("2.000"), D),
    ("dec", 0.25, D("0.250"), D),
    ("dec", D("9999999.999"), D("9999999.999"), D),
    # bool
    ("flag", True, True, bool),
    ("flag", False, False, bool),
    ("flag", 1, True, bool),
    ("flag", 0, False, bool),
    ("flag", np.bool_(True), True, bool),
    # strings: unicode, quotes, backslashes, percent signs; char loses its pad blanks
    ("code", "ab", "ab", str),
    ("code", "é☃x", "é☃x", str),
    ("code", "abcde", "abcde", str),
    ("code", "ab  ", "ab", str),
    ("name", "ab  ", "ab  ", str),  # varchar keeps trailing blanks
    ("name", "héllo wörld ☃ 日本語", "héllo wörld ☃ 日本語", str),
    ("name", 'it\'s a \\ 100% "quote"', 'it\'s a \\ 100% "quote"', str),
    ("name", "", "", str),
    ("name", "🐭 mouse 🧪", "🐭 mouse 🧪", str),  # 4-byte UTF-8
    ("name", "x" * 30, "x" * 30, str),
    # enum
    ("grade", "beta", "beta", str),
    ("grade", "it's", "it's", str),
    # dates and datetimes (naive; no time-zone conversion anywhere)
    ("day", datetime.date(2024, 2, 29), datetime.date(2024, 2, 29), datetime.date),
    ("day", "1999-12-31", datetime.date(1999, 12, 31), datetime.date),
    ("day", datetime.date(1, 1, 1), datetime.date(1, 1, 1), datetime.date),
    ("moment", DT(2024, 1, 2, 3, 4, 5), DT(2024, 1, 2, 3, 4, 5), DT),
    ("moment", "2024-01-02 03:04:05", DT(2024, 1, 2, 3, 4, 5), DT),
    ("moment", "2024-01-02T03:04:05", DT(2024, 1, 2, 3, 4, 5), DT),
    ("moment", datetime.date(2024, 5, 6), DT(2024, 5, 6), DT),
    ("moment", DT(2024, 1, 2, 3, 4, 5, 499999), DT(2024, 1, 2, 3, 4, 5), DT),
    ("moment", DT(2024, 1, 2, 3, 4, 5, 500000), DT(2024, 1, 2, 3, 4, 6), DT),
    ("moment", DT(9999, 12, 31, 23, 59, 59), DT(9999, 12, 31, 23, 59, 59), DT),
    ("moment", np.datetime64("2021-06-07T08:09:10"), DT(2021, 6, 7, 8, 9, 10), DT),
    ("precise", DT(2024, 1, 2, 3, 4, 5, 123456), DT(2024, 1, 2, 3, 4, 5, 123000), DT),
    ("precise", DT(2024, 1, 2, 3, 4, 5, 999600), DT(2024, 1, 2, 3, 4, 6), DT),
    ("micro", DT(2024, 1, 2, 3, 4, 5, 123456), DT(2024, 1, 2, 3, 4, 5, 123456), DT),
    # aware datetimes are stored as naive UTC
    (
        "moment",
        DT(2024, 1, 1, 12, tzinfo=datetime.timezone(datetime.timedelta(hours=5))),
        DT(2024, 1, 1, 7),
        DT,
    ),
    ("micro", DT(2024, 1, 1, tzinfo=datetime.timezone.utc), DT(2024, 1, 1), DT),
    # uuid: a UUID or anything uuid.UUID() accepts
    ("ident", U, U, uuid.UUID),
    ("ident", str(U), U, uuid.UUID),
    ("ident", U.hex, U, uuid.UUID),
    ("ident", uuid.UUID(int=0), uuid.UUID(int=0), uuid.UUID),
    # json: parsed values of every JSON kind, numpy values converted
    ("doc", {"a": [1, 2, {"b": None}], "s": "ü"}, {"a": [1, 2, {"b": None}], "s": "ü"}, dict),
    ("doc", [1, "two", 3.5, True, None], [1, "two", 3.5, True, None], list),
    ("doc", "just text", "just text", str),
    ("doc", 17, 17, int),
    ("doc", 2.5, 2.5, float),
    ("doc", False, False, bool),
    ("doc", {"x": np.arange(3), "y": np.float64(1.5)}, {"x": [0, 1, 2], "y": 1.5}, dict),
    ("doc", {}, {}, dict),
    (
        "doc",
        {"big": 2**70, "tiny": 1e-7, "emoji": "🐭"},
        {"big": 2**70, "tiny": 1e-7, "emoji": "🐭"},
        dict,
    ),
    # bytes
    ("raw", b"\x00\x01\xff", b"\x00\x01\xff", bytes),
    ("raw", b"", b"", bytes),
    ("raw", bytearray(b"abc"), b"abc", bytes),
    ("raw", memoryview(b"xyz"), b"xyz", bytes),
    ("raw", bytes(range(256)) * 4000, bytes(range(256)) * 4000, bytes),
]


@pytest.mark.parametrize(
    ("attribute", "value", "expected", "python_type"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
def test_round_trip(tables, attribute, value, expected, python_type):
    Value, _ = tables
    got = round_trip(Value, attribute, value)
    assert type(got) is python_type
    assert got == expected


def test_float32_keeps_binary32_precision(tables):
    """float32 values come back as the shortest decimal of the stored binary32 value on every
    backend (MySQL/MariaDB would print a FLOAT column with 6 significant digits, so it is
    fetched as double)."""
    Value, _ = tables
    for value in (1 / 3, 16777217.0, 3.4e38, -1.17549435e-38, 123456.789):
        got = round_trip(Value, "f32", value)
        assert type(got) is float
        assert got == as_float32(value)
        assert np.float32(got) == np.float32(value)


@pytest.mark.parametrize("attribute", [line.split()[0] for line in VALUES.split("\n")[3:-1]])
def test_null_and_missing_are_none(tables, attribute):
    Value, _ = tables
    assert round_trip(Value, attribute, None) is None
    key = {"id": next(_ids)}
    Value.insert1(key)
    assert (Value & key).fetch1()[attribute] is None


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("f64", float("nan")),
        ("f32", np.nan),
        ("i32", ""),
        ("dec", ""),
        ("f64", ""),
        ("flag", np.nan),
    ],
)
def test_nan_and_empty_string_store_null_in_numbers(tables, attribute, value):
    Value, _ = tables
    assert round_trip(Value, attribute, value) is None


def test_every_type_in_one_row(tables):
    """One row holding every type, fetched with fetch1(), to_dicts() and to_arrays()."""
    Value, _ = tables
    row = {
        "id": next(_ids),
        "i8": -1,
        "i16": 2,
        "i32": -3,
        "i64": 4,
        "u8": 5,
        "u16": 6,
        "u32": 7,
        "u64": 8,
        "f32": 0.5,
        "f64": 0.25,
        "dec": D("1.500"),
        "flag": True,
        "code": "c",
        "name": "n",
        "day": datetime.date(2020, 1, 1),
        "moment": DT(2020, 1, 1, 12),
        "precise": DT(2020, 1, 1, 12, 0, 0, 1000),
        "micro": DT(2020, 1, 1, 12, 0, 0, 1),
        "ident": U,
        "doc": {"k": "v"},
        "raw": b"r",
        "grade": "alpha",
    }
    Value.insert1(row)
    restricted = Value & {"id": row["id"]}
    assert restricted.fetch1() == row
    assert restricted.to_dicts() == [row]
    fetched = restricted.fetch1()
    assert list(fetched) == list(row)  # heading order
    assert {k: type(v) for k, v in fetched.items()} == {k: type(v) for k, v in row.items()}
    array = restricted.to_arrays()
    assert array.dtype["f64"] == np.float64
    assert array.dtype["f32"] == np.float64
    assert array.dtype["id"] == np.int64
    assert array.dtype["i8"] == np.dtype("O")  # nullable integers use object fields
    assert array.dtype["dec"] == np.dtype("O")
    assert array[0]["ident"] == U
    assert array[0]["doc"] == {"k": "v"}


def test_defaults(tables, backend_name):
    _, Defaults = tables
    key = {"id": next(_ids)}
    Defaults.insert1(key)
    row = (Defaults & key).fetch1()
    created = row.pop("created")
    assert row == {
        "id": key["id"],
        "word": "hi",
        "colon": "a:b # c",
        "number": 7,
        "negative": -1.5,
        "flag": True,
        "off": False,
        "day": datetime.date(2020, 2, 29),
        "amount": D("0.50"),
        "grade": "beta",
        "empty": "",
        "maybe": None,
    }
    assert type(row["number"]) is int
    assert type(row["flag"]) is bool
    assert type(row["amount"]) is D
    assert type(created) is DT
    assert created.tzinfo is None
    assert created.microsecond == 0  # `datetime` holds whole seconds on every backend
    # CURRENT_TIMESTAMP is the server's time in the session's time zone
    server_now = Defaults().connection.query("SELECT CURRENT_TIMESTAMP").fetchone()[0]
    if isinstance(server_now, str):
        server_now = DT.fromisoformat(server_now)
    server_now = server_now.replace(tzinfo=None)
    assert abs(server_now - created) < datetime.timedelta(seconds=30)


def test_none_takes_the_declared_default(tables):
    _, Defaults = tables
    key = {"id": next(_ids)}
    Defaults.insert1({**key, "word": None, "number": None, "flag": None, "created": None})
    row = (Defaults & key).fetch1()
    assert (row["word"], row["number"], row["flag"]) == ("hi", 7, True)
    assert isinstance(row["created"], DT)


def test_explicit_values_override_defaults(tables):
    _, Defaults = tables
    key = {"id": next(_ids)}
    when = DT(2001, 2, 3, 4, 5, 6)
    Defaults.insert1({**key, "word": "bye", "flag": False, "created": when, "maybe": -3})
    row = (Defaults & key).fetch1()
    assert (row["word"], row["flag"], row["created"], row["maybe"]) == ("bye", False, when, -3)


def test_native_time_is_a_timedelta(connection, schema):
    """``time`` is a native type (spec 02 §3.3): a timedelta on every backend."""

    @schema
    class Clock(dj.Manual):
        definition = """
        id : int32
        ---
        t = null : time
        """

    Clock.insert1({"id": 1, "t": datetime.timedelta(hours=13, minutes=2, seconds=3)})
    Clock.insert1({"id": 2})
    Clock.insert1({"id": 3, "t": datetime.time(7, 8, 9)})
    expected = [
        datetime.timedelta(hours=13, minutes=2, seconds=3),
        None,
        datetime.timedelta(hours=7, minutes=8, seconds=9),
    ]
    assert Clock.to_arrays("t").tolist() == expected


def test_uint64_beyond_int64(tables, backend_name):
    """The upper half of uint64 works on the servers; SQLite refuses it with a clear error."""
    Value, _ = tables
    if backend_name == "sqlite":
        key = {"id": next(_ids)}
        with pytest.raises(dj.errors.ValueConversionError, match="SQLite"):
            Value.insert1({**key, "u64": 2**64 - 1})
        assert not (Value & key)
        return
    got = round_trip(Value, "u64", 2**64 - 1)
    assert type(got) is int
    assert got == 2**64 - 1


def test_sqlite_decimal_precision_limit(schema, backend_name):
    """SQLite keeps decimals as doubles: precisions above 15 are refused, others are exact."""

    class Wide(dj.Manual):
        definition = """
        id : int32
        ---
        x : decimal(20,6)
        """

    if backend_name == "sqlite":
        with pytest.raises(dj.errors.DeclarationError, match="not supported on SQLite"):
            schema(Wide)
        assert schema.list_tables() == []
        return
    schema(Wide)
    Wide.insert1({"id": 1, "x": D("12345678901234.123456")})
    assert Wide.fetch1()["x"] == D("12345678901234.123456")


def test_naive_datetimes_ignore_the_session_time_zone(tables, backend_name):
    """``datetime`` carries no time zone: changing the session's zone changes nothing."""
    Value, _ = tables
    connection = Value().connection
    key = {"id": next(_ids)}
    when = DT(2024, 6, 1, 12, 30, 15)
    Value.insert1({**key, "moment": when, "micro": when})
    set_zone = {
        "mysql": ("SET time_zone = '+05:00'", "SET time_zone = @@global.time_zone"),
        "postgresql": ("SET TIME ZONE 'Asia/Kolkata'", "SET TIME ZONE DEFAULT"),
    }.get(backend_name)
    if set_zone is not None:
        connection.query(set_zone[0], None)
    try:
        assert (Value & key).fetch1()["moment"] == when
        assert (Value & {"moment": when}).keys() == [key]
    finally:
        if set_zone is not None:
            connection.query(set_zone[1], None)


def test_infinite_floats(tables, backend_name):
    """PostgreSQL and SQLite store infinities; MySQL/MariaDB cannot: a clear error."""
    Value, _ = tables
    if backend_name == "mysql":
        key = {"id": next(_ids)}
        with pytest.raises(dj.errors.ValueConversionError, match="cannot store infinite"):
            Value.insert1({**key, "f64": float("inf")})
        assert not (Value & key)
        return
    assert round_trip(Value, "f64", float("inf")) == float("inf")
    assert round_trip(Value, "f64", float("-inf")) == float("-inf")


def test_describe_round_trips_every_type_and_default(tables):
    """The tables of this module re-declared from describe() have identical headings."""
    Value, Defaults = tables
    schema = dj.Schema(new_schema_name("djtypescopy"), connection=Value().connection)
    try:
        for original in (Value, Defaults, Value.Native):
            text = original.describe(context={})
            copy = schema(type(f"Copy{original.__name__}", (dj.Manual,), {"definition": text}))

            def shape(heading, database):
                return [
                    (
                        a.name,
                        a.type.declared,
                        a.sql_type.replace(database, ""),
                        a.in_key,
                        a.nullable,
                        a.default,
                        a.comment,
                    )
                    for a in heading.all_attributes
                ]

            assert shape(copy.heading, schema.database) == shape(
                original.heading, original.database
            ), text
    finally:
        schema.drop(prompt=False)


@pytest.mark.parametrize(
    ("attribute", "value", "python_type"),
    [
        ("small", -100, int),
        ("wide", 4294967295, int),
        ("real_number", 1.25, float),
        ("blob", b"\x00raw\xff", bytes),
        ("text", "long text ☃ " * 100, str),
        ("stamp", DT(2024, 3, 4, 5, 6, 7), DT),
    ],
)
def test_native_types(tables, attribute, value, python_type):
    """Native pass-through types (spec 02 §4) round-trip with one Python type everywhere."""
    Value, _ = tables
    got = round_trip(Value.Native, attribute, value)
    assert type(got) is python_type
    assert got == value
    assert round_trip(Value.Native, attribute, None) is None


def test_structured_array_dtypes(connection, schema):
    """to_arrays() field dtypes (spec 04 §1.6) are the same on every backend."""

    @schema
    class Flags(dj.Manual):
        definition = """
        id : int32
        ---
        on : bool
        big : uint64
        n : int16
        x : float32
        maybe = null : bool
        when : datetime
        """

    rows = [
        {
            "id": 1,
            "on": True,
            "big": 2**63 - 1,
            "n": -2,
            "x": 0.5,
            "maybe": None,
            "when": DT(2020, 1, 1),
        },
        {"id": 2, "on": False, "big": 0, "n": 3, "x": -1.5, "maybe": True, "when": DT(2021, 1, 1)},
    ]
    Flags.insert(rows)
    array = Flags.to_arrays()
    assert [array.dtype[name] for name in array.dtype.names] == [
        np.dtype("int64"),
        np.dtype("bool"),
        np.dtype("uint64"),
        np.dtype("int64"),
        np.dtype("float64"),
        np.dtype("O"),
        np.dtype("O"),
    ]
    assert array["on"].tolist() == [True, False]
    assert array["big"].tolist() == [2**63 - 1, 0]
    assert array["maybe"].tolist() == [None, True]
    assert array["when"].tolist() == [DT(2020, 1, 1), DT(2021, 1, 1)]
    assert Flags.to_dicts() == rows


def test_spec_worked_example(schema):
    """Spec 02 §13.2, verbatim."""

    @schema
    class T(dj.Manual):
        definition = """
        id : int32
        ---
        u : uuid
        flag : bool
        x = null : float64
        doc = null : json
        when : datetime
        amount : decimal(5,3)
        """

    T.insert1(
        {
            "id": 1,
            "u": "00000000-0000-0000-0000-000000000000",
            "flag": 1,
            "x": float("nan"),
            "doc": {"a": [1, 2]},
            "when": "2024-01-02 03:04:05",
            "amount": "3.1415",
        }
    )
    row = (T & {"id": 1}).fetch1()
    assert isinstance(row["u"], uuid.UUID)
    assert row["flag"] is True
    assert row["x"] is None
    assert row["doc"] == {"a": [1, 2]}
    assert row["when"] == datetime.datetime(2024, 1, 2, 3, 4, 5)
    assert row["amount"] == decimal.Decimal("3.142")


def test_bulk_insert_checks_every_value_of_a_column(tables, backend_name):
    """Bulk inserts take a fast path for plain columns; one bad value anywhere in a column still
    raises the single-row error and inserts nothing."""
    Value, _ = tables
    ids = [next(_ids) for _ in range(300)]
    before = len(Value())
    bad_rows = {
        "grade": "gamma",
        "f64": float("inf") if backend_name == "mysql" else None,
        "u64": 2**64 - 1 if backend_name == "sqlite" else None,
        "i8": 1.5,
        "name": ["not", "text"],
    }
    for attribute, bad in bad_rows.items():
        if bad is None:
            continue
        good = {"grade": "beta", "f64": 2.5, "u64": 7, "i8": 3, "name": "ok"}[attribute]
        rows = [{"id": i, attribute: good} for i in ids]
        rows[150] = {"id": ids[150], attribute: bad}
        with pytest.raises(dj.errors.ValueConversionError, match=attribute):
            Value.insert(rows)
        assert len(Value()) == before
    mixed = [
        {"id": i, "i64": n if n % 3 else None, "f64": float("nan") if n % 5 == 0 else n / 2}
        for n, i in enumerate(ids)
    ]
    Value.insert(mixed)
    got = (Value & [{"id": i} for i in ids]).to_dicts(order_by="id")
    assert [r["i64"] for r in got] == [n if n % 3 else None for n in range(300)]
    assert [r["f64"] for r in got] == [None if n % 5 == 0 else n / 2 for n in range(300)]
    assert type(got[1]["i64"]) is int and type(got[1]["f64"]) is float


def test_bulk_float_column_with_infinities_is_not_taken_for_nan(tables, backend_name):
    """Infinities of both signs in one bulk column (their sum is NaN) are stored as they are,
    and a NaN among many floats still becomes NULL (MySQL refuses infinities)."""
    Value, _ = tables
    ids = [next(_ids) for _ in range(200)]
    values = [float("inf"), float("-inf")] + [n / 4 for n in range(198)]
    rows = [{"id": i, "f64": v} for i, v in zip(ids, values, strict=True)]
    if backend_name == "mysql":
        with pytest.raises(dj.errors.ValueConversionError, match="f64"):
            Value.insert(rows)
        assert not (Value & [{"id": i} for i in ids])
    else:
        Value.insert(rows)
        got = (Value & [{"id": i} for i in ids]).to_dicts(order_by="id")
        assert [r["f64"] for r in got] == values
    more = [next(_ids) for _ in range(200)]
    Value.insert(
        [{"id": i, "f64": float("nan") if n == 150 else n / 8} for n, i in enumerate(more)]
    )
    got = (Value & [{"id": i} for i in more]).to_dicts(order_by="id")
    assert [r["f64"] for r in got] == [None if n == 150 else n / 8 for n in range(200)]


def test_structured_array_insert_keeps_every_field_type(schema):
    """Record arrays convert column by column: numbers, bools, strings, bytes and datetime64."""

    @schema
    class Sample(dj.Manual):
        definition = """
        id : int32
        ---
        ok : bool
        x : float32
        label : varchar(8)
        raw : bytes
        when : datetime
        """

    records = np.array(
        [(1, True, 0.1, "a", b"\x00\x01", np.datetime64("2024-01-02T03:04:05")),
         (2, False, -2.5, "bb", b"\xff", np.datetime64("2024-05-06T07:08:09"))],
        dtype=[("id", "i4"), ("ok", "?"), ("x", "f4"), ("label", "U8"), ("raw", "S2"),
               ("when", "M8[ns]")],
    )  # fmt: skip
    Sample.insert(records)
    assert Sample.to_dicts() == [
        {"id": 1, "ok": True, "x": 0.1, "label": "a", "raw": b"\x00\x01",
         "when": DT(2024, 1, 2, 3, 4, 5)},
        {"id": 2, "ok": False, "x": -2.5, "label": "bb", "raw": b"\xff",
         "when": DT(2024, 5, 6, 7, 8, 9)},
    ]  # fmt: skip


def test_bulk_insert_errors_leave_the_table_unchanged(tables):
    """Large plain inserts (COPY on PostgreSQL) raise the same errors as small ones."""
    Value, _ = tables
    ids = [next(_ids) for _ in range(500)]
    Value.insert1({"id": ids[0], "name": "first"})
    before = len(Value())
    rows = [{"id": i, "name": f"n{i}"} for i in ids[1:]] + [{"id": ids[0], "name": "again"}]
    with pytest.raises(dj.errors.DuplicateError):
        Value.insert(rows)
    assert len(Value()) == before
    too_long = [{"id": i, "name": "x" * 31 if i == ids[300] else "ok"} for i in ids[1:]]
    with pytest.raises(dj.DataJointError):
        Value.insert(too_long)
    assert len(Value()) == before
    Value.insert(rows, skip_duplicates=True)
    assert len(Value()) == before + 499
    assert (Value & {"id": ids[0]}).fetch1("name") == "first"


def test_bulk_insert_round_trips_every_type(schema):
    """150 rows of every core type (COPY on PostgreSQL; escapes, quotes, NULL json, unicode)."""

    @schema
    class Every(dj.Manual):
        definition = """
        id : int32
        ---
        doc = null : json
        u : uuid
        raw : bytes
        ok : bool
        amt : decimal(8,3)
        day : date
        at : datetime(3)
        kind : enum('x', 'y', "it's")
        txt : varchar(60)
        f32 : float32
        big : uint64
        """

    rows = [
        {
            "id": i,
            "doc": {"a": i, "b": [1, 2], "s": "q'\"\\"} if i % 3 else None,
            "u": uuid.UUID(int=i),
            "raw": bytes([i % 256, 0, 92, 10]),
            "ok": bool(i % 2),
            "amt": D(i) / 8,
            "day": datetime.date(2024, 1, 1) + datetime.timedelta(days=i),
            "at": DT(2024, 1, 1, 0, 0, 0, (i * 1000) % 1000000),
            "kind": ["x", "y", "it's"][i % 3],
            "txt": "tab\there\nnew line \\ back 'q' \"d\" ümlaut",
            "f32": float(np.float32(i / 3)),
            "big": 2**62 + i,
        }
        for i in range(150)
    ]
    Every.insert(rows)
    assert Every.to_dicts(order_by="id") == [{**r, "f32": as_float32(r["f32"])} for r in rows]
