"""Cascading delete (spec 04 §4) on the three-schema pipeline of conftest.py."""

from __future__ import annotations

import pytest
from manipulation_pipeline import counts

import datajoint as dj
from datajoint.table import delete as delete_module
from support.backends import second_connection


def lost(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: before[k] - after[k] for k in before if before[k] != after[k]}


def test_subtree_across_three_schemas(pipe):
    before = counts(pipe)
    assert (pipe.Subject & {"subject_id": 1}).delete(prompt=False) == 1
    assert lost(before, counts(pipe)) == {
        "Subject": 1,
        "Session": 2,
        "Scan": 4,
        "Channel": 12,
        "Analysis": 4,
        "Obs": 2,  # renamed secondary foreign key (F2)
        "Follow": 2,
        "Link": 1,  # nullable secondary foreign key into a part
    }
    assert not (pipe.Scan & {"subject_id": 1})
    assert len(pipe.Scan & {"subject_id": 2}) == 4


def test_restricted_seed_below_the_root(pipe):
    before = counts(pipe)
    assert (pipe.Session & "session_id = 2").delete(prompt=False) == 3
    assert lost(before, counts(pipe)) == {"Session": 3, "Scan": 6, "Channel": 18, "Analysis": 6}


def test_unrestricted_delete_keeps_rows_with_null_references(pipe):
    before = counts(pipe)
    assert pipe.Subject.delete(prompt=False) == 3
    after = counts(pipe)
    assert lost(before, after) == {
        "Subject": 3,
        "Session": 6,
        "Scan": 12,
        "Channel": 36,
        "Analysis": 12,
        "Obs": 4,
        "Follow": 4,
        "Link": 2,
    }
    assert pipe.Link.to_dicts()[0]["link_id"] == 3


def test_renamed_foreign_key(pipe):
    before = counts(pipe)
    (pipe.Subject & {"subject_id": 2}).delete(prompt=False)
    changes = lost(before, counts(pipe))
    assert changes["Obs"] == 1 and changes["Follow"] == 1
    assert {r["obs_id"] for r in pipe.Obs.to_dicts()} == {1, 2, 4}


def test_delete_through_top_deletes_only_selected_rows(pipe):
    assert (pipe.Subject & dj.Top(1, "subject_id DESC")).delete(prompt=False) == 1
    assert [r["subject_id"] for r in pipe.Subject.to_dicts()] == [1, 2]
    assert len(pipe.Session()) == 4


def test_schemas_never_activated_are_found(pipe, backend_name, tmp_path_factory):
    other = second_connection(pipe.connection, tmp_path_factory)
    try:
        subject = dj.FreeTable(other, f"{pipe.Subject.database}.subject")
        assert (subject & {"subject_id": 3}).delete(prompt=False) == 1
    finally:
        other.close()
    assert len(pipe.Analysis()) == 8 and len(pipe.Follow()) == 3


def test_nothing_to_delete_returns_zero(pipe):
    before = counts(pipe)
    assert (pipe.Subject & {"subject_id": 99}).delete(prompt=False) == 0
    assert counts(pipe) == before


def test_bad_part_integrity_is_refused_first(pipe):
    before = counts(pipe)
    with pytest.raises(ValueError, match="part_integrity must be"):
        pipe.Subject.delete(prompt=False, part_integrity="sometimes")
    assert counts(pipe) == before


def test_direct_part_delete_is_refused(pipe):
    before = counts(pipe)
    with pytest.raises(dj.DataJointError, match="part_integrity"):
        pipe.Channel.delete(prompt=False)
    with pytest.raises(dj.DataJointError, match="master"):
        (pipe.Channel & {"channel": 1}).delete(prompt=False)
    assert counts(pipe) == before


def test_part_deleted_before_master_rolls_back(pipe):
    before = counts(pipe)
    with pytest.raises(dj.DataJointError, match="before its master") as info:
        (pipe.Ext & {"ext_id": 1}).delete(prompt=False)
    assert "part_a" in str(info.value) and "master" in str(info.value)
    assert counts(pipe) == before


def test_part_check_happens_first_without_transaction(pipe):
    before = counts(pipe)
    with pytest.raises(dj.DataJointError, match="before its master"):
        (pipe.Ext & {"ext_id": 1}).delete(prompt=False, transaction=False)
    assert counts(pipe) == before


def test_part_integrity_ignore(pipe):
    before = counts(pipe)
    assert pipe.Channel.delete(prompt=False, part_integrity="ignore") == 36
    assert lost(before, counts(pipe)) == {"Channel": 36, "Link": 2}


def test_part_integrity_cascade_deletes_whole_masters(pipe):
    before = counts(pipe)
    assert (pipe.Ext & {"ext_id": 1}).delete(prompt=False, part_integrity="cascade") == 1
    assert [r["master_id"] for r in pipe.Master.to_dicts()] == [3]
    assert lost(before, counts(pipe)) == {"Ext": 1, "Master": 2, "PartA": 3, "PartB": 6}


def test_part_of_part_cascade_reaches_master(pipe):
    before = counts(pipe)
    seed = pipe.PartB & {"master_id": 1}
    assert seed.delete(prompt=False, part_integrity="cascade") == 2
    assert [r["master_id"] for r in pipe.Master.to_dicts()] == [2, 3]
    assert lost(before, counts(pipe)) == {"Master": 1, "PartA": 1, "PartB": 2}


def test_master_delete_removes_parts(pipe):
    before = counts(pipe)
    assert (pipe.Master & {"master_id": 2}).delete(prompt=False) == 1
    assert lost(before, counts(pipe)) == {"Master": 1, "PartA": 2, "PartB": 4}


def test_failure_in_the_middle_leaves_every_table_unchanged(pipe, monkeypatch):
    before = counts(pipe)
    real = delete_module._delete_rows
    calls = []

    def failing(connection, node, restricted):
        calls.append(node)
        if len(calls) == 4:
            raise dj.errors.QueryError("simulated failure")
        return real(connection, node, restricted)

    monkeypatch.setattr(delete_module, "_delete_rows", failing)
    with pytest.raises(dj.errors.QueryError, match="simulated"):
        (pipe.Subject & {"subject_id": 1}).delete(prompt=False)
    assert len(calls) == 4
    assert not pipe.connection.in_transaction
    assert counts(pipe) == before


def test_prompt_no_rolls_back_and_yes_commits(pipe, monkeypatch, capsys):
    before = counts(pipe)
    answers = iter(["maybe", ""])
    monkeypatch.setattr(dj.utils, "input", lambda _: next(answers), raising=False)
    assert (pipe.Subject & {"subject_id": 1}).delete(prompt=True) == 0
    assert counts(pipe) == before
    shown = capsys.readouterr().out
    assert "subject`: 1 rows" in shown and "scan__channel`: 12 rows" in shown
    monkeypatch.setattr(dj.utils, "input", lambda _: "yes", raising=False)
    assert (pipe.Subject & {"subject_id": 1}).delete(prompt=True) == 1
    assert len(pipe.Subject()) == 2


def test_safemode_is_the_default_prompt(pipe, monkeypatch):
    monkeypatch.setattr(dj.utils, "input", lambda _: "no", raising=False)
    with dj.config.override(safemode=True):
        assert (pipe.Subject & {"subject_id": 1}).delete() == 0
    with dj.config.override(safemode=False):
        assert (pipe.Subject & {"subject_id": 1}).delete() == 1


def test_delete_joins_an_open_transaction(pipe):
    before = counts(pipe)
    connection = pipe.connection
    with pytest.raises(RuntimeError), connection.transaction:
        assert (pipe.Subject & {"subject_id": 1}).delete(prompt=False) == 1
        assert connection.in_transaction
        raise RuntimeError("abort")
    assert counts(pipe) == before
    with connection.transaction:
        (pipe.Subject & {"subject_id": 1}).delete(prompt=False)
    assert len(pipe.Subject()) == 2


def test_delete_with_prompt_inside_transaction_is_refused(pipe):
    connection = pipe.connection
    refused = pytest.raises(dj.DataJointError, match="transaction=False or prompt=False")
    with refused, connection.transaction:
        pipe.Subject.delete(prompt=True)


def test_delete_without_transaction(pipe):
    before = counts(pipe)
    assert (pipe.Subject & {"subject_id": 1}).delete(prompt=False, transaction=False) == 1
    assert lost(before, counts(pipe))["Channel"] == 12


def test_legacy_keywords(pipe):
    with pytest.warns(DeprecationWarning, match="safemode"):
        assert (pipe.Subject & {"subject_id": 1}).delete(safemode=False) == 1
    with pytest.warns(DeprecationWarning, match="force_masters"):
        (pipe.Ext & {"ext_id": 3}).delete(prompt=False, force_masters=True)
    assert [r["master_id"] for r in pipe.Master.to_dicts()] == [1, 2]
    with pytest.warns(DeprecationWarning), pytest.raises(dj.DataJointError, match="Conflicting"):
        pipe.Subject.delete(prompt=True, safemode=False)


def test_delete_quick(pipe):
    with pytest.raises(dj.errors.IntegrityError):
        (pipe.Subject & {"subject_id": 1}).delete_quick()
    assert (pipe.Follow & {"obs_id": 1}).delete_quick(get_count=True) == 1
    assert (pipe.Follow & {"obs_id": 1}).delete_quick() is None
    assert len(pipe.Follow()) == 3


def test_delete_on_class_and_part_returns_count(pipe):
    assert pipe.PartB.delete(prompt=False, part_integrity="ignore") == 8


def test_legacy_force_on_parts(pipe):
    with pytest.warns(DeprecationWarning, match="force"):
        assert pipe.PartB.delete(prompt=False, force=True) == 8
    with pytest.raises(TypeError, match="force"):
        pipe.Subject.delete(prompt=False, force=True)


def test_interrupt_at_the_prompt_rolls_back(pipe, monkeypatch):
    before = counts(pipe)

    def interrupt(_):
        raise KeyboardInterrupt

    monkeypatch.setattr(dj.utils, "input", interrupt, raising=False)
    with pytest.raises(KeyboardInterrupt):
        (pipe.Subject & {"subject_id": 1}).delete(prompt=True)
    assert not pipe.connection.in_transaction
    assert counts(pipe) == before
