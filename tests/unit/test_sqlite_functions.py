"""MySQL functions registered on SQLite connections behave as MySQL documents them."""

from __future__ import annotations

import sqlite3

import pytest

from datajoint.backends import sqlite_functions


@pytest.fixture
def db() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    sqlite_functions.register(conn)
    return conn


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SUBSTRING_INDEX('www.mysql.com', '.', 2)", "www.mysql"),
        ("SUBSTRING_INDEX('www.mysql.com', '.', -2)", "mysql.com"),
        ("SUBSTRING_INDEX('www.mysql.com', '.', 0)", ""),
        ("SUBSTRING_INDEX(NULL, '.', 1)", None),
        ("REVERSE('abc')", "cba"),
        ("REPEAT('ab', 3)", "ababab"),
        ("REPEAT('ab', -1)", ""),
        ("MD5('')", "d41d8cd98f00b204e9800998ecf8427e"),
        ("TIME_TO_SEC('22:23:00')", 80580),
        ("TIME_TO_SEC('-01:00:00')", -3600),
        ("TIME_TO_SEC('2024-01-01 00:01:05')", 65),
        ("TIME_TO_SEC('bad')", None),
        ("STR_TO_DATE('31/12/2024', '%d/%m/%Y')", "2024-12-31"),
        ("STR_TO_DATE('nope', '%d/%m/%Y')", None),
        ("STR_TO_TIME('5/1/2024 7:08', '%-d/%-m/%Y %H:%M')", "2024-01-05 07:08:00"),
        ("'abc' REGEXP '^a'", 1),
        ("HEX(255)", "FF"),
        ("HEX(-1)", "FFFFFFFFFFFFFFFF"),
        ("HEX(2.5)", "3"),
        ("HEX('abc')", "616263"),
        ("HEX(ZEROBLOB(2))", "0000"),
        ("HEX(NULL)", None),
        ("length(UUID())", 36),
    ],
)
def test_function(db: sqlite3.Connection, sql: str, expected: object) -> None:
    assert db.execute(f"SELECT {sql}").fetchone()[0] == expected


def test_ordered_group_concat(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE t (v TEXT, k INT)")
    db.executemany(
        "INSERT INTO t VALUES (?, ?)", [("b", 2), ("a", None), (None, 1), ("c", 3), ("b", 0)]
    )

    assert db.execute("SELECT DJ_GROUP_CONCAT(0, v, '-', k, 0) FROM t").fetchone()[0] == "a-b-b-c"
    assert db.execute("SELECT DJ_GROUP_CONCAT(0, v, '-', k, 1) FROM t").fetchone()[0] == "c-b-b-a"
    assert db.execute("SELECT DJ_GROUP_CONCAT(1, v, ',', v, 0) FROM t").fetchone()[0] == "a,b,c"
    assert (
        db.execute("SELECT DJ_GROUP_CONCAT(0, v, ',', k, 0) FROM t WHERE 0").fetchone()[0] is None
    )
