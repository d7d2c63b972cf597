"""The running example of spec 03 §1.1 (schema ``lab``), declared once per backend."""

from __future__ import annotations

import datetime
import types

import pytest

import datajoint as dj
from support.backends import new_schema_name, open_connection


def declare_lab(connection: dj.Connection) -> types.SimpleNamespace:
    schema = dj.Schema(new_schema_name("djq"), connection=connection)

    @schema
    class Subject(dj.Manual):
        definition = """
        subject_id : int32
        ---
        species : varchar(30)
        sex : enum('M', 'F', 'U')
        """

    @schema
    class Rig(dj.Lookup):
        definition = """
        rig : varchar(8)
        ---
        room : int16
        """
        contents = [("A", 101), ("B", 102), ("C", 103)]

    @schema
    class Session(dj.Manual):
        definition = """
        -> Subject
        session_idx : int16
        ---
        session_date : date
        -> [nullable] Rig
        """

    @schema
    class Trial(dj.Manual):
        definition = """
        -> Session
        trial_idx : int32
        ---
        rt : float64
        correct : bool
        """

    @schema
    class Student(dj.Manual):
        definition = "id : int32\n---\nname : varchar(60)"

    @schema
    class Course(dj.Manual):
        definition = "id : int32\n---\ntitle : varchar(60)"

    @schema
    class Pet(dj.Manual):
        definition = "pet_id : int32\n---\nname : varchar(60)"

    @schema
    class Car(dj.Manual):
        definition = "car_id : int32\n---\ncar = null : json"

    Car.insert(
        [
            {"car_id": 1, "car": {"name": "Rav4", "length": 15.5, "lights": [{"side": "L"}]}},
            {"car_id": 2, "car": {"name": "Civic", "length": 14, "lights": [{"side": "R"}]}},
            {"car_id": 3, "car": {"length": 12}},
            {"car_id": 4, "car": None},
        ]
    )

    def rows(names: str, *values: tuple) -> list[dict]:
        return [dict(zip(names.split(), v, strict=True)) for v in values]

    Subject.insert(
        rows("subject_id species sex", (1, "mouse", "M"), (2, "mouse", "F"), (3, "rat", "F"))
    )
    Session.insert(
        rows(
            "subject_id session_idx session_date rig",
            (1, 1, datetime.date(2024, 1, 1), "A"),
            (1, 2, datetime.date(2024, 1, 2), "B"),
            (2, 1, datetime.date(2024, 1, 5), None),
        )
    )
    Trial.insert(
        rows(
            "subject_id session_idx trial_idx rt correct",
            (1, 1, 1, 0.5, True),
            (1, 1, 2, 0.7, False),
            (1, 2, 1, 0.4, True),
        )
    )
    Student.insert(rows("id name", (1, "Ann"), (2, "Bob")))
    Course.insert(rows("id title", (1, "Math"), (3, "Art")))
    Pet.insert(rows("pet_id name", (1, "Rex")))
    return types.SimpleNamespace(
        schema=schema, connection=connection, Subject=Subject, Rig=Rig, Session=Session,
        Trial=Trial, Car=Car, Student=Student, Course=Course, Pet=Pet,
    )  # fmt: skip


@pytest.fixture(scope="session")
def lab(backend_name: str, tmp_path_factory) -> types.SimpleNamespace:
    """The populated running example on the current backend (read-only for tests).

    It has a connection of its own, so tests that close the shared one do not affect it.
    """
    connection = open_connection(backend_name, tmp_path_factory)
    ns = declare_lab(connection)
    yield ns
    ns.schema.drop(prompt=False)
    connection.close()
