"""Query expressions → a sqlglot tree → ``(sql, params)`` for the connection's backend.

Values are bound as parameters. SQL comes out in the format paramstyle (``%s``, ``%%``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

import sqlglot
from sqlglot import exp

from ..errors import DataJointError, UnknownAttributeError
from ..heading import Heading
from ..types import USE_DEFAULT, to_core_value
from .conditions import Always, And, Condition, Equals, Negate, Or, Semijoin, Sql

_TOKEN = re.compile(r":(djp\d+)\b|%\((djp\d+)\)s")
_ORDER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(ASC|DESC)?\s*$", re.IGNORECASE)


@functools.lru_cache(maxsize=4096)
def parse_fragment(text: str) -> exp.Expression:
    """Parse a MySQL-flavoured SQL fragment (cached; callers must copy before embedding)."""
    try:
        return sqlglot.parse_one(text, read="mysql")
    except sqlglot.errors.ParseError as exc:
        raise DataJointError(f"Cannot parse the SQL condition {text!r}: {exc}") from None


def fragment(text: str, heading: Heading) -> exp.Expression:
    """A parsed user fragment whose attribute names are checked against ``heading``."""
    tree = parse_fragment(text).copy()
    for column in tree.find_all(exp.Column):
        if column.table:
            continue
        if not heading.has_hidden(column.name):
            raise UnknownAttributeError(
                f"Unknown attribute `{column.name}` in {text!r}; the heading has: "
                f"{', '.join(heading.names)}"
            )
        column.set("this", exp.to_identifier(column.name, quoted=True))
    return tree


def parse_order_by(order_by: Any, heading: Heading) -> list[tuple[str, bool]]:
    """``"KEY"``, ``"a DESC"`` or a list of them → ``[(attribute, descending), ...]``."""
    if order_by is None:
        return []
    items = [order_by] if isinstance(order_by, str) else list(order_by)
    out: list[tuple[str, bool]] = []
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"order_by entries must be strings, got {type(item).__name__}")
        m = _ORDER.match(item)
        if not m:
            raise DataJointError(f"Invalid order_by entry {item!r}")
        name, direction = m.group(1), (m.group(2) or "ASC").upper()
        desc = direction == "DESC"
        if name == "KEY":
            out.extend((k, desc) for k in heading.primary_key)
        elif heading.has_hidden(name):
            out.append((name, desc))
        else:
            raise UnknownAttributeError(f"Unknown attribute `{name}` in order_by")
    return out


class Compiler:
    """Builds one SQL statement; collects bound parameters and subquery aliases."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.params: dict[str, Any] = {}
        self._aliases = 0

    def param(self, value: Any) -> exp.Expression:
        name = f"djp{len(self.params)}"
        self.params[name] = value
        return exp.Placeholder(this=name)

    def alias(self) -> str:
        self._aliases += 1
        return f"_s{self._aliases}"

    def finish(self, tree: exp.Expression) -> tuple[str, list[Any]]:
        sql = tree.sql(dialect=self.backend.sqlglot_dialect)
        order: list[str] = []

        def mark(m: re.Match[str]) -> str:
            order.append(m.group(1) or m.group(2))
            return "\x00"

        sql = _TOKEN.sub(mark, sql).replace("%", "%%").replace("\x00", "%s")
        return sql, [self.params[n] for n in order]

    # ------------------------------------------------------------------ SELECT
    def table(self, schema: str, table: str) -> exp.Table:
        name, db = self.backend.table_identifier(schema, table)
        return exp.Table(
            this=exp.to_identifier(name, quoted=True),
            db=exp.to_identifier(db, quoted=True) if db else None,
        )

    def select(self, query: Any, fields: Sequence[str] | None = None) -> exp.Select:
        """The SELECT of a query expression; ``fields`` limits the select list."""
        source = query._source
        joined = None
        if isinstance(source, tuple):
            from_: exp.Expression = self.table(*source)
            source_heading = query._source_heading
        elif hasattr(source, "using"):
            from_ = self.select(source.left).subquery(self.alias())
            joined = source
            source_heading = query._source_heading
        else:
            from_ = self.select(source).subquery(self.alias())
            source_heading = source.heading
        wanted = None if fields is None else set(fields)
        columns = []
        for name, origin in query._columns:
            if wanted is not None and name not in wanted:
                continue
            if origin == name:
                columns.append(exp.column(name, quoted=True))
            elif isinstance(origin, str):
                columns.append(exp.alias_(exp.column(origin, quoted=True), name, quoted=True))
            else:
                columns.append(exp.alias_(fragment(origin.text, source_heading), name, quoted=True))
        tree = exp.select(*columns).from_(from_)
        if joined is not None:
            right = self.select(joined.right).subquery(self.alias())
            if joined.using:
                tree = tree.join(
                    right,
                    using=[exp.to_identifier(n, quoted=True) for n in joined.using],
                    join_type="left" if joined.outer else "inner",
                    copy=False,
                )
            else:
                tree = tree.join(right, join_type="cross", copy=False)
        for condition in query._where:
            tree = tree.where(self.condition(condition, source_heading), copy=False)
        if query._top is not None:
            tree = self.apply_top(tree, query._top, query.heading)
        return tree

    def apply_top(self, tree: exp.Select, top: Any, heading: Heading) -> exp.Select:
        order = parse_order_by(top.order_by, heading) if top.order_by is not None else []
        if order:
            tree = tree.order_by(
                *[exp.Ordered(this=exp.column(n, quoted=True), desc=d) for n, d in order],
                copy=False,
            )
        if top.limit is not None:
            tree = tree.limit(top.limit, copy=False)
        if top.offset:
            if top.limit is None:
                tree = tree.limit(2**63 - 1, copy=False)
            tree = tree.offset(top.offset, copy=False)
        return tree

    # ------------------------------------------------------------------ conditions
    def condition(self, cond: Condition, heading: Heading) -> exp.Expression:
        if isinstance(cond, Always):
            return exp.true() if cond.value else exp.false()
        if isinstance(cond, Sql):
            return exp.paren(fragment(cond.text, heading), copy=False)
        if isinstance(cond, Equals):
            parts = []
            for name, value in cond.items:
                if name not in heading.attributes:
                    continue
                attr = heading.attributes[name]
                column = exp.column(name, quoted=True)
                normalized = to_core_value(attr.type, value, name)
                if normalized is USE_DEFAULT:
                    parts.append(exp.Is(this=column, expression=exp.Null()))
                else:
                    driver_value = self.backend.to_driver(attr, normalized)
                    parts.append(exp.EQ(this=column, expression=self.param(driver_value)))
            return exp.and_(*parts) if parts else exp.true()
        if isinstance(cond, And):
            if not cond.parts:
                return exp.true()
            return exp.and_(*[exp.paren(self.condition(c, heading)) for c in cond.parts])
        if isinstance(cond, Or):
            if not cond.parts:
                return exp.false()
            return exp.or_(*[exp.paren(self.condition(c, heading)) for c in cond.parts])
        if isinstance(cond, Negate):
            return exp.not_(exp.paren(self.condition(cond.part, heading)))
        if isinstance(cond, Semijoin):
            return self.semijoin(cond.expression, heading)
        raise DataJointError(f"Unsupported condition {cond!r}")  # pragma: no cover

    def semijoin(self, other: Any, heading: Heading) -> exp.Expression:
        common = [n for n in heading.names if n in other.heading.names]
        inner = self.select(other).subquery(self.alias())
        if not common:
            return exp.Exists(this=exp.select(exp.Literal.number(1)).from_(inner))
        sub = exp.select(*[exp.column(n, quoted=True) for n in common]).from_(inner)
        if len(common) == 1:
            return exp.In(this=exp.column(common[0], quoted=True), query=exp.paren(sub))
        left = exp.Tuple(expressions=[exp.column(n, quoted=True) for n in common])
        return exp.In(this=left, query=exp.paren(sub))


def compile_fetch(
    query: Any,
    fields: Sequence[str] | None = None,
    order: Sequence[tuple[str, bool]] = (),
) -> tuple[str, list[Any]]:
    """SELECT for fetching ``fields`` of ``query`` in ``order``."""
    compiler = Compiler(query.connection.adapter)
    tree = compiler.select(query, fields)
    if order:
        tree = tree.order_by(
            *[exp.Ordered(this=exp.column(n, quoted=True), desc=d) for n, d in order], copy=False
        )
    return compiler.finish(tree)


def compile_count(query: Any) -> tuple[str, list[Any]]:
    """SELECT count(*) over ``query``."""
    compiler = Compiler(query.connection.adapter)
    inner = compiler.select(query, query.heading.all_primary_key or None)
    tree = exp.select(exp.Count(this=exp.Star())).from_(inner.subquery(compiler.alias()))
    return compiler.finish(tree)


def compile_delete(query: Any) -> tuple[str, list[Any]]:
    """DELETE of the rows of a restricted table ``query`` from its base table.

    Restrictions on the table itself go straight into the WHERE clause; anything else (a
    projection, a join, a ``dj.Top``) selects the primary keys to delete through a derived table,
    which every backend accepts even when it reads the table being deleted from.
    """
    compiler = Compiler(query.connection.adapter)
    source = query._source
    while not isinstance(source, tuple):
        source = source._source
    target = compiler.table(*source)
    tree = exp.Delete(this=target)
    if isinstance(query._source, tuple) and query._is_plain:
        for condition in query._where:
            tree = tree.where(compiler.condition(condition, query._source_heading), copy=False)
    else:
        keys = query.heading.primary_key
        inner = compiler.select(query, keys).subquery(compiler.alias())
        picked = exp.select(*[exp.column(k, quoted=True) for k in keys]).from_(inner)
        left: exp.Expression = (
            exp.column(keys[0], quoted=True)
            if len(keys) == 1
            else exp.Tuple(expressions=[exp.column(k, quoted=True) for k in keys])
        )
        tree = tree.where(exp.In(this=left, query=exp.paren(picked)), copy=False)
    return compiler.finish(tree)
