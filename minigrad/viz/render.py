"""Rendering: a ``graphviz.Digraph`` whose errors say how to install Graphviz, and ``save``."""
from __future__ import annotations

import os
import signal
import subprocess
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


class GraphvizFailedError(RuntimeError):
    """The `dot` program ran but failed (crashed, or ran out of memory), typically on a graph
    too large for it; the message says how to draw a smaller one."""


def _dot_failed(error: subprocess.CalledProcessError, graph: graphviz.Digraph, source: Path | None = None) -> GraphvizFailedError:
    if error.returncode < 0:  # killed by a signal, e.g. -11: a segmentation fault
        try:
            how = f"was killed by signal {signal.Signals(-error.returncode).name}"
        except ValueError:
            how = f"was killed by signal {-error.returncode}"
    else:
        how = f"exited with status {error.returncode}"
    stderr = error.stderr.decode(errors="replace") if isinstance(error.stderr, bytes) else (error.stderr or "")
    nodes = sum(1 for line in graph.body if "->" not in line and "[" in line and "label=" in line)
    lines = [
        f"Graphviz's `dot` {how} while rendering a graph of about {nodes:,} nodes"
        + (f": {stderr.strip()}" if stderr.strip() else " (it printed nothing)") + ".",
        "Very large graphs crash or exhaust `dot`. Draw a smaller one: keep draw_graph's default node cap "
        "(max_nodes=2000; max_nodes=None draws everything), fold repeated blocks with collapse_repeats=True "
        "(`--collapse` on the command line), or draw the graph of a smaller model or batch.",
    ]
    if source is not None:
        lines.append(f"The graph's source was written to {source}.")
    return GraphvizFailedError("\n".join(lines))


class Graph(graphviz.Digraph):
    """A ``graphviz.Digraph`` (renders inline in Jupyter, ``.render()`` to SVG/PNG/PDF) whose
    rendering errors explain how to install Graphviz instead of a bare ExecutableNotFound."""

    def pipe(self, *args, **kwargs):
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound:
            raise GraphvizNotFoundError() from None
        except subprocess.CalledProcessError as error:
            raise _dot_failed(error, self) from error

    def render(self, *args, **kwargs):
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound:
            raise GraphvizNotFoundError("The graph's source was written next to the requested file (.gv).") from None
        except subprocess.CalledProcessError as error:
            raise _dot_failed(error, self) from error


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
    except subprocess.CalledProcessError as error:
        raise _dot_failed(error, graph, source) from error
    path.write_bytes(data)
    return path
