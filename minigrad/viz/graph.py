"""Draw the recorded computation graph with Graphviz.

``draw_graph(loss)`` walks the graph backwards from ``loss`` (iteratively: a 100,000-node graph
is fine) and returns a ``graphviz.Digraph`` in which

* op nodes (rounded boxes) show the op and its attributes (stride, padding, p, size, ...);
  the ops that make up a composite such as ``cross_entropy`` (log-softmax, then the negative
  log-likelihood) are drawn as one node;
* tensor nodes show shape and dtype; inputs, parameters (with their dotted names),
  intermediates and outputs have their own colours and shapes, explained in a legend;
* ops recorded inside a Module's forward sit in a cluster labelled with the module's
  qualified name and layer, nested like the modules;
* with ``show_grads=True`` each tensor shows its gradient norm and edges are shaded by it
  (parameters use ``.grad``; intermediates need the backward pass to run inside
  ``mg.viz.record_grad_norms()``);
* ``collapse_repeats=True`` folds runs of identical blocks (sibling modules of the same
  layer types, or chains of the same op) into one node marked ``×N``;
* ``max_nodes`` keeps the nodes closest to the outputs and notes how many were left out.

It is two steps: ``build_graph`` (``model.py``) makes the graph model, plain data that can be
inspected, and ``render`` (``render.py``) draws it.
"""
from __future__ import annotations

from minigrad.tensor import Tensor
from minigrad.viz.model import build_graph
from minigrad.viz.render import Graph, render


def draw_graph(*outputs: Tensor, params=None, show_shapes: bool = True, show_grads: bool = False,
               group_modules: bool = True, collapse_repeats: bool = False, rankdir: str = "TB",
               max_nodes: int | None = 2000) -> Graph:
    """Draw the graph that produced ``outputs``; returns a ``graphviz.Digraph`` (see module doc).

    ``params`` names the parameters: a Module, a dict ``{name: tensor}`` or pairs from
    ``named_parameters()``; by default names come from the modules the graph went through.

    >>> import minigrad as mg
    >>> x = mg.tensor([1.0, 2.0], requires_grad=True); x.name = "x"
    >>> g = mg.viz.draw_graph((x * x).sum())
    >>> "Mul" in g.source and "Sum" in g.source
    True
    """
    model = build_graph(*outputs, params=params, show_shapes=show_shapes, show_grads=show_grads,
                        group_modules=group_modules, collapse_repeats=collapse_repeats, max_nodes=max_nodes)
    return render(model, rankdir)
