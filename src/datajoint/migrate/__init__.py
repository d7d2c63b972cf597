"""``dj.migrate``: helpers for databases made by DataJoint 0.14 (spec 08 §9).

Every function takes a ``dj.Schema`` or a schema name, defaults to a dry run that reports
what it would change and changes nothing, and returns a dict summary. Running a step again
after it completed finds nothing to do. The 0.14-specific steps refuse other backends than
MySQL/MariaDB (the only one 0.14 ran on); ``add_job_metadata_columns`` and
``rebuild_lineage`` work on every backend.

Typical use::

    report = dj.migrate.migrate_schema("lab")                # dry run: read the report
    dj.migrate.migrate_schema("lab", dry_run=False)          # markers, 2.0 columns filled
    dj.migrate.migrate_schema("lab", dry_run=False, finalize=True)   # 2.0 columns swapped in
"""

from .external import (
    check_store_configuration,
    migrate_external,
    migrate_filepath,
    verify_external_integrity,
)
from .jobs import add_job_metadata_columns
from .markers import (
    analyze_blob_columns,
    analyze_columns,
    check_migration_status,
    generate_migration_sql,
    migrate_blob_columns,
    migrate_columns,
)
from .overall import migrate_schema, rebuild_lineage, verify_schema_v20

__all__ = [
    "add_job_metadata_columns",
    "analyze_blob_columns",
    "analyze_columns",
    "check_migration_status",
    "check_store_configuration",
    "generate_migration_sql",
    "migrate_blob_columns",
    "migrate_columns",
    "migrate_external",
    "migrate_filepath",
    "migrate_schema",
    "rebuild_lineage",
    "verify_external_integrity",
    "verify_schema_v20",
]
