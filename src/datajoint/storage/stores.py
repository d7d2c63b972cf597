"""Stores through fsspec (spec 06 §1.5, §1.6): one :class:`StorageBackend` per resolved store.

Every protocol goes through an fsspec filesystem (``file``; ``s3`` through s3fs, ``gcs``
through gcsfs, ``azure`` through adlfs, each an optional extra; plugin protocols through their
:class:`~datajoint.store_config.StorageAdapter`). Backends are cached per resolved spec, so the
filesystem client is made once.

Objects written at schema-addressed paths inside :func:`removing_on_failure` are removed again
when the block fails (spec 06 §8): an insert wraps its encoding and its INSERT in it.
"""

from __future__ import annotations

import contextvars
import datetime
import json
import os
import pathlib
import posixpath
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .._optional import lazy_module, require
from ..errors import DataJointError, MissingExternalFile, MissingSourceFile
from ..settings import config as global_config
from ..store_config import get_storage_adapter, store_name
from .paths import MANIFEST_SUFFIX, join, section

if TYPE_CHECKING:
    import fsspec
else:
    fsspec = lazy_module("fsspec")

_EXTRAS = {"s3": ("s3fs", "s3"), "gcs": ("gcsfs", "gcs"), "azure": ("adlfs", "azure")}
_URL_PROTOCOLS = {
    "file": "file",
    "s3": "s3",
    "gs": "gcs",
    "gcs": "gcs",
    "az": "abfs",
    "abfs": "abfs",
    "http": "http",
    "https": "https",
}
_URL_SCHEMES = {"file": "file", "s3": "s3", "gcs": "gs", "azure": "az"}
_CONTAINER_KEY = {"s3": "bucket", "gcs": "bucket", "azure": "container"}


class StorageBackend:
    """The operations DataJoint needs on one store, on store-relative POSIX paths.

    Parameters
    ----------
    spec : a resolved store spec (:meth:`dj.config.get_store_spec`)
    name : the store's name (for messages)

    Raises
    ------
    MissingSourceFile
        A ``file`` store whose location is not an existing folder.
    DataJointError
        An ``s3`` store without endpoint or bucket, or with only one of its two credentials.
    """

    def __init__(self, spec: Mapping[str, Any], name: str | None = None) -> None:
        self.spec = dict(spec)
        self.name = name
        self.protocol = str(self.spec["protocol"]).lower()
        self.hash_section = section(self.spec.get("hash_prefix"))
        self.schema_section = section(self.spec.get("schema_prefix"))
        self._fs: Any = None
        self._adapter = (
            None if self.protocol in _URL_SCHEMES else get_storage_adapter(self.protocol)
        )
        if self.protocol == "file":
            location = str(self.spec["location"])
            if not os.path.isdir(location):
                raise MissingSourceFile(
                    f"Inaccessible local directory {location} (store '{name}'): create it or "
                    "change the store's location."
                )
            self._root = pathlib.Path(os.path.abspath(location)).as_posix()
        elif self.protocol in _CONTAINER_KEY:
            container = str(self.spec.get(_CONTAINER_KEY[self.protocol]) or "")
            self._root = join(container.strip("/"), str(self.spec.get("location") or "").strip("/"))
        else:
            self._root = ""
        if self.protocol == "s3":
            missing = [k for k in ("endpoint", "bucket") if not self.spec.get(k)]
            if missing:
                raise DataJointError(f"Missing S3 configuration: {', '.join(missing)}")
            if bool(self.spec.get("access_key")) != bool(self.spec.get("secret_key")):
                raise DataJointError(
                    "Incomplete S3 credentials: set both access_key and secret_key, or neither "
                    "to use ambient AWS credentials."
                )

    def __repr__(self) -> str:
        return f"StorageBackend({self.name!r}, {self.get_url('')!r})"

    # ---------------------------------------------------------------- filesystem and paths
    @property
    def fs(self) -> Any:
        """The store's fsspec filesystem (made on first use)."""
        if self._fs is None:
            self._fs = self._make_filesystem()
        return self._fs

    def _make_filesystem(self) -> Any:
        spec, protocol = self.spec, self.protocol
        if protocol == "file":
            return fsspec.filesystem("file", auto_mkdir=True)
        if self._adapter is not None:
            return self._adapter.create_filesystem(spec)
        module, extra = _EXTRAS[protocol]
        try:
            require(module, extra)
        except ImportError:
            raise DataJointError(
                f"Store '{self.name}' uses the {protocol} protocol, which needs the {module} "
                f"package: pip install 'datajoint[{extra}]'"
            ) from None
        if protocol == "s3":
            endpoint = str(spec["endpoint"])
            if not endpoint.startswith(("http://", "https://")):
                endpoint = ("https://" if spec.get("secure", True) else "http://") + endpoint
            options: dict[str, Any] = {}
            if spec.get("proxy_server"):
                proxy = spec["proxy_server"]
                options["config_kwargs"] = {"proxies": {"http": proxy, "https": proxy}}
            return fsspec.filesystem(
                "s3",
                key=spec.get("access_key") or None,
                secret=spec.get("secret_key") or None,
                client_kwargs={"endpoint_url": endpoint},
                use_listings_cache=False,
                skip_instance_cache=True,
                **options,
            )
        if protocol == "gcs":
            return fsspec.filesystem(
                "gcs", token=spec.get("token") or None, project=spec.get("project") or None
            )
        return fsspec.filesystem(
            "abfs",
            account_name=spec.get("account_name") or None,
            account_key=spec.get("account_key") or None,
            connection_string=spec.get("connection_string") or None,
        )

    def _full_path(self, rel: str) -> str:
        """The filesystem path of store-relative ``rel`` (the only place ``location`` and the
        bucket are applied)."""
        rel = rel.strip("/")
        if self._adapter is not None:
            return self._adapter.full_path(self.spec, rel)
        return join(self._root, rel) if self.protocol != "file" else f"{self._root}/{rel}"

    full_path = _full_path

    def get_url(self, rel: str) -> str:
        """The URL of ``rel``: ``file:///…``, ``s3://bucket/location/rel``, ``gs://…``,
        ``az://…``, or ``<protocol>://…`` for plugins."""
        path = self._full_path(rel).rstrip("/")
        if self._adapter is not None:
            return self._adapter.get_url(self.spec, path)
        if self.protocol == "file":
            return "file://" + (path if path.startswith("/") else "/" + path)
        return f"{_URL_SCHEMES[self.protocol]}://{path}"

    def relative(self, full: str) -> str:
        """The store-relative path of a full path returned by the filesystem."""
        root = self._full_path("").rstrip("/")
        full = full.rstrip("/")
        if root and full.startswith(root + "/"):
            return full[len(root) + 1 :]
        return full.lstrip("/") if not root else full

    def local_path(self, rel: str) -> str | None:
        """The local file path of ``rel`` for ``file`` stores, else ``None``."""
        return self._full_path(rel) if self.protocol == "file" else None

    def is_schema_path(self, rel: str) -> bool:
        """Whether ``rel`` lies in the schema-addressed section (fresh, unshared paths)."""
        if self.schema_section:
            return rel.startswith(self.schema_section + "/")
        if self.hash_section:
            return not rel.startswith(self.hash_section + "/")
        return False

    # ---------------------------------------------------------------- reading and writing
    def put_buffer(self, data: bytes | bytearray | memoryview, rel: str) -> None:
        """Write bytes at ``rel``. ``file``: through ``<target>.saving`` and a rename, and not at
        all when the target exists (objects are immutable)."""
        self.put_chunks((data,), rel)

    def put_chunks(self, chunks: Sequence[bytes | bytearray | memoryview], rel: str) -> None:
        """Write the concatenation of ``chunks`` at ``rel`` without joining them in memory
        (as :meth:`put_buffer`)."""
        full = self._full_path(rel)
        with self._errors("write", rel):
            if self.protocol == "file":
                if self.fs.exists(full):
                    return
                temporary = full + ".saving"
                self._write_chunks(temporary, chunks)
                self.fs.mv(temporary, full)
            elif len(chunks) == 1:
                self.fs.pipe_file(full, bytes(chunks[0]))
            else:
                self._write_chunks(full, chunks)
        self._note_written(rel, False)

    def _write_chunks(self, full: str, chunks: Sequence[bytes | bytearray | memoryview]) -> None:
        if len(chunks) == 1:
            self.fs.pipe_file(full, chunks[0])
            return
        with self.fs.open(full, "wb") as writer:
            for chunk in chunks:
                writer.write(chunk)

    def get_buffer(self, rel: str) -> bytes:
        """All bytes at ``rel``.

        Raises
        ------
        MissingExternalFile
            Nothing is stored at ``rel``.
        """
        with self._errors("read", rel):
            data: bytes = self.fs.cat_file(self._full_path(rel))
        return data

    def put_file(self, local: str | os.PathLike[str], rel: str) -> None:
        """Upload a local file to ``rel`` (``file``: through ``<target>.copying``)."""
        full = self._full_path(rel)
        with self._errors("write", rel):
            if self.protocol == "file":
                temporary = full + ".copying"
                self.fs.put_file(os.fspath(local), temporary)
                self.fs.mv(temporary, full)
            else:
                self.fs.put_file(os.fspath(local), full)
        self._note_written(rel, False)

    def put_stream(self, reader: Any, rel: str) -> int:
        """Write what a readable file object yields to ``rel``; return the byte count."""
        count = 0
        with self._errors("write", rel), self.open(rel, "wb") as writer:
            while block := reader.read(1 << 22):
                writer.write(block)
                count += len(block)
        self._note_written(rel, False)
        return count

    def get_file(self, rel: str, local: str | os.PathLike[str]) -> None:
        """Download ``rel`` to a local path (parent folders created)."""
        target = pathlib.Path(local)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = str(target) + ".downloading"
        with self._errors("read", rel):
            self.fs.get_file(self._full_path(rel), temporary)
        os.replace(temporary, target)

    def exists(self, rel: str) -> bool:
        """Whether a file or folder is at ``rel``."""
        with self._errors("check", rel):
            return bool(self.fs.exists(self._full_path(rel)))

    def isdir(self, rel: str) -> bool:
        """Whether ``rel`` is a folder (a key prefix in object stores)."""
        with self._errors("check", rel):
            return bool(self.fs.isdir(self._full_path(rel)))

    def size(self, rel: str) -> int:
        """Bytes of the file at ``rel``."""
        with self._errors("read", rel):
            return int(self.fs.size(self._full_path(rel)))

    def remove(self, rel: str) -> None:
        """Delete the file at ``rel``; a missing file is not an error."""
        try:
            self.fs.rm_file(self._full_path(rel))
        except FileNotFoundError:
            pass

    def open(self, rel: str, mode: str = "rb") -> Any:
        """An fsspec file object at ``rel`` (parent folders created for writing)."""
        full = self._full_path(rel)
        if self.protocol == "file" and any(c in mode for c in "wax"):
            self.fs.makedirs(posixpath.dirname(full), exist_ok=True)
        with self._errors("open", rel):
            return self.fs.open(full, mode)

    def put_folder(self, local_dir: str | os.PathLike[str], rel: str) -> dict[str, Any]:
        """Upload a local folder's files to ``rel/`` and write the manifest ``rel.manifest.json``
        beside it (spec 06 §2.3); return the manifest."""
        root = pathlib.Path(local_dir)
        files = []
        for folder, _, names in os.walk(root):
            for file_name in sorted(names):
                path = pathlib.Path(folder) / file_name
                relative = path.relative_to(root).as_posix()
                with self._errors("write", rel):
                    self.fs.put_file(str(path), self._full_path(f"{rel}/{relative}"))
                files.append({"path": relative, "size": path.stat().st_size})
        self._note_written(rel, True)
        return self.write_manifest(rel, files)

    def write_manifest(self, rel: str, files: list[dict[str, Any]]) -> dict[str, Any]:
        """Write the manifest of the folder ``rel`` (its ``files``: ``{"path", "size"}``)."""
        files.sort(key=lambda f: f["path"])
        manifest = {
            "files": files,
            "total_size": sum(f["size"] for f in files),
            "item_count": len(files),
            "created": utc_now(),
        }
        self.put_buffer(json.dumps(manifest, indent=2).encode(), rel + MANIFEST_SUFFIX)
        return manifest

    def remove_folder(self, rel: str) -> None:
        """Delete the folder ``rel/`` and its manifest; missing is not an error."""
        full = self._full_path(rel)
        try:
            if self.fs.exists(full):
                self.fs.rm(full, recursive=True)
        except FileNotFoundError:
            pass
        self.remove(rel + MANIFEST_SUFFIX)

    def get_fsmap(self, rel: str) -> Any:
        """An ``fsspec.FSMap`` rooted at ``rel`` (for Zarr)."""
        return fsspec.FSMap(self._full_path(rel), self.fs)

    def copy_from_url(self, url: str, rel: str) -> dict[str, Any]:
        """Copy a file or (recursively) a folder from a URL into the store at ``rel``.

        Returns ``{"size", "is_dir", "item_count"}``; folders also get a manifest.
        """
        protocol, path = parse_url(url)
        source = fsspec.filesystem(protocol)
        if not source.exists(path):
            raise MissingSourceFile(f"Source path not found: {url}")
        if not source.isdir(path):
            with source.open(path, "rb") as reader:
                size = self.put_stream(reader, rel)
            return {"size": size, "is_dir": False, "item_count": None}
        files = []
        base = path.rstrip("/")
        for found in sorted(source.find(base)):
            relative = found[len(base) :].lstrip("/")
            with source.open(found, "rb") as reader:
                size = self.put_stream(reader, f"{rel}/{relative}")
            files.append({"path": relative, "size": size})
        self._note_written(rel, True)
        manifest = self.write_manifest(rel, files)
        return {"size": manifest["total_size"], "is_dir": True, "item_count": len(files)}

    # ---------------------------------------------------------------- listing (GC)
    def list_files(self, rel: str) -> dict[str, tuple[int, float | None]]:
        """``{path: (size, modification time or None)}`` of every file under ``rel/``
        (recursively); a missing folder lists as empty."""
        full = self._full_path(rel)
        try:
            self.fs.invalidate_cache()
            found = self.fs.find(full, detail=True)
        except FileNotFoundError:
            return {}
        listing = {}
        for name, info in found.items():
            if info.get("type") == "directory":
                continue
            listing[self.relative(name)] = (int(info.get("size") or 0), _mtime(info))
        return listing

    def prune_empty_parents(self, rel: str) -> None:
        """Remove the folders above ``rel`` that became empty, up to (not including) the store
        root (``file`` stores; object stores have no folders of their own)."""
        if self.protocol != "file":
            return
        parent = posixpath.dirname(rel.strip("/"))
        while parent:
            full = self._full_path(parent)
            try:
                if self.fs.ls(full, detail=False):
                    return
                self.fs.rmdir(full)
            except OSError:
                return
            parent = posixpath.dirname(parent)

    def touch(self, rel: str) -> None:
        """Refresh the modification time of an existing object (``file`` stores only)."""
        if self.protocol == "file":
            self.fs.touch(self._full_path(rel), truncate=False)

    # ---------------------------------------------------------------- internals
    @contextmanager
    def _errors(self, action: str, rel: str) -> Iterator[None]:
        """Store I/O errors as DataJointErrors naming the store and the path."""
        try:
            yield
        except DataJointError:
            raise
        except FileNotFoundError:
            if action == "read":
                raise MissingExternalFile(f"Missing external file {self.get_url(rel)}") from None
            raise MissingSourceFile(f"Not found in store '{self.name}': {rel}") from None
        except (OSError, ValueError) as exc:
            raise DataJointError(
                f"Store '{self.name}' could not {action} {self.get_url(rel)}: {exc}"
            ) from exc

    def _note_written(self, rel: str, is_dir: bool) -> None:
        log = _written.get()
        if log is not None and self.is_schema_path(rel):
            log.append((self, rel, is_dir))


def _mtime(info: Mapping[str, Any]) -> float | None:
    for key in ("mtime", "LastModified", "last_modified", "updated"):
        value = info.get(key)
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, datetime.datetime):
            return value.timestamp()
        if isinstance(value, str):
            try:
                return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            except ValueError:
                continue
    return None


def utc_now() -> str:
    """The current time, ISO-8601 UTC with offset."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


# ---------------------------------------------------------------- backends from config

_backends: dict[tuple[str, str], StorageBackend] = {}


def get_backend(
    store: str | None = None, config: Any = None, *, use_filepath_default: bool = False
) -> StorageBackend:
    """The backend of ``store`` (``None``/``""``: the default store) under ``config`` (default:
    ``dj.config``), cached per resolved spec.

    Raises
    ------
    DataJointError
        The store is not configured or its spec is invalid (see ``get_store_spec``).
    """
    config = global_config if config is None else config
    spec = config.get_store_spec(store, use_filepath_default=use_filepath_default)
    name = store_name(config.stores, store, use_filepath_default=use_filepath_default)
    key = (name, json.dumps(spec, sort_keys=True, default=str))
    backend = _backends.get(key)
    if backend is None:
        backend = _backends[key] = StorageBackend(spec, name)
    return backend


def resolved_store_name(
    store: str | None, config: Any = None, *, use_filepath_default: bool = False
) -> str:
    """The name ``store`` stands for (``""``/``None``: the configured default)."""
    config = global_config if config is None else config
    return store_name(config.stores, store, use_filepath_default=use_filepath_default)


# ---------------------------------------------------------------- cleanup of failed writes

_written: contextvars.ContextVar[list[tuple[StorageBackend, str, bool]] | None] = (
    contextvars.ContextVar("datajoint_written_objects", default=None)
)


@contextmanager
def removing_on_failure() -> Iterator[list[tuple[StorageBackend, str, bool]]]:
    """Remove, when the block raises, the schema-addressed objects written inside it.

    Their token paths are new, so no other row can reference them. Hash-addressed objects are
    never removed (another row may share them); they are left for garbage collection. On
    success the objects are handed to an enclosing block, if any.
    """
    outer = _written.get()
    log: list[tuple[StorageBackend, str, bool]] = []
    token = _written.set(log)
    try:
        yield log
    except Exception:
        remove_quietly(log)
        raise
    finally:
        _written.reset(token)
    if outer is not None:
        outer.extend(log)


def remove_quietly(objects: Sequence[tuple[StorageBackend, str, bool | None]]) -> None:
    """Remove objects (folders when ``is_dir``; ``None``: ask the store) best-effort: errors
    are ignored, garbage collection reclaims what remains."""
    for backend, rel, is_dir in reversed(objects):
        try:
            if is_dir is None:
                is_dir = backend.isdir(rel)
            if is_dir:
                backend.remove_folder(rel)
            else:
                backend.remove(rel)
        except Exception:
            pass


# ---------------------------------------------------------------- URLs of source locations


def is_url(text: Any) -> bool:
    """Whether ``text`` is a URL DataJoint can copy from (``s3://``, ``file://``, ...)."""
    if not isinstance(text, str):
        return False
    lowered = text.lower()
    return any(lowered.startswith(p + "://") for p in _URL_PROTOCOLS)


def parse_url(url: str) -> tuple[str, str]:
    """``(fsspec protocol, path)`` of a URL.

    Raises
    ------
    DataJointError
        The URL's protocol is not supported.
    """
    scheme, sep, rest = url.partition("://")
    protocol = _URL_PROTOCOLS.get(scheme.lower()) if sep else None
    if protocol is None:
        raise DataJointError(f"Unsupported URL protocol: {url}")
    if protocol in ("http", "https"):
        return protocol, url
    return protocol, rest


def normalize_to_url(path: str | os.PathLike[str]) -> str:
    """URLs unchanged; local paths as ``file:///…`` URLs."""
    if is_url(path):
        return str(path)
    return pathlib.Path(os.path.abspath(path)).as_uri()


__all__ = [
    "StorageBackend",
    "get_backend",
    "is_url",
    "normalize_to_url",
    "parse_url",
    "remove_quietly",
    "removing_on_failure",
    "resolved_store_name",
    "utc_now",
]
