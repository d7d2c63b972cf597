"""A database in the layout DataJoint 0.14 left on MariaDB, built with raw SQL, and its store.

The pipeline: ``#species`` (Lookup) → ``subject`` (Manual) → ``session`` (Manual: an unmarked
``longblob`` of settings and an in-table ``:attach:``) → ``_recording`` (Imported: a
``blob@local`` trace, an ``attach@local`` note and a ``filepath@local`` raw file, references
into ``~external_local``) → ``__activity`` (Computed, with an unmarked ``mediumblob`` and a
nullable ``blob@local``) → ``__activity__unit`` (Part). The hidden tables ``~external_local``,
``~jobs`` and ``~log`` are there as 0.14 created them. Objects are in the store folder where
0.14 put them: ``{database}/{ab}/{cd}/{uuid hex}`` (attachments with ``.{name}`` appended) and
the filepath files at their own relative paths. Blob bytes come from the spec 07 serializer
(0.14 wrote the same bytes).
"""

from __future__ import annotations

import datetime
import hashlib
import pathlib
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from datajoint.blob import pack

STORE = "local"

DDL_FILE = pathlib.Path(__file__).parent.parent / "data" / "legacy014_schema.sql"

SESSIONS = [(1, 1), (1, 2), (2, 1)]


def legacy_uuid(data: bytes, init: str = "") -> uuid.UUID:
    """0.14's reference: the MD5 of ``init`` (a file name + NUL, or a path) and the bytes."""
    return uuid.UUID(bytes=hashlib.md5(init.encode() + data).digest())


def legacy_object_path(database: str, ref: uuid.UUID, suffix: str = "") -> str:
    name = ref.hex
    return f"{database}/{name[:2]}/{name[2:4]}/{name}{suffix}"


def trace_of(key: tuple[int, int]) -> np.ndarray:
    if key == (1, 2):  # the same content as (1, 1): one object in the store
        key = (1, 1)
    return np.sin(np.arange(20) / (2.0 * key[0])) + key[1]


@dataclass
class Legacy014:
    """A 0.14 database: its name, the store folder, and what each value must decode to."""

    database: str
    location: pathlib.Path
    expected: dict[str, dict[tuple, dict[str, Any]]] = field(default_factory=dict)
    objects: dict[str, bytes] = field(default_factory=dict)  # store path → bytes

    def put_object(self, path: str, data: bytes) -> None:
        target = self.location / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self.objects[path] = data

    def store_files(self) -> dict[str, bytes]:
        return {
            p.relative_to(self.location).as_posix(): p.read_bytes()
            for p in sorted(self.location.rglob("*"))
            if p.is_file()
        }


class Builder:
    """Fills a 0.14 database through raw SQL, keeping the ``~external_local`` rows right."""

    def __init__(self, connection: Any, legacy: Legacy014) -> None:
        self.connection = connection
        self.legacy = legacy
        self.db = legacy.database

    def sql(self, statement: str, args: Any = None) -> Any:
        return self.connection.query(statement.replace("{db}", self.db), args)

    def external(
        self, ref: uuid.UUID, size: int, name: Any = None, path: Any = None, contents: Any = None
    ) -> None:
        self.sql(
            "INSERT IGNORE INTO `{db}`.`~external_local` "
            "(hash, size, attachment_name, filepath, contents_hash) VALUES (%s, %s, %s, %s, %s)",
            (ref.bytes, size, name, path, contents),
        )

    def blob(self, value: Any) -> bytes:
        """Store ``value`` as 0.14 ``blob@local`` did; the column's 16 bytes."""
        data = pack(value)
        ref = legacy_uuid(data)
        self.legacy.put_object(legacy_object_path(self.db, ref), data)
        self.external(ref, len(data))
        return ref.bytes

    def attachment(self, name: str, contents: bytes) -> bytes:
        """Store a file as 0.14 ``attach@local`` did."""
        ref = legacy_uuid(contents, name + "\0")
        self.legacy.put_object(legacy_object_path(self.db, ref, "." + name), contents)
        self.external(ref, len(contents), name=name)
        return ref.bytes

    def filepath(self, relative: str, contents: bytes) -> bytes:
        """A file already in the store, tracked as 0.14 ``filepath@local`` did."""
        self.legacy.put_object(relative, contents)
        ref = legacy_uuid(b"", relative)
        self.external(ref, len(contents), path=relative, contents=legacy_uuid(contents).bytes)
        return ref.bytes

    def recording(self, key: tuple[int, int], with_files: bool) -> None:
        s, i = key
        trace = trace_of(key)
        notes = f"notes of session {s}-{i}\n".encode() if with_files else None
        raw = bytes(range(256)) * (s + i) if with_files else None
        self.sql(
            "INSERT INTO `{db}`.`_recording` (subject_id, session_idx, sampling_rate, trace, "
            "notes_file, raw_file) VALUES (%s, %s, %s, %s, %s, %s)",
            (
                s,
                i,
                1000.0 * s,
                self.blob(trace),
                self.attachment("notes.txt", notes) if notes else None,
                self.filepath(f"raw/subject{s}/session{i}.dat", raw) if raw else None,
            ),
        )
        self.legacy.expected["_recording"][key] = {
            "sampling_rate": 1000.0 * s,
            "trace": trace,
            "notes_file": notes,
            "raw_file": raw and f"raw/subject{s}/session{i}.dat",
            "raw_bytes": raw,
        }

    def activity(self, key: tuple[int, int]) -> None:
        s, i = key
        spikes = np.flatnonzero(np.sin(np.arange(40) / (3.0 * s)) > 0.5 - 0.1 * i) / 1000.0
        summary = {"key": [s, i], "n": int(spikes.size)} if key != (2, 1) else None
        self.sql(
            "INSERT INTO `{db}`.`__activity` VALUES (%s, %s, %s, %s, %s, %s)",
            (
                s,
                i,
                float(spikes.mean()),
                int(spikes.size),
                pack(spikes),
                None if summary is None else self.blob(summary),
            ),
        )
        self.legacy.expected["__activity"][key] = {
            "mean_rate": float(spikes.mean()),
            "n_spikes": int(spikes.size),
            "spikes": spikes,
            "summary": summary,
        }
        for unit in range(2):
            waveform = np.full((3, 4), 10 * s + i + unit, dtype=np.int16)
            self.sql(
                "INSERT INTO `{db}`.`__activity__unit` VALUES (%s, %s, %s, %s)",
                (s, i, unit, pack(waveform)),
            )
            self.legacy.expected["__activity__unit"][(s, i, unit)] = {"waveform": waveform}

    def build(self) -> Legacy014:
        text = "\n".join(
            line for line in DDL_FILE.read_text().splitlines() if not line.startswith("--")
        )
        for statement in text.split(";\n"):
            if statement.strip():
                self.sql(statement)
        exp = self.legacy.expected
        for name in ("subject", "session", "_recording", "__activity", "__activity__unit"):
            exp[name] = {}
        self.sql("INSERT INTO `{db}`.`#species` VALUES ('mouse'), ('rat')")
        for s, species, dob in ((1, "mouse", datetime.date(2020, 1, 5)), (2, "rat", None)):
            self.sql(
                "INSERT INTO `{db}`.`subject` VALUES (%s, %s, %s, %s)",
                (s, species, 20.5 + s, dob),
            )
            exp["subject"][(s,)] = {"species": species, "weight": 20.5 + s, "date_of_birth": dob}
        for s, i in SESSIONS:
            settings = {"gain": np.array([1.5, 2.5]) * i, "label": f"s{s}-{i}", "n": i}
            protocol = f"protocol {s}-{i}".encode() if i == 1 else None
            self.sql(
                "INSERT INTO `{db}`.`session` VALUES (%s, %s, %s, %s, %s)",
                (
                    s,
                    i,
                    f"session {i}",
                    pack(settings),
                    b"protocol.txt\0" + protocol if protocol else None,
                ),
            )
            exp["session"][(s, i)] = {"settings": settings, "protocol": protocol}
        for key in SESSIONS:
            self.recording(key, with_files=key != (1, 2))
        for key in SESSIONS:
            self.activity(key)
        self.sql(
            "INSERT INTO `{db}`.`~jobs` (table_name, key_hash, status, `key`, error_message) "
            "VALUES ('__activity', %s, 'error', %s, 'ValueError: old failure')",
            (hashlib.md5(b"k").hexdigest(), pack({"subject_id": 2, "session_idx": 1})),
        )
        self.sql("INSERT INTO `{db}`.`~log` (version, user, event) VALUES ('0.14.3', 'u', 'x')")
        self.connection.invalidate(self.db)
        return self.legacy


def build_legacy_database(connection: Any, database: str, location: pathlib.Path) -> Legacy014:
    """Create the 0.14 tables in the (existing, empty) ``database`` and their objects under
    ``location`` (the store's folder)."""
    return Builder(connection, Legacy014(database, location)).build()


def tables_and_rows(connection: Any, database: str) -> dict[str, Any]:
    """Each table's definition and its rows."""
    tables = [r[0] for r in connection.query(f"SHOW TABLES FROM `{database}`", None).fetchall()]
    out: dict[str, Any] = {}
    for table in sorted(tables):
        ref = f"`{database}`.`{table}`"
        out[table] = (
            connection.query(f"SHOW CREATE TABLE {ref}", None).fetchone()[1],
            sorted(
                (tuple(row) for row in connection.query(f"SELECT * FROM {ref}", None).fetchall()),
                key=repr,
            ),
        )
    return out


def snapshot(connection: Any, legacy: Legacy014) -> dict[str, Any]:
    """Everything a migration may change: each table's definition and rows, and the store."""
    return {"files": legacy.store_files(), **tables_and_rows(connection, legacy.database)}


def add_legacy_recording(connection: Any, legacy: Legacy014, key: tuple[int, int]) -> None:
    """What a DataJoint 0.14 client still running would insert: a session and a recording."""
    builder = Builder(connection, legacy)
    s, i = key
    connection.query(
        f"INSERT INTO `{legacy.database}`.`session` (subject_id, session_idx) VALUES (%s, %s)",
        (s, i),
    )
    builder.recording(key, with_files=True)
