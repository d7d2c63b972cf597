"""Dialect fixes for user SQL fragments parsed as MySQL (spec 03 §13.2).

sqlglot transpiles most MySQL functions; these transforms cover what it leaves invalid or
semantically different on PostgreSQL and SQLite.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlglot
from sqlglot import exp

_UNITS = {exp.Year: "YEAR", exp.Month: "MONTH", exp.Day: "DAY"}
_STRFTIME = {exp.Year: "%Y", exp.Month: "%m", exp.Day: "%d"}
_PREDICATES = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Like, exp.Is, exp.In)


def _int(node: exp.Expression) -> exp.Expression:
    return exp.Cast(this=node, to=exp.DataType.build("int"))


def _path_parts(path: exp.Expression) -> list[str]:
    return [str(p.this) for p in path.expressions if not isinstance(p, exp.JSONPathRoot)]


def _json_value(node: exp.JSONValue, extract: str) -> exp.Expression:
    parts = _path_parts(node.args["path"])
    if extract == "jsonb_extract_path_text":
        args = [node.this, *(exp.Literal.string(p) for p in parts)]
    else:
        path = "$" + "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in parts)
        args = [node.this, exp.Literal.string(path)]
    value: exp.Expression = exp.Anonymous(this=extract, expressions=args)
    returning = node.args.get("returning")
    if isinstance(returning, exp.DataType):
        if returning.this in (exp.DataType.Type.CHAR, exp.DataType.Type.NCHAR):
            returning = exp.DataType.build("varchar")
        value = exp.Cast(this=value, to=returning)
    return value


def _timestamp(node: exp.Expression) -> exp.Expression:
    return exp.Cast(this=node, to=exp.DataType.build("timestamp"))


def _postgres(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.JSONValue):
        return _json_value(node, "jsonb_extract_path_text")
    if type(node) in _UNITS:
        part = exp.Extract(this=exp.var(_UNITS[type(node)]), expression=node.this)
        return _int(part)
    if isinstance(node, exp.GroupConcat):
        sep = node.args.get("separator") or exp.Literal.string(",")
        text = exp.Cast(this=node.this, to=exp.DataType.build("text"))
        return exp.Anonymous(this="STRING_AGG", expressions=[text, sep])
    if isinstance(node, exp.Sum | exp.Avg) and isinstance(node.this, _PREDICATES):
        return type(node)(this=_int(exp.paren(node.this)))
    if isinstance(node, exp.TimestampDiff):
        unit = str(node.args.get("unit") or "DAY").upper()
        end, start = node.this, node.expression
        if unit == "DAY":
            date = exp.DataType.build("date")
            return exp.paren(
                exp.Sub(this=exp.Cast(this=end, to=date), expression=exp.Cast(this=start, to=date))
            )
        age = exp.Anonymous(this="AGE", expressions=[_timestamp(end), _timestamp(start)])
        years = _int(exp.Extract(this=exp.var("YEAR"), expression=age))
        if unit == "MONTH":
            months = _int(exp.Extract(this=exp.var("MONTH"), expression=age.copy()))
            return exp.paren(
                exp.Add(
                    this=exp.Mul(this=years, expression=exp.Literal.number(12)), expression=months
                )
            )
        return years
    if isinstance(node, exp.Anonymous) and node.name.upper() == "NOW" and not node.expressions:
        return exp.CurrentTimestamp()
    return node


_SQLITE_UNITS = {"SECOND", "MINUTE", "HOUR", "DAY", "MONTH", "YEAR"}


def _sqlite_shift(value: exp.Expression, amount: exp.Expression, unit: str, sign: int):
    """``value ± INTERVAL amount unit`` as SQLite ``DATE``/``DATETIME`` with a modifier.

    A date (text of length 10) stays a date and a datetime a datetime, as in MySQL. Returns
    None when the amount is not a literal number or the unit is unknown.
    """
    unit = unit.upper()
    try:
        number = float(amount.this) if isinstance(amount, exp.Literal) else None
    except ValueError:
        number = None
    if number is None or unit not in _SQLITE_UNITS | {"WEEK"}:
        return None
    if unit == "WEEK":
        number, unit = number * 7, "DAY"
    text = f"{sign * number:+g} {unit.lower()}s"
    modifier = exp.Literal.string(text)
    is_date = exp.EQ(
        this=exp.Anonymous(this="LENGTH", expressions=[value]), expression=exp.Literal.number(10)
    )
    date = exp.Anonymous(this="DATE", expressions=[value.copy(), modifier])
    stamp = exp.Anonymous(this="DATETIME", expressions=[value.copy(), modifier.copy()])
    return exp.Case(ifs=[exp.If(this=is_date, true=date)], default=stamp)


def _sqlite_interval(node: exp.Expression) -> exp.Expression | None:
    """MySQL interval arithmetic (``d - interval 30 day``, ``DATE_ADD``) for SQLite."""
    if isinstance(node, exp.DateAdd | exp.DateSub):
        sign = 1 if isinstance(node, exp.DateAdd) else -1
        unit = str(node.args.get("unit") or "DAY")
        return _sqlite_shift(node.this, node.expression, unit, sign)
    if isinstance(node, exp.Add | exp.Sub):
        left, right = node.this, node.expression
        if isinstance(left, exp.Interval) and isinstance(node, exp.Add):
            left, right = right, left
        if isinstance(right, exp.Interval) and not isinstance(left, exp.Interval):
            sign = 1 if isinstance(node, exp.Add) else -1
            unit = str(right.args.get("unit") or "DAY")
            return _sqlite_shift(left, right.this, unit, sign)
    return None


_SQLITE_MONTHS = (
    "(CAST(STRFTIME('%Y', {b}) AS INT) - CAST(STRFTIME('%Y', {a}) AS INT)) * 12"
    " + CAST(STRFTIME('%m', {b}) AS INT) - CAST(STRFTIME('%m', {a}) AS INT)"
    " - (CASE WHEN STRFTIME('%d%H%M%f', {b}) < STRFTIME('%d%H%M%f', {a}) THEN 1 ELSE 0 END)"
)


def _sqlite_months(start: exp.Expression, end: exp.Expression) -> exp.Expression:
    """Whole months from ``start`` to ``end``, truncated toward zero (MySQL TIMESTAMPDIFF)."""
    forward = _SQLITE_MONTHS.format(a="__dj_a", b="__dj_b")
    backward = _SQLITE_MONTHS.format(a="__dj_b", b="__dj_a")
    template = f"CASE WHEN __dj_b >= __dj_a THEN {forward} ELSE -({backward}) END"
    tree = sqlglot.parse_one(template, read="sqlite")

    def put(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and node.name in ("__dj_a", "__dj_b"):
            return (start if node.name == "__dj_a" else end).copy()
        return node

    return exp.paren(tree.transform(put), copy=False)


def _sqlite(node: exp.Expression) -> exp.Expression:
    shifted = _sqlite_interval(node)
    if shifted is not None:
        return shifted
    if isinstance(node, exp.Left | exp.Right):  # SQLite has SUBSTR only
        n = node.expression
        start = exp.Literal.number(1) if isinstance(node, exp.Left) else exp.Neg(this=n.copy())
        return exp.Anonymous(this="SUBSTR", expressions=[node.this, start, n])
    if isinstance(node, exp.TimestampDiff):
        unit = str(node.args.get("unit") or "DAY").upper()
        if unit in ("MONTH", "YEAR"):
            months = _sqlite_months(node.expression, node.this)
            if unit == "MONTH":
                return months
            return _int(exp.paren(exp.Div(this=months, expression=exp.Literal.number(12))))
    if isinstance(node, exp.JSONValue):
        return _json_value(node, "json_extract")
    if type(node) in _STRFTIME:
        inner = node.this.this if isinstance(node.this, exp.TsOrDsToDate) else node.this
        fmt = exp.Literal.string(_STRFTIME[type(node)])
        return _int(exp.Anonymous(this="STRFTIME", expressions=[fmt, inner]))
    if isinstance(node, exp.Anonymous) and node.name.upper() == "NOW" and not node.expressions:
        return exp.CurrentTimestamp()
    if isinstance(node, exp.TimestampDiff) and str(node.args.get("unit")).upper() == "DAY":
        days = exp.Sub(
            this=exp.Anonymous(this="JULIANDAY", expressions=[node.this]),
            expression=exp.Anonymous(this="JULIANDAY", expressions=[node.expression]),
        )
        return _int(exp.paren(days))
    return node


def _mysql(node: exp.Expression) -> exp.Expression:
    # MariaDB's json_value has no RETURNING clause; CAST works on MySQL and MariaDB
    returning = node.args.get("returning") if isinstance(node, exp.JSONValue) else None
    if isinstance(returning, exp.DataType):
        plain = exp.JSONValue(this=node.this, path=node.args["path"])
        return exp.Cast(this=plain, to=returning)
    return node


def json_document_equals(backend: Any, attribute: str, path: str, value: exp.Expression):
    """``attribute.path`` equals the JSON document ``value`` (a JSON text parameter).

    Compared as JSON, not as text, where the backend can (spec 03 §3.3): PostgreSQL ``jsonb``
    equality and MariaDB ``JSON_EQUALS`` ignore key order; SQLite compares minified text.
    """
    column = backend.quote(attribute)
    if backend.name == "postgresql":
        elements = ", ".join(backend.quote_string(p) for p in backend.json_path_elements(path))
        left = exp.Var(this=f"jsonb_extract_path({column}, {elements})")
        return exp.EQ(this=left, expression=exp.Cast(this=value, to=exp.DataType.build("jsonb")))
    text = backend.quote_string(backend.json_path_text(path))
    left = exp.Var(this=f"json_extract({column}, {text})")
    if backend.name == "sqlite":
        return exp.EQ(this=left, expression=exp.Anonymous(this="json", expressions=[value]))
    if getattr(backend, "is_mariadb", False):  # `= 1`: MariaDB's WHERE takes NULL as true
        equals = exp.Anonymous(this="JSON_EQUALS", expressions=[left, value])
        return exp.EQ(this=equals, expression=exp.Literal.number(1))
    return exp.EQ(this=left, expression=exp.Cast(this=value, to=exp.DataType.build("json")))


def json_bool_equals(backend: Any, attribute: str, path: str, value: bool):
    """``attribute.path`` is the JSON boolean ``value``, where text equality with
    ``'true'``/``'false'`` does not work (SQLite and MariaDB extract booleans as 1/0);
    None elsewhere."""
    column = backend.quote(attribute)
    text = backend.quote_string(backend.json_path_text(path))
    word = exp.Literal.string("true" if value else "false")
    if backend.name == "sqlite":
        return exp.EQ(this=exp.Var(this=f"json_type({column}, {text})"), expression=word)
    if getattr(backend, "is_mariadb", False):
        return exp.EQ(this=exp.Var(this=f"json_extract({column}, {text})"), expression=word)
    return None


_ADAPTERS: dict[str, Callable[[exp.Expression], exp.Expression]] = {
    "mysql": _mysql,
    "postgresql": _postgres,
    "sqlite": _sqlite,
}


def _boolean_literals(booleans: frozenset[str]) -> Callable[[exp.Expression], exp.Expression]:
    """``flag = 1`` → ``flag = TRUE`` for boolean columns (PostgreSQL has no bool = int)."""

    def fix(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.EQ | exp.NEQ):
            left, right = node.this, node.expression
            if isinstance(right, exp.Column) and isinstance(left, exp.Literal):
                left, right = right, left
            if (
                isinstance(left, exp.Column)
                and left.name in booleans
                and isinstance(right, exp.Literal)
                and not right.is_string
                and right.this in ("0", "1")
            ):
                return type(node)(this=left, expression=exp.Boolean(this=right.this == "1"))
        return node

    return fix


def adapt(
    backend_name: str, tree: exp.Expression, booleans: frozenset[str] = frozenset()
) -> exp.Expression:
    """``tree`` (parsed as MySQL) made valid for ``backend_name``."""
    if backend_name == "postgresql" and booleans:
        tree = tree.transform(_boolean_literals(booleans), copy=False)
    fix = _ADAPTERS.get(backend_name)
    return tree if fix is None else tree.transform(fix, copy=False)
