"""``describe()``: reverse-engineer a definition that re-declares an identical table."""

from __future__ import annotations

from typing import Any

from ..heading import ForeignKey, Heading


def _class_names(context: dict[str, Any] | None) -> dict[tuple[str, str], str]:
    names: dict[tuple[str, str], str] = {}
    for name, obj in (context or {}).items():
        if isinstance(obj, type) and getattr(obj, "database", None):
            table: Any = obj  # a table class: `database`, `table_name` are set dynamically
            try:
                names[(table.database, table.table_name)] = name
            except Exception:
                continue
            for part_name, part in vars(obj).items():
                if isinstance(part, type) and getattr(part, "_master", None) is obj:
                    part_table: Any = part
                    names[(table.database, part_table.table_name)] = f"{name}.{part_name}"
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
        for column in foreign_key.columns:
            fk_of.setdefault(column, foreign_key)
    unique_sets = {frozenset(ix.parts) for ix in heading.indexes if ix.unique}
    emitted: set[int] = set()
    fk_indexes: set[frozenset[str]] = set()
    # hidden attributes are not written, but a foreign key whose columns are hidden (the
    # `_singleton` key inherited from a singleton table) still is
    described = [a for a in heading.all_attributes if not a.is_hidden or a.name in fk_of]
    in_key = True
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
        text = f"{attr.name}{f' = {default}' if default is not None else ''} : {attr.type_text}"
        if attr.comment:
            text += f"  # {attr.comment}"
        lines.append(text)
    if in_key and heading.secondary_attributes == [] and not heading.primary_key:
        lines.append("---")
    for index in heading.indexes:
        if frozenset(index.parts) in fk_indexes:
            continue
        parts = ", ".join(index.parts)
        lines.append(f"{'UNIQUE ' if index.unique else ''}INDEX ({parts})")
    return "\n".join(lines) + "\n"
