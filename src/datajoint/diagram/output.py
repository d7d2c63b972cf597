"""Diagram output methods: DOT, SVG, PNG, images, Mermaid, files and Jupyter display."""

from __future__ import annotations

import io
import pathlib
from typing import Any

from .._optional import require
from ..errors import DataJointError
from . import dot, mermaid
from .render import Drawing, drawing, resolve_theme

FORMATS = {".png": "png", ".svg": "svg", ".mmd": "mermaid", ".mermaid": "mermaid"}


class SVG:
    """SVG text that Jupyter displays (stands in for ``IPython.display.SVG`` without IPython)."""

    def __init__(self, data: str) -> None:
        self.data = data

    def _repr_svg_(self) -> str:
        return self.data

    def __str__(self) -> str:
        return self.data


def _svg_object(text: str) -> Any:
    try:
        display = require("IPython.display", "viz")
    except ImportError:
        return SVG(text)
    return display.SVG(data=text)


class DiagramOutput:
    """The output methods of :class:`~datajoint.diagram.graph.Diagram`."""

    connection: Any

    def _drawing(self) -> Drawing:
        return drawing(self)

    def _theme(self, theme: str | None) -> str:
        return resolve_theme(self.connection._config, theme)

    def make_dot(self, theme: str | None = None) -> Any:
        """The diagram as a ``graphviz.Digraph`` (its ``.source`` is the DOT text)."""
        return dot.make_dot(self._drawing(), self._theme(theme))

    def make_svg(self, theme: str | None = None) -> Any:
        """The diagram as an SVG object for Jupyter (``.data`` holds the SVG text)."""
        return _svg_object(dot.svg(self._drawing(), self._theme(theme)))

    def make_png(self, theme: str | None = None) -> io.BytesIO:
        """The diagram as PNG bytes."""
        return io.BytesIO(dot.png(self._drawing(), self._theme(theme)))

    def make_image(self) -> Any:
        """The diagram as a numpy image array (needs matplotlib)."""
        try:
            image = require("matplotlib.image", "viz")
        except ImportError:
            raise DataJointError(
                "pyplot was not imported: install matplotlib (pip install 'datajoint[viz]')."
            ) from None
        return image.imread(self.make_png(), format="png")

    def draw(self) -> None:
        """Show the diagram in a matplotlib figure."""
        array = self.make_image()
        pyplot = require("matplotlib.pyplot", "viz")
        pyplot.imshow(array)
        pyplot.gca().axis("off")
        pyplot.show()

    def make_mermaid(self, theme: str | None = None) -> str:
        """The diagram as Mermaid ``flowchart`` text (no dependency needed)."""
        return mermaid.make_mermaid(self._drawing(), self._theme(theme))

    def save(self, filename: str | pathlib.Path, format: str | None = None) -> None:
        """Write the diagram to ``filename``: PNG, SVG or Mermaid, by ``format`` or extension.

        ``format`` is ``"png"``, ``"svg"`` or ``"mermaid"``; without it the extension decides
        (``.png``, ``.svg``, ``.mmd``/``.mermaid``, any case).
        """
        path = pathlib.Path(filename)
        if format is None:
            chosen = FORMATS.get(path.suffix.lower())
            if chosen is None:
                raise DataJointError(
                    "Could not infer format from filename. Specify format explicitly."
                )
        else:
            chosen = format.lower()
        if chosen == "png":
            path.write_bytes(self.make_png().getvalue())
        elif chosen == "svg":
            path.write_text(dot.svg(self._drawing(), self._theme(None)), encoding="utf-8")
        elif chosen == "mermaid":
            path.write_text(self.make_mermaid(), encoding="utf-8")
        else:
            raise DataJointError(
                f"Unsupported file format {format!r}: use 'png', 'svg' or 'mermaid'."
            )

    # ---------------------------------------------------------------- Jupyter
    def _repr_svg_(self) -> str | None:
        """SVG text for Jupyter; None (so another format is shown) without Graphviz."""
        try:
            return dot.svg(self._drawing(), self._theme(None))
        except dot.GraphvizMissingError:
            return None

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """SVG when Graphviz is installed, else the Mermaid text as Markdown."""
        shown = self._drawing()
        theme = self._theme(None)
        try:
            return {"image/svg+xml": dot.svg(shown, theme), "text/plain": repr(self)}
        except dot.GraphvizMissingError:
            text = mermaid.make_mermaid(shown, theme)
            return {"text/markdown": f"```mermaid\n{text}```\n", "text/plain": text}
