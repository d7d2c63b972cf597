"""Moving data out of a pipeline: Parquet publications (``dj.publish``) and integrity-closed
subsets copied between databases (``dj.export``, ``dj.clone``)."""

from .export import ExportReport, TableReport, clone, export
from .publish import publish

__all__ = ["ExportReport", "TableReport", "clone", "export", "publish"]
