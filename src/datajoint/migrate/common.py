"""What the migration helpers share: the schema they work on, and how a column of a DataJoint
0.14 database maps onto DataJoint 2.0 types."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from ..backends.base import ColumnInfo, TableInfo
from ..backends.mysql_legacy import native_core_type
from ..catalog import split_comment
from ..connection import Connection, conn
from ..errors import DataJointError
from ..schema import Schema
from ..types import UUID, parse_type

# 0.14 markers of values kept in a store: a binary(16) reference into ~external_<store>
LEGACY_STORED = re.compile(r"^(blob|attach|filepath)@([A-Za-z][-\w]*)$")
# 0.14 markers of values kept in the table
LEGACY_IN_TABLE = {"attach": "<attach>", "blob": "<blob>"}
BUILTIN_CODECS = frozenset({"blob", "attach", "hash", "object", "npy", "filepath"})


@dataclass(frozen=True)
class Target:
    """The schema a helper works on: its connection and database name."""

    connection: Connection
    database: str

    @property
    def query(self) -> Any:
        return self.connection.query

    def tables(self) -> dict[str, TableInfo]:
        """The catalog as stored now (not the connection's cache), user tables first."""
        infos = self.connection.adapter.load_catalog(self.connection.query, self.database)
        return dict(sorted(infos.items(), key=lambda kv: (kv[0].startswith("~"), kv[0])))

    def user_tables(self) -> dict[str, TableInfo]:
        return {n: t for n, t in self.tables().items() if not n.startswith("~")}

    def refuse_open_transaction(self) -> None:
        """DDL commits implicitly on MySQL: never run it inside the caller's transaction."""
        if self.connection.in_transaction:
            raise DataJointError(
                f"Cannot migrate schema `{self.database}` inside a transaction: its table "
                "changes would commit the transaction. Commit or cancel it first."
            )


def target_of(schema: Any, connection: Connection | None = None) -> Target:
    """A :class:`Target` from a ``Schema`` or a schema name (on ``connection`` or
    ``dj.conn()``).

    Raises
    ------
    DataJointError
        The schema is not activated, or no such schema exists.
    """
    if isinstance(schema, Schema):
        if schema.database is None or schema.connection is None:
            raise DataJointError("The schema is not activated: call schema.activate(name).")
        return Target(connection or schema.connection, schema.database)
    if not isinstance(schema, str):
        raise DataJointError(f"Expected a dj.Schema or a schema name, got {type(schema).__name__}.")
    connection = connection or conn()
    if not connection.adapter.schema_exists(connection.query, schema):
        raise DataJointError(f"Schema `{schema}` does not exist on {connection.backend}.")
    return Target(connection, schema)


@dataclass(frozen=True)
class Column:
    """A column of a 0.14 table and what 2.0 makes of it.

    ``core_type`` is the 2.0 type to record in the comment marker (``None``: nothing to do);
    ``kind`` is ``native`` (a numeric or blob type without marker), ``in_table`` (a 0.14
    ``:attach:``/``:blob:`` marker), ``stored`` (a 0.14 reference into ``~external_<store>``),
    ``obsolete`` (a 0.11 ``:external…:`` marker), ``migrated`` (a 2.0 marker) or ``other``.
    """

    table: str
    info: ColumnInfo
    kind: str
    core_type: str | None
    comment: str  # the user comment, without any marker
    store: str | None = None
    codec: str | None = None  # for stored references: blob, attach or filepath

    @property
    def name(self) -> str:
        return self.info.name

    def as_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "column": self.name,
            "native_type": self.info.sql_type,
            "core_type": self.core_type,
            "comment": self.info.comment,
        }


def classify(table: str, info: ColumnInfo, blob_type: str = "<blob>") -> Column:
    """What the migration makes of one column (hidden ``_…`` columns are never touched)."""
    declared, comment = split_comment(info.comment)
    if info.name.startswith("_"):
        return Column(table, info, "other", None, info.comment)
    if declared is None:
        core = native_core_type(info.sql_type, blob_type)
        return Column(table, info, "native" if core else "other", core, comment)
    m = LEGACY_STORED.match(declared)
    if m:
        codec, store = m.group(1), m.group(2)
        return Column(table, info, "stored", f"<{codec}@{store}>", comment, store, codec)
    if declared.startswith("external"):
        return Column(table, info, "obsolete", None, comment)
    if declared in LEGACY_IN_TABLE:
        return Column(table, info, "in_table", LEGACY_IN_TABLE[declared], comment)
    try:
        parse_type(declared)
    except DataJointError:  # not a marker: a comment that happens to hold colons
        core = native_core_type(info.sql_type, blob_type)
        return Column(table, info, "native" if core else "other", core, info.comment)
    return Column(table, info, "migrated", declared, comment)


def written_by_2x(column: Column) -> bool:
    """Whether a column's marker is one DataJoint 0.14 never wrote (0.14 wrote ``:uuid:`` and
    its adapted types' ``:<name>:``): any other core type, or a built-in 2.0 codec."""
    if column.kind != "migrated":
        return False
    spec = parse_type(str(column.core_type))
    if spec.is_codec:
        return spec.store is not None or spec.codec_name in BUILTIN_CODECS
    return spec.kind != UUID


def columns(target: Target, blob_type: str = "<blob>") -> list[Column]:
    """Every column of the schema's user tables, classified.

    A table with a marker that only DataJoint 2.x writes was declared (or already migrated)
    by 2.x: its columns without a marker are native types chosen on purpose (raw bytes in a
    MySQL blob), so none of them is proposed for a marker.
    """
    found = []
    for name, table in target.user_tables().items():
        classified = [classify(name, info, blob_type) for info in table.columns]
        names = {c.name for c in classified}
        stored = {c.name for c in classified if c.kind == "stored"}
        # the 2.0 columns migrate_external made are no sign of a table declared by 2.x
        made = {n + "_v2" for n in stored} | {n for n in names if f"_{n}_v1" in names}
        if any(written_by_2x(c) for c in classified if c.name not in made):
            classified = [
                replace(c, kind="other", core_type=None) if c.kind == "native" else c
                for c in classified
            ]
        found += classified
    return found


def marker(core_type: str, comment: str) -> str:
    """The stored comment of a 2.0 attribute: ``:<type>:<user comment>``."""
    return f":{core_type}:{comment}"
