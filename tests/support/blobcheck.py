"""Helpers for the ``<blob>`` tests: the spec's vectors and strict / loose value comparison."""

from __future__ import annotations

import importlib.util
import pathlib
import struct
from decimal import Decimal
from typing import Any

import numpy as np


def _load_vectors() -> Any:
    path = pathlib.Path(__file__).parents[1] / "data" / "blob_vectors.py"
    spec = importlib.util.spec_from_file_location("blob_vectors", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


vectors = _load_vectors()
ROUND_TRIP = vectors.ROUND_TRIP
MATLAB: dict[str, bytes] = {k: bytes.fromhex(v) for k, v in vectors.MATLAB.items()}
COMPRESSED: dict[str, bytes] = {k: bytes.fromhex(v) for k, v in vectors.COMPRESSED.items()}
cell = vectors.cell
struct_1x1 = vectors.struct_1x1


def assert_same(actual: Any, expected: Any, path: str = "value") -> None:
    """Strict equality: same types, dtypes, shapes and bit patterns, recursively."""
    assert type(actual) is type(expected), f"{path}: {type(actual)} != {type(expected)}"
    if isinstance(expected, np.ndarray):
        assert actual.dtype == expected.dtype, f"{path}: {actual.dtype} != {expected.dtype}"
        assert actual.shape == expected.shape, f"{path}: {actual.shape} != {expected.shape}"
        if expected.dtype.names is not None:
            for name in expected.dtype.names:
                assert_same(np.asarray(actual[name]), np.asarray(expected[name]), f"{path}.{name}")
        elif expected.dtype.kind == "O":
            pairs = zip(actual.ravel(order="F"), expected.ravel(order="F"), strict=True)
            for i, (a, e) in enumerate(pairs):
                assert_same(a, e, f"{path}[{i}]")
        else:
            a, e = np.ascontiguousarray(actual), np.ascontiguousarray(expected)
            assert a.tobytes() == e.tobytes(), f"{path}: {actual!r} != {expected!r}"
    elif isinstance(expected, np.generic):
        assert np.asarray(actual).tobytes() == np.asarray(expected).tobytes(), path
    elif isinstance(expected, float):
        assert struct.pack("<d", actual) == struct.pack("<d", expected), path
    elif isinstance(expected, complex):
        assert struct.pack("<dd", actual.real, actual.imag) == struct.pack(
            "<dd", expected.real, expected.imag
        ), path
    elif isinstance(expected, Decimal):
        assert str(actual) == str(expected), path
    elif isinstance(expected, dict):
        assert list(actual) == list(expected), f"{path}: keys differ"
        for key in expected:
            assert_same(actual[key], expected[key], f"{path}[{key!r}]")
    elif isinstance(expected, list | tuple):
        assert len(actual) == len(expected), f"{path}: lengths differ"
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_same(a, e, f"{path}[{i}]")
    else:
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"


def assert_equivalent(actual: Any, expected: Any, path: str = "value") -> None:
    """Loose equality: arrays compare by shape and element values (``<U`` equals ``object``)."""
    if isinstance(expected, np.ndarray) and expected.dtype.names is not None:
        assert isinstance(actual, np.ndarray), path
        assert actual.shape == expected.shape, f"{path}: {actual.shape} != {expected.shape}"
        assert actual.dtype.names == expected.dtype.names, path
        for name in expected.dtype.names:
            assert_equivalent(np.asarray(actual[name]), np.asarray(expected[name]), path)
    elif isinstance(expected, np.ndarray) and expected.dtype.kind in "OU":
        assert isinstance(actual, np.ndarray), path
        assert actual.shape == expected.shape, f"{path}: {actual.shape} != {expected.shape}"
        for i, (a, e) in enumerate(
            zip(actual.ravel(order="F"), expected.ravel(order="F"), strict=True)
        ):
            assert_equivalent(a, e, f"{path}[{i}]")
    elif isinstance(expected, np.ndarray):
        assert isinstance(actual, np.ndarray), path
        assert actual.shape == expected.shape, f"{path}: {actual.shape} != {expected.shape}"
        assert np.array_equal(actual, expected, equal_nan=expected.dtype.kind in "fc"), path
    else:
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"
