"""The shape of a query expression: its structure with the values of key restrictions taken out.

Expressions of one shape (the same operators, attributes, fragments and restriction structure)
compile to one SQL text; only their bound values differ. So ``(T & key).fetch1()``, ``len``,
existence checks and restrictions by dicts compile once per shape and then only bind values.
"""

from __future__ import annotations

import decimal
import json
import numbers
from dataclasses import dataclass, field
from typing import Any

from ..types import USE_DEFAULT, is_plain_value, to_core_value
from .conditions import Always, Equals, Semijoin, Sql
from .nodes import COMPUTED_TYPE, JoinSource, JsonPath, UnionSource

# how one ``attribute = value`` of a key restriction compiles (besides the value itself)
NULL = "null"  # IS NULL (no value bound)
VALUE = "value"  # = %s
NUMBER = "number"  # a JSON path compared as a number
DOCUMENT = "document"  # a JSON path compared with a JSON document


def missing(value: Any) -> bool:
    """True for float NaN and pandas' NA/NaT markers."""
    kind = type(value)
    if kind is int or kind is str:
        return False
    if isinstance(value, numbers.Real):  # float and numpy floats: NaN is unequal to itself
        return bool(value != value)
    return type(value).__name__ in ("NAType", "NaTType")


def equality_value(backend: Any, attr: Any, value: Any) -> tuple[Any, Any]:
    """``(tag, bound value)`` of the restriction ``attr = value``; ``tag`` tells how it
    compiles: :data:`NULL`, :data:`VALUE`, :data:`NUMBER`, :data:`DOCUMENT` or ``("bool", b)``.
    """
    if missing(value):  # NaN/NA/NaT (e.g. from a DataFrame) mean NULL, as on insert
        value = None
    if isinstance(attr, JsonPath):
        if value is None:
            return NULL, None
        if attr.cast is None and isinstance(value, bool):
            return ("bool", value), "true" if value else "false"
        if attr.cast is None and isinstance(value, int | float | decimal.Decimal):
            return NUMBER, value
        if isinstance(value, dict | list):
            return DOCUMENT, json.dumps(value)
        return VALUE, value
    spec = attr.type
    if spec is COMPUTED_TYPE or (spec.declared == COMPUTED_TYPE.declared and spec == COMPUTED_TYPE):
        return (NULL, None) if value is None else (VALUE, value)
    normalized = value if is_plain_value(spec, value) else to_core_value(spec, value, attr.name)
    if normalized is USE_DEFAULT:
        return NULL, None
    return VALUE, backend.to_driver(attr, normalized)


@dataclass
class Shape:
    """The shape ``key`` of an expression and its bound ``values`` in walk order.

    ``slots`` maps each key-restriction condition (by id) to the index of its first value;
    ``anchors`` are the headings whose ids the key holds (kept alive with a cached statement).
    """

    key: tuple[Any, ...]
    values: list[Any] = field(default_factory=list)
    slots: dict[int, int] = field(default_factory=dict)
    anchors: list[Any] = field(default_factory=list)


class _Unshaped(Exception):
    """The expression has a part whose SQL depends on more than its shape."""


def shape_of(query: Any) -> Shape | None:
    """The shape of ``query``, or None when its SQL text must be built for it alone (an OR of
    restrictions, e.g. a list of keys, or one restriction object used twice)."""
    table = getattr(query, "is_base_table", False) and query._top is None
    if table:  # a table or a restricted table (the most frequent)
        keyed = _keyed_table(query)
        if keyed is not None:
            return keyed
    walker = _Walker(query.connection)
    try:
        key = walker.table_block(query) if table else walker.block(query)
    except _Unshaped:
        return None
    return Shape(key, walker.values, walker.slots, walker.anchors)


def _keyed_table(q: Any) -> Shape | None:
    """The shape of a table restricted by keys of plain values (ints, text, floats of their
    attributes' types), as :class:`_Walker` makes it, without its general dispatch; None for
    anything else."""
    heading = q.heading
    backend = q.connection.adapter
    values: list[Any] = []
    slots: dict[int, int] = {}
    conditions = []
    for cond in q._where:
        if type(cond) is not Equals or id(cond) in slots:
            return None
        slots[id(cond)] = len(values)
        tags = []
        for attr, value in cond.items:
            if isinstance(attr, JsonPath) or not is_plain_value(attr.type, value):
                return None
            tags.append((attr.name, VALUE))
            values.append(backend.to_driver(attr, value))
        conditions.append(("=", tuple(tags), cond.negated))
    key = ("table", (q._source, id(heading)), tuple(conditions))
    return Shape(key, values, slots, [heading])


class _Walker:
    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.backend = connection.adapter
        self.values: list[Any] = []
        self.slots: dict[int, int] = {}
        self.anchors: list[Any] = []

    def table(self, source: tuple[str, str], heading: Any) -> tuple[Any, ...]:
        self.anchors.append(heading)
        return (source, id(heading))

    def table_block(self, q: Any) -> tuple[Any, ...]:
        """The key of a table instance with no Top (a table is restricted or not; a table
        with any other operator is a plain query expression)."""
        return (
            "table",
            self.table(q._source, q.heading),
            tuple([self.condition(c) for c in q._where]),
        )

    def block(self, q: Any) -> tuple[Any, ...]:
        source = q._source
        source_key: tuple[Any, ...]
        if isinstance(source, tuple):
            source_key = self.table(source, q._source_heading)
        elif isinstance(source, JoinSource):
            items = tuple((self.item(i.source), i.kind, i.using) for i in source.items)
            source_key = ("join", self.item(source.first), items)
        elif isinstance(source, UnionSource):
            parts = tuple(self.block(p) for p in source.parts)
            source_key = ("union", parts, source.names, source.distinct)
        else:
            source_key = ("derived", self.block(source))
        state = q.__dict__
        # a table's own columns and heading are those of its catalog heading (in the key)
        heading = state.get("_heading")
        heading_key = None if heading is None else (tuple(heading.names), *heading.primary_key)
        having = q._having
        return (
            source_key,
            state.get("_columns"),
            heading_key,
            tuple([self.condition(c) for c in q._where]),
            q._group,
            tuple([self.condition(c) for c in having]) if having else (),
            q._distinct,
            q._top,
        )

    def item(self, source: Any) -> tuple[Any, ...]:
        if isinstance(source, tuple):
            heading = self.connection.catalog.heading(*source)
            if heading is None:
                raise _Unshaped
            return self.table(source, heading)
        return self.block(source)

    def condition(self, cond: Any) -> Any:
        kind = type(cond)
        if kind is Equals:
            if id(cond) in self.slots:
                raise _Unshaped
            self.slots[id(cond)] = len(self.values)
            tags = []
            for attr, value in cond.items:
                tag, bound = equality_value(self.backend, attr, value)
                tags.append((attr if isinstance(attr, JsonPath) else attr.name, tag))
                self.values.append(bound)
            return ("=", tuple(tags), cond.negated)
        if kind is Sql or kind is Always:
            return cond
        if kind is Semijoin:
            return ("in", self.block(cond.expression), cond.common, cond.negated)
        raise _Unshaped  # AND/OR of several restrictions (lists of keys)
