"""Database backends: the only place that knows SQL dialects and drivers."""

from __future__ import annotations

import importlib
from typing import cast

from ..errors import DataJointError
from .base import Backend

_MODULES = {
    "sqlite": ("sqlite", "SQLiteBackend", None),
    "mysql": ("mysql", "MySQLBackend", "mysql"),
    "postgresql": ("postgres", "PostgresBackend", "postgres"),
    "postgres": ("postgres", "PostgresBackend", "postgres"),
}


def get_backend(name: str) -> Backend:
    """A new backend adapter by name (``sqlite``, ``mysql``, ``postgresql``).

    Backend modules load on first use, so a missing optional driver only matters when its
    backend is chosen.
    """
    try:
        module_name, class_name, extra = _MODULES[name]
    except KeyError:
        raise DataJointError(
            f"Unknown database backend {name!r}: use 'sqlite', 'mysql' or 'postgresql'."
        ) from None
    try:
        module = importlib.import_module(f"{__name__}.{module_name}")
    except ImportError as exc:
        raise ImportError(
            f"The {name} backend needs its driver: pip install 'datajoint[{extra}]' ({exc})"
        ) from exc
    backend_class = cast("type[Backend]", getattr(module, class_name))
    return backend_class()
