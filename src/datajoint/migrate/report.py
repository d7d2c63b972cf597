"""A readable account of :func:`~datajoint.migrate.migrate_schema`'s result (``dj migrate``)."""

from __future__ import annotations

from typing import Any


def format_report(database: str, result: dict[str, Any], *, sql: bool = False) -> str:
    """The steps of a migration, what each changed (or would change) and any problems."""
    dry = result["dry_run"]
    head = "dry run: nothing changed" if dry else "applied"
    lines = [f"Migration of schema `{database}` ({head})", ""]
    columns = result["columns"]
    todo = [d for d in columns["details"] if d["action"] == "add marker"]
    lines.append(f"Type markers: {len(todo)} column(s)")
    lines += [f"  {d['table']}.{d['column']}: {d['native_type']} -> {d['core_type']}" for d in todo]
    for key, title in (("external", "Store references"), ("filepath", "File paths")):
        step = result[key]
        lines.append(f"{title}: {step['columns_found']} column(s)")
        lines += [
            f"  {d['table']}.{d['column']} {d['type']}: {d['state']}, {d['rows']} row(s) to "
            f"fill; {d['action']}"
            for d in step["details"]
        ]
    jobs = result["job_metadata"]
    lines.append(f"Job metadata: {len(jobs['details'])} table(s)")
    lines += [f"  {d['table']}: {', '.join(d['columns'])}" for d in jobs["details"]]
    lineage = result["lineage"]
    if lineage["status"] == "error":
        lines.append(f"Lineage: error: {lineage['error']}")
    else:
        lines.append(
            f"Lineage: {lineage['lineage_entries']} entries for {lineage['tables_analyzed']} "
            "table(s)"
        )
    problems = result["external"]["problems"] + result["filepath"]["problems"]
    problems += result["external"]["unsupported"]
    if problems:
        lines += ["", "Problems:"] + [f"  {p}" for p in problems]
    if sql:
        statements = [
            s
            for k in ("columns", "external", "filepath", "job_metadata")
            for s in result[k]["sql_statements"]
        ]
        lines += ["", "SQL:"] + [f"  {s};" for s in statements]
    if dry:
        lines += ["", "Run again with --apply to make these changes."]
    return "\n".join(lines)
