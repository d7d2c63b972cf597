"""``dj.publish(schema, path)``: every table of a schema as a Parquet dataset.

Each table goes to ``path/<ClassName>/`` (parts to ``path/<Master>.<Part>/``) through
``to_parquet``; the manifest ``path/_datajoint.json`` lists the tables and every publish with
the rows it wrote per table. Publishing again writes only the rows that are new since the last
publish.
"""

from __future__ import annotations

import datetime
import posixpath
from collections.abc import Mapping, Sequence
from typing import Any

import fsspec

from ..errors import DataJointError
from ..query.parquet import read_manifest, write_dataset, write_manifest
from ..schema import Schema, class_path
from ..table.table import FreeTable

FORMAT = "datajoint.publication"


def _tables(schema: Schema, names: Sequence[str] | None) -> dict[str, FreeTable]:
    """``{class path: table}`` of the schema's tables in dependency order."""
    connection = schema.connection
    found = {
        class_path(t): FreeTable(connection, f"{schema.database}.{t}")
        for t in schema.list_tables()
        if not t.startswith("~")
    }
    if names is None:
        return found
    missing = [n for n in names if n not in found]
    if missing:
        raise DataJointError(
            f"dj.publish(tables=) names {', '.join(missing)}, not tables of schema "
            f"`{schema.database}` (its tables: {', '.join(found)})."
        )
    return {n: t for n, t in found.items() if n in names}


def publish(
    schema: Schema,
    path: Any,
    *,
    tables: Sequence[str] | None = None,
    partition_by: Mapping[str, str | Sequence[str]] | None = None,
    incremental: bool = True,
    storage_options: dict[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """Publish the tables of ``schema`` as Parquet datasets under ``path`` (extra ``arrow``).

    Parameters
    ----------
    schema : an activated :class:`dj.Schema`
    path : a local folder or an fsspec URL (``s3://bucket/prefix``)
    tables : class names (``"Session"``, ``"Session.Trial"``) to publish; default all
    partition_by : attributes to partition each table by, per class name
    incremental : write only rows that are new since the last publish (default); ``False``
        writes every table anew
    storage_options : options of the fsspec filesystem of ``path``

    Returns
    -------
    dict
        ``{class name: {"rows": n, "files": [...], "time": ...}}`` of this publish.
    """
    if not isinstance(schema, Schema) or schema.database is None:
        raise DataJointError("dj.publish() takes an activated dj.Schema as its first argument.")
    chosen = _tables(schema, tables)
    unknown = set(partition_by or {}) - set(chosen)
    if unknown:
        raise DataJointError(
            f"dj.publish(partition_by=) names {', '.join(sorted(unknown))}, not published "
            f"tables of schema `{schema.database}`."
        )
    fs, root = fsspec.core.url_to_fs(str(path), **(storage_options or {}))
    root = root.rstrip("/")
    manifest = read_manifest(fs, root, FORMAT)
    if manifest is not None and manifest["schema"] != schema.database:
        raise DataJointError(
            f"{path} holds a publication of schema `{manifest['schema']}`, not "
            f"`{schema.database}`: publish to another folder."
        )
    now = datetime.datetime.now(datetime.timezone.utc).isoformat()
    written = {}
    for name, table in chosen.items():
        written[name] = write_dataset(
            table,
            posixpath.join(str(path).rstrip("/"), name),
            (partition_by or {}).get(name),
            incremental=incremental,
            storage_options=storage_options,
        )
    if manifest is None:
        manifest = {"format": FORMAT, "version": 1, "schema": schema.database, "tables": {}}
        manifest["publishes"] = []
    manifest["tables"].update({name: name + "/" for name in chosen})
    rows = {name: result["rows"] for name, result in written.items()}
    manifest["publishes"].append({"time": now, "incremental": incremental, "rows": rows})
    write_manifest(fs, root, manifest)
    return written


__all__ = ["publish"]
