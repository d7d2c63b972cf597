"""JSON-path index parts (spec 01 §6) on every backend."""

import pytest

import datajoint as dj

CAR = """
car_id : int
---
car : json
unique index (car.name:varchar(20))
index (car.spec.year:int32, car_id)
"""


def declare_car(schema: dj.Schema) -> type:
    class Car(dj.Manual):
        definition = CAR

    return schema(Car)


def test_json_path_index_is_enforced_and_described(schema, backend_name):
    if backend_name == "mysql" and schema.connection.adapter.is_mariadb:
        with pytest.raises(dj.errors.DeclarationError, match="MariaDB cannot index the JSON path"):
            declare_car(schema)
        assert schema.list_tables() == []
        return
    Car = declare_car(schema)
    Car.insert1({"car_id": 1, "car": {"name": "beetle", "spec": {"year": 1960}}})
    assert len(Car.heading.indexes) == 2
    with pytest.raises(dj.errors.DuplicateError):
        Car.insert1({"car_id": 2, "car": {"name": "beetle", "spec": {"year": 1970}}})
    Car.insert1({"car_id": 2, "car": {"name": "golf", "spec": {"year": 1974}}})
    assert Car.keys() == [{"car_id": 1}, {"car_id": 2}]

    text = Car.describe()

    class Copy(dj.Manual):
        definition = text

    copy = schema(Copy)
    assert [(ix.parts, ix.unique) for ix in copy.heading.indexes] == [
        (ix.parts, ix.unique) for ix in Car.heading.indexes
    ]


def test_json_path_index_needs_a_json_attribute(schema):
    class Bad(dj.Manual):
        definition = """
        bad_id : int
        ---
        name : varchar(20)
        index (name.first)
        """

    with pytest.raises(dj.errors.DeclarationError, match="needs a json attribute `name`"):
        schema(Bad)
    assert schema.list_tables() == []
