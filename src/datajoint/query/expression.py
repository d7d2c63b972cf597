"""QueryExpression: the immutable user object of the query algebra (no SQL here).

Each expression is one SELECT block (see :mod:`.nodes`); an operator either extends the
operand's block or wraps the operand as a derived table (spec 03 §13.3). Wrapping never
changes results.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from ..errors import DataJointError, UnknownAttributeError
from ..heading import Attribute, Heading
from . import sqlfrag
from .compiler import compile_fetch, inline_params
from .conditions import Always, Context, Not, Top, bind, bind_key, has_semijoin, merged_window
from .lineage import check_lineage, check_same_connection
from .nodes import (
    Computed,
    JoinItem,
    JoinSource,
    TopSpec,
    UnionSource,
    UniversalSet,
    computed_attribute,
    join_heading,
    json_path,
    keyed_heading,
    parse_order,
    union_heading,
)
from .results import Results


def is_expression(obj: Any) -> bool:
    """True for query expressions and table classes."""
    if isinstance(obj, type):
        return issubclass(obj, QueryExpression)
    return isinstance(obj, QueryExpression)


def as_expression(obj: Any, message: str) -> QueryExpression:
    """``obj`` (a table class is instantiated) or a DataJointError with ``message``."""
    if isinstance(obj, type) and issubclass(obj, QueryExpression):
        obj = obj()
    if not isinstance(obj, QueryExpression):
        raise DataJointError(message)
    return obj


def _visible(heading: Heading) -> Heading:
    return Heading(
        all_attributes=tuple(heading.attributes.values()),
        lineage_available=heading.lineage_available,
    )


class QueryExpression(Results):
    """A relational expression over one connection; every operator returns a new one.

    Block state (read by the compiler): ``_source`` is ``(schema, table)``, another expression
    (a derived table), a :class:`JoinSource` or a :class:`UnionSource`; ``_source_heading``
    describes the source's columns; ``_columns`` pairs each output name with its source
    column or a :class:`Computed`; ``_where`` holds conditions on the source; ``_group`` the
    GROUP BY columns of an aggregation; ``_distinct``; ``_top`` a :class:`TopSpec`.
    """

    _connection: Any = None
    # None only on the bare class: every instance is built with its headings
    _heading: Heading = None  # type: ignore[assignment]
    _source: Any = None
    _source_heading: Heading = None  # type: ignore[assignment]
    _columns: tuple[tuple[str, Any], ...] = ()
    _where: tuple[Any, ...] = ()
    _group: tuple[str, ...] | None = None
    _having: tuple[Any, ...] = ()
    _distinct: bool = False
    _top: TopSpec | None = None

    # ---------------------------------------------------------------- construction
    @classmethod
    def _make(
        cls,
        connection: Any,
        source: Any,
        source_heading: Heading,
        heading: Heading,
        columns: Sequence[tuple[str, Any]],
        **state: Any,
    ) -> QueryExpression:
        obj = QueryExpression.__new__(QueryExpression)
        obj._connection = connection
        obj._source = source
        obj._source_heading = source_heading
        obj._heading = heading
        obj._columns = tuple(columns)
        for name, value in state.items():
            setattr(obj, "_" + name, value)
        return obj

    def _derive(self, **changes: Any) -> QueryExpression:
        """A copy with ``changes``; a restricted table stays a table (same class)."""
        if type(self) is QueryExpression or changes.keys() <= {"where", "top"}:
            obj = self._copy()
        else:
            obj = QueryExpression._make(
                self.connection,
                self._source,
                self._source_heading,
                self.heading,
                self._columns,
                where=self._where,
                group=self._group,
                having=self._having,
                distinct=self._distinct,
                top=self._top,
            )
        for name, value in changes.items():
            setattr(obj, "_" + name, value)
        return obj

    def _copy(self) -> QueryExpression:
        """A shallow copy (same class), as copy.copy makes, but faster; no compiled SQL."""
        obj = object.__new__(type(self))
        state = obj.__dict__
        state.update(self.__dict__)
        state.pop("_sql_cache", None)
        return obj

    def _wrap(self) -> QueryExpression:
        """This expression as the derived-table source of a new, plain expression."""
        heading = _visible(self.heading)
        return QueryExpression._make(
            self.connection, self, heading, heading, [(n, n) for n in heading.names]
        )

    @property
    def _renamed(self) -> frozenset[str]:
        """Output names that are renamed or computed in this block."""
        return frozenset(n for n, origin in self._columns if origin != n)

    @property
    def _final(self) -> bool:
        """True when the block has a grouping, DISTINCT or Top (operators must wrap it)."""
        return self._group is not None or self._distinct or self._top is not None

    def _names(self) -> frozenset[str]:
        """Names a fragment may use: visible attributes and hidden source attributes."""
        heading = self.heading
        if heading is self._source_heading:
            return heading.all_names
        hidden = (a.name for a in self._source_heading.all_attributes if a.is_hidden)
        return frozenset(self.heading.names) | frozenset(hidden)

    @property
    def connection(self) -> Any:
        return self._connection

    @property
    def heading(self) -> Heading:
        """The result heading (attributes, primary key, lineage)."""
        return self._heading

    @property
    def primary_key(self) -> list[str]:
        return self.heading.primary_key

    @property
    def is_restricted(self) -> bool:
        return bool(self._where or self._having) or self._top is not None

    # ---------------------------------------------------------------- restriction
    def restrict(self, restriction: Any, semantic_check: bool = True) -> QueryExpression:
        """Rows satisfying ``restriction`` (any operand kind of spec 03 §3.1)."""
        if type(restriction) is dict:  # the most frequent operand (a key): needs the heading
            condition = bind_key(restriction.items(), self.heading)
        elif isinstance(restriction, Top):
            return self._restrict_top(restriction)
        else:
            context = Context(
                self.heading,
                self._names(),
                self.connection,
                semantic_check,
                is_expression,
                is_universal,
            )
            condition = bind(restriction, context)
        if type(condition) is Always and condition.value:
            return self
        if self._group and self._top is None and self._in_having(condition):
            return self._derive(having=(*self._having, condition))
        wrap = self._group is not None or self._top is not None
        # a table's source is its own name (never a union) and its columns are not renamed
        if not wrap and not getattr(type(self), "is_base_table", False):
            renamed = self._renamed
            wrap = isinstance(self._source, UnionSource)
            wrap = wrap or bool(renamed and condition.references() & renamed)
        base = self._wrap() if wrap else self
        restricted = base._copy()
        restricted._where = (*base._where, condition)
        return restricted

    def _in_having(self, condition: Any) -> bool:
        """Whether a restriction of this aggregation can go to HAVING (spec 03 §8.4)."""
        return (
            self.connection.adapter.having_aliases
            and not has_semijoin(condition)
            and condition.references() <= set(self.heading.names)
        )

    def restrict_in_place(self, restriction: Any) -> None:
        """Add a restriction to this object (internal use)."""
        result = self.restrict(restriction)
        if result is not self:
            self.__dict__.pop("_sql_cache", None)
            self.__dict__.update(result.__dict__)

    def _restrict_top(self, top: Top) -> QueryExpression:
        current = self._top
        if current is not None and (
            top.order_by is None or tuple(top.order_by) == current.order_by
        ):
            limit, offset = merged_window(
                current.limit, current.offset, top.limit, int(top.offset or 0)
            )
            return self._derive(top=replace(current, limit=limit, offset=offset))
        base = self._wrap() if current is not None else self
        order_by = ["KEY"] if top.order_by is None else top.order_by
        origins = dict(base._columns)
        parsed = parse_order(order_by, base.heading)
        named = {n for n, _ in parsed}
        # ties are broken by the primary key: the same rows, in the same order, on every backend
        parsed += [(k, False) for k in base.heading.primary_key if k not in named]
        order = tuple((origins.get(n, n), d) for n, d in parsed)
        spec = TopSpec(order, tuple(order_by), top.limit, int(top.offset or 0))
        return base._derive(top=spec)

    def __and__(self, restriction: Any) -> QueryExpression:
        return self.restrict(restriction)

    def __sub__(self, restriction: Any) -> QueryExpression:
        if isinstance(restriction, Top):
            raise DataJointError(f"Invalid restriction type {restriction!r}")
        return self.restrict(Not(restriction))

    def __neg__(self) -> Not:
        return Not(self)

    def __xor__(self, other: Any) -> Any:
        raise DataJointError(
            "The ^ operator has been removed in DataJoint 2.0: use "
            ".restrict(other, semantic_check=False)."
        )

    def __matmul__(self, other: Any) -> Any:
        raise DataJointError(
            "The @ operator has been removed in DataJoint 2.0: use "
            ".join(other, semantic_check=False)."
        )

    # ---------------------------------------------------------------- projection
    def proj(self, *attributes: Any, **named: str) -> QueryExpression:
        """Keep the primary key and ``attributes``; rename (``new="old"``), copy or compute."""
        heading = self.heading
        everything = False
        selected: list[str] = []
        excluded: set[str] = set()
        for a in attributes:
            if a is Ellipsis or a == "...":
                everything = True
            elif not isinstance(a, str):
                raise DataJointError(
                    f"{a!r} is not a valid data type for an attribute in .proj: use strings or ..."
                )
            elif a.startswith("-"):
                excluded.add(a[1:].strip())
            else:
                selected.append(a.strip())
        for name in [*selected, *excluded]:
            if name not in heading.attributes:
                raise UnknownAttributeError(f"Attribute `{name}` not found.")
        for name in excluded:
            if name in heading.primary_key:
                raise DataJointError(f"Cannot exclude primary key attribute `{name}`.")
        renames, copies, computed, jsons = {}, {}, {}, {}
        for new, spec in named.items():
            if not isinstance(spec, str):
                raise DataJointError(f"The value of `{new}` in .proj must be a string.")
            text = spec.strip()
            inner = text[1:-1].strip() if text.startswith("(") and text.endswith(")") else None
            path = json_path(text, heading) if "." in text else None
            if path is not None:
                jsons[new] = path
            elif sqlfrag.is_identifier(text):
                if text not in heading.attributes:
                    raise UnknownAttributeError(f"Attribute `{text}` not found.")
                renames[new] = text
            elif inner is not None and sqlfrag.is_identifier(inner) and inner in heading:
                copies[new] = inner
            else:
                computed[new] = spec
        sources = set(renames.values())
        used = set(sources) | set(copies.values()) | {p.attribute for p in jsons.values()}
        names = self._names() | frozenset(named)
        for text in computed.values():
            used |= sqlfrag.references(text, names - frozenset(named))
        base = self._wrap() if used & self._renamed or self._having else self
        origins = dict(base._columns)
        out: list[tuple[Attribute, Any]] = []
        for attr in heading.attributes.values():
            for new, old in renames.items():
                if old == attr.name:
                    out.append((attr.renamed(new), origins[old]))
            keep = attr.in_key or attr.name in selected or (everything and not attr.in_key)
            keep = keep and attr.name not in excluded
            if keep and (attr.name not in sources or attr.name in selected):
                out.append((attr, origins[attr.name]))
        for new, old in copies.items():
            out.append((replace(heading[old], name=new, in_key=False), origins[old]))
        for new, text in computed.items():
            out.append((computed_attribute(new, text), Computed(text)))
        for new, path in jsons.items():
            out.append((computed_attribute(new, named[new]), path))
        seen: set[str] = set()
        for attr, _ in out:
            if attr.name in seen:
                raise DataJointError(f"Attribute `{attr.name}` already exists in the projection.")
            seen.add(attr.name)
        key = [a.name for a, _ in out if a.in_key]
        new_heading = keyed_heading([a for a, _ in out], key, heading.lineage_available)
        columns = tuple((a.name, origin) for a, origin in out)
        return base._derive(heading=new_heading, columns=columns)

    # ---------------------------------------------------------------- join
    def _parts(self, single: bool = False, no_where: bool = False) -> tuple[Any, ...] | None:
        """``(first, items, where, underlying names, underlying attributes)`` when this block
        can be inlined."""
        if self._final or self._renamed or isinstance(self._source, UnionSource):
            return None
        if (no_where and self._where) or (single and isinstance(self._source, JoinSource)):
            return None
        if isinstance(self._source, JoinSource):
            first, items = self._source.first, self._source.items
        else:
            first, items = self._source, ()
        attrs = self._source_heading.all_attributes
        return first, items, self._where, frozenset(a.name for a in attrs), attrs

    def _derived_parts(self) -> tuple[Any, ...]:
        return self, (), (), frozenset(self.heading.names), tuple(self.heading.attributes.values())

    def join(
        self,
        other: Any,
        semantic_check: bool = True,
        left: bool = False,
        allow_nullable_pk: bool = False,
    ) -> QueryExpression:
        """Natural join on the namesakes (spec 03 §7); ``left=True`` keeps every row of self.

        ``allow_nullable_pk=True`` (used by aggregation) skips the check that self determines
        ``other`` in a left join; the result key is then the union of both keys.
        """
        if is_universal(other):
            raise DataJointError("Joining with dj.U(...) is no longer supported in DataJoint 2.0.")
        other = as_expression(other, "The argument of join must be a QueryExpression.")
        check_same_connection(self.connection, other.connection)
        check_lineage(self.heading, other.heading, semantic_check)
        heading = join_heading(self.heading, other.heading, left, allow_nullable_pk)
        using = tuple(n for n in self.heading.names if n in other.heading.attributes)
        lp = self._parts() or self._derived_parts()
        rp = other._parts(single=True, no_where=left) or other._derived_parts()
        if (lp[3] & rp[3]) - set(using):
            rp = other._derived_parts()
            if (lp[3] & rp[3]) - set(using):
                lp = self._derived_parts()
        kind = ("left" if left else "inner") if using else ("left" if left else "cross")
        source = JoinSource(lp[0], (*lp[1], JoinItem(rp[0], kind, using)))
        attrs = {a.name: a for a in lp[4]}
        attrs.update({a.name: a for a in rp[4] if a.name not in attrs})
        source_heading = Heading(all_attributes=tuple(attrs.values()))
        columns = [(n, n) for n in heading.names]
        return QueryExpression._make(
            self.connection, source, source_heading, heading, columns, where=(*lp[2], *rp[2])
        )

    def __mul__(self, other: Any) -> QueryExpression:
        return self.join(other)

    def extend(self, other: Any, semantic_check: bool = True) -> QueryExpression:
        """Add ``other``'s attributes to every row (a left join; requires self → other)."""
        return self.join(other, semantic_check=semantic_check, left=True)

    # ---------------------------------------------------------------- aggregation
    def aggr(
        self, group: Any, *attributes: Any, exclude_nonmatching: bool = False, **named: str
    ) -> QueryExpression:
        """For each row of self, aggregates over the matching rows of ``group`` (spec 03 §8)."""
        if "keep_all_rows" in named:
            keep_all = named.pop("keep_all_rows")
            warnings.warn(
                "keep_all_rows is deprecated: use exclude_nonmatching (its negation).",
                DeprecationWarning,
                stacklevel=2,
            )
            exclude_nonmatching = not keep_all
        if is_universal(group):
            raise DataJointError("Aggregating over dj.U(...) is not supported.")
        group = as_expression(group, "The argument of aggr must be a QueryExpression.")
        check_same_connection(self.connection, group.connection)
        missing = [k for k in self.primary_key if k not in group.heading.attributes]
        if missing:
            raise DataJointError(
                "Aggregation requires the group expression to contain all primary key "
                f"attributes of the grouping expression. Missing attributes: {missing}"
            )
        check_lineage(self.heading, group.heading)
        carried: list[str] = []
        for a in attributes:
            if a is Ellipsis or a == "...":
                carried += [n for n in self.heading.secondary_attributes if n not in carried]
            elif not isinstance(a, str) or a not in self.heading.attributes:
                raise UnknownAttributeError(
                    f"Attribute `{a}` not found in the grouping expression of aggr."
                )
            elif a not in carried and a not in self.primary_key:
                carried.append(a)
        joined = self.join(
            group, semantic_check=False, left=not exclude_nonmatching, allow_nullable_pk=True
        )
        keep = [*self.primary_key, *carried]
        return grouped(joined, keep, [self.heading[n] for n in keep], self.primary_key, named)

    aggregate = aggr

    # ---------------------------------------------------------------- union
    def __add__(self, other: Any) -> QueryExpression:
        other = as_expression(
            other, "A QueryExpression can only be unioned with another QueryExpression."
        )
        check_same_connection(self.connection, other.connection)
        heading = union_heading(self.heading, other.heading)
        if not heading.secondary_attributes:
            parts, distinct = (self, other), True
        else:
            first = self.join(other, semantic_check=False, left=True)
            # B's rows missing from A, with A's secondaries as typed NULLs (a bare NULL is
            # text to PostgreSQL, which then refuses to unite it with a date column)
            missing = other.restrict(Not(self), semantic_check=False)
            second = missing.join(self, semantic_check=False, left=True)
            parts, distinct = (first, second), False
        source = UnionSource(parts, tuple(heading.names), distinct)
        columns = [(n, n) for n in heading.names]
        return QueryExpression._make(self.connection, source, heading, heading, columns)

    # ---------------------------------------------------------------- SQL
    def make_sql(self, fields: Sequence[str] | None = None) -> str:
        """The SELECT statement of this expression (bound values shown inline)."""
        return inline_params(*compile_fetch(self, fields))


def grouped(
    base: QueryExpression,
    keep: list[str],
    keep_attrs: list[Attribute],
    key: list[str],
    named: dict[str, str],
) -> QueryExpression:
    """``base`` grouped by ``keep`` with the computed ``named`` aggregates."""
    names = base._names()
    used: set[str] = set(keep)
    for new, text in named.items():
        if not isinstance(text, str):
            raise DataJointError(f"The value of `{new}` in aggr must be a string.")
        if new in keep:
            raise DataJointError(f"Attribute `{new}` already exists in the aggregation.")
        used |= sqlfrag.references(text, names)
    if used & base._renamed or base._final or isinstance(base._source, UnionSource):
        base = base._wrap()
    origins = dict(base._columns)
    columns = [(n, origins[n]) for n in keep] + [(n, Computed(t)) for n, t in named.items()]
    attrs = [*keep_attrs, *(computed_attribute(n, t, base.heading) for n, t in named.items())]
    heading = keyed_heading(attrs, key, base.heading.lineage_available)
    if not named:  # nothing to aggregate: the distinct kept values (spec 03 §8.3)
        return base._derive(heading=heading, columns=tuple(columns), group=None, distinct=True)
    group = tuple(origins[n] for n in keep)
    return base._derive(heading=heading, columns=tuple(columns), group=group, distinct=False)


def is_universal(obj: Any) -> bool:
    """True for ``dj.U(...)`` operands."""
    return isinstance(obj, UniversalSet)
