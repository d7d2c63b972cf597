"""A column of large values encoded or decoded on several threads.

zlib and the content hash, which dominate for large values, run without the GIL. Each task runs
in a copy of the caller's context, so what a codec records there (the objects an insert wrote
to a store, to be removed if the insert fails) is recorded for the caller.
"""

from __future__ import annotations

import contextvars
import itertools
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

PARALLEL_BYTES = 1 << 20  # a column with less data than this is done in the calling thread,
PARALLEL_VALUE_BYTES = 1 << 18  # as is one of smaller values (their Python work holds the GIL)

_pool: list[Any] = [None, 0]  # the executor and the process it was made in (not shared by forks)


def map_values(function: Callable[[Any], Any], values: Sequence[Any], size: int) -> list[Any]:
    """``function`` of every value, in order; on worker threads when the column holds at least
    ``PARALLEL_BYTES`` (``size``) in two values or more, ``PARALLEL_VALUE_BYTES`` per value on
    average. The first exception is raised."""
    workers = min(8, os.cpu_count() or 1)
    if (
        len(values) < 2
        or size < PARALLEL_BYTES
        or size < PARALLEL_VALUE_BYTES * len(values)
        or workers < 2
    ):
        return [function(v) for v in values]
    executor, pid = _pool
    if executor is None or pid != os.getpid():
        executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="datajoint-codec")
        _pool[:] = [executor, os.getpid()]
    context = contextvars.copy_context()
    parts = min(workers, len(values))  # one task per thread: no per-value overhead
    bounds = [len(values) * i // parts for i in range(parts + 1)]

    def run(lo: int, hi: int) -> list[Any]:
        return [function(v) for v in values[lo:hi]]

    futures = [
        executor.submit(context.copy().run, run, lo, hi) for lo, hi in itertools.pairwise(bounds)
    ]
    return [result for future in futures for result in future.result()]
