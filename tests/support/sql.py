"""Helpers for asserting on the SQL a connection sends."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest


class QueryCounter:
    """Counts statements sent through a Connection."""

    def __init__(self, connection) -> None:
        self.connection = connection
        self.start = connection.statement_count

    @property
    def count(self) -> int:
        return self.connection.statement_count - self.start


@pytest.fixture
def count_queries():
    """``with count_queries(conn) as counter: ...; counter.count``."""

    @contextlib.contextmanager
    def counting(connection) -> Iterator[QueryCounter]:
        yield QueryCounter(connection)

    return counting
