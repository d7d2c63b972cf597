"""``<npy@>`` writes exactly the bytes of ``numpy.save`` (header and data as two chunks)."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest

from datajoint.codecs.npy import npy_chunks


@pytest.mark.parametrize(
    "array",
    [
        np.arange(12, dtype="i4").reshape(3, 4),
        np.asfortranarray(np.arange(12.0).reshape(3, 4)),
        np.arange(20)[::2],
        np.array(3.5),
        np.array(["ab", "c"]),
        np.zeros((2, 0, 3), "u2"),
        np.array([(1, 2.0)], dtype=[("a", "i4"), ("b", "f8")]),
        np.zeros(3, dtype=[("x", "f4", (2,)), ("y", [("z", "i2")])]),
        np.arange(6, dtype=">i8").reshape(2, 3),
        np.zeros(2, dtype=[(f"field_{i:04d}_" * 3, "f8") for i in range(2000)]),  # NPY 2.0
    ],
    ids=[
        "c-order",
        "fortran",
        "strided",
        "0-d",
        "unicode",
        "empty",
        "record",
        "nested",
        "big-endian",
        "large-header",
    ],
)
def test_npy_chunks_equal_numpy_save(array):
    expected = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numpy notes when it needs NPY format 2.0
        np.save(expected, array, allow_pickle=False)
    assert b"".join(bytes(c) for c in npy_chunks(array)) == expected.getvalue()
