"""Codec attributes column by column: what insert and fetch call (spec 02 §5.3, §6.5, §6.6).

Insert validates every value of a batch with the outermost codec, then encodes each column
through the chain from outermost to innermost; fetch decodes each column from innermost to
outermost. ``None`` (SQL NULL) never reaches a codec. The chain of an attribute is looked up
in the registry at each call (cached until the registry changes), so a codec class re-defined
in a notebook takes effect without reloading headings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import DataJointError
from ..types import TypeSpec, parse_type
from . import base
from .base import Codec, LegacyStorageCodec, UnregisteredCodec
from .registry import lookup_codec, resolve_dtype


class RowContexts:
    """The key context of each row of a column, built on demand (``contexts[i]`` is a new
    dict: codecs may pop from it).

    Parameters
    ----------
    base : entries shared by every row (``_schema``, ``_table``, ``_field``, ``_config``)
    keys : primary-key attribute → its values, one per row
    """

    __slots__ = ("base", "keys")

    def __init__(self, base: dict[str, Any], keys: Mapping[str, Sequence[Any]]) -> None:
        self.base = base
        self.keys = keys

    def __getitem__(self, index: int) -> dict[str, Any]:
        context = dict(self.base)
        for name, values in self.keys.items():
            context[name] = values[index]
        return context

    def field(self, name: str) -> RowContexts:
        """The contexts of another attribute of the same rows."""
        return RowContexts({**self.base, "_field": name}, self.keys)

    def subset(self, rows: Sequence[int]) -> RowContexts:
        """The contexts of the given rows only."""
        return RowContexts(
            self.base, {k: [values[i] for i in rows] for k, values in self.keys.items()}
        )


_chains: dict[str, tuple[int, list[Codec], str | None]] = {}


def codec_chain(spec: TypeSpec, codec: Codec | None = None) -> tuple[list[Codec], str | None]:
    """The codecs of a codec type from outermost to innermost, and its store; ``codec`` is
    the attribute's codec (a :class:`LegacyStorageCodec` is its own chain).

    Raises
    ------
    DataJointError
        ``Codec <name> is not registered`` (for any codec of the chain).
    """
    if isinstance(codec, LegacyStorageCodec):
        return [codec], None
    cached = _chains.get(spec.declared)
    if cached is not None and cached[0] == base._version[0]:
        return cached[1], cached[2]
    _, chain, store = resolve_dtype(spec.declared)
    _chains[spec.declared] = (base._version[0], chain, store)
    return chain, store


def attribute_codec(spec: TypeSpec, column_type: TypeSpec) -> tuple[Codec, TypeSpec]:
    """The codec and storage type of a column whose type marker is the codec type ``spec``.

    ``column_type`` is what the catalog says the column holds; it is the storage type when the
    codec (or a codec of its chain) is not registered, in which case the codec is an
    :class:`UnregisteredCodec` that raises on first use (spec 02 §5.3).

    Raises
    ------
    DataJointError
        ``Invalid dtype`` when a registered codec names a dtype of no known kind.
    """
    try:
        codec, store = lookup_codec(spec.declared)
    except DataJointError:
        return UnregisteredCodec(str(spec.codec_name)), column_type
    try:
        parse_type(codec.get_dtype(store is not None))
    except DataJointError as exc:
        raise DataJointError(
            f"Invalid dtype of codec <{codec.name}> for the stored type {spec.declared}: {exc}"
        ) from None
    try:
        final, _, _ = resolve_dtype(spec.declared)
    except DataJointError:
        return codec, column_type  # an inner codec is missing: raised when values are used
    return codec, parse_type(final)


def declared_storage(spec: TypeSpec) -> tuple[Codec, TypeSpec]:
    """The codec and storage type of a codec type in a new definition (spec 02 §5.2).

    Raises
    ------
    DataJointError
        ``Codec <x> is not registered``, ``requires @``, ``Circular codec reference``,
        ``Unsupported attribute type``.
    """
    final, chain, _ = resolve_dtype(spec.declared)
    return chain[0], parse_type(final)


def first_dtype_is_bytes(codec: Codec, store: str | None, storage: TypeSpec | None) -> bool:
    """Whether a codec attribute counts as a blob (spec 02 §5.3): its first-level dtype is
    ``bytes`` or a native blob type."""
    try:
        dtype = parse_type(codec.get_dtype(store is not None))
    except DataJointError:  # an unregistered codec: judge by the column
        return storage is not None and storage.is_blob
    return dtype.is_blob


def validate_values(spec: TypeSpec, values: Sequence[Any], codec: Codec | None = None) -> None:
    """Run the outermost codec's ``validate`` on every non-``None`` value (before encoding);
    ``codec`` is the attribute's codec."""
    chain, _ = codec_chain(spec, codec)
    validate = chain[0].validate
    if type(chain[0]).validate is Codec.validate:
        return
    for value in values:
        if value is not None:
            validate(value)


def encode_values(
    spec: TypeSpec, values: Sequence[Any], contexts: Any, codec: Codec | None = None
) -> list[Any]:
    """The stored form of each value (``None`` stays ``None``), through the chain from the
    outermost codec to the innermost. In-store codecs write their objects here, before the
    row is inserted. ``codec`` is the attribute's codec."""
    chain, store = codec_chain(spec, codec)

    def run(column: list[Any], rows: Any) -> list[Any]:
        for codec in chain:
            column = codec.encode_column(column, rows, store)
        return column

    return _non_null(values, contexts, run)


def decode_values(
    spec: TypeSpec, values: Sequence[Any], contexts: Any, codec: Codec | None = None
) -> list[Any]:
    """The Python value of each stored value (``None`` for NULL), through the chain from the
    innermost codec to the outermost. ``codec`` is the attribute's codec."""
    chain, _ = codec_chain(spec, codec)

    def run(column: list[Any], rows: Any) -> list[Any]:
        for codec in reversed(chain):
            column = codec.decode_column(column, rows)
        return column

    return _non_null(values, contexts, run)


def _non_null(values: Sequence[Any], contexts: Any, run: Any) -> list[Any]:
    """``run(column, contexts)`` over the non-``None`` values only; ``None`` stays in place."""
    present = [i for i, v in enumerate(values) if v is not None]
    if len(present) == len(values):
        result: list[Any] = run(list(values), contexts)
        return result
    out: list[Any] = [None] * len(values)
    if present:
        column = run([values[i] for i in present], contexts.subset(present))
        for i, value in zip(present, column, strict=True):
            out[i] = value
    return out
