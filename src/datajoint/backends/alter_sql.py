"""``ALTER TABLE`` statements of ``alter()`` for SQLite and PostgreSQL (spec 01 §8.4).

MySQL's single ``ALTER TABLE`` lives in :mod:`.mysql`. Each function receives the backend
instance for quoting and column rendering.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import errors
from .. import types as T
from ..heading import Attribute
from . import postgres_ddl
from .base import AlterChange


def sqlite(
    backend: Any, schema: str, table: str, changes: Sequence[AlterChange], comment: str | None
) -> list[str]:
    """ADD, DROP and RENAME COLUMN plus comment updates in the hidden catalog tables.

    SQLite cannot change a column's type, nullability or default in place, and column order
    cannot change; such changes raise :class:`DataJointError` before any statement runs.
    """
    ref = backend.table_ref(schema, table)
    q = backend.quote_string
    where = f"schema_name = {q(schema)} AND table_name = {q(table)}"
    out: list[str] = []
    for c in changes:
        if c.kind == "drop":
            assert c.old is not None  # a drop names the old attribute
            out.append(f"ALTER TABLE {ref} DROP COLUMN {backend.quote(c.old.name)}")
            out.append(f'DELETE FROM "~columns" WHERE {where} AND column_name = {q(c.old.name)}')
            continue
        new = c.new
        assert new is not None  # add, change and modify carry the new attribute
        if c.kind == "add":
            if not new.nullable and new.default is None:
                raise errors.DataJointError(
                    f"Cannot add attribute `{new.name}` to `{schema}`.`{table}` on SQLite "
                    "without a default: give it a default or make it nullable."
                )
            parts = [backend.quote(new.name), new.sql_type, backend.default_sql(new)]
            out.append(f"ALTER TABLE {ref} ADD COLUMN " + " ".join(parts + backend._checks(new)))
        else:
            assert c.old is not None  # change and modify carry the old attribute too
            if c.definition_changed:
                raise errors.DataJointError(
                    f"Cannot change the type, nullability or default of `{c.old.name}` in "
                    f"`{schema}`.`{table}`: SQLite cannot modify columns in place. Add a "
                    "new attribute and copy the values, or use MySQL/PostgreSQL."
                )
            if c.kind == "change":
                out.append(
                    f"ALTER TABLE {ref} RENAME COLUMN {backend.quote(c.old.name)} TO "
                    f"{backend.quote(new.name)}"
                )
                out.append(
                    f'DELETE FROM "~columns" WHERE {where} AND column_name = {q(c.old.name)}'
                )
        native = "" if new.type.core else new.type.declared
        out.append(
            'INSERT OR REPLACE INTO "~columns" '
            "(schema_name, table_name, column_name, comment, native_type) VALUES "
            f"({q(schema)}, {q(table)}, {q(new.name)}, {q(new.comment)}, {q(native)})"
        )
    if comment is not None:
        out.append(f'UPDATE "~tables" SET comment = {q(comment)} WHERE {where}')
    return out


def postgres(
    backend: Any, schema: str, table: str, changes: Sequence[AlterChange], comment: str | None
) -> list[str]:
    """ADD/DROP/RENAME COLUMN, ALTER COLUMN and COMMENT ON statements; column order cannot
    change on PostgreSQL, so ``after`` is ignored (the caller warns)."""
    ref = backend.table_ref(schema, table)
    out: list[str] = []
    for c in changes:
        new = c.new
        if new is not None and new.type.kind == T.ENUM:
            enum = postgres_ddl.enum_sql(backend, new)
            if enum is not None and enum not in out:
                out.append(enum)
        if c.kind == "drop":
            assert c.old is not None  # a drop names the old attribute
            out.append(f"ALTER TABLE {ref} DROP COLUMN {backend.quote(c.old.name)}")
            continue
        assert new is not None  # add, change and modify carry the new attribute
        if c.kind == "add":
            out.append(f"ALTER TABLE {ref} ADD COLUMN {postgres_ddl.column_sql(backend, new)}")
        else:
            col = backend.quote(new.name)
            if c.kind == "change":
                assert c.old is not None  # a rename carries the old attribute
                out.append(f"ALTER TABLE {ref} RENAME COLUMN {backend.quote(c.old.name)} TO {col}")
            if c.definition_changed:
                out.extend(_postgres_column(backend, ref, table, new))
        text = backend.stored_comment(new)
        out.append(
            f"COMMENT ON COLUMN {ref}.{backend.quote(new.name)} IS "
            + (backend.quote_string(text) if text else "NULL")
        )
    if comment is not None:
        out.append(f"COMMENT ON TABLE {ref} IS {backend.quote_string(comment)}")
    return out


def _postgres_column(backend: Any, ref: str, table: str, attr: Attribute) -> list[str]:
    """Type, nullability, default and range CHECK of one existing column."""
    col = backend.quote(attr.name)
    sql_type = attr.sql_type or backend.column_type(attr, "")
    cast = f"{col}::text::{sql_type}" if attr.type.kind == T.ENUM else f"{col}::{sql_type}"
    check = backend.quote(f"{table}_{attr.name}_check"[:63])
    out = [
        f"ALTER TABLE {ref} DROP CONSTRAINT IF EXISTS {check}",
        f"ALTER TABLE {ref} ALTER COLUMN {col} DROP DEFAULT",
        f"ALTER TABLE {ref} ALTER COLUMN {col} TYPE {sql_type} USING {cast}",
        f"ALTER TABLE {ref} ALTER COLUMN {col} {'DROP' if attr.nullable else 'SET'} NOT NULL",
    ]
    if attr.nullable:
        out.append(f"ALTER TABLE {ref} ALTER COLUMN {col} SET DEFAULT NULL")
    elif attr.default is not None:
        default = backend.default_literal(attr)
        out.append(f"ALTER TABLE {ref} ALTER COLUMN {col} SET DEFAULT {default}")
    range_check = postgres_ddl.range_check(backend, attr)
    if range_check:
        out.append(f"ALTER TABLE {ref} ADD CONSTRAINT {check} {range_check}")
    return out
