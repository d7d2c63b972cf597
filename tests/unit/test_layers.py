"""The architecture rules of DESIGN.md: imports go downward only; dialects stay in backends/."""

from __future__ import annotations

import ast
import pathlib
import re

import pytest

import datajoint as dj

SRC = pathlib.Path(dj.__file__).parent

LAYERS = {
    "errors": 1,
    "settings": 1,
    "config_files": 1,
    "log": 1,
    "_optional": 1,
    "utils": 1,
    "store_config": 1,
    "types": 2,
    "floats": 2,
    "heading": 2,
    "codecs": 2,
    "blob": 2,
    "storage": 2,
    "objectref": 2,
    "backends": 3,
    "connection": 4,
    "query_cache": 4,
    "cursors": 4,
    "catalog": 4,
    "dependencies": 4,
    "declare": 5,
    "query": 5,
    "table": 6,
    "populate": 7,
    "schema": 7,
    "diagram": 7,
    "portable": 7,
    "cli": 8,
    # the import paths of DataJoint 0.14 and 2.x, kept as thin re-exports
    "user_tables": 8,
    "expression": 8,
    "condition": 8,
    "schemas": 8,
    "autopopulate": 8,
    "migrate": 8,
    "gc": 8,
    "__init__": 8,
    "__main__": 8,
}

# words that only make sense in one SQL dialect
DIALECT_WORDS = re.compile(
    r"ON DUPLICATE KEY|AUTO_INCREMENT|ENGINE=|INFORMATION_SCHEMA|pg_catalog|sqlite_master|"
    r"\blongblob\b|\bbytea\b|\bjsonb\b|\bPRAGMA (?!no cover)|double precision",
    re.IGNORECASE,
)
# types.py parses the definition language, whose native-type names echo SQL spellings
EXEMPT = {"backends", "types"}


def modules() -> list[pathlib.Path]:
    return sorted(SRC.rglob("*.py"))


def top_name(path: pathlib.Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


def imported_top_names(path: pathlib.Path, node: ast.ImportFrom) -> list[str]:
    """Top-level datajoint modules named by a relative ``from`` import."""
    if node.level == 0:
        if node.module and node.module.startswith("datajoint."):
            return [node.module.split(".")[1]]
        return []
    package = path.relative_to(SRC).parent.parts
    base = list(package[: len(package) - (node.level - 1)])
    if node.module:
        base += node.module.split(".")
        return [base[0]]
    if base:
        return [base[0]]
    return [alias.name for alias in node.names]


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_imports_go_downward(path: pathlib.Path) -> None:
    own = top_name(path)
    layer = LAYERS[own]
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for name in imported_top_names(path, node):
                if name == own or name not in LAYERS:
                    continue
                assert LAYERS[name] <= layer, f"{own} (layer {layer}) imports {name}"
                assert {own, name} != {"declare", "query"}, "declare and query are independent"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_function_local_package_imports(path: pathlib.Path) -> None:
    tree = ast.parse(path.read_text())
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if func.name == "__getattr__" and top_name(path) == "__init__":
            continue  # lazy public attributes (dj.cli)
        for node in ast.walk(func):
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                pytest.fail(f"{path.name}:{node.lineno} imports inside {func.name}()")


@pytest.mark.parametrize(
    "path",
    [p for p in modules() if top_name(p) not in EXEMPT],
    ids=lambda p: str(p.relative_to(SRC)),
)
def test_no_dialect_sql_outside_backends(path: pathlib.Path) -> None:
    text = path.read_text()
    match = DIALECT_WORDS.search(text)
    assert match is None, f"{path.name} holds dialect SQL: {match.group(0)!r}"
