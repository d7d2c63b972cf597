"""Base tables: ``datajoint.table.Table`` and ``FreeTable`` (the import path existing code uses)."""

from .table import FreeTable, Table

__all__ = ["FreeTable", "Table"]
