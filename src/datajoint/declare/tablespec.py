"""The parsed form of a table definition: what ``parser.py`` produces, before references resolve.

Lines keep their order: the heading order is the order of attribute and foreign-key lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..types import TypeSpec


@dataclass(frozen=True)
class AttributeLine:
    """``name [= default] : type [# comment]``.

    ``default`` is the default as written with surrounding quotes removed (``None`` when
    absent); ``default_quoted`` says whether it was quoted; ``nullable`` is true iff the
    default is ``null`` (any case).
    """

    name: str
    type: TypeSpec
    in_key: bool
    default: str | None = None
    default_quoted: bool = False
    nullable: bool = False
    comment: str = ""
    line: str = ""


@dataclass(frozen=True)
class Reference:
    """The reference expression of a foreign-key line.

    ``path`` is the dotted name (``("lab", "Subject")``, ``("master",)``,
    ``("self", "source")``); ``proj_names`` the positional ``.proj`` arguments;
    ``renames`` maps new name -> old name. ``has_proj`` is true when ``.proj(...)`` was written.
    """

    path: tuple[str, ...]
    has_proj: bool = False
    proj_names: tuple[str, ...] = ()
    renames: tuple[tuple[str, str], ...] = ()

    @property
    def text(self) -> str:
        out = ".".join(self.path)
        if self.has_proj:
            args = [repr(n) for n in self.proj_names]
            args += [f"{new}={old!r}" for new, old in self.renames]
            out += f".proj({', '.join(args)})"
        return out


@dataclass(frozen=True)
class ForeignKeyLine:
    """``-> [options] Reference``; ``options`` are lower-cased (``nullable``, ``unique``)."""

    ref: Reference
    in_key: bool
    nullable: bool = False
    unique: bool = False
    line: str = ""


@dataclass(frozen=True)
class JsonPath:
    """A functional index part ``attr.path[:type]``."""

    attribute: str
    path: str
    type: str | None = None


@dataclass(frozen=True)
class SqlExpression:
    """A parenthesised SQL expression in an index line, emitted verbatim."""

    sql: str


IndexPart = str | JsonPath | SqlExpression


@dataclass(frozen=True)
class IndexLine:
    """``[unique] index(part, ...)``; a ``str`` part is an attribute name."""

    parts: tuple[IndexPart, ...]
    unique: bool = False
    line: str = ""


Line = AttributeLine | ForeignKeyLine | IndexLine


@dataclass(frozen=True)
class TableSpec:
    """A parsed definition: table comment and its lines in order."""

    comment: str = ""
    lines: tuple[Line, ...] = field(default_factory=tuple)

    @property
    def attributes(self) -> list[AttributeLine]:
        return [x for x in self.lines if isinstance(x, AttributeLine)]

    @property
    def foreign_keys(self) -> list[ForeignKeyLine]:
        return [x for x in self.lines if isinstance(x, ForeignKeyLine)]

    @property
    def indexes(self) -> list[IndexLine]:
        return [x for x in self.lines if isinstance(x, IndexLine)]
