"""Store settings: resolving and validating one store of ``dj.config.stores`` (spec 06 §1.2,
§1.3) and the plugin protocols of third-party packages (spec 06 §1.8).

Pure functions over the ``stores`` dict; no filesystem is touched here (``storage/`` turns a
resolved spec into a filesystem).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from typing import Any, ClassVar

from .errors import DataJointError

logger = logging.getLogger("datajoint")

BUILTIN_PROTOCOLS = ("file", "s3", "gcs", "azure")

#: keys every store may have, with the defaults applied when a store is resolved
COMMON_DEFAULTS: dict[str, Any] = {
    "subfolding": None,
    "partition_pattern": None,
    "token_length": 8,
    "hash_prefix": "_hash",
    "schema_prefix": "_schema",
    "filepath_prefix": None,
}
COMMON_KEYS = frozenset({"protocol", "location", "stage", *COMMON_DEFAULTS})

REQUIRED_KEYS: dict[str, tuple[str, ...]] = {
    "file": ("protocol", "location"),
    "s3": ("protocol", "endpoint", "bucket", "location"),
    "gcs": ("protocol", "bucket", "location"),
    "azure": ("protocol", "container", "location"),
}
OPTIONAL_KEYS: dict[str, tuple[str, ...]] = {
    "file": (),
    "s3": ("access_key", "secret_key", "secure", "proxy_server"),
    "gcs": ("token", "project"),
    "azure": ("account_name", "account_key", "connection_string"),
}
SECTION_KEYS = ("hash_prefix", "schema_prefix", "filepath_prefix")
RESERVED_NAMES = ("default", "filepath_default")


def resolve_store_spec(
    stores: Mapping[str, Any], store: str | None = None, *, use_filepath_default: bool = False
) -> dict[str, Any]:
    """A validated copy of the spec of ``store`` with the defaults filled in (spec 06 §1.3).

    Parameters
    ----------
    stores : the ``dj.config.stores`` dict (not modified)
    store : a store name; ``None`` or ``""`` means ``stores.default`` (``stores.filepath_default``
        with ``use_filepath_default``)

    Raises
    ------
    DataJointError
        The default store is not set, the store is not configured, its protocol is unknown, a
        required key is missing, a key is not allowed, or its section prefixes overlap.
    """
    name = store_name(stores, store, use_filepath_default=use_filepath_default)
    spec = stores.get(name)
    if name in RESERVED_NAMES or not isinstance(spec, Mapping):
        raise DataJointError(
            f"Storage '{name}' is requested but not configured in stores: set "
            f"dj.config.stores[{name!r}] = {{'protocol': ..., 'location': ...}} (or the "
            f'"stores" block of datajoint.json).'
        )
    spec = copy.deepcopy(dict(spec))
    for key, value in COMMON_DEFAULTS.items():
        spec.setdefault(key, value)
    where = f'config.stores["{name}"]'
    protocol = spec.get("protocol")
    if not isinstance(protocol, str) or not protocol:
        raise DataJointError(f"{where} is missing: protocol")
    protocol = spec["protocol"] = protocol.lower()
    if protocol not in BUILTIN_PROTOCOLS:
        adapter = get_storage_adapter(protocol)
        if adapter is None:
            raise DataJointError(
                f'Unknown protocol "{protocol}" in {where}. Built-in: file, s3, gcs, azure. '
                "Install a plugin package for additional protocols."
            )
        adapter.validate_spec(spec)
    else:
        if protocol == "s3":
            spec.setdefault("secure", True)
        missing = [k for k in REQUIRED_KEYS[protocol] if k not in spec]
        if missing:
            raise DataJointError(f"{where} is missing: {', '.join(missing)}")
        allowed = COMMON_KEYS | set(REQUIRED_KEYS[protocol]) | set(OPTIONAL_KEYS[protocol])
        invalid = sorted(k for k in spec if k not in allowed)
        if invalid:
            raise DataJointError(f"Invalid key(s) in {where}: {', '.join(invalid)}")
    _check_sections(spec, where)
    return spec


def store_name(
    stores: Mapping[str, Any], store: str | None, *, use_filepath_default: bool = False
) -> str:
    """The name of ``store``, following ``stores.default`` (or ``stores.filepath_default``) for
    ``None`` and ``""``.

    Raises
    ------
    DataJointError
        The default is not configured or is not a string.
    """
    if store:
        return store
    key = "filepath_default" if use_filepath_default else "default"
    if key not in stores:
        message = f"stores.{key} is not configured"
        if use_filepath_default:
            message += (
                ". Set stores.filepath_default or specify store explicitly with <filepath@store>"
            )
        else:
            message += ": set dj.config.stores['default'] to the name of a configured store"
        raise DataJointError(message)
    name = stores[key]
    if not isinstance(name, str):
        raise DataJointError(f"stores.{key} must be a string")
    return name


def _check_sections(spec: dict[str, Any], where: str) -> None:
    """Section prefixes must not contain one another (compared per path segment)."""
    sections = [
        (key, str(spec[key]), str(spec[key]).strip("/") + "/") for key in SECTION_KEYS if spec[key]
    ]
    for i, (key_a, raw_a, norm_a) in enumerate(sections):
        for key_b, raw_b, norm_b in sections[i + 1 :]:
            if norm_a.startswith(norm_b) or norm_b.startswith(norm_a):
                raise DataJointError(
                    f'{where}: {key_a}="{raw_a}" and {key_b}="{raw_b}" overlap. Storage section '
                    "prefixes must be mutually exclusive."
                )


# ---------------------------------------------------------------- plugin protocols

ENTRY_POINT_GROUP = "datajoint.storage"
_adapters: dict[str, StorageAdapter] = {}
_entry_points_loaded = [False]


class StorageAdapter:
    """Base class of plugin storage protocols (spec 06 §1.8).

    A subclass with a ``protocol`` registers itself (as do classes advertised under the entry
    point group ``datajoint.storage``); stores whose ``protocol`` is that name then use it.

    Attributes
    ----------
    protocol : the protocol name used in store specs
    required_keys : keys a store of this protocol must have (besides ``protocol``)
    allowed_keys : further keys it may have (the common keys are always allowed)
    """

    protocol: ClassVar[str | None] = None
    required_keys: ClassVar[tuple[str, ...]] = ()
    allowed_keys: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.protocol:
            register_storage_adapter(cls())

    def create_filesystem(self, spec: dict[str, Any]) -> Any:
        """The ``fsspec.AbstractFileSystem`` of a resolved store spec."""
        raise NotImplementedError(f"{type(self).__name__} must implement create_filesystem")

    def validate_spec(self, spec: dict[str, Any]) -> None:
        """Check the keys of a store spec of this protocol.

        Raises
        ------
        DataJointError
            A required key is missing or a key is not allowed.
        """
        missing = [k for k in self.required_keys if k not in spec]
        if missing:
            raise DataJointError(f"{self.protocol} store is missing: {', '.join(missing)}")
        allowed = COMMON_KEYS | set(self.required_keys) | set(self.allowed_keys)
        invalid = sorted(k for k in spec if k not in allowed)
        if invalid:
            raise DataJointError(f"Invalid key(s) for {self.protocol}: {', '.join(invalid)}")

    def full_path(self, spec: dict[str, Any], rel: str) -> str:
        """The filesystem path of store-relative ``rel``."""
        location = str(spec.get("location", "")).rstrip("/")
        return f"{location}/{rel}" if location else rel

    def get_url(self, spec: dict[str, Any], path: str) -> str:
        """The URL of a full path."""
        return f"{self.protocol}://{path}"


def register_storage_adapter(adapter: StorageAdapter) -> None:
    """Make ``adapter`` the handler of its protocol."""
    if not adapter.protocol:
        raise DataJointError(f"{type(adapter).__name__} has no protocol name")
    _adapters[adapter.protocol.lower()] = adapter


def get_storage_adapter(protocol: str) -> StorageAdapter | None:
    """The registered adapter of ``protocol`` (entry points loaded once), or ``None``."""
    protocol = protocol.lower()
    if protocol not in _adapters and not _entry_points_loaded[0]:
        _load_entry_points()
    return _adapters.get(protocol)


def _load_entry_points() -> None:
    _entry_points_loaded[0] = True
    from importlib.metadata import entry_points  # stdlib; only when a plugin is looked up

    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = entry.load()
            if isinstance(obj, type) and issubclass(obj, StorageAdapter):
                if (obj.protocol or "").lower() not in _adapters:
                    register_storage_adapter(obj())
            elif isinstance(obj, StorageAdapter):
                register_storage_adapter(obj)
        except Exception as exc:  # a broken plugin must not break every store
            logger.warning("Could not load storage adapter %r: %s", entry.name, exc)


__all__ = [
    "BUILTIN_PROTOCOLS",
    "COMMON_DEFAULTS",
    "StorageAdapter",
    "get_storage_adapter",
    "register_storage_adapter",
    "resolve_store_spec",
    "store_name",
]
