"""Resolving a store of ``dj.config.stores`` (spec 06 §1.2, §1.3, §1.5, §1.8)."""

from __future__ import annotations

import pytest

import datajoint as dj
from datajoint.settings import Config
from datajoint.storage.stores import StorageBackend, is_url, normalize_to_url, parse_url
from datajoint.store_config import StorageAdapter, get_storage_adapter, resolve_store_spec

FILE = {"protocol": "file", "location": "/data"}
S3 = {"protocol": "s3", "endpoint": "s3.example.org", "bucket": "lab", "location": "pipe"}


def resolve(spec, **more):
    return resolve_store_spec({"main": {**spec, **more}}, "main")


def test_defaults_filled_in_and_config_untouched():
    stores = {"default": "main", "main": dict(FILE)}
    spec = resolve_store_spec(stores, None)
    assert spec == {
        **FILE,
        "subfolding": None,
        "partition_pattern": None,
        "token_length": 8,
        "hash_prefix": "_hash",
        "schema_prefix": "_schema",
        "filepath_prefix": None,
    }
    assert stores["main"] == FILE
    assert resolve_store_spec(stores, "")["location"] == "/data"  # "" is the default store
    assert resolve(S3)["secure"] is True


def test_protocol_compared_lower_cased():
    assert resolve({**FILE, "protocol": "FILE"})["protocol"] == "file"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"protocol": "file"}, r'config.stores\["main"\] is missing: location'),
        ({"protocol": "s3", "location": ""}, r"is missing: endpoint, bucket"),
        ({"protocol": "gcs", "location": "x"}, r"is missing: bucket"),
        ({"protocol": "azure", "location": "x"}, r"is missing: container"),
        ({**FILE, "bucket": "b"}, r'Invalid key\(s\) in config.stores\["main"\]: bucket'),
        ({**FILE, "access_key": "a", "zz": 1}, r"Invalid key\(s\) .*: access_key, zz"),
        ({"location": "x"}, r"is missing: protocol"),
        (
            {"protocol": "ftp", "location": "x"},
            r'Unknown protocol "ftp" in config.stores\["main"\]. Built-in: file, s3, gcs, azure',
        ),
    ],
)
def test_invalid_specs(spec, message):
    with pytest.raises(dj.DataJointError, match=message):
        resolve(spec)


def test_stage_key_accepted_and_ignored():
    assert resolve(FILE, stage="/tmp")["stage"] == "/tmp"


@pytest.mark.parametrize(
    "prefixes",
    [
        {"hash_prefix": "a", "schema_prefix": "a/b"},
        {"hash_prefix": "x", "schema_prefix": "x"},
        {"schema_prefix": "/data/", "filepath_prefix": "data"},
        {"hash_prefix": "p/q", "filepath_prefix": "p"},
    ],
)
def test_overlapping_sections(prefixes):
    with pytest.raises(dj.DataJointError, match=r"overlap.*mutually exclusive"):
        resolve(FILE, **prefixes)


def test_similar_section_names_do_not_overlap():
    spec = resolve(FILE, hash_prefix="managed_hash", schema_prefix="managed_schema")
    assert spec["hash_prefix"] == "managed_hash"
    assert resolve(FILE, hash_prefix="", schema_prefix="")["hash_prefix"] == ""  # both at root


def test_unknown_store_names_the_config_key():
    with pytest.raises(dj.DataJointError, match=r"Storage 'cold' .* not configured.*stores\["):
        resolve_store_spec({"main": FILE}, "cold")
    with pytest.raises(dj.DataJointError, match="not configured"):
        resolve_store_spec({"default": "main"}, "default")


def test_config_get_store_spec_uses_the_same_rules():
    cfg = Config()
    cfg.stores.update(default="main", main=dict(FILE), raw={**FILE, "filepath_prefix": "s"})
    cfg.stores["filepath_default"] = "raw"
    assert cfg.get_store_spec()["token_length"] == 8
    assert cfg.get_store_spec(use_filepath_default=True)["filepath_prefix"] == "s"


def test_s3_credentials_both_or_neither(tmp_path):
    assert StorageBackend(resolve(S3), "main").protocol == "s3"  # ambient credentials
    assert StorageBackend(resolve(S3, access_key="a", secret_key="b"), "main")
    with pytest.raises(dj.DataJointError, match="Incomplete S3 credentials"):
        StorageBackend(resolve(S3, access_key="a"), "main")
    with pytest.raises(dj.DataJointError, match="Missing S3 configuration: endpoint"):
        StorageBackend(resolve(S3, endpoint=""), "main")


def test_file_store_location_must_exist(tmp_path):
    with pytest.raises(FileNotFoundError, match="Inaccessible local directory"):
        StorageBackend(resolve(FILE, location=str(tmp_path / "absent")), "main")
    with pytest.raises(dj.DataJointError, match="Inaccessible local directory"):
        StorageBackend(resolve(FILE, location=str(tmp_path / "absent")), "main")


def test_full_paths_and_urls(tmp_path):
    local = StorageBackend(resolve(FILE, location=str(tmp_path)), "main")
    assert local.full_path("_hash/x") == f"{tmp_path.as_posix()}/_hash/x"
    assert local.get_url("_hash/x") == f"file://{tmp_path.as_posix()}/_hash/x"
    s3 = StorageBackend(resolve(S3), "main")
    assert s3.full_path("_schema/a") == "lab/pipe/_schema/a"
    assert s3.get_url("_schema/a") == "s3://lab/pipe/_schema/a"
    assert StorageBackend(resolve(S3, location=""), "m").full_path("a") == "lab/a"
    gcs = StorageBackend(resolve({"protocol": "gcs", "bucket": "g", "location": "l"}), "g")
    assert gcs.get_url("a") == "gs://g/l/a"
    azure = {"protocol": "azure", "container": "c", "location": ""}
    assert StorageBackend(resolve(azure), "a").get_url("a") == "az://c/a"


def test_missing_cloud_package_names_the_extra(monkeypatch):
    backend = StorageBackend(resolve({"protocol": "azure", "container": "c", "location": ""}), "a")
    monkeypatch.setitem(__import__("sys").modules, "adlfs", None)  # not installed
    with pytest.raises(dj.DataJointError, match=r"pip install 'datajoint\[azure\]'"):
        backend.fs  # noqa: B018


def test_url_helpers(tmp_path):
    assert is_url("S3://bucket/key") and is_url("gs://b/k") and is_url("https://x/y")
    assert not is_url("/local/file") and not is_url("relative/file")
    assert parse_url("gs://b/k") == ("gcs", "b/k")
    assert parse_url("az://c/k") == ("abfs", "c/k")
    assert parse_url("s3://b/k") == ("s3", "b/k")
    with pytest.raises(dj.DataJointError, match="Unsupported URL protocol"):
        parse_url("ftp://x/y")
    assert normalize_to_url(str(tmp_path)) == tmp_path.as_uri()
    assert normalize_to_url("s3://b/k") == "s3://b/k"


class MemoryAdapter(StorageAdapter):
    """A plugin protocol on fsspec's in-memory filesystem."""

    protocol = "djtest-memory"
    required_keys = ("location",)
    allowed_keys = ("flavour",)

    def create_filesystem(self, spec):
        import fsspec

        return fsspec.filesystem("memory")


def test_plugin_protocols():
    assert isinstance(get_storage_adapter("DJTEST-MEMORY"), MemoryAdapter)
    assert dj.get_storage_adapter("nothing-registered") is None
    spec = resolve({"protocol": "djtest-memory", "location": "/root", "flavour": "x"})
    backend = StorageBackend(spec, "mem")
    assert backend.full_path("a/b") == "/root/a/b"
    assert backend.get_url("a/b") == "djtest-memory:///root/a/b"
    backend.put_buffer(b"data", "a/b")
    assert backend.get_buffer("a/b") == b"data"
    with pytest.raises(dj.DataJointError, match="djtest-memory store is missing: location"):
        resolve({"protocol": "djtest-memory"})
    with pytest.raises(dj.DataJointError, match=r"Invalid key\(s\) for djtest-memory: bad"):
        resolve({"protocol": "djtest-memory", "location": "/r", "bad": 1})
    with pytest.raises(dj.DataJointError, match="overlap"):
        resolve(
            {"protocol": "djtest-memory", "location": "/r", "hash_prefix": "h/x"}, schema_prefix="h"
        )
