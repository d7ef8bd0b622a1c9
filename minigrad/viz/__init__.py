"""Drawing computation graphs with Graphviz: ``draw_graph`` and ``save``; ``build_graph`` gives
the graph model that ``draw_graph`` renders."""
from minigrad.viz import recording
from minigrad.viz.graph import draw_graph
from minigrad.viz.model import GraphModel, build_graph
from minigrad.viz.recording import record_grad_norms
from minigrad.viz.render import Graph, GraphvizFailedError, GraphvizNotFoundError, render, save

__all__ = [
    "Graph", "GraphModel", "GraphvizFailedError", "GraphvizNotFoundError", "build_graph", "draw_graph",
    "record_grad_norms", "render", "save",
]
