"""Cursor wrappers handed out by :meth:`Connection.query`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any


class DictCursor:
    """Wraps a DB-API cursor so rows come back as dicts."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor
        self._names = [d[0] for d in cursor.description] if cursor.description else []

    def _row(self, row: Sequence[Any] | None) -> dict[str, Any] | None:
        return None if row is None else dict(zip(self._names, row, strict=False))

    def fetchone(self) -> dict[str, Any] | None:
        return self._row(self._cursor.fetchone())

    def fetchall(self) -> list[dict[str, Any]]:
        return [dict(zip(self._names, r, strict=False)) for r in self._cursor.fetchall()]

    def fetchmany(self, size: int = 1) -> list[dict[str, Any]]:
        return [dict(zip(self._names, r, strict=False)) for r in self._cursor.fetchmany(size)]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for row in self._cursor:
            yield dict(zip(self._names, row, strict=False))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)
