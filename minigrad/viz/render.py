"""Rendering: the graph model as a ``graphviz.Digraph`` (``render``) whose errors say how to
install Graphviz, and ``save``."""
from __future__ import annotations

import itertools
import math
import os
import signal
import subprocess
from pathlib import Path
from typing import Iterator

import graphviz
import numpy as np

from minigrad.viz.model import Cluster, GraphModel

STYLE = {
    "op": dict(shape="box", style="rounded,filled", fillcolor="#e8eaf6", color="#3949ab"),
    "input": dict(shape="ellipse", style="filled", fillcolor="#bbdefb", color="#1565c0"),
    "parameter": dict(shape="note", style="filled", fillcolor="#c8e6c9", color="#2e7d32"),
    "intermediate": dict(shape="ellipse", style="filled", fillcolor="#f5f5f5", color="#9e9e9e", fontsize="10"),
    "output": dict(shape="doubleoctagon", style="filled", fillcolor="#ffe0b2", color="#e65100"),
    "note": dict(shape="plaintext", fontcolor="#b71c1c"),
}

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


# -- the graph model as Graphviz --------------------------------------------------------------------
def render(model: GraphModel, rankdir: str = "TB") -> Graph:
    """The ``Graph`` of ``model``: a style per node kind, a cluster per module, edges shaded by
    gradient norm when the model shows gradients, a note for left-out nodes, and a legend."""
    graph = Graph(name="minigrad", graph_attr=dict(rankdir=rankdir, fontname="Helvetica", fontsize="11",
                                                    nodesep="0.25", ranksep="0.35"),
                  node_attr=dict(fontname="Helvetica", fontsize="11"), edge_attr=dict(arrowsize="0.6"))
    _emit(graph, model, model.root)
    low, high = model.grad_range
    for edge in model.edges:
        attrs = {}
        if model.show_grads and edge.kind == "input":
            color, width = _grad_color(edge.grad_norm, low, high)
            attrs = dict(color=color, penwidth=width)
        graph.edge(edge.source, edge.target, **attrs)
    if model.hidden:
        graph.node("truncated", f"… {model.hidden} more nodes not shown (max_nodes={model.max_nodes})", **STYLE["note"])
    _legend(graph, model.show_grads)
    return graph


def _grad_color(norm: float | None, low: float, high: float) -> tuple[str, str]:
    """Blue for the smallest gradient norm in the graph, red for the largest (log scale)."""
    if norm is None or not np.isfinite(norm) or norm <= 0:
        return "#9e9e9e", "1"
    t = 0.5 if high <= low else (math.log10(norm) - low) / (high - low)
    r, g, b = (int(69 + t * (215 - 69)), int(117 + t * (48 - 117)), int(180 + t * (39 - 180)))
    return f"#{r:02x}{g:02x}{b:02x}", f"{1 + 3 * t:.1f}"


def _emit(graph, model: GraphModel, cluster: Cluster, depth: int = 0, numbers: Iterator[int] | None = None) -> None:
    numbers = itertools.count() if numbers is None else numbers  # clusters numbered in order: the same DOT every run
    for node_id in cluster.nodes:
        node = model.nodes[node_id]
        graph.node(node_id, label=node.label, **STYLE[node.kind])
    for child in cluster.clusters:
        with graph.subgraph(name=f"cluster_{next(numbers)}") as sub:
            sub.attr(label=child.label, style="rounded,dashed" if depth else "rounded", color="#7986cb",
                     fontcolor="#283593", labeljust="l")
            _emit(sub, model, child, depth + 1, numbers)


def _legend(graph, show_grads: bool) -> None:
    with graph.subgraph(name="cluster_legend") as legend:
        legend.attr(label="legend", style="rounded", color="#bdbdbd", fontcolor="#616161")
        for kind in ("input", "parameter", "op", "intermediate", "output"):
            legend.node(f"legend_{kind}", kind, **STYLE[kind])
        if show_grads:
            legend.node("legend_grads", "edge colour: |grad|\nblue small → red large", shape="plaintext", fontsize="9")
