"""Codecs: how attribute values are encoded for storage and decoded on fetch (spec 02 §5-§7).

``base`` holds the Codec API and registry, ``registry`` the look-ups (entry points, chains),
``columns`` the column-wise calls made by insert and fetch; ``blob`` and ``attach`` are the
built-in in-table codecs; ``hash``, ``object``, ``npy`` and ``filepath`` the in-store codecs
(``<blob@>`` and ``<attach@>`` store their bytes through ``<hash@>``). ``blobformat`` is the
byte-compatible ``<blob>`` serializer (pure: no database, no I/O).
"""

from .attach import AttachCodec
from .base import Codec, SchemaCodec
from .blob import BlobCodec
from .filepath import FilepathCodec
from .hash import HashCodec
from .npy import NpyCodec, NpyRef
from .object import ObjectCodec
from .registry import (
    get_codec,
    is_codec_registered,
    list_codecs,
    lookup_codec,
    parse_type_spec,
    resolve_dtype,
    unregister_codec,
)

__all__ = [
    "AttachCodec",
    "BlobCodec",
    "Codec",
    "FilepathCodec",
    "HashCodec",
    "NpyCodec",
    "NpyRef",
    "ObjectCodec",
    "SchemaCodec",
    "get_codec",
    "is_codec_registered",
    "list_codecs",
    "lookup_codec",
    "parse_type_spec",
    "resolve_dtype",
    "unregister_codec",
]
