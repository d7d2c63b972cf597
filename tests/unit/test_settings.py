"""dj.config, config files, secrets, thread-safe proxy and logging (spec 08 §1, §3, §7)."""

from __future__ import annotations

import io
import json
import logging
import os
import sys
import warnings
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from datajoint import config_files, settings
from datajoint._optional import require
from datajoint.errors import DataJointError, ThreadSafetyError
from datajoint.log import JOBS, LogFormatter, StdStreamHandler, configure_logging, logger
from datajoint.settings import (
    Config,
    ConfigProxy,
    build_config,
    find_config_file,
    find_secrets_dir,
    read_secret_file,
)

THREAD_SAFE_MESSAGE = (
    "Global DataJoint state is disabled in thread-safe mode. "
    "Use dj.Instance() to create an isolated instance."
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No DJ_* variables, cwd in an empty project (with a .git boundary), logger restored."""
    for name in list(os.environ):
        if name.startswith("DJ_"):
            monkeypatch.delenv(name)
    monkeypatch.setattr(config_files, "SYSTEM_SECRETS_DIR", tmp_path / "no-system-secrets")
    project = tmp_path / "project"
    project.mkdir()
    (project / ".git").mkdir()
    monkeypatch.chdir(project)
    level = logger.level
    yield project
    logger.setLevel(level)


def fresh(start: Path | None = None) -> Config:
    """Build a config by the start-up sequence, silencing the start-up warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_config(start)


def write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data))
    return path


# ---- defaults and environment ----------------------------------------------------------------

DEFAULTS = {
    "database.host": "localhost",
    "database.user": None,
    "database.password": None,
    "database.backend": "sqlite",
    "database.port": None,
    "database.name": None,
    "database.path": "datajoint.db",
    "database.reconnect": True,
    "database.use_tls": None,
    "database.database_prefix": "",
    "database.create_tables": True,
    "connection.charset": "",
    "connection.init_function": None,
    "display.limit": 12,
    "display.width": 14,
    "display.show_tuple_count": True,
    "display.diagram_direction": "LR",
    "display.diagram_theme": "auto",
    "jobs.auto_refresh": True,
    "jobs.keep_completed": False,
    "jobs.stale_timeout": 3600,
    "jobs.default_priority": 5,
    "jobs.version_method": None,
    "jobs.lease_renew": 30,
    "jobs.lease_timeout": 300,
    "jobs.allow_new_pk_fields_in_computed_tables": True,
    "jobs.add_job_metadata": False,
    "fetch.order_by_key": True,
    "stores": {},
    "loglevel": "INFO",
    "safemode": True,
    "ignore_config_file": False,
    "query_cache": None,
    "download_path": ".",
    "cache": None,
    "enable_python_native_blobs": True,
    "filepath_checksum_size_limit": None,
}


@pytest.mark.parametrize(("key", "expected"), DEFAULTS.items())
def test_defaults(key, expected):
    assert fresh()[key] == expected


def test_no_config_file_warns(clean_env):
    with pytest.warns(UserWarning, match=r"No datajoint.json found\. Using defaults"):
        build_config()


NEW_PK = "allow_new_pk_fields_in_computed_tables"
ENV_CASES = [
    ("DJ_HOST", "db.example.org", "database.host", "db.example.org"),
    ("DJ_USER", "alice", "database.user", "alice"),
    ("DJ_PASS", "s3cret", "database.password", "s3cret"),
    ("DJ_PORT", "3307", "database.port", 3307),
    ("DJ_DATABASE_NAME", "lab", "database.name", "lab"),
    ("DJ_DB_PATH", ":memory:", "database.path", ":memory:"),
    ("DJ_RECONNECT", "false", "database.reconnect", False),
    ("DJ_USE_TLS", "yes", "database.use_tls", True),
    ("DJ_DATABASE_PREFIX", "pre_", "database.database_prefix", "pre_"),
    ("DJ_CREATE_TABLES", "0", "database.create_tables", False),
    ("DJ_DIAGRAM_DIRECTION", "TB", "display.diagram_direction", "TB"),
    ("DJ_DIAGRAM_THEME", "dark", "display.diagram_theme", "dark"),
    ("DJ_JOBS_AUTO_REFRESH", "off", "jobs.auto_refresh", False),
    ("DJ_JOBS_KEEP_COMPLETED", "on", "jobs.keep_completed", True),
    ("DJ_JOBS_STALE_TIMEOUT", "60", "jobs.stale_timeout", 60),
    ("DJ_JOBS_DEFAULT_PRIORITY", "1", "jobs.default_priority", 1),
    ("DJ_JOBS_VERSION_METHOD", "git", "jobs.version_method", "git"),
    ("DJ_JOBS_LEASE_RENEW", "2.5", "jobs.lease_renew", 2.5),
    ("DJ_JOBS_LEASE_TIMEOUT", "10", "jobs.lease_timeout", 10.0),
    ("DJ_JOBS_ALLOW_NEW_PK_FIELDS_IN_COMPUTED_TABLES", "0", f"jobs.{NEW_PK}", False),
    ("DJ_JOBS_ADD_JOB_METADATA", "TRUE", "jobs.add_job_metadata", True),
    ("DJ_FETCH_ORDER_BY_KEY", "no", "fetch.order_by_key", False),
    ("DJ_LOG_LEVEL", "debug", "loglevel", "DEBUG"),
    ("DJ_SAFEMODE", "False", "safemode", False),
    ("DJ_QUERY_CACHE", "/tmp/qc", "query_cache", Path("/tmp/qc")),
    ("DJ_DOWNLOAD_PATH", "downloads", "download_path", "downloads"),
]


@pytest.mark.parametrize(("var", "raw", "key", "expected"), ENV_CASES)
def test_environment_variables(monkeypatch, var, raw, key, expected):
    monkeypatch.setenv(var, raw)
    assert fresh()[key] == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        *[("true", True), ("1", True), ("yes", True), ("ON", True)],
        *[("false", False), ("0", False), ("No", False), ("off", False)],
    ],
)
def test_env_bool_parsing(monkeypatch, raw, expected):
    monkeypatch.setenv("DJ_SAFEMODE", raw)
    assert fresh().safemode is expected


def test_empty_env_var_is_unset(monkeypatch):
    monkeypatch.setenv("DJ_HOST", "")
    cfg = fresh()
    assert cfg.database.host == "localhost"
    assert cfg.database.backend == "sqlite"


def test_unprefixed_variables_are_ignored(monkeypatch):
    monkeypatch.setenv("LIMIT", "99")
    monkeypatch.setenv("WIDTH", "99")
    monkeypatch.setenv("CHARSET", "latin1")
    cfg = fresh()
    assert (cfg.display.limit, cfg.display.width, cfg.connection.charset) == (12, 14, "")


def test_env_log_level_sets_logger(monkeypatch):
    monkeypatch.setenv("DJ_LOG_LEVEL", "warning")
    assert fresh().loglevel == "WARNING"
    assert logger.level == logging.WARNING


# ---- backend resolution ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "backend", "port"),
    [
        ({}, "sqlite", None),
        ({"DJ_BACKEND": "postgresql"}, "postgresql", 5432),
        ({"DJ_BACKEND": "postgres"}, "postgresql", 5432),
        ({"DJ_BACKEND": "MySQL"}, "mysql", 3306),
        ({"DJ_BACKEND": "postgresql", "DJ_PORT": "6543"}, "postgresql", 6543),
        ({"DJ_HOST": "db"}, "mysql", 3306),
        ({"DJ_HOST": "db", "DJ_PORT": "5432"}, "postgresql", 5432),
        ({"DJ_HOST": "db", "DJ_PORT": "3307"}, "mysql", 3307),
        ({"DJ_HOST": "db:5432"}, "postgresql", 5432),
        ({"DJ_HOST": "db", "DJ_BACKEND": "sqlite"}, "sqlite", None),
        ({"DJ_HOST": "db", "DJ_PORT": "5432", "DJ_BACKEND": "mysql"}, "mysql", 5432),
        ({"DJ_PORT": "5432"}, "sqlite", 5432),
    ],
)
def test_backend_resolution_from_env(monkeypatch, env, backend, port):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    cfg = fresh()
    assert cfg.database.backend == backend
    assert cfg["database.backend"] == backend
    assert cfg.database.port == port
    assert cfg["database.port"] == port


def test_backend_resolution_from_file_and_assignment(clean_env):
    write_json(clean_env / "datajoint.json", {"database": {"host": "localhost", "port": 3306}})
    cfg = fresh()
    assert cfg.database.backend == "mysql"
    cfg.database.backend = "postgres"
    assert cfg.database.backend == "postgresql"
    assert cfg.database.explicit_backend == "postgresql"
    assert cfg.database.port == 3306  # explicit port from the file is kept
    cfg["database.backend"] = None
    assert cfg.database.backend == "mysql"


def test_port_follows_backend_unless_explicit():
    cfg = fresh()
    cfg.database.backend = "mysql"
    assert cfg.database.port == 3306
    cfg.database.backend = "postgresql"
    assert cfg.database.port == 5432
    cfg.database.port = 5433
    cfg.database.backend = "mysql"
    assert cfg.database.port == 5433


def test_host_assignment_selects_server_and_reset_returns_to_sqlite():
    cfg = fresh()
    cfg.database.host = "db"
    assert cfg.database.backend == "mysql"
    del cfg["database.host"]
    assert cfg.database.host == "localhost"
    assert cfg.database.backend == "sqlite"


def test_invalid_backend(monkeypatch):
    cfg = fresh()
    with pytest.raises(ValidationError):
        cfg.database.backend = "oracle"
    monkeypatch.setenv("DJ_BACKEND", "oracle")
    with pytest.raises(ValidationError):
        Config()


def test_repr_shows_resolved_backend_and_masks_password(monkeypatch):
    monkeypatch.setenv("DJ_PASS", "hunter2")
    text = repr(fresh())
    for fragment in ("host=", "user=", "password=", "backend='sqlite'"):
        assert fragment in text
    assert "hunter2" not in text
    assert "**********" in text


# ---- access API --------------------------------------------------------------------------------


def test_attribute_and_item_access():
    cfg = fresh()
    cfg["database.host"] = "h1"
    assert cfg.database.host == "h1"
    cfg.display.limit = 5
    assert cfg["display.limit"] == 5
    cfg["safemode"] = False
    assert cfg.safemode is False
    cfg.stores["main"] = {"protocol": "file", "location": "/data"}
    assert cfg["stores.main.location"] == "/data"
    cfg["stores.main.location"] = "/other"
    assert cfg.stores["main"]["location"] == "/other"
    assert "database.host" in cfg
    assert "database.nope" not in cfg


def test_secret_str_masking_and_unwrapping():
    cfg = fresh()
    cfg["database.password"] = "pw"
    assert isinstance(cfg.database.password, SecretStr)
    assert repr(cfg.database.password) == "SecretStr('**********')"
    assert cfg["database.password"] == "pw"


def test_unknown_keys():
    cfg = fresh()
    with pytest.raises(KeyError, match=r"Setting 'database\.nope' not found"):
        cfg["database.nope"]
    with pytest.raises(KeyError, match=r"Setting 'nope' not found"):
        cfg["nope"] = 1
    with pytest.raises(KeyError, match=r"Setting 'stores\.x\.y' not found"):
        cfg["stores.x.y"]


def test_get_with_default():
    cfg = fresh()
    assert cfg.get("display.width") == 14
    assert cfg.get("display.nope") is None
    assert cfg.get("display.nope", 7) == 7


def test_delete_resets_to_default():
    cfg = fresh()
    cfg.safemode = False
    cfg.stores["x"] = {"protocol": "file"}
    cfg.jobs.stale_timeout = 10
    del cfg["safemode"]
    del cfg["jobs.stale_timeout"]
    del cfg["stores.x"]
    assert cfg.safemode is True
    assert cfg.jobs.stale_timeout == 3600
    assert cfg.stores == {}
    cfg.stores["y"] = {}
    del cfg["stores"]
    assert cfg.stores == {}


@pytest.mark.parametrize(
    ("target", "attr", "value"),
    [
        ("database", "port", "x"),
        ("database", "port", 70000),
        ("config", "loglevel", "INVALID"),
        ("config", "fetch_format", "frame"),
        ("database", "unknown_field", 1),
        ("display", "diagram_direction", "BT"),
        ("jobs", "default_priority", 256),
        ("jobs", "stale_timeout", -1),
        ("jobs", "lease_renew", 0),
        ("jobs", "version_method", "svn"),
    ],
)
def test_validation_errors(target, attr, value):
    cfg = fresh()
    obj = cfg if target == "config" else getattr(cfg, target)
    with pytest.raises(ValidationError):
        setattr(obj, attr, value)


def test_path_conversion_and_removed_keys():
    cfg = fresh()
    cfg.query_cache = "/tmp/cache"
    cfg.cache = "/tmp/blobs"
    assert cfg.query_cache == Path("/tmp/cache")
    assert cfg.cache == Path("/tmp/blobs")
    cfg.connection.init_function = "SET time_zone = '+00:00'"
    cfg.enable_python_native_blobs = False
    cfg.filepath_checksum_size_limit = 1024
    assert cfg["connection.init_function"].startswith("SET")


def test_loglevel_assignment_sets_logger():
    cfg = fresh()
    cfg.loglevel = "debug"
    assert cfg.loglevel == "DEBUG"
    assert logger.level == logging.DEBUG
    cfg["loglevel"] = "ERROR"
    assert logger.level == logging.ERROR


# ---- override ----------------------------------------------------------------------------------


def test_override_simple_and_nested():
    cfg = fresh()
    with cfg.override(safemode=False, database__host="h", display__diagram_direction="TB") as c:
        assert c is cfg
        assert (cfg.safemode, cfg.database.host, cfg.display.diagram_direction) == (
            False,
            "h",
            "TB",
        )
        assert cfg.database.backend == "mysql"
    assert (cfg.safemode, cfg.database.host, cfg.display.diagram_direction) == (
        True,
        "localhost",
        "LR",
    )
    assert cfg.database.backend == "sqlite"  # host is again "not configured"


def test_override_restores_after_exception():
    cfg = fresh()
    cfg.stores["main"] = {"protocol": "file", "location": "/a"}
    with pytest.raises(RuntimeError), cfg.override(stores={"other": {}}, jobs__stale_timeout=5):
        cfg.stores["other"]["x"] = 1
        raise RuntimeError
    assert cfg.stores == {"main": {"protocol": "file", "location": "/a"}}
    assert cfg.jobs.stale_timeout == 3600


def test_override_validates_at_entry_and_rejects_unknown():
    cfg = fresh()
    ran = []
    with pytest.raises(ValidationError), cfg.override(safemode=False, database__port="x"):
        ran.append(True)
    assert not ran
    assert cfg.safemode is True
    assert cfg.database.explicit_port is None
    for name in ("nope", "database__nope", "nope__host"):
        with pytest.raises(KeyError), cfg.override(**{name: 1}):
            pass


def test_override_restores_password_and_loglevel():
    cfg = fresh()
    with cfg.override(database__password="pw", loglevel="DEBUG"):
        assert cfg["database.password"] == "pw"
        assert logger.level == logging.DEBUG
    assert cfg.database.password is None
    assert logger.level == logging.INFO


# ---- load --------------------------------------------------------------------------------------


def test_load_formats(tmp_path):
    cfg = fresh()
    cfg.stores["keep"] = {"protocol": "file", "location": "/k"}
    path = write_json(
        tmp_path / "c.json",
        {
            "database": {"host": "db", "port": 3307, "removed_key": 1},
            "display.limit": 3,
            "safemode": False,
            "download_path": "downloads",
            "stores": {"default": "main", "main": {"protocol": "file", "location": "/m"}},
            "enable_python_native_blobs": True,
            "unknown_top": 1,
            "nogroup.x": 1,
        },
    )
    cfg.load(path)
    assert cfg.database.host == "db"
    assert cfg.database.port == 3307
    assert cfg.display.limit == 3
    assert cfg.safemode is False
    assert cfg.download_path == "downloads"
    assert set(cfg.stores) == {"keep", "default", "main"}
    assert cfg.config_file == path.resolve()


def test_load_env_wins_over_file(monkeypatch, tmp_path):
    monkeypatch.setenv("DJ_HOST", "env-host")
    monkeypatch.setenv("DJ_SAFEMODE", "false")
    monkeypatch.setenv("DJ_JOBS_STALE_TIMEOUT", "7")
    monkeypatch.setenv("DJ_USER", "")  # empty: the file wins
    cfg = fresh()
    cfg.load(
        write_json(
            tmp_path / "c.json",
            {
                "database": {"host": "file-host", "user": "file-user"},
                "safemode": True,
                "jobs.stale_timeout": 99,
            },
        )
    )
    assert cfg.database.host == "env-host"
    assert cfg.database.user == "file-user"
    assert cfg.safemode is False
    assert cfg.jobs.stale_timeout == 7


def test_load_missing_file_and_logging(tmp_path, caplog):
    cfg = fresh()
    with pytest.raises(FileNotFoundError, match="Config file not found"):
        cfg.load(tmp_path / "missing.json")
    path = write_json(tmp_path / "c.json", {})
    with caplog.at_level(logging.INFO, logger="datajoint"):
        cfg.load(path)
    assert f"Loading configuration from {path.resolve()}" in caplog.text


def test_load_validates_values(tmp_path):
    cfg = fresh()
    with pytest.raises(ValidationError):
        cfg.load(write_json(tmp_path / "c.json", {"database": {"port": "x"}}))


def test_start_up_failed_load_warns(clean_env):
    write_json(clean_env / "datajoint.json", {"loglevel": "LOUD"})
    with pytest.warns(UserWarning, match="Failed to load config from .*datajoint.json"):
        cfg = build_config()
    assert cfg.loglevel == "INFO"


# ---- config file search ------------------------------------------------------------------------


def test_find_config_file(clean_env, tmp_path):
    nested = clean_env / "a" / "b"
    nested.mkdir(parents=True)
    assert find_config_file() is None  # none up to the .git boundary
    write_json(tmp_path / "datajoint.json", {})  # above the boundary: never found
    assert find_config_file(nested) is None
    boundary_file = write_json(clean_env / "datajoint.json", {})  # in the boundary dir
    assert find_config_file(nested) == boundary_file
    parent_file = write_json(clean_env / "a" / "datajoint.json", {})
    assert find_config_file(nested) == parent_file
    os.chdir(clean_env / "a")
    assert find_config_file() == parent_file


def test_find_config_file_stops_at_hg_file(tmp_path):
    root = tmp_path / "other"
    (root / "sub").mkdir(parents=True)
    write_json(tmp_path / "datajoint.json", {})
    (root / ".hg").write_text("")
    assert find_config_file(root / "sub") is None
    (root / ".hg").unlink()
    assert find_config_file(root / "sub") == tmp_path / "datajoint.json"


def test_build_config_uses_found_file(clean_env):
    sub = clean_env / "sub"
    sub.mkdir()
    write_json(clean_env / "datajoint.json", {"database.host": "from-file"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cfg = build_config(sub)
    assert cfg.database.host == "from-file"


# ---- secrets -----------------------------------------------------------------------------------


def make_secrets(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text)
    return directory


def test_secret_file_helpers(tmp_path, monkeypatch):
    secrets = make_secrets(tmp_path / "s", {"database.user": "  bob \n"})
    assert read_secret_file(secrets, "database.user") == "bob"
    assert read_secret_file(secrets, "database.password") is None
    assert read_secret_file(None, "database.user") is None
    config_path = tmp_path / "datajoint.json"
    assert find_secrets_dir(config_path) is None
    assert find_secrets_dir(None) is None
    system = make_secrets(tmp_path / "run" / "secrets" / "datajoint", {})
    monkeypatch.setattr(config_files, "SYSTEM_SECRETS_DIR", system)
    assert find_secrets_dir(None) == system
    local = make_secrets(tmp_path / ".secrets", {})
    assert find_secrets_dir(config_path) == local


def test_secrets_loaded_at_start_up(clean_env):
    write_json(
        clean_env / "datajoint.json",
        {"stores": {"main": {"protocol": "s3", "access_key": "from-file"}}},
    )
    make_secrets(
        clean_env / ".secrets",
        {
            "database.user": "bob\n",
            "database.password": " pw ",
            "stores.main.access_key": "secret-ak",
            "stores.main.secret_key": "secret-sk",
            "stores.cold.token": "tok",
            "stores.bad": "ignored",
            ".hidden": "ignored",
            ".gitignore": "*",
        },
    )
    cfg = fresh()
    assert cfg.database.user == "bob"
    assert cfg["database.password"] == "pw"
    assert cfg.stores["main"] == {
        "protocol": "s3",
        "access_key": "from-file",
        "secret_key": "secret-sk",
    }
    assert cfg.stores["cold"] == {"token": "tok"}
    assert "bad" not in cfg.stores


def test_secrets_never_override(clean_env, monkeypatch):
    write_json(clean_env / "datajoint.json", {"database": {"password": "file-pw"}})
    make_secrets(clean_env / ".secrets", {"database.user": "bob", "database.password": "s"})
    monkeypatch.setenv("DJ_USER", "env-user")
    cfg = fresh()
    assert cfg.database.user == "env-user"
    assert cfg["database.password"] == "file-pw"


def test_system_secrets_dir_without_config_file(clean_env, tmp_path, monkeypatch):
    system = make_secrets(tmp_path / "system", {"database.user": "sys"})
    monkeypatch.setattr(config_files, "SYSTEM_SECRETS_DIR", system)
    assert fresh().database.user == "sys"


# ---- DJ_STORES, DJ_IGNORE_CONFIG_FILE ----------------------------------------------------------


def test_dj_stores_replaces_file_stores(clean_env, monkeypatch):
    write_json(clean_env / "datajoint.json", {"stores": {"filestore": {"protocol": "file"}}})
    make_secrets(clean_env / ".secrets", {"stores.envstore.secret_key": "sk"})
    stores = {"default": "envstore", "envstore": {"protocol": "s3", "secret_key": "keep"}}
    monkeypatch.setenv("DJ_STORES", json.dumps(stores))
    monkeypatch.setenv("DJ_USER", "u")
    cfg = fresh()
    assert cfg.stores == stores
    cfg.load(clean_env / "datajoint.json")  # env wins for stores too
    assert cfg.stores == stores


@pytest.mark.parametrize(
    ("raw", "message"),
    [("{not json", "DJ_STORES contains invalid JSON"), ("[1]", "must be a JSON object, got list")],
)
def test_dj_stores_invalid(monkeypatch, raw, message):
    monkeypatch.setenv("DJ_STORES", raw)
    with pytest.raises(ValueError, match=message):
        fresh()


def test_ignore_config_file(clean_env, monkeypatch):
    write_json(clean_env / "datajoint.json", {"database": {"host": "file"}})
    make_secrets(clean_env / ".secrets", {"database.user": "bob"})
    monkeypatch.setenv("DJ_IGNORE_CONFIG_FILE", "true")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cfg = build_config()
    assert cfg.ignore_config_file is True
    assert cfg.database.host == "localhost"
    assert cfg.database.user is None
    assert cfg.config_file is None


# ---- save_template -----------------------------------------------------------------------------


def test_save_template_minimal(clean_env):
    path = Config.save_template()
    assert path == (clean_env / "datajoint.json").absolute()
    assert (
        path.read_text()
        == '{\n  "database": {\n    "host": "localhost",\n    "port": 3306\n  }\n}\n'
    )
    secrets = clean_env / ".secrets"
    assert (secrets / "database.user").read_text() == "your_username"
    assert (secrets / "database.password").read_text() == "your_password"
    assert (secrets / ".gitignore").read_text().splitlines() == [
        "# Never commit secrets",
        "*",
        "!.gitignore",
    ]


def test_save_template_full_without_credentials(tmp_path):
    path = Config.save_template(tmp_path / "full.json", minimal=False, create_secrets_dir=False)
    data = json.loads(path.read_text())
    assert set(data) >= {"database", "connection", "display", "stores", "loglevel", "safemode"}
    assert set(data["database"]) == {"host", "port", "reconnect", "use_tls"}
    assert data["stores"]["default"] == "main"
    assert data["stores"]["filepath_default"] == "raw_data"
    assert {"partition_pattern", "token_length", "subfolding"} <= set(data["stores"]["main"])
    assert data["stores"]["raw_data"]["protocol"] == "file"
    assert "password" not in path.read_text() and "user" not in path.read_text()
    assert not (tmp_path / ".secrets").exists()
    cfg = fresh()
    cfg.load(path)  # the template is a valid config file
    assert cfg.database.backend == "mysql"


def test_save_template_refuses_overwrite_and_keeps_secrets(tmp_path):
    make_secrets(tmp_path / ".secrets", {"database.user": "real-user"})
    path = Config.save_template(tmp_path / "datajoint.json")
    assert (tmp_path / ".secrets" / "database.user").read_text() == "real-user"
    with pytest.raises(FileExistsError, match=r"File already exists: .*Remove it first"):
        Config.save_template(path)
    Config.save_template(tmp_path / "second.json")  # secrets dir exists already: fine
    assert (tmp_path / ".secrets" / "database.user").read_text() == "real-user"


# ---- thread-safe proxy and store specs ---------------------------------------------------------


def test_global_config_is_a_proxy():
    assert isinstance(settings.config, ConfigProxy)


@pytest.mark.parametrize("flag", ["true", "1", "YES"])
def test_thread_safe_mode(monkeypatch, tmp_path, flag):
    proxy = ConfigProxy(fresh())
    monkeypatch.setenv("DJ_THREAD_SAFE", flag)
    actions = [
        lambda: proxy.database,
        lambda: setattr(proxy, "safemode", False),
        lambda: proxy["safemode"],
        lambda: proxy.__setitem__("safemode", False),
        lambda: proxy.get("safemode"),
        lambda: proxy.override(safemode=False),
        lambda: proxy.load(tmp_path / "x.json"),
        lambda: proxy.get_store_spec(),
    ]
    for action in actions:
        with pytest.raises(ThreadSafetyError) as info:
            action()
        assert str(info.value) == THREAD_SAFE_MESSAGE
    assert repr(proxy) == "ConfigProxy (thread-safe mode - use dj.Instance())"
    assert proxy.save_template(tmp_path / "t.json").exists()


def test_proxy_forwards_without_thread_safe_mode(monkeypatch):
    monkeypatch.setenv("DJ_THREAD_SAFE", "false")
    target = fresh()
    proxy = ConfigProxy(target)
    proxy["safemode"] = False
    proxy.display.limit = 3
    assert target.safemode is False
    assert proxy.display.limit == 3
    with proxy.override(safemode=True):
        assert target.safemode is True
    assert all(s in repr(proxy) for s in ("host=", "user=", "password="))


def test_get_store_spec():
    cfg = fresh()
    with pytest.raises(DataJointError, match=r"stores\.default is not configured"):
        cfg.get_store_spec()
    with pytest.raises(DataJointError, match=r"stores\.filepath_default is not configured"):
        cfg.get_store_spec(use_filepath_default=True)
    main = {"protocol": "file", "location": "/data"}
    raw = {"protocol": "S3", "endpoint": "e", "bucket": "b", "location": ""}
    cfg.stores.update(default="main", filepath_default="raw", main=main, raw=raw)
    spec = cfg.get_store_spec()
    assert spec["protocol"] == "file" and spec["hash_prefix"] == "_hash"
    spec["x"] = 1
    assert cfg.stores["main"] == {"protocol": "file", "location": "/data"}  # a copy
    assert cfg.get_store_spec("")["protocol"] == "file"
    assert cfg.get_store_spec(use_filepath_default=True)["protocol"] == "s3"
    with pytest.raises(DataJointError, match="Storage 'cold' is requested but not configured"):
        cfg.get_store_spec("cold")
    cfg.stores["default"] = 3
    with pytest.raises(DataJointError, match=r"stores\.default must be a string"):
        cfg.get_store_spec()


# ---- logging -----------------------------------------------------------------------------------


def make_record(level: int, msg: str = "hello", exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("datajoint", level, __file__, 1, msg, (), exc_info)


@pytest.mark.parametrize(
    ("level", "pattern"),
    [
        (logging.DEBUG, r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] hello$"),
        (logging.INFO, r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] hello$"),
        (JOBS, r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\]\[JOBS\]: hello$"),
        (logging.WARNING, r"^\[[-\d :]{19}\]\[WARNING\]: hello$"),
        (logging.ERROR, r"^\[[-\d :]{19}\]\[ERROR\]: hello$"),
        (logging.CRITICAL, r"^\[[-\d :]{19}\]\[CRITICAL\]: hello$"),
    ],
)
def test_log_format(level, pattern):
    import re

    assert re.match(pattern, LogFormatter().format(make_record(level)))


def test_log_format_appends_traceback():
    try:
        raise ValueError("boom")
    except ValueError:
        text = LogFormatter().format(make_record(logging.ERROR, "failed", sys.exc_info()))
    lines = text.splitlines()
    assert lines[0].endswith("[ERROR]: failed")
    assert lines[1] == "Traceback (most recent call last):"
    assert lines[-1] == "ValueError: boom"


def test_jobs_level_and_method(capsys):
    assert JOBS == 15
    assert logging.getLevelName(JOBS) == "JOBS"
    logger.setLevel(JOBS)
    logger.jobs("job %s started", "A")
    logger.debug("not shown")
    assert "][JOBS]: job A started" in capsys.readouterr().out
    logger.setLevel(logging.INFO)
    logger.jobs("hidden")
    assert capsys.readouterr().out == ""


def test_log_stream_selection(monkeypatch, capsys):
    try:
        handlers = [h for h in configure_logging().handlers if isinstance(h, StdStreamHandler)]
        assert len(handlers) == 1
        logger.info("to stdout")
        captured = capsys.readouterr()
        assert "to stdout" in captured.out and "to stdout" not in captured.err
        monkeypatch.setenv("DJ_LOG_STREAM", "stderr")
        monkeypatch.setenv("DJ_LOG_LEVEL", "error")
        configure_logging()
        assert logger.level == logging.ERROR
        assert len([h for h in logger.handlers if isinstance(h, StdStreamHandler)]) == 1
        logger.error("to stderr")
        captured = capsys.readouterr()
        assert "[ERROR]: to stderr" in captured.err and captured.out == ""
    finally:
        monkeypatch.delenv("DJ_LOG_STREAM", raising=False)
        monkeypatch.delenv("DJ_LOG_LEVEL", raising=False)
        configure_logging()


def test_handler_follows_redirected_stdout(monkeypatch):
    buffer = io.StringIO()
    monkeypatch.setattr(sys, "stdout", buffer)
    handler = StdStreamHandler()
    handler.setFormatter(LogFormatter())
    handler.emit(make_record(logging.INFO, "redirected"))
    assert buffer.getvalue().endswith("] redirected\n")


# ---- optional dependencies ---------------------------------------------------------------------


def test_require():
    assert require("json", "x") is json
    with pytest.raises(ImportError, match=r"pip install datajoint\[nosuch\]"):
        require("datajoint_no_such_module.sub", "nosuch")
