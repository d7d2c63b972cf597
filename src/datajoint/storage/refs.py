"""Handles to stored objects returned on fetch (spec 06 §5, §6): :class:`ObjectRef` for
``<object@>`` and ``<filepath@>``, :class:`NpyRef` for ``<npy@>``.

Making a handle does no I/O; every method goes to the store when called.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
import pathlib
import posixpath
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import DataJointError, ObjectIntegrityError
from .paths import MANIFEST_SUFFIX, compute_hash
from .stores import StorageBackend, utc_now

_NO_BACKEND = (
    "ObjectRef has no storage backend configured. Fetch it from a table (which binds the "
    "store) or pass backend= to ObjectRef.from_json."
)


def object_metadata(
    path: str,
    store: str | None,
    size: int | None,
    ext: str | None,
    is_dir: bool,
    item_count: int | None,
) -> dict[str, Any]:
    """The column metadata of an ``<object@>`` value (spec 06 §3.2), stamped now: the same
    shape for copy inserts and staged inserts."""
    return {
        "path": path,
        "store": store,
        "size": size,
        "ext": ext or None,
        "is_dir": is_dir,
        "item_count": item_count,
        "timestamp": utc_now(),
    }


@dataclass
class ObjectRef:
    """A lazy handle to a file or folder in a store.

    Attributes mirror the stored metadata (spec 06 §3.2): ``path`` (store-relative), ``size``,
    ``hash``, ``ext``, ``is_dir``, ``timestamp``, ``url``, ``store`` (the store's name),
    ``mime_type``, ``item_count``.
    """

    path: str
    size: int | None = None
    hash: str | None = None
    ext: str | None = None
    is_dir: bool = False
    timestamp: datetime.datetime | None = None
    url: str | None = None
    store: str | None = None
    mime_type: str | None = None
    item_count: int | None = None
    _backend: StorageBackend | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_json(
        cls, data: Mapping[str, Any] | str | bytes, backend: StorageBackend | None = None
    ) -> ObjectRef:
        """A handle from stored metadata (a dict or its JSON text), bound to ``backend``."""
        meta = json.loads(data) if isinstance(data, str | bytes) else dict(data)
        if "path" not in meta:
            raise DataJointError(f"Object metadata has no path: {meta!r}")
        stamp = meta.get("timestamp")
        if isinstance(stamp, str):
            stamp = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        return cls(
            path=meta["path"],
            size=meta.get("size"),
            hash=meta.get("hash"),
            ext=meta.get("ext"),
            is_dir=bool(meta.get("is_dir", False)),
            timestamp=stamp,
            url=meta.get("url"),
            store=meta.get("store"),
            mime_type=meta.get("mime_type"),
            item_count=meta.get("item_count"),
            _backend=backend,
        )

    def to_json(self) -> dict[str, Any]:
        """The metadata dict of this object."""
        data: dict[str, Any] = {
            "path": self.path,
            "size": self.size,
            "hash": self.hash,
            "ext": self.ext,
            "is_dir": self.is_dir,
            "timestamp": self.timestamp.isoformat() if self.timestamp else None,
        }
        for name in ("url", "store", "mime_type"):
            if getattr(self, name):
                data[name] = getattr(self, name)
        if self.item_count is not None:
            data["item_count"] = self.item_count
        return data

    def __str__(self) -> str:
        return self.path

    def __repr__(self) -> str:
        kind = "folder" if self.is_dir else "file"
        return f"ObjectRef({kind}: {self.path}, size={self.size})"

    # ---------------------------------------------------------------- store access
    @property
    def backend(self) -> StorageBackend:
        if self._backend is None:
            raise DataJointError(_NO_BACKEND)
        return self._backend

    @property
    def fs(self) -> Any:
        """The store's fsspec filesystem."""
        return self.backend.fs

    @property
    def fsmap(self) -> Any:
        """An ``fsspec.FSMap`` at the object (``zarr.open(ref.fsmap)``, ``xarray.open_zarr``)."""
        return self.backend.get_fsmap(self.path)

    @property
    def full_path(self) -> str:
        """The object's URL (``file:///…``, ``s3://bucket/location/…``)."""
        return self.backend.get_url(self.path)

    def _inside(self, subpath: str | None) -> str:
        if not subpath:
            return self.path
        if not self.is_dir:
            raise DataJointError("Cannot use subpath on a file object")
        parts = pathlib.PurePosixPath(subpath.strip("/")).parts
        if ".." in parts:
            raise DataJointError(f"subpath must stay inside the object: {subpath!r}")
        return posixpath.join(self.path, *parts)

    def read(self) -> bytes:
        """The whole file."""
        if self.is_dir:
            raise DataJointError("Cannot read() a directory. Use listdir() or walk() instead.")
        return self.backend.get_buffer(self.path)

    def open(self, subpath: str | None = None, mode: str = "rb") -> Any:
        """An fsspec file object for the object, or for ``subpath`` inside a folder."""
        return self.backend.open(self._inside(subpath), mode)

    def listdir(self, subpath: str = "") -> list[str]:
        """Names of the entries directly inside the folder (or its ``subpath``)."""
        if not self.is_dir:
            raise DataJointError("Cannot listdir() on a file. Use read() or open() instead.")
        full = self.backend.full_path(self._inside(subpath))
        names = self.fs.ls(full, detail=False)
        return sorted(posixpath.basename(str(n).rstrip("/")) for n in names)

    def walk(self) -> Iterator[tuple[str, list[str], list[str]]]:
        """``(dirpath, dirnames, filenames)`` like ``os.walk``, ``dirpath`` relative to the
        object (``""`` at its root)."""
        if not self.is_dir:
            raise DataJointError("Cannot walk() on a file.")
        root = self.backend.full_path(self.path).rstrip("/")
        for folder, dirs, files in self.fs.walk(root):
            relative = str(folder).rstrip("/")[len(root) :].lstrip("/")
            yield relative, sorted(dirs), sorted(files)

    def download(
        self, destination: str | os.PathLike[str], subpath: str | None = None
    ) -> pathlib.Path:
        """Copy the object to a local path and return it.

        A folder (without ``subpath``) is copied recursively into ``destination``. A file is
        written into ``destination`` if that is an existing folder (under the object's last
        path segment), else to ``destination`` itself.
        """
        target = pathlib.Path(destination)
        if self.is_dir and not subpath:
            target.mkdir(parents=True, exist_ok=True)
            for relative in self._files():
                self.backend.get_file(f"{self.path}/{relative}", target / relative)
            return target
        source = self._inside(subpath)
        if target.is_dir():
            target = target / posixpath.basename(source)
        self.backend.get_file(source, target)
        return target

    def _files(self) -> list[str]:
        """Paths of the folder's files relative to it."""
        listing = self.backend.list_files(self.path)
        return sorted(p[len(self.path) + 1 :] for p in listing)

    def exists(self, subpath: str | None = None) -> bool:
        """Whether the object (or a path inside it) is in the store."""
        return self.backend.exists(self._inside(subpath))

    def verify(self) -> bool:
        """Check the object against its metadata; ``True`` when it matches.

        Files: present, of the recorded ``size`` and ``hash`` (when recorded). Folders: every
        file of the manifest present with its size (a folder without manifest is accepted).

        Raises
        ------
        ObjectIntegrityError
            Listing every problem found.
        """
        problems = self._folder_problems() if self.is_dir else self._file_problems()
        if problems:
            raise ObjectIntegrityError(
                f"Object {self.path} failed verification: " + "; ".join(problems)
            )
        return True

    def _file_problems(self) -> list[str]:
        backend = self.backend
        if not backend.exists(self.path):
            return [f"missing: {self.path}"]
        problems = []
        size = backend.size(self.path)
        if self.size is not None and size != self.size:
            problems.append(f"size mismatch: expected {self.size}, found {size}")
        if self.hash:
            digest = self.hash.split(":", 1)[-1]
            found = compute_hash(backend.get_buffer(self.path))
            if found != digest:
                problems.append(f"hash mismatch: expected {digest}, found {found}")
        return problems

    def _folder_problems(self) -> list[str]:
        backend = self.backend
        manifest_path = self.path + MANIFEST_SUFFIX
        if not backend.exists(manifest_path):
            return [] if backend.exists(self.path) else [f"missing folder: {self.path}"]
        manifest = json.loads(backend.get_buffer(manifest_path))
        present = {p[len(self.path) + 1 :]: size for p, (size, _) in self._listing().items()}
        problems = []
        for entry in manifest.get("files", []):
            name, size = entry["path"], entry.get("size")
            if name not in present:
                problems.append(f"missing file: {name}")
            elif size is not None and present[name] != size:
                problems.append(f"size mismatch for {name}: expected {size}, found {present[name]}")
        return problems

    def _listing(self) -> dict[str, tuple[int, float | None]]:
        return self.backend.list_files(self.path)


class NpyRef(np.lib.mixins.NDArrayOperatorsMixin):
    """A lazy handle to a ``.npy`` file: shape and dtype without I/O, the array on
    :meth:`load` (spec 06 §6). Works in numpy expressions (``np.mean(ref)``, ``ref + 1``).
    """

    __slots__ = ("_array", "_backend", "_meta")

    def __init__(self, metadata: Mapping[str, Any], backend: StorageBackend | None) -> None:
        self._meta = metadata
        self._backend = backend
        self._array: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(int(n) for n in self._meta["shape"])

    @property
    def dtype(self) -> np.dtype:
        descr = self._meta.get("descr")
        spec = self._meta["dtype"] if descr is None else _descr(descr)
        dtype: np.dtype = np.dtype(spec)
        return dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    @property
    def path(self) -> str:
        return str(self._meta["path"])

    @property
    def store(self) -> str | None:
        store = self._meta.get("store")
        return None if store is None else str(store)

    @property
    def is_loaded(self) -> bool:
        """Whether :meth:`load` has read the array (memory maps are not kept)."""
        return self._array is not None

    @property
    def metadata(self) -> dict[str, Any]:
        """The stored metadata."""
        return dict(self._meta)

    def load(self, mmap_mode: str | None = None) -> np.ndarray:
        """The array (read once and kept), or a ``numpy.memmap`` with ``mmap_mode`` in
        ``'r'``, ``'r+'``, ``'c'`` (a remote file is first downloaded into the temporary
        folder; ``'r+'`` then changes only that local copy)."""
        if self._backend is None:
            raise DataJointError(_NO_BACKEND.replace("ObjectRef", "NpyRef"))
        backend = self._backend
        local = backend.local_path(self.path)
        if mmap_mode is not None:
            if mmap_mode not in ("r", "r+", "c"):
                raise DataJointError(f"mmap_mode must be 'r', 'r+' or 'c', got {mmap_mode!r}")
            if local is None:
                local = _mmap_copy(backend, self.path)
            mode: Any = mmap_mode
            array: np.ndarray = np.load(local, mmap_mode=mode, allow_pickle=False)
            return array
        if self._array is None:
            if local is not None:
                try:
                    self._array = np.load(local, allow_pickle=False)
                except FileNotFoundError:
                    backend.get_buffer(self.path)  # raises MissingExternalFile
            else:
                self._array = np.load(io.BytesIO(backend.get_buffer(self.path)), allow_pickle=False)
        assert self._array is not None
        return self._array

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        array = self.load()
        return array if dtype is None else array.astype(dtype)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        loaded = tuple(x.load() if isinstance(x, NpyRef) else x for x in inputs)
        return getattr(ufunc, method)(*loaded, **kwargs)

    def __getitem__(self, index: Any) -> Any:
        return self.load()[index]

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of 0-dimensional array")
        return self.shape[0]

    def __repr__(self) -> str:
        state = "loaded" if self.is_loaded else "not loaded"
        return f"NpyRef(shape={self.shape}, dtype={self.dtype}, {state})"

    __str__ = __repr__


def _descr(value: Any) -> Any:
    """A JSON-decoded ``dtype.descr`` back as numpy accepts it (lists → tuples)."""
    if isinstance(value, list) and value and all(isinstance(v, list) for v in value):
        return [tuple(_descr(v) if isinstance(v, list) else v for v in item) for item in value]
    return value


def _mmap_copy(backend: StorageBackend, path: str) -> str:
    """A local copy of a remote ``.npy`` for memory mapping (reused: object paths are unique
    and immutable)."""
    folder = pathlib.Path(tempfile.gettempdir()) / "datajoint_mmap"
    target = folder / (hashlib.md5(path.encode()).hexdigest()[:12] + ".npy")
    if not target.exists():
        backend.get_file(path, target)
    return str(target)


__all__ = ["NpyRef", "ObjectRef", "object_metadata"]
