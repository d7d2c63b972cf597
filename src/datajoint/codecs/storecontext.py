"""What in-store codecs take from their key context: the config and the stores of values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..settings import config as global_config
from ..storage.stores import StorageBackend, get_backend


def config_of(key: Mapping[str, Any] | None) -> Any:
    """The config of a codec call (the connection's, else ``dj.config``)."""
    config = (key or {}).get("_config")
    return global_config if config is None else config


def backends_of(
    values: Sequence[Mapping[str, Any]],
    key: Mapping[str, Any] | None,
    *,
    use_filepath_default: bool = False,
) -> list[StorageBackend]:
    """The backend of each stored value, from its ``store`` (``null``/``""`` in rows written
    by other implementations: the codec's default store), resolved once per store."""
    config = config_of(key)
    found: dict[str, StorageBackend] = {}
    backends = []
    for value in values:
        name = value.get("store") or ""
        backend = found.get(name)
        if backend is None:
            backend = found[name] = get_backend(
                name, config, use_filepath_default=use_filepath_default
            )
        backends.append(backend)
    return backends


__all__ = ["backends_of", "config_of"]
