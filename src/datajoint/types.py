"""Core, native and codec types: parsing a declared type string into a :class:`TypeSpec`.

The per-backend SQL names live in ``backends/``; this module only knows what a type *is*
(spec 02 §2). Every pattern is anchored at both ends and matched case-insensitively.
"""

from __future__ import annotations

import datetime
import decimal
import json
import math
import re
import uuid
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from .errors import DeclarationError, SerializationError, ValueConversionError

# kinds of types (TypeSpec.kind)
INT = "int"  # int8..int64, uint8..uint64 and native integers
FLOAT = "float"  # float32, float64 and native float/double/real
DECIMAL = "decimal"
BOOL = "bool"
UUID = "uuid"
JSON = "json"
BYTES = "bytes"  # core bytes and native blobs
DATE = "date"
DATETIME = "datetime"  # core datetime and native timestamp
TIME = "time"
YEAR = "year"
CHAR = "char"
VARCHAR = "varchar"
TEXT = "text"
ENUM = "enum"
CODEC = "codec"

NUMERIC_KINDS = frozenset({INT, FLOAT, DECIMAL, YEAR})
STRING_KINDS = frozenset({CHAR, VARCHAR, TEXT, ENUM, DATE, DATETIME, TIME})
BLOB_KINDS = frozenset({BYTES})

INT_BITS = {"int8": 8, "int16": 16, "int32": 32, "int64": 64}
NATIVE_INT_BITS = {
    "tinyint": 8,
    "smallint": 16,
    "mediumint": 24,
    "int": 32,
    "integer": 32,
    "bigint": 64,
    "serial": 64,
}

_Q = r"(?:'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.)*\")"  # a quoted string

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        name,
        re.compile(pattern, re.IGNORECASE),
    )
    for name, pattern in [
        ("float_core", r"^float(32|64)$"),
        ("int_core", r"^int(8|16|32|64)$"),
        ("uint_core", r"^uint(8|16|32|64)$"),
        ("bool", r"^bool$"),
        ("uuid", r"^uuid$"),
        ("json", r"^jsonb?$"),
        ("bytes", r"^bytes$"),
        ("date", r"^date$"),
        ("datetime", r"^datetime(?:\s*\(\s*(\d+)\s*\))?$"),
        ("string_core", r"^(char|varchar)\s*\(\s*(\d+)\s*\)$"),
        ("enum", rf"^enum\s*\(\s*({_Q}(?:\s*,\s*{_Q})*)\s*\)$"),
        ("decimal", r"^decimal\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)$"),
        (
            "int_native",
            r"^(?:(tinyint|smallint|mediumint|int|bigint|integer)(?:\s*\(\s*\d+\s*\))?"
            r"(\s+unsigned)?(\s+auto_increment)?|(serial))$",
        ),
        ("numeric_native", r"^numeric(?:\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?(\s+unsigned)?$"),
        ("float_native", r"^(float|double|real)(?:\s*\([^)]*\))?(\s+unsigned)?$"),
        ("string_native", r"^(char|varchar)\s*\([^)]*\)$"),
        ("temporal_native", r"^(time|timestamp|year)(?:\s*\(\s*(\d+)\s*\))?$"),
        ("blob_native", r"^(tinyblob|smallblob|mediumblob|longblob)$"),
        ("text_native", r"^(text|tinytext|mediumtext|longtext)$"),
        ("codec", r"^<\s*([^<>@\s]+)\s*(?:@\s*([^<>\s]*)\s*)?>$"),
    ]
]

# markers written by the 0.14 -> 2.0 migration for mediumint columns (read-only core types)
_LEGACY_MARKERS = re.compile(r"^(u?)int24$", re.IGNORECASE)


@dataclass(frozen=True)
class TypeSpec:
    """What a declared type string means, independent of any backend.

    Attributes
    ----------
    declared : the type text as written (stripped), kept for markers and display
    kind : one of the kind constants of this module
    core : True for core types (recorded in the column-comment marker)
    bits : integer width for INT kinds; 32 for float32, 64 for float64
    unsigned : unsigned integer
    autoincrement : native ``auto_increment``/``serial``
    length : n of char(n)/varchar(n)
    precision, scale : decimal(p, s); precision of datetime(n) is in ``precision``
    values : enum members
    codec_name, store : for codec types (``store`` is ``""`` for the default store)
    """

    declared: str
    kind: str
    core: bool
    bits: int | None = None
    unsigned: bool = False
    autoincrement: bool = False
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    values: tuple[str, ...] = field(default_factory=tuple)
    codec_name: str | None = None
    store: str | None = None
    native_name: str | None = None  # the native base keyword (lower case), e.g. "timestamp"

    # ``attribute.type`` reads as the declared type string, as user code expects
    # (``attr.type == "<blob>"``, ``attr.type.startswith("varchar")``, ``print(attr.type)``)
    def __str__(self) -> str:
        return self.declared

    def __repr__(self) -> str:
        return repr(self.declared)

    def __format__(self, spec: str) -> str:
        return format(self.declared, spec)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return self.declared == other
        if isinstance(other, TypeSpec):  # (equal specs have equal declared types: a shortcut)
            return self is other or (
                self.declared == other.declared and self._fields() == other._fields()
            )
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.declared)

    def __contains__(self, text: str) -> bool:
        return text in self.declared

    def _fields(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f.name) for f in fields(self))

    def startswith(self, prefix: str | tuple[str, ...]) -> bool:
        return self.declared.startswith(prefix)

    def endswith(self, suffix: str | tuple[str, ...]) -> bool:
        return self.declared.endswith(suffix)

    def lower(self) -> str:
        return self.declared.lower()

    def upper(self) -> str:
        return self.declared.upper()

    def split(self, sep: str | None = None, maxsplit: int = -1) -> list[str]:
        return self.declared.split(sep, maxsplit)

    @property
    def is_codec(self) -> bool:
        return self.kind == CODEC

    @property
    def is_store(self) -> bool:
        return self.store is not None

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS or self.kind == BOOL

    @property
    def string(self) -> bool:
        return self.kind in STRING_KINDS

    @property
    def is_blob(self) -> bool:
        return self.kind in BLOB_KINDS

    @property
    def int_range(self) -> tuple[int, int] | None:
        """The smallest and largest value of an integer type (None for other kinds)."""
        if self.kind != INT or self.bits is None:
            return None
        if self.unsigned:
            return 0, 2**self.bits - 1
        return -(2 ** (self.bits - 1)), 2 ** (self.bits - 1) - 1

    @property
    def binary_or_json(self) -> bool:
        """Storage is binary or JSON: only NULL defaults, never in a primary key."""
        return self.kind in (BYTES, JSON, CODEC)


def parse_enum_values(text: str) -> tuple[str, ...]:
    """Split the quoted, comma-separated members of ``enum(...)``."""
    values = []
    for m in re.finditer(_Q, text):
        raw = m.group(0)
        quote = raw[0]
        inner = raw[1:-1]
        if quote == "'":
            inner = inner.replace("''", "'")
        inner = re.sub(r"\\(.)", r"\1", inner)
        values.append(inner)
    return tuple(values)


def parse_type(declared: str) -> TypeSpec:
    """Classify a declared type string (spec 02 §2).

    Raises
    ------
    DeclarationError
        ``Unsupported attribute type`` when no pattern matches.
    """
    text = declared.strip()
    for name, pattern in _PATTERNS:
        m = pattern.match(text)
        if m:
            return _build(name, m, text)
    m = _LEGACY_MARKERS.match(text)
    if m:
        return TypeSpec(text, INT, True, bits=24, unsigned=bool(m.group(1)))
    raise DeclarationError(f"Unsupported attribute type {text!r}")


def _build(name: str, m: re.Match[str], text: str) -> TypeSpec:
    if name == "float_core":
        return TypeSpec(text, FLOAT, True, bits=int(m.group(1)))
    if name == "int_core":
        return TypeSpec(text, INT, True, bits=int(m.group(1)))
    if name == "uint_core":
        return TypeSpec(text, INT, True, bits=int(m.group(1)), unsigned=True)
    if name in ("bool", "uuid", "json", "bytes", "date"):
        kind = {"bool": BOOL, "uuid": UUID, "json": JSON, "bytes": BYTES, "date": DATE}[name]
        return TypeSpec(text, kind, True)
    if name == "datetime":
        precision = int(m.group(1)) if m.group(1) is not None else None
        if precision is not None and precision > 6:
            raise DeclarationError(f"Unsupported attribute type {text!r}: precision is 0..6")
        return TypeSpec(text, DATETIME, True, precision=precision)
    if name == "string_core":
        kind = CHAR if m.group(1).lower() == "char" else VARCHAR
        if int(m.group(2)) < 1:
            raise DeclarationError(f"Unsupported attribute type {text!r}: the length must be >= 1")
        return TypeSpec(text, kind, True, length=int(m.group(2)))
    if name == "enum":
        return TypeSpec(text, ENUM, True, values=parse_enum_values(m.group(1)))
    if name == "decimal":
        precision, scale = int(m.group(1)), int(m.group(2))
        if precision < 1 or scale > precision:
            raise DeclarationError(
                f"Unsupported attribute type {text!r}: decimal(p, s) needs 1 <= p and s <= p"
            )
        return TypeSpec(text, DECIMAL, True, precision=precision, scale=scale)
    if name == "int_native":
        if m.group(4):
            return TypeSpec(text, INT, False, bits=64, autoincrement=True, native_name="serial")
        base = m.group(1).lower()
        return TypeSpec(
            text,
            INT,
            False,
            bits=NATIVE_INT_BITS[base],
            unsigned=bool(m.group(2)),
            autoincrement=bool(m.group(3)),
            native_name=base,
        )
    if name == "numeric_native":
        p = int(m.group(1)) if m.group(1) else None
        s = int(m.group(2)) if m.group(2) else (0 if p is not None else None)
        return TypeSpec(text, DECIMAL, False, precision=p, scale=s, native_name="numeric")
    if name == "float_native":
        base = m.group(1).lower()
        return TypeSpec(text, FLOAT, False, bits=32 if base == "float" else 64, native_name=base)
    if name == "string_native":
        base = m.group(1).lower()
        return TypeSpec(text, CHAR if base == "char" else VARCHAR, False, native_name=base)
    if name == "temporal_native":
        base = m.group(1).lower()
        kind = {"time": TIME, "timestamp": DATETIME, "year": YEAR}[base]
        precision = int(m.group(2)) if m.group(2) else None
        return TypeSpec(text, kind, False, precision=precision, native_name=base)
    if name == "blob_native":
        return TypeSpec(text, BYTES, False, native_name=m.group(1).lower())
    if name == "text_native":
        return TypeSpec(text, TEXT, False, native_name=m.group(1).lower())
    if name == "codec":
        store = m.group(2)
        if store is None and "@" in text:
            store = ""
        return TypeSpec(text, CODEC, True, codec_name=m.group(1), store=store)
    raise AssertionError(name)  # pragma: no cover


def parse_codec_spec(spec: str) -> tuple[str, str | None]:
    """``"<blob@cold>"`` → ``("blob", "cold")``; ``"blob"`` → ``("blob", None)``."""
    text = spec.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    if "@" in text:
        name, store = text.split("@", 1)
        return name.strip(), store.strip()
    return text, None


# ---------------------------------------------------------------------------- Python values

USE_DEFAULT = object()  # a value that makes the column take its default (SQL DEFAULT)

#: the one form of a server-time default that reaches DDL unquoted (spec 01 §3.2)
CURRENT_TIMESTAMP_DEFAULT = re.compile(r"CURRENT_TIMESTAMP(?:\(\s*([0-6]?)\s*\))?", re.I)


def is_server_time_default(text: str | None) -> bool:
    """Whether a declared default names the server time (``CURRENT_TIMESTAMP[(p)]``)."""
    return text is not None and text.split("(", 1)[0].strip().upper() == "CURRENT_TIMESTAMP"


def _is_nan(value: object) -> bool:
    if isinstance(value, decimal.Decimal):
        return value.is_nan()  # quiet and signaling NaN (comparing a signaling NaN raises)
    try:
        return value != value
    except Exception:
        return False


def to_core_value(spec: TypeSpec, value: object, name: str) -> object:
    """Normalize a Python value for an attribute of type ``spec`` (spec 04 §2.4).

    Returns :data:`USE_DEFAULT` for ``None`` (and ``""``/NaN in numeric attributes); otherwise
    the value as the Python type of its kind (UUID, bool, int, Decimal, serialized JSON text…).
    """
    kind = spec.kind
    if value is None:
        return USE_DEFAULT
    if isinstance(value, np.generic) and kind != JSON and not isinstance(value, np.datetime64):
        value = value.item()  # datetime64 is converted below: .item() of ns units is an int
    if kind in (INT, FLOAT, DECIMAL, YEAR):
        given = value
        if isinstance(value, str):
            text = value.strip()
            if text == "":
                return USE_DEFAULT
            try:
                value = float(text) if kind == FLOAT else decimal.Decimal(text)
            except (ValueError, decimal.InvalidOperation):
                raise ValueConversionError(
                    f"Attribute `{name}` ({spec.declared}) cannot take the value {value!r}: "
                    "not a number."
                ) from None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, (float, decimal.Decimal)) and _is_nan(value):
            return USE_DEFAULT
        if kind in (INT, YEAR) and isinstance(value, (float, decimal.Decimal)):
            if not math.isfinite(value) or value != int(value):
                raise ValueConversionError(
                    f"Attribute `{name}` ({spec.declared}) needs an integer, got {given!r}."
                )
            value = int(value)
        if (
            kind == DECIMAL
            and isinstance(value, (float, decimal.Decimal))
            and not math.isfinite(value)
        ):
            raise ValueConversionError(
                f"Attribute `{name}` ({spec.declared}) cannot take {given!r}: a decimal "
                "holds finite numbers only. Store None (NULL), or use a float64 attribute "
                "for infinite values."
            )
        if isinstance(value, decimal.Decimal) and kind == FLOAT:
            value = float(value)
        if kind == FLOAT and spec.bits == 32 and isinstance(value, (int, float)):
            value = _to_float32(value, spec, name)
        if kind == DECIMAL:
            if isinstance(value, float):
                return decimal.Decimal(repr(value))
            if isinstance(value, (int, decimal.Decimal)):
                return decimal.Decimal(value)
        if not isinstance(value, (int, float, decimal.Decimal)):
            raise ValueConversionError(
                f"Attribute `{name}` ({spec.declared}) cannot take a value of type "
                f"{type(value).__name__}."
            )
        return value
    if kind == BOOL:
        if isinstance(value, str):
            text = value.strip().lower()
            if text in ("1", "true"):
                return True
            if text in ("0", "false"):
                return False
            raise ValueConversionError(f"Attribute `{name}` (bool) cannot take {value!r}.")
        if isinstance(value, float) and _is_nan(value):
            return USE_DEFAULT
        if not isinstance(value, (bool, int, float)):
            raise ValueConversionError(
                f"Attribute `{name}` (bool) cannot take a value of type {type(value).__name__}."
            )
        return bool(value)
    if kind == UUID:
        if isinstance(value, uuid.UUID):
            return value
        try:
            if isinstance(value, (bytes, bytearray)) and len(value) == 16:
                return uuid.UUID(bytes=bytes(value))
            return uuid.UUID(str(value))
        except (ValueError, TypeError):
            raise ValueConversionError(
                f"badly formed UUID {value!r} for attribute `{name}`"
            ) from None
    if kind == JSON:
        try:
            text = json.dumps(value, default=_json_default, allow_nan=False)
        except ValueError:
            raise SerializationError(
                f"Attribute `{name}` (json) cannot store {value!r}: NaN and infinity are not "
                "JSON numbers. Replace them with None (null) or a string first."
            ) from None
        except TypeError as exc:
            raise SerializationError(
                f"Attribute `{name}` (json) cannot store the value: {exc}"
            ) from None
        if "\\ud" in text and _LONE_SURROGATE_ESCAPE.search(text):
            raise SerializationError(
                f"Attribute `{name}` (json) cannot store {value!r:.80}: a string in it holds a "
                "lone surrogate, which is not valid Unicode (often bytes decoded with "
                "errors='surrogateescape'). Repair the text first."
            )
        return text
    if kind == BYTES:
        if isinstance(value, (bytearray, memoryview)):
            return bytes(value)
        if spec.core and not isinstance(value, bytes):
            raise ValueConversionError(
                f"Attribute `{name}` (bytes) takes bytes, bytearray or memoryview, not "
                f"{type(value).__name__}; encode text first or use a <blob> attribute."
            )
        return value
    if kind == DATE:
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, str):
            try:
                text = value.strip()
                if len(text) > 10:  # a datetime string: keep its date
                    return datetime.datetime.fromisoformat(text).date()
                return datetime.date.fromisoformat(text)
            except ValueError:
                raise ValueConversionError(
                    f"Attribute `{name}` (date) cannot take {value!r}: use a datetime.date or "
                    "an ISO date string such as '2024-01-31'."
                ) from None
        if isinstance(value, np.datetime64):
            return value.astype("datetime64[D]").item()
        if not isinstance(value, datetime.date):
            raise ValueConversionError(
                f"Attribute `{name}` (date) cannot take a value of type {type(value).__name__}: "
                "use a datetime.date or an ISO date string such as '2024-01-31'."
            )
        return value
    if kind == DATETIME:
        if isinstance(value, str):
            try:
                value = datetime.datetime.fromisoformat(value.strip())
            except ValueError:
                raise ValueConversionError(
                    f"Attribute `{name}` ({spec.declared}) cannot take {value!r}: use a "
                    "datetime.datetime or an ISO string such as '2024-01-31 12:00:00'."
                ) from None
        if isinstance(value, np.datetime64):
            value = value.astype("datetime64[us]").item()
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            return datetime.datetime(value.year, value.month, value.day)
        if isinstance(value, datetime.datetime):
            if value.tzinfo is not None:  # datetimes are stored as naive UTC (spec 02 §3.1)
                value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
            return round_datetime(value, spec.precision or 0)
        if spec.core:
            raise ValueConversionError(
                f"Attribute `{name}` ({spec.declared}) cannot take a value of type "
                f"{type(value).__name__}: use a datetime.datetime or an ISO string."
            )
        return value
    if kind in (CHAR, VARCHAR, TEXT, ENUM) and not isinstance(value, str):
        if isinstance(value, _NOT_TEXT):
            raise ValueConversionError(
                f"Attribute `{name}` ({spec.declared}) takes text, not {type(value).__name__}; "
                "use a json or <blob> attribute for structured values."
            )
        if isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool):
            value = str(value)  # the same text on every backend
        else:
            raise ValueConversionError(
                f"Attribute `{name}` ({spec.declared}) takes text, not "
                f"{type(value).__name__} ({value!r:.60}): convert the value to a string first "
                "(str(value), value.isoformat(), …)."
            )
    if kind == ENUM and spec.values and value not in spec.values:
        raise ValueConversionError(
            f"Attribute `{name}` cannot take {value!r}: the members of {spec.declared} are "
            f"{', '.join(repr(v) for v in spec.values)} (case-sensitive)."
        )
    return value


_NOT_TEXT = (dict, list, tuple, set, bytes, bytearray, memoryview)
# a \\uXXXX escape of a high surrogate without its low half, or a low one without its high half
_LONE_SURROGATE_ESCAPE = re.compile(
    r"\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}"
)


def is_plain_value(spec: TypeSpec, value: Any) -> bool:
    """Whether :func:`to_core_value` would return ``value`` unchanged (as in
    :func:`is_plain_column`), decided without normalizing it."""
    kind, given = spec.kind, type(value)
    if given is int:
        return kind in (INT, YEAR)
    if given is str:
        return kind in _TEXT_KINDS or (kind == ENUM and value in (spec.values or ()))
    if given is float:
        return kind == FLOAT and spec.bits != 32 and value == value
    if given is bool:
        return kind == BOOL
    return False


_TEXT_KINDS = (CHAR, VARCHAR, TEXT)


def is_plain_column(spec: TypeSpec, values: list[Any]) -> bool:
    """Whether :func:`to_core_value` would return every value of the column unchanged.

    Lets a bulk insert skip the per-value normalization for the common case: Python ints in an
    integer attribute, finite (non-NaN) floats in a float64 attribute, str in a text attribute.
    """
    kind = spec.kind
    types = set(map(type, values))  # one pass in C
    if kind in (INT, YEAR):
        return types <= {int}
    if kind == FLOAT:
        if spec.bits == 32:
            return False  # values are narrowed to float32 (also the native 32-bit float)
        # NaN propagates through a sum: a sum that is a number rules every NaN out at once
        return types <= {float} and (
            not math.isnan(sum(values)) or not any(map(math.isnan, values))
        )
    if kind in (CHAR, VARCHAR, TEXT):
        return types <= {str}
    if kind == ENUM:
        return types <= {str} and set(values) <= set(spec.values or ())
    return False


def round_datetime(value: datetime.datetime, precision: int) -> datetime.datetime:
    """``value`` rounded (half up) to ``precision`` fractional digits of a second.

    Every backend then stores the same value: MySQL rounds, MariaDB truncates, PostgreSQL's
    ``timestamp`` keeps microseconds and SQLite stores text.
    """
    quantum = 10 ** (6 - max(0, min(precision, 6)))
    remainder = value.microsecond % quantum
    if remainder == 0:
        return value
    value = value - datetime.timedelta(microseconds=remainder)
    if 2 * remainder >= quantum:
        value = value + datetime.timedelta(microseconds=quantum)
    return value


def _to_float32(value: float, spec: TypeSpec, name: str) -> float:
    """The nearest binary32 value, widened back to a Python float (spec 02 §3.1)."""
    with np.errstate(over="ignore"):
        narrowed = float(np.float32(value))
    if narrowed in (float("inf"), float("-inf")) and abs(value) != float("inf"):
        raise ValueConversionError(
            f"Attribute `{name}` ({spec.declared}) cannot take {value!r}: out of the float32 "
            "range (about ±3.4e38). Use float64."
        )
    return narrowed


def _json_default(value: object) -> object:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
