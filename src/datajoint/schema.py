"""Schema, virtual_schema and VirtualModule (spec 08 §4)."""

from __future__ import annotations

import inspect
import logging
import types
import warnings
from typing import Any, TypeVar, cast

from . import utils
from .catalog import LINEAGE_TABLE
from .connection import Connection, conn
from .declare.ddl import declare
from .declare.describe import describe_heading
from .declare.lineage import read_lineage, rebuild_lineage
from .dependencies import master_of, split_node
from .errors import AccessError, DataJointError, DeclarationError
from .populate.autopopulate import Computed, Imported
from .populate.jobs import Job, schema_jobs
from .settings import build_config, check_thread_safe
from .table.table import FreeTable, Table
from .table.tiers import Lookup, Manual, Part, tier_of
from .utils import to_camel_case, to_snake_case

logger = logging.getLogger("datajoint")

_T = TypeVar("_T", bound=Table)

_TIERS = {"Manual": Manual, "Lookup": Lookup, "Imported": Imported, "Computed": Computed}


def _config(connection: Any, key: str, default: Any) -> Any:
    try:
        value = connection._config[key]
    except KeyError:
        return default
    return default if value is None else value


class Schema:
    """A database schema (MySQL database, PostgreSQL schema, SQLite namespace).

    Decorate table classes with it to bind and declare them::

        schema = dj.Schema("lab")

        @schema
        class Subject(dj.Manual):
            definition = "subject_id : int32"
    """

    def __init__(
        self,
        schema_name: str | None = None,
        context: dict[str, Any] | None = None,
        *,
        connection: Connection | None = None,
        create_schema: bool = True,
        create_tables: bool | None = None,
        add_objects: dict[str, Any] | None = None,
    ) -> None:
        self.database: str | None = None
        self.context = context
        self.connection = connection
        self.create_schema = create_schema
        self.create_tables = create_tables
        self.add_objects = add_objects or {}
        self._deferred: list[tuple[type[Table], dict[str, Any]]] = []
        if schema_name is not None:
            self.activate(schema_name)

    # ---------------------------------------------------------------- activation
    def is_activated(self) -> bool:
        return self.database is not None

    def activate(
        self,
        schema_name: str | None = None,
        *,
        connection: Connection | None = None,
        create_schema: bool | None = None,
        create_tables: bool | None = None,
        add_objects: dict[str, Any] | None = None,
    ) -> None:
        """Bind the schema to a database schema, creating it if allowed."""
        if schema_name is None:
            if self.exists:
                return
            raise DataJointError("Please provide a schema_name to activate the schema.")
        if self.database is not None and self.database != schema_name and self.exists:
            raise DataJointError(f"The schema is already activated for schema {self.database}.")
        if connection is not None:
            self.connection = connection
        if create_schema is not None:
            self.create_schema = create_schema
        if create_tables is not None:
            self.create_tables = create_tables
        if add_objects:
            self.add_objects.update(add_objects)
        if self.connection is None:
            check_thread_safe()
            self.connection = conn()
        if _config(self.connection, "database.database_prefix", ""):
            warnings.warn(
                "database.database_prefix is deprecated and is not applied automatically.",
                DeprecationWarning,
                stacklevel=2,
            )
        adapter = self.connection.adapter
        adapter.check_schema_name(schema_name)
        self.database = schema_name
        # a new Schema object sees the tables as they are now (also those made by plain SQL);
        # loading the catalog first answers "exists" for any schema that has tables
        self.connection.invalidate(schema_name)
        has_tables = bool(self.connection.catalog.tables(schema_name))
        if not has_tables and not adapter.schema_exists(self.connection.query, schema_name):
            if not self.create_schema:
                raise DataJointError(
                    f"Database `{schema_name}` has not yet been declared. Set argument "
                    "create_schema=True to create it."
                )
            try:
                adapter.create_schema(self.connection.query, schema_name)
            except AccessError:
                raise DataJointError(
                    f"Schema `{schema_name}` does not exist and could not be created. "
                    "Check permissions."
                ) from None
        self.connection.register(self)
        deferred, self._deferred = self._deferred, []
        for cls, context in deferred:
            self._decorate(cls, {**context, **self.add_objects})

    @property
    def exists(self) -> bool:
        if self.database is None:
            raise DataJointError("Schema must be activated first.")
        assert self.connection is not None  # activate() sets it before the database
        return self.connection.adapter.schema_exists(self.connection.query, self.database)

    def __repr__(self) -> str:
        return f"Schema `{self.database}`\n"

    # ---------------------------------------------------------------- decoration
    def __call__(self, cls: type[_T], *, context: dict[str, Any] | None = None) -> type[_T]:
        if issubclass(cls, Part):
            raise DataJointError("The schema decorator should not be applied to Part tables.")
        if context is None:
            if self.context is not None:
                context = dict(self.context)
            else:
                frame = inspect.currentframe()
                caller = frame.f_back if frame is not None else None
                context = {**caller.f_globals, **caller.f_locals} if caller else {}
        context = {**context, **self.add_objects}
        if self.database is None:
            self._deferred.append((cls, context))
        else:
            self._decorate(cls, context)
        return cls

    def _create_tables(self) -> bool:
        if self.create_tables is not None:
            return bool(self.create_tables)
        return bool(_config(self.connection, "database.create_tables", True))

    def _bind(self, cls: type[Table], context: dict[str, Any], *, is_part: bool = False) -> None:
        cls.database = self.database
        cls._connection_ = self.connection
        cls._table_name = None
        cls._table_name = cls.table_name
        if not self._create_tables():
            return
        instance = cls()
        if not instance.is_declared:
            if not (cls.definition or "").strip():
                raise DeclarationError(
                    f"Table class `{cls.__name__}` has no definition: give it a `definition` "
                    'string listing its attributes (e.g. definition = "id : int32") before '
                    "decorating it with the schema."
                )
            tier = "Part" if is_part else cls.tier_name
            assert self.database is not None  # tables are bound to an activated schema
            declare(
                self.connection,
                self.database,
                cls.table_name,
                cls.definition,
                {**context, "self": cls},
                tier=tier,
                is_part=is_part,
            )

    def _decorate(self, cls: type[Table], context: dict[str, Any]) -> None:
        context = {**context, cls.__name__: cls}
        self._bind(cls, context)
        for name in _part_names(cls):
            part = getattr(cls, name)
            part._master = cls
            self._bind(part, {**context, "master": cls}, is_part=True)
        if issubclass(cls, Lookup) and cls.contents is not None:
            self._insert_contents(cls)
        if cls.definition and "Table definition:" not in (cls.__doc__ or ""):
            cls.__doc__ = (cls.__doc__ or "") + "\nTable definition:\n\n" + cls.definition

    def _insert_contents(self, cls: type[Lookup]) -> None:
        table = cls()
        if not table.is_declared:
            return
        contents = list(cls.contents)
        if len(table) >= len(contents):
            return
        if table.heading.has_autoincrement:
            warnings.warn(
                f"Contents has changed but cannot be inserted because {cls.__name__} has "
                "autoincrement.",
                UserWarning,
                stacklevel=3,
            )
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            table.insert(contents, skip_duplicates=True)

    # ---------------------------------------------------------------- introspection
    def _require(self) -> str:
        if self.database is None:
            raise DataJointError("Schema must be activated first.")
        return self.database

    def list_tables(self) -> list[str]:
        """SQL names of the schema's tables in dependency order (parts after masters)."""
        database = self._require()
        assert self.connection is not None  # activate() sets it before the database
        deps = self.connection.dependencies
        deps.load([database])
        nodes = [n for n in deps.graph if split_node(n)[0] == database]
        return [split_node(n)[1] for n in deps.topo_sort(nodes)]

    def _resolve_name(self, name: str) -> str | None:
        database = self._require()  # activation sets the connection, then the database
        tables = cast(Connection, self.connection).catalog.tables(database)
        candidates = [name]
        if name[:1].isupper():
            candidates = [to_snake_case(name)]
        for base in list(candidates):
            candidates += ["#" + base, "_" + base, "__" + base]
        for c in candidates:
            if c in tables and not c.startswith("~"):
                return c
        return None

    def get_table(self, name: str) -> FreeTable:
        """A FreeTable by SQL name (``session``, ``#rig``) or class name (``Session``)."""
        table = self._resolve_name(name)
        if table is None:
            raise DataJointError(f"Table `{name}` does not exist in schema `{self.database}`.")
        return FreeTable(self.connection, f"{self.database}.{table}")

    def __getitem__(self, name: str) -> FreeTable:
        return self.get_table(name)

    def __contains__(self, name: str) -> bool:
        return self._resolve_name(name) is not None

    def __iter__(self) -> Any:
        for name in self.list_tables():
            yield FreeTable(self.connection, f"{self.database}.{name}")

    def drop(self, prompt: bool | None = None) -> None:
        """Drop the schema and all its tables (asks first when ``prompt``/safemode)."""
        database = self._require()
        assert self.connection is not None  # activate() sets it before the database
        adapter = self.connection.adapter
        if not adapter.schema_exists(self.connection.query, database):
            logger.info(f"Schema named `{database}` does not exist. Doing nothing.")
            return
        if prompt is None:
            prompt = bool(_config(self.connection, "safemode", True))
        if prompt:
            question = f"Proceed to delete entire schema `{database}`?"
            if utils.user_choice(question, default="no") != "yes":
                return
        try:
            adapter.drop_schema(self.connection.query, database)
        except AccessError:
            raise AccessError(
                f"An attempt to drop schema `{database}` has failed. Check permissions."
            ) from None
        finally:
            self.connection.invalidate(database)
            self.connection.schemas.pop(database, None)

    @property
    def jobs(self) -> list[Job]:
        """Jobs tables of the schema's auto-populated tables that have one (spec 05 §7.1)."""
        return schema_jobs(self, {"Imported": Imported, "Computed": Computed})

    # ---------------------------------------------------------------- lineage and size
    @property
    def lineage_table_exists(self) -> bool:
        """Whether the schema has its ``~lineage`` table (needed by the semantic check)."""
        database = self._require()  # activation sets the connection, then the database
        return LINEAGE_TABLE in cast(Connection, self.connection).catalog.tables(database)

    @property
    def lineage(self) -> dict[str, str]:
        """``{"schema.table.attribute": lineage}`` as recorded in ``~lineage``."""
        return read_lineage(self.connection, self._require())

    def rebuild_lineage(self) -> None:
        """Recompute the ``~lineage`` rows of every table from keys and foreign keys."""
        rebuild_lineage(self.connection, self._require())

    @property
    def size_on_disk(self) -> int:
        """Bytes of data and indexes of the schema's tables."""
        database = self._require()
        assert self.connection is not None  # activate() sets it before the database
        return self.connection.adapter.schema_size(self.connection.query, database)

    # ---------------------------------------------------------------- generated code
    @property
    def code(self) -> str:
        """Python source declaring the schema's tables as classes (spec 08 §4.6)."""
        database, tables = self._require(), self.list_tables()
        assert self.connection is not None  # activate() sets it before the database
        return schema_code(database, tables, self.connection.catalog)

    def save(self, python_filename: str | None = None) -> str:
        """:attr:`code`, also written to ``python_filename`` when given."""
        text = self.code
        if python_filename is not None:
            with open(python_filename, "w") as f:
                f.write(text)
        return text

    # ---------------------------------------------------------------- generated classes
    def make_classes(self, into: dict[str, Any] | None = None, *, refresh: bool = True) -> None:
        """Create a class for every table of the schema that has none in ``into``.

        ``refresh`` re-reads the schema's tables first, so tables made meanwhile (by another
        process or by plain SQL) get classes too.
        """
        if into is None:
            if self.context is not None:
                into = self.context
            else:
                frame = inspect.currentframe()
                into = frame.f_back.f_locals if frame and frame.f_back else {}
        database = self._require()
        # generated classes belong to the module they are made into (labels, describe())
        namespace = {"definition": "", "__module__": into.get("__name__", __name__)}
        assert self.connection is not None  # activate() sets it before the database
        if refresh:
            self.connection.invalidate(database)
        existing = {
            (getattr(v, "database", None), _safe_table_name(v)): v
            for v in into.values()
            if isinstance(v, type) and issubclass(v, Table)
        }
        # masters first, then their parts: no dependency order needed (nor networkx loaded);
        # hidden tables (jobs, lineage, DataJoint 0.14's ~external_*, ~log) get no class
        tables = self.connection.catalog.tables(database)
        names = sorted(name for name in tables if not name.startswith("~"))
        for name in names:
            tier = tier_of(name)
            if tier == "Part":
                continue
            if (database, name) not in existing:
                # a table named outside the conventions (made by plain SQL) is read as Manual
                base = _TIERS[tier or "Manual"]
                cls = cast("type[Table]", type(_class_name(name), (base,), dict(namespace)))
                cls._table_name = name
                cls.database = database
                cls._connection_ = self.connection
                into[cls.__name__] = cls
                existing[(database, name)] = cls
        for name in names:
            if tier_of(name) != "Part":
                continue
            master_name = master_of(name)
            master = existing.get((database, master_name)) if master_name else None
            if master is None:
                raise DataJointError(
                    f"The table {name} does not follow DataJoint naming conventions"
                )
            # a master was found, so master_name is not None
            part_name = to_camel_case(name[len(master_name) + 2 :])  # type: ignore[arg-type]
            part = cast("type[Part]", type(part_name, (Part,), dict(namespace)))
            part._master = master
            part._table_name = name
            part.database = database
            part._connection_ = self.connection
            setattr(master, part_name, part)

    spawn_missing_classes = make_classes


def _class_name(table: str) -> str:
    """A Python class name for a table name: ``plain_sql`` → ``PlainSql``, ``2p`` → ``T2p``."""
    name = to_camel_case(table)
    return name if name.isidentifier() else "T" + name


def class_path(table: str) -> str:
    """``session`` → ``Session``; ``__summary__channel`` → ``Summary.Channel``."""
    master = master_of(table)
    if master is None:
        return to_camel_case(table)
    return f"{to_camel_case(master)}.{to_camel_case(table[len(master) + 2 :])}"


def _definition(text: str, indent: str) -> list[str]:
    body = [indent + line if line else line for line in text.rstrip("\n").split("\n")]
    return [f'{indent}definition = """', *body, f'{indent}"""']


def schema_code(database: str, tables: list[str], catalog: Any) -> str:
    """The Python module text declaring ``tables`` (in dependency order) of ``database``."""
    headings = catalog.tables(database)
    names = {(database, t): class_path(t) for t in tables}
    modules: dict[str, str] = {}
    for table in tables:
        for fk in headings[table].foreign_keys:
            if fk.parent[0] != database:
                alias = modules.setdefault(fk.parent[0], f"vmod{len(modules)}")
                names[fk.parent] = f"{alias}.{class_path(fk.parent[1])}"
    lines = [
        f'"""Tables of schema `{database}`, generated by DataJoint from the database."""',
        "",
        "import datajoint as dj",
        "",
        f"schema = dj.Schema({database!r})",
        *[f"{alias} = dj.VirtualModule({alias!r}, {db!r})" for db, alias in modules.items()],
    ]
    for table in tables:
        if tier_of(table) is None:  # made outside DataJoint: no class declares this name
            lines += ["", "", f"# table `{table}` does not follow the DataJoint naming rules"]
            continue
        if master_of(table) is not None:
            continue
        lines += ["", "", "@schema", f"class {to_camel_case(table)}(dj.{tier_of(table)}):"]
        lines += _definition(describe_heading(headings[table], names), "    ")
        for part in tables:
            if master_of(part) == table:
                part_names = {**names, (database, table): "master"}
                lines += ["", f"    class {class_path(part).split('.')[1]}(dj.Part):"]
                lines += _definition(describe_heading(headings[part], part_names), "        ")
    return "\n".join(lines) + "\n"


def _safe_table_name(cls: type[Table]) -> str | None:
    try:
        return cls.table_name
    except DataJointError:
        return None


def _part_names(cls: type) -> list[str]:
    names: list[str] = []
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            is_part = isinstance(value, type) and issubclass(value, Part)
            if name[:1].isupper() and is_part and name not in names:
                names.append(name)
    return names


class VirtualModule(types.ModuleType):
    """A module whose classes are generated from an existing schema."""

    def __init__(
        self,
        module_name: str,
        schema_name: str,
        *,
        create_schema: bool = False,
        create_tables: bool = False,
        connection: Connection | None = None,
        add_objects: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(module_name)
        schema = Schema(
            schema_name,
            connection=connection,
            create_schema=create_schema,
            create_tables=create_tables,
        )
        if add_objects:
            self.__dict__.update(add_objects)
        self.__dict__["schema"] = schema
        schema.make_classes(into=self.__dict__, refresh=False)  # just activated: up to date
        if schema.context is None:
            schema.context = self.__dict__  # resolves parents to class names in describe()


def virtual_schema(
    schema_name: str,
    *,
    connection: Connection | None = None,
    create_schema: bool = False,
    create_tables: bool = False,
    add_objects: dict[str, Any] | None = None,
) -> VirtualModule:
    """A VirtualModule named after the schema."""
    return VirtualModule(
        schema_name,
        schema_name,
        create_schema=create_schema,
        create_tables=create_tables,
        connection=connection,
        add_objects=add_objects,
    )


def list_schemas(connection: Connection | None = None) -> list[str]:
    """Names of the schemas visible to the connection's user."""
    connection = connection or conn()
    return connection.adapter.list_schemas(connection.query)


__all__ = ["Instance", "Schema", "VirtualModule", "list_schemas", "virtual_schema"]


class Instance:
    """An isolated configuration and connection (spec 08 §3): no global state involved.

    Keyword arguments override config values: top-level names (``safemode=False``) or
    ``group__field`` (``database__reconnect=False``).
    """

    def __init__(
        self,
        host: str | None = None,
        user: str | None = None,
        password: str | None = None,
        port: int | None = None,
        use_tls: Any = None,
        backend: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.config = build_config()
        if backend is not None:
            # a name, validated and normalized ("postgres" → "postgresql") by pydantic
            self.config.database.backend = backend  # type: ignore[assignment]
        for name, value in kwargs.items():
            self.config[name.replace("__", ".")] = value
        if port is None and "database__port" not in kwargs and backend is not None:
            port = self.config.database.port
        self.connection = Connection(
            host, user, password, port, use_tls, config_override=self.config
        )

    def Schema(
        self,
        schema_name: str,
        *,
        context: dict[str, Any] | None = None,
        create_schema: bool = True,
        create_tables: bool | None = None,
        add_objects: dict[str, Any] | None = None,
    ) -> Schema:
        """A Schema on this instance's connection."""
        return Schema(
            schema_name,
            context,
            connection=self.connection,
            create_schema=create_schema,
            create_tables=create_tables,
            add_objects=add_objects,
        )

    def FreeTable(self, full_table_name: str) -> FreeTable:
        return FreeTable(self.connection, full_table_name)

    def __repr__(self) -> str:
        return f"Instance({self.connection!r})"
