"""Universal sets: ``dj.U(*names)`` (spec 03 §10)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..errors import DataJointError, UnknownAttributeError
from ..heading import Heading
from .expression import QueryExpression, as_expression, grouped, is_expression
from .nodes import Computed, UnionSource, UniversalSet, computed_attribute, keyed_heading


class U(UniversalSet):
    """``dj.U(*names)``: the universal set of all value combinations of ``names`` (§10).

    ``dj.U(*names) & A`` gives the distinct combinations present in A, keyed by ``names``;
    ``dj.U(*names).aggr(B, **named)`` groups B by ``names``. A U is not a query expression
    and cannot be fetched. Note: rows of A whose ``names`` are NULL yield one row with a NULL
    key (kept for compatibility with upstream DataJoint, although it breaks entity integrity).
    """

    def __init__(self, *names: str) -> None:
        self.names = tuple(names)

    def __repr__(self) -> str:
        return f"U({', '.join(map(repr, self.names))})"

    @property
    def primary_key(self) -> list[str]:
        return list(self.names)

    def _operand(self, other: Any, message: str) -> QueryExpression:
        expression = as_expression(other, message)
        missing = [n for n in self.names if n not in expression.heading.attributes]
        if missing:
            raise UnknownAttributeError(
                f"Attributes {missing} of dj.U are not found in the expression; it has: "
                f"{', '.join(expression.heading.names)}."
            )
        if expression._final or isinstance(expression._source, UnionSource):
            expression = expression._wrap()
        if set(self.names) & expression._renamed:
            expression = expression._wrap()
        return expression

    def __and__(self, other: Any) -> QueryExpression:
        """The distinct combinations of the names present in ``other``."""
        base = self._operand(other, "Set U can only be restricted with a QueryExpression.")
        if self.names:
            attrs = [base.heading[n] for n in self.names]
            heading = keyed_heading(attrs, list(self.names), base.heading.lineage_available)
            columns: tuple[tuple[str, Any], ...] = tuple((n, n) for n in self.names)
        else:
            marker = replace(computed_attribute("_u", "1"), in_key=True)
            heading = Heading(all_attributes=(marker,))
            columns = (("_u", Computed("1")),)
        return base._derive(heading=heading, columns=columns, distinct=True)

    def restrict(self, other: Any, semantic_check: bool = True) -> QueryExpression:
        restricted: QueryExpression = self & other
        return restricted

    def __sub__(self, other: Any) -> Any:
        raise DataJointError("dj.U(...) - A would be an infinite set and is not supported.")

    def __mul__(self, other: Any) -> Any:
        raise DataJointError("Joining with dj.U(...) is no longer supported in DataJoint 2.0.")

    __rmul__ = __mul__

    def aggr(
        self, group: Any, *attributes: Any, exclude_nonmatching: bool = True, **named: str
    ) -> QueryExpression:
        """Group ``group`` by the names and compute ``named`` per group (§10.2)."""
        if not exclude_nonmatching:
            raise DataJointError(
                "Cannot set exclude_nonmatching=False when aggregating on a universal set."
            )
        if attributes:
            raise DataJointError("dj.U(...).aggr takes no positional attributes.")
        if not is_expression(group):
            raise DataJointError("dj.U.aggr requires a QueryExpression as the group expression.")
        group = as_expression(group, "")
        missing = [n for n in self.names if n not in group.heading.attributes]
        if missing:
            raise UnknownAttributeError(f"Attributes {missing} not found in the group expression.")
        base = self._operand(group, "")
        attrs = [base.heading[n] for n in self.names]
        return grouped(base, list(self.names), attrs, list(self.names), named)

    aggregate = aggr
