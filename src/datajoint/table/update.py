"""``update1``: correct secondary attributes of one existing row in place (spec 04 §3)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import DataJointError, QueryError, SerializationError, ValueConversionError
from ..storage.stores import removing_on_failure
from .insert import encode_row
from .violations import explain, in_context


def update1(table: Any, row: Any) -> None:
    """Set the non-key attributes given in ``row`` on the row identified by its primary key.

    ``None`` resets an attribute to its declared default. One UPDATE statement; a row with
    only primary-key attributes changes nothing.
    """
    name = table.table_name
    if not isinstance(row, Mapping):
        raise DataJointError(
            f"update1 on `{name}` takes a dict of attribute values, got {type(row).__name__}."
        )
    heading = table.heading
    missing = [k for k in heading.primary_key if k not in row]
    if missing:
        raise DataJointError(
            f"update1 on `{name}` needs every primary-key attribute to identify the row; "
            f"missing: {', '.join(missing)}."
        )
    for attr in row:
        if attr not in heading.attributes:
            raise DataJointError(f"Attribute `{attr}` is not in the heading of `{name}`.")
    if table.is_restricted:
        raise DataJointError(
            f"update1 cannot be applied to a restricted table: call it on `{name}` itself."
        )
    row = dict(row)
    key = {k: row[k] for k in heading.primary_key}
    found = len(table & key)
    if found != 1:
        raise DataJointError(
            f"update1 on `{name}`: no row has the key {key}; update1 only changes existing rows "
            "(use insert1 to add one)."
        )
    fields = [a for a in row if a not in key]
    if not fields:
        return
    connection = table.connection
    adapter = connection.adapter
    # a new in-store value is a new object; the old one is left for garbage collection
    with removing_on_failure():
        try:
            values = encode_row(row, fields, heading, adapter, table)
            key_values = encode_row(row, list(key), heading, adapter, table)
        except (ValueConversionError, SerializationError) as exc:
            raise in_context(exc, table, list(row), [row]) from None
        sql, params = adapter.update_sql(
            table.database,
            name,
            [(heading[f].storage, v) for f, v in zip(fields, values, strict=True)],
            list(zip(key, key_values, strict=True)),
        )
        try:
            connection.query(sql, params)
        except (QueryError, ValueConversionError) as exc:
            raise explain(exc, table, list(row), [row], action="update") from None
