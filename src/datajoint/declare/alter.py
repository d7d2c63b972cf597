"""``alter()``: change an existing table's secondary attributes and comment to match its current
definition (spec 01 §8).

The new definition is resolved exactly like a declaration; the old state comes from the catalog.
Primary keys, foreign keys and indexes cannot change; a new attribute whose comment starts with
``{old_name}`` renames ``old_name``.
"""

from __future__ import annotations

import logging
import re
import sys
from dataclasses import replace
from typing import Any

from .. import utils
from ..backends.base import AlterChange
from ..catalog import stored_comment
from ..errors import DataJointError
from ..heading import Attribute, Heading
from .ddl import prepare

logger = logging.getLogger("datajoint")

_RENAME = re.compile(r"^\{\s*([a-z_][a-z0-9_]*)\s*\}\s*")


class AlterError(DataJointError, NotImplementedError):
    """``alter()`` was asked for a change it cannot make (primary key, foreign keys, indexes)."""


def default_context(table: Any) -> dict[str, Any]:
    """Names for resolving the definition: the class's module, its master, and itself."""
    cls = type(table)
    module = sys.modules.get(cls.__module__)
    context = dict(vars(module)) if module is not None else {}
    master = getattr(cls, "_master", None)
    if master is not None:
        context[master.__name__] = master
        context["master"] = master
    context[cls.__name__] = cls
    context["self"] = cls
    return context


def _signature(attr: Attribute) -> tuple[Any, ...]:
    default = None if attr.nullable else attr.default
    if default is not None and default.upper().startswith("CURRENT_TIMESTAMP"):
        default = default.upper()
    return (attr.sql_type.lower(), attr.nullable, default, attr.comment, attr.type.declared)


def _renames(
    new: list[Attribute], old: dict[str, Attribute]
) -> tuple[list[Attribute], dict[str, str]]:
    """Strip ``{old}`` rename markers from comments; returns the attributes and new → old."""
    renames: dict[str, str] = {}
    out = []
    for attr in new:
        m = _RENAME.match(attr.comment)
        if m:
            source = m.group(1)
            rest = attr.comment[m.end() :]
            if source not in old and attr.name in old and old[attr.name].comment == rest:
                source = attr.name  # renamed by an earlier alter() of the same definition
            elif source not in old:
                raise DataJointError(
                    f"Attribute `{source}` does not exist in the original definition (renamed "
                    f"to `{attr.name}`)."
                )
            if source in renames.values():
                raise DataJointError(f"Attempted to rename attribute `{source}` twice.")
            if source != attr.name:
                renames[attr.name] = source
            attr = replace(attr, comment=rest)
        out.append(attr)
    return out, renames


def _check_structure(heading: Heading, decl: Any) -> None:
    if list(decl.primary_key) != list(heading.all_primary_key):
        raise AlterError("Cannot alter the primary key (yet): declare a new table instead.")
    fks = {(f.columns, f.parent, f.ref_columns) for f in heading.foreign_keys}
    if {(f.columns, f.parent, f.ref_columns) for f in decl.foreign_keys} != fks:
        raise AlterError("Cannot alter foreign keys (yet): declare a new table instead.")
    indexes = {(tuple(i.parts), i.unique) for i in heading.indexes}
    if {(tuple(i.parts), i.unique) for i in decl.indexes} != indexes:
        raise AlterError("Cannot alter indexes (yet): declare a new table instead.")


def attribute_changes(
    old_attrs: list[Attribute], new_attrs: list[Attribute], first: str | None
) -> tuple[list[AlterChange], bool]:
    """The changes turning ``old_attrs`` into ``new_attrs`` (secondary attributes, in order);
    ``first`` is the attribute before the first secondary one. Also says whether any
    attribute moved."""
    old = {a.name: a for a in old_attrs}
    new, renames = _renames(new_attrs, old)
    source = {a.name: renames.get(a.name, a.name if a.name in old else None) for a in new}
    kept = {s for s in source.values() if s is not None}
    changes = [AlterChange("drop", old=a) for a in old_attrs if a.name not in kept]
    old_order = [a.name for a in old_attrs if a.name in kept]
    new_name = {s: n for n, s in source.items() if s is not None}
    moved = False
    previous = first
    for attr in new:
        src = source[attr.name]
        if src is None:
            changes.append(AlterChange("add", new=attr, after=previous))
        else:
            i = old_order.index(src)
            old_previous = new_name.get(old_order[i - 1]) if i else first
            after = previous if old_previous != previous else None
            moved = moved or after is not None
            if src != attr.name:
                changes.append(AlterChange("change", old=old[src], new=attr, after=after))
            elif after is not None or _signature(old[src]) != _signature(attr):
                changes.append(AlterChange("modify", old=old[src], new=attr, after=after))
        previous = attr.name
    return changes, moved


def alter(table: Any, prompt: bool = True, context: dict[str, Any] | None = None) -> None:
    """Alter ``table`` to match its current ``definition`` (spec 01 §8)."""
    connection = table.connection
    schema, name = table.database, table.table_name
    if connection.in_transaction:
        raise DataJointError(
            f"Cannot update the declaration of `{name}` inside a transaction: commit or cancel "
            "it first."
        )
    adapter = connection.adapter
    heading = table.heading
    is_part = table.tier_name == "Part"
    decl = prepare(
        connection,
        schema,
        name,
        table.definition,
        context if context is not None else default_context(table),
        tier="Part" if is_part else table.tier_name,
        is_part=is_part,
    )
    _check_structure(heading, decl)
    old_attrs = [
        replace(a, sql_type=adapter.column_type(a.storage, schema))
        for a in heading.all_attributes
        if not a.in_key
    ]
    new_attrs = [a for a in decl.attributes if not a.in_key]
    first = heading.all_primary_key[-1] if heading.all_primary_key else None
    changes, moved = attribute_changes(old_attrs, new_attrs, first)
    if moved and adapter.name != "mysql":
        logger.warning(
            "Attribute order cannot change on %s; the new order is ignored.", adapter.name
        )
        changes = [c for c in changes if not (c.kind == "modify" and _same(c))]
    comment = decl.comment if decl.comment != heading.comment else None
    if not changes and comment is None:
        if prompt:
            logger.info("Nothing to alter.")
        return
    stored = [
        replace(
            c,
            old=c.old and replace(c.old.storage, comment=stored_comment(c.old)),
            new=c.new and replace(c.new.storage, comment=stored_comment(c.new)),
        )
        for c in changes
    ]
    statements = adapter.alter_table_sql(schema, name, stored, comment)
    if prompt:
        print("\n".join(statements))
        if utils.user_choice("Execute?", default="no") != "yes":
            return
    try:
        # one transaction, so that PostgreSQL and SQLite (transactional DDL) apply all or none
        with connection.transaction:
            for sql in statements:
                connection.query(sql, None)
    finally:
        connection.invalidate(schema)
    logger.info("Table `%s`.`%s` altered.", schema, name)


def _same(change: AlterChange) -> bool:
    """A modify that only moves an attribute (nothing a non-MySQL backend can apply)."""
    if change.old is None or change.new is None:
        return False
    return _signature(change.old) == _signature(change.new)
