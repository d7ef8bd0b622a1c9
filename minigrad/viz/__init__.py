"""Drawing computation graphs with Graphviz: ``draw_graph`` and ``save``."""
from minigrad.autograd.engine import record_grad_norms
from minigrad.viz.graph import draw_graph
from minigrad.viz.render import Graph, GraphvizFailedError, GraphvizNotFoundError, save

__all__ = ["Graph", "GraphvizFailedError", "GraphvizNotFoundError", "draw_graph", "record_grad_norms", "save"]
