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

from .checks import check_store_configuration, verify_external_integrity
from .external import migrate_external, migrate_filepath
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
from .parallel import (
    backup_schema,
    compare_query_results,
    copy_table_data,
    create_parallel_schema,
    restore_schema,
)

__all__ = [
    "add_job_metadata_columns",
    "analyze_blob_columns",
    "analyze_columns",
    "backup_schema",
    "check_migration_status",
    "check_store_configuration",
    "compare_query_results",
    "copy_table_data",
    "create_parallel_schema",
    "generate_migration_sql",
    "migrate_blob_columns",
    "migrate_columns",
    "migrate_external",
    "migrate_filepath",
    "migrate_schema",
    "rebuild_lineage",
    "restore_schema",
    "verify_external_integrity",
    "verify_schema_v20",
]
