"""MySQL functions that SQLite lacks, registered on every SQLite connection as Python functions.

User SQL fragments are written in MySQL syntax (spec 03 §13.2); where no SQL rewrite exists
(see :mod:`.fragments`), the function itself is provided here. Each returns NULL for NULL
input, as MySQL does.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import re
import sqlite3
import uuid
from typing import Any


@functools.lru_cache(maxsize=256)
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _regexp(pattern: str | None, value: Any) -> int | None:
    """``value REGEXP pattern`` (SQLite calls ``regexp(pattern, value)``), MySQL-like."""
    if pattern is None or value is None:
        return None
    return int(_pattern(pattern).search(str(value)) is not None)


def _parse_time(text: Any, fmt: Any) -> datetime.datetime | None:
    if text is None or fmt is None:
        return None
    try:  # strptime reads unpadded numbers with the padded codes
        return datetime.datetime.strptime(str(text), str(fmt).replace("%-", "%"))
    except ValueError:
        return None  # MySQL returns NULL for a string that does not match the format


def _str_to_date(text: Any, fmt: Any) -> str | None:
    """``STR_TO_DATE`` with a date-only format (sqlglot passes the format in strftime codes)."""
    parsed = _parse_time(text, fmt)
    return None if parsed is None else parsed.date().isoformat()


def _str_to_time(text: Any, fmt: Any) -> str | None:
    """``STR_TO_DATE`` with time codes, as stored datetimes are written."""
    parsed = _parse_time(text, fmt)
    return None if parsed is None else parsed.isoformat(sep=" ")


def _reverse(text: Any) -> str | None:
    return None if text is None else str(text)[::-1]


def _repeat(text: Any, count: Any) -> str | None:
    if text is None or count is None:
        return None
    return str(text) * max(0, int(count))


def _md5(text: Any) -> str | None:
    if text is None:
        return None
    data = text if isinstance(text, bytes) else str(text).encode()
    return hashlib.md5(data).hexdigest()


def _uuid() -> str:
    return str(uuid.uuid1())  # MySQL's UUID() is a version-1 UUID


def _substring_index(text: Any, delimiter: Any, count: Any) -> str | None:
    """The part of ``text`` before the ``count``-th delimiter (from the right when negative)."""
    if text is None or delimiter is None or count is None:
        return None
    sep, n = str(delimiter), int(count)
    if not sep or n == 0:
        return ""
    parts = str(text).split(sep)
    return sep.join(parts[:n] if n > 0 else parts[n:])


def _time_to_sec(value: Any) -> int | None:
    """Seconds of a ``[-]HH:MM:SS`` time or of the time of a datetime."""
    if value is None:
        return None
    text = str(value).strip()
    if " " in text:
        text = text.split(" ", 1)[1]
    sign = -1 if text.startswith("-") else 1
    try:
        hours, minutes, seconds = (float(p) for p in text.lstrip("-").split(":"))
    except ValueError:
        return None
    return sign * int(hours * 3600 + minutes * 60 + seconds)


def _hex(value: Any) -> str | None:
    """MySQL's HEX: a number in base 16 (as unsigned 64-bit), or the bytes of a string/blob."""
    if value is None:
        return None
    if isinstance(value, float):
        value = int(value + 0.5) if value >= 0 else -int(-value + 0.5)  # rounds half away
    if isinstance(value, int):
        return format(value & 0xFFFFFFFFFFFFFFFF, "X")
    data = value if isinstance(value, bytes) else str(value).encode()
    return data.hex().upper()


class _Moments:
    """Running count, mean and sum of squared deviations (Welford), for STD and VARIANCE."""

    sample = False
    root = False

    def __init__(self) -> None:
        self.n = 0
        self.mean = 0.0
        self.m2 = 0.0

    def step(self, value: Any) -> None:
        if value is None:
            return
        x = float(value)
        self.n += 1
        delta = x - self.mean
        self.mean += delta / self.n
        self.m2 += delta * (x - self.mean)

    def finalize(self) -> float | None:
        dof = self.n - 1 if self.sample else self.n
        if dof <= 0:
            return None if self.n == 0 or self.sample else 0.0
        variance = self.m2 / dof
        return variance**0.5 if self.root else variance


class _VarPop(_Moments):
    pass


class _VarSamp(_Moments):
    sample = True


class _StdPop(_Moments):
    root = True


class _StdSamp(_Moments):
    sample = True
    root = True


class _BitOr:
    def __init__(self) -> None:
        self.value = 0

    def step(self, value: Any) -> None:
        if value is not None:
            self.value |= int(value)

    def finalize(self) -> int:
        return self.value


class _BitAnd:
    def __init__(self) -> None:
        self.value = (1 << 64) - 1  # MySQL: all bits set for an empty group

    def step(self, value: Any) -> None:
        if value is not None:
            self.value &= int(value)

    def finalize(self) -> int:
        return self.value if self.value < 1 << 63 else self.value - (1 << 64)


class _OrderedGroupConcat:
    """``DJ_GROUP_CONCAT(distinct, value, separator, key1, desc1, …)``: MySQL's
    ``GROUP_CONCAT`` with ORDER BY for SQLite before 3.44 (NULL values skipped, NULL keys
    first in ascending order)."""

    def __init__(self) -> None:
        self.rows: list[tuple[Any, tuple[Any, ...]]] = []
        self.separator = ","
        self.distinct = False
        self.descending: tuple[bool, ...] = ()

    def step(self, distinct: Any, value: Any, separator: Any, *keys: Any) -> None:
        self.distinct = bool(distinct)
        self.separator = "" if separator is None else str(separator)
        self.descending = tuple(bool(d) for d in keys[1::2])
        if value is not None:
            self.rows.append((value, keys[0::2]))

    def finalize(self) -> str | None:
        rows = self.rows
        for position in reversed(range(len(self.descending))):  # stable: last key first
            desc = self.descending[position]
            rows = sorted(
                rows, key=lambda r: (r[1][position] is not None, r[1][position]), reverse=desc
            )
        texts = [str(v) for v, _ in rows]
        if self.distinct:
            texts = list(dict.fromkeys(texts))
        return self.separator.join(texts) if texts else None


def register(conn: sqlite3.Connection) -> None:
    """Make the functions above callable in SQL on ``conn``."""
    conn.create_function("REGEXP", 2, _regexp, deterministic=True)
    conn.create_function("STR_TO_DATE", 2, _str_to_date, deterministic=True)
    conn.create_function("STR_TO_TIME", 2, _str_to_time, deterministic=True)
    conn.create_function("REVERSE", 1, _reverse, deterministic=True)
    conn.create_function("REPEAT", 2, _repeat, deterministic=True)
    conn.create_function("MD5", 1, _md5, deterministic=True)
    conn.create_function("UUID", 0, _uuid)
    conn.create_function("SUBSTRING_INDEX", 3, _substring_index, deterministic=True)
    conn.create_function("TIME_TO_SEC", 1, _time_to_sec, deterministic=True)
    conn.create_function("HEX", 1, _hex, deterministic=True)  # SQLite's own hexes the text
    # aggregates, under the names sqlglot gives MySQL's STD/STDDEV/VARIANCE/BIT_OR/BIT_AND
    aggregates: tuple[tuple[str, Any], ...] = (
        ("STDDEV_POP", _StdPop),
        ("STDDEV_SAMP", _StdSamp),
        ("VARIANCE_POP", _VarPop),
        ("VARIANCE", _VarSamp),
        ("VAR_POP", _VarPop),
        ("VAR_SAMP", _VarSamp),
        ("BITWISE_OR_AGG", _BitOr),
        ("BITWISE_AND_AGG", _BitAnd),
    )
    for name, aggregate in aggregates:
        conn.create_aggregate(name, 1, aggregate)
    ordered: Any = _OrderedGroupConcat
    conn.create_aggregate("DJ_GROUP_CONCAT", -1, ordered)
