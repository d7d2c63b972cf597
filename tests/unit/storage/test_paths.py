"""The layout of objects in a store (spec 06 §2): content hashes, hash- and schema-addressed
paths, primary-key encoding and tokens."""

from __future__ import annotations

import datetime
import re

import numpy as np
import pytest

import datajoint as dj
from datajoint.storage.paths import (
    TOKEN_ALPHABET,
    build_hash_path,
    build_object_path,
    compute_hash,
    encode_pk_value,
    generate_token,
    object_schema,
)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "2qoyzwmpaczaj2mabgmoz6ccpy"),
        (b"hello", "lvauakv4jmvhnolrtwiraf6fsi"),
        (b"DataJoint", "7zn3yf7gjncdv7rsvopkpnnt4q"),
    ],
)
def test_compute_hash_vectors(content, expected):
    assert compute_hash(content) == expected


HELLO = "lvauakv4jmvhnolrtwiraf6fsi"


def test_build_hash_path():
    assert build_hash_path(HELLO, "lab") == f"_hash/lab/{HELLO}"
    assert build_hash_path(HELLO, "lab", [2, 2]) == f"_hash/lab/lv/au/{HELLO}"
    assert build_hash_path(HELLO, "lab", [3], hash_prefix="managed/blobs") == (
        f"managed/blobs/lab/lva/{HELLO}"
    )
    assert build_hash_path(HELLO, "lab", [], hash_prefix="") == f"lab/{HELLO}"
    assert build_hash_path(HELLO, "lab", hash_prefix="/x/") == f"x/lab/{HELLO}"
    for bad in ("abc", HELLO.upper(), HELLO[:-1] + "1", 5):
        with pytest.raises(dj.DataJointError, match="Invalid content hash"):
            build_hash_path(bad, "lab")


def test_object_path_without_partition():
    path, token = build_object_path("lab", "recording", "waveform", {"recording_id": 1}, ".npy")
    assert path == f"_schema/lab/recording/recording_id=1/waveform_{token}.npy"
    assert len(token) == 8


def test_object_path_with_partition():
    key = {"mouse_id": 0, "session_date": datetime.date(2017, 5, 15), "neuron_id": 0}
    pattern = "{mouse_id}/{session_date}/{neuron_id}"
    path, token = build_object_path(
        "ephys", "_neuron", "activity", key, "npy", partition_pattern=pattern
    )
    assert path == (
        f"_schema/mouse_id=0/session_date=2017-05-15/neuron_id=0/ephys/_neuron/activity_{token}.npy"
    )
    key["spike_param_id"] = 1
    path, token = build_object_path(
        "ephys", "__spikes", "waveforms", key, ".npy", partition_pattern=pattern
    )
    assert path == (
        "_schema/mouse_id=0/session_date=2017-05-15/neuron_id=0/ephys/__spikes/"
        f"spike_param_id=1/waveforms_{token}.npy"
    )
    # a pattern without braces; attributes the table lacks are skipped
    path, token = build_object_path(
        "lab", "t", "f", {"subject_id": 3, "x": 1}, None, partition_pattern="subject_id/other"
    )
    assert path == f"_schema/subject_id=3/lab/t/x=1/f_{token}"


def test_object_path_with_empty_prefix_and_token_length():
    path, token = build_object_path(
        "lab",
        "object_file",
        "data_file",
        {"file_id": 7},
        ".csv",
        schema_prefix="",
        token_length=4,
    )
    assert path == f"lab/object_file/file_id=7/data_file_{token}.csv"
    assert len(token) == 4


def test_tokens():
    assert len(generate_token(2)) == 4 and len(generate_token(20)) == 16
    tokens = {generate_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(re.fullmatch(f"[{re.escape(TOKEN_ALPHABET)}]{{8}}", t) for t in tokens)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (5, "5"),
        (-5, "-5"),
        (1.5, "1.5"),
        (np.int64(7), "7"),
        ("abc", "abc"),
        ("with space=ok", "with space=ok"),
        ("a/b", "a%2Fb"),
        ('x:y*z?"<>|\\', "x%3Ay%2Az%3F%22%3C%3E%7C%5C"),
        (datetime.date(2024, 1, 15), "2024-01-15"),
        (datetime.datetime(2024, 1, 15, 10, 0, 5, 123), "2024-01-15T10-00-05"),
        (datetime.time(10, 30), "10%3A30%3A00"),
    ],
)
def test_encode_pk_value(value, expected):
    assert encode_pk_value(value) == expected


def test_encode_long_pk_value():
    long = "a" * 120
    encoded = encode_pk_value(long)
    assert encoded.startswith("a" * 50 + "_") and len(encoded) == 59


def test_object_schema_skips_partitions():
    assert object_schema("_schema/a=1/b=2/lab/t/k=1/f_x", "_schema") == "lab"
    assert object_schema("_schema/lab/t/f_x", "_schema") == "lab"
    assert object_schema("other/lab/t", "_schema") is None
    assert object_schema("lab/t/f", "") == "lab"
