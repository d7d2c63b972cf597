"""Insert: normalize the many row forms, encode values, send one statement per batch."""

from __future__ import annotations

import contextvars
import csv
import json
import pathlib
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, cast

import numpy as np

from ..codecs import columns as codec_columns
from ..codecs.columns import RowContexts
from ..errors import (
    DataJointError,
    DuplicateError,
    QueryError,
    SerializationError,
    UnknownFieldError,
    ValueConversionError,
)
from ..heading import Attribute, Heading
from ..query.compiler import compile_fetch
from ..query.expression import is_expression
from ..storage.stores import removing_on_failure
from ..types import BYTES, JSON, TEXT, USE_DEFAULT, is_plain_column, to_core_value
from .insert_columns import columns_of
from .violations import SKIP_HINT, explain, in_context

# at most this many bound values per statement (PostgreSQL allows 65535, SQLite 32766)
MAX_PARAMS = 30000

# ``(schema, table)`` of the tables inserted into while a caller records them (this context)
_INSERTED: contextvars.ContextVar[set[tuple[str, str]] | None] = contextvars.ContextVar(
    "datajoint_inserted", default=None
)


class recording_inserts:
    """Collect ``(schema, table)`` of every table that receives rows in this block (``with
    recording_inserts() as inserted``)."""

    __slots__ = ("inserted", "token")

    def __enter__(self) -> set[tuple[str, str]]:
        self.inserted: set[tuple[str, str]] = set()
        self.token = _INSERTED.set(self.inserted)
        return self.inserted

    def __exit__(self, *exc: object) -> None:
        _INSERTED.reset(self.token)


def record_insert(table: Any) -> None:
    """Note that ``table`` received rows (see :func:`recording_inserts`)."""
    inserted = _INSERTED.get()
    if inserted is not None:
        inserted.add((table.database, table.table_name))


def _frame_records(df: Any) -> list[dict[str, Any]]:
    names = [n for n in df.index.names if n is not None]
    frame = df.reset_index(drop=not names)
    records: list[dict[str, Any]] = frame.to_dict("records")
    return records


def normalize_rows(rows: Any) -> Iterable[Any]:
    """The rows of any accepted input as an iterable of mappings, records or sequences."""
    kind = type(rows).__name__
    module = type(rows).__module__.split(".")[0]
    if kind == "DataFrame" and module == "pandas":
        return _frame_records(rows)
    if kind == "DataFrame" and module == "polars":
        return cast("list[dict[str, Any]]", rows.to_dicts())
    if kind == "Table" and module == "pyarrow":
        return cast("list[dict[str, Any]]", rows.to_pylist())
    if isinstance(rows, pathlib.Path):
        with rows.open(newline="") as f:
            return list(csv.DictReader(f))
    if isinstance(rows, Mapping):
        raise DataJointError(
            "insert() takes a sequence of rows; to insert a single dict use insert1()."
        )
    if isinstance(rows, np.ndarray) and rows.dtype.names is None:
        return list(rows)
    if isinstance(rows, np.ndarray) and rows.ndim == 1:
        return _record_dicts(rows)
    return cast("Iterable[Any]", rows)  # any other iterable of rows


def _record_dicts(records: np.ndarray) -> list[dict[str, Any]]:
    """A structured array as dicts, converted column by column (numbers, bools and strings
    become Python scalars in one call per column; other fields stay numpy values)."""
    names = list(records.dtype.names or ())
    columns = [
        records[n].tolist() if records.dtype[n].kind in "biufUS?" else list(records[n])
        for n in names
    ]
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


def _as_mapping(row: Any, heading: Heading, index: int) -> dict[str, Any]:
    if isinstance(row, Mapping):
        return dict(row)
    if isinstance(row, np.void):
        return {n: row[n] for n in row.dtype.names or ()}
    if isinstance(row, (str, bytes)) or not hasattr(row, "__len__"):
        raise DataJointError(
            f"Row {index} has unsupported type {type(row).__name__}: use a dict, a numpy record "
            "or a sequence in heading order."
        )
    names = heading.names
    if len(row) != len(names):
        raise DataJointError(
            f"Row {index} has {len(row)} values but the table has {len(names)} attributes "
            f"({', '.join(names)})."
        )
    return dict(zip(names, row, strict=True))


def encode_row(
    row: dict[str, Any], fields: Sequence[str], heading: Heading, adapter: Any, table: Any
) -> list[Any]:
    """Values of ``fields`` of one row ready for the driver; USE_DEFAULT marks a default."""
    columns = {name: [value] for name, value in row.items()}
    validate_codec_values([heading[name] for name in fields], columns)
    return [encode_column(heading[name], columns, adapter, table)[0][0] for name in fields]


def validate_codec_values(attrs: Sequence[Attribute], columns: dict[str, list[Any]]) -> None:
    """Run each codec attribute's ``validate`` on every value first, so that a bad value
    stops the insert before anything is encoded or written to a store (spec 02 §6.5)."""
    for attr in attrs:
        if attr.codec is not None:
            codec_columns.validate_values(attr.type, columns[attr.name], attr.codec)


def key_contexts(attr: Attribute, columns: dict[str, list[Any]], table: Any) -> RowContexts:
    """The key context codecs receive for the rows of ``columns``: table, field, config and
    primary key."""
    base = {
        "_schema": table.database,
        "_table": table.table_name,
        "_field": attr.name,
        "_config": table.connection._config,
    }
    keys = {k: columns[k] for k in table.heading.primary_key if k in columns}
    return RowContexts(base, keys)


def encode_column(
    attr: Attribute, columns: dict[str, list[Any]], adapter: Any, table: Any
) -> tuple[list[Any], bool]:
    """The values of one attribute, ready for the driver, and whether some are USE_DEFAULT
    (the column default). Plain columns (e.g. ints in an int32 attribute) skip per-value work."""
    name = attr.name
    values = columns[name]
    to_driver: Callable[[Attribute, list[Any]], list[Any]] = adapter.to_driver_column
    if attr.codec is not None:
        contexts = key_contexts(attr, columns, table)
        values = codec_columns.encode_values(attr.type, values, contexts, attr.codec)
        attr = attr.storage
    elif is_plain_column(attr.type, values):
        return adapter.to_driver_plain_column(attr, values), False
    spec = attr.type
    normalized = [to_core_value(spec, value, name) for value in values]
    present = [v for v in normalized if v is not USE_DEFAULT]
    if len(present) == len(normalized):
        return to_driver(attr, normalized), False
    if attr.nullable:  # its default is NULL: sent as a value, it keeps bulk loads possible
        driven = iter(to_driver(attr, present))
        return [None if v is USE_DEFAULT else next(driven) for v in normalized], False
    driven = iter(to_driver(attr, present))
    return [v if v is USE_DEFAULT else next(driven) for v in normalized], True


def _fields_of(
    first: Iterable[Any], heading: Heading, ignore_extra_fields: bool, table: str
) -> list[str]:
    visible = heading.attributes
    unknown = [n for n in first if n not in visible]
    if unknown and not ignore_extra_fields:
        raise UnknownFieldError(
            f"Attribute `{unknown[0]}` is not in the table heading of `{table}`; use "
            "ignore_extra_fields=True to drop extra fields."
        )
    return [n for n in first if n in visible]


def _batches(iterator: Iterator[Any], size: int | None) -> Iterator[list[Any]]:
    while True:
        batch = list(islice(iterator, size)) if size else list(iterator)
        if not batch:
            return
        yield batch
        if not size:
            return


def insert(
    table: Any,
    rows: Any,
    *,
    replace: bool = False,
    skip_duplicates: bool = False,
    ignore_extra_fields: bool = False,
    allow_direct_insert: bool | None = None,
    chunk_size: int | None = None,
) -> None:
    """Insert rows into ``table`` (spec 04 §2)."""
    if replace and skip_duplicates:
        raise DataJointError("insert: replace=True and skip_duplicates=True cannot be combined.")
    if (
        table.auto_populated
        and not allow_direct_insert
        and not getattr(table, "_allow_insert", False)
    ):
        raise DataJointError(
            f"Inserts into the auto-populated table `{table.table_name}` are made by populate(); "
            "use allow_direct_insert=True to insert directly."
        )
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise DataJointError("chunk_size must be a positive integer")
    connection = table.connection
    heading = table.heading
    mode = "replace" if replace else "skip" if skip_duplicates else None
    if is_expression(rows):
        if chunk_size is not None:
            raise DataJointError(
                "chunk_size is not supported when inserting from a query expression: the rows "
                "are copied by one INSERT … SELECT."
            )
        _insert_query(table, rows, mode, ignore_extra_fields)
        record_insert(table)
        return
    given = columns_of(rows) if chunk_size is None else None
    if given is not None:  # column by column: no dict per row
        if given.count:
            names = _fields_of(given.names, heading, ignore_extra_fields, table.table_name)
            columns = {f: given.values[f] for f in names}
            _send(table, connection, heading, names, columns, given.count, mode)
            record_insert(table)
        return
    source = iter(normalize_rows(rows))
    positional_warned = False
    fields: list[str] | None = None
    first_names: set[str] = set()
    index = 0
    for batch in _batches(source, chunk_size):
        mapped = []
        for row in batch:
            positional = not isinstance(row, (Mapping, np.void, str, bytes))
            if not positional_warned and positional and hasattr(row, "__len__"):
                warnings.warn(
                    "Positional inserts are deprecated: insert dicts instead.",
                    DeprecationWarning,
                    stacklevel=3,
                )
                positional_warned = True
            m = _as_mapping(row, heading, index)
            if fields is None:
                fields = _fields_of(m, heading, ignore_extra_fields, table.table_name)
                first_names = set(m)
            elif m.keys() != first_names:
                _fields_of(m, heading, ignore_extra_fields, table.table_name)
                present = [n for n in m if n in heading.attributes]
                if set(present) != set(fields):
                    raise DataJointError(
                        f"Row {index} has different fields ({', '.join(present)}) than the "
                        f"first row ({', '.join(fields)}): all rows of an insert must have the "
                        "same attributes."
                    )
            mapped.append(m)
            index += 1
        assert fields is not None
        values = {f: [m[f] for m in mapped] for f in fields}
        _send(table, connection, heading, fields, values, len(mapped), mode)
        record_insert(table)


def _send(
    table: Any,
    connection: Any,
    heading: Heading,
    fields: list[str],
    columns: dict[str, list[Any]],
    count: int,
    mode: str | None,
) -> None:
    """INSERT ``count`` rows given as one list of values per field."""
    # objects written to stores while encoding are removed if the batch is not inserted
    with removing_on_failure():
        _encode_and_send(table, connection, heading, fields, columns, count, mode)


def _encode_and_send(
    table: Any,
    connection: Any,
    heading: Heading,
    fields: list[str],
    columns: dict[str, list[Any]],
    count: int,
    mode: str | None,
) -> None:
    adapter = connection.adapter
    schema, name = table.database, table.table_name
    if not fields:
        required = [
            a.name
            for a in heading.all_attributes
            if not (a.nullable or a.default is not None or a.autoincrement)
        ]
        if required:
            raise DataJointError(
                f"Cannot insert empty row into `{name}`: attributes {', '.join(required)} "
                "require values."
            )
        statements = [(adapter.insert_default_row_sql(schema, name), None)] * count
    else:
        if mode == "replace":
            columns, count = _last_per_key(columns, count, heading.all_primary_key)
            # the stored row must equal a fresh insert: attributes not given take defaults
            rest = [a.name for a in heading.all_attributes if a.name not in fields]
            fields = fields + [n for n in rest if not heading[n].autoincrement]
            columns = {**dict.fromkeys(rest, [None] * count), **columns}
        attrs = [heading[f] for f in fields]
        validate_codec_values(attrs, columns)
        # codecs encode here; in-store codecs write their objects before the INSERT below
        try:
            encoded = [encode_column(a, columns, adapter, table) for a in attrs]
        except (ValueConversionError, SerializationError) as exc:
            raise in_context(exc, table, fields, _row_dicts(fields, columns)) from None
        defaults = any(has_default for _, has_default in encoded)
        rows = list(zip(*[values for values, _ in encoded], strict=True))
        storages = [a.storage for a in attrs]
        if adapter.loads_in_one_statement(storages, len(rows), mode, defaults):
            per_statement = len(rows)  # e.g. one COPY: one round trip, atomic on its own
        else:
            per_statement = max(1, MAX_PARAMS // max(1, len(fields)))
        sized = [i for i, a in enumerate(attrs) if a.storage.type.kind in _LARGE_KINDS]
        statements = [
            adapter.insert_sql(
                schema,
                name,
                fields,
                rows[start:stop],
                storages,
                on_duplicate=mode,
                primary_key=heading.all_primary_key,
                defaults=defaults,
            )
            for start, stop in _statement_bounds(
                rows, per_statement, sized, adapter.max_statement_bytes
            )
        ]
    try:
        if len(statements) > 1 and not connection.in_transaction:
            with connection.transaction:
                for sql, params in statements:
                    connection.query(sql, params)
        else:
            for sql, params in statements:
                connection.query(sql, params)
    except (QueryError, ValueConversionError) as exc:
        hint = SKIP_HINT if isinstance(exc, DuplicateError) else ""
        raise explain(exc, table, fields, _row_dicts(fields, columns), hint) from None


def _row_dicts(fields: list[str], columns: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """The rows of ``columns`` as dicts (to explain an error)."""
    values = [columns[f] for f in fields]
    return [dict(zip(fields, row, strict=True)) for row in zip(*values, strict=True)]


_LARGE_KINDS = frozenset({BYTES, JSON, TEXT})


def _statement_bounds(
    rows: list[tuple[Any, ...]], per_statement: int, sized: list[int], max_bytes: int | None
) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of the rows of each INSERT: at most ``per_statement`` rows and, when
    the backend limits statement size, about ``max_bytes`` of blob/JSON/text values (a larger
    row goes alone)."""
    if not sized or max_bytes is None:
        for start in range(0, len(rows), per_statement):
            yield start, min(start + per_statement, len(rows))
        return
    start, size = 0, 0
    for i, row in enumerate(rows):
        row_size = sum(len(row[c]) for c in sized if isinstance(row[c], bytes | str))
        if i > start and (i - start == per_statement or size + row_size > max_bytes):
            yield start, i
            start, size = i, 0
        size += row_size
    if start < len(rows):
        yield start, len(rows)


def _last_per_key(
    columns: dict[str, list[Any]], count: int, key: list[str]
) -> tuple[dict[str, list[Any]], int]:
    """With ``replace``, a key repeated within one batch: the last row wins on every backend
    (PostgreSQL's upsert refuses to touch a row twice in one statement)."""
    if not key or not all(k in columns for k in key):
        return columns, count
    last: dict[tuple[Any, ...], int] = {}
    try:
        for i, values in enumerate(zip(*[columns[k] for k in key], strict=True)):
            last[values] = i  # a repeated key keeps its first place, takes the last row
    except TypeError:  # unhashable key values: leave the batch as given
        return columns, count
    if len(last) == count:
        return columns, count
    kept = list(last.values())
    return {n: [values[i] for i in kept] for n, values in columns.items()}, len(kept)


def insert_dataframe(table: Any, df: Any, index_as_pk: bool | None, **options: Any) -> None:
    """Insert a DataFrame, using its index as the primary key when it matches (spec 04 §2.8)."""
    if type(df).__name__ != "DataFrame" or not hasattr(df, "reset_index"):
        raise DataJointError("insert_dataframe requires a pandas DataFrame")
    names = [n for n in df.index.names if n is not None]
    pk = set(table.primary_key)
    if index_as_pk is None:
        index_as_pk = bool(names) and set(names) == pk
    elif index_as_pk and set(names) != pk:
        raise DataJointError(
            f"The DataFrame index {names} and the primary key {sorted(pk)} do not match: use "
            "index_as_pk=False or reset_index()."
        )
    frame = df.reset_index() if index_as_pk else df.reset_index(drop=True)
    insert(table, frame.to_dict("records"), **options)


def insert_stored(table: Any, rows: Sequence[dict[str, Any]], chunk_size: int = 5000) -> None:
    """Insert rows whose codec attributes hold their stored form (blob bytes, store records,
    as a fetch through ``Heading.stored()`` returns them): no codec runs and no store is
    written. Rows whose primary key is present already are skipped."""
    if not rows:
        return
    heading = table.heading.stored()
    fields = [n for n in rows[0] if n in heading.all_names]
    for start in range(0, len(rows), chunk_size):
        batch = rows[start : start + chunk_size]
        columns = {name: [row[name] for row in batch] for name in fields}
        _encode_and_send(table, table.connection, heading, fields, columns, len(batch), "skip")
    record_insert(table)


# codecs whose stored values embed the path of the table they belong to (spec 06)
_SCHEMA_ADDRESSED = frozenset({"object", "npy"})


def _insert_query(table: Any, query: Any, mode: str | None, ignore_extra_fields: bool) -> None:
    """INSERT … SELECT: copy the rows of ``query`` without fetching them (spec 04 §2.6)."""
    query = query() if isinstance(query, type) else query
    heading = table.heading
    names = query.heading.names
    extra = [n for n in names if n not in heading.attributes]
    if extra and not ignore_extra_fields:
        raise DataJointError(
            f"Attribute `{extra[0]}` of the query is not in the heading of `{table.table_name}`; "
            "use ignore_extra_fields=True to leave it out."
        )
    fields = [n for n in names if n in heading.attributes]
    for name in fields:
        spec = heading[name].type
        if spec.codec_name in _SCHEMA_ADDRESSED:
            raise DataJointError(
                f"Attribute `{name}` (<{spec.codec_name}@>) holds schema-addressed objects whose "
                "paths embed their table: they cannot be copied by INSERT … SELECT. Fetch the "
                "values and insert them instead."
            )
    select_sql, params = compile_fetch(query, fields)
    connection = table.connection
    sql = connection.adapter.insert_select_sql(
        table.database,
        table.table_name,
        fields,
        select_sql,
        on_duplicate=mode,
        primary_key=heading.all_primary_key,
        # a replaced row equals a fresh insert: attributes the query lacks take their defaults
        defaults=[
            a for a in heading.all_attributes if a.name not in fields and not a.autoincrement
        ],
    )
    try:
        connection.query(sql, params)
    except (QueryError, ValueConversionError) as exc:  # the rows are not known here
        hint = SKIP_HINT if isinstance(exc, DuplicateError) else ""
        raise explain(exc, table, fields, [], hint) from None


@dataclass
class ValidationResult:
    """The outcome of :func:`validate`: ``errors`` holds ``(row, attribute or None, message)``."""

    is_valid: bool
    errors: list[tuple[int, str | None, str]] = field(default_factory=list)
    rows_checked: int = 0

    def __bool__(self) -> bool:
        return self.is_valid

    def raise_if_invalid(self) -> None:
        if not self.is_valid:
            raise DataJointError(self.summary())

    def summary(self) -> str:
        if self.is_valid:
            return f"Validation passed: {self.rows_checked} rows checked"
        lines = [
            f"Validation failed: {len(self.errors)} error(s) in {self.rows_checked} rows",
        ]
        for index, name, message in self.errors[:10]:
            where = f" in field '{name}'" if name is not None else ""
            lines.append(f"  Row {index}{where}: {message}")
        if len(self.errors) > 10:
            lines.append(f"  ... and {len(self.errors) - 10} more errors")
        return "\n".join(lines)


def _check_value(attr: Attribute, value: Any) -> str | None:
    """Why ``value`` cannot be inserted into ``attr`` (None when it can)."""
    if value is None:
        if not (attr.nullable or attr.default is not None or attr.autoincrement):
            return f"NULL value not allowed for NOT NULL field '{attr.name}' without default"
        return None
    if attr.codec is not None:
        try:
            codec_columns.validate_values(attr.type, [value], attr.codec)
        except (TypeError, ValueError, DataJointError) as exc:
            return f"Codec validation failed: {exc}"
        return None
    try:
        to_core_value(attr.type, value, attr.name)
    except (DataJointError, TypeError, ValueError) as exc:
        return str(exc)
    if attr.uuid and not isinstance(value, uuid.UUID):
        try:
            uuid.UUID(str(value))
        except ValueError:
            return f"Invalid UUID {value!r}"
    if attr.json:
        try:
            json.dumps(value)
        except (TypeError, ValueError) as exc:
            return f"Value is not JSON serializable: {exc}"
    return None


def validate(table: Any, rows: Any, *, ignore_extra_fields: bool = False) -> ValidationResult:
    """Check ``rows`` as :func:`insert` would, without touching the database (spec 04 §2.9)."""
    heading = table.heading
    names = heading.names
    errors: list[tuple[int, str | None, str]] = []
    count = 0
    for index, row in enumerate(normalize_rows(rows)):
        count += 1
        if isinstance(row, Mapping):
            mapped = dict(row)
        elif isinstance(row, np.void):
            mapped = {n: row[n] for n in row.dtype.names or ()}
        elif isinstance(row, (str, bytes)) or not hasattr(row, "__len__"):
            errors.append((index, None, f"Invalid row type {type(row).__name__}"))
            continue
        elif len(row) != len(names):
            errors.append(
                (
                    index,
                    None,
                    f"Incorrect number of attributes: {len(row)} given, {len(names)} expected",
                )
            )
            continue
        else:
            mapped = dict(zip(names, row, strict=True))
        if not ignore_extra_fields:
            for name in mapped:
                if name not in heading.attributes:
                    errors.append((index, name, f"Field '{name}' is not in the table heading"))
        for attr in heading.attributes.values():
            if attr.name not in mapped:
                if not (attr.nullable or attr.default is not None or attr.autoincrement):
                    errors.append((index, attr.name, f"Required field '{attr.name}' is missing"))
                continue
            problem = _check_value(attr, mapped[attr.name])
            if problem is not None:
                errors.append((index, attr.name, problem))
        for name in heading.primary_key:
            if heading[name].autoincrement:
                continue
            if mapped.get(name) is None:
                errors.append((index, name, f"Primary key attribute '{name}' is missing or None"))
    return ValidationResult(not errors, errors, count)
