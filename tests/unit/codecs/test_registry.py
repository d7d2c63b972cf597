"""The Codec API without a database: registration, look-ups, entry points, chains, and the
order in which insert and fetch call codecs (spec 02 §6, checklist §14 items 4-6)."""

from __future__ import annotations

import logging
import textwrap

import pytest

import datajoint as dj
from datajoint.codecs import (
    get_codec,
    is_codec_registered,
    list_codecs,
    lookup_codec,
    parse_type_spec,
    registry,
    resolve_dtype,
    unregister_codec,
)
from datajoint.codecs.columns import RowContexts, decode_values, encode_values, validate_values
from datajoint.types import parse_type


@pytest.fixture
def cleanup():
    """Names registered by a test are removed afterwards."""
    names: list[str] = []
    yield names
    for name in names:
        if is_codec_registered(name):
            unregister_codec(name)


def simple(codec_name, dtype="int32", **methods):
    """A codec class named ``codec_name`` with ``get_dtype`` returning ``dtype``."""
    body = {
        "name": codec_name,
        "get_dtype": lambda self, is_store: dtype,
        "encode": lambda self, value, *, key=None: value,
        "decode": lambda self, stored, *, key=None: stored,
        **methods,
    }
    return type(f"Codec_{codec_name}", (dj.Codec,), body)


def test_subclassing_registers_one_instance(cleanup):
    cleanup.append("t_auto")
    cls = simple("t_auto")
    codec = get_codec("t_auto")
    assert isinstance(codec, cls)
    assert get_codec("<t_auto>") is codec
    assert get_codec("<t_auto@cold>") is codec and get_codec("<t_auto@>") is codec
    assert lookup_codec("<t_auto@cold>") == (codec, "cold")
    assert lookup_codec("<t_auto>") == (codec, None)
    assert is_codec_registered("<t_auto@x>")
    assert "t_auto" in list_codecs() and list_codecs() == sorted(list_codecs())


def test_register_false_and_name_none_are_not_registered():
    class Helper(dj.Codec, register=False):
        name = "t_helper"

        def get_dtype(self, is_store):
            return "bytes"

        def encode(self, value, *, key=None):
            return value

        def decode(self, stored, *, key=None):
            return stored

    class Nameless(Helper, register=True):
        name = None

    assert not is_codec_registered("t_helper")
    assert Nameless.name is None


@pytest.mark.parametrize("bad", ["", 5, "has space", "a@b", "<x>"])
def test_a_name_must_be_a_plain_non_empty_string(bad):
    with pytest.raises(dj.DataJointError, match="invalid name"):
        simple(bad)


def test_a_name_taken_by_another_class_is_refused(cleanup):
    cleanup.append("t_dup")
    first = simple("t_dup")

    with pytest.raises(dj.DataJointError, match="already registered") as info:

        class Other(dj.Codec):  # a different module/qualname: a genuine clash
            name = "t_dup"

            def get_dtype(self, is_store):
                return "int32"

            def encode(self, value, *, key=None):
                return value

            def decode(self, stored, *, key=None):
                return stored

    assert first.__qualname__ in str(info.value)
    assert isinstance(get_codec("t_dup"), first)


def test_builtins_cannot_be_taken_over():
    with pytest.raises(dj.DataJointError, match="already registered"):
        simple("blob")
    assert type(get_codec("blob")).__name__ == "BlobCodec"


def test_re_running_a_class_definition_replaces_it(cleanup):
    """A notebook cell defining the same class again (same module and qualified name)."""
    cleanup.append("t_cell")

    def cell(result):
        class Cell(dj.Codec):
            name = "t_cell"

            def get_dtype(self, is_store):
                return "int32"

            def encode(self, value, *, key=None):
                return value + result

            def decode(self, stored, *, key=None):
                return stored

        return Cell

    first = cell(1)
    second = cell(2)
    assert first is not second
    assert isinstance(get_codec("t_cell"), second)
    assert get_codec("t_cell").encode(1) == 3


def test_abstract_codecs_cannot_register(cleanup):
    with pytest.raises(dj.DataJointError, match="cannot be registered"):

        class Incomplete(dj.Codec):
            name = "t_incomplete"

            def get_dtype(self, is_store):
                return "int32"

    assert not is_codec_registered("t_incomplete")


def test_unknown_names():
    with pytest.raises(dj.DataJointError, match="Unknown codec: <t_nowhere>"):
        get_codec("<t_nowhere@s>")
    with pytest.raises(dj.DataJointError, match="Codec <t_nowhere> is not registered"):
        lookup_codec("t_nowhere")
    with pytest.raises(dj.DataJointError, match="not registered"):
        unregister_codec("t_nowhere")
    assert not is_codec_registered("t_nowhere")


def test_unregister(cleanup):
    simple("t_gone")
    assert is_codec_registered("t_gone")
    unregister_codec("t_gone")
    assert not is_codec_registered("t_gone")
    assert "t_gone" not in list_codecs()


@pytest.mark.parametrize(
    ("spec", "parsed"),
    [
        ("blob", ("blob", None)),
        ("<blob>", ("blob", None)),
        ("<blob@cold>", ("blob", "cold")),
        ("<blob@>", ("blob", "")),
        (" < blob @ cold > ", ("blob", "cold")),
        ("<Blob>", ("Blob", None)),  # names are case-sensitive
    ],
)
def test_parse_type_spec(spec, parsed):
    assert parse_type_spec(spec) == parsed


def test_resolve_dtype(cleanup):
    cleanup.extend(["t_store", "t_outer", "t_json"])

    def store_only(self, is_store):
        if not is_store:
            raise dj.DataJointError("<t_store> requires @")
        return "json"

    store = simple("t_store", get_dtype=store_only)
    outer = simple("t_outer", "<t_store>")
    as_json = simple("t_json", "json")
    blob = get_codec("blob")
    assert resolve_dtype("bytes") == ("bytes", [], None)
    assert resolve_dtype("<blob>") == ("bytes", [blob], None)
    assert resolve_dtype("<t_json>") == ("json", [get_codec("t_json")], None)
    final, chain, where = resolve_dtype("<t_outer@cold>")
    assert (final, where) == ("json", "cold")
    assert [type(c) for c in chain] == [outer, store]
    final, chain, where = resolve_dtype("<t_outer@>")
    assert (final, where) == ("json", "")
    with pytest.raises(dj.DataJointError, match="requires @"):
        resolve_dtype("<t_outer>")
    assert isinstance(get_codec("t_json"), as_json)


def test_resolve_dtype_detects_cycles_and_bad_dtypes(cleanup):
    cleanup.extend(["t_ping", "t_pong", "t_bad"])
    simple("t_ping", "<t_pong>")
    simple("t_pong", "<t_ping>")
    simple("t_bad", "no such type")
    with pytest.raises(dj.DataJointError, match="Circular codec reference"):
        resolve_dtype("<t_ping>")
    with pytest.raises(dj.DataJointError, match="Unsupported attribute type"):
        resolve_dtype("<t_bad>")


class Recorder:
    """Collects the calls made to recording codecs."""

    def __init__(self):
        self.calls = []


def recording(codec_name, dtype, log, *, takes_store):
    def encode(self, value, *, key=None, **store):
        log.calls.append(("encode", codec_name, value, dict(key or {}), store))
        return f"{codec_name}({value})"

    def encode_plain(self, value, *, key=None):
        log.calls.append(("encode", codec_name, value, dict(key or {}), {}))
        return f"{codec_name}({value})"

    def decode(self, stored, *, key=None):
        log.calls.append(("decode", codec_name, stored, dict(key or {})))
        return stored[len(codec_name) + 1 : -1]

    def validate(self, value):
        log.calls.append(("validate", codec_name, value))

    if takes_store:

        def encode_store(self, value, *, key=None, store_name=None):
            return encode(self, value, key=key, store_name=store_name)

        chosen = encode_store
    else:
        chosen = encode_plain
    return simple(codec_name, dtype, encode=chosen, decode=decode, validate=validate)


def test_chain_order_validation_and_store_name(cleanup):
    cleanup.extend(["t_a", "t_b"])
    log = Recorder()
    recording("t_a", "<t_b>", log, takes_store=False)
    recording("t_b", "varchar(200)", log, takes_store=True)
    spec = parse_type("<t_a@vault>")
    contexts = RowContexts({"_schema": "s", "_table": "t", "_field": "f"}, {"id": [1, 2, 3]})
    validate_values(spec, ["x", None, "z"])
    assert log.calls == [("validate", "t_a", "x"), ("validate", "t_a", "z")]
    log.calls.clear()
    stored = encode_values(spec, ["x", None, "z"], contexts)
    assert stored == ["t_b(t_a(x))", None, "t_b(t_a(z))"]
    base = {"_schema": "s", "_table": "t", "_field": "f"}
    assert log.calls == [
        ("encode", "t_a", "x", {**base, "id": 1}, {}),  # outermost first, no store_name
        ("encode", "t_a", "z", {**base, "id": 3}, {}),
        ("encode", "t_b", "t_a(x)", {**base, "id": 1}, {"store_name": "vault"}),
        ("encode", "t_b", "t_a(z)", {**base, "id": 3}, {"store_name": "vault"}),
    ]
    log.calls.clear()
    assert decode_values(spec, stored, contexts) == ["x", None, "z"]
    assert [c[:3] for c in log.calls] == [
        ("decode", "t_b", "t_b(t_a(x))"),  # innermost first
        ("decode", "t_b", "t_b(t_a(z))"),
        ("decode", "t_a", "t_a(x)"),
        ("decode", "t_a", "t_a(z)"),
    ]
    assert log.calls[0][3] == {**base, "id": 1}


def test_entry_points_load_once_on_the_first_miss(tmp_path, monkeypatch, cleanup, caplog):
    cleanup.extend(["t_ep_class", "t_ep_legacy", "t_ep_self"])
    (tmp_path / "fake_codec_plugin.py").write_text(
        textwrap.dedent(
            """
            import datajoint as dj

            class Unregistered(dj.Codec, register=False):
                def get_dtype(self, is_store):
                    return "int32"
                def encode(self, value, *, key=None):
                    return value + 1
                def decode(self, stored, *, key=None):
                    return stored - 1

            class Legacy(Unregistered, register=False):
                pass

            class SelfRegistering(Unregistered):
                name = "t_ep_self"
            """
        )
    )
    info = tmp_path / "fake_codec_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-codec-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[datajoint.codecs]\n"
        "t_ep_class = fake_codec_plugin:Unregistered\n"
        "t_ep_self = fake_codec_plugin:SelfRegistering\n"
        "t_ep_broken = fake_codec_plugin:DoesNotExist\n"
        "[datajoint.types]\n"
        "t_ep_legacy = fake_codec_plugin:Legacy\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry, "_entry_points_loaded", [False])
    with caplog.at_level(logging.WARNING, logger="datajoint"):
        codec = get_codec("t_ep_class")
    assert codec.encode(1) == 2
    assert type(codec).__name__ == "Unregistered"
    assert type(get_codec("t_ep_legacy")).__name__ == "Legacy"
    assert type(get_codec("t_ep_self")).__name__ == "SelfRegistering"
    assert "t_ep_broken" in caplog.text  # logged, not raised
    assert {"t_ep_class", "t_ep_legacy", "t_ep_self"} <= set(list_codecs())
    unregister_codec("t_ep_class")
    assert not is_codec_registered("t_ep_class")  # loaded once: not reloaded on a later miss


def test_schema_codec_requires_a_store_and_splits_the_context(cleanup):
    cleanup.append("t_schema_obj")

    class Obj(dj.SchemaCodec):
        name = "t_schema_obj"

        def encode(self, value, *, key=None, store_name=None):
            return {"path": "p", "store": store_name}

        def decode(self, stored, *, key=None):
            return stored

    assert not is_codec_registered("SchemaCodec")
    with pytest.raises(dj.DataJointError, match="requires @"):
        resolve_dtype("<t_schema_obj>")
    assert resolve_dtype("<t_schema_obj@s>")[0] == "json"
    key = {"_schema": "lab", "_table": "session", "_field": "raw", "_config": {}, "id": 3}
    assert Obj._extract_context(key) == ("lab", "session", "raw", {"id": 3})
    assert get_codec("t_schema_obj").referenced_paths('{"path": "a/b", "store": "s"}') == [
        ("a/b", "s")
    ]
    assert get_codec("blob").referenced_paths(b"\x00") == []
