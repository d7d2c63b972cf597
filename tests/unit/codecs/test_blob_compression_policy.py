"""``pack(compress="auto")``, what the ``<blob>`` codec stores: spec 07 bytes, except that large
noise-like payloads stay uncompressed."""

from __future__ import annotations

import numpy as np
import pytest

from datajoint.blob import pack as public_pack
from datajoint.blob import unpack
from datajoint.codecs.blobwrite import pack, worth_compressing

RNG = np.random.default_rng(7)


@pytest.mark.parametrize(
    "value",
    [
        np.zeros(1_000_000),  # large, compressible
        (np.sin(np.arange(300_000) / 40) * 900).astype(np.int16),  # a smooth trace
        RNG.standard_normal(1000),  # small noise: always compressed as the spec says
        np.arange(100),  # under 1000 bytes: never compressed
        {"a": np.zeros(20_000), "b": "text"},
    ],
    ids=["zeros", "trace", "small-noise", "tiny", "dict"],
)
def test_auto_gives_the_spec_bytes_where_compression_pays(value):
    assert pack(value, compress="auto") == public_pack(value)


def test_auto_leaves_large_noise_uncompressed():
    noise = RNG.standard_normal(500_000)
    stored = pack(noise, compress="auto")
    assert stored == pack(noise, compress=False)
    assert stored.startswith(b"mYm\0")
    assert len(public_pack(noise)) < len(stored)  # zlib would have saved a few percent only
    np.testing.assert_array_equal(unpack(stored), noise)


def test_the_probe_looks_at_the_start_middle_and_end():
    noise = RNG.integers(0, 256, 1 << 20, dtype=np.uint8).tobytes()
    zeros = bytes(1 << 20)
    assert not worth_compressing(noise)
    assert worth_compressing(zeros)
    assert worth_compressing(zeros[: len(zeros) // 2] + noise[: len(noise) // 2])  # start, middle
    assert worth_compressing(noise[:1000])  # small payloads are always tried
