"""``pack(compress="auto")``, what the ``<blob>`` codec stores: spec 07 bytes, except that
noise-like payloads of 4 KB or more stay uncompressed."""

from __future__ import annotations

import zlib

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
        RNG.standard_normal(400),  # noise under 4 KB: always compressed as the spec says
        np.tile(RNG.standard_normal(100), 20),  # 16 KB that repeats itself
        np.arange(100),  # under 1000 bytes: never compressed
        {"a": np.zeros(20_000), "b": "text"},
    ],
    ids=["zeros", "trace", "small-noise", "repeats", "tiny", "dict"],
)
def test_auto_gives_the_spec_bytes_where_compression_pays(value):
    assert pack(value, compress="auto") == public_pack(value)


@pytest.mark.parametrize("size", [500_000, 1250], ids=["4 MB", "10 KB"])
def test_auto_leaves_noise_uncompressed(size):
    noise = RNG.standard_normal(size)
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
    assert worth_compressing(noise[:4000])  # payloads under 4 KB are always tried
    assert not worth_compressing(noise[:10_000])  # small noise: one 1.2 KB sample
    assert worth_compressing(noise[:500] * 20)
    assert worth_compressing(noise[:4000] + bytes(4000) + noise[:4000])  # small: the middle


def _signals() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    t = np.linspace(0, 20, 1250)
    return {
        "float64 noise": rng.standard_normal(1250),
        "float32 noise": rng.standard_normal(2500).astype(np.float32),
        "smooth float64": np.sin(t),
        "random walk": np.cumsum(rng.standard_normal(1250)),
        "wide int16 noise": (rng.standard_normal(5000) * 3000).astype(np.int16),
        "uint8 noise": rng.integers(0, 256, 10_000, dtype=np.uint8),
        "narrow int16 noise": (rng.standard_normal(5000) * 300).astype(np.int16),
        "quantized float64": np.round(rng.standard_normal(1250) * 100) * 0.195,
        "64 distinct float64 values": rng.choice(rng.standard_normal(64), 1250),
        "256 distinct float64 values": rng.choice(rng.standard_normal(256), 1250),
        "float64 rounded to 3 decimals": np.round(rng.standard_normal(1250), 3),
        "small int64": rng.integers(0, 1000, 1250),
        "gradient image": (np.add.outer(np.arange(100), np.arange(100)) % 256).astype(np.uint8),
    }


@pytest.mark.parametrize("name", list(_signals()))
def test_the_estimate_agrees_with_zlib_on_common_signals(name):
    """The probe (no zlib call) compresses what zlib shrinks by a fifth or more, repeats of
    noise-like values included, and leaves alone what zlib shrinks by under a tenth."""
    raw = pack(_signals()[name], compress=False)
    saving = 1 - len(zlib.compress(raw)) / len(raw)
    assert saving >= 0.2 or saving < 0.1  # the cases are clear-cut
    assert worth_compressing(raw) == (saving >= 0.2)
