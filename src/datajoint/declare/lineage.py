"""A schema's ``~lineage`` table: written on declaration, rebuilt from the catalog (spec 03 §12)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..catalog import LINEAGE_TABLE
from ..errors import DataJointError
from ..heading import Attribute, Heading
from ..types import parse_type

_LINEAGE_COLUMNS = (
    ("table_name", "varchar(64)", "table name within the schema"),
    ("attribute_name", "varchar(64)", "attribute name"),
    ("lineage", "varchar(255)", "origin: schema.table.attribute"),
)
_KEY = ["table_name", "attribute_name", "lineage"]


def _columns(connection: Any, schema: str) -> list[Attribute]:
    adapter = connection.adapter
    attributes = [
        Attribute(name=name, type=parse_type(t), in_key=name != "lineage", comment=comment)
        for name, t, comment in _LINEAGE_COLUMNS
    ]
    return [replace(a, sql_type=adapter.column_type(a, schema)) for a in attributes]


def ensure_lineage_table(connection: Any, schema: str) -> list[Attribute]:
    """Create the schema's ``~lineage`` table if it does not exist; return its columns."""
    attributes = _columns(connection, schema)
    for sql in connection.adapter.create_table_sql(
        schema, LINEAGE_TABLE, attributes, ["table_name", "attribute_name"], [], [], ""
    ):
        connection.query(sql, None)
    return attributes


def _insert_rows(
    connection: Any, schema: str, attributes: list[Attribute], rows: list[tuple[str, str, str]]
) -> None:
    if not rows:
        return
    sql, params = connection.adapter.insert_sql(
        schema,
        LINEAGE_TABLE,
        _KEY,
        rows,
        attributes,
        on_duplicate="replace",
        primary_key=["table_name", "attribute_name"],
    )
    connection.query(sql, params)


def write_lineage(connection: Any, schema: str, table: str, lineage: dict[str, str]) -> None:
    """Replace the ``~lineage`` rows of ``table`` (creating the lineage table if needed)."""
    if LINEAGE_TABLE in connection.catalog.tables(schema):
        attributes = _columns(connection, schema)
    else:
        attributes = ensure_lineage_table(connection, schema)
    ref = connection.adapter.table_ref(schema, LINEAGE_TABLE)
    connection.query(f"DELETE FROM {ref} WHERE table_name = %s", (table,))
    _insert_rows(connection, schema, attributes, [(table, name, o) for name, o in lineage.items()])


def compute_lineage(connection: Any, schema: str) -> dict[str, dict[str, str]]:
    """Lineage of every user table of ``schema`` from the catalog's keys and foreign keys.

    A foreign key into another schema takes that schema's recorded lineage.
    """
    tables = {
        name: heading
        for name, heading in connection.catalog.tables(schema).items()
        if not name.startswith("~")
    }
    done: dict[str, dict[str, str]] = {}

    def parent_lineage(parent: tuple[str, str], child: str) -> dict[str, str]:
        pschema, ptable = parent
        if pschema == schema:
            return of(ptable)
        heading = connection.catalog.heading(pschema, ptable)
        recorded = {} if heading is None else {a.name: a.lineage for a in heading.all_attributes}
        if not all(recorded.get(k) for k in (heading.primary_key if heading else [None])):
            raise DataJointError(
                f"Cannot rebuild the lineage of `{schema}`.`{child}`: its parent "
                f"`{pschema}`.`{ptable}` has no recorded lineage. Run rebuild_lineage() on "
                f"schema `{pschema}` first."
            )
        return {name: origin for name, origin in recorded.items() if origin}

    def of(table: str) -> dict[str, str]:
        if table not in done:
            heading: Heading = tables[table]
            lineage: dict[str, str] = {}
            for fk in heading.foreign_keys:
                if fk.parent[1].startswith("~"):
                    continue  # a DataJoint 0.14 reference into ~external_<store>
                inherited = parent_lineage(fk.parent, table)
                for column, ref in zip(fk.columns, fk.ref_columns, strict=True):
                    if ref in inherited:
                        lineage[column] = inherited[ref]
            for name in heading.primary_key:
                lineage.setdefault(name, f"{schema}.{table}.{name}")
            done[table] = {k: v for k, v in lineage.items() if not k.startswith("_")}
        return done[table]

    return {table: of(table) for table in tables}


def rebuild_lineage(connection: Any, schema: str) -> None:
    """Recompute every row of the schema's ``~lineage`` table from the catalog (idempotent)."""
    try:
        lineage = compute_lineage(connection, schema)
        attributes = ensure_lineage_table(connection, schema)
        ref = connection.adapter.table_ref(schema, LINEAGE_TABLE)
        rows = [(t, a, o) for t, attrs in lineage.items() for a, o in attrs.items()]
        # hidden tables (jobs tables) keep their rows: their lineage is not in foreign keys
        delete = f"DELETE FROM {ref} WHERE substr(table_name, 1, 1) <> %s"
        if connection.in_transaction:
            connection.query(delete, ("~",))
            _insert_rows(connection, schema, attributes, rows)
        else:
            with connection.transaction:
                connection.query(delete, ("~",))
                _insert_rows(connection, schema, attributes, rows)
    finally:
        connection.invalidate(schema)


def read_lineage(connection: Any, schema: str) -> dict[str, str]:
    """``{"schema.table.attribute": lineage}`` of the rows of the schema's ``~lineage`` table."""
    out: dict[str, str] = {}
    for table, heading in connection.catalog.tables(schema).items():
        if table.startswith("~"):
            continue
        for attr in heading.all_attributes:
            if attr.lineage:
                out[f"{schema}.{table}.{attr.name}"] = attr.lineage
    return out
