"""``<attach>``: a file stored with its name; fetch writes it into the download path
(spec 02 §7.3, spec 06 §4.3).

The stored bytes are ``name.encode() + b"\\0" + contents``. In-store ``<attach@>`` hands the
same bytes to ``<hash>``.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Sequence
from typing import Any

from ..errors import DataJointError
from ..settings import config as global_config
from .base import Codec, KeyContexts


class AttachCodec(Codec):
    """File attachments: insert a path, fetch a local path (``str``)."""

    name = "attach"

    def get_dtype(self, is_store: bool) -> str:
        return "<hash>" if is_store else "bytes"

    def validate(self, value: Any) -> None:
        if not isinstance(value, str | os.PathLike):
            raise TypeError(f"<attach> expects a file path, got {type(value).__name__}")

    def encode(self, value: Any, *, key: dict[str, Any] | None = None) -> bytes:
        path = pathlib.Path(value)
        if path.is_dir():
            raise IsADirectoryError(f"<attach> does not support directories: {path}")
        if not path.is_file():
            raise FileNotFoundError(f"Attachment file not found: {path}")
        return path.name.encode("utf-8") + b"\0" + path.read_bytes()

    def decode(self, stored: Any, *, key: dict[str, Any] | None = None) -> str:
        config = (key or {}).get("_config") or global_config
        return save_attachment(bytes(stored), pathlib.Path(config["download_path"]))

    def decode_column(self, values: Sequence[Any], contexts: KeyContexts) -> list[Any]:
        folder = pathlib.Path((contexts.base.get("_config") or global_config)["download_path"])
        return [save_attachment(bytes(v), folder) for v in values]


def save_attachment(stored: bytes, folder: pathlib.Path) -> str:
    """Write an attachment into ``folder`` and return its path.

    A different file of the same name is never overwritten: the first of ``name``,
    ``stem_1.ext``, ``stem_2.ext``, … that is absent or already holds these contents is used.
    """
    raw_name, sep, contents = stored.partition(b"\0")
    if not sep:
        raise DataJointError("Invalid <attach> value: the file name is not NUL-terminated.")
    name = _safe_name(raw_name.decode("utf-8", errors="replace"))
    folder.mkdir(parents=True, exist_ok=True)
    stem, suffix = os.path.splitext(name)
    candidate = folder / name
    n = 0
    while candidate.exists():
        if candidate.is_file() and _same_contents(candidate, contents):
            return str(candidate)
        n += 1
        candidate = folder / f"{stem}_{n}{suffix}"
    candidate.write_bytes(contents)
    return str(candidate)


def _safe_name(name: str) -> str:
    """The base name of a stored attachment name (names from the database are untrusted)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    if base in ("", ".", ".."):
        raise DataJointError(f"Invalid <attach> file name {name!r}.")
    return base


def _same_contents(path: pathlib.Path, contents: bytes) -> bool:
    return path.stat().st_size == len(contents) and path.read_bytes() == contents
