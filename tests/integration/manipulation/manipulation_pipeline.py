"""A pipeline over three schemas (spec 04 §4.3), declared once per backend and refilled per test.

Schema ``a``: Subject → Session.  Schema ``b``: Scan (-> Session) with part Scan.Channel; Ext;
Master with parts PartA (-> master, -> Ext) and PartB (-> Master.PartA).  Schema ``c``:
Analysis (-> Scan), Obs (secondary FK renamed: Subject.proj(animal='subject_id')), Follow
(-> Obs), Link (nullable secondary FK to Scan.Channel).
"""

from __future__ import annotations

import types

import datajoint as dj
from support.backends import new_schema_name


def declare(connection: dj.Connection) -> types.SimpleNamespace:
    a = dj.Schema(new_schema_name("djma"), connection=connection)
    b = dj.Schema(new_schema_name("djmb"), connection=connection)
    c = dj.Schema(new_schema_name("djmc"), connection=connection)

    @a
    class Subject(dj.Manual):
        definition = """
        subject_id : int32
        ---
        name = "" : varchar(16)
        """

    @a
    class Session(dj.Manual):
        definition = """
        -> Subject
        session_id : int16
        """

    @b
    class Scan(dj.Manual):
        definition = """
        -> Session
        scan_id : int16
        """

        class Channel(dj.Part):
            definition = """
            -> master
            channel : int8
            """

    @b
    class Ext(dj.Manual):
        definition = """
        ext_id : int32
        """

    @b
    class Master(dj.Manual):
        definition = """
        master_id : int32
        """

        class PartA(dj.Part):
            definition = """
            -> master
            -> Ext
            """

        class PartB(dj.Part):
            definition = """
            -> Master.PartA
            part_b : int16
            """

    @c
    class Analysis(dj.Manual):
        definition = """
        -> Scan
        ---
        result : float64
        """

    @c
    class Obs(dj.Manual):
        definition = """
        obs_id : int32
        ---
        -> Subject.proj(animal='subject_id')
        """

    @c
    class Follow(dj.Manual):
        definition = """
        -> Obs
        follow_id : int16
        """

    @c
    class Link(dj.Manual):
        definition = """
        link_id : int32
        ---
        -> [nullable] Scan.Channel
        """

    tables = {
        "Subject": Subject,
        "Session": Session,
        "Scan": Scan,
        "Channel": Scan.Channel,
        "Ext": Ext,
        "Master": Master,
        "PartA": Master.PartA,
        "PartB": Master.PartB,
        "Analysis": Analysis,
        "Obs": Obs,
        "Follow": Follow,
        "Link": Link,
    }
    return types.SimpleNamespace(schemas=(a, b, c), connection=connection, **tables)


LEAVES_FIRST = [
    "Follow",
    "Obs",
    "Link",
    "Analysis",
    "Channel",
    "Scan",
    "Session",
    "Subject",
    "PartB",
    "PartA",
    "Master",
    "Ext",
]


def fill(ns: types.SimpleNamespace) -> None:
    for name in LEAVES_FIRST:
        getattr(ns, name).delete_quick()
    ns.Subject.insert({"subject_id": s} for s in (1, 2, 3))
    ns.Session.insert({"subject_id": s, "session_id": i} for s in (1, 2, 3) for i in (1, 2))
    scans = [{**k, "scan_id": j} for k in ns.Session for j in (1, 2)]
    ns.Scan.insert(scans)
    ns.Channel.insert({**k, "channel": ch} for k in scans for ch in (1, 2, 3))
    ns.Analysis.insert({**k, "result": 0.5} for k in scans)
    ns.Obs.insert({"obs_id": i, "animal": a} for i, a in ((1, 1), (2, 1), (3, 2), (4, 3)))
    ns.Follow.insert({"obs_id": i, "follow_id": 1} for i in (1, 2, 3, 4))
    ns.Link.insert(
        [
            {"link_id": 1, "subject_id": 1, "session_id": 1, "scan_id": 1, "channel": 1},
            {"link_id": 2, "subject_id": 2, "session_id": 1, "scan_id": 1, "channel": 1},
        ]
    )
    ns.Link.insert1({"link_id": 3})
    ns.Ext.insert({"ext_id": e} for e in (1, 2, 3))
    ns.Master.insert({"master_id": m} for m in (1, 2, 3))
    # master 1 uses ext 1, master 2 uses ext 1 and 2, master 3 uses ext 3
    parts = [(1, 1), (2, 1), (2, 2), (3, 3)]
    ns.PartA.insert({"master_id": m, "ext_id": e} for m, e in parts)
    ns.PartB.insert({"master_id": m, "ext_id": e, "part_b": p} for m, e in parts for p in (1, 2))


def counts(ns: types.SimpleNamespace) -> dict[str, int]:
    return {name: len(getattr(ns, name)()) for name in LEAVES_FIRST}
