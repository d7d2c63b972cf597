"""Garbage collection of stored objects no row references (spec 06 §9); ``dj.gc``.

::

    collector = dj.gc.GarbageCollector(schema1, schema2, store="main")
    stats = collector.collect()                               # dry run: report only
    stats = collector.collect(dry_run=False, min_age=3600)    # delete orphans older than 1 h

A collector only lists and deletes under the subtrees of its own schemas (every managed path
embeds its schema), never in user space (``<filepath@>``) or other schemas. It reclaims only
the current layout: objects written under a former ``hash_prefix``/``schema_prefix`` stay.
Rows inserted while a collection runs may lose objects it already judged orphaned: use a grace
period (``min_age``) or collect while no writers are active. Rows copied by ``INSERT … SELECT``
from another schema keep pointing at that schema's ``<blob@>``/``<attach@>``/``<hash@>``
objects: collect such schemas together. The v2.0.0 module functions
(``scan``, ``collect``, ``format_stats``, …) are a thin layer over the class.
"""

from __future__ import annotations

import json
import logging
import posixpath
import time
from collections.abc import Iterable
from typing import Any

from ..errors import DataJointError
from .paths import MANIFEST_SUFFIX, is_content_hash, join, object_schema
from .stores import StorageBackend, get_backend

logger = logging.getLogger("datajoint")


def _uses_hash_storage(attr: Any) -> bool:
    """Whether an attribute keeps hash-addressed objects: ``<hash@>``, ``<blob@>``,
    ``<attach@>``."""
    return bool(attr.is_hash_object)


def _uses_schema_storage(attr: Any) -> bool:
    """Whether an attribute keeps schema-addressed objects (any ``SchemaCodec``)."""
    return bool(attr.is_schema_object)


def _extract_refs(value: Any) -> list[tuple[str, str | None]]:
    """``[(path, store)]`` of a raw column value (a dict or its JSON text with a ``path``)."""
    if isinstance(value, bytes | bytearray | memoryview):
        value = bytes(value).decode(errors="replace")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    if isinstance(value, dict) and "path" in value:
        return [(value["path"], value.get("store"))]
    return []


_extract_hash_refs = _extract_refs
_extract_schema_refs = _extract_refs


class GarbageCollector:
    """Finds (and deletes) objects of one store that no row of the given schemas references.

    Parameters
    ----------
    *schemas : the schemas whose rows and objects are examined (at least one)
    store : the store's name (``None``: the default store); resolved now
    config : the config the store is resolved with (default: the first schema's connection's)
    """

    def __init__(self, *schemas: Any, store: str | None = None, config: Any = None) -> None:
        if not schemas:
            raise DataJointError("At least one schema must be provided")
        self.schemas = schemas
        self.config = schemas[0].connection._config if config is None else config
        self.backend: StorageBackend = get_backend(store, self.config)
        self.store = self.backend.name
        self.default_store = get_backend(None, self.config).name if self._has_default() else None
        self.hash_prefix = self.backend.hash_section
        self.schema_prefix = self.backend.schema_section
        self.scan_errors: list[str] = []

    def _has_default(self) -> bool:
        return isinstance(self.config.stores.get("default"), str)

    # ---------------------------------------------------------------- references
    def _references(self, hashed: bool, verbose: bool) -> set[str]:
        found: set[str] = set()
        classify = _uses_hash_storage if hashed else _uses_schema_storage
        for schema in self.schemas:
            for name in schema.list_tables():
                try:
                    table = schema.get_table(name)
                    attrs = [a for a in table.heading.attributes.values() if classify(a)]
                    if not attrs:
                        continue
                    cursor = table.proj(*[a.name for a in attrs]).cursor(as_dict=True)
                    for row in cursor.fetchall():
                        for attr in attrs:
                            value = row[attr.name]
                            if value is None:
                                continue
                            for path, store in attr.codec.referenced_paths(value):
                                if self._in_this_store(store):
                                    found.add(path)
                except Exception as exc:  # a table that cannot be read blocks deletion
                    message = f"{schema.database}.{name}: {exc}"
                    logger.warning("GC could not read references of %s", message)
                    self.scan_errors.append(message)
                if verbose:
                    logger.info("GC scanned %s.%s", schema.database, name)
        return found

    def _in_this_store(self, store: str | None) -> bool:
        return (store or self.default_store) == self.store

    def hash_references(self, verbose: bool = False) -> set[str]:
        """Paths referenced by the hash-addressed columns of the schemas, in this store."""
        return self._references(True, verbose)

    def schema_references(self, verbose: bool = False) -> set[str]:
        """Paths referenced by the schema-addressed columns of the schemas, in this store."""
        return self._references(False, verbose)

    # ---------------------------------------------------------------- stored objects
    def _hash_listing(self, schema_name: str) -> dict[str, tuple[int, float | None]]:
        listing = self._list(join(self.hash_prefix, schema_name))
        return {p: v for p, v in listing.items() if is_content_hash(posixpath.basename(p))}

    def _schema_listing(self, schema_name: str) -> dict[str, tuple[int, float | None]]:
        if not self.schema_prefix:  # legacy layout at the root: partitions cannot be told apart
            return self._list(schema_name)
        listing = self._list(self.schema_prefix)
        return {
            p: v for p, v in listing.items() if object_schema(p, self.schema_prefix) == schema_name
        }

    def _list(self, rel: str) -> dict[str, tuple[int, float | None]]:
        try:
            return self.backend.list_files(rel)
        except Exception as exc:
            self.scan_errors.append(f"listing {self.backend.get_url(rel)}: {exc}")
            return {}

    def list_hash_paths(self, schema_name: str) -> dict[str, int]:
        """``{path: size}`` of the hash-addressed objects of a schema."""
        return {p: size for p, (size, _) in self._hash_listing(schema_name).items()}

    def list_schema_paths(self, schema_name: str) -> dict[str, int]:
        """``{path: size}`` of the schema-addressed files of a schema (manifests included)."""
        return {p: size for p, (size, _) in self._schema_listing(schema_name).items()}

    # ---------------------------------------------------------------- deleting
    def delete_path(self, path: str) -> bool:
        """Delete one hash-addressed object; ``False`` if it was absent."""
        if not self.backend.exists(path):
            return False
        self.backend.remove(path)
        return True

    def delete_schema_path(self, path: str) -> bool:
        """Delete one file and the folders above it that became empty (never the store
        root); ``False`` if it was absent."""
        if not self.backend.exists(path):
            return False
        self.backend.remove(path)
        self.backend.prune_empty_parents(path)
        return True

    # ---------------------------------------------------------------- the pass
    def _orphans(
        self, min_age: float
    ) -> tuple[dict[str, Any], dict[str, int], dict[str, int], int]:
        hash_refs = self.hash_references()
        schema_refs = self.schema_references()
        hash_stored: dict[str, tuple[int, float | None]] = {}
        schema_stored: dict[str, tuple[int, float | None]] = {}
        for schema in self.schemas:
            hash_stored.update(self._hash_listing(schema.database))
            schema_stored.update(self._schema_listing(schema.database))
        cutoff = time.time() - min_age if min_age > 0 else None

        def recent(mtime: float | None) -> bool:
            return cutoff is not None and mtime is not None and mtime > cutoff

        skipped = 0
        hash_orphans, schema_orphans = {}, {}
        for path, (size, mtime) in hash_stored.items():
            if path not in hash_refs:
                if recent(mtime):
                    skipped += 1
                else:
                    hash_orphans[path] = size
        for path, (size, mtime) in schema_stored.items():
            if not covered(path, schema_refs):
                if recent(mtime):
                    skipped += 1
                else:
                    schema_orphans[path] = size
        counts = {
            "hash_paths_referenced": len(hash_refs),
            "hash_paths_stored": len(hash_stored),
            "schema_paths_referenced": len(schema_refs),
            "schema_paths_stored": len(schema_stored),
        }
        return counts, hash_orphans, schema_orphans, skipped

    def collect(
        self, dry_run: bool = True, verbose: bool = False, min_age: float = 0
    ) -> dict[str, Any]:
        """Find the orphaned objects and, unless ``dry_run``, delete them.

        Parameters
        ----------
        dry_run : report only (default)
        verbose : log each table scanned and each deletion
        min_age : seconds; files modified more recently are spared (counted as
            ``skipped_recent``), protecting the objects of inserts still in flight

        Raises
        ------
        DataJointError
            Deleting was asked for but a table or a listing could not be read.
        """
        self.scan_errors = []
        counts, hash_orphans, schema_orphans, skipped = self._orphans(min_age)
        stats: dict[str, Any] = {
            **counts,
            "hash_paths_orphaned": len(hash_orphans),
            "hash_paths_orphaned_bytes": sum(hash_orphans.values()),
            "orphaned_hash_paths": sorted(hash_orphans),
            "schema_paths_orphaned": len(schema_orphans),
            "schema_paths_orphaned_bytes": sum(schema_orphans.values()),
            "orphaned_schema_paths": sorted(schema_orphans),
            "hash_paths_deleted": 0,
            "schema_paths_deleted": 0,
            "deleted": 0,
            "bytes_freed": 0,
            "errors": 0,
            "scan_errors": list(self.scan_errors),
            "dry_run": dry_run,
            "skipped_recent": skipped,
        }
        if dry_run or not (hash_orphans or schema_orphans):
            if not dry_run and self.scan_errors:
                raise _refusal(self.scan_errors)
            return stats
        if self.scan_errors:
            raise _refusal(self.scan_errors)
        # rows inserted since the scan: look again right before deleting
        hash_refs, schema_refs = self.hash_references(), self.schema_references()
        if self.scan_errors:
            raise _refusal(self.scan_errors)
        for path in sorted(hash_orphans):
            if path not in hash_refs:
                self._delete(stats, "hash_paths_deleted", path, hash_orphans[path], verbose)
        for path in sorted(schema_orphans):
            if not covered(path, schema_refs):
                self._delete(stats, "schema_paths_deleted", path, schema_orphans[path], verbose)
        stats["deleted"] = stats["hash_paths_deleted"] + stats["schema_paths_deleted"]
        return stats

    def _delete(
        self, stats: dict[str, Any], counter: str, path: str, size: int, verbose: bool
    ) -> None:
        delete = self.delete_path if counter == "hash_paths_deleted" else self.delete_schema_path
        try:
            if delete(path):
                stats[counter] += 1
                stats["bytes_freed"] += size
                if verbose:
                    logger.info("GC deleted %s", self.backend.get_url(path))
        except Exception as exc:
            stats["errors"] += 1
            logger.warning("GC could not delete %s: %s", path, exc)


def covered(path: str, references: set[str]) -> bool:
    """Whether a stored file belongs to a referenced object: it is one (or its manifest), or
    lies inside a referenced folder."""
    if path.endswith(MANIFEST_SUFFIX):
        path = path[: -len(MANIFEST_SUFFIX)]
    while path:
        if path in references:
            return True
        path = posixpath.dirname(path)
    return False


def _refusal(errors: list[str]) -> DataJointError:
    return DataJointError(
        f"Refusing to delete: {len(errors)} scan error(s) — partial listing risks classifying "
        f"live files as orphaned. Errors: {errors}"
    )


# ---------------------------------------------------------------- v2.0.0 functional API


def _collector(schemas: Iterable[Any], store_name: str | None) -> GarbageCollector:
    return GarbageCollector(*schemas, store=store_name)


def scan_hash_references(
    *schemas: Any, store_name: str | None = None, verbose: bool = False
) -> set[str]:
    """Paths referenced by hash-addressed columns of ``schemas`` in the store."""
    return _collector(schemas, store_name).hash_references(verbose)


def scan_schema_references(
    *schemas: Any, store_name: str | None = None, verbose: bool = False
) -> set[str]:
    """Paths referenced by schema-addressed columns of ``schemas`` in the store."""
    return _collector(schemas, store_name).schema_references(verbose)


def list_stored_hashes(store_name: str | None = None) -> dict[str, int]:
    """``{path: size}`` of every hash-addressed object of the store."""
    backend = get_backend(store_name)
    listing = backend.list_files(backend.hash_section)
    return {p: size for p, (size, _) in listing.items() if is_content_hash(posixpath.basename(p))}


def list_schema_paths(store_name: str | None = None) -> dict[str, int]:
    """``{path: size}`` of every file in the store's schema-addressed section."""
    backend = get_backend(store_name)
    if not backend.schema_section:
        raise DataJointError(
            "list_schema_paths needs a schema_prefix: a store without one keeps schema-addressed "
            "objects at its root, among user files. Use GarbageCollector(schema).collect()."
        )
    return {p: size for p, (size, _) in backend.list_files(backend.schema_section).items()}


def delete_path(path: str, store_name: str | None = None) -> bool:
    """Delete a hash-addressed object; ``True`` if it was removed, ``False`` if absent."""
    backend = get_backend(store_name)
    if not backend.exists(path):
        return False
    backend.remove(path)
    return True


def delete_schema_path(path: str, store_name: str | None = None) -> bool:
    """Delete a schema-addressed file and its emptied parent folders."""
    backend = get_backend(store_name)
    if not backend.exists(path):
        return False
    backend.remove(path)
    backend.prune_empty_parents(path)
    return True


def _own(
    paths: dict[str, int], schemas: Iterable[Any], prefix: str, hashed: bool
) -> dict[str, int]:
    """The listed paths that belong to ``schemas`` (never another schema's objects)."""
    names = {s.database for s in schemas}
    if hashed:
        cut = len(prefix) + 1 if prefix else 0
        return {p: s for p, s in paths.items() if p[cut:].split("/", 1)[0] in names}
    return {p: s for p, s in paths.items() if object_schema(p, prefix) in names}


def scan(*schemas: Any, store_name: str | None = None, verbose: bool = False) -> dict[str, Any]:
    """References and stored objects of ``schemas`` in the store, and the orphans (v2.0.0).

    Only objects under the given schemas are listed as stored (unlike v2.0.0, which listed the
    whole store and so reported other schemas' objects as orphans).
    """
    if not schemas:
        raise DataJointError("At least one schema must be provided")
    backend = get_backend(store_name)
    hash_refs = scan_hash_references(*schemas, store_name=store_name, verbose=verbose)
    schema_refs = scan_schema_references(*schemas, store_name=store_name, verbose=verbose)
    hashes = _own(list_stored_hashes(store_name), schemas, backend.hash_section, True)
    paths = _own(list_schema_paths(store_name), schemas, backend.schema_section, False)
    orphaned_hashes = sorted(p for p in hashes if p not in hash_refs)
    orphaned_paths = sorted(p for p in paths if not covered(p, schema_refs))
    hash_bytes = sum(hashes[p] for p in orphaned_hashes)
    path_bytes = sum(paths[p] for p in orphaned_paths)
    return {
        "hash_referenced": len(hash_refs),
        "hash_stored": len(hashes),
        "hash_orphaned": len(orphaned_hashes),
        "hash_orphaned_bytes": hash_bytes,
        "orphaned_hashes": orphaned_hashes,
        "schema_paths_referenced": len(schema_refs),
        "schema_paths_stored": len(paths),
        "schema_paths_orphaned": len(orphaned_paths),
        "schema_paths_orphaned_bytes": path_bytes,
        "orphaned_paths": orphaned_paths,
        "referenced": len(hash_refs) + len(schema_refs),
        "stored": len(hashes) + len(paths),
        "orphaned": len(orphaned_hashes) + len(orphaned_paths),
        "orphaned_bytes": hash_bytes + path_bytes,
    }


def collect(
    *schemas: Any, store_name: str | None = None, dry_run: bool = True, verbose: bool = False
) -> dict[str, Any]:
    """Scan and, unless ``dry_run``, delete the orphans (v2.0.0)."""
    stats = scan(*schemas, store_name=store_name, verbose=verbose)
    hash_deleted = schema_deleted = freed = errors = 0
    if not dry_run:
        if stats["orphaned_hashes"]:
            sizes = list_stored_hashes(store_name)
            hash_deleted, freed, errors = _delete_each(
                stats["orphaned_hashes"], delete_path, sizes, store_name
            )
        if stats["orphaned_paths"]:
            sizes = list_schema_paths(store_name)
            schema_deleted, more_freed, more_errors = _delete_each(
                stats["orphaned_paths"], delete_schema_path, sizes, store_name
            )
            freed, errors = freed + more_freed, errors + more_errors
    return {
        "referenced": stats["referenced"],
        "stored": stats["stored"],
        "orphaned": stats["orphaned"],
        "hash_deleted": hash_deleted,
        "schema_paths_deleted": schema_deleted,
        "deleted": hash_deleted + schema_deleted,
        "bytes_freed": freed,
        "errors": errors,
        "dry_run": dry_run,
        "hash_orphaned": stats["hash_orphaned"],
        "schema_paths_orphaned": stats["schema_paths_orphaned"],
    }


def _delete_each(
    paths: list[str], delete: Any, sizes: dict[str, int], store_name: str | None
) -> tuple[int, int, int]:
    """``(deleted, bytes freed, errors)`` of ``delete(path, store_name)`` for each path."""
    deleted = freed = errors = 0
    for path in paths:
        try:
            if delete(path, store_name):
                deleted += 1
                freed += sizes.get(path, 0)
        except Exception as exc:
            errors += 1
            logger.warning("GC could not delete %s: %s", path, exc)
    return deleted, freed, errors


def _mb(size: int) -> str:
    return f"{size / 1024**2:.2f} MB"


def format_stats(stats: dict[str, Any]) -> str:
    """A readable report of the statistics of :func:`scan` or :func:`collect`."""
    lines = ["Object Storage Statistics:"]
    sections = (
        ("Hash-Addressed Storage (<hash@>, <blob@>, <attach@>):", "hash_referenced", "hash"),
        (
            "Schema-Addressed Storage (<object@>, <npy@>):",
            "schema_paths_referenced",
            "schema_paths",
        ),
    )
    for title, marker, prefix in sections:
        if marker not in stats:
            continue
        lines += [
            "",
            title,
            f"  Referenced: {stats[marker]}",
            f"  Stored:     {stats[prefix + '_stored']}",
            f"  Orphaned:   {stats[prefix + '_orphaned']}",
        ]
        if prefix + "_orphaned_bytes" in stats:
            lines.append(f"  Orphaned size: {_mb(stats[prefix + '_orphaned_bytes'])}")
    lines += [
        "",
        "Totals:",
        f"  Referenced in database: {stats.get('referenced', 0)}",
        f"  Stored in backend:      {stats.get('stored', 0)}",
        f"  Orphaned (unreferenced): {stats.get('orphaned', 0)}",
    ]
    if "orphaned_bytes" in stats:
        lines.append(f"  Orphaned size:          {_mb(stats['orphaned_bytes'])}")
    if "deleted" in stats:
        lines.append("")
        if stats.get("dry_run", True):
            lines.append("  [DRY RUN - no changes made]")
        else:
            lines += [
                f"  Deleted:     {stats['deleted']}",
                f"    Hash items:   {stats.get('hash_deleted', 0)}",
                f"    Schema paths: {stats.get('schema_paths_deleted', 0)}",
                f"  Bytes freed: {_mb(stats.get('bytes_freed', 0))}",
            ]
            if stats.get("errors", 0) > 0:
                lines.append(f"  Errors:      {stats['errors']}")
    return "\n".join(lines)


__all__ = [
    "GarbageCollector",
    "collect",
    "covered",
    "delete_path",
    "delete_schema_path",
    "format_stats",
    "list_schema_paths",
    "list_stored_hashes",
    "scan",
    "scan_hash_references",
    "scan_schema_references",
]
