"""Execute a query expression and decode its rows column by column (spec 04 §1)."""

from __future__ import annotations

import contextlib
import functools
import gc
import warnings
from collections.abc import Callable, Iterator, Sequence
from operator import itemgetter
from typing import Any

import numpy as np

from .. import types as T
from ..codecs.columns import RowContexts, decode_values
from ..errors import DataJointError, QueryError, QuerySyntaxError, UnknownAttributeError
from . import formats
from .compiler import compile_count, compile_exists, compile_fetch, shaped_fetch
from .conditions import Top
from .shape import Shape, shape_of

# kinds whose values are scalars a structured array field takes as they are
_SCALAR_KINDS = frozenset(
    {T.INT, T.FLOAT, T.DECIMAL, T.BOOL, T.YEAR, T.CHAR, T.VARCHAR, T.TEXT, T.ENUM}
    | {T.DATE, T.DATETIME, T.TIME, T.UUID, T.BYTES}
)


def _config(query: Any, key: str, default: Any) -> Any:
    try:
        value = query.connection._config[key]
    except KeyError:
        return default
    return default if value is None else value


def _check_int(name: str, value: Any) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise TypeError(f"{name} must be an integer or None, got {type(value).__name__}")


def shaped(query: Any, order_by: Any, limit: Any, offset: Any) -> Any:
    """``query`` with ``order_by/limit/offset`` applied as a ``dj.Top`` (spec 04 §1.2)."""
    _check_int("limit", limit)
    _check_int("offset", offset)
    if order_by is None and limit is None and not offset:
        return query
    if order_by is None:
        order_by = query._top.order_by if query._top is not None else "KEY"
    return query.restrict(Top(limit, order_by, offset or 0))


def run(query: Any, sql: str, params: Sequence[Any], as_dict: bool = False) -> Any:
    """Execute a query's statement; a statement the database cannot run says which query
    failed and where to look (the user SQL fragments it holds)."""
    try:
        return query.connection.query(sql, params, as_dict=as_dict)
    except (QueryError, QuerySyntaxError) as exc:
        if type(exc) not in (QueryError, QuerySyntaxError):
            raise  # a more specific error (unknown attribute, privileges, …) says it already
        table = query.heading.table
        where = f"on `{table[0]}`.`{table[1]}`" if table else "of a derived expression"
        backend = query.connection.adapter.name
        said = exc.args[0] if exc.args else ""
        raise type(exc)(
            f"The {backend} database could not run the query {where}: {said}. Check its SQL "
            "fragments (restriction strings, computed attributes, aggregates) for a function, "
            f"collation or feature that the {backend} backend lacks, or a misspelling.",
            sql[:300],
        ) from exc


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a result is built: its rows, columns and dicts hold
    no cycles, and the collector would otherwise scan them over and over as they are made."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


SelectPlan = tuple[list[str], tuple[tuple[str, bool], ...], tuple[Any, ...]]


def _select_plan(query: Any, fields: Sequence[str], by_key: bool) -> SelectPlan:
    """The columns to select for ``fields`` (codec columns bring the primary key), the
    order (by primary key or none) and the storage attribute of each column; remembered on
    the heading."""
    heading = query.heading
    # DISTINCT applies to the whole select list, and HAVING may name any of its aliases
    narrow = not (query._distinct or query._having)
    plans = heading.__dict__.setdefault("_select_plans", {})
    plan_key = (tuple(fields), by_key, narrow)
    plan: SelectPlan | None = plans.get(plan_key)
    if plan is None:
        order = tuple((k, False) for k in heading.primary_key) if by_key else ()
        selected = list(dict.fromkeys(fields)) if narrow else list(heading.names)
        if any(heading[name].codec is not None for name in selected):
            # codecs receive the primary key of each row
            selected = list(dict.fromkeys([*heading.primary_key, *selected]))
        plan = plans[plan_key] = (selected, order, tuple(heading[n].storage for n in selected))
    return plan


def _fetch(query: Any, fields: Sequence[str], limit: int | None) -> tuple[list[str], list[Any]]:
    """The selected column names and the driver's rows for ``fields`` (see :func:`rows`)."""
    by_key = limit is None and query._top is None and _config(query, "fetch.order_by_key", True)
    selected, order, storages = _select_plan(query, fields, by_key)
    sql, params = compile_fetch(query, selected, order, limit)
    # the backend may read them in a faster form (PostgreSQL: bound on the server, prepared)
    sql = query.connection.adapter.fetch_sql(sql, storages)
    return list(selected), run(query, sql, params).fetchall()


def _plain(query: Any, selected: Sequence[str], fields: Sequence[str]) -> bool:
    """Whether the driver's rows of ``selected`` are the values of ``fields`` as they are (the
    same names, nothing to decode); see :func:`_decode_plan`."""
    plan = _decode_plan(query.heading, query.connection.adapter, tuple(selected), tuple(fields))
    return plan[2]


Plan = tuple[tuple[tuple[str, bool, Any], ...], list[str], bool]


def _decode_plan(
    heading: Any, adapter: Any, selected: tuple[str, ...], fields: tuple[str, ...]
) -> Plan:
    """Per selected column: its name, whether it is returned, and the storage attribute that
    :meth:`from_driver` converts (None: the driver's values as they are); the codec columns;
    and whether the rows are the result as they are (``selected`` is ``fields`` and nothing
    needs decoding). Remembered on the heading, which changes with the catalog."""
    plans = heading.__dict__.setdefault("_decode_plans", {})
    key = (adapter, selected, fields)
    plan: Plan | None = plans.get(key)
    if plan is None:
        wanted = {*fields, *heading.primary_key}
        steps = []
        for name in selected:
            storage = heading[name].storage
            as_is = heading[name].codec is None and adapter.fetched_as_is(storage)
            steps.append((name, name in wanted, None if as_is else storage))
        coded = [name for name in selected if heading[name].codec is not None]
        plain = selected == fields and all(step[2] is None for step in steps) and not coded
        plan = plans[key] = (tuple(steps), coded, plain)
    return plan


ArrayMaker = Callable[[Any, Iterator[Any], int], Any]


def _decoded(
    query: Any,
    selected: list[str],
    raw: list[Any],
    fields: Sequence[str],
    squeeze: bool,
    arrays: ArrayMaker | None = None,
) -> dict[str, Any]:
    """The decoded columns of ``fields`` from the driver's rows of ``selected``.

    ``arrays(attribute, values, count)``: a column's values as the array a caller wants (or
    None: a list), made straight from the rows for columns that need no decoding."""
    heading = query.heading
    adapter = query.connection.adapter
    steps, coded, _ = _decode_plan(heading, adapter, tuple(selected), tuple(fields))
    decoded: dict[str, Any] = {}
    for i, (name, wanted, storage) in enumerate(steps):
        if not wanted:
            continue
        if storage is None and arrays is not None and raw:
            array = arrays(heading[name], map(itemgetter(i), raw), len(raw))
            if array is not None:
                decoded[name] = array
                continue
        # a column at a time: faster than transposing the rows with zip(*raw)
        values = list(map(itemgetter(i), raw))
        decoded[name] = values if storage is None else adapter.from_driver(storage, values)
    if coded:  # codecs receive the key values as Python values
        keys = {k: listed(decoded[k]) for k in heading.primary_key}
        contexts = _key_contexts(query, keys)
        for name in coded:
            if name in fields:
                attr = heading[name]
                context = contexts.field(name)
                decoded[name] = decode_values(attr.type, decoded[name], context, attr.codec)
    if squeeze:
        for name in dict.fromkeys(fields):
            values = decoded[name]
            if not isinstance(values, np.ndarray):  # (an array made by ``arrays``: numbers)
                decoded[name] = [v.squeeze() if isinstance(v, np.ndarray) else v for v in values]
    return decoded


def listed(values: Any) -> list[Any]:
    """A column as a list of Python values (a numpy array made by ``arrays``: its items)."""
    as_list: list[Any] = values.tolist() if isinstance(values, np.ndarray) else values
    return as_list


def rows(
    query: Any,
    fields: Sequence[str],
    squeeze: bool = False,
    limit: int | None = None,
    arrays: ArrayMaker | None = None,
) -> list[Any]:
    """Decoded columns of ``fields`` (one list per field), in fetch order.

    Without a ``dj.Top`` rows come in primary-key order (spec 03 §13.1) unless the setting
    ``fetch.order_by_key`` is off. Codec attributes are decoded a column at a time, with the
    primary key of each row in the codecs' key context (spec 02 §6.6). ``limit``: at most this
    many rows, in any order (the query must have no ``dj.Top``). ``arrays``: see
    :func:`_decoded`.
    """
    if limit is not None and limit <= 2:  # fetch1: too few objects for the collector to matter
        selected, raw = _fetch(query, fields, limit)
        decoded = _decoded(query, selected, raw, fields, squeeze, arrays)
    else:
        with _collector_paused():
            selected, raw = _fetch(query, fields, limit)
            decoded = _decoded(query, selected, raw, fields, squeeze, arrays)
            del raw  # freed before the collector runs again, so it never scans these rows
    return [decoded[f] for f in fields]


@functools.lru_cache(maxsize=256)
def _dicts_maker(names: tuple[str, ...]) -> Callable[[list[Sequence[Any]]], list[dict[str, Any]]]:
    """A function turning rows into their dicts: a list comprehension with a dict display
    builds them about twice as fast as ``dict(zip(names, row))`` per row (names are attribute
    names, written as literals by repr; the loop variables are ``v0``, ``v1``, ...)."""
    items = ", ".join(f"{name!r}: v{i}" for i, name in enumerate(names))
    targets = "".join(f"v{i}, " for i in range(len(names)))
    maker: Callable[[list[Sequence[Any]]], list[dict[str, Any]]] = eval(
        f"lambda rows: [{{{items}}} for {targets}in rows]"
    )
    return maker


def records(query: Any, names: Sequence[str], squeeze: bool = False) -> list[dict[str, Any]]:
    """The rows as dicts of ``names``; made straight from the driver's rows when no value
    needs decoding."""
    with _collector_paused():
        selected, raw = _fetch(query, names, None)
        if _plain(query, selected, names):
            made = _dicts_maker(tuple(names))(raw)
            del raw  # freed before the collector runs again, so it never scans these rows
            return made
        decoded = _decoded(query, selected, raw, names, squeeze)
        del raw
        columns = [decoded[n] for n in names]
        return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


def _key_contexts(query: Any, keys: dict[str, list[Any]]) -> RowContexts:
    schema, table = query.heading.table or (None, None)
    base = {"_schema": schema, "_table": table, "_config": query.connection._config}
    return RowContexts(base, keys)


def _height(query: Any) -> int:
    """Number of rows of an expression fetched with no attributes (e.g. ``dj.U() & A``)."""
    grouped = query._group is not None or query._having  # aggregates collapse the rows
    sql, params = compile_fetch(query, query.heading.names if grouped else ())
    return len(run(query, sql, params).fetchall())


def _dicts(query: Any, names: Sequence[str], squeeze: bool = False) -> list[dict[str, Any]]:
    if not names:  # nothing to select (e.g. the empty key): one empty dict per row
        return [{} for _ in range(_height(query))]
    return records(query, names, squeeze)


def to_dicts(
    query: Any, order_by: Any, limit: Any, offset: Any, squeeze: bool
) -> list[dict[str, Any]]:
    query = shaped(query, order_by, limit, offset)
    return _dicts(query, query.heading.names, squeeze)


def keys(query: Any, order_by: Any, limit: Any, offset: Any) -> list[dict[str, Any]]:
    query = shaped(query, order_by, limit, offset)
    return _dicts(query, query.heading.primary_key)


def _check_names(query: Any, names: Sequence[str]) -> None:
    attributes = query.heading.attributes
    for name in names:
        if name not in attributes:
            raise UnknownAttributeError(
                f"Attribute `{name}` not found; the heading has: {', '.join(query.heading.names)}"
            )


def _as_array(values: list[Any], dtype: Any = None) -> np.ndarray:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", np.exceptions.VisibleDeprecationWarning)
            out = np.array(values, dtype=dtype)
        if out.dtype == object or out.ndim <= 1 or dtype is not None:
            return out
    except (ValueError, np.exceptions.VisibleDeprecationWarning):
        pass
    return _objects(values)


def _objects(values: list[Any]) -> np.ndarray:
    """A 1-D object array with one element per value, each keeping its shape."""
    obj = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        obj[i] = v
    return obj


def to_arrays(
    query: Any,
    attributes: Sequence[str],
    include_key: bool,
    order_by: Any,
    limit: Any,
    offset: Any,
    squeeze: bool,
) -> Any:
    query = shaped(query, order_by, limit, offset)
    heading = query.heading
    if not attributes:
        names = heading.names
        dtype = heading.as_dtype
        with _collector_paused():
            selected, raw = _fetch(query, names, None)
            scalar = all(heading[n].type.kind in _SCALAR_KINDS for n in names)
            if names and scalar and _plain(query, selected, names):
                try:  # straight from the rows, in C (NULL in a number field: the long way)
                    # a tuple is one record, so the rows must come as a list
                    row_list = raw if isinstance(raw, list) else list(raw)
                    records = np.array(row_list, dtype=dtype)
                    del raw, row_list  # freed before the collector runs again: it never scans them
                    return records
                except (TypeError, ValueError):
                    pass
            decoded = _decoded(query, selected, raw, names, squeeze)
        columns = [decoded[n] for n in names]
        result = np.empty(len(columns[0]) if columns else _height(query), dtype=dtype)
        for name, values in zip(names, columns, strict=True):
            if heading[name].dtype == np.dtype("float64"):
                values = [np.nan if v is None else v for v in values]
            if heading[name].dtype == object:
                result[name] = _objects(values)
            else:
                result[name] = values
        return result
    _check_names(query, attributes)
    pk = heading.primary_key
    fields = list(dict.fromkeys([*(pk if include_key else []), *attributes]))
    by_name = dict(zip(fields, rows(query, fields, squeeze), strict=True))
    # codec values (arrays of any shape, dicts, paths) and raw bytes are one object per row:
    # never broadcast, and bytes keep their trailing NUL bytes (a numpy ``S`` array drops them)
    arrays = tuple(
        _objects(by_name[name])
        if heading[name].codec is not None or heading[name].is_blob
        else _as_array(by_name[name])
        for name in attributes
    )
    single: Any = arrays[0] if len(arrays) == 1 else arrays
    if include_key:
        key_list = [
            dict(zip(pk, values, strict=True))
            for values in zip(*[by_name[k] for k in pk], strict=True)
        ]
        return (key_list, *arrays)
    return single


_NOT_PLAIN = ("not plain",)


def _plain_fetch1(query: Any, attributes: tuple[str, ...]) -> tuple[list[str], list[Any]] | None:
    """The fields and the driver's rows (two at most) of ``fetch1(*attributes)`` on the short
    path: the statement, the fields and the finding that the row needs no decoding are
    remembered per query shape, so a call only binds values and runs it. None when the query
    has no shape or its row must be decoded."""
    shape = shape_of(query)
    if shape is None:
        return None
    statements = query.connection.catalog.statements
    key = ("fetch1", attributes, shape.key)
    plan = statements.get(key)
    if plan is None:
        plan = statements[key] = _plain_fetch1_plan(query, attributes, shape)
    if plan is _NOT_PLAIN:
        return None
    sql, binder, fields, _anchors = plan
    values = shape.values
    return fields, run(query, sql, [values[i] for i in binder]).fetchall()


def _plain_fetch1_plan(query: Any, attributes: tuple[str, ...], shape: Shape) -> Any:
    fields = list(attributes) if attributes else list(query.heading.names)
    _check_names(query, fields)
    selected, _, storages = _select_plan(query, fields, False)
    if not fields or not _plain(query, selected, fields):
        return _NOT_PLAIN
    statement = shaped_fetch(query, shape, selected, 2)
    if statement is None:
        return _NOT_PLAIN
    sql = query.connection.adapter.fetch_sql(statement[0], storages)
    return sql, statement[1], fields, shape.anchors  # the anchors keep the heading ids valid


def _exactly_one(found: int) -> None:
    if found != 1:
        raise DataJointError(
            "fetch1 requires exactly one row; the query returned "
            + ("no rows" if found == 0 else "2 or more rows")
            + "."
        )


def fetch1(query: Any, attributes: Sequence[str], squeeze: bool) -> Any:
    """The single row (dict) or the values of ``attributes``; ``"KEY"`` is the key dict."""
    if query._top is None and "KEY" not in attributes:
        short = _plain_fetch1(query, tuple(attributes))
        if short is not None:
            fields, raw = short
            _exactly_one(len(raw))
            if not attributes:
                return dict(zip(fields, raw[0], strict=True))
            return raw[0][0] if len(fields) == 1 else tuple(raw[0])
    heading = query.heading
    names = heading.names if not attributes else list(attributes)
    wants_key = "KEY" in names
    fields = [n for n in names if n != "KEY"]
    _check_names(query, fields)
    if wants_key:
        fields = list(dict.fromkeys([*heading.primary_key, *fields]))
    row: dict[str, Any] | None = None
    if fields and query._top is None:  # two rows at most tell whether there is exactly one
        selected, raw = _fetch(query, fields, 2)
        found = len(raw)
        if found == 1 and _plain(query, selected, fields):  # the driver's row is the result
            row = dict(zip(fields, raw[0], strict=True))
        else:
            decoded = _decoded(query, selected, raw, fields, squeeze)
            columns = [decoded[f] for f in fields]
    else:
        limited = query.restrict(Top(2, None, 0))
        columns = rows(limited, fields, squeeze)
        found = len(columns[0]) if columns else count(limited)
    _exactly_one(found)
    if row is None:
        row = {name: values[0] for name, values in zip(fields, columns, strict=True)}
    if not attributes:
        return row
    key = {k: row[k] for k in heading.primary_key} if wants_key else {}
    values = [key if n == "KEY" else row[n] for n in attributes]
    return values[0] if len(values) == 1 else tuple(values)


def count(query: Any) -> int:
    """Number of rows (distinct primary-key values), one COUNT query."""
    sql, params = compile_count(query)
    sql = query.connection.adapter.fetch_sql(sql, [])
    return int(run(query, sql, params).fetchone()[0])


def exists(query: Any) -> bool:
    """Whether the result is non-empty, one EXISTS query."""
    sql, params = compile_exists(query)
    sql = query.connection.adapter.fetch_sql(sql, [])
    return bool(run(query, sql, params).fetchone()[0])


def iterate(query: Any) -> Iterator[dict[str, Any]]:
    """A generator of row dicts; the rows are read by one query before the first yield."""
    yield from to_dicts(query, None, None, None, False)


def columns(
    query: Any,
    order_by: Any,
    limit: Any,
    offset: Any,
    squeeze: bool,
    arrays: ArrayMaker | None = None,
) -> dict[str, Any]:
    """``{name: decoded values}`` of every attribute, for the column-oriented formats
    (``arrays``: see :func:`_decoded`)."""
    query = shaped(query, order_by, limit, offset)
    names = query.heading.names
    return dict(zip(names, rows(query, names, squeeze, arrays=arrays), strict=True))


def to_pandas(query: Any, order_by: Any, limit: Any, offset: Any, squeeze: bool) -> Any:
    with _collector_paused():
        fetched = columns(query, order_by, limit, offset, squeeze, formats.pandas_array)
        return formats.to_pandas(query, fetched)


def to_polars(query: Any, order_by: Any, limit: Any, offset: Any, squeeze: bool) -> Any:
    with _collector_paused():
        return formats.to_polars(query, columns(query, order_by, limit, offset, squeeze))


def legacy_fetch(
    query: Any,
    attributes: Sequence[str],
    offset: Any = None,
    limit: Any = None,
    order_by: Any = None,
    format: str | None = None,
    as_dict: bool | None = None,
    squeeze: bool = False,
    download_path: str | None = None,
) -> Any:
    """The 0.14 ``fetch()`` API, delegating to the 2.0 methods (spec 04 §1.14)."""
    warnings.warn(
        "fetch() is deprecated; use to_dicts(), to_arrays(), to_pandas() or keys().",
        DeprecationWarning,
        stacklevel=3,
    )
    if download_path is not None:
        with query.connection._config.override(download_path=download_path):
            return legacy_fetch(
                query, attributes, offset, limit, order_by, format, as_dict, squeeze
            )
    shape = {"order_by": order_by, "limit": limit, "offset": offset}
    if format == "frame":
        if attributes or as_dict is not None:
            raise DataJointError("format='frame' cannot be combined with attributes or as_dict")
        return query.to_pandas(**shape, squeeze=squeeze)
    if not attributes:
        if as_dict:
            return query.to_dicts(**shape, squeeze=squeeze)
        return query.to_arrays(**shape, squeeze=squeeze)
    if attributes == ("KEY",):
        return query.keys(**shape)
    if as_dict:
        names = [a for a in attributes if a != "KEY"]
        return query.proj(*names).to_dicts(**shape, squeeze=squeeze)
    if "KEY" in attributes:
        names = [a for a in attributes if a != "KEY"]
        key_list, *arrays = query.to_arrays(*names, include_key=True, **shape, squeeze=squeeze)
        it = iter(arrays)
        return tuple(key_list if a == "KEY" else next(it) for a in attributes)
    return query.to_arrays(*attributes, **shape, squeeze=squeeze)
