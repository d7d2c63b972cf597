"""Tables bound on import, for Dask workers (which import this module to resolve a task's table).

The environment variable ``DJ_DASK_TEST`` (set before the cluster starts) names a file holding
``backend|host|port|user|password|path|schema|log folder``; each worker process imports this
module and opens its own connection. Tests rewrite the file and drop the module from the
workers' ``sys.modules`` to bind it to another schema.

``make`` appends one line per call to ``<log folder>/calls`` (so the test can count the calls
made in every process), fails for ``n == FAIL``, and kills its own worker process the first
time it makes ``n == KILL`` (after inserting its row, before the commit).
"""

from __future__ import annotations

import os
import pathlib
import signal

import datajoint as dj
from support.backends import connect_with

FAIL = 5
KILL = 3

*_fields, _schema, _log = pathlib.Path(os.environ["DJ_DASK_TEST"]).read_text().split("|")
LOG = pathlib.Path(_log)
connection = connect_with(_fields)
schema = dj.Schema(_schema, connection=connection)


@schema
class Number(dj.Lookup):
    definition = """
    n : int16
    """
    contents = [(i,) for i in range(1, 9)]


@schema
class Square(dj.Computed):
    definition = """
    -> Number
    ---
    square : int32
    pid : int32
    """

    def make(self, key):
        n = key["n"]
        with open(LOG / "calls", "a") as log:
            log.write(f"{n} {os.getpid()}\n")
        if n == FAIL:
            raise ValueError(f"cannot square {n}")
        self.insert1({**key, "square": n * n, "pid": os.getpid()})
        marker = LOG / "killed"
        if n == KILL and not marker.exists():
            marker.write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)  # the worker dies holding the reservation
