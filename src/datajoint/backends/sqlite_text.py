"""Text that SQLite stores and reports: datetimes and times as stored, defaults and index parts
as the catalog reads them back, and the column names a derived table cannot have."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from .. import errors
from .._optional import lazy_module

if TYPE_CHECKING:
    from sqlglot import exp
else:  # sqlglot loads with the first query, not at import
    exp = lazy_module("sqlglot.expressions")


def check_derived_names(tree: Any) -> None:
    """Raise when a query reads a column named ``true`` or ``false`` from a derived table:
    SQLite never gives a derived table's column such a name (it becomes "columnN"), so the
    reference would fail, or silently read the boolean TRUE."""
    for select in tree.find_all(exp.Select):
        node = select.parent
        while isinstance(node, exp.SetOperation):
            node = node.parent
        if not (isinstance(node, exp.Subquery) and isinstance(node.parent, exp.From | exp.Join)):
            continue
        hidden = {n.lower() for n in select.named_selects} & {"true", "false"}
        outer = node.parent.parent if hidden else None
        if outer is None:
            continue
        inside = {id(c) for c in node.find_all(exp.Column)}
        used = [c.name for c in outer.find_all(exp.Column) if id(c) not in inside]
        for join in outer.args.get("joins") or []:
            used += [i.name for i in join.args.get("using") or []]
        for name in used:
            if name.lower() in hidden:
                raise errors.DataJointError(
                    f"This query reads the attribute `{name}` from a derived table, and "
                    f"SQLite cannot name a derived table's column `{name}`. Rename the "
                    f'attribute in the query, e.g. .proj(is_{name.lower()}="`{name}`"), '
                    "or in the table definition."
                )


def format_datetime(value: datetime.datetime | datetime.date, precision: int | None) -> str:
    if not isinstance(value, datetime.datetime):
        value = datetime.datetime(value.year, value.month, value.day)
    p = precision or 0
    if p == 0:
        if value.microsecond >= 500000:
            value = value + datetime.timedelta(microseconds=1000000 - value.microsecond)
        return value.replace(microsecond=0).strftime("%Y-%m-%d %H:%M:%S")
    text = value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return text[: len(text) - (6 - p)]


def format_timedelta(td: datetime.timedelta) -> str:
    total = int(td.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    h, rem = divmod(total, 3600)
    m, s = divmod(rem, 60)
    return f"{sign}{h:02d}:{m:02d}:{s:02d}"


def unquote_default(text: str | None) -> str | None:
    if text is None or text.upper() == "NULL":
        return None
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'")
    if text.lstrip("(").startswith("strftime("):
        return "CURRENT_TIMESTAMP(3)"
    return text


def index_parts(create_index_sql: str) -> list[str]:
    """The parts of ``CREATE INDEX … ON "t" (a, (expr))``: column names unquoted, expressions
    as written."""
    text = create_index_sql
    body = text[text.index("(", text.upper().index(" ON ")) + 1 : text.rindex(")")]
    parts, depth, current = [], 0, ""
    for ch in body:
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        depth += (ch == "(") - (ch == ")")
        current += ch
    parts.append(current.strip())
    return [p[1:-1].replace('""', '"') if p.startswith('"') else p for p in parts]
