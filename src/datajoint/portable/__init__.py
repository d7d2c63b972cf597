"""Moving data out of a pipeline: Parquet publications (``dj.publish``) and integrity-closed
subsets copied between databases (``dj.export``, ``dj.clone``)."""

from .publish import publish

__all__ = ["publish"]
