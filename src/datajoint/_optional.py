"""Import optional dependencies on first use, with an install hint when missing."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


def require(module_name: str, extra: str) -> ModuleType:
    """Import and return ``module_name``, or explain which extra provides it.

    Parameters
    ----------
    module_name : dotted module name, e.g. ``"pymysql"`` or ``"pyarrow.parquet"``.
    extra : the ``datajoint`` extra that installs it, e.g. ``"mysql"``.

    Raises
    ------
    ImportError
        The module (or one of its parent packages) is not installed; the message names
        ``pip install datajoint[<extra>]``. Import errors raised *inside* an installed module
        propagate unchanged.
    """
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        parts = module_name.split(".")
        missing = {".".join(parts[: i + 1]) for i in range(len(parts))}
        if error.name is not None and error.name not in missing:
            raise
        raise ImportError(
            f"The optional dependency '{module_name}' is not installed. "
            f"Install it with: pip install datajoint[{extra}]"
        ) from error


class LazyModule:
    """A stand-in for a module that is imported on first attribute access.

    Keeps ``import datajoint`` fast: sqlglot and networkx load when a query is compiled or a
    dependency graph is built, not at import. After the first access, attributes are plain
    instance attributes (no per-access overhead).
    """

    def __init__(self, name: str) -> None:
        self._lazy_name = name

    def __getattr__(self, attribute: str) -> Any:
        module = importlib.import_module(self._lazy_name)
        self.__dict__.update(vars(module))
        return getattr(module, attribute)

    def __repr__(self) -> str:
        return f"<lazy module {self._lazy_name!r}>"


def lazy_module(name: str) -> Any:
    """A :class:`LazyModule` for ``name`` (typed ``Any``; import the real module under
    ``TYPE_CHECKING`` for static types)."""
    return LazyModule(name)


__all__ = ["LazyModule", "lazy_module", "require"]
