"""Shared fixtures (see tests/support/) and a per-backend summary at the end of the run."""

import collections
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from support.backends import (  # noqa: F401
    BACKENDS,
    _connections,
    backend_name,
    connection,
    schema,
)
from support.sql import count_queries  # noqa: F401
from support.stores import s3_server, store, store_kind  # noqa: F401

_backend_of: dict[str, str] = {}
_outcomes: dict[str, collections.Counter] = {name: collections.Counter() for name in BACKENDS}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "backend_name" in callspec.params:
            _backend_of[item.nodeid] = callspec.params["backend_name"]


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    name = _backend_of.get(report.nodeid)
    if name is None:
        return
    if report.when == "call":
        _outcomes[name][report.outcome] += 1
    elif report.when == "setup" and report.outcome != "passed":
        _outcomes[name]["skipped" if report.skipped else "errors"] += 1


def pytest_terminal_summary(terminalreporter) -> None:
    terminalreporter.section("tests per backend")
    for name in BACKENDS:
        counts = _outcomes[name]
        text = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "none run"
        terminalreporter.write_line(f"{name:>10}: {text}")
