"""The Codec API (spec 02 §6): ``dj.Codec``, ``dj.SchemaCodec`` and the codec registry.

A codec turns a Python value into a value of its *dtype* (a core type, a native type, or
another codec) on insert and back on fetch. Subclassing :class:`Codec` registers the subclass
under its ``name``; the definition language then accepts ``<name>``, ``<name@store>`` and
``<name@>``::

    class Graph(dj.Codec):
        name = "graph"

        def get_dtype(self, is_store):
            return "<blob>"          # chained: stored through <blob>

        def encode(self, value, *, key=None, store_name=None):
            return {"nodes": list(value.nodes), "edges": list(value.edges)}

        def decode(self, stored, *, key=None):
            ...

Codecs are instantiated once and must be stateless. The framework calls them column by
column (:meth:`Codec.encode_column`, :meth:`Codec.decode_column`); the defaults call
:meth:`Codec.encode` / :meth:`Codec.decode` once per non-NULL value.
"""

from __future__ import annotations

import inspect
import json
import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar, Protocol

from ..errors import DataJointError
from ..storage.paths import build_object_path
from ..storage.stores import StorageBackend, get_backend

logger = logging.getLogger("datajoint")

_NAME = re.compile(r"^[^<>@\s:]+$")

# name -> the registered instance; ``_version`` changes whenever the registry changes so that
# resolved codec chains cached elsewhere can tell they are stale
_registry: dict[str, Codec] = {}
_version = [0]


class KeyContexts(Protocol):
    """The key context of each value of a column (spec 02 §6.5/§6.6): ``contexts[i]`` is a
    fresh dict with ``_schema``, ``_table``, ``_field``, ``_config`` and the primary-key
    values of row ``i``; ``contexts.base`` holds the part shared by every row."""

    base: dict[str, Any]

    def __getitem__(self, index: int) -> dict[str, Any]: ...


class Codec(ABC):
    """Base class of codecs; a subclass with a ``name`` registers itself.

    Parameters of the class statement
    ---------------------------------
    register : bool, default True
        ``class Helper(dj.Codec, register=False)`` defines a base class that is not registered.

    Attributes
    ----------
    name : str or None
        The registry key, used as ``<name>`` in definitions. ``None`` leaves the class
        unregistered.
    """

    name: ClassVar[str | None] = None

    def __init_subclass__(cls, *, register: bool = True, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if register and cls.name is not None:
            _register_class(cls)

    # ---------------------------------------------------------------- the API users implement
    @abstractmethod
    def get_dtype(self, is_store: bool) -> str:
        """The storage type for in-table (``False``) or in-store (``True``) attributes.

        Returns a core type (``"bytes"``, ``"json"``, ``"int32"``), a native type, or another
        codec (``"<blob>"``). Raises :class:`DataJointError` for an unsupported mode.
        """

    @abstractmethod
    def encode(self, value: Any, *, key: dict[str, Any] | None = None) -> Any:
        """The stored form of ``value`` (a value of the dtype). ``None`` never reaches here.

        Codecs writing to object stores may also accept ``store_name=``; it is passed only to
        ``encode`` methods that declare it.
        """

    @abstractmethod
    def decode(self, stored: Any, *, key: dict[str, Any] | None = None) -> Any:
        """The Python value of ``stored`` (the inverse of :meth:`encode`); never NULL."""

    def validate(self, value: Any) -> None:
        """Reject ``value`` (``TypeError``/``ValueError``) before anything is encoded or
        uploaded. The default accepts everything."""
        return None

    def referenced_paths(self, stored: Any) -> list[tuple[str, str | None]]:
        """``[(path, store)]`` of the stored objects a value refers to (for garbage
        collection): the ``path`` and ``store`` of a stored dict (or its JSON text)."""
        if isinstance(stored, str | bytes):
            try:
                stored = json.loads(stored)
            except ValueError:
                return []
        if isinstance(stored, dict) and "path" in stored:
            return [(stored["path"], stored.get("store"))]
        return []

    # ---------------------------------------------------------------- column-wise calls
    def encode_column(
        self, values: Sequence[Any], contexts: KeyContexts, store_name: str | None
    ) -> list[Any]:
        """:meth:`encode` every value of a column (no ``None`` among them).

        ``store_name`` is passed on only if :meth:`encode` accepts it. Codecs override this
        to encode a whole column at once.
        """
        encode = self.encode
        if _accepts_store_name(type(self)):
            return [
                encode(v, key=contexts[i], store_name=store_name)  # type: ignore[call-arg]
                for i, v in enumerate(values)
            ]
        return [encode(v, key=contexts[i]) for i, v in enumerate(values)]

    def decode_column(self, values: Sequence[Any], contexts: KeyContexts) -> list[Any]:
        """:meth:`decode` every value of a fetched column (no NULL among them)."""
        decode = self.decode
        return [decode(v, key=contexts[i]) for i, v in enumerate(values)]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} codec <{self.name}>>"


class SchemaCodec(Codec, register=False):
    """Base of store-only codecs whose objects live at schema-addressed paths (spec 02 §6.4,
    spec 06 §2.2): ``{schema}/{table}/{key}/{field}_{token}{ext}``.

    ``get_dtype`` is ``json`` and requires a store (``<name@>`` or ``<name@store>``).
    """

    def get_dtype(self, is_store: bool) -> str:
        if not is_store:
            raise DataJointError(
                f"<{self.name}> requires @: declare it as <{self.name}@> (default store) or "
                f"<{self.name}@store>."
            )
        return "json"

    @staticmethod
    def _extract_context(
        key: dict[str, Any] | None,
    ) -> tuple[str | None, str | None, str | None, dict[str, Any]]:
        """``(schema, table, field, primary_key)`` from an encode context ``key``.

        ``_schema``, ``_table`` and ``_field`` are popped from ``key``; the primary key keeps
        the entries whose names do not start with ``_``.
        """
        key = {} if key is None else key
        schema = key.pop("_schema", None)
        table = key.pop("_table", None)
        field = key.pop("_field", None)
        primary_key = {k: v for k, v in key.items() if not k.startswith("_")}
        return schema, table, field, primary_key

    @staticmethod
    def _get_backend(store_name: str | None = None, config: Any = None) -> StorageBackend:
        """The backend of a store (``None``/``""``: the default store) under ``config``
        (default ``dj.config``)."""
        return get_backend(store_name, config)

    @classmethod
    def _build_path(
        cls,
        schema: str,
        table: str,
        field: str,
        primary_key: dict[str, Any],
        ext: str | None = None,
        store_name: str | None = None,
        config: Any = None,
    ) -> tuple[str, str]:
        """``(path, token)`` of a new object of this row and field (spec 06 §2.2), with the
        store's ``schema_prefix``, ``partition_pattern`` and ``token_length``."""
        spec = cls._get_backend(store_name, config).spec
        return build_object_path(
            schema,
            table,
            field,
            primary_key,
            ext,
            schema_prefix=spec.get("schema_prefix", "_schema"),
            partition_pattern=spec.get("partition_pattern"),
            token_length=spec.get("token_length", 8),
        )


class UnregisteredCodec(Codec, register=False):
    """Stands in for a codec named by a stored type marker but not registered (spec 02 §5.3).

    The table loads, lists, describes and restricts by its other attributes; encoding or
    decoding this attribute raises ``Codec <name> is not registered``.
    """

    def __init__(self, name: str) -> None:
        vars(self)["name"] = name  # this instance's name (``name`` is a class attribute)
        self._name = name

    def _missing(self) -> DataJointError:
        return not_registered(self._name)

    def get_dtype(self, is_store: bool) -> str:
        raise self._missing()

    def validate(self, value: Any) -> None:
        raise self._missing()

    def encode(self, value: Any, *, key: dict[str, Any] | None = None) -> Any:
        raise self._missing()

    def decode(self, stored: Any, *, key: dict[str, Any] | None = None) -> Any:
        raise self._missing()


class LegacyStorageCodec(UnregisteredCodec, register=False):
    """Stands in for a column of pre-2.0 external storage (an ``:external…:`` marker, spec 02
    §11): the table loads and works without it; using its values raises an error that says
    what the column is and where to turn (``dj.migrate``)."""

    def __init__(self, marker: str, table: str, column: str) -> None:
        super().__init__(marker)
        self._where = (table, column)

    def _missing(self) -> DataJointError:
        table, column = self._where
        return DataJointError(
            f"Column `{column}` of {table} holds pre-2.0 external storage (marker "
            f"`:{self._name}:`), which DataJoint 2.0 does not read. See dj.migrate: "
            "analyze_columns lists such columns, and migrate_external converts the "
            "blob@store/attach@store layout of DataJoint 0.12-0.14 (convert older layouts "
            "with DataJoint 0.14 first)."
        )


def not_registered(name: str) -> DataJointError:
    return DataJointError(
        f"Codec <{name}> is not registered: define a dj.Codec subclass with name = "
        f"{name!r} (or install the package providing it) before using it."
    )


_accepts_cache: dict[type, bool] = {}


def _accepts_store_name(cls: type) -> bool:
    """Whether ``cls.encode`` takes ``store_name`` (inspected once per class)."""
    found = _accepts_cache.get(cls)
    if found is None:
        try:
            parameters = inspect.signature(cls.encode).parameters  # type: ignore[attr-defined]
        except (TypeError, ValueError):
            parameters = {}  # type: ignore[assignment]
        found = "store_name" in parameters or any(
            p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
        )
        _accepts_cache[cls] = found
    return found


def _register_class(cls: type[Codec]) -> None:
    name = cls.name
    if not isinstance(name, str) or not _NAME.match(name):
        raise DataJointError(
            f"Codec class {cls.__qualname__} has an invalid name {name!r}: use a non-empty "
            "string without spaces, ':', '@', '<' or '>'."
        )
    existing = _registry.get(name)
    if existing is not None:
        old = type(existing)
        if old is cls:
            return
        same_place = (old.__module__, old.__qualname__) == (cls.__module__, cls.__qualname__)
        if not same_place:  # a re-run notebook cell replaces its own registration
            raise DataJointError(
                f"Codec <{name}> is already registered by {old.__module__}.{old.__qualname__}; "
                f"{cls.__module__}.{cls.__qualname__} must use another name."
            )
    # runs inside class creation, before ABCMeta records the abstract methods: check here
    missing = [m for m in ("get_dtype", "encode", "decode") if _is_abstract(getattr(cls, m))]
    if missing:
        raise DataJointError(
            f"Codec class {cls.__qualname__} cannot be registered: it does not define "
            f"{', '.join(missing)}."
        )
    try:
        instance = cls()
    except TypeError as exc:
        raise DataJointError(
            f"Codec class {cls.__qualname__} cannot be registered: {exc}"
        ) from None
    register_instance(name, instance)


def _is_abstract(method: Any) -> bool:
    return bool(getattr(method, "__isabstractmethod__", False))


def register_instance(name: str, codec: Codec) -> None:
    """Store ``codec`` under ``name`` (used for classes and for entry points)."""
    _registry[name] = codec
    _version[0] += 1
    _accepts_cache.pop(type(codec), None)
    logger.debug("registered codec <%s>: %s", name, type(codec).__qualname__)
