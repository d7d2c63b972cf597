"""``<filepath@>``: references to files already in a store (spec 02 §7.6, spec 06 §4.6).

Nothing is copied or ever deleted; the row records the store-relative path. Paths inside the
store's managed sections (``_hash``, ``_schema``) are refused.
"""

from __future__ import annotations

import os
import pathlib
import re
from collections.abc import Sequence
from typing import Any

from ..errors import CodecTypeError, DataJointError, MissingSourceFile, StorePathError
from ..storage.paths import section
from ..storage.refs import ObjectRef
from ..storage.stores import get_backend, utc_now
from .base import Codec, KeyContexts
from .storecontext import backends_of, config_of

_WINDOWS_ABSOLUTE = re.compile(r"^[A-Za-z]:[\\/]")


class FilepathCodec(Codec):
    """A file or folder that lives in a store and is managed by the user."""

    name = "filepath"

    def get_dtype(self, is_store: bool) -> str:
        if not is_store:
            raise DataJointError(
                "<filepath> requires @ symbol. Use <filepath@> for default store or "
                "<filepath@store> to specify store."
            )
        return "json"

    def validate(self, value: Any) -> None:
        if not isinstance(value, str | os.PathLike):
            raise CodecTypeError(
                f"<filepath> expects a path string or Path, got {type(value).__name__}"
            )

    def encode(
        self, value: Any, *, key: dict[str, Any] | None = None, store_name: str | None = None
    ) -> dict[str, Any]:
        backend = get_backend(store_name, config_of(key), use_filepath_default=True)
        original = os.fspath(value)
        path = checked_path(original, backend.spec)
        if not backend.exists(path):
            raise MissingSourceFile(f"File not found in store '{backend.name}': {original}")
        is_dir = backend.isdir(path)
        return {
            "path": path,
            "store": backend.name,
            "size": None if is_dir else backend.size(path),
            "is_dir": is_dir,
            "timestamp": utc_now(),
        }

    def decode(self, stored: Any, *, key: dict[str, Any] | None = None) -> ObjectRef:
        backend = backends_of([stored], key, use_filepath_default=True)[0]
        return ObjectRef.from_json(stored, backend)

    def decode_column(self, values: Sequence[Any], contexts: KeyContexts) -> list[Any]:
        backends = backends_of(values, contexts.base, use_filepath_default=True)
        return [ObjectRef.from_json(v, b) for v, b in zip(values, backends, strict=True)]


def checked_path(original: str, spec: dict[str, Any]) -> str:
    """The store-relative form of a user path, refused inside a managed section, outside the
    store's ``filepath_prefix``, or leaving the store.

    Raises
    ------
    StorePathError
        (a ``ValueError``) with ``cannot use reserved section`` or ``must use prefix``.
    """
    if _WINDOWS_ABSOLUTE.match(original):
        raise StorePathError(f"<filepath@> paths are relative to the store: {original}")
    path = original.replace("\\", "/").lstrip("/")
    while path.startswith("./"):
        path = path[2:]
    parts = pathlib.PurePosixPath(path).parts
    if not parts or ".." in parts:
        raise StorePathError(f"<filepath@> path must name a file inside the store: {original}")
    path = "/".join(parts)
    for which in ("hash_prefix", "schema_prefix"):
        prefix = section(spec.get(which))
        if prefix and (path + "/").startswith(prefix + "/"):
            raise StorePathError(
                f"<filepath@> cannot use reserved section '{spec.get(which)}' ({which}). This "
                f"section is managed by DataJoint. Got path: {original}"
            )
    prefix = section(spec.get("filepath_prefix"))
    if prefix and not path.startswith(prefix + "/"):
        raise StorePathError(
            f"<filepath@> must use prefix '{spec.get('filepath_prefix')}' (filepath_prefix). "
            f"Got path: {original}"
        )
    return path


__all__ = ["FilepathCodec", "checked_path"]
