"""Headings, foreign keys and indexes of a whole schema, loaded in a few queries and cached.

The cache lives on the connection and is invalidated per schema whenever DDL runs.
"""

from __future__ import annotations

import re
from typing import Any

from .backends.base import ColumnInfo, TableInfo
from .codecs.base import LegacyStorageCodec
from .codecs.columns import attribute_codec
from .errors import DataJointError
from .heading import Attribute, Heading
from .types import CODEC, TypeSpec, parse_type

LINEAGE_TABLE = "~lineage"
_MARKER = re.compile(r"^:([^:]+):(.*)$", re.DOTALL)


def split_comment(stored: str) -> tuple[str | None, str]:
    """``":int32:subject number"`` → ``("int32", "subject number")``; no marker → (None, text)."""
    m = _MARKER.match(stored or "")
    if m:
        return m.group(1), m.group(2)
    return None, stored or ""


def stored_comment(attr: Attribute) -> str:
    """The column comment written to the database: type marker (core/codec) + user comment."""
    if attr.type.core:
        return f":{attr.type.declared}:{attr.comment}"
    return attr.comment


def column_attribute(
    column: ColumnInfo, in_key: bool, lineage: str | None, classify: Any, table: str = ""
) -> Attribute:
    """Build an Attribute from a catalog column (type from the marker, else the native type).

    A pre-2.0 ``:external…:`` marker gives a placeholder codec: the table loads, and using
    the column's values raises an error pointing at ``dj.migrate`` (spec 02 §11).
    """
    declared, comment = split_comment(column.comment)
    spec: TypeSpec
    if declared is not None:
        if declared.startswith("external"):
            return Attribute(
                name=column.name,
                type=TypeSpec(declared, CODEC, False, codec_name=declared),
                sql_type=column.sql_type,
                in_key=in_key,
                nullable=column.nullable,
                default=None if column.nullable else column.default,
                comment=comment,
                lineage=lineage,
                codec=LegacyStorageCodec(declared, table, column.name),
                storage_type=classify(column.sql_type),
            )
        try:
            spec = parse_type(declared)
        except DataJointError:
            # legacy markers such as `:attach:` name no current type: keep the native column
            spec = classify(column.sql_type)
            comment = column.comment
    else:
        spec = classify(column.sql_type)
    codec, storage = None, None
    if spec.is_codec:
        codec, storage = attribute_codec(spec, classify(column.sql_type))
    return Attribute(
        name=column.name,
        type=spec,
        sql_type=column.sql_type,
        in_key=in_key,
        nullable=column.nullable,
        default=None if column.nullable else column.default,
        comment=comment,
        autoincrement=column.autoincrement or spec.autoincrement,
        lineage=lineage,
        codec=codec,
        store=spec.store,
        storage_type=storage,
    )


def build_heading(info: TableInfo, lineage: dict[str, str] | None, classify: Any) -> Heading:
    """The Heading of one catalog table; ``lineage`` maps attribute → origin (None: no table)."""
    key = set(info.primary_key)
    attributes = tuple(
        column_attribute(
            c,
            c.name in key,
            (lineage or {}).get(c.name),
            classify,
            f"`{info.schema}`.`{info.name}`",
        )
        for c in info.columns
    )
    # primary-key attributes first, in key order (catalogs report column order)
    order = {name: i for i, name in enumerate(info.primary_key)}
    attributes = tuple(sorted(attributes, key=lambda a: (0, order[a.name]) if a.in_key else (1, 0)))
    return Heading(
        all_attributes=attributes,
        foreign_keys=tuple(info.foreign_keys),
        indexes=tuple(info.indexes),
        comment=info.comment,
        lineage_available=lineage is not None,
        table=(info.schema, info.name),
    )


class Catalog:
    """Per-connection cache of table headings, loaded a whole schema at a time."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self._schemas: dict[str, dict[str, Heading]] = {}
        self.generation = 0  # counts invalidations: a heading read before may be stale
        # statements compiled per query shape, keyed by the ids of the headings they read
        self.statements: dict[Any, Any] = _Bounded()

    def invalidate(self, schema: str | None = None, table: str | None = None) -> None:
        """Forget cached headings: of every schema, of ``schema``, or (``table`` given, after
        its declaration) re-read only that table of an already loaded schema."""
        self.generation += 1
        if table is not None and schema is not None and self._reload_table(schema, table):
            return
        self.statements.clear()
        if schema is None:
            self._schemas.clear()
        else:
            self._schemas.pop(schema, None)

    def tables(self, schema: str) -> dict[str, Heading]:
        """Every table of ``schema`` (hidden ones included) by table name."""
        if schema not in self._schemas:
            self._schemas[schema] = self._load(schema)
        return self._schemas[schema]

    def heading(self, schema: str, table: str) -> Heading | None:
        return self.tables(schema).get(table)

    def _load(self, schema: str, table: str | None = None) -> dict[str, Heading]:
        """Headings of the tables of ``schema`` (or of its one ``table``)."""
        adapter = self.connection.adapter
        infos = adapter.load_catalog(self.connection.query, schema, table)
        lineage: dict[str, dict[str, str]] | None = None
        known = self._schemas.get(schema, {}) if table is not None else infos
        if LINEAGE_TABLE in known:
            lineage = {}
            sql = (
                f"SELECT table_name, attribute_name, lineage FROM "
                f"{adapter.table_ref(schema, LINEAGE_TABLE)}"
            )
            args: tuple[str, ...] | None = None
            if table is not None:
                sql, args = sql + " WHERE table_name = %s", (table,)
            for name, attribute, origin in self.connection.query(sql, args).fetchall():
                lineage.setdefault(name, {})[attribute] = origin
        return {
            name: build_heading(
                info, None if lineage is None else lineage.get(name, {}), adapter.classify
            )
            for name, info in infos.items()
        }

    def _reload_table(self, schema: str, table: str) -> bool:
        """Re-read one table of a loaded schema (linear cost for N declarations); False when
        the whole schema must be reloaded (not loaded, or its lineage table may be new)."""
        tables = self._schemas.get(schema)
        if tables is None or LINEAGE_TABLE not in tables:
            return False
        tables.pop(table, None)
        tables.update(self._load(schema, table))
        return True


class _Bounded(dict[Any, Any]):
    """A dict that forgets everything when it grows past ``limit`` entries."""

    limit = 2000

    def __setitem__(self, key: Any, value: Any) -> None:
        if len(self) >= self.limit:
            self.clear()
        super().__setitem__(key, value)
