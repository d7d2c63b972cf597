"""User-defined properties of table classes read on the class as on an instance, and
``help``/``inspect`` work on declared tables (issue 14 point 2)."""

from __future__ import annotations

import inspect
import pydoc

import pytest

import datajoint as dj


@pytest.fixture
def pipeline(schema):
    @schema
    class Color(dj.Lookup):
        definition = """
        color : varchar(16)
        ---
        code : int16
        """

        @property
        def contents(self):
            return [("red", 1), ("blue", 2)]

    @schema
    class Recording(dj.Manual):
        definition = """
        recording : int32
        ---
        -> Color
        """

        class Channel(dj.Part):
            definition = """
            -> master
            channel : int16
            """

    @schema
    class Stat(dj.Computed):
        definition = """
        -> Recording
        ---
        mean : float64
        """

        @property
        def key_source(self):
            return Recording & "recording > 1"

        @property
        def label(self):
            """A user property that reads the table."""
            return f"{type(self).__name__}: {len(self)} rows"

        @label.setter
        def label(self, value):
            self.__dict__["label_set"] = value

        def make(self, key):
            self.insert1({**key, "mean": 0.5})

    Recording.insert([{"recording": r, "color": "red"} for r in (1, 2, 3)])
    return Color, Recording, Stat


def test_lookup_contents_property(pipeline):
    Color, _, _ = pipeline
    assert Color.to_dicts() == [{"color": "blue", "code": 2}, {"color": "red", "code": 1}]
    assert Color.contents == [("red", 1), ("blue", 2)]


def test_key_source_property_on_the_class(pipeline):
    _, _, Stat = pipeline
    assert len(Stat.key_source) == 2
    assert Stat.key_source.keys() == [{"recording": 2}, {"recording": 3}]
    assert Stat.progress() == (2, 2)
    assert Stat.populate()["success_count"] == 2
    assert Stat.progress() == (0, 2)


def test_other_user_properties_on_the_class(pipeline):
    _, _, Stat = pipeline
    assert Stat.label == "Stat: 0 rows"
    instance = Stat()
    instance.label = "set"  # the setter still runs on instances
    assert instance.__dict__["label_set"] == "set"
    assert isinstance(inspect.getattr_static(Stat, "label"), property)
    assert Stat.__dict__["label"].__doc__ == "A user property that reads the table."


def test_part_master_on_the_class(pipeline):
    _, Recording, _ = pipeline
    assert Recording.Channel.master is Recording
    assert Recording.Channel().master is Recording


def test_help_and_inspect(pipeline):
    Color, Recording, Stat = pipeline
    for cls in (Color, Recording, Recording.Channel, Stat, dj.Computed, dj.Part, dj.Table):
        text = pydoc.render_doc(cls)
        assert cls.__name__ in text
        members = dict(inspect.getmembers(cls))
        assert "insert" in members
    for cls in (dj.FreeTable, dj.Job, dj.Schema):  # classes built with arguments
        assert cls.__name__ in pydoc.render_doc(cls)
        assert inspect.getmembers(cls)
    assert "mean : float64" in pydoc.render_doc(Stat)  # the definition is in the docstring
    assert dict(inspect.getmembers(Stat))["key_source"].keys() == Stat.key_source.keys()
    assert inspect.signature(Stat.populate).parameters


def test_unbound_classes_answer_hasattr(schema):
    class Later(dj.Manual):
        definition = "later : int32"

    assert not hasattr(Later, "heading")
    with pytest.raises(dj.errors.UnboundTableError, match="not properly configured"):
        Later.heading  # noqa: B018
    with pytest.raises(dj.DataJointError):
        Later.to_dicts()
    schema(Later)
    assert Later.heading.names == ["later"]
