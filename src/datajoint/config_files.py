"""Where settings come from: environment, ``datajoint.json``, secrets, template (spec 08 §1).

Pure helpers without the settings model; :mod:`datajoint.settings` combines them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

CONFIG_FILENAME = "datajoint.json"
SECRETS_DIRNAME = ".secrets"
SYSTEM_SECRETS_DIR = Path("/run/secrets/datajoint")

#: Dotted setting -> environment variable. ``stores`` (``DJ_STORES``) is handled separately.
ENV_VARS: dict[str, str] = {
    "database.host": "DJ_HOST",
    "database.user": "DJ_USER",
    "database.password": "DJ_PASS",
    "database.backend": "DJ_BACKEND",
    "database.port": "DJ_PORT",
    "database.name": "DJ_DATABASE_NAME",
    "database.path": "DJ_DB_PATH",
    "database.reconnect": "DJ_RECONNECT",
    "database.busy_timeout": "DJ_BUSY_TIMEOUT",
    "database.prepared_statements": "DJ_PREPARED_STATEMENTS",
    "database.use_tls": "DJ_USE_TLS",
    "database.database_prefix": "DJ_DATABASE_PREFIX",
    "database.create_tables": "DJ_CREATE_TABLES",
    "display.diagram_direction": "DJ_DIAGRAM_DIRECTION",
    "display.diagram_theme": "DJ_DIAGRAM_THEME",
    "jobs.auto_refresh": "DJ_JOBS_AUTO_REFRESH",
    "jobs.keep_completed": "DJ_JOBS_KEEP_COMPLETED",
    "jobs.stale_timeout": "DJ_JOBS_STALE_TIMEOUT",
    "jobs.default_priority": "DJ_JOBS_DEFAULT_PRIORITY",
    "jobs.version_method": "DJ_JOBS_VERSION_METHOD",
    "jobs.lease_renew": "DJ_JOBS_LEASE_RENEW",
    "jobs.lease_timeout": "DJ_JOBS_LEASE_TIMEOUT",
    "jobs.allow_new_pk_fields_in_computed_tables": "DJ_JOBS_ALLOW_NEW_PK_FIELDS_IN_COMPUTED_TABLES",
    "jobs.add_job_metadata": "DJ_JOBS_ADD_JOB_METADATA",
    "fetch.order_by_key": "DJ_FETCH_ORDER_BY_KEY",
    "loglevel": "DJ_LOG_LEVEL",
    "safemode": "DJ_SAFEMODE",
    "ignore_config_file": "DJ_IGNORE_CONFIG_FILE",
    "query_cache": "DJ_QUERY_CACHE",
    "download_path": "DJ_DOWNLOAD_PATH",
}
STORES_ENV_VAR = "DJ_STORES"


def env_value(name: str) -> str | None:
    """Return environment variable ``name`` if it is set and non-empty, else ``None``."""
    value = os.environ.get(name)
    return value if value else None


def env_is_set(key: str) -> bool:
    """Whether the environment variable of dotted setting ``key`` is set and non-empty."""
    if key == "stores":
        return env_value(STORES_ENV_VAR) is not None
    name = ENV_VARS.get(key)
    return name is not None and env_value(name) is not None


def env_settings() -> dict[str, Any]:
    """Return the settings given by ``DJ_*`` variables as a nested dict (``stores`` excluded)."""
    result: dict[str, Any] = {}
    for key, name in ENV_VARS.items():
        value = env_value(name)
        if value is None:
            continue
        group, _, field = key.rpartition(".")
        target = result.setdefault(group, {}) if group else result
        target[field] = value
    return result


def stores_from_env() -> dict[str, Any] | None:
    """Parse ``DJ_STORES``; ``None`` when unset or empty.

    Raises
    ------
    ValueError
        The value is not valid JSON or not a JSON object.
    """
    raw = env_value(STORES_ENV_VAR)
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ValueError(f"DJ_STORES contains invalid JSON: {error}") from error
    if not isinstance(value, dict):
        raise ValueError(f"DJ_STORES must be a JSON object, got {type(value).__name__}")
    return value


def find_config_file(start: str | os.PathLike[str] | None = None) -> Path | None:
    """Search ``start`` (default: the working directory) and its parents for ``datajoint.json``.

    The search stops at a directory containing ``.git`` or ``.hg`` (after checking that
    directory itself) and at the filesystem root.

    Returns
    -------
    The path of the file found, or ``None``.
    """
    directory = Path.cwd() if start is None else Path(start)
    directory = directory.resolve()
    if directory.is_file():
        directory = directory.parent
    while True:
        candidate = directory / CONFIG_FILENAME
        if candidate.is_file():
            return candidate
        if (directory / ".git").exists() or (directory / ".hg").exists():
            return None
        if directory.parent == directory:
            return None
        directory = directory.parent


def find_secrets_dir(config_path: str | os.PathLike[str] | None) -> Path | None:
    """Return the secrets directory: ``.secrets/`` next to the config file, else the system one.

    Parameters
    ----------
    config_path : the ``datajoint.json`` that was found, or ``None``.

    Returns
    -------
    ``<config dir>/.secrets`` or ``/run/secrets/datajoint`` (the first that exists), or ``None``.
    """
    if config_path is not None:
        local = Path(config_path).parent / SECRETS_DIRNAME
        if local.is_dir():
            return local
    if SYSTEM_SECRETS_DIR.is_dir():
        return SYSTEM_SECRETS_DIR
    return None


def read_secret_file(secrets_dir: str | os.PathLike[str] | None, name: str) -> str | None:
    """Return the stripped content of secret ``name`` in ``secrets_dir``, or ``None`` if absent."""
    if secrets_dir is None:
        return None
    path = Path(secrets_dir) / name
    if not path.is_file():
        return None
    return path.read_text().strip()


def store_secrets(secrets_dir: str | os.PathLike[str] | None) -> dict[tuple[str, str], str]:
    """Return ``{(store, attribute): value}`` for every ``stores.<store>.<attr>`` secret file."""
    if secrets_dir is None or not Path(secrets_dir).is_dir():
        return {}
    found: dict[tuple[str, str], str] = {}
    for path in sorted(Path(secrets_dir).iterdir()):
        parts = path.name.split(".")
        if path.name.startswith(".") or len(parts) != 3 or parts[0] != "stores":
            continue
        if not all(parts) or not path.is_file():
            continue
        found[(parts[1], parts[2])] = path.read_text().strip()
    return found


MINIMAL_TEMPLATE: dict[str, Any] = {"database": {"host": "localhost", "port": 3306}}

FULL_TEMPLATE: dict[str, Any] = {
    "database": {"host": "localhost", "port": 3306, "reconnect": True, "use_tls": None},
    "connection": {"charset": ""},
    "display": {"limit": 12, "width": 14, "show_tuple_count": True},
    "stores": {
        "default": "main",
        "filepath_default": "raw_data",
        "main": {
            "protocol": "file",
            "location": "/data/main",
            "partition_pattern": None,
            "token_length": 8,
            "subfolding": None,
        },
        "raw_data": {"protocol": "file", "location": "/data/raw"},
    },
    "loglevel": "INFO",
    "safemode": True,
    "query_cache": None,
    "download_path": ".",
}

_GITIGNORE = "# Never commit secrets\n*\n!.gitignore\n"


def write_template(
    path: str | os.PathLike[str] = CONFIG_FILENAME,
    minimal: bool = True,
    create_secrets_dir: bool = True,
) -> Path:
    """Write a template ``datajoint.json`` (and a ``.secrets/`` skeleton); return its path.

    Raises
    ------
    FileExistsError
        ``path`` already exists.
    """
    target = Path(path).absolute()
    if target.exists():
        raise FileExistsError(
            f"File already exists: {target}. Remove it first or choose a different path."
        )
    template = MINIMAL_TEMPLATE if minimal else FULL_TEMPLATE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(template, indent=2) + "\n")
    if create_secrets_dir:
        secrets = target.parent / SECRETS_DIRNAME
        secrets.mkdir(exist_ok=True)
        for name, placeholder in (
            ("database.user", "your_username"),
            ("database.password", "your_password"),
            (".gitignore", _GITIGNORE),
        ):
            file = secrets / name
            if not file.exists():
                file.write_text(placeholder)
    return target


__all__ = [
    "CONFIG_FILENAME",
    "ENV_VARS",
    "FULL_TEMPLATE",
    "MINIMAL_TEMPLATE",
    "SECRETS_DIRNAME",
    "STORES_ENV_VAR",
    "SYSTEM_SECRETS_DIR",
    "env_is_set",
    "env_settings",
    "env_value",
    "find_config_file",
    "find_secrets_dir",
    "read_secret_file",
    "store_secrets",
    "stores_from_env",
    "write_template",
]
