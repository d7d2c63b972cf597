"""A small lab pipeline on embedded SQLite: run ``python examples/demo.py``.

Two schemas: ``demo_lab`` (who and what: subjects, rigs) and ``demo_ephys`` (sessions,
recordings with numpy arrays in a ``<blob>`` column, and a computed analysis with a part
table). Foreign keys cross the schemas. One waveform array is kept as a ``.npy`` file in a
local object store beside the database.
"""

from __future__ import annotations

import os
import tempfile

import numpy as np

import datajoint as dj

dj.config["database.backend"] = "sqlite"
dj.config["database.path"] = os.environ.get(
    "DJ_DEMO_DB", os.path.join(tempfile.mkdtemp(prefix="dj-demo-"), "demo.db")
)
# the folder where the demo writes its diagram files (default: next to the database file)
OUTPUT = os.environ.get("DJ_DEMO_OUT", os.path.dirname(os.path.abspath(dj.config["database.path"])))
dj.config["safemode"] = False
# a local object store for large values (<npy@>, <blob@>, ...): a folder next to the database
STORE = os.path.join(os.path.dirname(os.path.abspath(dj.config["database.path"])), "store")
os.makedirs(STORE, exist_ok=True)
dj.config.stores = {"default": "local", "local": {"protocol": "file", "location": STORE}}

lab = dj.Schema("demo_lab")
ephys = dj.Schema("demo_ephys")


@lab
class Species(dj.Lookup):
    definition = """
    species : varchar(30)
    ---
    common_name : varchar(60)
    """
    contents = [
        {"species": "Mus musculus", "common_name": "house mouse"},
        {"species": "Rattus norvegicus", "common_name": "brown rat"},
    ]


@lab
class Subject(dj.Manual):
    definition = """
    # experimental animals
    subject_id : int32
    ---
    -> Species
    sex : enum('F', 'M', 'U')
    date_of_birth = null : date
    """


@ephys
class Session(dj.Manual):
    definition = """
    # a recording session
    -> Subject
    session : int16
    ---
    session_date : date
    duration : float64   # minutes
    """


@ephys
class Recording(dj.Manual):
    definition = """
    -> Session
    channel : uint8
    ---
    sampling_rate : float32   # Hz
    mean_rate : float64       # spikes per second
    spike_rates : <blob>      # spikes per second in each minute (a numpy array)
    """


@ephys
class Waveform(dj.Manual):
    definition = """
    # the mean spike waveform of a recording, kept in the object store
    -> Recording
    ---
    waveform : <npy@>
    """


@ephys
class SessionSummary(dj.Computed):
    definition = """
    # per-session statistics over channels
    -> Session
    ---
    n_channels : int32
    mean_rate : float64
    """

    class Channel(dj.Part):
        definition = """
        -> master
        -> Recording
        ---
        above_mean : bool
        """

    def make(self, key):
        rates = (Recording & key).to_arrays("mean_rate")
        channels = (Recording & key).keys()
        mean = float(rates.mean())
        self.insert1({**key, "n_channels": len(rates), "mean_rate": mean})
        self.Channel.insert(
            {**ch, "above_mean": bool(r > mean)} for ch, r in zip(channels, rates, strict=True)
        )


def save_diagram() -> None:
    """Draw both schemas: Mermaid always; SVG when the Graphviz program `dot` is installed."""
    diagram = dj.Diagram(lab) + dj.Diagram(ephys)
    os.makedirs(OUTPUT, exist_ok=True)
    mermaid = os.path.join(OUTPUT, "pipeline.mmd")
    diagram.save(mermaid)
    print("Pipeline diagram (Mermaid):", mermaid)
    print(diagram.make_mermaid())
    svg = os.path.join(OUTPUT, "pipeline.svg")
    try:
        diagram.save(svg)
    except dj.DataJointError as error:  # no `dot` program: Mermaid only
        print("SVG diagram skipped:", error)
    else:
        print("Pipeline diagram (SVG):", svg)
    print("Parents of SessionSummary.Channel:", SessionSummary.Channel.parents())


def main() -> None:
    save_diagram()
    Subject.insert(
        [
            {"subject_id": 1, "species": "Mus musculus", "sex": "F", "date_of_birth": "2024-03-01"},
            {"subject_id": 2, "species": "Mus musculus", "sex": "M", "date_of_birth": None},
            {"subject_id": 3, "species": "Rattus norvegicus", "sex": "F", "date_of_birth": None},
        ]
    )
    Session.insert(
        [
            {"subject_id": 1, "session": 1, "session_date": "2024-06-01", "duration": 45.0},
            {"subject_id": 1, "session": 2, "session_date": "2024-06-02", "duration": 30.5},
            {"subject_id": 2, "session": 1, "session_date": "2024-06-01", "duration": 50.0},
        ]
    )
    rng = np.random.default_rng(0)
    recordings = []
    for key in Session.keys():  # noqa: SIM118 - a table, not a dict
        for ch in range(4):
            rates = rng.gamma(2.0, 1.0 + ch * key["session"], size=30)  # one value per minute
            recordings.append(
                {
                    **key,
                    "channel": ch,
                    "sampling_rate": 30000.0,
                    "mean_rate": float(rates.mean()),
                    "spike_rates": rates,
                }
            )
    Recording.insert(recordings)
    stored = (Recording & {"subject_id": 1, "session": 1, "channel": 0}).fetch1("spike_rates")
    print("A stored array comes back as it went in:", stored.shape, stored.dtype)
    print(
        "  first minutes:",
        np.round(stored[:4], 2),
        "equal:",
        np.array_equal(stored, recordings[0]["spike_rates"]),
    )

    print("Species (Lookup contents):")
    print(Species())
    print("Subjects that are mice:")
    print((Subject & {"species": "Mus musculus"}).to_dicts())
    print("Subjects without sessions:", (Subject - Session).keys())
    print("Long sessions:", (Session & "duration > 40").keys())

    result = SessionSummary.populate()
    print("populate:", result["success_count"], "sessions computed")
    print("Session summaries:")
    print(SessionSummary())
    print("Channels above their session mean:")
    print((SessionSummary.Channel & {"above_mean": True}).keys())
    print("Sessions with their subjects (join across schemas):")
    print((Session * Subject).proj("species", "duration").to_dicts())
    print("Tables of", ephys.database, "in dependency order:", ephys.list_tables())

    print("Sessions per subject (aggregation keeps subjects without sessions):")
    print(Subject.aggr(Session, n="count(session)", total="sum(duration)").to_dicts())
    print("Subjects per species (dj.U):")
    print(dj.U("species").aggr(Subject, n="count(*)").to_dicts())
    print("Most recent session:", (Session & dj.Top(1, "session_date DESC")).keys())

    key = {"subject_id": 1, "session": 1, "channel": 0}
    Waveform.insert1({**key, "waveform": np.sin(np.linspace(0, np.pi, 64)) * -80.0})
    ref = (Waveform & key).fetch1("waveform")
    print("Waveform in the store:", ref, "->", ref.path)
    print("  minimum (loaded on demand):", round(float(ref.load().min()), 1), "uV")

    Subject.update1({"subject_id": 2, "date_of_birth": "2024-02-11"})
    print("Updated subject 2:", (Subject & {"subject_id": 2}).fetch1("date_of_birth"))
    deleted = (Subject & {"subject_id": 1}).delete(prompt=False)
    print(f"Deleted subject 1 and everything that depends on it ({deleted} subject row);")
    print(
        "  rows left — sessions:",
        len(Session()),
        "recordings:",
        len(Recording()),
        "summaries:",
        len(SessionSummary()),
        "channels:",
        len(SessionSummary.Channel()),
    )
    stats = dj.gc.GarbageCollector(ephys).collect(dry_run=False)
    print("Garbage collection: removed", stats["deleted"], "object(s) no row references")


if __name__ == "__main__":
    try:
        main()
    finally:
        ephys.drop(prompt=False)
        lab.drop(prompt=False)
