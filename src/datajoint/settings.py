"""Settings: the ``dj.config`` model, its access API and the start-up sequence (spec 08 §1, §3).

``Config`` is a pydantic-settings model with nested groups. The module-level ``config`` is a
:class:`ConfigProxy` forwarding to the one global :class:`Config`, built at import by
:func:`build_config`; in thread-safe mode (``DJ_THREAD_SAFE``) the proxy refuses access.

Backend resolution (project extension, §1.8): ``database.backend`` stores only an *explicit*
choice; reading ``config.database.backend`` (or ``config["database.backend"]``) returns the
*resolved* backend, and ``database.port`` falls back to the resolved backend's default port.
"""

from __future__ import annotations

import copy
import json
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from . import config_files as files
from .config_files import CONFIG_FILENAME, find_config_file, find_secrets_dir, read_secret_file
from .errors import ThreadSafetyError
from .log import logger
from .store_config import resolve_store_spec

BackendName = Literal["sqlite", "mysql", "postgresql"]
DEFAULT_PORTS: dict[str, int] = {"mysql": 3306, "postgresql": 5432}
THREAD_SAFE_MESSAGE = (
    "Global DataJoint state is disabled in thread-safe mode. "
    "Use dj.Instance() to create an isolated instance."
)
NO_CONFIG_WARNING = (
    "No datajoint.json found. Using defaults and environment variables. "
    "Run `dj.config.save_template()` to create a template configuration."
)
_GROUP_CONFIG = ConfigDict(validate_assignment=True, extra="forbid")
_RESOLVED = frozenset({"backend", "port"})


def resolve_backend(
    explicit: str | None, host: str, host_configured: bool, port: int | None
) -> str:
    """Return the backend to use (spec 08 §1.8).

    An explicit choice wins; else a configured host selects ``mysql``, or ``postgresql`` when
    the port (explicit, or the ``:port`` part of the host) is 5432; else ``sqlite``.
    """
    if explicit:
        return explicit
    if not host_configured:
        return "sqlite"
    name, sep, suffix = host.rpartition(":")
    if sep and name and ":" not in name and suffix.isdigit():
        port = int(suffix)
    return "postgresql" if port == 5432 else "mysql"


def is_thread_safe() -> bool:
    """Whether thread-safe mode is on (``DJ_THREAD_SAFE`` in true/1/yes, read at each call)."""
    return os.environ.get("DJ_THREAD_SAFE", "").strip().lower() in ("true", "1", "yes")


def check_thread_safe() -> None:
    """Raise :class:`ThreadSafetyError` if global state is disabled (thread-safe mode)."""
    if is_thread_safe():
        raise ThreadSafetyError(THREAD_SAFE_MESSAGE)


class DatabaseSettings(BaseModel):
    """``database.*``: server address, credentials, backend and connection defaults.

    ``backend`` and ``port`` hold explicit values only; reading them returns the resolved
    backend and the effective port (see :func:`resolve_backend`).
    """

    model_config = _GROUP_CONFIG

    host: str = "localhost"
    user: str | None = None
    password: SecretStr | None = None
    backend: BackendName | None = None
    port: int | None = Field(default=None, gt=0, le=65535)
    name: str | None = None
    path: str = "datajoint.db"
    reconnect: bool = True
    busy_timeout: float = Field(default=60.0, gt=0)
    prepared_statements: bool = True
    use_tls: bool | None = None
    database_prefix: str = ""
    create_tables: bool = True

    @field_validator("backend", mode="before")
    @classmethod
    def _normalize_backend(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().lower()
            return "postgresql" if value == "postgres" else value
        return value

    def __getattribute__(self, name: str) -> Any:
        if name in _RESOLVED:
            return object.__getattribute__(self, "_resolved")(name)
        return super().__getattribute__(name)

    def _resolved(self, name: str) -> Any:
        values = self.__dict__
        backend = resolve_backend(
            values["backend"],
            values["host"],
            "host" in self.__pydantic_fields_set__,
            values["port"],
        )
        if name == "backend":
            return backend
        return values["port"] if values["port"] is not None else DEFAULT_PORTS.get(backend)

    @property
    def explicit_backend(self) -> str | None:
        """The backend chosen explicitly (file, ``DJ_BACKEND`` or assignment), else ``None``."""
        return cast("str | None", self.__dict__["backend"])

    @property
    def explicit_port(self) -> int | None:
        """The port set explicitly, else ``None``."""
        return cast("int | None", self.__dict__["port"])

    def __repr_args__(self) -> Any:
        for key, value in super().__repr_args__():
            yield key, (getattr(self, key) if key in _RESOLVED else value)


class ConnectionSettings(BaseModel):
    """``connection.*``: driver options."""

    model_config = _GROUP_CONFIG

    charset: str = ""
    init_function: str | None = None


class DisplaySettings(BaseModel):
    """``display.*``: previews and diagrams."""

    model_config = _GROUP_CONFIG

    limit: int = 12
    width: int = 14
    show_tuple_count: bool = True
    diagram_direction: Literal["TB", "LR"] = "LR"
    diagram_theme: Literal["light", "dark", "auto"] = "auto"

    @field_validator("diagram_direction", "diagram_theme", mode="before")
    @classmethod
    def _normalize_case(cls, value: Any, info: Any) -> Any:
        if not isinstance(value, str):
            return value
        value = value.strip()
        return value.upper() if info.field_name == "diagram_direction" else value.lower()


class JobsSettings(BaseModel):
    """``jobs.*``: job reservation and populate behaviour (spec 05)."""

    model_config = _GROUP_CONFIG

    auto_refresh: bool = True
    keep_completed: bool = False
    stale_timeout: int = Field(default=3600, ge=0)
    default_priority: int = Field(default=5, ge=0, le=255)
    version_method: Literal["git", "none"] | None = None
    lease_renew: float = Field(default=30.0, gt=0)
    lease_timeout: float = Field(default=300.0, gt=0)
    # True by default (spec 08 says False): pipelines written for DataJoint 2.x declare such
    # tables; set False to refuse primary-key attributes that no foreign key brings
    allow_new_pk_fields_in_computed_tables: bool = True
    add_job_metadata: bool = False


class FetchSettings(BaseModel):
    """``fetch.*``: fetch defaults."""

    model_config = _GROUP_CONFIG

    order_by_key: bool = True


class _Environment(PydanticBaseSettingsSource):
    """Settings source reading the ``DJ_*`` variables of :data:`config_files.ENV_VARS`."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return files.env_settings()


class Config(BaseSettings):
    """DataJoint settings (``dj.config``), see spec 08 §1."""

    model_config = SettingsConfigDict(validate_assignment=True, extra="forbid")

    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    connection: ConnectionSettings = Field(default_factory=ConnectionSettings)
    display: DisplaySettings = Field(default_factory=DisplaySettings)
    jobs: JobsSettings = Field(default_factory=JobsSettings)
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    stores: dict[str, Any] = Field(default_factory=dict)
    loglevel: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    safemode: bool = True
    ignore_config_file: bool = False
    query_cache: Path | None = None
    download_path: str = "."
    # removed after v2.0.0, kept for compatibility
    cache: Path | None = None
    enable_python_native_blobs: bool = True
    filepath_checksum_size_limit: int | None = None

    _config_file: Path | None = PrivateAttr(default=None)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Use constructor arguments, then ``DJ_*`` variables (nothing unprefixed)."""
        return init_settings, _Environment(settings_cls)

    @field_validator("loglevel", mode="before")
    @classmethod
    def _upper_loglevel(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name == "loglevel":
            logger.setLevel(self.loglevel)

    @property
    def config_file(self) -> Path | None:
        """The ``datajoint.json`` last loaded into this config, if any."""
        return self._config_file

    @classmethod
    def _groups(cls) -> tuple[str, ...]:
        return tuple(
            name
            for name, field in cls.model_fields.items()
            if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
        )

    # ---- dot-path access -------------------------------------------------------------------

    def _walk(self, parts: list[str], key: str) -> Any:
        node: Any = self
        for part in parts:
            if isinstance(node, BaseModel) and part in type(node).model_fields:
                node = getattr(node, part)
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                raise KeyError(f"Setting '{key}' not found")
        return node

    def __getitem__(self, key: str) -> Any:
        value = self._walk(key.split("."), key)
        return value.get_secret_value() if isinstance(value, SecretStr) else value

    def __setitem__(self, key: str, value: Any) -> None:
        *head, last = key.split(".")
        parent = self._walk(head, key)
        if isinstance(parent, BaseModel):
            if last not in type(parent).model_fields:
                raise KeyError(f"Setting '{key}' not found")
            setattr(parent, last, value)
        elif isinstance(parent, dict):
            parent[last] = value
        else:
            raise KeyError(f"Setting '{key}' not found")

    def __delitem__(self, key: str) -> None:
        *head, last = key.split(".")
        parent = self._walk(head, key)
        if isinstance(parent, BaseModel) and last in type(parent).model_fields:
            field = type(parent).model_fields[last]
            setattr(parent, last, field.get_default(call_default_factory=True))
            parent.__pydantic_fields_set__.discard(last)
        elif isinstance(parent, dict) and last in parent:
            del parent[last]
        else:
            raise KeyError(f"Setting '{key}' not found")

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        try:
            self._walk(key.split("."), key)
        except KeyError:
            return False
        return True

    def get(self, key: str, default: Any = None) -> Any:
        """Return ``self[key]``, or ``default`` if the setting does not exist."""
        try:
            return self[key]
        except KeyError:
            return default

    # ---- override ----------------------------------------------------------------------------

    def _override_target(self, name: str) -> tuple[BaseModel, str]:
        if "__" in name:
            group, field = name.split("__", 1)
            if group in self._groups():
                model: BaseModel = getattr(self, group)
                if field in type(model).model_fields:
                    return model, field
        elif name in type(self).model_fields:
            return self, name
        raise KeyError(f"Setting '{name}' not found")

    @contextmanager
    def override(self, **kwargs: Any) -> Iterator[Config]:
        """Temporarily set values (``safemode=False``, ``database__host="h"``); restore on exit.

        Values are validated on entry; unknown names raise ``KeyError``.
        """
        targets = [(self._override_target(name), value) for name, value in kwargs.items()]
        saved: list[tuple[BaseModel, str, Any, bool]] = []
        try:
            for (model, field), value in targets:
                original = copy.deepcopy(model.__dict__[field])
                saved.append((model, field, original, field in model.__pydantic_fields_set__))
                setattr(model, field, value)
            yield self
        finally:
            for model, field, original, was_set in reversed(saved):
                setattr(model, field, original)
                if not was_set:
                    model.__pydantic_fields_set__.discard(field)

    # ---- files -------------------------------------------------------------------------------

    def load(self, path: str | os.PathLike[str]) -> None:
        """Load settings from a JSON config file (spec 08 §1.5).

        Unknown keys are ignored; a key whose environment variable is set keeps the
        environment's value; ``stores`` is merged store by store.

        Raises
        ------
        FileNotFoundError
            The file does not exist.
        """
        file = Path(path)
        if not file.is_file():
            raise FileNotFoundError(f"Config file not found: {file}")
        logger.info("Loading configuration from %s", file.resolve())
        data = json.loads(file.read_text())
        if not isinstance(data, dict):
            raise ValueError(f"Config file {file} must contain a JSON object")
        groups = self._groups()
        for key, value in data.items():
            if key == "stores":
                if isinstance(value, dict) and not files.env_is_set("stores"):
                    for name, spec in value.items():
                        self.stores[name] = copy.deepcopy(spec)
            elif key in groups and isinstance(value, dict):
                for field, item in value.items():
                    self._load_setting(key, field, item)
            elif "." in key:
                self._load_dotted(key, value, groups)
            elif key in type(self).model_fields and key not in groups:
                self._load_setting(None, key, value)
        self._config_file = file.resolve()

    def _load_dotted(self, key: str, value: Any, groups: tuple[str, ...]) -> None:
        head, rest = key.split(".", 1)
        if head == "stores":
            if files.env_is_set("stores"):
                return
            name, _, attr = rest.partition(".")
            if not attr:
                self.stores[name] = copy.deepcopy(value)
            elif "." not in attr and isinstance(self.stores.setdefault(name, {}), dict):
                self.stores[name][attr] = copy.deepcopy(value)
        elif head in groups and "." not in rest:
            self._load_setting(head, rest, value)

    def _load_setting(self, group: str | None, field: str, value: Any) -> None:
        model: BaseModel = getattr(self, group) if group else self
        if field not in type(model).model_fields:
            return
        if files.env_is_set(f"{group}.{field}" if group else field):
            return
        setattr(model, field, value)

    def load_secrets(self, secrets_dir: str | os.PathLike[str] | None) -> None:
        """Fill unset credentials and store attributes from a secrets directory (§1.6)."""
        if secrets_dir is None:
            return
        for field in ("user", "password"):
            if self.database.__dict__[field] is None:
                value = read_secret_file(secrets_dir, f"database.{field}")
                if value is not None:
                    setattr(self.database, field, value)
        for (store, attr), value in files.store_secrets(secrets_dir).items():
            spec = self.stores.setdefault(store, {})
            if isinstance(spec, dict) and attr not in spec:
                spec[attr] = value

    @staticmethod
    def save_template(
        path: str | os.PathLike[str] = "datajoint.json",
        minimal: bool = True,
        create_secrets_dir: bool = True,
    ) -> Path:
        """Write a template ``datajoint.json`` (never credentials); return its absolute path.

        Parameters
        ----------
        path : file to create; an existing file raises ``FileExistsError``.
        minimal : only ``database.host`` and ``database.port``; else every common setting.
        create_secrets_dir : also create ``.secrets/`` with placeholders and a ``.gitignore``.
        """
        return files.write_template(path, minimal=minimal, create_secrets_dir=create_secrets_dir)

    # ---- stores ------------------------------------------------------------------------------

    def get_store_spec(
        self, store: str | None = None, *, use_filepath_default: bool = False
    ) -> dict[str, Any]:
        """A validated copy of the spec of ``store`` with defaults filled in (spec 06 §1.3).

        ``None`` or ``""`` means ``stores.default`` (``stores.filepath_default`` with
        ``use_filepath_default``). The config is not modified.

        Raises
        ------
        DataJointError
            The default store is not set, the store is not configured, or its spec is invalid
            (unknown protocol, missing or unknown keys, overlapping section prefixes).
        """
        return resolve_store_spec(self.stores, store, use_filepath_default=use_filepath_default)


def build_config(start: str | os.PathLike[str] | None = None) -> Config:
    """Build a :class:`Config` by the start-up sequence of spec 08 §1.7.

    Defaults and ``DJ_*`` variables, then ``datajoint.json`` (searched from ``start``),
    ``DJ_STORES``, secrets, and finally the ``datajoint`` logger level.
    """
    cfg = Config()
    config_path = None
    if not cfg.ignore_config_file:
        config_path = find_config_file(start)
        if config_path is None:
            warnings.warn(NO_CONFIG_WARNING, UserWarning, stacklevel=1)
        else:
            try:
                cfg.load(config_path)
            except Exception as error:
                warnings.warn(
                    f"Failed to load config from {config_path}: {error}", UserWarning, stacklevel=1
                )
    stores = files.stores_from_env()
    if stores is not None:
        cfg.stores = stores
    if not cfg.ignore_config_file:
        cfg.load_secrets(find_secrets_dir(config_path))
    logger.setLevel(cfg.loglevel)
    return cfg


class ConfigProxy:
    """``dj.config``: forwards everything to the global :class:`Config`.

    In thread-safe mode every access raises :class:`ThreadSafetyError`, except
    :meth:`save_template` and ``repr``.
    """

    __slots__ = ("_target",)
    _target: Config

    def __init__(self, target: Config) -> None:
        object.__setattr__(self, "_target", target)

    def _config(self) -> Config:
        check_thread_safe()
        return self._target

    def __getattr__(self, name: str) -> Any:
        return getattr(self._config(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._config(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._config(), name)

    def __getitem__(self, key: str) -> Any:
        return self._config()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._config()[key] = value

    def __delitem__(self, key: str) -> None:
        del self._config()[key]

    def __contains__(self, key: object) -> bool:
        return key in self._config()

    def __dir__(self) -> list[str]:
        return sorted(set(dir(type(self))) | set(dir(self._config())))

    def __repr__(self) -> str:
        if is_thread_safe():
            return "ConfigProxy (thread-safe mode - use dj.Instance())"
        return repr(self._target)

    __str__ = __repr__

    save_template = staticmethod(Config.save_template)


config = ConfigProxy(build_config())

__all__ = [
    "CONFIG_FILENAME",
    "DEFAULT_PORTS",
    "NO_CONFIG_WARNING",
    "THREAD_SAFE_MESSAGE",
    "Config",
    "ConfigProxy",
    "ConnectionSettings",
    "DatabaseSettings",
    "DisplaySettings",
    "FetchSettings",
    "JobsSettings",
    "build_config",
    "check_thread_safe",
    "config",
    "find_config_file",
    "find_secrets_dir",
    "is_thread_safe",
    "read_secret_file",
    "resolve_backend",
]
