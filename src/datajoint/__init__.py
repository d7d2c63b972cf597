"""DataJoint 2.0: scientific data pipelines on the relational model.

``import datajoint as dj`` gives the public API; heavy optional modules load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import errors
from .blob import MatCell, MatStruct
from .codecs import Codec, SchemaCodec, get_codec, list_codecs
from .connection import Connection, conn
from .errors import DataJointError, ThreadSafetyError
from .heading import Heading
from .log import logger
from .populate.autopopulate import AutoPopulate, Computed, Imported
from .populate.jobs import Job
from .query.conditions import AndList, Not, Top
from .query.expression import QueryExpression
from .query.universal import U
from .schema import Instance, Schema, VirtualModule, list_schemas, virtual_schema
from .settings import config
from .storage.refs import NpyRef, ObjectRef
from .store_config import StorageAdapter, get_storage_adapter
from .table.insert import ValidationResult
from .table.table import FreeTable, Table
from .table.tiers import Lookup, Manual, Part

__version__ = "2.0.0"

__all__ = [
    "AndList",
    "AutoPopulate",
    "Codec",
    "Computed",
    "Connection",
    "DataJointError",
    "Diagram",
    "FreeTable",
    "Heading",
    "Imported",
    "Instance",
    "Job",
    "Lookup",
    "Manual",
    "MatCell",
    "MatStruct",
    "Not",
    "NpyRef",
    "ObjectRef",
    "Part",
    "QueryExpression",
    "Schema",
    "SchemaCodec",
    "StorageAdapter",
    "Table",
    "ThreadSafetyError",
    "Top",
    "U",
    "ValidationResult",
    "VirtualModule",
    "__version__",
    "clone",
    "config",
    "conn",
    "errors",
    "export",
    "get_codec",
    "get_storage_adapter",
    "list_codecs",
    "list_schemas",
    "logger",
    "publish",
    "virtual_schema",
]


_PORTABLE = ("clone", "export", "publish")


def __getattr__(name: str) -> Any:
    if name == "cli":
        from .cli import cli

        return cli
    if name in ("gc", "migrate"):  # garbage collection, 0.14 migration: imported on use
        return importlib.import_module(f".{name}", __name__)
    if name in _PORTABLE:  # Parquet publications and portable subsets, imported on use
        return getattr(importlib.import_module(".portable", __name__), name)
    if name in ("Diagram", "diagram"):
        module = importlib.import_module(".diagram", __name__)
        return module if name == "diagram" else module.Diagram
    raise AttributeError(f"module 'datajoint' has no attribute {name!r}")
