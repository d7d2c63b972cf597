"""Query expressions → a sqlglot tree → ``(sql, params)`` for the connection's backend.

Values are bound as parameters; SQL comes out in the format paramstyle (``%s``, ``%%``).
A statement is compiled once per expression shape (:mod:`.shape`) and cached with the catalog,
so later expressions of the same shape only bind their values; expressions without a shape
(e.g. restricted by a list of keys) cache their statement on the expression object.
"""

from __future__ import annotations

import datetime
import decimal
import functools
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from .._optional import lazy_module
from ..backends.base import in_list
from ..errors import DataJointError
from ..types import BOOL, ENUM, FLOAT, USE_DEFAULT, to_core_value
from . import sqlfrag
from .conditions import Always, And, Condition, Equals, Or, Semijoin, Sql
from .nodes import COMPUTED_TYPE, Computed, JoinSource, JsonPath, UnionSource
from .shape import DOCUMENT, NULL, NUMBER, Shape, equality_value, missing, shape_of

if TYPE_CHECKING:
    import sqlglot
    from sqlglot import exp

    from ..backends import fragments
    from ..heading import Attribute
else:  # sqlglot loads when the first query is compiled, not at import
    exp = lazy_module("sqlglot.expressions")
    sqlglot = lazy_module("sqlglot")
    fragments = lazy_module("datajoint.backends.fragments")

_TOKEN = re.compile(r":(djp\d+)\b|%\((djp\d+)\)s")


def _col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table, quoted=True)


def _is_block(source: Any) -> bool:
    return hasattr(source, "_columns")


def _final(query: Any) -> bool:
    return (
        query._group is not None
        or query._distinct
        or query._top is not None
        or isinstance(query._source, UnionSource)
    )


class Compiler:
    """Builds one SQL statement; collects bound parameters and derived-table aliases."""

    def __init__(self, backend: Any, slots: dict[int, int] | None = None) -> None:
        self.backend = backend
        self.params: dict[str, Any] = {}
        self._aliases = 0
        # the shape's value index of each key restriction (by id), and of each parameter
        self.slots = slots or {}
        self.param_slots: dict[str, int | None] = {}
        self.binder: tuple[int, ...] | None = None

    def param(self, value: Any, slot: int | None = None) -> exp.Expression:
        name = f"djp{len(self.params)}"
        self.params[name] = value
        self.param_slots[name] = slot
        return exp.Placeholder(this=name)

    def alias(self) -> str:
        self._aliases += 1
        return f"_s{self._aliases}"

    def finish(self, tree: exp.Expression) -> tuple[str, list[Any]]:
        sql = tree.sql(dialect=self.backend.sqlglot_dialect, copy=False)  # tree is ours
        self.backend.check_statement(tree, sql)
        sql, order = self.backend.format_paramstyle(sql, _TOKEN)
        binder = [self.param_slots[n] for n in order]
        if None not in binder:  # every value comes from the shape: the text can be reused
            self.binder = cast("tuple[int, ...]", tuple(binder))
        return sql, [self.params[n] for n in order]

    # ------------------------------------------------------------------ sources
    def table(self, schema: str, table: str) -> exp.Table:
        name, db = self.backend.table_identifier(schema, table)
        return exp.Table(
            this=exp.to_identifier(name, quoted=True),
            db=exp.to_identifier(db, quoted=True) if db else None,
        )

    def derived(self, query: Any) -> exp.Expression:
        """``query`` as an aliased derived table exposing its visible attributes."""
        return self.select(query, query.heading.names or None).subquery(self.alias(), copy=False)

    def from_item(self, source: Any) -> exp.Expression:
        if isinstance(source, tuple):
            return self.table(*source)
        if isinstance(source, UnionSource):
            selects = [
                exp.select(*[_col(n) for n in source.names]).from_(self.derived(part), copy=False)
                for part in source.parts
            ]
            union = exp.union(*selects, distinct=source.distinct)
            return union.subquery(self.alias(), copy=False)
        return self.derived(source)

    # ------------------------------------------------------------------ SELECT
    def fragment(
        self, text: str, query: Any, names: frozenset[str] | None = None
    ) -> exp.Expression:
        """A user fragment over ``query``'s source columns, adapted to the backend."""
        attrs = query._source_heading.all_attributes
        if names is None:
            names = frozenset(a.name for a in attrs)
        booleans = frozenset(a.name for a in attrs if a.type.kind == BOOL)
        tree = sqlfrag.tree(text, names, self.backend, booleans)
        if isinstance(tree.this, exp.Var) and _TOKEN.search(text):
            raise DataJointError(
                f"The SQL fragment {text!r} cannot be parsed and names a bound-parameter "
                "marker of the compiler: rewrite the fragment (or bind the value with a dict "
                "restriction)."
            )
        if "\x00" in text:  # bound, not written into the statement: drivers refuse NUL in SQL
            for literal in list(tree.find_all(exp.Literal)):
                if literal.is_string and "\x00" in literal.this:
                    literal.replace(self.param(literal.this))
        return tree

    def origin(self, origin: Any, query: Any) -> exp.Expression:
        if isinstance(origin, JsonPath):
            return self.json_value(origin)
        if isinstance(origin, Computed):
            return exp.paren(self.fragment(origin.text, query), copy=False)
        return _col(origin)

    def ordering(
        self, query: Any, order: Sequence[tuple[Any, bool]], selected: set[str]
    ) -> list[exp.Ordered]:
        by_origin = {origin: name for name, origin in query._columns if name in selected}
        source = query._source_heading
        small = _nulls_are_small(self.backend.sqlglot_dialect)
        items: list[exp.Ordered] = []
        for o, desc in order:
            column = _col(by_origin[o]) if o in by_origin else self.origin(o, query)
            attr = source.get(o) if isinstance(o, str) else None
            if attr is not None and attr.type.kind == ENUM and attr.type.values:
                # enums sort in declaration order (as MySQL and PostgreSQL do)
                column = fragments.enum_order(self.backend, column, attr.type.values) or column
            # NULL sorts as the smallest value on every backend; a column that is never NULL
            # keeps the backend's own order, which its indexes serve (no sort on PostgreSQL)
            out = query.heading.get(by_origin[o]) if o in by_origin else None
            never_null = isinstance(o, str) and out is not None and not out.nullable
            nulls_first = (not desc) if small or not never_null else desc
            items.append(exp.Ordered(this=column, desc=desc, nulls_first=nulls_first))
        return items

    def select(
        self,
        query: Any,
        fields: Sequence[str] | None = None,
        order: Sequence[tuple[str, bool]] = (),
    ) -> exp.Select:
        """The SELECT of one block; ``fields`` limits the select list (in the given order)."""
        origins = dict(query._columns)
        names = [n for n, _ in query._columns] if fields is None else list(fields)
        columns: list[Any] = []
        for name in names:
            origin = origins[name]
            if origin == name:
                columns.append(_col(name))
            else:
                columns.append(exp.alias_(self.origin(origin, query), name, quoted=True))
        if not columns:
            columns = [exp.alias_(exp.Literal.number(1), "_", quoted=True)]
        source = query._source
        if isinstance(source, JoinSource):
            tree = exp.select(*columns).from_(self.from_item(source.first), copy=False)
            for item in source.items:
                right = self.from_item(item.source)
                if item.using:
                    using: list[Any] = [exp.to_identifier(n, quoted=True) for n in item.using]
                    tree = tree.join(right, using=using, join_type=item.kind, copy=False)
                elif item.kind == "left":
                    tree = tree.join(right, on=exp.true(), join_type="left", copy=False)
                else:
                    tree = tree.join(right, join_type="cross", copy=False)
        else:
            tree = exp.select(*columns).from_(self.from_item(source), copy=False)
        for condition in query._where:
            tree = tree.where(self.condition(condition, query), copy=False)
        if query._group:
            tree = tree.group_by(*[_col(n) for n in query._group], copy=False)
        for condition in query._having:  # select aliases in HAVING (MySQL, SQLite)
            tree = tree.having(self.condition(condition, query), copy=False)
        if query._distinct:
            tree = tree.distinct(copy=False)
        selected = set(names)
        top = query._top
        if top is not None:
            if top.order:
                tree = tree.order_by(*self.ordering(query, top.order, selected), copy=False)
            if top.limit is not None:
                tree = tree.limit(exp.Literal.number(top.limit), copy=False)
            if top.offset:
                tree = tree.offset(exp.Literal.number(top.offset), copy=False)
        elif order:
            resolved = [(origins.get(n, n), d) for n, d in order]
            tree = tree.order_by(*self.ordering(query, resolved, selected), copy=False)
        return tree

    # ------------------------------------------------------------------ conditions
    def condition(self, cond: Condition, query: Any) -> Any:
        if isinstance(cond, Always):
            return exp.true() if cond.value else exp.false()
        if isinstance(cond, And):
            return self.junction(cond.parts, query, conjunction=True)
        if isinstance(cond, Or):
            return self.junction(cond.parts, query, conjunction=False)
        if isinstance(cond, Sql):
            text: Any = exp.paren(self.fragment(cond.text, query, cond.names), copy=False)
            return exp.not_(text, copy=False) if cond.negated else text
        if isinstance(cond, Equals):
            first = self.slots.get(id(cond))
            tree: Any = exp.and_(
                *[
                    self.equality(attr, value, None if first is None else first + i)
                    for i, (attr, value) in enumerate(cond.items)
                ],
                copy=False,
            )
            return exp.not_(exp.paren(tree, copy=False), copy=False) if cond.negated else tree
        if isinstance(cond, Semijoin):
            return self.semijoin(cond)
        raise DataJointError(f"Unsupported condition {cond!r}")  # pragma: no cover

    def junction(
        self, parts: tuple[Condition, ...], query: Any, *, conjunction: bool
    ) -> exp.Expression:
        """AND or OR of the parts, with key dicts over the same attributes as one ``IN`` list.

        ``T & [{"a": 1, "b": 2}, …]`` with thousands of keys is ``(a, b) IN ((1, 2), …)`` and
        ``T - [...]`` is ``(a, b) NOT IN (...)``, not a chain of thousands of ORs or ANDs (which
        SQLite refuses and PostgreSQL plans slowly). Equal under SQL's three-valued logic.
        """
        groups: dict[tuple[str, ...], list[list[Any]]] = {}
        group_attrs: dict[tuple[str, ...], list[Attribute]] = {}
        terms: list[exp.Expression] = []
        for part in parts:
            row = self.key_row(part, negated=conjunction)
            if row is None:
                terms.append(self.condition(part, query))
            else:
                names = tuple(attr.name for attr, _ in row)
                group_attrs.setdefault(names, [attr for attr, _ in row])
                groups.setdefault(names, []).append([v for _, v in row])
        for names, rows in groups.items():
            if len(names) == 1:
                values = [r[0] for r in rows]
                term: exp.Expression = exp.In(this=_col(names[0]), expressions=in_list(values))
            else:
                columns = [_col(n) for n in names]
                term = self.backend.row_in_list(columns, group_attrs[names], rows)
            terms.append(exp.not_(term, copy=False) if conjunction else term)
        if len(terms) == 1:
            return terms[0]
        combine = exp.and_ if conjunction else exp.or_
        # sqlglot types and_/or_ as its `Condition` trait; the node is an exp.And / exp.Or
        return cast(
            "exp.Expression", combine(*[exp.paren(t, copy=False) for t in terms], copy=False)
        )

    def key_row(self, cond: Condition, *, negated: bool) -> list[tuple[Attribute, Any]] | None:
        """``[(attribute, value), …]`` sorted by name for an equality on table attributes with
        no NULL, negated as asked (integers as they are, to be written inline, other values as
        bound parameters); None for anything else."""
        if not isinstance(cond, Equals) or cond.negated != negated or not cond.items:
            return None
        row = []
        for attr, value in cond.items:
            if isinstance(attr, JsonPath) or attr.type == COMPUTED_TYPE or missing(value):
                return None
            normalized = to_core_value(attr.type, value, attr.name)
            if normalized is None or normalized is USE_DEFAULT:
                return None
            normalized = self.backend.to_driver(attr, normalized)
            row.append((attr, normalized if type(normalized) is int else self.param(normalized)))
        return sorted(row, key=lambda item: item[0].name)

    def json_value(self, path: JsonPath) -> exp.Expression:
        sql = self.backend.json_value_sql(path.attribute, path.path, path.cast)
        return exp.Var(this=sql)

    def json_equality(
        self, path: JsonPath, tag: Any, value: Any, slot: int | None
    ) -> exp.Expression:
        if tag == NULL:
            return exp.Is(this=self.json_value(path), expression=exp.Null())
        if isinstance(tag, tuple):  # ("bool", b): true/false, compared as the backend can
            special = fragments.json_bool_equals(self.backend, path.attribute, path.path, tag[1])
            if special is not None:
                return special
        elif tag == NUMBER:
            path = JsonPath(path.attribute, path.path, "float64")
        elif tag == DOCUMENT:
            document = self.param(value, slot)
            return fragments.json_document_equals(self.backend, path.attribute, path.path, document)
        return exp.EQ(this=self.json_value(path), expression=self.param(value, slot))

    def equality(self, attr: Any, value: Any, slot: int | None = None) -> exp.Expression:
        tag, bound = equality_value(self.backend, attr, value)
        if isinstance(attr, JsonPath):
            return self.json_equality(attr, tag, bound, slot)
        column = _col(attr.name)
        if tag == NULL:
            return exp.Is(this=column, expression=exp.Null())
        return exp.EQ(this=column, expression=self.param(bound, slot))

    def semijoin(self, cond: Semijoin) -> exp.Expression:
        other, common = cond.expression, cond.common
        if not common:
            test = exp.Exists(this=exp.select(exp.Literal.number(1)).from_(self.derived(other)))
            return exp.not_(test) if cond.negated else test
        if not cond.negated:
            if _final(other):
                inner = exp.select(*[_col(c) for c in common]).from_(self.derived(other))
            else:
                inner = self.select(other, common)
            left = (
                _col(common[0])
                if len(common) == 1
                else exp.Tuple(expressions=[_col(c) for c in common])
            )
            return exp.In(this=left, query=exp.Subquery(this=inner))
        # anti-join: NOT EXISTS, correlated through renamed inner columns (NULL-safe); the
        # inner SELECT reads the operand's source directly when it can (SQLite cannot name a
        # derived table's column `true` or `false`)
        if _final(other):
            columns = [_col(c) for c in common]
            inner = exp.select(*columns).from_(self.derived(other))
        else:
            inner = self.select(other, common)
            columns = [e.this if isinstance(e, exp.Alias) else e for e in inner.expressions]
        inner.set(
            "expressions",
            [exp.alias_(c, f"_dj{i}", quoted=True) for i, c in enumerate(columns)],
        )
        outer = self.alias()
        match = exp.and_(
            *[exp.EQ(this=_col(f"_dj{i}", outer), expression=_col(c)) for i, c in enumerate(common)]
        )
        probe = exp.select(exp.Literal.number(1)).from_(inner.subquery(outer)).where(match)
        return exp.not_(exp.Exists(this=probe))


@functools.cache
def _nulls_are_small(dialect: str) -> bool:
    """Whether NULL sorts first in ascending order on this sqlglot dialect."""
    return bool(sqlglot.Dialect.get_or_raise(dialect).NULL_ORDERING == "nulls_are_small")


def _cached(
    query: Any, key: tuple[Any, ...], build: Callable[[Compiler], exp.Expression]
) -> tuple[str, list[Any]]:
    """The statement of ``query`` built by ``build``: compiled once per shape and ``key``."""
    shape = shape_of(query)
    if shape is not None:
        return _cached_shape(query, shape, key, build)
    backend = query.connection.adapter
    heading = query.heading
    cache = query.__dict__.setdefault("_sql_cache", {})
    full = (backend.name, *key)
    hit = cache.get(full)
    if hit is not None and hit[0] is heading:
        cached: tuple[str, list[Any]] = hit[1]
        return cached
    compiler = Compiler(backend)
    result = compiler.finish(build(compiler))
    cache[full] = (heading, result)
    return result


def _cached_shape(
    query: Any, shape: Shape, key: tuple[Any, ...], build: Callable[[Compiler], exp.Expression]
) -> tuple[str, list[Any]]:
    sql, binder, params = _shape_statement(query, shape, key, build)
    if binder is None:
        return sql, params
    values = shape.values
    return sql, [values[i] for i in binder]


def _shape_statement(
    query: Any, shape: Shape, key: tuple[Any, ...], build: Callable[[Compiler], exp.Expression]
) -> tuple[str, list[int] | None, list[Any]]:
    """``(sql, binder, [])``, the statement of ``shape`` compiled once, where ``binder`` gives
    the index in ``shape.values`` of each parameter; ``(sql, None, params)`` for a statement
    holding a value outside the shape (not reusable)."""
    statements = query.connection.catalog.statements
    full = (key, shape.key)
    hit = statements.get(full)
    if hit is None:
        compiler = Compiler(query.connection.adapter, shape.slots)
        sql, params = compiler.finish(build(compiler))
        if compiler.binder is None:
            return sql, None, params
        hit = statements[full] = (sql, compiler.binder, shape.anchors)
    return hit[0], hit[1], []


def shaped_fetch(
    query: Any, shape: Shape, fields: Sequence[str], limit: int | None
) -> tuple[str, list[int]] | None:
    """The SELECT of ``fields`` of ``query`` (of ``shape``) and, per parameter, the index of
    its value in ``shape.values``; None when the statement holds a value outside the shape."""
    fields = tuple(fields)
    key = ("fetch", fields, (), limit)
    sql, binder, _ = _shape_statement(query, shape, key, _fetch_builder(query, fields, (), limit))
    return None if binder is None else (sql, binder)


def compile_fetch(
    query: Any,
    fields: Sequence[str] | None = None,
    order: Sequence[tuple[str, bool]] = (),
    limit: int | None = None,
) -> tuple[str, list[Any]]:
    """SELECT of ``fields`` (default: the visible heading) of ``query`` in ``order``;
    ``limit``: at most this many rows (for a query without a ``dj.Top``)."""
    fields = tuple(query.heading.names if fields is None else fields)
    order = tuple(order)
    return _cached(
        query, ("fetch", fields, order, limit), _fetch_builder(query, fields, order, limit)
    )


def _fetch_builder(
    query: Any, fields: tuple[str, ...], order: tuple[tuple[str, bool], ...], limit: int | None
) -> Callable[[Compiler], exp.Expression]:
    def build(c: Compiler) -> exp.Expression:
        tree = c.select(query, fields, order)
        if limit is not None:
            tree = tree.limit(exp.Literal.number(limit), copy=False)
        if c.backend.widen_float32:
            _widen_float32(tree, query.heading)
        return tree

    return build


def _widen_float32(tree: exp.Select, heading: Any) -> None:
    """Select float32 attributes as double (MariaDB sends FLOAT with 6 significant digits)."""
    widened = []
    for item in tree.expressions:
        name = item.alias_or_name
        attr = heading.get(name)
        if attr is not None and attr.type.kind == FLOAT and attr.type.bits == 32:
            inner = item.this if isinstance(item, exp.Alias) else item
            cast = exp.Cast(this=inner.copy(), to=exp.DataType.build("DOUBLE"))
            item = exp.alias_(cast, name, quoted=True)
        widened.append(item)
    tree.set("expressions", widened)


def compile_count(query: Any) -> tuple[str, list[Any]]:
    """SELECT count(*) of the distinct primary-key values of ``query``."""

    def build(c: Compiler) -> exp.Expression:
        grouped = query._distinct or query._group is not None
        fields = None if grouped else query.heading.primary_key
        if isinstance(query._source, tuple) and not _final(query):
            # rows of one table, restricted: one row per key, counted without a derived table
            tree = c.select(query, fields)
            tree.set("expressions", [exp.Count(this=exp.Star())])
            return tree
        inner = c.select(query, fields).subquery(c.alias(), copy=False)
        return exp.select(exp.Count(this=exp.Star())).from_(inner, copy=False)

    return _cached(query, ("count",), build)


def compile_exists(query: Any) -> tuple[str, list[Any]]:
    """SELECT EXISTS(...) of ``query`` (honours a Top, aggregation and union)."""

    def build(c: Compiler) -> exp.Expression:
        if _final(query):
            inner = exp.select(exp.Literal.number(1)).from_(c.derived(query))
        else:
            inner = c.select(query, [])
        return exp.select(exp.Exists(this=inner))

    return _cached(query, ("exists",), build)


def compile_delete(query: Any) -> tuple[str, list[Any]]:
    """DELETE of the rows of a restricted table ``query`` from its base table.

    Restrictions on the table itself go straight into the WHERE clause; anything else (a
    projection, a join, a ``dj.Top``) selects the primary keys to delete through a derived
    table, which every backend accepts even when it reads the table being deleted from.
    """
    compiler = Compiler(query.connection.adapter)
    source = query._source
    while not isinstance(source, tuple):
        source = source.first if isinstance(source, JoinSource) else source._source
    tree = exp.Delete(this=compiler.table(*source))
    plain = isinstance(query._source, tuple) and not _final(query)
    if plain and all(origin == name for name, origin in query._columns):
        for condition in query._where:
            tree = tree.where(compiler.condition(condition, query), copy=False)
    else:
        keys = query.heading.primary_key
        picked = exp.select(*[_col(k) for k in keys]).from_(compiler.derived(query))
        left = _col(keys[0]) if len(keys) == 1 else exp.Tuple(expressions=[_col(k) for k in keys])
        tree = tree.where(exp.In(this=left, query=exp.Subquery(this=picked)), copy=False)
    return compiler.finish(tree)


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool | int | float | decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, datetime.datetime):
        text = value.isoformat(sep=" ")
    elif isinstance(value, datetime.date):
        text = value.isoformat()
    else:
        text = str(value)
    return "'" + text.replace("'", "''") + "'"


def inline_params(sql: str, params: Sequence[Any]) -> str:
    """``sql`` with its bound values rendered inline as literals (for display only)."""
    it = iter(params)
    return re.sub(r"%(%|s)", lambda m: "%" if m.group(1) == "%" else _literal(next(it)), sql)
