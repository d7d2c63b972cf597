"""The result methods of query expressions: fetch in every form, iteration, length, display.

:class:`Results` is a base class of :class:`~datajoint.query.expression.QueryExpression`; its
methods only run the expression (the algebra lives in ``expression.py``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ..errors import DataJointError
from . import arrow as _arrow
from . import fetch as _fetch
from . import parquet as _parquet
from . import preview as _preview
from .compiler import compile_fetch


class Results:
    """Fetching and displaying the rows of a query expression."""

    heading: Any

    def to_dicts(
        self,
        order_by: Any = None,
        limit: int | None = None,
        offset: int | None = None,
        squeeze: bool = False,
    ) -> list[dict[str, Any]]:
        """Rows as a list of dicts, keys in heading order (spec 04 §1.3)."""
        return _fetch.to_dicts(self, order_by, limit, offset, squeeze)

    def to_pandas(
        self,
        order_by: Any = None,
        limit: int | None = None,
        offset: int | None = None,
        squeeze: bool = False,
    ) -> Any:
        """Rows as a pandas DataFrame indexed by the primary key."""
        return _fetch.to_pandas(self, order_by, limit, offset, squeeze)

    def to_polars(
        self,
        order_by: Any = None,
        limit: int | None = None,
        offset: int | None = None,
        squeeze: bool = False,
    ) -> Any:
        """Rows as a polars DataFrame (extra ``polars``)."""
        return _fetch.to_polars(self, order_by, limit, offset, squeeze)

    def to_arrow(
        self,
        order_by: Any = None,
        limit: int | None = None,
        offset: int | None = None,
        squeeze: bool = False,
    ) -> Any:
        """Rows as a pyarrow Table (extra ``arrow``) with one exact Arrow type per attribute.

        Numeric ``<blob>`` arrays become (nested) lists, other blob columns their bytes;
        attributes in object stores become the URLs of their objects (nothing is downloaded).
        """
        return _arrow.to_arrow(self, order_by, limit, offset, squeeze)

    def to_parquet(
        self,
        path: Any,
        partition_by: str | Sequence[str] | None = None,
        *,
        incremental: bool = False,
        rows_per_file: int | None = None,
        storage_options: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Write the rows as a Parquet dataset in the folder ``path`` (extra ``arrow``).

        The columns are those of :meth:`to_arrow`. A manifest (``_datajoint.json``) beside the
        data records the schema and, for every write, its time, row count and files.

        Parameters
        ----------
        path : a local folder or an fsspec URL (``s3://bucket/prefix``)
        partition_by : attributes of the Hive-style partition folders (``subject_id=3/``)
        incremental : write only the rows whose primary key the dataset does not hold yet
            (otherwise the dataset is replaced)
        rows_per_file : at most this many rows per Parquet file
        storage_options : options of the fsspec filesystem of ``path`` (credentials, endpoint)

        Returns
        -------
        dict
            ``{"rows": n, "files": [paths relative to path], "time": ISO time}``
        """
        return _parquet.write_dataset(
            self,
            path,
            partition_by,
            incremental=incremental,
            rows_per_file=rows_per_file,
            storage_options=storage_options,
        )

    def to_arrays(
        self,
        *attributes: str,
        include_key: bool = False,
        order_by: Any = None,
        limit: int | None = None,
        offset: int | None = None,
        squeeze: bool = False,
    ) -> Any:
        """A structured array, or one array per named attribute (spec 04 §1.6)."""
        return _fetch.to_arrays(self, attributes, include_key, order_by, limit, offset, squeeze)

    def keys(
        self, order_by: Any = None, limit: int | None = None, offset: int | None = None
    ) -> list[dict[str, Any]]:
        """Primary-key dicts of the rows."""
        return _fetch.keys(self, order_by, limit, offset)

    def fetch1(self, *attributes: str, squeeze: bool = False) -> Any:
        """The single row as a dict, or the values of ``attributes`` (``"KEY"``: the key)."""
        return _fetch.fetch1(self, attributes, squeeze)

    def fetch(self, *attributes: str, **kwargs: Any) -> Any:
        """Legacy 0.14 fetch (deprecated; spec 04 §1.14)."""
        return _fetch.legacy_fetch(self, attributes, **kwargs)

    def head(self, limit: int = 25) -> list[dict[str, Any]]:
        """The first ``limit`` rows in primary-key order."""
        return self.to_dicts(order_by="KEY", limit=limit)

    def tail(self, limit: int = 25) -> list[dict[str, Any]]:
        """The last ``limit`` rows, in ascending primary-key order."""
        return list(reversed(self.to_dicts(order_by="KEY DESC", limit=limit)))

    def cursor(self, as_dict: bool = False) -> Any:
        """The raw database cursor of this expression's SELECT (values not decoded)."""
        sql, params = compile_fetch(self, self.heading.names)
        return _fetch.run(self, sql, params, as_dict=as_dict)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return _fetch.iterate(self)

    def __len__(self) -> int:
        return _fetch.count(self)

    def __bool__(self) -> bool:
        return _fetch.exists(self)

    def __contains__(self, item: Any) -> bool:
        return bool(self & item)

    # ---------------------------------------------------------------- display
    def preview(self, limit: int | None = None, width: int | None = None) -> str:
        """A text table of the first rows (spec 04 §1.11)."""
        return _preview.preview(self, limit, width)

    def __repr__(self) -> str:
        try:
            return self.preview()
        except DataJointError as exc:  # a broken expression still has a repr
            return f"<{type(self).__name__}: {exc}>"

    def _repr_html_(self) -> str:
        return _preview.repr_html(self)
