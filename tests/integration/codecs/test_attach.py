"""In-table ``<attach>`` on every backend (spec 02 §7.3, spec 06 §4.3, spec 04 §1.12)."""

from __future__ import annotations

import pathlib

import pytest

import datajoint as dj


@pytest.fixture
def attachments(schema):
    @schema
    class Attachment(dj.Manual):
        definition = """
        attach_id : int32
        ---
        doc = null : <attach>
        """

    return Attachment


def make_file(folder, name, data):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def stored_bytes(table, key):
    conn = table.connection
    q = conn.adapter.quote
    sql = f"SELECT {q('doc')} FROM {conn.adapter.table_ref(table.database, table.table_name)} "
    sql += f"WHERE {q('attach_id')} = %s"
    return bytes(conn.query(sql, [key]).fetchone()[0])


def test_a_file_goes_in_and_comes_back_as_a_path(attachments, tmp_path):
    source = make_file(tmp_path / "src", "notes.txt", b"hello \x00 world")
    attachments.insert1({"attach_id": 1, "doc": source})
    attachments.insert1({"attach_id": 2, "doc": str(source)})  # a str path works too
    assert stored_bytes(attachments, 1) == b"notes.txt\x00hello \x00 world"
    assert attachments.heading["doc"].is_blob
    downloads = tmp_path / "downloads" / "nested"
    with dj.config.override(download_path=str(downloads)):
        fetched = (attachments & {"attach_id": 1}).fetch1("doc")
    assert isinstance(fetched, str)
    assert pathlib.Path(fetched) == downloads / "notes.txt"
    assert pathlib.Path(fetched).read_bytes() == b"hello \x00 world"


def test_fetching_never_overwrites_a_different_file(attachments, tmp_path):
    first = make_file(tmp_path / "a", "image.img", b"first")
    second = make_file(tmp_path / "b", "image.img", b"second")
    attachments.insert([{"attach_id": 1, "doc": first}, {"attach_id": 2, "doc": second}])
    downloads = tmp_path / "downloads"
    make_file(downloads, "image.img", b"somebody else's file")
    with dj.config.override(download_path=str(downloads)):
        paths = attachments.to_arrays("doc").tolist()
        again = attachments.to_arrays("doc").tolist()
    assert paths == again  # identical contents are reused, not written twice
    assert [pathlib.Path(p).name for p in paths] == ["image_1.img", "image_2.img"]
    assert [pathlib.Path(p).read_bytes() for p in paths] == [b"first", b"second"]
    assert (downloads / "image.img").read_bytes() == b"somebody else's file"


def test_an_identical_existing_file_is_reused(attachments, tmp_path):
    source = make_file(tmp_path / "src", "data.bin", b"\x01\x02")
    attachments.insert1({"attach_id": 1, "doc": source})
    with dj.config.override(download_path=str(tmp_path / "src")):
        assert attachments.fetch1("doc") == str(source)
    assert sorted(p.name for p in (tmp_path / "src").iterdir()) == ["data.bin"]


def test_legacy_fetch_download_path(attachments, tmp_path):
    source = make_file(tmp_path / "src", "old.txt", b"0.14")
    attachments.insert1({"attach_id": 1, "doc": source})
    with pytest.warns(DeprecationWarning):
        (path,) = attachments.fetch("doc", download_path=str(tmp_path / "legacy"))
    assert pathlib.Path(path) == tmp_path / "legacy" / "old.txt"


def test_bad_values_are_refused_before_insert(attachments, tmp_path):
    with pytest.raises(TypeError, match="<attach> expects a file path"):
        attachments.insert1({"attach_id": 1, "doc": b"raw bytes"})
    with pytest.raises(FileNotFoundError, match="Attachment file not found"):
        attachments.insert1({"attach_id": 2, "doc": tmp_path / "missing.txt"})
    with pytest.raises(IsADirectoryError, match="does not support directories"):
        attachments.insert1({"attach_id": 3, "doc": tmp_path})
    assert len(attachments()) == 0
    attachments.insert1({"attach_id": 4, "doc": None})
    assert attachments.fetch1("doc") is None


def test_stored_names_cannot_escape_the_download_path(attachments, tmp_path):
    """A row written by someone else may carry any name: only its base name is used."""
    conn = attachments.connection
    q = conn.adapter.quote
    table = conn.adapter.table_ref(attachments.database, attachments.table_name)
    conn.query(
        f"INSERT INTO {table} ({q('attach_id')}, {q('doc')}) VALUES (%s, %s)",
        [1, b"../../evil.sh\x00payload"],
    )
    downloads = tmp_path / "downloads"
    with dj.config.override(download_path=str(downloads)):
        path = attachments.fetch1("doc")
    assert pathlib.Path(path) == downloads / "evil.sh"
    assert not (tmp_path / "evil.sh").exists()
