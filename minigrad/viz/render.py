"""Rendering: a ``graphviz.Digraph`` whose errors say how to install Graphviz, and ``save``."""
from __future__ import annotations

import os
from pathlib import Path

import graphviz

INSTALL_HELP = (
    "Graphviz's `dot` program is needed to render graphs and was not found on PATH. Install it:\n"
    "  Debian/Ubuntu:  sudo apt-get install graphviz\n"
    "  macOS:          brew install graphviz\n"
    "  conda:          conda install -c conda-forge graphviz\n"
    "  Windows:        the installer from https://graphviz.org/download/ (tick 'add to PATH')\n"
    "The Python package `graphviz` alone is not enough: it calls the `dot` program."
)


class GraphvizNotFoundError(graphviz.ExecutableNotFound):
    """The `dot` program is missing; the message says how to install it."""

    def __init__(self, detail: str = "") -> None:
        RuntimeError.__init__(self, INSTALL_HELP + (f"\n{detail}" if detail else ""))

    def __str__(self) -> str:
        return self.args[0]


class Graph(graphviz.Digraph):
    """A ``graphviz.Digraph`` (renders inline in Jupyter, ``.render()`` to SVG/PNG/PDF) whose
    rendering errors explain how to install Graphviz instead of a bare ExecutableNotFound."""

    def pipe(self, *args, **kwargs):
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound:
            raise GraphvizNotFoundError() from None

    def render(self, *args, **kwargs):
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound:
            raise GraphvizNotFoundError("The graph's source was written next to the requested file (.gv).") from None


def save(graph: graphviz.Digraph, path: str | os.PathLike, format: str | None = None) -> Path:
    """Write ``graph`` to ``path`` (format from the extension: svg, png, pdf, or dot).

    The Graphviz source is always written too, as ``path`` with the suffix ``.dot``, so that
    nothing is lost when the `dot` program is missing: the error then names that file and how
    to install Graphviz.
    """
    path = Path(path)
    fmt = (format or path.suffix.lstrip(".") or "svg").lower()
    source = path.with_suffix(".dot")
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    source.write_text(graph.source, encoding="utf-8")
    if fmt in ("dot", "gv"):
        return source
    try:
        data = graphviz.Digraph.pipe(graph, format=fmt)
    except graphviz.ExecutableNotFound:
        raise GraphvizNotFoundError(
            f"minigrad wrote the graph's source to {source}; once Graphviz is installed, render it with\n"
            f"  dot -T{fmt} {source} -o {path}"
        ) from None
    path.write_bytes(data)
    return path
