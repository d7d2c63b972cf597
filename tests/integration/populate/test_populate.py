"""populate() in direct mode, progress, key_source and the make() forms (spec 05 §2-§6)."""

from __future__ import annotations

import pytest

import datajoint as dj
from datajoint.errors import DataJointError


def test_worked_example_direct(pipeline) -> None:
    Doubled = pipeline.Doubled
    assert Doubled.progress() == (3, 3)
    with pytest.raises(ValueError, match="bad value"):
        Doubled.populate()
    assert len(Doubled()) == 1  # key 1 committed, key 2 rolled back (master and parts)
    assert len(Doubled.Item()) == 2
    assert Doubled.progress() == (2, 3)
    result = Doubled.populate(suppress_errors=True)
    assert result == {
        "success_count": 1,
        "error_list": [({"source_id": 2}, "ValueError: bad value")],
    }
    assert len(Doubled.Item()) == 4
    assert Doubled.progress() == (1, 3)
    assert Doubled.progress({"source_id": 1}) == (0, 1)
    result = Doubled.populate(suppress_errors=True, return_exception_objects=True)
    ((key, exc),) = result["error_list"]
    assert key == {"source_id": 2} and isinstance(exc, ValueError)
    Doubled.fail_on = None
    assert Doubled.populate() == {"success_count": 1, "error_list": []}
    assert Doubled.populate() == {"success_count": 0, "error_list": []}
    assert Doubled.progress() == (0, 3)


def test_options(pipeline) -> None:
    Doubled, calls = pipeline.Doubled, pipeline.calls
    Doubled.fail_on = None
    assert Doubled.populate(max_calls=1)["success_count"] == 1
    assert calls == [{"source_id": 1}]
    with pytest.warns(DeprecationWarning):
        Doubled.populate(order="reverse", limit=1)
    assert calls[-1] == {"source_id": 3}
    Doubled.populate("source_id = 2", make_kwargs={"offset": 0.5})
    assert (Doubled & {"source_id": 2}).fetch1("result") == 4.5
    assert len(calls) == 3


def test_restrictions(pipeline) -> None:
    Doubled, Source = pipeline.Doubled, pipeline.Source
    Doubled.fail_on = None
    assert Doubled.populate({"source_id": 3})["success_count"] == 1
    assert Doubled.populate(Source & "value < 2", "source_id > 0")["success_count"] == 1
    assert Doubled.populate([{"source_id": 1}, {"source_id": 2}])["success_count"] == 1
    assert len(Doubled()) == 3


def test_refusals(pipeline, connection) -> None:
    Doubled = pipeline.Doubled
    with pytest.raises(DataJointError, match="restricted"):
        (Doubled & {"source_id": 1}).populate()
    with connection.transaction, pytest.raises(DataJointError, match="transaction"):
        Doubled.populate()
    with pytest.raises(DataJointError, match="allow_direct_insert"):
        Doubled.insert1({"source_id": 1, "result": 0})

    @pipeline.schema
    class NoMake(dj.Computed):
        definition = """
        -> pipeline.Source
        ---
        x : int32
        """

    with pytest.raises(NotImplementedError, match="make"):
        NoMake.populate(reserve_jobs=True)
    assert "~~no_make" not in connection.catalog.tables(pipeline.schema.database) or (
        len(NoMake.jobs) == 0
    )


def test_key_source_override(pipeline) -> None:
    Source = pipeline.Source

    @pipeline.schema
    class Big(dj.Computed):
        definition = """
        -> Source
        ---
        twice : float64
        """

        @property
        def key_source(self):
            return Source & "value > 1.5"

        def make(self, key):
            self.insert1({**key, "twice": 2 * (Source & key).fetch1("value")})

    assert Big.progress() == (2, 2)
    assert Big.populate()["success_count"] == 2
    assert Big.progress() == (0, 2)

    class Broken(Big):
        key_source = 42

    with pytest.raises(DataJointError, match="query expression"):
        Broken.populate()


def test_antijoin_ignores_secondary_attributes(schema) -> None:
    @schema
    class Raw(dj.Manual):
        definition = """
        raw_id : int16
        ---
        note : varchar(20)
        """

    @schema
    class Clean(dj.Computed):
        definition = """
        -> Raw
        ---
        note : varchar(20)
        """

        @property
        def key_source(self):
            return Raw()  # carries `note`, like the target

        def make(self, key):
            self.insert1({**key, "note": "different"})

    Raw.insert([{"raw_id": 1, "note": "a"}, {"raw_id": 2, "note": "b"}])
    assert Clean.populate()["success_count"] == 2
    assert Clean.progress() == (0, 2)
    assert Clean.populate()["success_count"] == 0


def test_three_part_methods(pipeline, connection) -> None:
    Source = pipeline.Source
    seen = []

    @pipeline.schema
    class Slow(dj.Computed):
        definition = """
        -> Source
        ---
        result : float64
        """

        def make_fetch(self, key, scale=1):
            return ((Source & key).fetch1("value") * scale,)

        def make_compute(self, key, value):
            seen.append(connection.in_transaction)
            return (value + 1,)

        def make_insert(self, key, result):
            seen.append(connection.in_transaction)
            self.insert1({**key, "result": result})

    assert Slow.populate(make_kwargs={"scale": 10})["success_count"] == 3
    assert seen == [False, True] * 3
    assert sorted(Slow.to_arrays("result")) == [11.0, 21.0, 31.0]


def test_three_part_refetch_changed(pipeline, connection, tmp_path_factory, backend_name) -> None:
    from support.backends import second_connection

    other = second_connection(connection, tmp_path_factory)  # on SQLite, the same file
    Source = pipeline.Source
    source_other = dj.FreeTable(other, Source.full_table_name)

    @pipeline.schema
    class Checked(dj.Computed):
        definition = """
        -> Source
        ---
        result : float64
        """

        def make_fetch(self, key):
            return [(Source & key).fetch1("value")]

        def make_compute(self, key, value):
            if key["source_id"] == 1:  # upstream changes while computing
                source_other.update1({"source_id": 1, "value": 10.0})
            return [value]

        def make_insert(self, key, value):
            self.insert1({**key, "result": value})

    result = Checked.populate(suppress_errors=True)
    other.close()
    assert result["success_count"] == 2
    ((key, message),) = result["error_list"]
    assert key == {"source_id": 1} and "changed" in message
    assert Checked.populate()["success_count"] == 1  # retried with the new data
    assert (Checked & {"source_id": 1}).fetch1("result") == 10.0


def test_generator_make(pipeline) -> None:
    Source = pipeline.Source
    phases = []

    @pipeline.schema
    class Gen(dj.Computed):
        definition = """
        -> Source
        ---
        result : float64
        """

        def make(self, key):
            value = (Source & key).fetch1("value")
            computed = yield (value,)
            if computed is None:
                phases.append("compute")
                computed = (value * 3,)
                yield computed
            phases.append("insert")
            self.insert1({**key, "result": computed[0]})
            if key["source_id"] != 3:
                yield  # key 3 returns instead of a final yield: accepted

    assert Gen.populate()["success_count"] == 3
    assert phases == ["compute", "insert"] * 3
    assert sorted(Gen.to_arrays("result")) == [3.0, 6.0, 9.0]

    @pipeline.schema
    class Bare(dj.Computed):
        definition = """
        -> Source
        ---
        result : float64
        """

        def make(self, key):
            yield
            yield
            self.insert1({**key, "result": 0})

    with pytest.raises(DataJointError, match="None"):
        Bare.populate()
    assert len(Bare()) == 0


def test_bad_three_part_return(pipeline) -> None:
    @pipeline.schema
    class Wrong(dj.Computed):
        definition = """
        -> pipeline.Source
        ---
        result : float64
        """

        def make_fetch(self, key):
            return {"a": 1}

        def make_compute(self, key, a):
            return (1,)

        def make_insert(self, key, result):
            self.insert1({**key, "result": result})

    with pytest.raises(DataJointError, match="make_fetch must return a tuple or list"):
        Wrong.populate()


def test_processes(pipeline) -> None:
    Doubled = pipeline.Doubled
    Doubled.fail_on = None
    result = Doubled.populate(processes=2)
    assert result == {"success_count": 3, "error_list": []}
    assert len(Doubled()) == 3 and len(Doubled.Item()) == 6
    assert Doubled.progress() == (0, 3)  # the parent reconnected


def test_processes_errors(pipeline) -> None:
    Doubled = pipeline.Doubled
    result = Doubled.populate(processes=None, suppress_errors=True)
    assert result["success_count"] == 2
    assert result["error_list"] == [({"source_id": 2}, "ValueError: bad value")]
    with pytest.raises(ValueError, match="bad value"):
        Doubled.populate(processes=2)


def test_job_metadata(schema, connection) -> None:
    with dj.config.override(jobs={"add_job_metadata": True}):

        @schema
        class Src(dj.Manual):
            definition = """
            src : int16
            """

        @schema
        class Analysis(dj.Computed):
            definition = """
            -> Src
            ---
            result : float32
            """

            def make(self, key):
                self.insert1({**key, "result": 1.5})

    Src.insert([{"src": i} for i in range(3)])
    Analysis.populate()
    q = connection.adapter.quote
    rows = connection.query(
        f"SELECT {q('_job_start_time')}, {q('_job_duration')}, {q('_job_version')} "
        f"FROM {Analysis.full_table_name}",
        None,
    ).fetchall()
    assert len(rows) == 3
    assert all(r[0] is not None and r[1] is not None and r[1] >= 0 for r in rows)
    assert all("_job_start_time" not in row for row in Analysis.to_dicts())


def test_progress_display_and_bar(pipeline, caplog) -> None:
    Doubled = pipeline.Doubled
    Doubled.fail_on = None
    with caplog.at_level("INFO", logger="datajoint"):
        assert Doubled.progress(display=True) == (3, 3)
    assert "Completed 0 of 3 (0.0%)" in caplog.text
    assert Doubled.populate(display_progress=True)["success_count"] == 3


def test_interrupt_always_reraised_direct(pipeline) -> None:
    Doubled = pipeline.Doubled

    def make(self, key):
        self.insert1({**key, "result": 0})
        raise KeyboardInterrupt

    Doubled.make = make
    with pytest.raises(KeyboardInterrupt):
        Doubled.populate(suppress_errors=True)
    assert len(Doubled()) == 0


def test_renamed_parent_and_native_key(schema) -> None:
    @schema
    class Subject(dj.Manual):
        definition = """
        subject_id : int32
        """

    @schema
    class Experiment(dj.Manual):
        definition = """
        -> Subject
        experiment_id : int16
        """

    with dj.config.override(jobs={"allow_new_pk_fields_in_computed_tables": True}):

        @schema
        class Trial(dj.Computed):
            definition = """
            -> Experiment.proj(animal='subject_id')
            trial_id : int16
            ---
            score : float64
            """

            def make(self, key):
                self.insert([{**key, "trial_id": t, "score": 0.5} for t in range(3)])

    Subject.insert([{"subject_id": 1}, {"subject_id": 2}])
    Experiment.insert([{"subject_id": s, "experiment_id": e} for s in (1, 2) for e in (1, 2)])
    assert Trial.key_source.primary_key == ["animal", "experiment_id"]
    assert Trial.progress() == (4, 4)
    assert Trial.populate(reserve_jobs=True)["success_count"] == 4
    assert len(Trial()) == 12 and Trial.progress() == (0, 4)
    assert Trial.jobs.primary_key == ["animal", "experiment_id"]

    @schema
    class Free(dj.Computed):
        definition = """
        -> Subject
        ---
        x : int16
        """

        @property
        def key_source(self):
            return Experiment()  # experiment_id is not an attribute of Free

        def make(self, key):
            pass

    with pytest.raises(DataJointError, match="experiment_id"):
        Free.populate()


def test_insert_permission_is_per_thread(pipeline) -> None:
    import threading

    Doubled = pipeline.Doubled
    Doubled.fail_on = None
    outcome: list = []
    original = Doubled.make

    def make(self, key):
        def other_thread() -> None:
            try:
                Doubled().insert1({"source_id": 3, "result": 0})
            except DataJointError as exc:
                outcome.append(exc)

        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
        original(self, key)

    Doubled.make = make
    assert Doubled.populate({"source_id": 1})["success_count"] == 1
    assert len(outcome) == 1 and "allow_direct_insert" in str(outcome[0])
    assert not Doubled()._allow_insert


def test_legacy_make_tuples(pipeline) -> None:
    @pipeline.schema
    class Legacy(dj.Computed):
        definition = """
        -> pipeline.Source
        """

        def _make_tuples(self, key):
            self.insert1(key)

    assert Legacy.populate()["success_count"] == 3


def test_upstream_trace(schema) -> None:
    @schema
    class Subject(dj.Manual):
        definition = """
        subject_id : int32
        ---
        name : varchar(16)
        """

    @schema
    class Session(dj.Manual):
        definition = """
        -> Subject
        session : int16
        """

    @schema
    class Other(dj.Manual):
        definition = """
        other : int16
        """

    seen: dict = {}

    @schema
    class Summary(dj.Computed):
        definition = """
        -> Session.proj(subj='subject_id')
        ---
        n : int32
        """

        def make(self, key):
            trace = self.upstream
            assert self.upstream is trace  # built once per key
            seen[key["subj"], key["session"]] = (
                trace[Subject].to_dicts(),
                trace[Session.full_table_name].keys(),
            )
            with pytest.raises(DataJointError, match="not in this trace"):
                trace[Other]
            self.insert1({**key, "n": 1})

    Subject.insert([{"subject_id": 1, "name": "a"}, {"subject_id": 2, "name": "b"}])
    Session.insert([{"subject_id": s, "session": n} for s in (1, 2) for n in (1, 2)])
    with pytest.raises(DataJointError, match="only available inside make"):
        _ = Summary().upstream
    assert Summary.populate()["success_count"] == 4
    subjects, sessions = seen[2, 1]
    assert subjects == [{"subject_id": 2, "name": "b"}]
    assert sessions == [{"subject_id": 2, "session": 1}]
    with pytest.raises(DataJointError, match="only available inside make"):
        _ = Summary().upstream
