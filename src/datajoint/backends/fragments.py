"""Dialect fixes for user SQL fragments parsed as MySQL (spec 03 §13.2).

sqlglot transpiles most MySQL functions; these transforms cover what it leaves invalid or
semantically different on PostgreSQL and SQLite.
"""

from __future__ import annotations

from collections.abc import Callable

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


def _sqlite(node: exp.Expression) -> exp.Expression:
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
