"""The connection's query cache on every backend (spec 04 §1.13, spec 08 §2.6)."""

from __future__ import annotations

import numpy as np
import pytest

import datajoint as dj
from support.blobcheck import assert_same


@pytest.fixture
def cached(schema, tmp_path):
    @schema
    class Trace(dj.Manual):
        definition = """
        trace_id : int32
        ---
        label : varchar(20)
        samples = null : <blob>
        recorded = null : datetime
        """

    Trace.insert(
        [
            {"trace_id": 1, "label": "a", "samples": np.arange(5.0), "recorded": "2024-01-02"},
            {"trace_id": 2, "label": "b", "samples": {"nested": [1, "x"]}, "recorded": None},
        ]
    )
    connection = schema.connection
    with dj.config.override(query_cache=str(tmp_path / "cache")):
        yield Trace, tmp_path / "cache"
        connection.set_query_cache()
        connection.purge_query_cache()


def test_cached_results_equal_uncached_ones(cached):
    table, folder = cached
    connection = table.connection
    expected = table.to_dicts()
    connection.set_query_cache("run1")
    first = table.to_dicts()  # a miss: stored
    stored = sorted(folder.iterdir())
    again = table.to_dicts()  # a hit: read from the files
    assert sorted(folder.iterdir()) == stored and stored
    for rows in (first, again):
        assert len(rows) == len(expected)
        for row, want in zip(rows, expected, strict=True):
            assert_same(row, want)
    assert (table & {"trace_id": 1}).fetch1("samples").tolist() == [0, 1, 2, 3, 4]


def test_cached_results_outlive_changes_until_purged(cached):
    table, _ = cached
    connection = table.connection
    connection.set_query_cache("run2")
    assert len(table.to_dicts()) == 2
    connection.set_query_cache()  # off: writes are allowed again
    table.insert1({"trace_id": 3, "label": "c"})
    connection.set_query_cache("run2")
    assert len(table.to_dicts()) == 2  # served from the cache, as intended
    connection.set_query_cache("another name")
    assert len(table.to_dicts()) == 3  # a different cache name is a different key
    connection.purge_query_cache()
    connection.set_query_cache("run2")
    assert len(table.to_dicts()) == 3


def test_writes_are_refused_while_caching(cached):
    table, _ = cached
    connection = table.connection
    connection.set_query_cache("run3")
    with pytest.raises(dj.DataJointError, match="Only SELECT queries are allowed"):
        table.insert1({"trace_id": 4, "label": "d"})
    with pytest.raises(dj.DataJointError, match="Only SELECT queries are allowed"):
        (table & {"trace_id": 1}).delete(prompt=False)
    connection.set_query_cache(None)
    assert len(table()) == 2


def test_the_cache_folder_must_be_configured(schema):
    connection = schema.connection
    with dj.config.override(query_cache=None):
        connection.set_query_cache("nowhere")
        try:
            with pytest.raises(dj.DataJointError, match="Provide filepath"):
                connection.query("SELECT 1")
        finally:
            connection.set_query_cache()
    assert connection.query("SELECT 1").fetchone()[0] == 1
