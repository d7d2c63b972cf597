"""Plugin store protocols for the tests (spec 06 §1.8), backed by real local folders:

* ``djtest-counting`` counts every read of object contents;
* ``djtest-failing`` raises on the n-th write (``fail_after``: writes that succeed first).
"""

from __future__ import annotations

import collections

from fsspec.implementations.local import LocalFileSystem

from datajoint.store_config import StorageAdapter

READS: collections.Counter = collections.Counter()


class CountingFileSystem(LocalFileSystem):
    """A local filesystem that counts reads: files opened for reading (``cat_file`` and
    ``open`` go through ``_open``) and downloads (``get_file``)."""

    def get_file(self, path1, path2, callback=None, **kwargs):
        READS["get_file"] += 1
        return super().get_file(path1, path2, callback=callback, **kwargs)

    def _open(self, path, mode="rb", **kwargs):
        if "r" in mode:
            READS["open"] += 1
        return super()._open(path, mode=mode, **kwargs)


class CountingAdapter(StorageAdapter):
    protocol = "djtest-counting"
    required_keys = ("location",)

    def create_filesystem(self, spec):
        return CountingFileSystem(auto_mkdir=True, skip_instance_cache=True)


class StoreDown(OSError):
    """The injected failure."""


class FailingFileSystem(LocalFileSystem):
    """A local filesystem whose writes (files opened for writing, uploads) fail once
    ``fail_after`` of them have succeeded."""

    def __init__(self, fail_after, **kwargs):
        super().__init__(**kwargs)
        self.remaining = fail_after

    def _write(self):
        if self.remaining <= 0:
            raise StoreDown("injected store failure")
        self.remaining -= 1

    def _open(self, path, mode="rb", **kwargs):
        if "r" not in mode:
            self._write()
        return super()._open(path, mode=mode, **kwargs)

    def put_file(self, lpath, rpath, callback=None, **kwargs):
        self._write()
        return super().put_file(lpath, rpath, callback=callback, **kwargs)


class FailingAdapter(StorageAdapter):
    protocol = "djtest-failing"
    required_keys = ("location",)
    allowed_keys = ("fail_after",)

    def create_filesystem(self, spec):
        return FailingFileSystem(
            spec.get("fail_after", 0), auto_mkdir=True, skip_instance_cache=True
        )
