"""The ``dj`` command (spec 08 §6): an interactive console, and subcommands for the shell.

``dj`` alone starts a Python console with ``dj`` and the ``-s`` schemas loaded. Subcommands
answer one question and exit: ``dj schemas``, ``dj tables SCHEMA``, ``dj describe SCHEMA
TABLE``, ``dj progress SCHEMA``, ``dj diagram SCHEMA [-o FILE]``, ``dj gc SCHEMA...``,
``dj migrate SCHEMA [--apply] [--finalize]`` and ``dj export SCHEMA [TABLE...] --to TARGET``.
They exit with status 0 on success, 1 when the database or DataJoint reports an error (the
message goes to stderr), and 2 for a malformed command line.
"""

from __future__ import annotations

import argparse
import code
import logging
import sys
import types
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any

import datajoint as dj

from .errors import DataJointError
from .log import StdStreamHandler
from .migrate.report import format_report
from .table.tiers import tier_of

_CONNECTION_OPTIONS = (
    (("-u", "--user"), {"help": "database user"}),
    (("-p", "--password"), {"help": "database password"}),
    (("--host",), {"help": "database host (host:port allowed)"}),
    (("--port",), {"type": int, "help": "database port"}),
    (("--backend",), {"choices": ["mysql", "postgresql", "sqlite"], "help": "database backend"}),
    (("--path",), {"help": "SQLite database file"}),
)


class CommandError(Exception):
    """A subcommand failed: the message is printed after ``dj: error:``."""


def _schema_spec(text: str) -> tuple[str, str]:
    if ":" not in text:
        raise argparse.ArgumentTypeError(f"Invalid schema format '{text}'. Use schema_name:alias")
    database, alias = text.split(":", 1)
    return database, alias


def _connection_arguments(parser: argparse.ArgumentParser, *, inherited: bool) -> None:
    """Add the connection options; under a subcommand they do not reset what was given before."""
    for flags, options in _CONNECTION_OPTIONS:
        extra = {"default": argparse.SUPPRESS} if inherited else {}
        parser.add_argument(*flags, **options, **extra)  # type: ignore[arg-type]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dj",
        description="DataJoint console (no command) and pipeline inspection commands.",
        conflict_handler="resolve",
    )
    parser.add_argument("-V", "--version", action="version", version=f"datajoint {dj.__version__}")
    _connection_arguments(parser, inherited=False)
    parser.add_argument(
        "-s",
        "--schemas",
        nargs="+",
        action="extend",
        type=_schema_spec,
        metavar="DB:ALIAS",
        help="load schemas as virtual modules into the console",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    def command(name: str, summary: str, *positionals: tuple[str, str]) -> None:
        sub = commands.add_parser(name, help=summary, description=summary)
        for metavar, text in positionals:
            sub.add_argument(metavar.lower(), metavar=metavar, help=text)
        _connection_arguments(sub, inherited=True)

    schema = ("SCHEMA", "schema (database) name")
    command("schemas", "List the schemas on the database server.")
    command("tables", "List a schema's tables in dependency order with tier and row count.", schema)
    command(
        "describe",
        "Print the definition of a table.",
        schema,
        ("TABLE", "class name (Session, Session.Trial) or SQL name (session)"),
    )
    command("progress", "Show populate progress of a schema's auto-populated tables.", schema)
    command("diagram", "Draw a schema's diagram: Mermaid text on stdout, or a file.", schema)
    commands.choices["diagram"].add_argument(
        "-o", "--output", metavar="FILE", help="write a .svg, .png or .mmd/.mermaid file instead"
    )
    gc = commands.add_parser(
        "gc",
        help="Find (and with --delete remove) stored objects no row of the schemas references.",
        description="Garbage collection of a store: a dry run unless --delete is given.",
    )
    gc.add_argument("schemas_", nargs="+", metavar="SCHEMA", help="schemas sharing the store")
    gc.add_argument("--store", help="store name (default: stores.default)")
    gc.add_argument("--delete", action="store_true", help="delete the orphaned objects")
    gc.add_argument(
        "--min-age",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="spare objects written more recently (default: 3600)",
    )
    _connection_arguments(gc, inherited=True)
    migrate = commands.add_parser(
        "migrate",
        help="Migrate a schema made by DataJoint 0.14 (a dry run unless --apply is given).",
        description="Migrate a schema made by DataJoint 0.14: type markers, store references, "
        "job metadata, lineage. A dry run unless --apply is given.",
    )
    migrate.add_argument("schema", metavar="SCHEMA", help="schema (database) name")
    migrate.add_argument("--apply", action="store_true", help="make the changes")
    migrate.add_argument(
        "--finalize",
        action="store_true",
        help="swap the filled 2.0 columns in for the 0.14 store references",
    )
    migrate.add_argument("--sql", action="store_true", help="also print the SQL statements")
    _connection_arguments(migrate, inherited=True)
    export = commands.add_parser(
        "export",
        help="Copy tables (or restricted rows) with every row they depend on to another database.",
        description="Copy rows of a schema with every row they depend on (and, with --clone, "
        "every row depending on them) into a SQLite file or another server; in-store objects "
        "are copied too. Running it again changes nothing.",
    )
    export.add_argument("schema", metavar="SCHEMA", help="schema (database) name")
    export.add_argument(
        "tables",
        nargs="*",
        metavar="TABLE",
        help="class names (Session, Session.Trial); default all",
    )
    export.add_argument(
        "--to",
        required=True,
        metavar="TARGET",
        help="a SQLite file, or a URL: mysql://user:password@host:port, postgresql://…",
    )
    export.add_argument("--where", metavar="SQL", help="restrict each named table by this SQL")
    export.add_argument(
        "--clone", action="store_true", help="also copy every row that depends on the rows"
    )
    export.add_argument(
        "--rename",
        metavar="SCHEMA:TARGET",
        type=_schema_spec,
        action="append",
        default=[],
        help="write schema SCHEMA as TARGET in the target database (repeatable)",
    )
    export.add_argument("--dry-run", action="store_true", help="only count the rows to copy")
    _connection_arguments(export, inherited=True)
    return parser


# ------------------------------------------------------------------------------ subcommands
def _connect(options: argparse.Namespace) -> Any:
    """A new connection from the options, falling back to ``dj.config`` and the environment."""
    overrides = {
        f"database__{key}": getattr(options, key, None)
        for key in ("host", "port", "backend", "path")
        if getattr(options, key, None)
    }
    with dj.config.override(**overrides):
        user = options.user or dj.config["database.user"]
        password = options.password or dj.config["database.password"]
        backend = dj.config["database.backend"]
        try:
            return dj.Connection(user=user, password=password)
        except DataJointError:
            raise
        except Exception as exc:  # the driver's own error: the server is not reachable
            where = (
                dj.config["database.path"] if backend == "sqlite" else dj.config["database.host"]
            )
            raise CommandError(f"cannot connect to the {backend} database at {where}: {exc}")


def _module(connection: Any, schema: str) -> Any:
    if schema not in dj.list_schemas(connection):
        raise CommandError(f"schema `{schema}` does not exist (see `dj schemas`).")
    return dj.VirtualModule(schema, schema, connection=connection)


def _classes(module: Any) -> list[tuple[str, Any]]:
    """``(class path, table class)`` of every table of the module, in dependency order."""
    found: dict[str, tuple[str, Any]] = {}
    for name, cls in vars(module).items():
        if isinstance(cls, type) and issubclass(cls, dj.Table) and cls.database:
            found[cls.table_name] = (name, cls)
            for part_name in dir(cls):
                part = getattr(cls, part_name)
                if isinstance(part, type) and issubclass(part, dj.Part) and part._master is cls:
                    found[part.table_name] = (f"{name}.{part_name}", part)
    return [found[t] for t in module.schema.list_tables() if t in found]


def _columns(rows: Sequence[tuple[str, ...]]) -> str:
    """Aligned columns: the first left-aligned, the others (numbers) right-aligned."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _schemas(connection: Any, options: argparse.Namespace) -> None:
    for name in dj.list_schemas(connection):
        print(name)


def _tables(connection: Any, options: argparse.Namespace) -> None:
    module = _module(connection, options.schema)
    rows = [("TABLE", "TIER", "ROWS")]
    for path, cls in _classes(module):
        rows.append((path, tier_of(cls.table_name) or "", str(len(cls()))))
    if len(rows) == 1:
        print(f"Schema `{options.schema}` has no tables.")
        return
    print(_columns(rows))


def _find(module: Any, name: str) -> Any:
    for path, cls in _classes(module):
        if name in (path, cls.table_name):
            return cls
    for path, cls in _classes(module):
        if name.replace("_", "").lower() == path.replace(".", "").lower():
            return cls
    known = ", ".join(path for path, _ in _classes(module)) or "none"
    raise CommandError(
        f"table `{name}` not found in schema `{module.schema.database}` (its tables: {known})."
    )


def _describe(connection: Any, options: argparse.Namespace) -> None:
    module = _module(connection, options.schema)
    table = _find(module, options.table)
    context = dict(vars(module))
    for parent in table().parents(as_objects=True):
        if parent.database != options.schema and parent.database not in context:
            # parents in other schemas are named ``schema.Class``
            context[parent.database] = dj.VirtualModule(
                parent.database, parent.database, connection=connection
            )
    print(table.describe(context=context), end="")


def _progress(connection: Any, options: argparse.Namespace) -> None:
    module = _module(connection, options.schema)
    rows = [("TABLE", "DONE", "TOTAL", "REMAINING")]
    for path, cls in _classes(module):
        if cls.auto_populated:
            remaining, total = cls().progress()
            rows.append((path, str(total - remaining), str(total), str(remaining)))
    if len(rows) == 1:
        print(f"Schema `{options.schema}` has no Computed or Imported tables.")
        return
    print(_columns(rows))


def _diagram(connection: Any, options: argparse.Namespace) -> None:
    module = _module(connection, options.schema)
    diagram = dj.Diagram(module, context=vars(module))
    if options.output is None:
        print(diagram.make_mermaid(), end="")
        return
    diagram.save(options.output)
    print(f"Diagram of schema `{options.schema}` written to {options.output}")


def _gc(connection: Any, options: argparse.Namespace) -> None:
    schemas = [_module(connection, name).schema for name in options.schemas_]
    collector = dj.gc.GarbageCollector(*schemas, store=options.store)
    stats = collector.collect(dry_run=not options.delete, min_age=options.min_age)
    print(f"Store '{collector.store}': {collector.backend.get_url('')}")
    print(
        dj.gc.format_stats(
            {
                **stats,
                "hash_referenced": stats["hash_paths_referenced"],
                "hash_stored": stats["hash_paths_stored"],
                "hash_orphaned": stats["hash_paths_orphaned"],
                "hash_orphaned_bytes": stats["hash_paths_orphaned_bytes"],
                "hash_deleted": stats["hash_paths_deleted"],
                "referenced": stats["hash_paths_referenced"] + stats["schema_paths_referenced"],
                "stored": stats["hash_paths_stored"] + stats["schema_paths_stored"],
                "orphaned": stats["hash_paths_orphaned"] + stats["schema_paths_orphaned"],
                "orphaned_bytes": stats["hash_paths_orphaned_bytes"]
                + stats["schema_paths_orphaned_bytes"],
            }
        )
    )
    if stats["skipped_recent"]:
        print(f"  Spared (newer than {options.min_age:g} s): {stats['skipped_recent']}")


def _migrate(connection: Any, options: argparse.Namespace) -> None:
    _module(connection, options.schema)  # the schema exists
    result = dj.migrate.migrate_schema(
        options.schema, dry_run=not options.apply, finalize=options.finalize, connection=connection
    )
    print(format_report(options.schema, result, sql=options.sql))


def _target(text: str) -> Any:
    """The target of ``dj export --to``: a SQLite file path, or a server URL."""
    url = urllib.parse.urlsplit(text)
    if "://" not in text:
        return text
    backend = {"postgres": "postgresql"}.get(url.scheme, url.scheme)
    if backend == "sqlite":
        return url.path if url.netloc in ("", "localhost") else url.netloc + url.path
    if backend not in ("mysql", "postgresql"):
        raise CommandError(f"unknown target backend `{url.scheme}` (mysql, postgresql, sqlite).")
    return dj.Connection(
        url.hostname or "localhost",
        urllib.parse.unquote(url.username or ""),
        urllib.parse.unquote(url.password or ""),
        port=url.port,
        backend=backend,
    )


def _export(connection: Any, options: argparse.Namespace) -> None:
    module = _module(connection, options.schema)
    tables: list[Any] = [_find(module, name)() for name in options.tables]
    if options.where:
        if not tables:
            raise CommandError("--where restricts the named tables: name at least one TABLE.")
        tables = [table & options.where for table in tables]
    run = dj.clone if options.clone else dj.export
    target = options.to if options.dry_run else _target(options.to)
    report = run(
        *(tables or [module.schema]),
        to=target,
        schema_map=dict(options.rename),
        dry_run=options.dry_run,
    )
    print(report)
    if report.target is not None and report.target is not connection:
        report.target.close()


COMMANDS: dict[str, Callable[[Any, argparse.Namespace], None]] = {
    "schemas": _schemas,
    "tables": _tables,
    "describe": _describe,
    "progress": _progress,
    "diagram": _diagram,
    "gc": _gc,
    "migrate": _migrate,
    "export": _export,
}


def _run(options: argparse.Namespace) -> None:
    # stdout carries the answer only (``dj diagram s > s.mmd``): warnings go to stderr
    logger = logging.getLogger("datajoint")
    level = logger.level
    logger.setLevel(max(level, logging.WARNING))
    handlers = [h for h in logger.handlers if isinstance(h, StdStreamHandler)]
    previous = [h.use_stderr for h in handlers]
    for handler in handlers:
        handler.use_stderr = True
    try:
        connection = _connect(options)
        try:
            COMMANDS[options.command](connection, options)
        finally:
            connection.close()
    except (CommandError, DataJointError) as exc:
        print(f"dj {options.command}: error: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    finally:
        logger.setLevel(level)
        for handler, use_stderr in zip(handlers, previous, strict=True):
            handler.use_stderr = use_stderr


def _console(options: argparse.Namespace) -> None:
    for key, value in (
        ("database.user", options.user),
        ("database.password", options.password),
        ("database.host", options.host),
        ("database.port", options.port),
        ("database.backend", options.backend),
        ("database.path", options.path),
    ):
        if value:
            dj.config[key] = value
    namespace: dict[str, object] = {"dj": dj, **globals()}
    banner = [
        f"DataJoint {dj.__version__} REPL",
        "Type 'dj.' and press Tab for available functions.",
    ]
    if options.schemas:
        banner += ["", "Loaded schemas:"]
        for database, alias in options.schemas:
            namespace[alias] = dj.VirtualModule(alias, database)
            banner.append(f"  {alias} -> {database}")
    code.interact("\n".join(banner), local=namespace, exitmsg="")
    raise SystemExit(0)


def cli(args: Sequence[str] | None = None) -> None:
    """Run the ``dj`` command with ``args`` (default: ``sys.argv[1:]``).

    Without a subcommand it starts the console and raises ``SystemExit(0)`` when the console
    ends; a subcommand returns None on success and raises ``SystemExit(1)`` (message on
    stderr) on failure. Can be called repeatedly in one process: each subcommand opens and
    closes its own connection and leaves ``dj.config`` unchanged.
    """
    options = _parser().parse_args(args)
    if options.command is None:
        _console(options)
    else:
        _run(options)


class _CallableModule(types.ModuleType):
    """This module, callable as :func:`cli`.

    Importing ``datajoint.cli`` binds the *module* to the package attribute ``dj.cli``, which
    would hide the lazily resolved function after the first call; calling the module runs
    the command, so ``dj.cli(args=[...])`` works any number of times.
    """

    def __call__(self, args: Sequence[str] | None = None) -> None:
        cli(args)


sys.modules[__name__].__class__ = _CallableModule
