"""Attribute, ForeignKey, Index and Heading: frozen descriptions of a table, no I/O."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np

from . import types as T
from .codecs.base import SchemaCodec
from .codecs.columns import first_dtype_is_bytes
from .errors import UnknownAttributeError
from .types import TypeSpec


@dataclass(frozen=True)
class Attribute:
    """One column of a heading.

    ``default`` is the declared default as text without quotes (``None``: no default);
    ``nullable`` is true iff the declared default was ``null``. ``sql_type`` is the
    backend's column type. ``lineage`` is ``schema.table.attribute`` of its origin.
    ``expression`` is set for computed/renamed attributes of query results.

    Codec attributes (``type`` is ``<name>``/``<name@store>``) also carry ``codec`` (the
    outermost codec), ``store`` (``None`` in-table, ``""`` the default store) and
    ``storage_type``: the core or native type the column holds at the end of the codec chain.
    """

    name: str
    type: TypeSpec
    sql_type: str = ""
    in_key: bool = False
    nullable: bool = False
    default: str | None = None
    comment: str = ""
    autoincrement: bool = False
    lineage: str | None = None
    expression: str | None = None
    codec: Any = None
    store: str | None = None
    storage_type: TypeSpec | None = None

    @cached_property
    def storage(self) -> Attribute:
        """This attribute as the database column sees it: codec attributes with their
        storage type (what backends convert values for), other attributes unchanged."""
        if self.storage_type is None:
            return self
        return replace(self, type=self.storage_type, codec=None, store=None, storage_type=None)

    @property
    def is_hidden(self) -> bool:
        return self.name.startswith("_")

    @property
    def numeric(self) -> bool:
        return self.type.numeric

    @property
    def string(self) -> bool:
        return self.type.string

    @property
    def is_blob(self) -> bool:
        """Raw bytes, native blobs, and codecs whose first dtype is bytes (``<blob>``,
        ``<attach>``; not ``<blob@store>``)."""
        if self.codec is not None:
            return first_dtype_is_bytes(self.codec, self.store, self.storage_type)
        return self.type.is_blob

    @property
    def is_hash_object(self) -> bool:
        """Whether values are hash-addressed objects in a store (``<hash@>``, ``<blob@>``,
        ``<attach@>``)."""
        codec = self.codec
        if codec is None:
            return False
        return codec.name == "hash" or (codec.name in ("blob", "attach") and self.store is not None)

    @property
    def is_schema_object(self) -> bool:
        """Whether values are schema-addressed objects (``<object@>``, ``<npy@>`` and other
        ``SchemaCodec`` codecs)."""
        return isinstance(self.codec, SchemaCodec)

    @property
    def json(self) -> bool:
        return self.type.kind == T.JSON

    @property
    def uuid(self) -> bool:
        return self.type.kind == T.UUID

    @property
    def is_codec(self) -> bool:
        return self.type.is_codec

    @property
    def dtype(self) -> np.dtype:
        """numpy dtype of this attribute's field in ``to_arrays()`` (spec 02 §9)."""
        kind = self.type.kind
        if kind == T.FLOAT:
            return np.dtype("float64")
        if self.nullable:
            return np.dtype("O")
        if kind == T.INT:
            return np.dtype("uint64" if self.type.unsigned and self.type.bits == 64 else "int64")
        if kind == T.BOOL:
            return np.dtype("bool")
        return np.dtype("O")

    @property
    def display_default(self) -> str | None:
        """The default as ``describe()`` writes it."""
        if self.nullable:
            return "null"
        if self.default is None:
            return None
        if self.type.string and not self.default.upper().startswith("CURRENT_TIMESTAMP"):
            return '"' + self.default.replace('"', '\\"') + '"'
        return self.default

    @property
    def type_text(self) -> str:
        """The type shown to users: the declared type (or the native SQL type)."""
        return self.type.declared

    def renamed(self, name: str) -> Attribute:
        return replace(self, name=name)


@dataclass(frozen=True)
class ForeignKey:
    """A foreign-key constraint: child ``columns`` reference ``ref_columns`` of a parent table.

    ``parent`` is the parent's ``(schema, table)``.
    """

    columns: tuple[str, ...]
    parent: tuple[str, str]
    ref_columns: tuple[str, ...]

    @property
    def attr_map(self) -> dict[str, str]:
        return dict(zip(self.columns, self.ref_columns, strict=True))

    @property
    def renamed(self) -> bool:
        return self.columns != self.ref_columns


@dataclass(frozen=True)
class Index:
    """A secondary index; ``parts`` are attribute names or SQL expression text."""

    parts: tuple[str, ...]
    unique: bool = False
    name: str | None = None


@dataclass(frozen=True)
class Heading:
    """The ordered attributes of a table or query result, with keys and table metadata.

    ``attributes`` holds every column including hidden ones; the ``names``-style views
    exclude hidden attributes (spec 01 §3.6).
    """

    all_attributes: tuple[Attribute, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    indexes: tuple[Index, ...] = ()
    comment: str = ""
    lineage_available: bool = True
    table: tuple[str, str] | None = None  # (schema, table) when this is a base table
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @cached_property
    def _by_name(self) -> dict[str, Attribute]:
        return {a.name: a for a in self.all_attributes}

    @cached_property
    def binary_names(self) -> frozenset[str]:
        """Attributes whose column holds bytes (raw bytes, native blobs, ``<blob>``, …)."""
        return frozenset(a.name for a in self.all_attributes if a.storage.type.is_blob)

    @cached_property
    def attributes(self) -> dict[str, Attribute]:
        """Visible attributes by name, in heading order."""
        return {a.name: a for a in self.all_attributes if not a.is_hidden}

    @cached_property
    def all_names(self) -> frozenset[str]:
        """Names of every attribute, hidden ones included."""
        return frozenset(self._by_name)

    @property
    def names(self) -> list[str]:
        return list(self._names)

    @property
    def primary_key(self) -> list[str]:
        return list(self._primary_key)

    @property
    def all_primary_key(self) -> list[str]:
        """Primary key including hidden attributes (``_singleton``)."""
        return list(self._all_primary_key)

    # the lists above are built once (headings are frozen) and copied for the caller
    @cached_property
    def _names(self) -> tuple[str, ...]:
        return tuple(self.attributes)

    @cached_property
    def _primary_key(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.all_attributes if a.in_key and not a.is_hidden)

    @cached_property
    def _all_primary_key(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.all_attributes if a.in_key)

    @property
    def secondary_attributes(self) -> list[str]:
        return [a.name for a in self.all_attributes if not a.in_key and not a.is_hidden]

    @property
    def blobs(self) -> list[str]:
        """Visible attributes holding blobs (raw bytes, ``<blob>``, ``<attach>``)."""
        return [a.name for a in self.attributes.values() if a.is_blob]

    @property
    def non_blobs(self) -> list[str]:
        """Visible attributes that are neither blobs, JSON nor codec values: those a preview
        shows."""
        return [a.name for a in self.attributes.values() if not (a.is_blob or a.json or a.is_codec)]

    @property
    def hash_objects(self) -> list[str]:
        """Visible attributes holding hash-addressed objects."""
        return [a.name for a in self.attributes.values() if a.is_hash_object]

    @property
    def schema_objects(self) -> list[str]:
        """Visible attributes holding schema-addressed objects."""
        return [a.name for a in self.attributes.values() if a.is_schema_object]

    @property
    def as_dtype(self) -> np.dtype:
        """The numpy structured dtype of ``to_arrays()`` rows (spec 02 §9)."""
        return np.dtype([(a.name, a.dtype) for a in self.attributes.values()])

    @property
    def has_autoincrement(self) -> bool:
        return any(a.autoincrement for a in self.all_attributes)

    def __getitem__(self, name: str) -> Attribute:
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownAttributeError(f"Attribute `{name}` is not in the heading") from None

    def __contains__(self, name: object) -> bool:
        return name in self.attributes

    def __iter__(self) -> Iterator[str]:
        """The visible attribute names, as ``list(heading)`` gives in DataJoint."""
        return iter(self.attributes)

    def __len__(self) -> int:
        return len(self.attributes)

    def get(self, name: str) -> Attribute | None:
        return self._by_name.get(name)

    def has_hidden(self, name: str) -> bool:
        return name in self._by_name

    def select(self, names: Sequence[str]) -> Heading:
        """A heading with only ``names`` (visible or hidden), keeping heading order."""
        wanted = set(names)
        return replace(
            self,
            all_attributes=tuple(a for a in self.all_attributes if a.name in wanted),
            extra={},
        )

    def stored(self) -> Heading:
        """This heading with every codec attribute seen as the column that stores it (values
        then travel in their stored form: blob bytes, store records)."""
        if not any(a.codec is not None for a in self.all_attributes):
            return self
        attrs = tuple(a.storage for a in self.all_attributes)
        return replace(self, all_attributes=attrs, extra={})

    def __repr__(self) -> str:
        lines = []
        if self.comment:
            lines.append(f"# {self.comment}")
        in_key = True
        for a in self.attributes.values():
            if in_key and not a.in_key:
                lines.append("---")
                in_key = False
            default = f" = {a.display_default}" if a.display_default is not None else ""
            comment = f"  # {a.comment}" if a.comment else ""
            lines.append(f"{a.name}{default} : {a.type_text}{comment}")
        return "\n".join(lines)
