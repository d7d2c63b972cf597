"""Where objects live inside a store (spec 06 §2): hash-addressed and schema-addressed paths.

Pure functions: nothing here touches a store. Readers never re-derive a path; they use the
``path`` stored in the row's metadata.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import re
import secrets
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import DataJointError

_HASH = re.compile(r"^[a-z2-7]{26}$")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_UNSAFE = set('/\\:*?"<>|')
TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
MANIFEST_SUFFIX = ".manifest.json"


def compute_hash(data: bytes | bytearray | memoryview) -> str:
    """The content hash: MD5, Base32, lower case, no padding (26 characters of ``[a-z2-7]``)."""
    return base64.b32encode(hashlib.md5(data).digest()).decode().rstrip("=").lower()


def is_content_hash(text: str) -> bool:
    """Whether ``text`` has the form of a content hash."""
    return bool(_HASH.match(text))


def section(prefix: str | None) -> str:
    """A section prefix without leading/trailing ``/`` (``""`` is the store root)."""
    return (prefix or "").strip("/")


def join(*parts: str) -> str:
    """``/``-joined non-empty parts."""
    return "/".join(p for p in parts if p)


def build_hash_path(
    content_hash: str,
    schema: str,
    subfolding: Sequence[int] | None = None,
    *,
    hash_prefix: str = "_hash",
) -> str:
    """``{hash_prefix}/{schema}/[{fold}/…]{hash}`` (spec 06 §2.1).

    Raises
    ------
    DataJointError
        ``content_hash`` is not 26 lower-case Base32 characters.
    """
    if not isinstance(content_hash, str) or not is_content_hash(content_hash):
        raise DataJointError(
            f"Invalid content hash (expected 26-char lowercase base32): {content_hash!r}"
        )
    folds = []
    start = 0
    for width in subfolding or ():
        folds.append(content_hash[start : start + int(width)])
        start += int(width)
    return join(section(hash_prefix), schema, *folds, content_hash)


def generate_token(length: int = 8) -> str:
    """A random token of ``length`` characters (clamped to 4…16) from ``A-Z a-z 0-9 - _``."""
    length = max(4, min(16, int(length)))
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(length))


def encode_pk_value(value: Any) -> str:
    """A primary-key value as one path segment (spec 06 §2.2).

    Numbers as ``str``; datetimes as ``YYYY-mm-ddTHH-MM-SS``; dates as ISO; other values as
    text, percent-encoded when they hold a character unsafe in paths (or are longer than 100
    characters, which are first shortened with an MD5 suffix).
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%dT%H-%M-%S")
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    if len(text) > 100:
        text = text[:50] + "_" + hashlib.md5(text.encode()).hexdigest()[:8]
        return urllib.parse.quote(text, safe="")
    if any(c in _UNSAFE for c in text):
        return urllib.parse.quote(text, safe="")
    return text


def partition_attributes(pattern: str | None) -> list[str]:
    """The attribute names of a ``partition_pattern``: its ``{name}`` placeholders, or the
    ``/``-separated names of a pattern without braces."""
    if not pattern:
        return []
    if "{" not in pattern:
        return [part.strip() for part in pattern.split("/") if part.strip()]
    return _PLACEHOLDER.findall(pattern)


def normalize_ext(ext: str | None) -> str:
    """An extension with its leading dot (``""`` for none)."""
    if not ext:
        return ""
    return ext if ext.startswith(".") else "." + ext


def build_object_path(
    schema: str,
    table: str,
    field: str,
    primary_key: Mapping[str, Any],
    ext: str | None = None,
    *,
    schema_prefix: str = "_schema",
    partition_pattern: str | None = None,
    token_length: int = 8,
) -> tuple[str, str]:
    """``({schema_prefix}/{partition}/{schema}/{table}/{key}/{field}_{token}{ext}, token)``.

    ``primary_key`` holds the row's primary-key values in key order; attributes named in the
    partition pattern come first (in pattern order), the others after the table name.
    """
    promoted = [name for name in partition_attributes(partition_pattern) if name in primary_key]
    partition = [f"{name}={encode_pk_value(primary_key[name])}" for name in promoted]
    key = [
        f"{name}={encode_pk_value(value)}"
        for name, value in primary_key.items()
        if name not in promoted
    ]
    token = generate_token(token_length)
    name = f"{field}_{token}{normalize_ext(ext)}"
    return join(section(schema_prefix), *partition, schema, table, *key, name), token


def object_schema(path: str, schema_prefix: str | None) -> str | None:
    """The schema a schema-addressed path belongs to: the first segment after the section
    prefix that is not a ``key=value`` partition segment."""
    prefix = section(schema_prefix)
    if prefix:
        if not path.startswith(prefix + "/"):
            return None
        path = path[len(prefix) + 1 :]
    for part in path.split("/"):
        if "=" not in part:
            return part
    return None


__all__ = [
    "MANIFEST_SUFFIX",
    "TOKEN_ALPHABET",
    "build_hash_path",
    "build_object_path",
    "compute_hash",
    "encode_pk_value",
    "generate_token",
    "is_content_hash",
    "join",
    "normalize_ext",
    "object_schema",
    "partition_attributes",
    "section",
]
