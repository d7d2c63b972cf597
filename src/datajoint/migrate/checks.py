"""Checks of the stores a DataJoint 0.14 schema refers to (spec 08 §9): whether they are
configured, and whether every object ``~external_<store>`` records is there (and intact)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from typing import Any

from ..backends import mysql_legacy as sql
from ..connection import Connection
from ..errors import DataJointError
from ..storage.stores import get_backend
from .common import columns, target_of
from .external import LEGACY_SUBFOLDING, backend_of, legacy_path


def check_store_configuration(
    schema: Any, *, connection: Connection | None = None
) -> dict[str, Any]:
    """The stores a 0.14 schema refers to (its ``~external_<store>`` tables and column
    markers), and whether each is configured and reachable.

    Returns
    -------
    dict
        ``stores_configured``, ``stores_missing``, ``stores_unreachable`` (sorted names) and
        ``details`` (per store: ``status`` and ``error``).
    """
    target = target_of(schema, connection)
    sql.require_mysql(target.connection, "check_store_configuration")
    names = {
        t.removeprefix(sql.EXTERNAL_PREFIX)
        for t in sql.external_tables(target.query, target.database)
    }
    names |= {c.store for c in columns(target) if c.kind == "stored" and c.store}
    result: dict[str, Any] = {
        "stores_configured": [],
        "stores_missing": [],
        "stores_unreachable": [],
        "details": {},
    }
    for name in sorted(names):
        if name not in target.connection._config.stores:
            result["stores_missing"].append(name)
            result["details"][name] = {"status": "missing", "error": "not in dj.config.stores"}
            continue
        try:
            backend = get_backend(name, target.connection._config)
            backend.exists("")
        except Exception as exc:  # any failure to reach the store is reported, not raised
            result["stores_unreachable"].append(name)
            result["details"][name] = {"status": "unreachable", "error": str(exc)}
            continue
        result["stores_configured"].append(name)
        result["details"][name] = {"status": "ok", "error": None}
    return result


def verify_external_integrity(
    schema: Any,
    store_name: str | None = None,
    *,
    check_contents: bool = False,
    legacy_subfolding: Sequence[int] = LEGACY_SUBFOLDING,
    legacy_database: str | None = None,
    connection: Connection | None = None,
) -> dict[str, Any]:
    """Check that every entry of the schema's ``~external_<store>`` tables (or of one store's)
    has its object in the store.

    Parameters
    ----------
    check_contents : also read every object and compare it with its MD5 reference (blobs and
        attachments) or recorded ``contents_hash`` (filepaths)
    legacy_subfolding, legacy_database : as for :func:`migrate_external`

    Returns
    -------
    dict
        ``total_references``, ``valid``, ``missing`` and ``corrupt`` (lists of ``{store,
        hash, path}``) and ``stores_checked``.
    """
    target = target_of(schema, connection)
    sql.require_mysql(target.connection, "verify_external_integrity")
    stored_under = legacy_database or target.database
    stores = [
        t.removeprefix(sql.EXTERNAL_PREFIX)
        for t in sql.external_tables(target.query, target.database)
    ]
    if store_name is not None:
        if store_name not in stores:
            raise DataJointError(
                f"Schema `{target.database}` has no table ~external_{store_name}; its stores: "
                f"{', '.join(stores) or 'none'}."
            )
        stores = [store_name]
    result: dict[str, Any] = {
        "total_references": 0,
        "valid": 0,
        "missing": [],
        "corrupt": [],
        "stores_checked": stores,
    }
    for store in stores:
        backend = backend_of(target, store)
        objects = set(backend.list_files(stored_under))
        entries = sql.external_entries(target.query, target.database, sql.EXTERNAL_PREFIX + store)
        for ref, entry in entries.items():
            result["total_references"] += 1
            name = entry["attachment_name"]
            if name:
                path, prefix = (
                    legacy_path(stored_under, ref, "." + name, legacy_subfolding),
                    (str(name).encode() + b"\0"),
                )
                found, expected = path in objects, ref
            elif entry["filepath"]:
                path, prefix = str(entry["filepath"]), b""
                found, expected = backend.exists(path), entry["contents_hash"]
            else:
                path, prefix = legacy_path(stored_under, ref, "", legacy_subfolding), b""
                found, expected = path in objects, ref
            report = {"store": store, "hash": str(uuid.UUID(bytes=ref)), "path": path}
            if not found:
                result["missing"].append(report)
            elif check_contents and expected and not backend.isdir(path):
                data = prefix + backend.get_buffer(path)
                if hashlib.md5(data).digest() != expected:
                    result["corrupt"].append(report)
                else:
                    result["valid"] += 1
            else:
                result["valid"] += 1
    return result
