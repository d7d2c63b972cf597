"""``staged_insert1``: write a large object in place in its store, then insert the row
(spec 06 §7).

::

    with Recording.staged_insert1 as staged:
        staged.rec["recording_id"] = 1
        z = zarr.open(staged.store("frames", ".zarr"), mode="w", shape=(100, 512, 512))
        ...

Objects are written directly at their final (schema-addressed) paths. The row is inserted when
the block ends without an exception; otherwise, or when that insert fails, what was staged is
removed and the exception propagates.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Literal

from ..errors import DataJointError
from .paths import build_object_path, normalize_ext
from .refs import object_metadata
from .stores import StorageBackend, get_backend, remove_quietly


class StagedInsert:
    """The object a ``with table.staged_insert1 as staged:`` block works with.

    Attributes
    ----------
    rec : dict
        The row being built; set its primary key before calling :meth:`store` or :meth:`open`.
    """

    def __init__(self, table: Any) -> None:
        self._table = table
        self.rec: dict[str, Any] = {}
        self._staged: dict[str, tuple[StorageBackend, str, str]] = {}

    @property
    def _config(self) -> Any:
        return self._table.connection._config

    @property
    def fs(self) -> Any:
        """The filesystem of the default store (prefer :meth:`store` and :meth:`open`)."""
        return get_backend(None, self._config).fs

    def store(self, field: str, ext: str = "") -> Any:
        """A mapping (``fsspec.FSMap``) at the field's final path, e.g. for ``zarr.open``."""
        backend, path, _ = self._place(field, ext)
        return backend.get_fsmap(path)

    def open(self, field: str, ext: str = "", mode: str = "wb") -> Any:
        """A file object at the field's final path (single-file objects)."""
        backend, path, _ = self._place(field, ext)
        return backend.open(path, mode)

    def _place(self, field: str, ext: str) -> tuple[StorageBackend, str, str]:
        """The backend and path of ``field`` (computed once; the first ``ext`` wins)."""
        staged = self._staged.get(field)
        if staged is not None:
            return staged
        heading = self._table.heading
        if field not in heading.attributes:
            raise DataJointError(f"Attribute '{field}' not found in table heading")
        attr = heading[field]
        if attr.codec is None or attr.codec.name != "object":
            raise DataJointError(f"Attribute '{field}' is not an <object> type")
        missing = {k for k in heading.primary_key if k not in self.rec}
        if missing:
            raise DataJointError(
                "Primary key values must be set in staged.rec before calling store() or "
                f"open(). Missing: {missing}"
            )
        try:
            backend = get_backend(attr.store, self._config)
        except DataJointError as exc:
            raise DataJointError(
                "Storage is not configured. Set stores.default and stores.<name> settings in "
                f"datajoint.json. ({exc})"
            ) from None
        spec = backend.spec
        path, _ = build_object_path(
            self._table.database,
            self._table.table_name,
            field,
            {k: self.rec[k] for k in heading.primary_key},
            ext,
            schema_prefix=spec.get("schema_prefix", "_schema"),
            partition_pattern=spec.get("partition_pattern"),
            token_length=spec.get("token_length", 8),
        )
        staged = self._staged[field] = (backend, path, normalize_ext(ext))
        return staged

    def _metadata(self, field: str) -> dict[str, Any]:
        """The §3.2 metadata of a staged object (the shape a copy insert writes)."""
        backend, path, ext = self._staged[field]
        if backend.isdir(path):
            listing = backend.list_files(path)
            files = [{"path": p[len(path) + 1 :], "size": s} for p, (s, _) in listing.items()]
            manifest = backend.write_manifest(path, files)
            size, is_dir, item_count = manifest["total_size"], True, manifest["item_count"]
        elif backend.exists(path):
            size, is_dir, item_count = backend.size(path), False, None
        else:
            raise DataJointError(
                f"Nothing was written for staged attribute '{field}' of "
                f"`{self._table.table_name}`: write through staged.store() or staged.open()."
            )
        return object_metadata(path, backend.name, size, ext, is_dir, item_count)

    def _remove_staged(self) -> None:
        remove_quietly([(backend, path, None) for backend, path, _ in self._staged.values()])

    def __enter__(self) -> StagedInsert:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> Literal[False]:
        if exc_type is None:
            try:
                for field in self._staged:
                    self.rec[field] = self._metadata(field)
                self._table.insert1(self.rec)
            except Exception:
                self._remove_staged()
                raise
        elif issubclass(exc_type, Exception):
            self._remove_staged()
        return False


__all__ = ["StagedInsert"]
