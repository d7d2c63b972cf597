"""``datajoint.objectref``: the v2.0 import path of :class:`ObjectRef` and of the error
``IntegrityError`` raised by :meth:`ObjectRef.verify` (an alias of
:class:`~datajoint.errors.ObjectIntegrityError`, distinct from the foreign-key
``dj.errors.IntegrityError``)."""

from .errors import ObjectIntegrityError
from .errors import ObjectIntegrityError as IntegrityError
from .storage.refs import NpyRef, ObjectRef

__all__ = ["IntegrityError", "NpyRef", "ObjectIntegrityError", "ObjectRef"]
