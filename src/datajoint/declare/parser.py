"""Parse a table definition string into a :class:`~datajoint.declare.tablespec.TableSpec`.

Line splitting and classification (spec 01 §2.1) happen here; each line is then parsed with
the Lark grammar in ``grammar.lark`` from the start rule of its kind. Parsing is pure: no
database, no declaration context. References stay unresolved (``resolve.py`` does that).
"""

from __future__ import annotations

import re
from importlib import resources
from typing import TYPE_CHECKING, Any

from ..errors import DeclarationError
from ..types import parse_type
from .tablespec import (
    AttributeLine,
    ForeignKeyLine,
    IndexLine,
    IndexPart,
    JsonPath,
    Line,
    Reference,
    SqlExpression,
    TableSpec,
)

if TYPE_CHECKING:
    from lark import Lark, Tree

__all__ = ["MAX_NAME_LENGTH", "classify_line", "parse_definition"]

MAX_NAME_LENGTH = 64  # MySQL's identifier limit (PostgreSQL: 63, checked by the backend)
FK_OPTIONS = ("nullable", "unique")

SEPARATOR, FOREIGN_KEY, INDEX, ATTRIBUTE = "separator", "foreign key", "index", "attribute"

_INDEX_LINE = re.compile(r"^(unique\s+)?index\s*\(.*\)\s*(#.*)?$", re.IGNORECASE)
_OLD_SEPARATOR = re.compile(r"^_{3,}(\s|$)")

_ATTRIBUTE_FORM = (
    "An attribute line has the form `name [= default] : type [# comment]`, where the name "
    "matches [a-z][a-z0-9_]* (lower-case letter first) and a default containing ':' is quoted."
)
_FK_FORM = (
    "A foreign-key line has the form `-> [options] Reference [# comment]`, where Reference is a "
    "name, a dotted path (lab.Subject, master.Trial) or a parenthesised reference, optionally "
    'followed by .proj("a", new="old").'
)
_INDEX_FORM = (
    "An index line has the form `[unique] index(part, ...) [# comment]`, where a part is an "
    "attribute name, a JSON path attr.path[:type], or a parenthesised SQL expression."
)

_PARSER: Lark | None = None


def _parser() -> Lark:
    """The Lark parser, built once on first use (importing lark is slow)."""
    global _PARSER
    if _PARSER is None:
        from lark import Lark

        grammar = resources.files(__package__).joinpath("grammar.lark").read_text("utf-8")
        _PARSER = Lark(
            grammar,
            start=["attribute_line", "fk_line", "index_line"],
            parser="lalr",
            propagate_positions=True,
            maybe_placeholders=True,
        )
    return _PARSER


# ----------------------------------------------------------------------------- lines


def classify_line(line: str) -> str:
    """Classify a stripped, non-comment definition line (spec 01 §2.1 step 4).

    Returns
    -------
    str
        ``"separator"``, ``"foreign key"``, ``"index"`` or ``"attribute"``.
    """
    if line.startswith("---"):
        return SEPARATOR
    arrow = line.find("->")
    if arrow >= 0 and not any(c in line[:arrow] for c in "\"'#"):
        return FOREIGN_KEY
    if _INDEX_LINE.match(line):
        return INDEX
    return ATTRIBUTE


def parse_definition(definition: str) -> TableSpec:
    """Parse a table definition into its table comment and ordered lines.

    Parameters
    ----------
    definition : str
        The ``definition`` string of a table class.

    Returns
    -------
    TableSpec
        The table comment and the attribute, foreign-key and index lines in order, with
        foreign-key references left unresolved.

    Raises
    ------
    DeclarationError
        When a line does not parse or breaks a rule of spec 01 (§10); the message quotes the
        offending line.
    """
    lines = [line.strip() for line in definition.strip().splitlines()]
    lines = [line for line in lines if line]
    comment = ""
    if lines and lines[0].startswith("#"):
        comment = lines.pop(0)[1:].strip()
        if comment.startswith(":"):
            raise DeclarationError(
                f'Table comment "{comment}" must not start with a colon: the colon is reserved '
                "for type markers. Remove the leading ':'."
            )
    in_key = True
    names: set[str] = set()
    parsed: list[Line] = []
    for line in lines:
        if line.startswith("#"):
            continue
        kind = classify_line(line)
        if kind == SEPARATOR:
            in_key = False
        elif kind == FOREIGN_KEY:
            parsed.append(_parse_fk_line(line, in_key))
        elif kind == INDEX:
            parsed.append(_parse_index_line(line))
        else:
            attr = _parse_attribute_line(line, in_key)
            if attr.name in names:
                raise DeclarationError(
                    f'Attribute `{attr.name}` is already declared, in line "{line}": '
                    "attribute names must be unique within a table. Rename or remove one of them."
                )
            names.add(attr.name)
            parsed.append(attr)
    return TableSpec(comment=comment, lines=tuple(parsed))


# ----------------------------------------------------------------------------- errors

_DESCRIPTIONS = {
    "ATTR_NAME": "an attribute name ([a-z][a-z0-9_]*)",
    "INDEX_NAME": "an attribute name",
    "IDENT": "a name",
    "STRING": "a quoted string",
    "BARE_DEFAULT": "a default value",
    "CODEC_TYPE": "a type",
    "SQL_TYPE": "a type",
    "OPTION": "an option",
    "PROJ": "proj",
    "UNIQUE": "unique",
    "INDEX": "index",
    "JSON_PATH": "a JSON path",
    "JSON_TYPE": "a type",
    "SQL_TEXT": "SQL text",
    "SQL_QUOTED": "SQL text",
    "COMMENT": "a '#' comment",
    "$END": "the end of the line",
}


def _describe_expected(names: set[str]) -> str:
    parser = _parser()
    out: list[str] = []
    for name in sorted(names):
        text = _DESCRIPTIONS.get(name)
        if text is None:
            try:
                pattern = parser.get_terminal(name).pattern
            except KeyError:
                continue
            text = f"'{pattern.value}'" if pattern.type == "str" else name
        if text not in out:
            out.append(text)
    return " or ".join(out)


def _syntax_error(prefix: str, line: str, error: Any, form: str) -> DeclarationError:
    """Turn a Lark error into a DeclarationError quoting the line with a caret."""
    column = getattr(error, "column", -1)
    token = getattr(error, "token", None)
    if token is not None and getattr(token, "type", None) == "$END":
        column = -1
    if not isinstance(column, int) or column < 1 or column > len(line):
        what = "unexpected end of line"
        column = len(line) + 1
    else:
        found = re.match(r"\w+|\S", line[column - 1 :])
        what = f"unexpected {found.group(0) if found else line[column - 1]!r}"
    expected = set(getattr(error, "expected", None) or getattr(error, "allowed", None) or ())
    if expected:
        what += f", expected {_describe_expected(expected)}"
    caret = " " * (column - 1) + "^"
    return DeclarationError(
        f'{prefix} "{line}" at column {column}: {what}.\n    {line}\n    {caret}\n{form}'
    )


def _parse(line: str, start: str, prefix: str, form: str) -> Tree[Any]:
    from lark.exceptions import UnexpectedInput

    try:
        return _parser().parse(line, start=start)
    except UnexpectedInput as error:
        raise _syntax_error(prefix, line, error, form)


# ----------------------------------------------------------------------------- attributes


def _unquote(text: str) -> str:
    """Remove the quotes of a quoted default; un-double ``''`` and drop escaping backslashes."""
    quote, inner = text[0], text[1:-1]
    if quote == "'":
        inner = inner.replace("''", "'")
    return re.sub(r"\\(.)", r"\1", inner)


def _parse_attribute_line(line: str, in_key: bool) -> AttributeLine:
    if _OLD_SEPARATOR.match(line):
        raise DeclarationError(
            f'Declaration error in line "{line}": "___" is no longer a separator; use "---".'
        )
    if line.startswith("_"):
        raise DeclarationError(
            f'Declaration error in line "{line}": attribute names starting with "_" are '
            "reserved for platform-managed (hidden) attributes. Rename the attribute so that "
            "it starts with a lower-case letter."
        )
    tree = _parse(line, "attribute_line", "Declaration error in line", _ATTRIBUTE_FORM)
    name_token, default_tree, type_tree, comment_token = tree.children
    name = str(name_token)
    if len(name) > MAX_NAME_LENGTH:
        raise DeclarationError(
            f'Attribute name `{name}` in line "{line}" exceeds the max length of '
            f"{MAX_NAME_LENGTH} characters. Use a shorter name."
        )
    default: str | None = None
    quoted = False
    nullable = False
    if default_tree is not None:
        raw = str(default_tree.children[0]).strip()
        quoted = default_tree.data == "quoted_default"
        if quoted:
            default = _unquote(raw)
        elif raw.lower() == "null":
            nullable = True
        else:
            default = raw
    type_text = str(type_tree.children[0]).strip()
    try:
        spec = parse_type(type_text)
    except DeclarationError as error:
        message = error.args[0] if error.args else "Unsupported attribute type"
        raise DeclarationError(
            f'{message} in line "{line}". Use a core type (int32, float64, varchar(n), '
            "datetime, json, ...), a codec type such as <blob>, or a native SQL type."
        )
    comment = str(comment_token)[1:].strip() if comment_token is not None else ""
    if comment.startswith(":"):
        raise DeclarationError(
            f'The comment of attribute `{name}` must not start with a colon, in line "{line}": '
            "the colon is reserved for type markers. Remove the leading ':'."
        )
    if nullable and in_key:
        raise DeclarationError(
            f'Primary key attributes cannot be nullable, in line "{line}": move `{name}` '
            'below "---" or give it a non-null default.'
        )
    if spec.binary_or_json and default is not None:
        raise DeclarationError(
            f'The default value for blob/json attributes can only be NULL, in line "{line}": '
            f"`{name}` is of type {type_text}. Use `{name} = null : {type_text}` or no default."
        )
    if spec.binary_or_json and in_key:
        raise DeclarationError(
            f'Blob, JSON and codec attributes are not allowed in the primary key, in line "{line}"'
            f': move `{name}` below "---".'
        )
    return AttributeLine(
        name=name,
        type=spec,
        in_key=in_key,
        default=default,
        default_quoted=quoted,
        nullable=nullable,
        comment=comment,
        line=line,
    )


# ----------------------------------------------------------------------------- foreign keys


def _parse_fk_line(line: str, in_key: bool) -> ForeignKeyLine:
    tree = _parse(line, "fk_line", "Parsing error in line", _FK_FORM)
    options_tree, ref_tree, _comment = tree.children
    options: list[str] = []
    if options_tree is not None:
        options = [str(t).lower() for t in options_tree.children if t is not None]
    for option in options:
        if option not in FK_OPTIONS:
            raise DeclarationError(
                f'Invalid foreign key option "{option}" in line "{line}": '
                "the valid options are nullable and unique, as in `-> [nullable, unique] Table`."
            )
    nullable = "nullable" in options
    if nullable and in_key:
        raise DeclarationError(
            f'Primary dependencies cannot be nullable, in line "{line}": move the line below '
            '"---" or remove the nullable option.'
        )
    return ForeignKeyLine(
        ref=_reference(ref_tree, line),
        in_key=in_key,
        nullable=nullable,
        unique="unique" in options,
        line=line,
    )


def _reference(tree: Tree[Any], line: str) -> Reference:
    """Build a Reference from a ``reference`` subtree, flattening parenthesised atoms."""
    atom, *names, projection = tree.children
    if atom.data == "name_atom":
        inner = Reference(path=(str(atom.children[0]),))
    else:
        inner = _reference(atom.children[0], line)
    if not names and projection is None:
        return inner
    if inner.has_proj:
        raise DeclarationError(
            f'Parsing error in line "{line}": nothing may follow a parenthesised .proj(...) '
            "reference. " + _FK_FORM
        )
    path = inner.path + tuple(str(n) for n in names)
    if projection is None:
        return Reference(path=path)
    positional: list[str] = []
    renames: list[tuple[str, str]] = []
    for arg in projection.children[1:]:
        if arg is None:
            continue
        if arg.data == "proj_rename":
            renames.append((str(arg.children[0]), _unquote(str(arg.children[1]))))
        elif arg.data == "proj_quoted":
            positional.append(_unquote(str(arg.children[0])))
        else:
            positional.append(str(arg.children[0]))
    return Reference(path=path, has_proj=True, proj_names=tuple(positional), renames=tuple(renames))


# ----------------------------------------------------------------------------- indexes


def _parse_index_line(line: str) -> IndexLine:
    tree = _parse(line, "index_line", "Index syntax error in line", _INDEX_FORM)
    unique, _index, *parts, _comment = tree.children
    out: list[IndexPart] = []
    for part in parts:
        if part.data == "index_attribute":
            out.append(str(part.children[0]))
        elif part.data == "index_json_path":
            attribute, path, type_ = part.children
            out.append(
                JsonPath(
                    attribute=str(attribute),
                    path=str(path),
                    type=str(type_).strip() if type_ is not None else None,
                )
            )
        else:
            meta = part.children[0].meta
            out.append(SqlExpression(line[meta.start_pos : meta.end_pos]))
    return IndexLine(parts=tuple(out), unique=unique is not None, line=line)
