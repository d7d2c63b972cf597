"""Run a declaration: definition text → CREATE TABLE on the connection's backend, plus lineage."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..catalog import LINEAGE_TABLE, stored_comment
from ..errors import DeclarationError
from .lineage import write_lineage
from .parser import parse_definition
from .resolve import Declaration, check_types, resolve


def _config(connection: Any, key: str, default: Any) -> Any:
    try:
        value = connection._config[key]
    except KeyError:
        return default
    return default if value is None else value


def prepare(
    connection: Any,
    schema: str,
    table: str,
    definition: str,
    context: dict[str, Any],
    *,
    tier: str = "Manual",
    is_part: bool = False,
) -> Declaration:
    """Parse and resolve a definition without touching the database."""
    adapter = connection.adapter
    if len(table) > adapter.max_name_length:
        raise DeclarationError(
            f"Table name `{table}` exceeds the max length of {adapter.max_name_length}"
        )
    spec = parse_definition(definition)
    decl = resolve(
        spec,
        schema=schema,
        table=table,
        context=context,
        column_type=lambda attr: adapter.column_type(attr, schema),
        json_index_part=adapter.json_index_part,
        tier=tier,
        is_part=is_part,
        add_job_metadata=bool(_config(connection, "jobs.add_job_metadata", False)),
        allow_native_key=bool(
            _config(connection, "jobs.allow_new_pk_fields_in_computed_tables", False)
        ),
    )
    check_types(decl)
    for attr in decl.attributes:
        # PostgreSQL would silently truncate a longer name to 63 characters
        if len(attr.name) > adapter.max_name_length:
            raise DeclarationError(
                f"Attribute name `{attr.name}` of table `{table}` exceeds the max length of "
                f"{adapter.max_name_length} characters on {adapter.name}. Use a shorter name."
            )
    return decl


def declare(
    connection: Any,
    schema: str,
    table: str,
    definition: str,
    context: dict[str, Any],
    *,
    tier: str = "Manual",
    is_part: bool = False,
) -> None:
    """Create a table from its definition, then record its lineage."""
    if connection.in_transaction:
        raise DeclarationError(
            f"Cannot declare table `{table}` inside a transaction: commit or cancel it first."
        )
    decl = prepare(connection, schema, table, definition, context, tier=tier, is_part=is_part)
    adapter = connection.adapter
    statements = adapter.create_table_sql(
        schema,
        table,
        [replace(a.storage, comment=stored_comment(a)) for a in decl.attributes],
        decl.primary_key,
        decl.foreign_keys,
        decl.indexes,
        decl.comment,
    )
    try:
        if len(statements) > 1:  # PostgreSQL and SQLite: all or nothing (transactional DDL)
            with connection.transaction:
                if adapter.joins_statements:
                    connection.query(";\n".join(statements), None)
                else:
                    for sql in statements:
                        connection.query(sql, None)
                write_lineage(connection, schema, table, decl.lineage)
        else:
            for sql in statements:
                connection.query(sql, None)
            write_lineage(connection, schema, table, decl.lineage)
    except BaseException:
        connection.invalidate(schema)
        raise
    connection.invalidate(schema, table)  # the rest of the schema is unchanged


def drop_table(connection: Any, schema: str, table: str) -> None:
    """Drop one table and delete its lineage rows."""
    adapter = connection.adapter
    try:
        for sql in adapter.drop_table_sql(schema, table):
            connection.query(sql, None)
        if LINEAGE_TABLE in connection.catalog.tables(schema):
            ref = adapter.table_ref(schema, LINEAGE_TABLE)
            connection.query(f"DELETE FROM {ref} WHERE table_name = %s", (table,))
    finally:
        connection.invalidate(schema)
