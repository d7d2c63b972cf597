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
    shown = [a.name for a in heading if not (a.is_blob or a.json or a.is_codec)]
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


def repr_html(query: Any) -> str:
    """An HTML table for Jupyter."""
    limit, _, show_count = _settings(query, None, None)
    heading = query.heading
    shown, data, n = _rows(query, limit)
    style = (
        "<style>.dj-table{border-collapse:collapse}.dj-table th,.dj-table td"
        "{padding:2px 8px;border:1px solid #ddd}.dj-table th.key{font-weight:bold}</style>"
    )
    head = "".join(
        f'<th class="{"key" if heading[a].in_key else ""}">{html.escape(a)}</th>'
        for a in heading.names
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(str(row[a]) if a in shown else _placeholder(heading[a]))}</td>"
            for a in heading.names
        )
        + "</tr>"
        for row in data[:limit]
    )
    more = "<p>...</p>" if n > limit else ""
    total = f"<p>Total: {len(query)}</p>" if show_count else ""
    return f'{style}<table class="dj-table"><tr>{head}</tr>{body}</table>{more}{total}'
