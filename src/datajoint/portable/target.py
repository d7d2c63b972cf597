"""The database an export writes to: its connection, its schemas, and tables declared from the
source's definitions (types, keys, foreign keys, indexes, codecs; lineage follows the foreign
keys as on any declaration)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ..connection import Connection
from ..declare.ddl import declare
from ..declare.describe import describe_heading
from ..dependencies import master_of, split_node
from ..errors import DataJointError
from ..heading import Heading
from ..schema import Schema
from ..table.table import FreeTable
from ..table.tiers import tier_of


def open_target(to: Any) -> Connection:
    """The target connection: a :class:`Connection`, or a SQLite database file to open."""
    if isinstance(to, Connection):
        return to
    if isinstance(to, str | os.PathLike):
        return Connection(backend="sqlite", path=os.fspath(to))
    raise DataJointError(
        f"dj.export(to=) takes a dj.Connection or the path of a SQLite file, not {to!r}."
    )


def same_database(source: Connection, target: Connection) -> bool:
    """Whether two connections reach the same database (then schemas must be renamed)."""
    a, b = source.conn_info, target.conn_info
    if source.adapter.name != target.adapter.name:
        return False
    if source.adapter.name == "sqlite":
        path_a, path_b = a.get("path") or "", b.get("path") or ""
        if ":memory:" in (path_a, path_b):
            return source is target
        return os.path.realpath(path_a) == os.path.realpath(path_b)
    keys = ("host", "port", "database_name")
    return all(a.get(k) == b.get(k) for k in keys)


def _signature(heading: Heading) -> list[tuple[str, str, bool, bool]]:
    return [(a.name, str(a.type), a.in_key, a.nullable) for a in heading.attributes.values()]


class Target:
    """The target database of an export, with its schema names.

    Parameters
    ----------
    connection : the target connection
    schema_map : source schema name → target schema name (default: the same name)
    """

    def __init__(self, connection: Connection, schema_map: Mapping[str, str] | None) -> None:
        self.connection = connection
        self.schema_map = dict(schema_map or {})
        self.schemas: dict[str, Schema] = {}

    def name(self, node: str) -> str:
        """The target node of a source node."""
        schema, table = split_node(node)
        return f"{self.schema_map.get(schema, schema)}.{table}"

    def table(self, node: str) -> FreeTable:
        """The target table of a source node."""
        return FreeTable(self.connection, self.name(node))

    def exists(self, node: str) -> bool:
        schema, table = split_node(self.name(node))
        return table in self.connection.catalog.tables(schema)

    def declare(self, source: Connection, node: str) -> bool:
        """Declare the target table of ``node`` from the source's definition, unless it exists
        with the same attributes; True when it was declared."""
        heading = FreeTable(source, node).heading
        schema, table = split_node(self.name(node))
        if schema not in self.schemas:
            self.schemas[schema] = Schema(schema, connection=self.connection)
        if self.exists(node):
            existing = self.table(node).heading
            if _signature(existing) != _signature(heading):
                raise DataJointError(
                    f"The target already has a table `{schema}`.`{table}` that differs from the "
                    f"source's (source: {_signature(heading)}; target: {_signature(existing)}): "
                    "export to another schema (schema_map=) or drop it first."
                )
            return False
        names: dict[tuple[str, str], str] = {}
        context: dict[str, Any] = {}
        for i, fk in enumerate(heading.foreign_keys):
            parent = ".".join(fk.parent)
            if fk.parent not in names and not fk.parent[1].startswith("~"):
                names[fk.parent] = alias = f"Parent{i}"
                context[alias] = self.table(parent)
        definition = describe_heading(heading, names)
        declare(
            self.connection,
            schema,
            table,
            definition,
            context,
            tier=tier_of(table) or "Manual",
            is_part=master_of(table) is not None,
        )
        return True


__all__ = ["Target", "open_target", "same_database"]
