"""QueryExpression: the immutable user object of the query algebra (no SQL here)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..errors import DataJointError, UnknownAttributeError
from ..heading import Attribute, Heading
from ..types import TEXT, TypeSpec
from . import fetch as _fetch
from . import preview as _preview
from .compiler import compile_fetch
from .conditions import Condition, Negate, Top, make_condition

COMPUTED_TYPE = TypeSpec("expression", TEXT, False)


@dataclass(frozen=True)
class Computed:
    """A computed attribute's SQL text (MySQL-flavoured)."""

    text: str


@dataclass(frozen=True)
class JoinSource:
    """Two expressions joined on their common attributes (``USING``)."""

    left: Any
    right: Any
    using: tuple[str, ...]
    outer: bool = False


def check_lineage(left: Heading, right: Heading, semantic_check: bool) -> None:
    """Refuse to match namesakes of different lineage (spec 03 §12.5)."""
    if not semantic_check or not (left.lineage_available and right.lineage_available):
        return
    for name in left.names:
        if name not in right.attributes:
            continue
        a, b = left[name].lineage, right[name].lineage
        if a is None or b is None:
            raise DataJointError(
                f"Cannot join on attribute `{name}`: lineage missing on one side ({a} vs {b}). "
                "Native secondary attributes never match: rename one with .proj(); for key "
                "attributes, run schema.rebuild_lineage()."
            )
        if a != b:
            raise DataJointError(
                f"Cannot join on attribute `{name}`: different lineages ({a} vs {b}). "
                "Use .proj() to rename one of the attributes."
            )


def is_expression(obj: Any) -> bool:
    """True for query expressions and table classes."""
    if isinstance(obj, type):
        return issubclass(obj, QueryExpression)
    return isinstance(obj, QueryExpression)


class QueryExpression:
    """A relational expression over one connection; every operator returns a new one.

    Internals (read by the compiler): ``_source`` is ``(schema, table)`` or another
    expression (a subquery); ``_columns`` pairs each output name with its source column name
    or a :class:`Computed`; ``_where`` holds restriction conditions on the source;
    ``_top`` an optional :class:`Top`.
    """

    _connection: Any = None
    _source: Any = None
    _source_heading: Heading | None = None
    _columns: tuple[tuple[str, Any], ...] = ()
    _where: tuple[Condition, ...] = ()
    _top: Top | None = None
    _heading: Heading | None = None

    # ---------------------------------------------------------------- construction
    @classmethod
    def _make(
        cls,
        connection: Any,
        source: Any,
        source_heading: Heading,
        heading: Heading,
        columns: tuple[tuple[str, Any], ...],
        where: tuple[Condition, ...] = (),
        top: Top | None = None,
    ) -> QueryExpression:
        obj = QueryExpression.__new__(QueryExpression)
        obj._connection = connection
        obj._source = source
        obj._source_heading = source_heading
        obj._heading = heading
        obj._columns = columns
        obj._where = where
        obj._top = top
        return obj

    def _copy(self, **changes: Any) -> QueryExpression:
        state = {
            "connection": self.connection,
            "source": self._source,
            "source_heading": self._source_heading,
            "heading": self.heading,
            "columns": self._columns,
            "where": self._where,
            "top": self._top,
        }
        state.update(changes)
        return QueryExpression._make(**state)

    def _wrapped(self) -> QueryExpression:
        """This expression as the subquery source of a new, plain expression."""
        heading = self.heading
        return QueryExpression._make(
            self.connection,
            self,
            heading,
            heading,
            tuple((a.name, a.name) for a in heading.all_attributes),
        )

    @property
    def _is_plain(self) -> bool:
        """Output names equal source names and no Top: restrictions can go straight to WHERE."""
        return self._top is None and all(name == origin for name, origin in self._columns)

    @property
    def connection(self) -> Any:
        return self._connection

    @property
    def heading(self) -> Heading:
        return self._heading  # type: ignore[return-value]

    @property
    def primary_key(self) -> list[str]:
        return self.heading.primary_key

    @property
    def is_restricted(self) -> bool:
        return bool(self._where) or self._top is not None

    # ---------------------------------------------------------------- restriction
    def restrict(self, restriction: Any, semantic_check: bool = True) -> QueryExpression:
        """Rows satisfying ``restriction`` (spec 03 §3)."""
        if isinstance(restriction, Top):
            base = self if self._top is None else self._wrapped()
            return base._copy(top=restriction)
        condition = make_condition(restriction, is_expression)
        base = self if self._is_plain else self._wrapped()
        return base._copy(where=(*base._where, condition))

    def __and__(self, restriction: Any) -> QueryExpression:
        return self.restrict(restriction)

    def __sub__(self, restriction: Any) -> QueryExpression:
        condition = make_condition(restriction, is_expression)
        return self.restrict(Negate(condition))

    # ---------------------------------------------------------------- projection
    def proj(self, *attributes: str, **named: str) -> QueryExpression:
        """Keep the primary key and ``attributes``; rename (``new="old"``) or compute."""
        heading = self.heading
        keep: list[str] = list(heading.primary_key)
        if "..." in attributes:
            keep = list(heading.names)
        for name in attributes:
            if name == "...":
                continue
            if name.startswith("-"):
                continue
            if name not in heading.attributes:
                raise UnknownAttributeError(f"Attribute `{name}` not found in the heading")
            if name not in keep:
                keep.append(name)
        excluded = {n[1:] for n in attributes if n.startswith("-")}
        keep = [n for n in keep if n not in excluded or n in heading.primary_key]
        base = self if self._is_plain else self._wrapped()
        origin = dict(base._columns)
        renamed_sources = {v for v in named.values() if v in heading.attributes}
        out_attrs: list[Attribute] = []
        columns: list[tuple[str, Any]] = []
        for name in keep:
            if name in renamed_sources and name not in named:
                continue  # renamed away
            out_attrs.append(heading[name])
            columns.append((name, origin[name]))
        for new, spec in named.items():
            if spec in heading.attributes:
                out_attrs.append(replace(heading[spec], name=new))
                columns.append((new, origin[spec]))
            else:
                attr = Attribute(name=new, type=COMPUTED_TYPE, expression=spec)
                out_attrs.append(attr)
                columns.append((new, Computed(spec)))
        keyed = [a for a in out_attrs if a.in_key] + [a for a in out_attrs if not a.in_key]
        new_heading = Heading(all_attributes=tuple(keyed))
        return base._copy(heading=new_heading, columns=tuple(columns))

    # ---------------------------------------------------------------- join
    def join(self, other: Any, semantic_check: bool = True, left: bool = False) -> QueryExpression:
        """Natural join on the common attributes (spec 03 §7)."""
        other = other() if isinstance(other, type) else other
        if not isinstance(other, QueryExpression):
            raise DataJointError(f"Cannot join with an object of type {type(other).__name__}")
        if other.connection is not self.connection:
            raise DataJointError("Cannot join query expressions on different connections.")
        check_lineage(self.heading, other.heading, semantic_check)
        using = tuple(n for n in self.heading.names if n in other.heading.attributes)
        pk = set(self.heading.primary_key) | set(other.heading.primary_key)
        merged = [*self.heading.attributes.values()] + [
            a for a in other.heading.attributes.values() if a.name not in self.heading.attributes
        ]
        merged = [replace(a, in_key=a.name in pk) for a in merged]
        keyed = [a for a in merged if a.in_key] + [a for a in merged if not a.in_key]
        heading = Heading(
            all_attributes=tuple(keyed),
            lineage_available=self.heading.lineage_available and other.heading.lineage_available,
        )
        return QueryExpression._make(
            self.connection,
            JoinSource(self, other, using, left),
            heading,
            heading,
            tuple((a.name, a.name) for a in keyed),
        )

    def __mul__(self, other: Any) -> QueryExpression:
        return self.join(other)

    # ---------------------------------------------------------------- SQL
    def make_sql(self, fields: Sequence[str] | None = None) -> str:
        """The SELECT statement of this expression (bound values shown inline)."""
        sql, params = compile_fetch(self, fields)
        return sql.replace("%s", "{}").replace("%%", "%").format(*(repr(p) for p in params))

    # ---------------------------------------------------------------- fetch
    def to_dicts(
        self,
        order_by: Any = None,
        limit: int | None = None,
        offset: int | None = None,
        squeeze: bool = False,
    ) -> list[dict[str, Any]]:
        """Rows as a list of dicts (spec 04 §1.3)."""
        return _fetch.to_dicts(self, order_by, limit, offset, squeeze)

    def to_pandas(self, order_by: Any = None, limit: int | None = None,
                  offset: int | None = None, squeeze: bool = False) -> Any:  # fmt: skip
        """Rows as a pandas DataFrame indexed by the primary key."""
        return _fetch.to_pandas(self, order_by, limit, offset, squeeze)

    def to_polars(self, order_by: Any = None, limit: int | None = None,
                  offset: int | None = None, squeeze: bool = False) -> Any:  # fmt: skip
        """Rows as a polars DataFrame (extra ``polars``)."""
        return _fetch.to_polars(self, order_by, limit, offset, squeeze)

    def to_arrow(self, order_by: Any = None, limit: int | None = None,
                 offset: int | None = None, squeeze: bool = False) -> Any:  # fmt: skip
        """Rows as a pyarrow Table (extra ``arrow``)."""
        return _fetch.to_arrow(self, order_by, limit, offset, squeeze)

    def to_arrays(self, *attributes: str, include_key: bool = False, order_by: Any = None,
                  limit: int | None = None, offset: int | None = None,
                  squeeze: bool = False) -> Any:  # fmt: skip
        """A structured array, or one array per named attribute (spec 04 §1.6)."""
        return _fetch.to_arrays(self, attributes, include_key, order_by, limit, offset, squeeze)

    def keys(self, order_by: Any = None, limit: int | None = None,
             offset: int | None = None) -> list[dict[str, Any]]:  # fmt: skip
        """Primary-key dicts of the rows."""
        return _fetch.keys(self, order_by, limit, offset)

    def fetch1(self, *attributes: str, squeeze: bool = False) -> Any:
        """The single row as a dict, or the values of ``attributes``."""
        return _fetch.fetch1(self, attributes, squeeze)

    def fetch(self, *attributes: str, **kwargs: Any) -> Any:
        """Legacy 0.14 fetch (deprecated; spec 04 §1.14)."""
        return _fetch.legacy_fetch(self, attributes, **kwargs)

    def head(self, limit: int = 25) -> list[dict[str, Any]]:
        return self.to_dicts(order_by="KEY", limit=limit)

    def tail(self, limit: int = 25) -> list[dict[str, Any]]:
        return list(reversed(self.to_dicts(order_by="KEY DESC", limit=limit)))

    def cursor(self, as_dict: bool = False) -> Any:
        sql, params = compile_fetch(self, self.heading.names)
        return self.connection.query(sql, params, as_dict=as_dict)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return _fetch.iterate(self)

    def __len__(self) -> int:
        return _fetch.count(self)

    def __bool__(self) -> bool:
        return _fetch.count(self, limit=1) > 0

    def __contains__(self, item: Any) -> bool:
        return bool(self & item)

    # ---------------------------------------------------------------- display
    def preview(self, limit: int | None = None, width: int | None = None) -> str:
        return _preview.preview(self, limit, width)

    def __repr__(self) -> str:
        try:
            return self.preview()
        except DataJointError as exc:  # a broken expression still has a repr
            return f"<{type(self).__name__}: {exc}>"

    def _repr_html_(self) -> str:
        return _preview.repr_html(self)
