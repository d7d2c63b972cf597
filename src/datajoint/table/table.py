"""Table: a base table as a query expression, plus the data-manipulation methods."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..connection import conn
from ..declare.alter import alter as _alter
from ..declare.describe import describe
from ..errors import DataJointError, MissingTableError, UnboundTableError
from ..heading import Heading
from ..query.expression import QueryExpression
from ..storage.staged import StagedInsert
from . import delete as _delete
from . import insert as _insert
from . import insert_one
from . import navigation as _navigation
from . import update as _update

_NONE: frozenset[str] = frozenset()


def fresh_instance(cls: type) -> Any:
    """A new instance of table class ``cls``, for methods and properties read on the class."""
    if cls.__init__ is not object.__init__:  # type: ignore[misc]  # FreeTable, Job
        raise UnboundTableError(
            f"`{cls.__name__}` is built with arguments: use this attribute on an instance."
        )
    return cls()


class on_class:
    """A method that, called on a table class, runs on a fresh instance of it."""

    def __init__(self, func: Any) -> None:
        self.func = func
        # update_wrapper only copies metadata; typeshed wants a callable wrapper
        functools.update_wrapper(self, func)  # type: ignore[arg-type]

    def __get__(self, obj: Any, cls: type) -> Any:
        return self.func.__get__(obj if obj is not None else fresh_instance(cls), cls)


_T = TypeVar("_T")


class _ClassProperty(Generic[_T]):
    """A property that also works on the class (evaluated on a fresh instance)."""

    def __init__(self, fget: Callable[[Any], _T]) -> None:
        self.fget = fget
        self.__doc__ = fget.__doc__

    def __get__(self, obj: Any, cls: type) -> _T:
        return self.fget(obj if obj is not None else fresh_instance(cls))


if TYPE_CHECKING:
    _TableProperty = property
else:

    class _TableProperty(property):
        """A property read on instances at the speed of a plain property; read on a table
        class, :class:`TableMeta`'s property of the same name evaluates it on a fresh
        instance."""


class class_property(property):
    """A property that, read on the class, is evaluated on a fresh instance of it."""

    def __get__(self, obj: Any, cls: type | None = None) -> Any:
        if obj is None and cls is not None:
            obj = fresh_instance(cls)
        return super().__get__(obj, cls)


_ON_META = frozenset({"connection", "heading"})  # TableMeta's own properties


class TableMeta(type):
    """Lets table classes take part in the algebra (``Subject & key``, ``for r in Subject``).

    ``len``, ``bool`` and ``in`` stay instance-only (spec 04 §1): a class is always truthy.
    Public properties of table classes (``key_source``, a Lookup's ``contents``, a part's
    ``master``) also work on the class, as they do on an instance.
    """

    def __init__(cls, name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> None:
        super().__init__(name, bases, namespace)
        for key, value in namespace.items():
            if type(value) is property and not key.startswith("_") and key not in _ON_META:
                wrapped = class_property(value.fget, value.fset, value.fdel)
                wrapped.__doc__ = value.__doc__  # a property subclass would show its own
                setattr(cls, key, wrapped)

    # the hottest table properties, read on the class (``Subject.heading``); on an instance,
    # Table's own property of the same name runs without an extra descriptor call
    @property
    def connection(cls) -> Any:
        return fresh_instance(cls).connection

    @property
    def heading(cls) -> Any:
        return fresh_instance(cls).heading

    def __and__(cls, other: Any) -> Any:
        return cls() & other

    def __sub__(cls, other: Any) -> Any:
        return cls() - other

    def __mul__(cls, other: Any) -> Any:
        return cls() * other

    def __add__(cls, other: Any) -> Any:
        return cls() + other

    def __xor__(cls, other: Any) -> Any:
        return cls() ^ other

    def __matmul__(cls, other: Any) -> Any:
        return cls() @ other

    def __neg__(cls) -> Any:
        return -cls()

    def __iter__(cls) -> Any:
        return iter(cls())

    def __contains__(cls, item: Any) -> bool:
        # without this, Python would answer ``in`` by iterating over every row of the table
        raise DataJointError(
            f"`in` needs an instance of table {cls.__name__}: write `key in {cls.__name__}()`."
        )


class Table(QueryExpression, metaclass=TableMeta):
    """A base table; subclasses are the tiers (Manual, Lookup, Imported, Computed, Part).

    Bound to a schema by the ``@schema`` decorator, which sets ``database`` and the connection.
    """

    definition: str = ""
    database: str | None = None
    _table_name: str | None = None
    _connection_: Any = None
    auto_populated = False
    tier_name = "Table"
    is_base_table = True

    @classmethod
    def _make_table_name(cls) -> str:
        raise UnboundTableError(f"Table `{cls.__name__}` has no table name.")

    def _configured(self) -> None:
        if self.database is None or self._connection_ is None:
            raise UnboundTableError(
                f"Table `{type(self).__name__}` is not properly configured. Ensure the schema is "
                "activated before using the table. Example: schema = dj.Schema('my_schema') "
                "then decorate the class with @schema."
            )

    @_ClassProperty
    def table_name(self) -> str:
        """The table's SQL name within its schema (tier prefix included)."""
        cls = type(self)
        if cls.__dict__.get("_table_name") is None:
            return cls._make_table_name()
        # not None: checked in the class's own __dict__ just above
        return cls._table_name  # type: ignore[return-value]

    @_ClassProperty
    def full_table_name(self) -> str:
        """The quoted ``schema.table`` name for this backend."""
        self._configured()
        name: str = self.connection.adapter.table_ref(self.database, self.table_name)
        return name

    @_TableProperty
    def connection(self) -> Any:
        """The connection of the table's schema (also on the class: ``T.connection``)."""
        self._configured()
        return self._connection_

    @_TableProperty
    def heading(self) -> Heading:
        """The table heading (loaded with the rest of its schema, cached on the connection)."""
        # remembered on the instance (and its restricted copies) and, for a table named by its
        # class, on the class, until the catalog changes
        state = self.__dict__
        cached = state.get("_catalog_heading") or type(self).__dict__.get("_catalog_heading")
        if cached is not None:
            catalog = cached[0]
            if (
                catalog.generation == cached[1]
                and self._connection_._catalog is catalog
                and cached[3] == self.database  # the class may be bound to another schema
            ):
                known: Heading = cached[2]
                return known
        self._configured()
        catalog = self._connection_.catalog
        heading: Heading | None = catalog.heading(self.database, self.table_name)
        if heading is not None:
            cached = (catalog, catalog.generation, heading, self.database)
            state["_catalog_heading"] = cached
            if "database" not in state and "_connection_" not in state:
                type.__setattr__(type(self), "_catalog_heading", cached)
        if heading is None:
            raise MissingTableError(
                f"Table `{self.database}`.`{self.table_name}` does not exist; declare it by "
                "decorating its class with the schema (create_tables=True)."
            )
        return heading

    @_ClassProperty
    def primary_key(self) -> list[str]:
        return self.heading.primary_key

    @property
    def is_declared(self) -> bool:
        self._configured()
        return self._connection_.catalog.heading(self.database, self.table_name) is not None

    # the query-expression view of a base table
    @property
    def _source(self) -> tuple[str, str]:
        # `database` is set (str) once the table is bound to a schema
        return (self.database, self.table_name)  # type: ignore[return-value]

    def _names(self) -> frozenset[str]:
        return self.heading.all_names  # the source heading: hidden attributes included

    # read-only properties here, plain attributes on QueryExpression
    @property
    def _source_heading(self) -> Heading:  # type: ignore[override]
        return self.heading

    @property
    def _heading(self) -> Heading:  # type: ignore[override]
        return self.heading

    @property
    def _columns(self) -> tuple[tuple[str, Any], ...]:  # type: ignore[override]
        return tuple((a.name, a.name) for a in self.heading.all_attributes)

    @property
    def _renamed(self) -> frozenset[str]:
        return _NONE  # a table's columns are its attributes

    # restrictions (``_where``, ``_top``) are instance attributes set on a copy of the table
    # by QueryExpression.restrict, so that ``Table & cond`` keeps the table's class

    # ---------------------------------------------------------------- data manipulation
    def insert(
        self,
        rows: Any,
        replace: bool = False,
        skip_duplicates: bool = False,
        ignore_extra_fields: bool = False,
        allow_direct_insert: bool | None = None,
        chunk_size: int | None = None,
    ) -> None:
        """Insert rows (spec 04 §2): dicts, sequences, records, DataFrames or a query."""
        _insert.insert(
            self,
            rows,
            replace=replace,
            skip_duplicates=skip_duplicates,
            ignore_extra_fields=ignore_extra_fields,
            allow_direct_insert=allow_direct_insert,
            chunk_size=chunk_size,
        )

    def insert1(self, row: Any, **options: Any) -> None:
        """Insert one row."""
        if options or type(row) is not dict or not insert_one.insert1_prepared(self, row):
            _insert.insert(self, (row,), **options)

    def insert_dataframe(self, df: Any, index_as_pk: bool | None = None, **options: Any) -> None:
        """Insert a pandas DataFrame, using its index as primary key when it matches."""
        _insert.insert_dataframe(self, df, index_as_pk, **options)

    def describe(self, context: dict[str, Any] | None = None, printout: bool = False) -> str:
        """The definition that re-declares this table (spec 01 §7.6).

        ``context`` resolves parent tables to class names; default: the class's module and
        its schema's context (the namespace of a virtual module).
        """
        if context is None:
            module = sys.modules.get(type(self).__module__)
            context = dict(vars(module)) if module is not None else {}
            schema = self.connection.schemas.get(self.database)
            if schema is not None and schema.context:
                context = {**schema.context, **context}
        text = describe(self, context)
        if printout:
            print(text)
        return text

    def drop_quick(self) -> None:
        """Drop the table without cascading or asking (fails if other tables reference it)."""
        _delete.drop_quick(self)

    def delete_quick(self, get_count: bool = False) -> int | None:
        """Delete the rows of this table without cascading."""
        return _delete.delete_quick(self, get_count)

    def delete(
        self,
        transaction: bool = True,
        prompt: bool | None = None,
        part_integrity: str = "enforce",
        **legacy: Any,
    ) -> int:
        """Delete these rows and all rows depending on them (spec 04 §4); returns the count."""
        return _delete.delete(self, transaction, prompt, part_integrity, **legacy)

    def drop(
        self, prompt: bool | None = None, part_integrity: str = "enforce", **legacy: Any
    ) -> None:
        """Drop the table and every table depending on it (spec 04 §5)."""
        _delete.drop(self, prompt, part_integrity, **legacy)

    def update1(self, row: Any) -> None:
        """Change secondary attributes of one existing row (spec 04 §3)."""
        _update.update1(self, row)

    @_ClassProperty
    def staged_insert1(self) -> StagedInsert:
        """A context manager that writes ``<object@>`` values in place, then inserts the row
        (spec 06 §7)::

            with Recording.staged_insert1 as staged:
                staged.rec["recording_id"] = 1
                with staged.open("raw", ".bin") as f:
                    f.write(data)

        The row is inserted when the block ends normally; an exception (or a failed insert)
        removes what was staged and leaves no row.
        """
        return StagedInsert(self)

    def alter(self, prompt: bool = True, context: dict[str, Any] | None = None) -> None:
        """Change secondary attributes and the comment to match ``definition`` (spec 01 §8)."""
        _alter(self, prompt, context)

    def validate(self, rows: Any, *, ignore_extra_fields: bool = False) -> Any:
        """Check rows for insertion without touching the database (spec 04 §2.9)."""
        return _insert.validate(self, rows, ignore_extra_fields=ignore_extra_fields)

    # ---------------------------------------------------------------- navigation
    def _sibling(self, node: str) -> FreeTable:
        """The table of dependency-graph node ``schema.table`` on this table's connection."""
        return FreeTable(self.connection, node)

    def _named(self, nodes: list[str], as_objects: bool) -> list[Any]:
        if as_objects:
            return [self._sibling(n) for n in nodes]
        adapter = self.connection.adapter
        return [adapter.table_ref(*n.split(".", 1)) for n in nodes]

    def _linked(
        self, upward: bool, primary: bool | None, as_objects: bool, foreign_key_info: bool
    ) -> list[Any]:
        found = _navigation.foreign_keys(self, upward=upward, primary=primary)
        if foreign_key_info:
            names = self._named([n for n, _ in found], as_objects)
            return [(name, info) for name, (_, info) in zip(names, found, strict=True)]
        return self._named(list(dict.fromkeys(n for n, _ in found)), as_objects)

    def parents(
        self, primary: bool | None = None, as_objects: bool = False, foreign_key_info: bool = False
    ) -> list[Any]:
        """The tables this table references through foreign keys.

        Parameters
        ----------
        primary : True: only foreign keys inside the primary key; False: only secondary ones;
            None: all.
        as_objects : return ``FreeTable`` objects instead of full table names.
        foreign_key_info : return ``(table, info)`` pairs, one per foreign key, where ``info``
            holds ``attr_map`` (this table's attribute → the parent's), ``primary``,
            ``aliased`` and ``multi``.
        """
        return self._linked(True, primary, as_objects, foreign_key_info)

    def children(
        self, primary: bool | None = None, as_objects: bool = False, foreign_key_info: bool = False
    ) -> list[Any]:
        """The tables that reference this table (options as in :meth:`parents`; ``attr_map``
        maps the child's attributes to this table's)."""
        return self._linked(False, primary, as_objects, foreign_key_info)

    def ancestors(self, as_objects: bool = False) -> list[Any]:
        """This table and every table it depends on, in topological order."""
        return self._named(_navigation.lineage(self, upward=True), as_objects)

    def descendants(self, as_objects: bool = False) -> list[Any]:
        """This table and every table depending on it (across schemas), in topological order."""
        return self._named(_navigation.lineage(self, upward=False), as_objects)

    def parts(self, as_objects: bool = False) -> list[Any]:
        """The part tables of this (master) table."""
        return self._named(_navigation.parts(self), as_objects)

    def __repr__(self) -> str:
        try:
            return self.preview()
        except DataJointError as exc:
            return f"<{type(self).__name__}: {exc}>"


_CLASS_METHODS = (
    "to_dicts",
    "to_pandas",
    "to_polars",
    "to_arrow",
    "to_parquet",
    "to_arrays",
    "keys",
    "fetch1",
    "fetch",
    "head",
    "tail",
    "cursor",
    "proj",
    "restrict",
    "join",
    "extend",
    "aggr",
    "aggregate",
    "make_sql",
    "preview",
    "insert",
    "insert1",
    "insert_dataframe",
    "describe",
    "drop_quick",
    "delete_quick",
    "delete",
    "drop",
    "update1",
    "validate",
    "alter",
    "parents",
    "children",
    "ancestors",
    "descendants",
    "parts",
)
for _name in _CLASS_METHODS:
    setattr(Table, _name, on_class(getattr(Table, _name)))


class FreeTable(Table):
    """A table addressed by name, without a class of its own."""

    def __init__(self, connection: Any, full_table_name: str | None = None) -> None:
        if full_table_name is None:
            connection, full_table_name = conn(), connection
        schema, table = _split_full_name(full_table_name)
        self.database = schema
        self._connection_ = connection
        self._free_name = table

    @property
    def table_name(self) -> str:
        return self._free_name

    def __repr__(self) -> str:
        return f"FreeTable(`{self.database}`.`{self.table_name}`)\n" + super().__repr__()


def _split_full_name(name: str) -> tuple[str, str]:
    text = name.replace("`", "").replace('"', "")
    if "." not in text:
        raise DataJointError(f"Full table name {name!r} must be `schema`.`table`.")
    schema, table = text.split(".", 1)
    return schema, table
