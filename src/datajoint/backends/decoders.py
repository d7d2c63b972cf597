"""Fetched values → the Python types of spec 02, one converter per core kind (shared by the
backends; a backend overrides what its driver returns differently)."""

from __future__ import annotations

import datetime
import decimal
import json
import re
import uuid
from typing import Any

from .. import types as T


def _to_uuid(v: Any) -> uuid.UUID:
    if isinstance(v, uuid.UUID):
        return v
    if isinstance(v, (bytes, bytearray, memoryview)):
        return uuid.UUID(bytes=bytes(v))
    return uuid.UUID(str(v))


def _to_json(v: Any) -> Any:
    if isinstance(v, (bytes, bytearray)):
        v = v.decode()
    return json.loads(v) if isinstance(v, str) else v


def _to_date(v: Any) -> datetime.date:
    if isinstance(v, datetime.datetime):
        return v.date()
    if isinstance(v, datetime.date):
        return v
    return datetime.date.fromisoformat(str(v)[:10])


def _to_datetime(v: Any) -> datetime.datetime:
    if isinstance(v, datetime.datetime):
        return v.replace(tzinfo=None) if v.tzinfo else v
    if isinstance(v, datetime.date):
        return datetime.datetime(v.year, v.month, v.day)
    return datetime.datetime.fromisoformat(str(v))


def _to_decimal(v: Any) -> decimal.Decimal:
    return v if isinstance(v, decimal.Decimal) else decimal.Decimal(str(v))


_TIME_RE = re.compile(r"^(-)?(\d+):(\d\d):(\d\d)(?:\.(\d+))?$")


def _to_timedelta(v: Any) -> datetime.timedelta:
    if isinstance(v, datetime.timedelta):
        return v
    if isinstance(v, datetime.time):
        return datetime.timedelta(
            hours=v.hour, minutes=v.minute, seconds=v.second, microseconds=v.microsecond
        )
    m = _TIME_RE.match(str(v))
    if not m:
        raise ValueError(f"cannot read time value {v!r}")
    sign, h, mi, s, frac = m.groups()
    micro = int((frac or "0").ljust(6, "0")[:6])
    td = datetime.timedelta(hours=int(h), minutes=int(mi), seconds=int(s), microseconds=micro)
    return -td if sign else td


COMMON_DECODERS: dict[str, Any] = {
    T.INT: int,
    T.YEAR: int,
    T.FLOAT: float,
    T.DECIMAL: _to_decimal,
    T.BOOL: bool,
    T.UUID: _to_uuid,
    T.JSON: _to_json,
    T.BYTES: bytes,
    T.DATE: _to_date,
    T.DATETIME: _to_datetime,
    T.TIME: _to_timedelta,
}
