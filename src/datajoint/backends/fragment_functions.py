"""More MySQL functions of user SQL fragments rewritten for PostgreSQL and SQLite.

Complements :mod:`.fragments`. :func:`normalize` runs first on every non-MySQL backend and turns
MySQL-only forms into ones the rest of the adaptation already knows (``ADDDATE`` → ``DATE_ADD``,
``FIELD``/``ELT`` → ``CASE``); :func:`postgres` and :func:`sqlite` rewrite one node each, or
return None to leave it to :mod:`.fragments`.
"""

from __future__ import annotations

import sqlite3

from sqlglot import exp

# GROUP_CONCAT(… ORDER BY …) is SQL only from SQLite 3.44; before, a registered aggregate
_SQLITE_ORDERED_GROUP_CONCAT = sqlite3.sqlite_version_info >= (3, 44)


def _call(node: exp.Expression, *names: str) -> bool:
    return isinstance(node, exp.Anonymous) and node.name.upper() in names


def _day_shift(node: exp.Expression) -> exp.Expression:
    """``ADDDATE(d, n)``/``SUBDATE(d, n)`` (days, or an INTERVAL) as DATE_ADD/DATE_SUB."""
    value, amount = node.expressions[0], node.expressions[1]
    unit: exp.Expression = exp.var("DAY")
    if isinstance(amount, exp.Interval):
        unit = amount.args.get("unit") or unit
        amount = amount.this
    kind = exp.DateAdd if node.name.upper() == "ADDDATE" else exp.DateSub
    return kind(this=value, expression=amount, unit=unit)


def normalize(node: exp.Expression) -> exp.Expression:
    """MySQL-only functions in portable forms (applied top-down, before the backend fixes)."""
    if _call(node, "ADDDATE", "SUBDATE") and len(node.expressions) == 2:
        return _day_shift(node)
    if _call(node, "FIELD") and len(node.expressions) >= 2:
        value, *choices = node.expressions
        ifs = [exp.If(this=c, true=exp.Literal.number(i + 1)) for i, c in enumerate(choices)]
        return exp.Case(this=value, ifs=ifs, default=exp.Literal.number(0))
    if isinstance(node, exp.Elt):
        ifs = [
            exp.If(this=exp.Literal.number(i + 1), true=v) for i, v in enumerate(node.expressions)
        ]
        return exp.Case(this=node.this, ifs=ifs)
    return node


def _numeric(node: exp.Expression) -> exp.Expression:
    return exp.Cast(this=node, to=exp.DataType.build("numeric"))


def postgres(node: exp.Expression) -> exp.Expression | None:
    """PostgreSQL forms of ROUND/TRUNCATE of floats, DIV, DAYNAME, DAYOFYEAR, TIMESTAMP(x),
    SUBSTRING_INDEX, WEEK, MICROSECOND, TIME(x) and TIME_TO_SEC."""
    if isinstance(node, exp.Round | exp.Trunc) and node.args.get("decimals") is not None:
        # round(double precision, int) does not exist: round the exact decimal value
        return type(node)(this=_numeric(node.this), decimals=node.args["decimals"])
    if isinstance(node, exp.IntDiv):
        quotient = exp.Div(this=_numeric(node.this), expression=node.expression)
        return exp.Cast(this=exp.Trunc(this=quotient), to=exp.DataType.build("bigint"))
    if isinstance(node, exp.Dayname):
        return exp.Anonymous(this="TO_CHAR", expressions=[node.this, exp.Literal.string("FMDay")])
    if isinstance(node, exp.DayOfYear):
        day = exp.Extract(this=exp.var("DOY"), expression=node.this)
        return exp.Cast(this=day, to=exp.DataType.build("int"))
    if isinstance(node, exp.Timestamp) and node.expression is None:
        return exp.Cast(this=node.this, to=exp.DataType.build("timestamp"))
    if isinstance(node, exp.Time) and node.this is not None:
        stamp = exp.Cast(this=node.this, to=exp.DataType.build("timestamp"))
        return exp.Cast(this=stamp, to=exp.DataType.build("time"))
    if isinstance(node, exp.SubstringIndex):
        count = node.args.get("count")
        if isinstance(count, exp.Literal) and not count.is_string and int(count.this) > 0:
            delimiter = node.args["delimiter"]
            parts = exp.Anonymous(this="STRING_TO_ARRAY", expressions=[node.this, delimiter])
            head = exp.Bracket(
                this=exp.paren(parts),
                expressions=[exp.Slice(this=exp.Literal.number(1), expression=count)],
            )
            joined = [head, delimiter.copy()]
            return exp.Anonymous(this="ARRAY_TO_STRING", expressions=joined)
    if isinstance(node, exp.Week) and node.args.get("mode") is None:
        # MySQL's default mode 0: weeks start on Sunday, days before the first Sunday are week 0
        doy = exp.Extract(this=exp.var("DOY"), expression=node.this)
        dow = exp.Extract(this=exp.var("DOW"), expression=node.this.copy())
        days = exp.Sub(this=exp.Add(this=doy, expression=exp.Literal.number(6)), expression=dow)
        weeks = exp.Floor(this=exp.Div(this=exp.paren(days), expression=exp.Literal.number(7)))
        return exp.Cast(this=weeks, to=exp.DataType.build("int"))
    if _call(node, "MICROSECOND") and len(node.expressions) == 1:
        stamp = exp.Cast(this=node.expressions[0], to=exp.DataType.build("timestamp"))
        micros = exp.Extract(this=exp.var("MICROSECONDS"), expression=stamp)
        whole = exp.Cast(this=micros, to=exp.DataType.build("int"))
        return exp.paren(exp.Mod(this=whole, expression=exp.Literal.number(1000000)))
    if _call(node, "TIME_TO_SEC") and len(node.expressions) == 1:
        as_time = exp.Cast(this=node.expressions[0], to=exp.DataType.build("time"))
        seconds = exp.Extract(this=exp.var("EPOCH"), expression=as_time)
        return exp.Cast(this=seconds, to=exp.DataType.build("int"))
    return None


def sqlite(node: exp.Expression) -> exp.Expression | None:
    """SQLite forms of DAYNAME, DAYOFYEAR, TIMESTAMP(x), WEEK, MICROSECOND, RAND() and ordered
    GROUP_CONCAT (others are registered functions, see :mod:`.sqlite_functions`)."""
    if isinstance(node, exp.DayOfYear):
        day = exp.Anonymous(this="STRFTIME", expressions=[exp.Literal.string("%j"), node.this])
        return exp.Cast(this=day, to=exp.DataType.build("int"))
    if isinstance(node, exp.Dayname):
        weekday = exp.Anonymous(this="STRFTIME", expressions=[exp.Literal.string("%w"), node.this])
        names = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
        ifs = [exp.If(this=exp.Literal.string(str(i)), true=exp.Literal.string(n))
               for i, n in enumerate(names)]  # fmt: skip
        return exp.Case(this=weekday, ifs=ifs)
    if isinstance(node, exp.Timestamp) and node.expression is None:
        return exp.Anonymous(this="DATETIME", expressions=[node.this])
    if isinstance(node, exp.Week) and node.args.get("mode") is None:
        # STRFTIME('%U') needs SQLite 3.46: (day of year + 6 - weekday) / 7, weekday 0 = Sunday
        def part(code: str, value: exp.Expression) -> exp.Expression:
            text = exp.Anonymous(this="STRFTIME", expressions=[exp.Literal.string(code), value])
            return exp.Cast(this=text, to=exp.DataType.build("int"))

        days = exp.Sub(
            this=exp.Add(this=part("%j", node.this), expression=exp.Literal.number(6)),
            expression=part("%w", node.this.copy()),
        )
        return exp.Div(this=exp.paren(days), expression=exp.Literal.number(7), typed=True)
    if _call(node, "MICROSECOND") and len(node.expressions) == 1:
        text = node.expressions[0]
        dot = exp.Anonymous(this="INSTR", expressions=[text, exp.Literal.string(".")])
        padded = exp.DPipe(this=text.copy(), expression=exp.Literal.string("000000"))
        digits = exp.Anonymous(
            this="SUBSTR",
            expressions=[
                padded,
                exp.Add(this=dot, expression=exp.Literal.number(1)),
                exp.Literal.number(6),
            ],
        )
        has_fraction = exp.GT(this=dot.copy(), expression=exp.Literal.number(0))
        micros = exp.Cast(this=digits, to=exp.DataType.build("int"))
        return exp.Case(ifs=[exp.If(this=has_fraction, true=micros)], default=exp.Literal.number(0))
    if (
        isinstance(node, exp.GroupConcat)
        and isinstance(node.this, exp.Order)
        and not _SQLITE_ORDERED_GROUP_CONCAT
    ):
        return _sqlite_ordered_group_concat(node)
    if isinstance(node, exp.Rand) and node.this is None:
        # RANDOM() is a signed 64-bit integer; MySQL's RAND() is uniform in [0, 1)
        scaled = exp.Div(
            this=exp.Anonymous(this="RANDOM", expressions=[]),
            expression=exp.Literal.number("18446744073709551616.0"),
            typed=False,
        )
        return exp.paren(exp.Add(this=scaled, expression=exp.Literal.number("0.5")))
    return None


def _sqlite_ordered_group_concat(node: exp.GroupConcat) -> exp.Expression:
    """``GROUP_CONCAT([DISTINCT] x ORDER BY k [DESC], … [SEPARATOR s])`` as the registered
    aggregate ``DJ_GROUP_CONCAT(distinct, x, s, k1, desc1, k2, desc2, …)``."""
    order = node.this
    value = order.this
    distinct = isinstance(value, exp.Distinct)
    if distinct:
        value = value.expressions[0]
    args: list[exp.Expression] = [
        exp.Literal.number(int(distinct)),
        value,
        node.args.get("separator") or exp.Literal.string(","),
    ]
    for item in order.expressions:
        args += [item.this, exp.Literal.number(int(bool(item.args.get("desc"))))]
    return exp.Anonymous(this="DJ_GROUP_CONCAT", expressions=args)
