"""The connection's query cache (spec 04 §1.13, spec 08 §2.6).

While a cache name is set, every statement must be a read (``SELECT``/``SHOW``); each result is
kept in ``config["query_cache"]/<key>`` in the blob format, keyed by the MD5 of the cache name,
the arguments and the SQL, and later served from the file even if the tables changed.
"""

from __future__ import annotations

import hashlib
import logging
import pathlib
import re
from collections.abc import Iterator, Sequence
from typing import Any

from .codecs.blobformat import pack, unpack
from .errors import DataJointError

logger = logging.getLogger("datajoint")

_READ = re.compile(r"^\s*(SELECT|SHOW)\b", re.IGNORECASE)
# subquery aliases the compiler numbers (`_s1`, "_s2"): not part of what a query means
_ALIAS = re.compile(r"([`\"])_s\d+\1")


class CachedCursor:
    """A DB-API-like cursor over rows held in memory."""

    def __init__(self, rows: list[tuple[Any, ...]], names: list[str]) -> None:
        self._rows = rows
        self._next = 0
        self.rowcount = len(rows)
        self.description = [(name, None, None, None, None, None, None) for name in names]

    def fetchone(self) -> tuple[Any, ...] | None:
        if self._next >= len(self._rows):
            return None
        row = self._rows[self._next]
        self._next += 1
        return row

    def fetchmany(self, size: int = 1) -> list[tuple[Any, ...]]:
        rows = self._rows[self._next : self._next + size]
        self._next += len(rows)
        return rows

    def fetchall(self) -> list[tuple[Any, ...]]:
        rows = self._rows[self._next :]
        self._next = len(self._rows)
        return rows

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        while (row := self.fetchone()) is not None:
            yield row

    def close(self) -> None:
        self._rows = []


def cache_folder(config: Any) -> pathlib.Path:
    """The folder of the query cache (``config["query_cache"]``), created if needed."""
    folder = config["query_cache"]
    if not folder:
        raise DataJointError("Provide filepath dj.config['query_cache'] when using query caching.")
    path = pathlib.Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


def cached_query(
    name: str, config: Any, sql: str, args: Sequence[Any] | None, execute: Any
) -> CachedCursor:
    """The result of ``sql`` from the cache, or from ``execute(sql, args)`` stored on a miss.

    Raises
    ------
    DataJointError
        For a statement that is not a read, or when ``config["query_cache"]`` is not set.
    """
    if not _READ.match(sql):
        raise DataJointError("Only SELECT queries are allowed when query caching is on.")
    folder = cache_folder(config)
    arguments = list(args) if args is not None else None
    key = hashlib.md5(
        name.encode() + pack(arguments) + _ALIAS.sub(r"\1_s\1", sql).encode()
    ).hexdigest()
    path = folder / key
    if path.is_file():
        stored = unpack(path.read_bytes())
        return CachedCursor([tuple(row) for row in stored["rows"]], list(stored["names"]))
    cursor = execute(sql, args)
    rows = [tuple(row) for row in cursor.fetchall()]
    names = [d[0] for d in cursor.description or ()]
    try:
        payload = pack({"rows": rows, "names": names})
    except DataJointError as exc:  # a value the blob format cannot hold (e.g. a timedelta)
        logger.debug("query result not cached: %s", exc)
    else:
        path.write_bytes(payload)
    return CachedCursor(rows, names)


def purge(config: Any) -> None:
    """Delete the cached results in ``config["query_cache"]`` (nothing if it is not set)."""
    folder = config["query_cache"]
    if not folder:
        return
    path = pathlib.Path(folder)
    if path.is_dir():
        for item in path.iterdir():
            if item.is_file():
                item.unlink()
