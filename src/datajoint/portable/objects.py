"""In-store objects of exported rows: copied from the source's stores into the target's, with
their records (path, store) rewritten for the target.

A store record names its store and its path. The target record names the store the target's
attribute declares (in the target's configuration); hash-addressed objects take the target
store's layout for their schema, schema-addressed objects move under the target schema, files
of ``<filepath@>`` keep their path. Objects are immutable, so an object already present in the
target (the same store, or an earlier export) is not copied again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..heading import Attribute
from ..storage.paths import MANIFEST_SUFFIX, build_hash_path, join, section
from ..storage.stores import StorageBackend, get_backend, resolved_store_name


class ObjectCopier:
    """Copies the objects of one in-store attribute from a source to a target table.

    Parameters
    ----------
    attr : the attribute (in the source heading)
    source_config, target_config : the configurations of the two connections (their stores)
    source_schema, target_schema : schema names in the source and in the target
    """

    def __init__(
        self,
        attr: Attribute,
        source_config: Any,
        target_config: Any,
        source_schema: str,
        target_schema: str,
    ) -> None:
        self.attr = attr
        self.filepath = attr.codec is not None and attr.codec.name == "filepath"
        self.source_config, self.target_config = source_config, target_config
        self.source_schema, self.target_schema = source_schema, target_schema
        self.target_store = resolved_store_name(
            attr.store or "", target_config, use_filepath_default=self.filepath
        )
        self.target = get_backend(
            self.target_store, target_config, use_filepath_default=self.filepath
        )
        self.copied = 0

    def _source(self, store: str | None) -> StorageBackend:
        return get_backend(
            store or self.attr.store or "",
            self.source_config,
            use_filepath_default=self.filepath,
        )

    def _target_path(self, record: dict[str, Any], source: StorageBackend) -> str:
        path = str(record["path"])
        if self.attr.is_hash_object and record.get("hash"):
            return build_hash_path(
                str(record["hash"]),
                self.target_schema,
                self.target.spec.get("subfolding"),
                hash_prefix=self.target.spec.get("hash_prefix", "_hash"),
            )
        if self.attr.is_schema_object:
            old = join(section(source.spec.get("schema_prefix")), self.source_schema) + "/"
            new = join(section(self.target.spec.get("schema_prefix")), self.target_schema) + "/"
            if path.startswith(old):
                return new + path[len(old) :]
        return path

    def record(self, record: Any) -> Any:
        """The target's record of one stored value (``None`` stays ``None``), after copying
        its object."""
        if not isinstance(record, dict) or "path" not in record:
            return record
        source = self._source(record.get("store"))
        path = self._target_path(record, source)
        self._copy(source, str(record["path"]), path, record.get("size"))
        out = {**record, "path": path, "store": self.target_store}
        if "schema" in record and self.attr.is_hash_object:
            out["schema"] = self.target_schema
        return out

    def _copy(self, source: StorageBackend, src: str, dst: str, size: Any) -> None:
        target = self.target
        if source.isdir(src):
            if target.exists(dst + MANIFEST_SUFFIX) or (
                not source.exists(src + MANIFEST_SUFFIX) and target.exists(dst)
            ):
                return  # a folder is complete once its manifest is written
            for path in _files(source, src):
                with source.open(f"{src}/{path}") as reader:
                    target.put_stream(reader, f"{dst}/{path}")
            if source.exists(src + MANIFEST_SUFFIX):
                target.put_buffer(source.get_buffer(src + MANIFEST_SUFFIX), dst + MANIFEST_SUFFIX)
        else:
            if target.exists(dst) and (size is None or target.size(dst) == int(size)):
                return
            with source.open(src) as reader:
                target.put_stream(reader, dst)
        self.copied += 1


def _files(backend: StorageBackend, folder: str) -> Iterator[str]:
    """The paths of the files inside ``folder``, relative to it."""
    prefix = folder.rstrip("/") + "/"
    for path in sorted(backend.list_files(folder)):
        if path.startswith(prefix):
            yield path[len(prefix) :]


__all__ = ["ObjectCopier"]
