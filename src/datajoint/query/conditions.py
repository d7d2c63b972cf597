"""The one coercion point for restriction operands: anything ``&`` accepts → a Condition.

:func:`bind` turns a user operand (spec 03 §3.1) into frozen, simplified condition nodes, with
negation pushed down to the leaves; ``compiler.py`` renders them to SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import DataJointError
from ..heading import Attribute, Heading
from . import sqlfrag
from .lineage import check_lineage, check_same_connection
from .nodes import JsonPath, restriction_key


@dataclass(frozen=True)
class Condition:
    """Base of restriction conditions."""

    def references(self) -> frozenset[str]:
        """Attribute names the condition reads."""
        return frozenset()


@dataclass(frozen=True)
class Always(Condition):
    """TRUE (``value=True``) or FALSE."""

    value: bool


@dataclass(frozen=True)
class Equals(Condition):
    """``attr = value`` pairs, all of which must hold (a dict or record restriction).

    The left side is an attribute or a :class:`JsonPath` into a JSON attribute.
    """

    items: tuple[tuple[Attribute | JsonPath, Any], ...]
    negated: bool = False

    def references(self) -> frozenset[str]:
        return frozenset(a.attribute if isinstance(a, JsonPath) else a.name for a, _ in self.items)


@dataclass(frozen=True)
class Sql(Condition):
    """A user SQL fragment in MySQL-flavoured syntax."""

    text: str
    names: frozenset[str] = frozenset()
    used: frozenset[str] = frozenset()
    negated: bool = False

    def references(self) -> frozenset[str]:
        return self.used


@dataclass(frozen=True)
class And(Condition):
    parts: tuple[Condition, ...]

    def references(self) -> frozenset[str]:
        return frozenset().union(*(p.references() for p in self.parts))


@dataclass(frozen=True)
class Or(Condition):
    parts: tuple[Condition, ...]

    def references(self) -> frozenset[str]:
        return frozenset().union(*(p.references() for p in self.parts))


@dataclass(frozen=True)
class Semijoin(Condition):
    """Rows matching (or, negated, matching no) row of ``expression`` on ``common``."""

    expression: Any = field(compare=False)
    common: tuple[str, ...] = ()
    negated: bool = False

    def references(self) -> frozenset[str]:
        return frozenset(self.common)


@dataclass(frozen=True)
class Top:
    """``dj.Top(limit=1, order_by="KEY", offset=0)``: the first rows in an order (spec 03 §5)."""

    limit: int | None = 1
    order_by: str | Sequence[str] | None = "KEY"
    offset: int | None = 0

    def __post_init__(self) -> None:
        if self.limit is not None and (
            not isinstance(self.limit, int) or isinstance(self.limit, bool)
        ):
            raise TypeError("Top limit must be an integer")
        order = self.order_by
        if isinstance(order, str):
            order = [order]
        if order is not None:
            order = list(order)
            if not all(isinstance(o, str) for o in order):
                raise TypeError("Top order_by attributes must all be strings")
        object.__setattr__(self, "order_by", order)
        offset = 0 if self.offset is None else self.offset
        if not isinstance(offset, int) or isinstance(offset, bool):
            raise TypeError("The offset argument must be an integer")
        object.__setattr__(self, "offset", offset)
        if offset and self.limit is None:
            object.__setattr__(self, "limit", 999999999999)

    def merge(self, other: Top) -> Top:
        """This Top followed by ``other`` (whose ``order_by`` is None or the same), as one Top.

        Offsets add; the limit is what remains of this one after ``other``'s offset, capped by
        ``other``'s limit (spec 03 §5).
        """
        limit, offset = merged_window(self.limit, self.offset or 0, other.limit, other.offset or 0)
        return Top(limit, self.order_by, offset)


def merged_window(
    limit1: int | None, offset1: int, limit2: int | None, offset2: int
) -> tuple[int | None, int]:
    """``(limit, offset)`` of taking ``limit2`` rows after ``offset2`` of a window of ``limit1``
    rows after ``offset1`` (None: unlimited)."""
    inf = float("inf")
    first = inf if limit1 is None else limit1
    second = inf if limit2 is None else limit2
    limit = min(second, max(0, first - offset2))
    return (None if limit == inf else int(limit)), offset1 + offset2


class AndList(list[Any]):
    """A list of restrictions that must all hold (``dj.AndList``)."""


class Not:
    """The negation of a restriction (``dj.Not(cond)``)."""

    def __init__(self, restriction: Any) -> None:
        self.restriction = restriction

    def __repr__(self) -> str:
        return f"Not({self.restriction!r})"


TRUE, FALSE = Always(True), Always(False)


def has_semijoin(cond: Condition) -> bool:
    """Whether a condition restricts by another query expression anywhere in its tree."""
    if isinstance(cond, And | Or):
        return any(has_semijoin(p) for p in cond.parts)
    return isinstance(cond, Semijoin)


def any_of(parts: Iterable[Condition]) -> Condition:
    """OR with simplification: False dropped, True absorbs, empty is False."""
    kept: list[Condition] = []
    for p in parts:
        if p == TRUE:
            return TRUE
        if p != FALSE:
            kept.append(p)
    return FALSE if not kept else kept[0] if len(kept) == 1 else Or(tuple(kept))


def all_of(parts: Iterable[Condition]) -> Condition:
    """AND with simplification: True dropped, False absorbs, empty is True."""
    kept: list[Condition] = []
    for p in parts:
        if p == FALSE:
            return FALSE
        if p != TRUE:
            kept.append(p)
    return TRUE if not kept else kept[0] if len(kept) == 1 else And(tuple(kept))


@dataclass(frozen=True)
class Context:
    """What binding needs: the restricted expression's heading and available names."""

    heading: Heading  # result heading of the restricted expression
    names: frozenset[str]  # visible names plus hidden names of the underlying tables
    connection: Any
    semantic_check: bool
    is_expression: Callable[[Any], bool]
    is_universal: Callable[[Any], bool]


def _invalid(operand: Any) -> DataJointError:
    return DataJointError(f"Invalid restriction type {operand!r}")


def bind(operand: Any, ctx: Context, negate: bool = False) -> Condition:
    """A restriction operand as a simplified Condition (negation pushed to the leaves)."""
    if type(operand) is dict:  # the most frequent operand (a key) first
        return bind_key(operand.items(), ctx.heading, negate)
    if isinstance(operand, Top):
        raise _invalid(operand)
    if isinstance(operand, Condition):
        return operand if not negate else _negate(operand)
    if isinstance(operand, bool | np.bool_):
        return Always(bool(operand) != negate)
    if isinstance(operand, str):
        used = sqlfrag.references(operand, ctx.names)
        return Sql(operand, ctx.names, used, negate)
    if isinstance(operand, Not):
        return bind(operand.restriction, ctx, not negate)
    if ctx.is_universal(operand):
        return Always(not negate)
    if isinstance(operand, AndList):
        parts = [bind(x, ctx, negate) for x in operand]
        return any_of(parts) if negate else all_of(parts)
    if ctx.is_expression(operand):
        other = operand() if isinstance(operand, type) else operand
        check_same_connection(ctx.connection, other.connection)
        check_lineage(ctx.heading, other.heading, ctx.semantic_check)
        common = tuple(n for n in other.heading.names if n in ctx.heading.attributes)
        return Semijoin(other, common, negate)
    if isinstance(operand, Mapping):
        return bind_key(operand.items(), ctx.heading, negate)
    if isinstance(operand, np.void):
        return bind_key(((n, operand[n]) for n in operand.dtype.names or ()), ctx.heading, negate)
    if type(operand).__name__ == "DataFrame" and hasattr(operand, "to_records"):
        operand = operand.to_records()
    if isinstance(operand, str | bytes | int | float) or operand is None:
        raise _invalid(operand)
    if isinstance(operand, Iterable):
        parts = [bind(x, ctx, negate) for x in operand]
        return all_of(parts) if negate else any_of(parts)
    raise _invalid(operand)


def bind_key(pairs: Iterable[tuple[Any, Any]], heading: Heading, negate: bool = False) -> Condition:
    """The restriction by a mapping's ``(name, value)`` pairs: names that are not in
    ``heading`` are ignored (spec 03 §3.3)."""
    items: list[tuple[Any, Any]] = []
    attributes = heading.attributes
    for k, v in pairs:
        target: Any = attributes.get(k)  # an attribute's own name: the most frequent key
        if target is None:
            if not isinstance(k, str) or (target := restriction_key(k, heading)) is None:
                continue
        elif target.codec is not None and v is not None:
            raise _codec_restriction(target)
        items.append((target, v))
    if not items:
        return Always(not negate)
    # a frozen dataclass's __init__ sets each field through object.__setattr__
    equals = object.__new__(Equals)
    equals.__dict__.update(items=tuple(items), negated=negate)
    return equals


def _codec_restriction(attr: Any) -> DataJointError:
    return DataJointError(
        f"Attribute `{attr.name}` ({attr.type}) cannot be restricted by value: its values are "
        "encoded by a codec. Restrict by the primary key or other attributes instead (None "
        "selects rows where it is NULL)."
    )


def _negate(cond: Condition) -> Condition:
    if isinstance(cond, Always):
        return Always(not cond.value)
    if isinstance(cond, And):
        return any_of(_negate(p) for p in cond.parts)
    if isinstance(cond, Or):
        return all_of(_negate(p) for p in cond.parts)
    if isinstance(cond, Equals | Sql | Semijoin):
        return type(cond)(**{**cond.__dict__, "negated": not cond.negated})
    raise _invalid(cond)  # pragma: no cover
