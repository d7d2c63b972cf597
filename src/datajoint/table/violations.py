"""Failed inserts and updates explained in sentences, the same on every backend.

The database reports a violated constraint in its own words: a driver tuple, SQLite's CHECK
expression, MySQL's "at row 1". When a statement fails, the rows it sent are examined here to
name the table, the attribute, the offending value and what to do. Only the error path does
this work: the rows are checked in Python, and the database is asked which keys or referenced
rows exist when the connection can still answer.
"""

from __future__ import annotations

import datetime
import decimal
import re
import uuid
from collections.abc import Sequence
from typing import Any

from ..dependencies import node_name
from ..errors import (
    DataJointError,
    DuplicateError,
    IntegrityError,
    MissingAttributeError,
    ValueConversionError,
)
from ..heading import Attribute, Heading
from ..types import CHAR, DECIMAL, USE_DEFAULT, VARCHAR, to_core_value
from .cascade import display_name, table_node

SKIP_HINT = "To ignore duplicate entries, use skip_duplicates=True."
_SHOWN = 40  # characters of a text value quoted in a message
_SURROGATE = re.compile("[\ud800-\udfff]")


def explain(
    exc: DataJointError,
    table: Any,
    fields: Sequence[str],
    rows: Sequence[dict[str, Any]],
    hint: str = "",
    action: str = "insert into",
) -> DataJointError:
    """The error to raise instead of ``exc``, a constraint error of a statement that wrote
    ``rows`` (values of ``fields``) to ``table``; other errors come back unchanged.

    ``hint`` ends the message; ``action`` names the statement (``"insert into"``, ``"update"``).
    """
    kinds = (DuplicateError, MissingAttributeError, ValueConversionError, IntegrityError)
    if not isinstance(exc, kinds):
        return exc
    name = display_name(table_node(table))
    try:
        if isinstance(exc, DuplicateError):
            text = _duplicate(table, name, fields, rows, action == "update")
        elif isinstance(exc, MissingAttributeError):
            text = _missing(table.heading, name, fields, rows)
        elif isinstance(exc, ValueConversionError):
            holds_nul = table.connection.adapter.text_holds_nul
            text = _bad_value(table.heading, name, fields, rows, holds_nul)
        else:
            text = _missing_parent(table, name, fields, rows, action)
    except DataJointError:  # the database could not answer: fall back to its own message
        text = None
    if text is None:  # which row or reference failed is not known: quote the database
        text = f"{_FALLBACK[type(exc)].format(table=name, action=action)} ({_server(exc)})."
    return type(exc)(f"{text} {hint}".strip())


_FALLBACK: dict[type, str] = {
    DuplicateError: "Duplicate entry in table {table}: an inserted row repeats an existing "
    "primary key or unique value",
    MissingAttributeError: "Missing value in table {table}: an attribute without default got "
    "no value",
    ValueConversionError: "A value does not fit its attribute in table {table}",
    IntegrityError: "Cannot {action} table {table}: a row references a row that does not exist",
}


def _server(exc: BaseException) -> str:
    """The database's own message, on one line."""
    text = " ".join(str(a) for a in exc.args)
    return "the database reports: " + (" ".join(text.split()) or type(exc).__name__)


def in_context(
    exc: DataJointError, table: Any, fields: Sequence[str], rows: Sequence[dict[str, Any]]
) -> DataJointError:
    """``exc``, raised while converting ``rows`` for ``table``, with the table and the row."""
    heading = table.heading
    where = f"table {display_name(table_node(table))}"
    for index, row in enumerate(rows):
        for name in fields:
            attr = heading[name]
            if attr.codec is not None:
                continue
            try:
                to_core_value(attr.type, row[name], name)
            except (DataJointError, TypeError, ValueError):
                where += f", {_which(heading, fields, row, index, name)}"
                return type(exc)(f"{str(exc).rstrip('.')} ({where}).")
    return type(exc)(f"{str(exc).rstrip('.')} ({where}).")


# ---------------------------------------------------------------------------- values
def show(value: Any) -> str:
    """A value as quoted in messages (long text shortened)."""
    if isinstance(value, str):
        return repr(value if len(value) <= _SHOWN else value[:_SHOWN] + "…")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(value)} bytes>"
    if isinstance(value, (datetime.date, datetime.time, uuid.UUID)):
        return repr(str(value))
    if isinstance(value, decimal.Decimal):
        return str(value)
    return repr(value)


def assignments(names: Sequence[str], values: Sequence[Any]) -> str:
    """``mouse_id=1, session=2``."""
    return ", ".join(f"{n}={show(v)}" for n, v in zip(names, values, strict=True))


def _core(attr: Attribute, value: Any) -> Any:
    """``value`` as the insert sends it (None for NULL/default); raw when it cannot convert."""
    if attr.codec is not None or value is None:
        return value
    try:
        core = to_core_value(attr.type, value, attr.name)
    except (DataJointError, TypeError, ValueError):
        return value
    return None if core is USE_DEFAULT else core


def _which(
    heading: Heading, fields: Sequence[str], row: dict[str, Any], index: int, culprit: str = ""
) -> str:
    """How a message points at a row: by its primary key when the row gives it (and the
    offending attribute ``culprit`` is not part of it)."""
    key = heading.primary_key
    if key and culprit not in key and all(k in fields and row[k] is not None for k in key):
        return f"the row with {assignments(key, [row[k] for k in key])}"
    return f"row {index}"


def _existing(table: Any, node: str, wanted: list[dict[str, Any]], limit: int | None) -> Any:
    """Rows of table ``node`` matching any of ``wanted``; None when the database cannot answer
    (e.g. the failure ended the transaction)."""
    try:
        found = table._sibling(node).restrict(wanted, semantic_check=False)
        return found.to_dicts(limit=limit)
    except DataJointError:
        return None


# ---------------------------------------------------------------------------- duplicates
def _key_sets(heading: Heading) -> list[tuple[str, list[str]]]:
    """The primary key and the unique indexes on plain attributes, with their labels."""
    sets = [("primary key", heading.primary_key)] if heading.primary_key else []
    for index in heading.indexes:
        if index.unique and all(p in heading.attributes for p in index.parts):
            sets.append((f"unique index on {', '.join(index.parts)}", list(index.parts)))
    return sets


def _duplicate(
    table: Any, name: str, fields: Sequence[str], rows: Sequence[dict[str, Any]], updating: bool
) -> str | None:
    heading = table.heading
    given = [(label, cols) for label, cols in _key_sets(heading) if set(cols) <= set(fields)]
    key = heading.primary_key
    if updating:  # an update keeps its key: only a unique index can collide, with another row
        given = [(label, cols) for label, cols in given if cols != key]
    for label, cols in given:
        seen: set[tuple[Any, ...]] = set()
        for row in rows:
            values = tuple(_core(heading[c], row[c]) for c in cols)
            if None in values:
                continue  # NULLs never collide
            if values in seen:
                return (
                    f"Duplicate entry in table {name}: the inserted rows give "
                    f"{assignments(cols, values)} ({label}) twice."
                )
            seen.add(values)
    for label, cols in given:
        wanted = [{c: _core(heading[c], row[c]) for c in cols} for row in rows]
        found = _existing(
            table, table_node(table), [w for w in wanted if None not in w.values()], 2
        )
        if found is None:
            break
        existing = [
            r
            for r in found
            if not (updating and all(r[k] == _core(heading[k], rows[0][k]) for k in key))
        ]
        if existing:
            return _exists(name, label, cols, [existing[0][c] for c in cols])
    if len(given) == 1 and len(rows) == 1:  # a single row with a single key: that one collided
        label, cols = given[0]
        return _exists(name, label, cols, [_core(heading[c], rows[0][c]) for c in cols])
    return None


def _exists(name: str, label: str, cols: Sequence[str], values: Sequence[Any]) -> str:
    return (
        f"Duplicate entry in table {name}: a row with {assignments(cols, values)} ({label}) "
        "already exists."
    )


# ---------------------------------------------------------------------------- NOT NULL
def _missing(
    heading: Heading, name: str, fields: Sequence[str], rows: Sequence[dict[str, Any]]
) -> str | None:
    required = [
        a
        for a in heading.all_attributes
        if not (a.nullable or a.default is not None or a.autoincrement or a.is_hidden)
    ]
    for attr in required:
        if attr.name not in fields:
            return (
                f"Missing value for attribute `{attr.name}` ({attr.type_text}) of table {name}: "
                "it has no default and cannot be NULL, but the inserted rows do not give it. "
                f"Add `{attr.name}` to every row."
            )
    for index, row in enumerate(rows):
        for attr in required:
            value = row[attr.name]
            if _core(attr, value) is None:
                return (
                    f"Missing value for attribute `{attr.name}` ({attr.type_text}) of table "
                    f"{name}: it has no default and cannot be NULL, but "
                    f"{_which(heading, fields, row, index, attr.name)} gives {show(value)}. Give "
                    f"`{attr.name}` a value."
                )
    return None


# ---------------------------------------------------------------------------- bad values
def _value_problem(attr: Attribute, value: Any, holds_nul: bool = True) -> str | None:
    """Why the database refuses ``value`` for ``attr`` (its text, length or range), or None.

    ``holds_nul``: the backend's text columns can store the NUL character."""
    core = _core(attr, value)
    spec = attr.type
    if isinstance(core, str) and attr.codec is None:
        surrogate = _SURROGATE.search(core)
        if surrogate is not None:
            return (
                f"Text that is not valid Unicode for attribute `{attr.name}`: {show(value)} holds "
                f"the lone surrogate {surrogate.group()!r} (often bytes decoded with "
                "errors='surrogateescape'); repair it, e.g. "
                "text.encode('utf-8', 'replace').decode('utf-8')"
            )
        if not holds_nul and "\x00" in core:
            return (
                f"Text with a NUL character for attribute `{attr.name}`: {show(value)}; text "
                "columns of this database cannot store NUL, so remove it or use a bytes attribute"
            )
    length = spec.length if spec.kind in (CHAR, VARCHAR) else None
    if length is not None and isinstance(core, str) and len(core) > length:
        return (
            f"Value too long for attribute `{attr.name}` ({attr.type_text}): {show(value)} "
            f"has {len(core)} characters, at most {length} fit"
        )
    bounds = spec.int_range
    if bounds is not None and isinstance(core, int) and not bounds[0] <= core <= bounds[1]:
        return (
            f"Value out of range for attribute `{attr.name}` ({attr.type_text}): {show(value)} "
            f"is not between {bounds[0]} and {bounds[1]}"
        )
    if spec.kind == DECIMAL and spec.precision is not None and isinstance(core, decimal.Decimal):
        scale = spec.scale or 0
        limit = decimal.Decimal(10) ** (spec.precision - scale)
        rounded = core.quantize(decimal.Decimal(1).scaleb(-scale), decimal.ROUND_HALF_UP)
        if abs(rounded) >= limit:
            return (
                f"Value out of range for attribute `{attr.name}` ({attr.type_text}): "
                f"{show(value)} is not between -{limit} and {limit} (exclusive)"
            )
    return None


def _bad_value(
    heading: Heading,
    name: str,
    fields: Sequence[str],
    rows: Sequence[dict[str, Any]],
    holds_nul: bool = True,
) -> str | None:
    attrs = [heading[f] for f in fields]
    for index, row in enumerate(rows):
        for attr in attrs:
            problem = _value_problem(attr, row[attr.name], holds_nul)
            if problem is not None:
                return (
                    f"{problem} (table {name}, {_which(heading, fields, row, index, attr.name)}). "
                    "Use a value that fits, or change the attribute's type with alter()."
                )
    return None


# ---------------------------------------------------------------------------- foreign keys
def _missing_parent(
    table: Any, name: str, fields: Sequence[str], rows: Sequence[dict[str, Any]], action: str
) -> str | None:
    heading = table.heading
    candidates = [fk for fk in heading.foreign_keys if set(fk.columns) <= set(fields)]
    if not candidates:
        return None
    for fk in candidates:
        parent = node_name(*fk.parent)
        cols = list(fk.columns)
        wanted: dict[tuple[Any, ...], int] = {}
        for index, row in enumerate(rows):
            values = tuple(_core(heading[c], row[c]) for c in cols)
            if None not in values:
                wanted.setdefault(values, index)
        if not wanted:
            continue
        refs = list(fk.ref_columns)
        found = _existing(table, parent, [dict(zip(refs, v, strict=True)) for v in wanted], None)
        if found is not None:
            present = {tuple(r[c] for c in refs) for r in found}
            absent = [v for v in wanted if v not in present]
            if not absent:
                continue
            missing = absent[0]
        elif len(candidates) == 1 and len(wanted) == 1:
            missing = next(iter(wanted))
        else:
            return None  # which reference failed is not known
        index = wanted[missing]
        renamed = "" if not fk.renamed else f" (as {', '.join(fk.ref_columns)})"
        return (
            f"Cannot {action} table {name}: {_which(heading, fields, rows[index], index)} "
            f"references a row of {display_name(parent)} with "
            f"{assignments(cols, missing)}{renamed}, which does not exist. Insert that row "
            f"into {display_name(parent)} first."
        )
    return None
