"""Dialect fixes for user SQL fragments parsed as MySQL (spec 03 §13.2).

sqlglot transpiles most MySQL functions; these transforms cover what it leaves invalid or
semantically different on PostgreSQL and SQLite.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, cast

import sqlglot
from sqlglot import exp

from . import fragment_functions

_UNITS: dict[type[exp.Expression], str] = {exp.Year: "YEAR", exp.Month: "MONTH", exp.Day: "DAY"}
_STRFTIME: dict[type[exp.Expression], str] = {exp.Year: "%Y", exp.Month: "%m", exp.Day: "%d"}
_PREDICATES = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Like, exp.Is, exp.In)
_PARTS: dict[type[exp.Expression], str] = {
    exp.Hour: "HOUR",
    exp.Minute: "MINUTE",
    exp.Second: "SECOND",
    exp.Quarter: "QUARTER",
}
_PART_CODES = {
    "YEAR": "%Y",
    "MONTH": "%m",
    "DAY": "%d",
    "HOUR": "%H",
    "MINUTE": "%M",
    "SECOND": "%S",
}


def _date_part(node: exp.Expression) -> tuple[str, exp.Expression] | None:
    """``HOUR(x)``, ``DAYOFWEEK(x)``, ``EXTRACT(unit FROM x)``… → ``(unit, x)``."""
    if type(node) in _PARTS:
        return _PARTS[type(node)], node.this
    if isinstance(node, exp.DayOfWeek):
        return "DAYOFWEEK", node.this
    if isinstance(node, exp.Anonymous) and node.name.upper() == "WEEKDAY" and node.expressions:
        return "WEEKDAY", node.expressions[0]
    if isinstance(node, exp.Extract) and isinstance(node.this, exp.Var | exp.Identifier):
        return node.this.name.upper(), node.expression
    return None


def _postgres_part(unit: str, value: exp.Expression) -> exp.Expression | None:
    def extract(field: str) -> exp.Expression:
        return exp.Extract(this=exp.var(field), expression=value)

    if unit in ("HOUR", "MINUTE", "QUARTER"):
        return _int(extract(unit))
    if unit == "SECOND":
        return _int(exp.Floor(this=extract(unit)))
    if unit == "DAYOFWEEK":  # MySQL: 1 = Sunday … 7 = Saturday
        return exp.paren(exp.Add(this=_int(extract("DOW")), expression=exp.Literal.number(1)))
    if unit == "WEEKDAY":  # MySQL: 0 = Monday … 6 = Sunday
        return exp.paren(exp.Sub(this=_int(extract("ISODOW")), expression=exp.Literal.number(1)))
    return None


def _sqlite_part(unit: str, value: exp.Expression) -> exp.Expression | None:
    def code(fmt: str) -> exp.Expression:
        return _int(exp.Anonymous(this="STRFTIME", expressions=[exp.Literal.string(fmt), value]))

    if unit in _PART_CODES:
        return code(_PART_CODES[unit])
    if unit == "DAYOFWEEK":
        return exp.paren(exp.Add(this=code("%w"), expression=exp.Literal.number(1)))
    if unit == "WEEKDAY":
        shifted = exp.paren(exp.Add(this=code("%w"), expression=exp.Literal.number(6)))
        return exp.paren(exp.Mod(this=shifted, expression=exp.Literal.number(7)))
    if unit == "QUARTER":
        months = exp.paren(exp.Add(this=code("%m"), expression=exp.Literal.number(2)))
        return exp.paren(exp.Div(this=months, expression=exp.Literal.number(3), typed=True))
    return None


_INTEGER_TYPES = {exp.DataType.Type.BIGINT, exp.DataType.Type.UBIGINT, exp.DataType.Type.INT}


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


def _as_text(node: exp.Expression) -> exp.Expression:
    """The aggregated value of a GROUP_CONCAT cast to text (inside ORDER BY / DISTINCT)."""
    if isinstance(node, exp.Order):
        return exp.Order(this=_as_text(node.this), expressions=node.expressions)
    if isinstance(node, exp.Distinct):
        return exp.Distinct(expressions=[_as_text(e) for e in node.expressions])
    return exp.Cast(this=node, to=exp.DataType.build("text"))


def _timestamp(node: exp.Expression) -> exp.Expression:
    return exp.Cast(this=node, to=exp.DataType.build("timestamp"))


def _postgres(node: exp.Expression) -> exp.Expression:
    rewritten = fragment_functions.postgres(node)
    if rewritten is not None:
        return rewritten
    if isinstance(node, exp.Pad) and not isinstance(node.this, exp.Cast):  # MySQL pads numbers
        node.set("this", exp.Cast(this=node.this, to=exp.DataType.build("text")))
        return node
    fmt = node.args.get("format") if isinstance(node, exp.TimeToStr) else None
    if isinstance(fmt, exp.Literal) and "%p" in fmt.this:  # TO_CHAR's meridiem is AM/PM
        node.set("format", exp.Literal.string(fmt.this.replace("%p", "AM")))
    part = _date_part(node)
    if part is not None and not isinstance(node, exp.Extract):
        return _postgres_part(*part) or node
    if isinstance(node, exp.RegexpLike):  # MySQL matches numbers as text too
        text: exp.Expression = exp.Cast(this=node.this, to=exp.DataType.build("text"))
        return exp.RegexpLike(this=text, expression=node.expression)
    if isinstance(node, exp.JSONValue):
        return _json_value(node, "jsonb_extract_path_text")
    if type(node) in _UNITS:
        extracted = exp.Extract(this=exp.var(_UNITS[type(node)]), expression=node.this)
        return _int(extracted)
    if isinstance(node, exp.GroupConcat):
        sep = node.args.get("separator") or exp.Literal.string(",")
        inner = node.this
        if isinstance(inner, exp.Order) and isinstance(inner.this, exp.Distinct):
            # STRING_AGG(DISTINCT x::text ORDER BY x) is refused: aggregate x as an array
            values = exp.Anonymous(this="ARRAY_AGG", expressions=[inner])
            text = exp.Anonymous(this="ARRAY_TO_STRING", expressions=[values, sep])
            count = exp.Count(this=inner.this.expressions[0].copy())
            none = exp.EQ(this=count, expression=exp.Literal.number(0))
            return exp.Case(ifs=[exp.If(this=none, true=exp.Null())], default=text)
        if isinstance(inner, exp.Order | exp.Distinct):  # keep ORDER BY / DISTINCT
            return exp.GroupConcat(this=_as_text(inner), separator=sep)
        return exp.Anonymous(this="STRING_AGG", expressions=[_as_text(inner), sep])
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
    if _is_call(node, "UNIX_TIMESTAMP"):
        if not node.expressions:  # MySQL: whole seconds of now
            epoch = exp.Extract(this=exp.var("EPOCH"), expression=exp.CurrentTimestamp())
            return exp.Floor(this=epoch)
        return exp.Extract(this=exp.var("EPOCH"), expression=_timestamp(node.expressions[0]))
    return node


def _is_call(node: exp.Expression, name: str) -> bool:
    """Whether ``node`` is a call of a function sqlglot does not know, such as UNIX_TIMESTAMP."""
    return isinstance(node, exp.Anonymous) and node.name.upper() == name


_SQLITE_UNITS = {"SECOND", "MINUTE", "HOUR", "DAY", "MONTH", "YEAR"}


def _sqlite_shift(
    value: exp.Expression, amount: exp.Expression, unit: str, sign: int
) -> exp.Expression | None:
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


_MONTHS = "January February March April May June July August September October November December"
_DAYS = "Sunday Monday Tuesday Wednesday Thursday Friday Saturday"
_SQLITE_CODES = set("dfHjJmMsSwY%")  # what SQLite's STRFTIME formats itself


def _sqlite_time_part(code: str, value: exp.Expression) -> exp.Expression:
    """One strftime code SQLite lacks (names, unpadded numbers, 12-hour clock) as SQL."""

    def native(fmt: str) -> exp.Expression:
        return exp.Anonymous(this="STRFTIME", expressions=[exp.Literal.string(fmt), value.copy()])

    def names(fmt: str, words: str, size: int | None, base: int) -> exp.Expression:
        ifs = [
            exp.If(this=exp.Literal.number(i + base), true=exp.Literal.string(w[:size]))
            for i, w in enumerate(words.split())
        ]
        return exp.Case(this=_int(native(fmt)), ifs=ifs)

    hour = _int(native("%H"))
    if code in ("b", "B"):
        return names("%m", _MONTHS, 3 if code == "b" else None, 1)
    if code in ("a", "A"):
        return names("%w", _DAYS, 3 if code == "a" else None, 0)
    if code.startswith("-"):
        return exp.Cast(this=_int(native("%" + code[1:])), to=exp.DataType.build("text"))
    if code == "y":
        return exp.Substring(this=native("%Y"), start=exp.Literal.number(3))
    if code == "p":
        am = exp.LT(this=hour, expression=exp.Literal.number(12))
        return exp.Case(ifs=[exp.If(this=am, true=exp.Literal.string("AM"))], default="'PM'")
    if code == "I":
        twelve = exp.Mod(
            this=exp.paren(exp.Add(this=hour, expression=exp.Literal.number(11))),
            expression=exp.Literal.number(12),
        )
        number = exp.Add(this=exp.paren(twelve), expression=exp.Literal.number(1))
        return exp.Anonymous(this="PRINTF", expressions=[exp.Literal.string("%02d"), number])
    return native("%" + code)


def _sqlite_time_to_str(node: exp.TimeToStr) -> exp.Expression | None:
    """``DATE_FORMAT``/``MONTHNAME`` with codes SQLite's STRFTIME does not know."""
    fmt = node.args.get("format")
    if not isinstance(fmt, exp.Literal) or not fmt.is_string:
        return None
    tokens = re.findall(r"%-?[A-Za-z%]|[^%]+|%", fmt.this)
    if all(t[0] != "%" or t[1:] in _SQLITE_CODES for t in tokens):
        return None  # sqlglot's STRFTIME rendering is right
    value = node.this
    pieces: list[exp.Expression] = []
    run = ""
    for token in tokens:
        if token[0] != "%" or token == "%" or token[1:] in _SQLITE_CODES:
            run += token
            continue
        if run:
            pieces.append(
                exp.Anonymous(this="STRFTIME", expressions=[exp.Literal.string(run), value.copy()])
            )
            run = ""
        pieces.append(_sqlite_time_part(token[1:], value))
    if run:
        pieces.append(
            exp.Anonymous(this="STRFTIME", expressions=[exp.Literal.string(run), value.copy()])
        )
    result = pieces[0]
    for piece in pieces[1:]:
        result = exp.DPipe(this=result, expression=piece)
    return exp.paren(result)


def _sqlite_pad(node: exp.Pad) -> exp.Expression:
    """MySQL ``LPAD``/``RPAD`` (SQLite has neither): pad to ``n`` characters or cut to ``n``."""
    value, n = node.this, node.expression
    fill = node.args.get("fill_pattern") or exp.Literal.string(" ")
    zeros = exp.Anonymous(this="HEX", expressions=[exp.Anonymous(this="ZEROBLOB", expressions=[n])])
    padding = exp.Anonymous(this="REPLACE", expressions=[zeros, exp.Literal.string("00"), fill])
    if node.args.get("is_left"):
        padded = exp.Substring(
            this=exp.DPipe(this=padding, expression=value.copy()),
            start=exp.Neg(this=n.copy()),
            length=n.copy(),
        )
    else:
        padded = exp.Substring(
            this=exp.DPipe(this=value.copy(), expression=padding),
            start=exp.Literal.number(1),
            length=n.copy(),
        )
    long = exp.GTE(this=exp.Length(this=value.copy()), expression=n.copy())
    cut = exp.Substring(this=value.copy(), start=exp.Literal.number(1), length=n.copy())
    return exp.Case(ifs=[exp.If(this=long, true=cut)], default=padded)


def _sqlite_concat_ws(node: exp.ConcatWs) -> exp.Expression:
    """MySQL ``CONCAT_WS(sep, a, …)``, which skips NULL arguments, for SQLite."""
    sep, *values = node.expressions
    parts = [
        exp.Coalesce(
            this=exp.DPipe(this=sep.copy(), expression=v), expressions=[exp.Literal.string("")]
        )
        for v in values
    ]
    joined: exp.Expression = parts[0]
    for part in parts[1:]:
        joined = exp.DPipe(this=joined, expression=part)
    start = exp.Add(this=exp.Length(this=sep.copy()), expression=exp.Literal.number(1))
    return exp.Substring(this=joined, start=start)


def _sqlite(node: exp.Expression) -> exp.Expression:
    rewritten = fragment_functions.sqlite(node)
    if rewritten is not None:
        return rewritten
    if isinstance(node, exp.Pad):
        return _sqlite_pad(node)
    if isinstance(node, exp.ConcatWs) and len(node.expressions) > 1:
        return _sqlite_concat_ws(node)
    if isinstance(node, exp.TimeToStr):
        text = _sqlite_time_to_str(node)
        if text is not None:
            return text
    if isinstance(node, exp.LastDay):
        modifiers = ["start of month", "+1 month", "-1 day"]
        args = [node.this, *(exp.Literal.string(m) for m in modifiers)]
        return exp.Anonymous(this="DATE", expressions=args)
    if isinstance(node, exp.Trunc) and isinstance(node.args.get("decimals"), exp.Literal):
        scale = exp.Literal.number(10 ** int(node.args["decimals"].this))
        scaled = _int(exp.Mul(this=node.this, expression=scale))  # CAST truncates toward 0
        return exp.paren(exp.Div(this=scaled, expression=scale.copy(), typed=False))
    shifted = _sqlite_interval(node)
    if shifted is not None:
        return shifted
    part = _date_part(node)
    if part is not None:
        return _sqlite_part(*part) or node
    if isinstance(node, exp.Cast) and node.to.this in _INTEGER_TYPES:
        # MySQL rounds when casting a fraction to an integer; SQLite truncates
        return exp.Cast(this=exp.Round(this=node.this), to=node.to)
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
    if _is_call(node, "UNIX_TIMESTAMP"):
        value = node.expressions[0] if node.expressions else exp.Literal.string("now")
        seconds = exp.Anonymous(this="STRFTIME", expressions=[exp.Literal.string("%s"), value])
        return _int(seconds)
    if isinstance(node, exp.UnixToTime) and not node.args.get("format"):
        return exp.Anonymous(
            this="DATETIME", expressions=[node.this, exp.Literal.string("unixepoch")]
        )
    if isinstance(node, exp.TimestampDiff) and str(node.args.get("unit")).upper() == "DAY":
        days = exp.Sub(
            this=exp.Anonymous(this="JULIANDAY", expressions=[node.this]),
            expression=exp.Anonymous(this="JULIANDAY", expressions=[node.expression]),
        )
        return _int(exp.paren(days))
    return node


def _mysql(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.RegexpLike):  # MariaDB has REGEXP but no REGEXP_LIKE()
        left, right = node.this.sql("mysql"), node.expression.sql("mysql")
        return exp.paren(exp.Var(this=f"{left} REGEXP {right}"))
    # MariaDB's json_value has no RETURNING clause; CAST works on MySQL and MariaDB
    returning = node.args.get("returning") if isinstance(node, exp.JSONValue) else None
    if isinstance(returning, exp.DataType):
        plain = exp.JSONValue(this=node.this, path=node.args["path"])
        return exp.Cast(this=plain, to=returning)
    return node


def json_document_equals(
    backend: Any, attribute: str, path: str, value: exp.Expression
) -> exp.Expression:
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


def json_bool_equals(backend: Any, attribute: str, path: str, value: bool) -> exp.Expression | None:
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


def enum_order(
    backend: Any, column: exp.Expression, values: tuple[str, ...]
) -> exp.Expression | None:
    """A sort key putting enum values in declaration order where the backend sorts them as
    text (SQLite); None where enums already sort that way (MySQL, PostgreSQL)."""
    if backend.name != "sqlite":
        return None
    ifs = [
        exp.If(this=exp.Literal.string(v), true=exp.Literal.number(i)) for i, v in enumerate(values)
    ]
    return exp.Case(this=column, ifs=ifs)


_ADAPTERS: dict[str, Callable[[exp.Expression], exp.Expression]] = {
    "mysql": _mysql,
    "postgresql": _postgres,
    "sqlite": _sqlite,
}


def _boolean_literals(booleans: frozenset[str]) -> Callable[[exp.Expression], exp.Expression]:
    """``flag = 1`` → ``flag = TRUE`` and ``SUM(flag)`` → ``SUM(CAST(flag AS INT))`` for
    boolean columns (PostgreSQL has no bool = int and no SUM(bool))."""

    def fix(node: exp.Expression) -> exp.Expression:
        column = node.this if isinstance(node, exp.Sum | exp.Avg) else None
        if isinstance(column, exp.Column) and column.name in booleans:
            return type(node)(this=_int(column))  # SUM(flag) counts the true values, as in MySQL
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
    if fix is None or backend_name == "mysql":
        return tree if fix is None else _bottom_up(tree, fix)
    tree = tree.transform(fragment_functions.normalize, copy=False)
    return _bottom_up(tree, fix)


def _bottom_up(
    tree: exp.Expression, fix: Callable[[exp.Expression], exp.Expression]
) -> exp.Expression:
    """Apply ``fix`` to every node, children before parents, so that a rewritten node is
    built from already adapted operands (``CAST(YEAR(d) AS SIGNED)``, ``HOUR(d - interval…)``).
    """
    for node in reversed(list(tree.dfs())):  # pre-order reversed: descendants come first
        new = fix(cast(exp.Expression, node))  # sqlglot types dfs() nodes as its base `Expr`
        if new is node:
            continue
        if node is tree:
            tree = new
        else:
            node.replace(new)
    return tree
