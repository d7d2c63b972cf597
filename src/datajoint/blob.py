"""Public interface of the ``<blob>`` serializer: ``pack``, ``unpack``, ``MatCell``, ``MatStruct``.

The implementation is :mod:`datajoint.codecs.blobformat`. The reader flag ``use_32bit_dims``
is that module's flag: setting ``datajoint.blob.use_32bit_dims = True`` switches every reader,
including the ``<blob>`` codec used by fetch, to 32-bit dimensions (spec 07 §7)::

    import datajoint as dj

    dj.blob.use_32bit_dims = True
    try:
        value = dj.blob.unpack(old_matlab_bytes)
    finally:
        dj.blob.use_32bit_dims = False
"""

from __future__ import annotations

import sys
import types

from .codecs import blobformat
from .codecs.blobformat import MatCell, MatStruct, pack, unpack

# ``use_32bit_dims`` is a property of this module (below), not a global, so it is not in __all__
__all__ = ["MatCell", "MatStruct", "pack", "unpack"]


class _BlobModule(types.ModuleType):
    """This module's class: ``use_32bit_dims`` reads and writes the flag of ``blobformat``."""

    @property
    def use_32bit_dims(self) -> bool:
        return blobformat.use_32bit_dims

    @use_32bit_dims.setter
    def use_32bit_dims(self, value: bool) -> None:
        blobformat.use_32bit_dims = bool(value)


sys.modules[__name__].__class__ = _BlobModule
