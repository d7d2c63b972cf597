"""Text and HTML previews of query results (``repr``, ``_repr_html_``)."""

from __future__ import annotations

import html
from typing import Any

from . import fetch
from .conditions import Top


def _settings(query: Any, limit: int | None, width: int | None) -> tuple[int, int, bool]:
    config = query.connection._config
    limit = limit if limit is not None else int(config["display.limit"])
    width = width if width is not None else int(config["display.width"])
    return limit, width, bool(config["display.show_tuple_count"])


def _rows(query: Any, limit: int) -> tuple[list[str], list[dict[str, Any]], int]:
    heading = query.heading
    shown = [a.name for a in heading.attributes.values() if not (a.is_blob or a.json or a.is_codec)]
    head = query.restrict(Top(limit + 1, None if query._top is not None else "KEY", 0))
    columns = fetch.rows(head, shown) if shown else []
    data = [dict(zip(shown, v, strict=True)) for v in zip(*columns, strict=True)]
    return shown, data, len(data)


def _placeholder(attr: Any) -> str:
    if attr.is_codec:
        return f"<{attr.type.codec_name}>"
    return "json" if attr.json else "bytes"


def preview(query: Any, limit: int | None = None, width: int | None = None) -> str:
    """A fixed-width text table of the first rows, primary-key columns marked with ``*``."""
    limit, width, show_count = _settings(query, limit, width)
    heading = query.heading
    shown, data, n = _rows(query, limit)
    names = heading.names
    cells = {
        a: [str(row[a]) if a in shown else _placeholder(heading[a]) for row in data[:limit]]
        for a in names
    }
    widths = {a: min(max([len(a), *map(len, cells[a])]) + 4, width) for a in names}

    def cell(a: str, text: str) -> str:
        return text[: widths[a]].ljust(widths[a])

    lines = [
        " ".join(cell(a, ("*" if heading[a].in_key else "") + a) for a in names),
        " ".join("+" + "-" * (widths[a] - 2) + "+" for a in names),
    ]
    lines += [" ".join(cell(a, cells[a][i]) for a in names) for i in range(len(data[:limit]))]
    text = "\n".join(lines) + ("\n   ...\n" if n > limit else "\n")
    if show_count:
        text += f" (Total: {len(query)})\n"
    return text


# Colours inherit the page's text colour; borders and shading are translucent, so the table
# reads on light and dark notebook themes alike.
_STYLE = (
    "<style>"
    ".dj-preview{max-height:32em;max-width:100%;overflow:auto;display:inline-block;"
    "border:1px solid rgba(128,128,128,.35);border-radius:4px}"
    ".dj-preview table.dj-table{border-collapse:collapse;font-size:12px;color:inherit;"
    "background:transparent;margin:0}"
    ".dj-preview .dj-table th,.dj-preview .dj-table td{padding:3px 8px;text-align:left;"
    "white-space:nowrap;border-bottom:1px solid rgba(128,128,128,.25);color:inherit}"
    ".dj-preview .dj-table thead th{position:sticky;top:0;background:rgba(128,128,128,.18);"
    "backdrop-filter:blur(6px);font-weight:normal}"
    ".dj-preview .dj-table th.key{font-weight:bold}"
    ".dj-preview .dj-table th[title]{text-decoration:underline dotted;cursor:help}"
    ".dj-preview .dj-table tbody tr:nth-child(even){background:rgba(128,128,128,.07)}"
    ".dj-preview .dj-table td.placeholder{opacity:.6;font-style:italic}"
    ".dj-preview-footer{font-size:11px;opacity:.75;margin:2px 0 0 2px}"
    ".dj-preview-footer p{margin:0}"
    "</style>"
)


def repr_html(query: Any) -> str:
    """An HTML table for Jupyter: attribute comments as header tooltips, scrollable when wide
    or long, readable on light and dark themes."""
    limit, _, show_count = _settings(query, None, None)
    heading = query.heading
    shown, data, n = _rows(query, limit)

    def header(a: str) -> str:
        attr = heading[a]
        title = f' title="{html.escape(attr.comment)}"' if attr.comment else ""
        css = ' class="key"' if attr.in_key else ""
        return f"<th{css}{title}>{html.escape(a)}</th>"

    def cell(row: dict[str, Any], a: str) -> str:
        if a not in shown:
            return f'<td class="placeholder">{html.escape(_placeholder(heading[a]))}</td>'
        return f"<td>{html.escape(str(row[a]))}</td>"

    head = "".join(header(a) for a in heading.names)
    body = "".join(
        "<tr>" + "".join(cell(row, a) for a in heading.names) + "</tr>" for row in data[:limit]
    )
    more = "<p>...</p>" if n > limit else ""
    total = f"<p>Total: {len(query)}</p>" if show_count else ""
    footer = f'<div class="dj-preview-footer">{more}{total}</div>' if more or total else ""
    return (
        f'{_STYLE}<div class="dj-preview"><table class="dj-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>{footer}"
    )
