"""Import optional dependencies on first use, with an install hint when missing."""

from __future__ import annotations

import importlib
from types import ModuleType


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


__all__ = ["require"]
