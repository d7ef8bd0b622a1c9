"""The graph model: what a drawing shows, as plain data, before any Graphviz.

``build_graph(*outputs)`` reads the recorded graph (``reader.py``), decides what each op is
drawn as (``grouping.py``) and returns a ``GraphModel``:

* ``nodes``: op nodes (``kind="op"``, the op or composite with its attributes) and tensor
  nodes (``"input"``, ``"parameter"``, ``"intermediate"``, ``"output"``, with shape, dtype and
  gradient norm); each has the ``label`` to draw. Intermediate tensors that stay inside one
  drawn node (the parts of a composite) are not nodes.
* ``edges``: from an op to the tensor it makes (``kind="output"``) and from a tensor to the op
  that uses it (``kind="input"``; straight from op to op when the tensor is not drawn).
* ``root``: the tree of ``Cluster``s, one per module the ops ran in, nested like the modules
  (at most ``MAX_CLUSTER_DEPTH`` levels: ops of modules nested deeper sit in their ancestor's
  cluster at that depth, since Graphviz, and Python, cannot nest thousands).

``render.py`` turns the model into Graphviz; tests and other front ends can read it directly.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from minigrad.tensor import Tensor
from minigrad.viz.grouping import Shown, group_ops, module_label, qualified_names
from minigrad.viz.reader import GraphReader, TensorInfo, parameter_names

MAX_CLUSTER_DEPTH = 32


@dataclass
class Node:
    """A node of the drawing: an op (or several drawn as one) or a tensor."""

    id: str  # "n0", "n1", ... in the order met from the outputs
    kind: str  # "op", "input", "parameter", "intermediate" or "output"
    name: str  # an op's name ("Mul", "cross_entropy", "Mul ×100000"), a tensor's ("x", "", ...)
    details: str = ""  # an op's attributes ("stride=(2, 2), ..."), or the modules of a run
    shape: tuple | None = None
    dtype: str | None = None
    grad_norm: float | None = None
    label: str = ""  # the text drawn


@dataclass
class Edge:
    """An arrow of the drawing, between node ids."""

    source: str
    target: str
    kind: str  # "output": op -> tensor it makes; "input": tensor (or op) -> op that uses it
    grad_norm: float | None = None  # of the tensor an input edge carries


@dataclass
class Cluster:
    """A module's box: its nodes and the boxes of its sub-modules."""

    label: str  # "block.conv: Conv2d(...)"; "" for the root
    nodes: list[str] = field(default_factory=list)  # node ids
    clusters: list["Cluster"] = field(default_factory=list)


@dataclass
class GraphModel:
    """Everything a drawing shows, and the options that change how it is drawn."""

    nodes: dict[str, Node]  # by id, in drawing order
    edges: list[Edge]
    root: Cluster
    hidden: int = 0  # nodes left out by max_nodes
    max_nodes: int | None = None
    show_grads: bool = False
    grad_range: tuple[float, float] = (0.0, 0.0)  # log10 of the smallest and largest gradient norm

    def of_kind(self, *kinds: str) -> list[Node]:
        return [node for node in self.nodes.values() if node.kind in kinds]

    def named(self, name: str) -> Node:
        """The first node called ``name`` (nearest to the outputs)."""
        for node in self.nodes.values():
            if node.name == name:
                return node
        raise KeyError(f"no node is called {name!r}")

    def clusters_of(self, node_id: str) -> tuple[str, ...]:
        """The labels of the clusters around a node, outermost first."""
        stack = [(self.root, ())]
        while stack:
            cluster, path = stack.pop()
            if node_id in cluster.nodes:
                return path
            stack.extend((child, path + (child.label,)) for child in cluster.clusters)
        raise KeyError(node_id)


def build_graph(*outputs: Tensor, params=None, show_shapes: bool = True, show_grads: bool = False,
                group_modules: bool = True, collapse_repeats: bool = False,
                max_nodes: int | None = 2000) -> GraphModel:
    """The ``GraphModel`` of the graph that produced ``outputs``; the arguments are
    ``draw_graph``'s.

    >>> import minigrad as mg
    >>> x = mg.tensor([1.0, 2.0], requires_grad=True)
    >>> [node.name for node in mg.viz.build_graph((x * x).sum()).of_kind("op")]
    ['Sum', 'Mul']
    """
    if not outputs:
        raise ValueError("draw_graph: give at least one output tensor")
    for out in outputs:
        if not isinstance(out, Tensor):
            raise TypeError(f"draw_graph: outputs must be Tensors, got {type(out).__name__}")
    names = parameter_names(params)
    reader = GraphReader(outputs, names)
    module_names = qualified_names(reader)
    _name_parameters(reader, names, module_names)
    shown = group_ops(reader, collapse_repeats, module_names)
    order = _display_order(reader, shown)
    kept = order if max_nodes is None else order[:max_nodes]

    norms = [t.grad_norm for t in reader.tensors.values() if t.grad_norm]
    grad_range = (math.log10(min(norms)), math.log10(max(norms))) if show_grads and norms else (0.0, 0.0)
    model = GraphModel({}, [], Cluster(""), len(order) - len(kept), max_nodes, show_grads, grad_range)
    clusters = {(): model.root}

    def cluster_for(modules: tuple) -> Cluster:
        path: tuple = ()
        cluster = model.root
        for module in (modules[:MAX_CLUSTER_DEPTH] if group_modules else ()):
            path += (id(module),)
            if path not in clusters:
                clusters[path] = Cluster(module_label(module, module_names))
                cluster.clusters.append(clusters[path])
            cluster = clusters[path]
        return cluster

    shown_by_key = {drawn.key: drawn for drawn in shown.values()}
    ids: dict = {}
    for kind, key in kept:
        node_id = ids[kind, key] = f"n{len(ids)}"
        if kind == "op":
            drawn = shown_by_key[key]
            label = drawn.name + (f"\n{drawn.details}" if drawn.details else "")
            model.nodes[node_id] = Node(node_id, "op", drawn.name, drawn.details, label=label)
            cluster_for(drawn.modules).nodes.append(node_id)
        else:
            t = reader.tensors[key]
            model.nodes[node_id] = _tensor_node(node_id, t, show_shapes, show_grads)
            cluster_for(_home(t, shown)).nodes.append(node_id)
    model.edges = _edges(reader, shown, ids)
    return model


def _name_parameters(reader: GraphReader, names: dict, module_names: dict) -> None:
    """Parameters not named by ``params`` take their dotted names in the modules drawn."""
    roots = {id(op.modules[0]) for op in reader.ops.values() if op.modules}
    for module_id, module in reader.modules().items():
        if module_id in roots or module_id not in module_names:  # a root's walk names all below it
            for name, p in module.named_parameters(prefix=module_names.get(module_id, "")):
                names.setdefault(id(p), name)
    for key, t in reader.tensors.items():
        if key[0] == "leaf" and t.kind == "parameter" and key[1] in names:
            t.label = names[key[1]]


def _display_order(reader: GraphReader, shown: dict[int, Shown]) -> list[tuple]:
    """``("op", drawn key)`` and ``("tensor", key)`` of everything drawn, nearest to the outputs
    first. A tensor is drawn when it crosses between drawn nodes, or starts or ends the graph."""
    order, seen = [], set()
    for kind, key in reader.order:
        if kind == "tensor":
            t = reader.tensors[key]
            if (t.kind == "intermediate" and t.producer is not None
                    and all(shown[c].key == shown[t.producer].key for c in t.consumers)):
                continue
            item = ("tensor", key)
        else:
            item = ("op", shown[key].key)
        if item not in seen:
            seen.add(item)
            order.append(item)
    return order


def _tensor_node(node_id: str, t: TensorInfo, show_shapes: bool, show_grads: bool) -> Node:
    lines = [t.label] if t.label else []
    if show_shapes:
        lines.append(f"{t.shape}\n{t.dtype}")
    if show_grads:
        lines.append("grad: n/a" if t.grad_norm is None else f"|grad| = {t.grad_norm:.3g}")
    return Node(node_id, t.kind, t.label, shape=t.shape, dtype=t.dtype, grad_norm=t.grad_norm,
                label="\n".join(lines) or " ")


def _home(t: TensorInfo, shown: dict[int, Shown]) -> tuple:
    """The modules whose cluster a tensor is drawn in: a parameter's first user's, an
    intermediate's producer's; inputs and outputs are drawn outside every cluster."""
    if t.kind == "parameter" and t.consumers:
        return shown[t.consumers[0]].modules
    if t.kind == "intermediate" and t.producer is not None:
        return shown[t.producer].modules
    return ()


def _edges(reader: GraphReader, shown: dict[int, Shown], ids: dict) -> list[Edge]:
    edges, done = [], set()
    for key, t in reader.tensors.items():
        tensor_id = ids.get(("tensor", key))
        if t.producer is not None:
            source = ids.get(("op", shown[t.producer].key))
            if tensor_id is not None and source is not None and (source, tensor_id) not in done:
                done.add((source, tensor_id))
                edges.append(Edge(source, tensor_id, "output"))
        for consumer in t.consumers:
            target = ids.get(("op", shown[consumer].key))
            if target is None:
                continue
            source = tensor_id
            if source is None:
                if t.producer is None or shown[t.producer].key == shown[consumer].key:
                    continue
                source = ids.get(("op", shown[t.producer].key))  # a tensor not drawn: op to op directly
            if source is None or (source, target) in done:
                continue
            done.add((source, target))
            edges.append(Edge(source, target, "input", t.grad_norm))
    return edges
