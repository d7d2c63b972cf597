"""The ``dj`` command: an interactive console with schemas loaded (spec 08 §6)."""

from __future__ import annotations

import argparse
import code
from collections.abc import Sequence

import datajoint as dj


def _schema_spec(text: str) -> tuple[str, str]:
    if ":" not in text:
        raise argparse.ArgumentTypeError(f"Invalid schema format '{text}'. Use schema_name:alias")
    database, alias = text.split(":", 1)
    return database, alias


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dj", description="DataJoint console", conflict_handler="resolve"
    )
    parser.add_argument("-V", "--version", action="version", version=f"datajoint {dj.__version__}")
    parser.add_argument("-u", "--user", help="database user")
    parser.add_argument("-p", "--password", help="database password")
    parser.add_argument("--host", help="database host (host:port allowed)")
    parser.add_argument("--port", type=int, help="database port")
    parser.add_argument("--backend", choices=["mysql", "postgresql", "sqlite"])
    parser.add_argument("--path", help="SQLite database file")
    parser.add_argument(
        "-s",
        "--schemas",
        nargs="+",
        action="extend",
        type=_schema_spec,
        metavar="DB:ALIAS",
        help="load schemas as virtual modules",
    )
    return parser


def cli(args: Sequence[str] | None = None) -> None:
    """Parse the command line, load the requested schemas and start a console."""
    options = _parser().parse_args(args)
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
