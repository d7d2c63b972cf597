"""Spec 04 §3–§6 audit: delete seeds that read their own dependents, the upward part walks U2/U3,
prompt/log texts, transaction joining with ``transaction=False``, drop of a table referenced by a
part, ``update1`` value encoding and transactions, ``alter`` on parts and no-op logging."""

from __future__ import annotations

import logging
import uuid

import pytest
from manipulation_pipeline import counts

import datajoint as dj


def lost(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: before[k] - after[k] for k in before if before[k] != after[k]}


# ---------------------------------------------------------------------------- delete seeds
def test_seed_restricted_by_its_own_descendant(pipe):
    """``(Session & Scan…)``: Scan rows go before Session's, so the seed is fixed up front."""
    before = counts(pipe)
    seed = pipe.Session & (pipe.Scan & "scan_id = 1") & {"subject_id": 1}
    assert seed.delete(prompt=False) == 2
    assert lost(before, counts(pipe)) == {
        "Session": 2,
        "Scan": 4,
        "Channel": 12,
        "Analysis": 4,
        "Link": 1,
    }


def test_seed_restricted_by_negated_descendant(pipe):
    before = counts(pipe)
    assert (pipe.Subject - (pipe.Session & "subject_id = 2")).delete(prompt=False) == 2
    assert lost(before, counts(pipe)) == {
        "Subject": 2,
        "Session": 4,
        "Scan": 8,
        "Channel": 24,
        "Analysis": 8,
        "Obs": 3,
        "Follow": 3,
        "Link": 1,
    }
    assert [r["subject_id"] for r in pipe.Subject.to_dicts()] == [2]


def test_seed_restricted_by_an_empty_descendant_deletes_nothing(pipe):
    before = counts(pipe)
    assert (pipe.Subject & (pipe.Session & "session_id = 99")).delete(prompt=False) == 0
    assert counts(pipe) == before


def test_delete_returns_an_int_and_on_lookup_of_rows(pipe):
    result = (pipe.Follow & {"obs_id": 1}).delete(prompt=False)
    assert type(result) is int and result == 1


# ---------------------------------------------------------------------------- prompt and logs
def test_prompt_preview_in_topological_order_and_logs(pipe, monkeypatch, capsys, caplog):
    monkeypatch.setattr(dj.utils, "input", lambda _: "yes", raising=False)
    with caplog.at_level(logging.INFO, logger="datajoint"):
        assert (pipe.Subject & {"subject_id": 1}).delete(prompt=True) == 1
    shown = capsys.readouterr().out
    order = [shown.index(f"{n}`: ") for n in ("subject", "session", "scan", "scan__channel")]
    assert order == sorted(order)
    assert "`obs`: 2 rows" in shown and "`link`: 1 rows" in shown
    text = caplog.text
    assert "Deleting 12 rows from" in text and "Delete committed." in text


def test_nothing_to_delete_with_prompt_warns_and_never_asks(pipe, monkeypatch, caplog):
    asked = []
    monkeypatch.setattr(dj.utils, "input", lambda q: asked.append(q) or "yes", raising=False)
    with caplog.at_level(logging.WARNING, logger="datajoint"):
        assert (pipe.Subject & {"subject_id": 99}).delete(prompt=True) == 0
    assert asked == [] and "Nothing to delete" in caplog.text
    assert not pipe.connection.in_transaction


def test_prompt_question_and_reasking(pipe, monkeypatch):
    asked = []
    answers = iter(["y", "nope", "no"])
    monkeypatch.setattr(
        dj.utils, "input", lambda q: asked.append(q) or next(answers), raising=False
    )
    before = counts(pipe)
    assert (pipe.Subject & {"subject_id": 1}).delete(prompt=True) == 0
    assert len(asked) == 3 and asked[0].startswith("Commit deletes? [yes, No]")
    assert counts(pipe) == before


def test_transaction_false_with_prompt_inside_a_transaction(pipe, monkeypatch):
    """transaction=False runs in the caller's transaction: no prompt, and its rollback wins."""
    monkeypatch.setattr(dj.utils, "input", lambda _: pytest.fail("asked"), raising=False)
    before = counts(pipe)
    connection = pipe.connection
    with pytest.raises(RuntimeError), connection.transaction:
        assert (pipe.Subject & {"subject_id": 1}).delete(prompt=True, transaction=False) == 1
        assert connection.in_transaction
        raise RuntimeError("caller aborts")
    assert counts(pipe) == before


def test_joined_transaction_failure_rolls_back_the_callers_work(pipe):
    connection = pipe.connection
    before = counts(pipe)
    with pytest.raises(dj.DataJointError, match="before its master"), connection.transaction:
        pipe.Ext.insert1({"ext_id": 9})
        (pipe.Subject & {"subject_id": 1}).delete(prompt=False)
        (pipe.Ext & {"ext_id": 1}).delete(prompt=False)  # part before master: refused
    assert counts(pipe) == before and not connection.in_transaction


def test_legacy_force_parts(pipe):
    with pytest.warns(DeprecationWarning, match="force_parts"):
        assert pipe.PartB.delete(prompt=False, force_parts=True) == 8
    with pytest.warns(DeprecationWarning), pytest.raises(dj.DataJointError, match="Conflicting"):
        pipe.PartA.delete(prompt=False, force_parts=True, part_integrity="cascade")


def test_delete_quick_skips_part_integrity(pipe):
    assert (pipe.PartB & {"master_id": 1}).delete_quick(get_count=True) == 2
    assert len(pipe.Master()) == 3


# ---------------------------------------------------------------------------- upward walks
@pytest.fixture
def compositions(schema):
    @schema
    class Master(dj.Manual):
        definition = "master_id : int32"

        class PartA(dj.Part):
            definition = """
            -> master
            part_a_id : int16
            """

        class PartB(dj.Part):
            definition = """
            -> Master.PartA.proj(src_master='master_id', src_part='part_a_id')
            part_b : int16
            """

    @schema
    class Holder(dj.Manual):
        definition = "holder_id : int32"

        class Item(dj.Part):
            definition = """
            item_id : int32
            ---
            -> master
            """

    Master.insert({"master_id": m} for m in (1, 2))
    Master.PartA.insert({"master_id": m, "part_a_id": p} for m in (1, 2) for p in (1, 2))
    Master.PartB.insert(
        {"src_master": m, "src_part": p, "part_b": 1} for m in (1, 2) for p in (1, 2)
    )
    Holder.insert({"holder_id": h} for h in (1, 2, 3))
    Holder.Item.insert({"item_id": i, "holder_id": h} for i, h in ((1, 1), (2, 2), (3, 2)))
    return Master, Holder


def test_cascade_walks_up_a_renamed_reference(compositions):
    Master, _ = compositions
    seed = Master.PartB & {"src_master": 1, "src_part": 2}
    # the count is of rows gone from the seed's table: the whole composition of master 1
    assert seed.delete(prompt=False, part_integrity="cascade") == 2
    assert [r["master_id"] for r in Master.to_dicts()] == [2]
    assert len(Master.PartA()) == 2 and len(Master.PartB()) == 2


def test_cascade_walks_up_a_secondary_master_reference(compositions):
    _, Holder = compositions
    assert (Holder.Item & {"item_id": 3}).delete(prompt=False, part_integrity="cascade") == 2
    assert [r["holder_id"] for r in Holder.to_dicts()] == [1, 3]
    assert [r["item_id"] for r in Holder.Item.to_dicts()] == [1]


def test_enforce_refuses_direct_part_deletes_in_compositions(compositions):
    Master, Holder = compositions
    with pytest.raises(dj.DataJointError, match="part_integrity"):
        (Master.PartB & {"src_master": 1}).delete(prompt=False)
    with pytest.raises(dj.DataJointError, match="master"):
        Holder.Item.delete(prompt=False)
    assert len(Master.PartB()) == 4 and len(Holder.Item()) == 3


# ---------------------------------------------------------------------------- drop
@pytest.fixture
def website(schema):
    @schema
    class Website(dj.Manual):
        definition = "url_id : int32"

    @schema
    class Profile(dj.Manual):
        definition = "profile_id : int32"

        class Website(dj.Part):
            definition = """
            -> master
            -> Website
            """

    Website.insert1({"url_id": 1})
    Profile.insert1({"profile_id": 1})
    Profile.Website.insert1({"profile_id": 1, "url_id": 1})
    return Website, Profile


def test_drop_of_a_table_referenced_by_a_part(website):
    Website, Profile = website
    with pytest.raises(dj.DataJointError, match="before its master"):
        Website.drop(prompt=False)
    assert Website().is_declared and Profile.Website().is_declared
    Website.drop(prompt=False, part_integrity="ignore")
    assert not Website().is_declared and not Profile.Website().is_declared
    assert Profile().is_declared and len(Profile()) == 1


def test_part_drop_rejects_cascade(website):
    _, Profile = website
    with pytest.raises(ValueError, match="part_integrity must be"):
        Profile.Website.drop(prompt=False, part_integrity="cascade")
    assert Profile.Website().is_declared


def test_drop_prompt_asks_proceed(website, monkeypatch, capsys):
    _, Profile = website
    asked = []
    monkeypatch.setattr(dj.utils, "input", lambda q: asked.append(q) or "", raising=False)
    Profile.drop(prompt=True)
    assert asked and asked[0].startswith("Proceed? [yes, No]")
    assert Profile().is_declared
    out = capsys.readouterr().out
    assert "`profile`" in out and "`profile__website`" in out


def test_drop_with_safemode_default(website, monkeypatch):
    _, Profile = website
    monkeypatch.setattr(dj.utils, "input", lambda _: "no", raising=False)
    with dj.config.override(safemode=True):
        Profile.drop()
    assert Profile().is_declared
    with dj.config.override(safemode=False):
        Profile.drop()
    assert not Profile().is_declared


# ---------------------------------------------------------------------------- update1
@pytest.fixture
def rich(schema):
    @schema
    class Source(dj.Lookup):
        definition = "source_id : int32"
        contents = [(1,)]

    @schema
    class Rich(dj.Computed):
        definition = """
        -> Source
        ---
        ident = null : uuid
        doc = null : json
        n = 3 : int32
        """

        def make(self, key):
            self.insert1(key)

    @schema
    class Child(dj.Manual):
        definition = """
        -> Rich
        child : int16
        """

    Rich.populate()
    Child.insert1({"source_id": 1, "child": 1})
    return Rich, Child


def test_update1_encodes_values_on_a_computed_table(rich):
    Rich, Child = rich
    u = uuid.uuid4()
    assert Rich.update1({"source_id": 1, "ident": u.hex, "doc": {"k": [1]}, "n": 5}) is None
    row = Rich.fetch1()
    assert row == {"source_id": 1, "ident": u, "doc": {"k": [1]}, "n": 5}
    with pytest.raises(dj.DataJointError, match="UUID"):
        Rich.update1({"source_id": 1, "ident": "zz"})
    Rich.update1({"source_id": 1, "ident": None, "doc": None, "n": None})
    assert Rich.fetch1() == {"source_id": 1, "ident": None, "doc": None, "n": 3}
    assert len(Child()) == 1  # dependents untouched


def test_update1_joins_the_enclosing_transaction(rich, connection):
    Rich, _ = rich
    with pytest.raises(RuntimeError), connection.transaction:
        Rich.update1({"source_id": 1, "n": 9})
        assert Rich.fetch1("n") == 9
        raise RuntimeError
    assert Rich.fetch1("n") == 3


def test_populate_inside_a_transaction_is_refused(rich, connection):
    Rich, _ = rich
    with pytest.raises(dj.DataJointError), connection.transaction:
        Rich.populate()
    assert not connection.in_transaction


# ---------------------------------------------------------------------------- alter
def test_alter_nothing_to_alter_is_logged(schema, caplog):
    @schema
    class Plain(dj.Manual):
        definition = """
        plain : int32
        ---
        x = 0 : int32
        """

    with caplog.at_level(logging.INFO, logger="datajoint"):
        Plain.alter(prompt=True)  # no question: nothing to ask about
    assert "Nothing to alter" in caplog.text


def test_alter_a_part_resolves_master(schema, backend_name):
    @schema
    class Owner(dj.Manual):
        definition = "owner : int32"

        class Piece(dj.Part):
            definition = """
            -> master
            piece : int16
            ---
            w = null : float64
            """

    Owner.insert1({"owner": 1})
    Owner.Piece.insert1({"owner": 1, "piece": 1, "w": 1.5})
    Owner.Piece.definition = """
    -> master
    piece : int16
    ---
    w = null : float64
    extra = "e" : varchar(8)  # added
    """
    Owner.Piece.alter(prompt=False)
    assert Owner.Piece.fetch1() == {"owner": 1, "piece": 1, "w": 1.5, "extra": "e"}


def test_alter_moving_a_secondary_reference_is_allowed(schema, backend_name):
    @schema
    class Lab(dj.Manual):
        definition = "lab : int32"

    @schema
    class Member(dj.Manual):
        definition = """
        member : int32
        ---
        -> Lab
        name = "" : varchar(8)
        """

    Lab.insert1({"lab": 1})
    Member.insert1({"member": 1, "lab": 1, "name": "a"})
    Member.definition = """
    member : int32
    ---
    name = "" : varchar(8)
    -> Lab
    """
    Member.alter(prompt=False, context={"Lab": Lab})
    names = Member.heading.names
    expected = ["member", "name", "lab"] if backend_name == "mysql" else ["member", "lab", "name"]
    assert names == expected
    assert Member.fetch1() == {"member": 1, "lab": 1, "name": "a"}


def test_refused_delete_in_a_joined_transaction_undoes_only_itself(pipe):
    """The enforce post-check rolls the cascade back even when the caller owns the transaction
    (a savepoint), so a caller that catches the error and commits keeps its other work."""
    connection = pipe.connection
    before = counts(pipe)
    with connection.transaction:
        pipe.Ext.insert1({"ext_id": 9})
        with pytest.raises(dj.DataJointError, match="before its master"):
            (pipe.Ext & {"ext_id": 1}).delete(prompt=False)
        assert connection.in_transaction
    after = counts(pipe)
    assert lost(before, after) == {"Ext": -1}


def test_part_referencing_a_descendant_of_its_master(schema):
    """Master → Probe → Master.Insertion: the part cannot directly follow its master; delete
    and drop must still go leaves first along every foreign key."""

    @schema
    class Session(dj.Manual):
        definition = "session : int32"

    @schema
    class Probe(dj.Manual):
        definition = """
        -> Session
        probe : int16
        """

    @schema
    class Session(dj.Manual):  # noqa: F811  (re-decorated: declares the new part)
        definition = "session : int32"

        class Insertion(dj.Part):
            definition = """
            -> master
            -> Probe
            """

    Session.insert({"session": s} for s in (1, 2))
    Probe.insert({"session": s, "probe": 1} for s in (1, 2))
    Session.Insertion.insert({"session": s, "probe": 1} for s in (1, 2))
    deps = schema.connection.dependencies
    deps.load([schema.database])
    order = [n.split(".")[1] for n in deps.topo_sort() if n.startswith(schema.database + ".")]
    assert order.index("probe") < order.index("session__insertion")
    assert (Session & {"session": 1}).delete(prompt=False) == 1
    assert [len(t()) for t in (Session, Probe, Session.Insertion)] == [1, 1, 1]
    Session.drop(prompt=False)
    assert not Probe().is_declared and not Session.Insertion().is_declared


def test_drop_removes_the_jobs_table(rich, schema):
    Rich, _ = rich
    Rich.populate(reserve_jobs=True)
    connection = schema.connection
    connection.invalidate(schema.database)
    assert "~~rich" in connection.catalog.tables(schema.database)
    Rich.drop(prompt=False)
    connection.invalidate(schema.database)
    tables = connection.catalog.tables(schema.database)
    assert "~~rich" not in tables and "__rich" not in tables and "child" not in tables


def test_seed_restricted_by_an_ancestor(pipe):
    before = counts(pipe)
    seed = pipe.Scan & (pipe.Subject & {"subject_id": 2}) & {"scan_id": 2}
    assert seed.delete(prompt=False) == 2
    assert lost(before, counts(pipe)) == {"Scan": 2, "Channel": 6, "Analysis": 2}


def test_prompt_without_transaction_deletes_without_asking(pipe, monkeypatch, capsys):
    monkeypatch.setattr(dj.utils, "input", lambda _: pytest.fail("asked"), raising=False)
    before = counts(pipe)
    assert (pipe.Obs & {"obs_id": 4}).delete(prompt=True, transaction=False) == 1
    assert "`obs`: 1 rows" in capsys.readouterr().out
    assert lost(before, counts(pipe)) == {"Obs": 1, "Follow": 1}


def test_diamond_cascade(schema):
    @schema
    class Root(dj.Manual):
        definition = "root : int32"

    @schema
    class Left(dj.Manual):
        definition = """
        -> Root
        left : int16
        """

    @schema
    class Right(dj.Manual):
        definition = """
        right : int16
        ---
        -> Root
        """

    @schema
    class Join(dj.Manual):
        definition = """
        -> Left
        -> Right
        """

    Root.insert({"root": r} for r in (1, 2))
    Left.insert({"root": r, "left": 1} for r in (1, 2))
    Right.insert({"right": r, "root": r} for r in (1, 2))
    # join rows crossing the two roots: reached from root 1 through either side
    Join.insert({"root": a, "left": 1, "right": b} for a in (1, 2) for b in (1, 2))
    assert (Root & {"root": 1}).delete(prompt=False) == 1
    assert Join.to_dicts() == [{"root": 2, "left": 1, "right": 2}]
    assert len(Left()) == 1 and len(Right()) == 1


def test_drop_of_a_missing_table_does_nothing(schema, caplog):
    @schema
    class Gone(dj.Manual):
        definition = "gone : int32"

    Gone.drop_quick()
    Gone.drop(prompt=False)  # already gone: logged, no error
    assert not Gone().is_declared
