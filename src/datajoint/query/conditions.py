"""The one coercion point for restriction operands: anything ``&`` accepts → a Condition.

Conditions are frozen data; ``compiler.py`` renders them to SQL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import DataJointError


@dataclass(frozen=True)
class Condition:
    """Base of restriction conditions."""


@dataclass(frozen=True)
class Always(Condition):
    """TRUE (``value=True``) or FALSE."""

    value: bool


@dataclass(frozen=True)
class Equals(Condition):
    """Attribute-value pairs, all of which must hold (a dict or record restriction)."""

    items: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Sql(Condition):
    """A user SQL fragment in MySQL-flavoured syntax."""

    text: str


@dataclass(frozen=True)
class And(Condition):
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class Or(Condition):
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class Negate(Condition):
    part: Condition


@dataclass(frozen=True)
class Semijoin(Condition):
    """Rows that match some row of another query expression on the common attributes."""

    expression: Any


@dataclass(frozen=True)
class Top:
    """``dj.Top(limit=1, order_by="KEY", offset=0)``: the first rows in an order."""

    limit: int | None = 1
    order_by: str | Sequence[str] | None = "KEY"
    offset: int = 0

    def __post_init__(self) -> None:
        if self.limit is not None and not isinstance(self.limit, int):
            raise TypeError("Top limit must be an integer")
        if not isinstance(self.offset, int):
            raise TypeError("Top offset must be an integer")


class AndList(list):
    """A list of restrictions that must all hold (``dj.AndList``)."""


class Not:
    """The negation of a restriction (``dj.Not(cond)``)."""

    def __init__(self, restriction: Any) -> None:
        self.restriction = restriction


def _from_mapping(row: Mapping[str, Any]) -> Condition:
    return Equals(tuple((str(k), v) for k, v in row.items()))


def make_condition(operand: Any, is_expression: Any) -> Condition:
    """Coerce a restriction operand (spec 03 §3.1) into a Condition.

    ``is_expression(x)`` tells whether ``x`` is a query expression (or a table class).
    """
    if isinstance(operand, Condition):
        return operand
    if isinstance(operand, bool | np.bool_):
        return Always(bool(operand))
    if isinstance(operand, str):
        return Sql(operand)
    if isinstance(operand, Not):
        return Negate(make_condition(operand.restriction, is_expression))
    if isinstance(operand, AndList):
        return And(tuple(make_condition(x, is_expression) for x in operand))
    if is_expression(operand):
        return Semijoin(operand() if isinstance(operand, type) else operand)
    if isinstance(operand, Mapping):
        return _from_mapping(operand)
    if isinstance(operand, np.void):
        return Equals(tuple((n, operand[n]) for n in operand.dtype.names or ()))
    if isinstance(operand, np.ndarray) and operand.dtype.names:
        return Or(tuple(make_condition(r, is_expression) for r in operand))
    if type(operand).__name__ == "DataFrame" and hasattr(operand, "to_dict"):
        frame = operand.reset_index() if _named_index(operand) else operand
        return Or(tuple(_from_mapping(r) for r in frame.to_dict("records")))
    if isinstance(operand, list | tuple | set | frozenset):
        return Or(tuple(make_condition(x, is_expression) for x in operand))
    raise DataJointError(
        f"Invalid restriction of type {type(operand).__name__}: use a dict, a string, a query "
        "expression, a list of these, dj.AndList, dj.Not or a bool."
    )


def _named_index(frame: Any) -> bool:
    names = [n for n in getattr(frame.index, "names", []) if n is not None]
    return bool(names)
