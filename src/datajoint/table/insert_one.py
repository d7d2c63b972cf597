"""``insert1`` of a dict of plain values through a statement prepared once per table and
field names: no per-row normalization, batching or SQL building."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import DuplicateError, QueryError, ValueConversionError
from ..heading import Attribute
from ..types import is_plain_value
from .insert import record_insert
from .violations import SKIP_HINT, explain


def insert1_prepared(table: Any, row: dict[str, Any]) -> bool:
    """Insert one dict of plain values (ints in integer attributes, text in text attributes…)
    through a statement prepared once per table and field names; False (nothing done) for any
    other row, which :func:`insert` then handles."""
    if table.auto_populated and not getattr(table, "_allow_insert", False):
        return False  # insert() refuses it, with the explanation
    plan = _row_plan(table, tuple(row))
    values = None if plan is None else plan.bind(row)
    if plan is None or values is None:
        return False
    try:
        table.connection.query(plan.sql, values)
    except (QueryError, ValueConversionError) as exc:
        hint = SKIP_HINT if isinstance(exc, DuplicateError) else ""
        raise explain(exc, table, list(row), [row], hint) from None
    record_insert(table)
    return True


@dataclass(frozen=True)
class _RowPlan:
    """The INSERT of one row of given field names, and how each value reaches the driver."""

    sql: str
    columns: tuple[tuple[str, Attribute, bool], ...]  # (name, attribute, driver passthrough)
    adapter: Any

    def bind(self, row: dict[str, Any]) -> list[Any] | None:
        """The driver values of ``row``, or None when one needs normalizing or a default."""
        values = []
        for name, attr, passthrough in self.columns:
            value = row[name]
            if not is_plain_value(attr.type, value):
                return None
            values.append(value if passthrough else self.adapter.to_driver(attr, value))
        return values


def _row_plan(table: Any, names: tuple[str, ...]) -> _RowPlan | None:
    heading = table.heading
    statements = table.connection.catalog.statements
    key = ("insert1", id(heading), names)
    hit = statements.get(key)
    if hit is not None:
        plan: _RowPlan | None = hit[0]
        return plan
    attributes = heading.attributes
    plan = None
    if names and all(name in attributes for name in names):
        attrs = [attributes[name] for name in names]
        adapter = table.connection.adapter
        sql, _ = adapter.insert_sql(
            table.database, table.table_name, names, [[None] * len(names)], attrs
        )
        columns = tuple(
            (a.name, a, a.codec is None and a.type.kind in adapter.driver_passthrough)
            for a in attrs
        )
        if all(a.codec is None for a in attrs):
            plan = _RowPlan(sql, columns, adapter)
    statements[key] = (plan, heading)  # the heading stays alive while its id is a key
    return plan
