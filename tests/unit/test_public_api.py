"""The public API: ``dj.__all__`` lists what users import, and the import stays light."""

from __future__ import annotations

import subprocess
import sys

import datajoint as dj

EXPECTED = {
    "AndList",
    "AutoPopulate",
    "Codec",
    "Computed",
    "Connection",
    "DataJointError",
    "Diagram",
    "FreeTable",
    "Heading",
    "Imported",
    "Instance",
    "Job",
    "Lookup",
    "Manual",
    "MatCell",
    "MatStruct",
    "Not",
    "NpyRef",
    "ObjectRef",
    "Part",
    "QueryExpression",
    "Schema",
    "SchemaCodec",
    "StorageAdapter",
    "Table",
    "ThreadSafetyError",
    "Top",
    "U",
    "ValidationResult",
    "VirtualModule",
    "__version__",
    "clone",
    "config",
    "conn",
    "errors",
    "export",
    "get_codec",
    "get_storage_adapter",
    "list_codecs",
    "list_schemas",
    "logger",
    "publish",
    "virtual_schema",
}


def test_all_lists_the_public_api() -> None:
    assert set(dj.__all__) == EXPECTED
    for name in dj.__all__:
        assert getattr(dj, name) is not None


def test_error_classes_are_constructible_without_arguments() -> None:
    for name in dir(dj.errors):
        obj = getattr(dj.errors, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert isinstance(obj(), dj.DataJointError)
            assert len(name) <= 64


def last_line_printed(code: str) -> str:
    """What a fresh Python process running ``code`` prints last."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = out.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def test_import_does_not_load_optional_packages() -> None:
    code = (
        "import sys, datajoint; "
        "print(','.join(m for m in ('pandas', 'polars', 'pyarrow', 'lark', 'pymysql', "
        "'psycopg', 'sqlglot', 'networkx') if m in sys.modules))"
    )
    assert last_line_printed(code) == ""


def test_lazily_loaded_modules_work_once_used() -> None:
    code = (
        "import sys, datajoint as dj; "
        "c = dj.Connection(backend='sqlite', path=':memory:'); "
        "s = dj.Schema('lazy', connection=c); "
        "T = s(type('T', (dj.Manual,), {'definition': 'a : int32'})); "
        "T.insert([{'a': 1}, {'a': 2}]); "
        "n = len(T & 'a > 1'); (T & 'a = 1').delete(prompt=False); "
        "print(n, len(T()), 'sqlglot' in sys.modules, 'networkx' in sys.modules)"
    )
    assert last_line_printed(code) == "1 1 True True"
