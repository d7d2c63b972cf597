"""TableSpec + referenced headings → the attributes, keys and constraints of a new table."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from .. import types as T
from ..codecs.columns import declared_storage
from ..errors import DataJointError, DeclarationError
from ..heading import Attribute, ForeignKey, Heading, Index
from ..types import parse_type
from .tablespec import AttributeLine, ForeignKeyLine, IndexLine, JsonPath, Reference, TableSpec

AUTO_TIERS = ("Imported", "Computed")
SINGLETON = "_singleton"  # the hidden primary key of a table with an empty primary key


@dataclass
class Declaration:
    """Everything needed to create a table and its lineage rows."""

    schema: str
    table: str
    attributes: list[Attribute] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    comment: str = ""

    @property
    def primary_key(self) -> list[str]:
        return [a.name for a in self.attributes if a.in_key]

    @property
    def lineage(self) -> dict[str, str]:
        return {a.name: a.lineage for a in self.attributes if a.lineage}


def resolve_reference(ref: Reference, context: dict[str, Any], line: str) -> Any:
    """Evaluate a reference path against the declaration context (no ``eval``)."""
    head, *rest = ref.path
    if head not in context:
        raise DeclarationError(
            f"Foreign key reference `{ref.text}` could not be resolved: `{head}` is not defined "
            f"in the declaration context, in line: {line}"
        )
    obj = context[head]
    for name in rest:
        try:
            obj = getattr(obj, name)
        except AttributeError:
            raise DeclarationError(
                f"Foreign key reference `{ref.text}` could not be resolved: no attribute "
                f"`{name}`, in line: {line}"
            ) from None
    return obj


def _parent_table(obj: Any, ref: Reference, line: str) -> tuple[str, str, Heading]:
    """(schema, table, heading) of a referenced table class or unrestricted table instance."""
    target = obj() if isinstance(obj, type) else obj
    is_table = getattr(target, "is_base_table", False)
    if not is_table or getattr(target, "is_restricted", False):
        raise DeclarationError(
            f"Foreign key dependency `{ref.text}` is not supported: use a base table or its "
            f"projection, in line: {line}"
        )
    return target.database, target.table_name, target.heading


def check_default(attr: Attribute, line: str) -> None:
    """Refuse, before any DDL, a default that the attribute's core type cannot hold.

    Servers disagree here (MySQL and PostgreSQL refuse the table, SQLite accepts anything), so
    the check is made once for every backend.
    """
    text, spec = attr.default, attr.type
    if text is None:
        return
    if T.is_server_time_default(text):
        if not T.CURRENT_TIMESTAMP_DEFAULT.fullmatch(text.strip()):
            raise DeclarationError(
                f"Invalid default value {text!r} for attribute `{attr.name}`: a server-time "
                "default is written CURRENT_TIMESTAMP or CURRENT_TIMESTAMP(p) with p from 0 to "
                f"6; quote any other text, in line: {line}"
            )
        if spec.kind != T.DATETIME:
            raise DeclarationError(
                f"Invalid default value {text} for attribute `{attr.name}` ({spec.declared}): "
                f"CURRENT_TIMESTAMP is a default of datetime attributes only, in line: {line}"
            )
        return
    if spec.is_codec or not (spec.core or spec.kind in T.NUMERIC_KINDS):
        return
    problem = ""
    try:
        value = T.to_core_value(spec, text, attr.name)
    except DataJointError as error:
        problem = str(error)
    else:
        if value is T.USE_DEFAULT:
            problem = "an empty string is not a value of this type"
        elif spec.kind in (T.CHAR, T.VARCHAR) and spec.length and len(text) > spec.length:
            problem = f"longer than {spec.length} characters"
    if problem:
        raise DeclarationError(
            f"Invalid default value {text!r} for attribute `{attr.name}` ({spec.declared}): "
            f"{problem}. Give a default of the attribute's type, in line: {line}"
        )


def _check_name(name: str, seen: dict[str, Attribute], line: str) -> None:
    if name in seen:
        raise DeclarationError(f"Attribute `{name}` is already declared, in line: {line}")


def resolve(
    spec: TableSpec,
    *,
    schema: str,
    table: str,
    context: dict[str, Any],
    column_type: Any,
    json_index_part: Any = None,
    tier: str = "Manual",
    is_part: bool = False,
    add_job_metadata: bool = False,
    allow_native_key: bool = False,
) -> Declaration:
    """Resolve a parsed definition into a :class:`Declaration`.

    ``column_type(attr)`` returns the backend SQL type of a new attribute;
    ``json_index_part(attribute, path, type)`` the backend's functional index part for a JSON path.
    """
    decl = Declaration(schema=schema, table=table, comment=spec.comment)
    seen: dict[str, Attribute] = {}
    native_key: list[str] = []
    for line in spec.lines:
        if isinstance(line, AttributeLine):
            _check_name(line.name, seen, line.line)
            codec, storage = None, None
            if line.type.is_codec:
                try:
                    codec, storage = declared_storage(line.type)
                except DataJointError as exc:
                    raise DeclarationError(f"{exc}, in line: {line.line}") from None
            attr = Attribute(
                name=line.name,
                type=line.type,
                in_key=line.in_key,
                nullable=line.nullable,
                default=line.default,
                comment=line.comment,
                autoincrement=line.type.autoincrement,
                lineage=f"{schema}.{table}.{line.name}" if line.in_key else None,
                codec=codec,
                store=line.type.store,
                storage_type=storage,
            )
            check_default(attr, line.line)
            attr = replace(attr, sql_type=column_type(attr.storage))
            seen[attr.name] = attr
            decl.attributes.append(attr)
            if line.in_key:
                native_key.append(line.name)
        elif isinstance(line, ForeignKeyLine):
            _add_foreign_key(decl, seen, line, context)
        elif isinstance(line, IndexLine):
            parts = []
            for part in line.parts:
                if isinstance(part, JsonPath):
                    target = seen.get(part.attribute)
                    if target is None or target.type.kind != T.JSON:
                        raise DeclarationError(
                            f"JSON-path index part `{part.attribute}.{part.path}` needs a json "
                            f"attribute `{part.attribute}` in the definition, in line: "
                            f"{line.line}"
                        )
                    parts.append(json_index_part(part.attribute, part.path, part.type))
                    continue
                if isinstance(part, str) and part not in seen:
                    raise DeclarationError(
                        f"Index attribute `{part}` not found in the definition, in line: "
                        f"{line.line}"
                    )
                parts.append(part if isinstance(part, str) else part.sql)
            decl.indexes.append(Index(tuple(parts), line.unique))
    if tier in AUTO_TIERS and not is_part and native_key and not allow_native_key:
        raise DeclarationError(
            f"Table `{table}` ({tier}) declares non-FK primary key attributes "
            f"{', '.join(native_key)}: the primary key of Computed and Imported tables must come "
            "from foreign keys. Set dj.config['jobs.allow_new_pk_fields_in_computed_tables'] = "
            "True to bypass this check."
        )
    if not decl.primary_key:
        singleton = Attribute(
            name=SINGLETON,
            type=parse_type("bool"),
            in_key=True,
            default="true",
            comment="singleton primary key",
        )
        decl.attributes.insert(0, replace(singleton, sql_type=column_type(singleton)))
    if add_job_metadata and tier in AUTO_TIERS and not is_part:
        for attr in job_metadata_attributes():
            decl.attributes.append(replace(attr, sql_type=column_type(attr)))
    return decl


def job_metadata_attributes() -> list[Attribute]:
    """The hidden job-metadata attributes of Computed and Imported tables (spec 05 §9).

    Native types without a comment marker (spec 01 §1.3): MySQL ``datetime(3)``, ``float``,
    ``varchar(64)``; PostgreSQL ``timestamp(3)``, ``real``, ``varchar(64)``.
    """
    return [
        Attribute(
            name=name,
            type=replace(parse_type(type_text), core=False, native_name=None),
            nullable=nullable,
            default=default,
        )
        for name, type_text, default, nullable in (
            ("_job_start_time", "datetime(3)", None, True),
            ("_job_duration", "float", None, True),
            ("_job_version", "varchar(64)", "", False),
        )
    ]


def _add_foreign_key(
    decl: Declaration, seen: dict[str, Attribute], line: ForeignKeyLine, context: dict[str, Any]
) -> None:
    if line.nullable and line.in_key:
        raise DeclarationError(
            f"Primary dependencies cannot be nullable: remove [nullable] or move the line below "
            f"---, in line: {line.line}"
        )
    obj = resolve_reference(line.ref, context, line.line)
    pschema, ptable, parent = _parent_table(obj, line.ref, line.line)
    renames = {old: new for new, old in line.ref.renames}
    for old in renames:
        if old not in parent.attributes:
            raise DeclarationError(
                f"Attribute `{old}` renamed in `{line.ref.text}` does not exist in the referenced "
                f"table, in line: {line.line}"
            )
    columns, refs = [], []
    for name in parent.all_primary_key:
        pattr = parent[name]
        new = renames.get(name, name)
        columns.append(new)
        refs.append(name)
        if new in seen:
            existing = seen[new]
            if line.in_key and not existing.in_key:
                raise DeclarationError(
                    f"Attribute `{new}` is already declared as a secondary attribute, in line: "
                    f"{line.line}"
                )
            continue
        attr = Attribute(
            name=new,
            type=pattr.type,
            sql_type=pattr.sql_type,
            in_key=line.in_key,
            nullable=line.nullable,
            # a reference to a singleton table points at its only row without being told
            default=pattr.default if name == SINGLETON and not line.nullable else None,
            comment=pattr.comment,
            lineage=pattr.lineage or f"{pschema}.{ptable}.{name}",
        )
        seen[new] = attr
        decl.attributes.append(attr)
    decl.foreign_keys.append(ForeignKey(tuple(columns), (pschema, ptable), tuple(refs)))
    if line.unique:
        decl.indexes.append(Index(tuple(columns), unique=True))


def check_types(decl: Declaration) -> None:
    """Refuse binary/JSON attributes in the primary key (before any DDL)."""
    for attr in decl.attributes:
        if attr.in_key and attr.type.binary_or_json and attr.type.kind != T.CODEC:
            raise DeclarationError(
                f"Attribute `{attr.name}` of type {attr.type.declared}: blob or JSON attributes "
                "are not allowed in the primary key"
            )
