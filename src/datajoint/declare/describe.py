"""``describe()``: reverse-engineer a definition that re-declares an identical table."""

from __future__ import annotations

import types
from typing import Any

from ..heading import ForeignKey, Heading


def _table_classes(namespace: dict[str, Any], prefix: str) -> dict[tuple[str, str], str]:
    names: dict[tuple[str, str], str] = {}
    for name, obj in list(namespace.items()):
        if isinstance(obj, type) and isinstance(obj.__dict__.get("database"), str):
            table: Any = obj  # a table class: `database`, `table_name` are set dynamically
            try:
                names[(table.database, table.table_name)] = prefix + name
            except Exception:
                continue
            for part_name, part in vars(obj).items():
                if isinstance(part, type) and getattr(part, "_master", None) is obj:
                    part_table: Any = part
                    names[(table.database, part_table.table_name)] = f"{prefix}{name}.{part_name}"
    return names


def _class_names(context: dict[str, Any] | None) -> dict[tuple[str, str], str]:
    """Class paths of the tables in ``context``: its classes, then ``module.Class`` for the
    classes of modules in it (e.g. virtual modules of other schemas)."""
    names: dict[tuple[str, str], str] = {}
    for name, obj in (context or {}).items():
        if isinstance(obj, types.ModuleType) and not name.startswith("_"):
            for key, path in _table_classes(vars(obj), name + ".").items():
                names.setdefault(key, path)
    names.update(_table_classes(context or {}, ""))
    return names


def _reference(fk: ForeignKey, names: dict[tuple[str, str], str]) -> str:
    target = names.get(fk.parent)
    if target is None:
        schema, table = fk.parent
        target = f"`{schema}`.`{table}`"
    renamed = [f'{new}="{old}"' for new, old in fk.attr_map.items() if new != old]
    return f"{target}.proj({', '.join(renamed)})" if renamed else target


def describe(table: Any, context: dict[str, Any] | None = None) -> str:
    """The definition text of ``table`` from its catalog heading (spec 01 §7.6)."""
    return describe_heading(table.heading, _class_names(context))


def describe_heading(heading: Heading, names: dict[tuple[str, str], str]) -> str:
    """The definition text of a table heading; ``names`` maps parent tables to class names."""
    lines: list[str] = []
    if heading.comment:
        lines.append(f"# {heading.comment}")
    fk_of: dict[str, ForeignKey] = {}
    for foreign_key in heading.foreign_keys:
        if foreign_key.parent[1].startswith("~"):
            continue  # e.g. a DataJoint 0.14 reference into ~external_<store>: a plain column
        for column in foreign_key.columns:
            fk_of.setdefault(column, foreign_key)
    unique_sets = {frozenset(ix.parts) for ix in heading.indexes if ix.unique}
    emitted: set[int] = set()
    fk_indexes: set[frozenset[str]] = set()
    # hidden attributes are not written, but a foreign key whose columns are hidden (the
    # `_singleton` key inherited from a singleton table) still is
    described = [a for a in heading.all_attributes if not a.is_hidden or a.name in fk_of]
    in_key = True
    attributes: list[tuple[int, str, str, str]] = []  # line number, name, type, comment
    for i, attr in enumerate(described):
        if in_key and not attr.in_key:
            lines.append("---")
            in_key = False
        fk = fk_of.get(attr.name)
        if fk is not None:
            key = id(fk)
            last = max(j for j, a in enumerate(described) if a.name in fk.columns)
            if key in emitted or i != last:
                continue
            emitted.add(key)
            options = []
            if any(heading[c].nullable for c in fk.columns):
                options.append("nullable")
            if frozenset(fk.columns) in unique_sets:
                options.append("unique")
                fk_indexes.add(frozenset(fk.columns))
            opts = f"[{', '.join(options)}] " if options else ""
            lines.append(f"-> {opts}{_reference(fk, names)}")
            continue
        default = attr.display_default
        name = f"{attr.name}{f' = {default}' if default is not None else ''}"
        attributes.append((len(lines), name, attr.type_text, attr.comment or ""))
        lines.append("")
    _align(lines, attributes)
    if in_key and heading.secondary_attributes == [] and not heading.primary_key:
        lines.append("---")
    for index in heading.indexes:
        if frozenset(index.parts) in fk_indexes:
            continue
        parts = ", ".join(index.parts)
        lines.append(f"{'UNIQUE ' if index.unique else ''}INDEX ({parts})")
    return "\n".join(lines) + "\n"


def _align(lines: list[str], attributes: list[tuple[int, str, str, str]]) -> None:
    """Write the attribute lines with names, types and comments in aligned columns."""
    name_width = max((len(name) for _, name, _, _ in attributes), default=0)
    type_width = max((len(t) for _, _, t, comment in attributes if comment), default=0)
    for number, name, type_text, comment in attributes:
        text = f"{name.ljust(name_width)} : {type_text}"
        if comment:
            text = f"{text.ljust(name_width + 3 + type_width)}  # {comment}"
        lines[number] = text
