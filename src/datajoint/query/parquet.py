"""Parquet datasets of query results (``to_parquet``), written once or incrementally.

A dataset is a folder of Parquet files (Hive-style partition folders with ``partition_by``)
holding the columns of ``to_arrow()``, and the manifest ``_datajoint.json`` beside them: the
Arrow schema, the primary key, the partitioning and one entry per write (time, rows, files).
Readers (DuckDB, polars, Spark, pyarrow) skip files whose names start with ``_``. An
incremental write reads the primary keys the dataset already holds and writes only the rows
whose keys are new.
"""

from __future__ import annotations

import base64
import datetime
import json
import posixpath
import secrets
from collections.abc import Sequence
from typing import Any

import fsspec

from .._optional import require
from ..errors import DataJointError
from . import arrow

MANIFEST = "_datajoint.json"
FORMAT = "datajoint.parquet"
_KEY_CHUNK = 1000  # keys per restriction when fetching the new rows of an incremental write


def _partition_names(query: Any, partition_by: str | Sequence[str] | None) -> list[str]:
    names = [partition_by] if isinstance(partition_by, str) else list(partition_by or [])
    heading = query.heading
    for name in names:
        if name not in heading.names:
            raise DataJointError(
                f"to_parquet(partition_by=) names `{name}`, which is not an attribute of the "
                f"query (attributes: {', '.join(heading.names)})."
            )
        attr = heading[name]
        if attr.codec is not None or attr.is_blob or attr.json:
            raise DataJointError(
                f"to_parquet cannot partition by `{name}` ({attr.type}): choose attributes with "
                "plain values (integers, strings, dates)."
            )
    return names


def read_manifest(fs: Any, root: str, kind: str = FORMAT) -> dict[str, Any] | None:
    """The manifest of ``kind`` in the folder ``root``, or ``None`` when there is none."""
    path = posixpath.join(root, MANIFEST)
    if not fs.exists(path):
        return None
    with fs.open(path, "rb") as handle:
        manifest: dict[str, Any] = json.load(handle)
    if manifest.get("format") != kind:
        raise DataJointError(f"{path} is not a manifest of a {kind} folder.")
    return manifest


def manifest_schema(manifest: dict[str, Any]) -> Any:
    """The Arrow schema a manifest records."""
    pa = require("pyarrow", "arrow")
    return pa.ipc.read_schema(pa.py_buffer(base64.b64decode(manifest["arrow_schema"])))


def write_manifest(fs: Any, root: str, manifest: dict[str, Any]) -> None:
    """Write the manifest of the folder ``root`` (replacing the previous one at once)."""
    path = posixpath.join(root, MANIFEST)
    staging = path + ".saving"
    with fs.open(staging, "w") as handle:
        json.dump(manifest, handle, indent=1)
    fs.mv(staging, path)


def _published_keys(fs: Any, root: str, manifest: dict[str, Any]) -> set[tuple[Any, ...]]:
    """The primary keys the files of a manifest hold."""
    ds = require("pyarrow.dataset", "arrow")
    pa = require("pyarrow", "arrow")
    files = [posixpath.join(root, f) for write in manifest["writes"] for f in write["files"]]
    if not files:
        return set()
    schema = manifest_schema(manifest)
    parts = manifest["partition_by"]
    partitioning = None
    if parts:
        partitioning = ds.partitioning(pa.schema([schema.field(p) for p in parts]), flavor="hive")
    dataset = ds.dataset(
        files,
        schema=schema,
        format="parquet",
        filesystem=_arrow_fs(fs),
        partitioning=partitioning,
        partition_base_dir=root,  # partition values come from the folder names under root
    )
    keys = dataset.to_table(columns=manifest["primary_key"])
    return set(zip(*(column.to_pylist() for column in keys.columns), strict=True))


def _arrow_fs(fs: Any) -> Any:
    pafs = require("pyarrow.fs", "arrow")
    return pafs.PyFileSystem(pafs.FSSpecHandler(fs))


def _new_rows(query: Any, published: set[tuple[Any, ...]]) -> Any:
    """The Arrow rows of ``query`` whose primary key is not in ``published``."""
    pa = require("pyarrow", "arrow")
    pk = query.primary_key
    keys = arrow.to_arrow(query.proj())
    rows = zip(*(keys.column(k).to_pylist() for k in pk), strict=True)
    new = [dict(zip(pk, key, strict=True)) for key in rows if key not in published]
    if len(new) == keys.num_rows:
        return arrow.to_arrow(query)
    chunks = [
        arrow.to_arrow(query & new[i : i + _KEY_CHUNK]) for i in range(0, len(new), _KEY_CHUNK)
    ]
    if not chunks:
        return arrow.to_arrow(query & [])
    return pa.concat_tables(chunks)


def _conform(table: Any, schema: Any, query: Any) -> Any:
    """``table`` in the dataset's schema (the new rows of a blob column may have become lists
    of another number type, which casts), or an error naming the column that changed."""
    if table.schema.equals(schema, check_metadata=False):
        return table
    if not table.num_rows:  # no values to type a blob column by
        return schema.empty_table()
    for field in table.schema:
        if field.name not in schema.names:
            break
        expected = schema.field(field.name).type
        if field.type != expected:
            try:
                table = table.set_column(
                    table.schema.get_field_index(field.name),
                    schema.field(field.name),
                    table.column(field.name).cast(expected),
                )
            except Exception:
                raise DataJointError(
                    f"The new rows of `{field.name}` are {field.type}, but the dataset holds "
                    f"{expected}: write the dataset again with incremental=False."
                ) from None
    if table.schema.names != schema.names:
        raise DataJointError(
            f"The query's attributes ({', '.join(table.schema.names)}) differ from the "
            f"dataset's ({', '.join(schema.names)}): write it again with incremental=False."
        )
    return table.cast(schema)


def _source(query: Any) -> dict[str, Any]:
    connection = query.connection
    info: dict[str, Any] = {"backend": connection.adapter.name, "sql": query.make_sql()}
    if query.heading.table is not None:
        info["table"] = ".".join(query.heading.table)
    return info


def _clear(fs: Any, root: str, manifest: dict[str, Any] | None) -> None:
    """Remove the files a previous manifest lists (the dataset is written anew)."""
    if manifest is None:
        if fs.exists(root) and fs.ls(root):
            raise DataJointError(
                f"{root} holds files but no DataJoint manifest: write the dataset to an empty "
                "or new folder."
            )
        return
    for write in manifest["writes"]:
        for name in write["files"]:
            path = posixpath.join(root, name)
            if fs.exists(path):
                fs.rm(path)


def write_dataset(
    query: Any,
    path: Any,
    partition_by: str | Sequence[str] | None = None,
    *,
    incremental: bool = False,
    rows_per_file: int | None = None,
    storage_options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write ``query`` as a Parquet dataset at ``path`` (see ``QueryExpression.to_parquet``)."""
    ds = require("pyarrow.dataset", "arrow")
    parts = _partition_names(query, partition_by)
    fs, root = fsspec.core.url_to_fs(str(path), **(storage_options or {}))
    root = root.rstrip("/")
    manifest = read_manifest(fs, root)
    pk = query.primary_key
    if incremental and not pk:
        raise DataJointError("to_parquet(incremental=True) needs a query with a primary key.")
    if manifest is not None and incremental:
        if manifest["primary_key"] != pk or manifest["partition_by"] != parts:
            raise DataJointError(
                f"The dataset at {path} has the primary key {manifest['primary_key']} and the "
                f"partitions {manifest['partition_by']}: write it again with incremental=False."
            )
        table = _conform(
            _new_rows(query, _published_keys(fs, root, manifest)), manifest_schema(manifest), query
        )
    else:
        _clear(fs, root, manifest)
        manifest = None
        table = arrow.to_arrow(query)
    now = datetime.datetime.now(datetime.timezone.utc)
    stamp = now.strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)
    files: list[str] = []
    fs.makedirs(root, exist_ok=True)
    if table.num_rows:
        per_file = int(rows_per_file or 0)
        ds.write_dataset(
            table,
            root,
            format="parquet",
            filesystem=_arrow_fs(fs),
            partitioning=parts or None,
            partitioning_flavor="hive" if parts else None,
            basename_template=f"part-{stamp}-{{i}}.parquet",
            existing_data_behavior="overwrite_or_ignore",
            max_rows_per_file=per_file,
            max_rows_per_group=min(per_file or 1 << 20, 1 << 20),
            file_visitor=lambda written: files.append(written.path),
        )
    relative = sorted(posixpath.relpath(f, root) for f in files)
    write = {"time": now.isoformat(), "rows": table.num_rows, "files": relative}
    write["mode"] = "incremental" if manifest is not None else "full"
    if manifest is None:
        manifest = {
            "format": FORMAT,
            "version": 1,
            "source": _source(query),
            "primary_key": pk,
            "partition_by": parts,
            "columns": [
                {
                    "name": f.name,
                    "type": f.metadata[b"datajoint.type"].decode(),
                    "arrow": str(f.type),
                }
                for f in table.schema
            ],
            "arrow_schema": base64.b64encode(table.schema.serialize().to_pybytes()).decode(),
            "writes": [],
        }
    manifest["writes"].append(write)
    write_manifest(fs, root, manifest)
    return {"rows": table.num_rows, "files": relative, "time": write["time"]}


__all__ = ["MANIFEST", "manifest_schema", "read_manifest", "write_dataset", "write_manifest"]
