"""Frozen IR nodes of a SELECT block and the heading rules of the operators (no SQL).

A query expression is one SELECT block: a source (a base table ``(schema, table)``, a derived
table — another expression —, a join of sources, or a union), output columns that map each
result name to a source column or a :class:`Computed` fragment, WHERE conditions on the
source, an optional grouping, DISTINCT, and an optional :class:`TopSpec`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from .. import types as T
from ..errors import DataJointError, UnknownAttributeError
from ..heading import Attribute, Heading
from ..types import TEXT, TypeSpec

COMPUTED_TYPE = TypeSpec("expression", TEXT, False)
_ORDER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(ASC|DESC)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Computed:
    """A computed attribute's SQL text (MySQL-flavoured user fragment)."""

    text: str


@dataclass(frozen=True)
class JsonPath:
    """A value extracted from a JSON attribute: ``attribute.path[:type]`` (spec 03 §3.3)."""

    attribute: str
    path: str
    cast: str | None = None


_JSON_SEGMENT = r'\.[A-Za-z_]\w*|\."[^"\\]+"|\[\d+\]'
_JSON_KEY = re.compile(rf"^([A-Za-z_]\w*)((?:{_JSON_SEGMENT})+)(?::(.+))?$")
_FIRST_PART = re.compile(r"^\s*([^.\[:]*)")
_CASTS = {"unsigned": "uint64", "signed": "int64", "double": "float64", "float": "float32"}


def json_path(text: str, heading: Heading) -> JsonPath | None:
    """``car.headlights[0].side:varchar(8)`` on a JSON attribute → a JsonPath, else None.

    Path segments are ``.name``, ``."any key"`` (double-quoted: any characters but ``"`` and
    ``\\``) and ``[index]``; an optional ``:type`` casts the extracted value.
    """
    m = _JSON_KEY.match(text.strip())
    if m is None or m.group(1) not in heading.attributes or not heading[m.group(1)].json:
        return None
    cast = m.group(3)
    if cast is not None:
        cast = cast.strip()
        cast = _CASTS.get(cast.lower(), re.sub(r"^char\b", "varchar", cast, flags=re.I))
        try:
            T.parse_type(cast)
        except DataJointError:
            return None
    return JsonPath(m.group(1), m.group(2).lstrip("."), cast)


def restriction_key(text: str, heading: Heading) -> Attribute | JsonPath | None:
    """The attribute or JSON path that a dict-restriction key names (spec 03 §3.3).

    None when the key's first part (before the first ``.``, ``[`` or ``:``) is not a visible
    attribute: such keys are ignored. A key whose first part is a visible attribute must be
    exactly that attribute or a valid JSON path on a ``json`` attribute; anything else raises
    (ignoring it would widen the restriction, e.g. turn a delete into deleting every row).
    """
    attribute = heading.attributes.get(text)
    if attribute is not None:
        return attribute
    first = _FIRST_PART.match(text)
    if first is None or first.group(1).strip() not in heading.attributes:
        return None
    name = first.group(1).strip()
    path = json_path(text, heading)
    if path is not None:
        return path
    if not heading.attributes[name].json:
        raise DataJointError(
            f"Invalid restriction key {text!r}: `{name}` is not a json attribute, so it has no "
            f"JSON path. Restrict by {name!r} itself."
        )
    raise DataJointError(
        f"Invalid restriction key {text!r}: not a valid JSON path on the json attribute "
        f"`{name}`. Write the path as {name}.key.sub[0] (optionally :type); quote keys that "
        f'are not plain names, as in {name}."my-key".'
    )


@dataclass(frozen=True)
class JoinItem:
    """One joined source: ``kind`` is ``inner``, ``left`` or ``cross``."""

    source: Any
    kind: str
    using: tuple[str, ...]


@dataclass(frozen=True)
class JoinSource:
    """A FROM clause with several sources joined left to right."""

    first: Any
    items: tuple[JoinItem, ...]


@dataclass(frozen=True)
class UnionSource:
    """``(SELECT names FROM a) UNION [ALL] (SELECT names FROM b)`` as a derived table."""

    parts: tuple[Any, ...]
    names: tuple[str, ...]
    distinct: bool


@dataclass(frozen=True)
class TopSpec:
    """A resolved ``dj.Top``: order as ``(origin, descending)`` pairs, limit and offset."""

    order: tuple[tuple[Any, bool], ...]
    order_by: tuple[str, ...] | None
    limit: int | None
    offset: int


class UniversalSet:
    """Marker base of ``dj.U`` (defined in ``universal.py``), which is not an expression."""


def computed_attribute(name: str, text: str, source: Heading | None = None) -> Attribute:
    """A computed (secondary, lineage-free) attribute.

    ``min(a)``/``max(a)`` over an attribute of ``source`` (an aggregate) takes ``a``'s type, so
    that its values decode the same on every backend (e.g. dates kept as text by SQLite).
    """
    m = _SAME_TYPE.match(text) if source is not None else None
    # a match implies source is not None (mypy cannot link the two)
    if m and m.group(1) in source.attributes:  # type: ignore[union-attr]
        attr = source[m.group(1)]  # type: ignore[index]
        if attr.codec is None and attr.type.kind in _KEEPS_TYPE:
            return Attribute(name=name, type=attr.type, nullable=True, expression=text)
    return Attribute(name=name, type=COMPUTED_TYPE, expression=text)


_SAME_TYPE = re.compile(r"^\s*(?:min|max)\s*\(\s*`?([A-Za-z_]\w*)`?\s*\)\s*$", re.IGNORECASE)
_KEEPS_TYPE = frozenset({T.INT, T.FLOAT, T.DECIMAL, T.DATE, T.DATETIME, T.TIME, T.CHAR, T.VARCHAR})


def parse_order(order_by: Any, heading: Heading) -> list[tuple[str, bool]]:
    """``"KEY"``, ``"a DESC"`` or a list of them → ``[(attribute, descending), ...]``."""
    if order_by is None:
        return []
    items = [order_by] if isinstance(order_by, str) else list(order_by)
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"order_by entries must be strings, got {type(item).__name__}")
    # "a DESC, b" is accepted as ["a DESC", "b"] (upstream passes such strings to SQL)
    items = [part for item in items for part in item.split(",")]
    out: list[tuple[str, bool]] = []
    for item in items:
        m = _ORDER.match(item)
        if not m:
            raise DataJointError(
                f"Invalid order_by entry {item!r}: use an attribute name optionally followed by "
                "ASC or DESC, or KEY."
            )
        name, desc = m.group(1), (m.group(2) or "ASC").upper() == "DESC"
        if name == "KEY":
            out.extend((k, desc) for k in heading.primary_key)
        elif heading.has_hidden(name):
            out.append((name, desc))
        else:
            raise UnknownAttributeError(
                f"Attribute `{name}` in order_by is not found; the heading has: "
                f"{', '.join(heading.names)}."
            )
    return out


def _keyed(attrs: list[Attribute], key: list[str], lineage_available: bool = True) -> Heading:
    keys = set(key)
    ordered = [a for a in attrs if a.name in keys]
    ordered.sort(key=lambda a: key.index(a.name))
    rest = [a for a in attrs if a.name not in keys]
    return Heading(
        all_attributes=tuple(replace(a, in_key=True) for a in ordered)
        + tuple(replace(a, in_key=False, autoincrement=False) for a in rest),
        lineage_available=lineage_available,
    )


def join_heading(a: Heading, b: Heading, left: bool = False, nullable_pk: bool = False) -> Heading:
    """The heading and primary key of ``a * b`` (spec 03 §7.2) or of a left join (§7.4)."""
    a_det_b = set(b.primary_key) <= set(a.names)
    b_det_a = set(a.primary_key) <= set(b.names)
    lineage = a.lineage_available and b.lineage_available
    a_attrs, b_attrs = list(a.attributes.values()), list(b.attributes.values())
    b_only = [x for x in b_attrs if x.name not in a.attributes]
    if left:
        b_only = [replace(x, nullable=True) for x in b_only]
    if left and not nullable_pk and not a_det_b:
        missing = [k for k in b.primary_key if k not in a.attributes]
        raise DataJointError(
            "A left join requires the left operand to determine the right operand; "
            f"missing attributes: {missing}."
        )
    if nullable_pk:
        key = a.primary_key + [k for k in b.primary_key if k not in a.primary_key]
        return _keyed([*a_attrs, *b_only], key, lineage)
    if a_det_b:
        return _keyed([*a_attrs, *b_only], a.primary_key, lineage)
    if b_det_a:
        return _keyed(
            [*b_attrs, *(x for x in a_attrs if x.name not in b.attributes)], b.primary_key, lineage
        )
    key = a.primary_key + [k for k in b.primary_key if k not in a.primary_key]
    merged = {**b.attributes, **a.attributes}
    ordered = [merged[k] for k in key]
    ordered += [x for x in a_attrs if x.name not in key]
    ordered += [x for x in b_attrs if x.name not in key and x.name not in a.attributes]
    return _keyed(ordered, key, lineage)


def union_heading(a: Heading, b: Heading) -> Heading:
    """PK(A), A's secondaries, B's secondaries (spec 03 §9)."""
    if set(a.primary_key) != set(b.primary_key):
        raise DataJointError("The operands of a union must share the same primary key.")
    shared = set(a.secondary_attributes) & set(b.secondary_attributes)
    if shared:
        raise DataJointError(
            f"The operands of a union must not share any secondary attributes: {sorted(shared)}."
        )
    attrs = [
        *a.attributes.values(),
        *(replace(x, nullable=True) for x in b.attributes.values() if not x.in_key),
    ]
    attrs = [replace(x, nullable=True) if not x.in_key else x for x in attrs]
    return _keyed(attrs, a.primary_key, a.lineage_available)


def keyed_heading(attrs: list[Attribute], key: list[str], lineage_available: bool) -> Heading:
    """A heading of ``attrs`` whose primary key is ``key`` (in that order), key first."""
    return _keyed(attrs, key, lineage_available)
