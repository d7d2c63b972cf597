"""A value larger than the server accepts in one statement: a clear error naming the server
setting, nothing written, the connection and any transaction in a known state."""

from __future__ import annotations

import numpy as np
import pytest

import datajoint as dj


@pytest.fixture
def Trace(schema):
    @schema
    class Trace(dj.Manual):
        definition = """
        trace_id : int32
        ---
        samples : <blob>
        """

    return Trace


NOISE = np.random.default_rng(3).standard_normal(1_200_000)  # 9.6 MB, stored uncompressed


def test_a_value_over_the_packet_limit(backend_name, Trace, connection):
    """MariaDB's default max_allowed_packet is 16 MB and blobs travel hex-encoded; SQLite and
    PostgreSQL take the value."""
    if backend_name != "mysql":
        Trace.insert1({"trace_id": 1, "samples": NOISE})
        np.testing.assert_array_equal((Trace & {"trace_id": 1}).fetch1("samples"), NOISE)
        return
    with pytest.raises(dj.errors.ValueConversionError, match="max_allowed_packet"):
        Trace.insert1({"trace_id": 1, "samples": NOISE})
    assert len(Trace()) == 0
    refused = pytest.raises(dj.errors.ValueConversionError, match="max_allowed_packet")
    with refused, connection.transaction:
        Trace.insert1({"trace_id": 2, "samples": NOISE[:10]})
        Trace.insert1({"trace_id": 3, "samples": NOISE})
    assert not connection.in_transaction
    assert len(Trace()) == 0  # refused before sending, and the transaction rolled back
    Trace.insert1({"trace_id": 4, "samples": NOISE[:10]})
    assert Trace.keys() == [{"trace_id": 4}]
