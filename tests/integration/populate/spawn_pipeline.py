"""Tables bound on import, for workers started with ``spawn`` (spec 05 §4.5, §12.3).

The parent test sets ``DJ_SPAWN_TEST`` to ``backend|host|port|user|password|path|schema``
before importing this module; each spawned worker imports it again and opens its own
connection.
"""

from __future__ import annotations

import os

import datajoint as dj
from support.backends import connect_with

*_fields, _schema = os.environ["DJ_SPAWN_TEST"].split("|")
connection = connect_with(_fields)
schema = dj.Schema(_schema, connection=connection)


@schema
class Number(dj.Lookup):
    definition = """
    n : int16
    """
    contents = [(i,) for i in range(1, 7)]


@schema
class Square(dj.Computed):
    definition = """
    -> Number
    ---
    square : int32
    pid : int32
    """

    def make(self, key):
        self.insert1({**key, "square": key["n"] ** 2, "pid": os.getpid()})
