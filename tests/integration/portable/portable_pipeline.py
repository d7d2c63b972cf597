"""A small pipeline with every kind of value the portable features move: core types,
``<blob>`` arrays of several shapes, a part table and a computed table."""

from __future__ import annotations

import datetime
import decimal
import types
import uuid

import numpy as np

import datajoint as dj

UIDS = [uuid.UUID(int=i * 7919 + 1) for i in range(20)]


def declare_pipeline(schema: dj.Schema) -> types.SimpleNamespace:
    @schema
    class Species(dj.Lookup):
        definition = """
        species : varchar(30)
        ---
        latin = '' : varchar(60)
        """
        contents = [("mouse", "Mus musculus"), ("rat", "Rattus norvegicus")]

    @schema
    class Subject(dj.Manual):
        definition = """
        subject_id : int32
        ---
        -> Species
        born = null : date
        weight : decimal(6,2)        # grams
        uid : uuid
        info = null : json
        big : uint32
        """

    @schema
    class Session(dj.Manual):
        definition = """
        -> Subject
        session : int16
        ---
        started : datetime(3)
        duration : float32
        rig : enum('A', 'B')
        notes = '' : varchar(100)
        """

        class Trial(dj.Part):
            definition = """
            -> master
            trial : int16
            ---
            rt : float64
            ok : bool
            """

    @schema
    class Trace(dj.Manual):
        definition = """
        -> Session
        ---
        samples : <blob>              # 1-D float arrays of varying length
        matrix : <blob>               # 2-D integer arrays
        params = null : <blob>        # dicts and strings: kept as blob bytes
        raw = null : bytes
        """

    @schema
    class Stats(dj.Computed):
        definition = """
        -> Trace
        ---
        mean : float64
        n : int64
        """

        def make(self, key):
            samples = (Trace & key).fetch1("samples")
            self.insert1({**key, "mean": float(np.mean(samples)), "n": len(samples)})

    return types.SimpleNamespace(
        schema=schema, Species=Species, Subject=Subject, Session=Session, Trace=Trace, Stats=Stats
    )


def add_subjects(p: types.SimpleNamespace, ids: range) -> None:
    """Subjects ``ids`` with two sessions each, three trials per session and a trace each."""
    p.Subject.insert(
        {
            "subject_id": i,
            "species": "mouse" if i % 2 else "rat",
            "born": None if i % 3 == 0 else datetime.date(2020, 1, 1) + datetime.timedelta(i),
            "weight": decimal.Decimal("20.25") + i,
            "uid": UIDS[i],
            "info": None if i % 4 == 0 else {"cage": i, "tags": ["a", str(i)]},
            "big": 4_000_000_000 + i,
        }
        for i in ids
    )
    sessions = [
        {
            "subject_id": i,
            "session": s,
            "started": datetime.datetime(2024, 5, i + 1, 9, s, 30, 125000),
            "duration": 12.5 * s + i,
            "rig": "AB"[s % 2],
        }
        for i in ids
        for s in (1, 2)
    ]
    p.Session.insert(sessions)
    p.Session.Trial.insert(
        {**k, "trial": t, "rt": 0.25 * t + k["subject_id"], "ok": bool(t % 2)}
        for k in ({"subject_id": s["subject_id"], "session": s["session"]} for s in sessions)
        for t in (1, 2, 3)
    )
    p.Trace.insert(
        {
            "subject_id": s["subject_id"],
            "session": s["session"],
            "samples": np.linspace(0, 1, 3 + s["subject_id"]),
            "matrix": np.arange(6, dtype=np.int16).reshape(2, 3) * s["session"],
            "params": {"gain": s["session"]} if s["session"] == 1 else "default",
            "raw": bytes([s["subject_id"], s["session"]]),
        }
        for s in sessions
    )
