"""Draw the recorded computation graph with Graphviz.

``draw_graph(loss)`` walks the graph backwards from ``loss`` (iteratively: a 100,000-node graph
is fine) and returns a ``graphviz.Digraph`` in which

* op nodes (rounded boxes) show the op and its attributes (stride, padding, p, size, ...);
  the ops that make up a composite such as ``conv2d`` (im2col, matmul, reshape, bias add)
  are drawn as one node;
* tensor nodes show shape and dtype; inputs, parameters (with their dotted names),
  intermediates and outputs have their own colours and shapes, explained in a legend;
* ops recorded inside a Module's forward sit in a cluster labelled with the module's
  qualified name and layer, nested like the modules;
* with ``show_grads=True`` each tensor shows its gradient norm and edges are shaded by it
  (parameters use ``.grad``; intermediates need the backward pass to run inside
  ``mg.autograd.record_grad_norms()``);
* ``collapse_repeats=True`` folds runs of identical blocks (sibling modules of the same
  layer types, or chains of the same op) into one node marked ``×N``;
* ``max_nodes`` keeps the nodes closest to the outputs and notes how many were left out;
* clusters nest at most ``MAX_CLUSTER_DEPTH`` levels: ops of modules nested deeper are drawn
  in their ancestor's cluster at that depth (Graphviz, and Python, cannot nest thousands).
"""
from __future__ import annotations

import itertools
import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

from minigrad.autograd.function import Composite, Function
from minigrad.tensor import Tensor

MAX_CLUSTER_DEPTH = 32

STYLE = {
    "op": dict(shape="box", style="rounded,filled", fillcolor="#e8eaf6", color="#3949ab"),
    "input": dict(shape="ellipse", style="filled", fillcolor="#bbdefb", color="#1565c0"),
    "parameter": dict(shape="note", style="filled", fillcolor="#c8e6c9", color="#2e7d32"),
    "intermediate": dict(shape="ellipse", style="filled", fillcolor="#f5f5f5", color="#9e9e9e", fontsize="10"),
    "output": dict(shape="doubleoctagon", style="filled", fillcolor="#ffe0b2", color="#e65100"),
    "note": dict(shape="plaintext", fontcolor="#b71c1c"),
}


@dataclass
class _Op:
    key: int
    name: str
    attrs: str
    modules: tuple
    composite: Composite | None
    inputs: list = field(default_factory=list)
    outputs: list = field(default_factory=list)


@dataclass
class _TensorNode:
    key: Any
    kind: str
    shape: tuple
    dtype: str
    label: str = ""
    grad_norm: float | None = None
    producer: int | None = None
    consumers: list = field(default_factory=list)


# -- reading the graph -------------------------------------------------------------------------------
def _format_value(value: Any) -> str | None:
    if isinstance(value, (bool, int, float, str, np.integer, np.floating)):
        return f"{value:g}" if isinstance(value, (float, np.floating)) else str(value)
    if isinstance(value, (tuple, list)) and all(isinstance(v, (int, float, np.integer)) for v in value):
        return str(tuple(value))
    return None


def format_attributes(attrs: dict) -> str:
    """``stride=(2, 2), padding=(1, 1)``: the simple attributes of an op, for its label."""
    parts = []
    for key, value in attrs.items():
        if value is None or key in ("input_shape",):
            continue
        if hasattr(value, "kernel") and hasattr(value, "stride") and hasattr(value, "padding"):  # a Window
            parts.append(f"kernel={value.kernel}, stride={value.stride}")
            if any(value.padding):
                parts.append(f"padding={value.padding[::2]}")
            if value.dilation != (1, 1):
                parts.append(f"dilation={value.dilation}")
            continue
        text = _format_value(value)
        if text is not None and len(text) <= 40:
            parts.append(f"{key}={text}")
    return ", ".join(parts)


def _module_scope(scope: tuple) -> tuple[tuple, Composite | None]:
    from minigrad.nn.modules.module import Module

    modules, outer_composite = [], None
    for label in scope:
        if isinstance(label, Composite):
            outer_composite = outer_composite or label
        elif isinstance(label, Module) and outer_composite is None:
            modules.append(label)
    return tuple(modules), outer_composite


def _shape_text(shape: tuple, dtype) -> str:
    return f"{tuple(shape)}\n{np.dtype(dtype).name}"


class _Reader:
    """Collects op and tensor nodes, nearest to the outputs first."""

    def __init__(self, outputs: tuple, names: dict) -> None:
        self.names = names
        self.ops: dict[int, _Op] = {}
        self.tensors: dict[Any, _TensorNode] = {}
        self.order: list = []  # op keys and tensor keys, breadth first from the outputs
        self._composites: set = set()
        self._read(outputs)

    def _tensor(self, key, kind, shape, dtype, label="") -> _TensorNode:
        node = self.tensors.get(key)
        if node is None:
            node = self.tensors[key] = _TensorNode(key, kind, tuple(shape), np.dtype(dtype).name, label)
            self.order.append(("tensor", key))
        return node

    def _leaf(self, leaf: Tensor) -> _TensorNode:
        name = self.names.get(id(leaf)) or leaf.name
        kind = "parameter" if id(leaf) in self.names or _is_parameter(leaf) else "input"
        node = self._tensor(("leaf", id(leaf)), kind, leaf.shape, leaf.dtype, name or ("parameter" if kind == "parameter" else "input"))
        if leaf.grad is not None:
            node.grad_norm = float(np.linalg.norm(leaf.grad._data))
        return node

    def _read(self, outputs: tuple) -> None:
        queue: deque = deque()
        for i, out in enumerate(outputs):
            label = out.name or ("output" if len(outputs) == 1 else f"output {i}")
            if out.grad_fn is None:  # a leaf drawn on its own
                self._leaf(out)
                continue
            node = self._tensor(("t", id(out.grad_fn), out._output_nr), "output", out.shape, out.dtype, label)
            node.producer = id(out.grad_fn)
            queue.append(out.grad_fn)
        seen = set()
        while queue:
            fn = queue.popleft()
            if id(fn) in seen:
                continue
            seen.add(id(fn))
            self._read_op(fn, queue)

    def _read_op(self, fn: Function, queue: deque) -> None:
        modules, group = _module_scope(fn._scope)
        attrs = dict(fn._attrs)
        # inside a composite, constants are made from the composite's own inputs: show those
        constants = dict(fn._constants) if group is None else {}
        op = self.ops[id(fn)] = _Op(id(fn), fn.name(), "", modules, group)
        self.order.append(("op", id(fn)))
        if group is not None and id(group) not in self._composites:
            self._composites.add(id(group))
            for ref in group.constants:
                tensor = ref()
                if tensor is not None and tensor.ndim > 0:
                    node = self._tensor(("const", id(tensor)), "input", tensor.shape, tensor.dtype, tensor.name or "input")
                    node.consumers.append(id(fn))
                    op.inputs.append(node.key)
        for nr in range(len(fn._outputs)):
            key = ("t", id(fn), nr)
            if key in self.tensors:
                self.tensors[key].producer = id(fn)
                norms = fn._grad_norms
                if norms is not None and nr < len(norms):
                    self.tensors[key].grad_norm = norms[nr]
                op.outputs.append(key)
        for position, edge in enumerate(fn.next_functions):
            if edge is None:
                ref = constants.get(position)
                tensor = ref() if ref is not None else None
                if tensor is None:
                    continue
                if tensor.ndim == 0:
                    attrs[f"const{position}" if len(fn.next_functions) > 2 else "const"] = tensor.item()
                    continue
                node = self._tensor(("const", id(tensor)), "input", tensor.shape, tensor.dtype, tensor.name or "input")
            elif isinstance(edge[0], Function):
                parent, nr = edge
                shape, dtype = parent._outputs[nr]
                node = self._tensor(("t", id(parent), nr), "intermediate", shape, dtype)
                node.producer = id(parent)
                if parent._grad_norms is not None and nr < len(parent._grad_norms):
                    node.grad_norm = parent._grad_norms[nr]
                queue.append(parent)
            else:
                node = self._leaf(edge[0])
            node.consumers.append(id(fn))
            op.inputs.append(node.key)
        op.attrs = format_attributes(attrs)


def _is_parameter(t: Tensor) -> bool:
    from minigrad.nn.parameter import Parameter

    return isinstance(t, Parameter)


# -- deciding what each op is drawn as -------------------------------------------------------------------
@dataclass
class _Shown:
    key: Any
    label: str
    modules: tuple
    members: list = field(default_factory=list)


def _qualified_names(reader: _Reader) -> dict[int, str]:
    roots = {id(op.modules[0]): op.modules[0] for op in reader.ops.values() if op.modules}
    names = {}
    for root in roots.values():
        for name, module in root.named_modules():
            names.setdefault(id(module), name)
    return names


def _module_label(module, names: dict) -> str:
    name = names.get(id(module), "")
    layer = module._short_repr()
    return f"{name}: {layer}" if name else layer


def _group_ops(reader: _Reader, collapse_repeats: bool, names: dict) -> dict[int, _Shown]:
    """Map every op to the node it is drawn as (composites and repeats share one)."""
    shown: dict[int, _Shown] = {}
    by_group: dict[int, _Shown] = {}
    for op in reader.ops.values():
        if op.composite is not None:
            group = by_group.get(id(op.composite))
            if group is None:
                text = format_attributes(op.composite.attributes)
                group = by_group[id(op.composite)] = _Shown(("c", id(op.composite)), op.composite.name + (f"\n{text}" if text else ""), op.modules)
            shown[op.key] = group
        else:
            shown[op.key] = _Shown(("o", op.key), op.name + (f"\n{op.attrs}" if op.attrs else ""), op.modules)
    if collapse_repeats:
        _collapse_module_repeats(reader, shown, names)
        _collapse_op_chains(reader, shown)
    for op_key, node in shown.items():
        node.members.append(op_key)
    return shown


def _signature(module) -> tuple:
    return (type(module).__name__,) + tuple(_signature(child) for child in module.children())


def _collapse_module_repeats(reader: _Reader, shown: dict, names: dict) -> None:
    """Runs of sibling modules whose layer types repeat with some period become one node."""
    used_modules = {id(m) for op in reader.ops.values() for m in op.modules}
    parents = {id(module): module for op in reader.ops.values() for module in op.modules[:-1]}
    for parent in parents.values():
        children = [(n, c) for n, c in parent.named_children() if id(c) in used_modules]
        signatures = [_signature(c) for _, c in children]
        start = 0
        while start < len(children):
            best = (1, 1)  # (period, repeats)
            for period in range(1, (len(children) - start) // 2 + 1):
                block = signatures[start:start + period]
                repeats = 1
                while signatures[start + repeats * period:start + (repeats + 1) * period] == block:
                    repeats += 1
                if repeats > 1 and period * repeats > best[0] * best[1]:
                    best = (period, repeats)
            period, repeats = best
            if repeats > 1:
                run = [c for _, c in children[start:start + period * repeats]]
                first, last = names.get(id(run[0]), "?"), names.get(id(run[-1]), "?")
                kinds = " → ".join(type(c).__name__ for c in run[:period])
                kinds = f"({kinds})" if period > 1 else kinds
                node = _Shown(("r", id(run[0])), f"{kinds} ×{repeats}\n{first} … {last}",
                              _path_to(reader, parent))
                members = {id(c) for c in run}
                for op in reader.ops.values():
                    if any(id(m) in members for m in op.modules):
                        shown[op.key] = node
                start += period * repeats
            else:
                start += 1


def _path_to(reader: _Reader, module) -> tuple:
    for op in reader.ops.values():
        for depth, m in enumerate(op.modules):
            if m is module:
                return op.modules[:depth + 1]
    return ()


def _collapse_op_chains(reader: _Reader, shown: dict) -> None:
    """Chains of the same op, each feeding only the next, become one node ``Op ×N``."""
    for op in reader.ops.values():
        if shown[op.key].key[0] != "o":
            continue
        # walk up while the single graph input comes from the same kind of op, used only here
        chain = [op]
        current = op
        while True:
            producers = [reader.tensors[k].producer for k in current.inputs if reader.tensors[k].producer is not None]
            if len(producers) != 1:
                break
            parent = reader.ops.get(producers[0])
            tensor = next(k for k in current.inputs if reader.tensors[k].producer == producers[0])
            if (parent is None or shown[parent.key].key[0] != "o" or parent.name != op.name or parent.attrs != op.attrs
                    or parent.modules != op.modules or len(reader.tensors[tensor].consumers) != 1):
                break
            chain.append(parent)
            current = parent
        if len(chain) > 2:
            merged = _Shown(("chain", op.key), f"{op.name} ×{len(chain)}" + (f"\n{op.attrs}" if op.attrs else ""), op.modules)
            for member in chain:
                shown[member.key] = merged


# -- drawing ---------------------------------------------------------------------------------------------------
def _grad_color(norm: float, low: float, high: float) -> tuple[str, str]:
    """Blue for the smallest gradient norm in the graph, red for the largest (log scale)."""
    if norm is None or not np.isfinite(norm) or norm <= 0:
        return "#9e9e9e", "1"
    t = 0.5 if high <= low else (math.log10(norm) - low) / (high - low)
    r, g, b = (int(69 + t * (215 - 69)), int(117 + t * (48 - 117)), int(180 + t * (39 - 180)))
    return f"#{r:02x}{g:02x}{b:02x}", f"{1 + 3 * t:.1f}"


class _Cluster:
    def __init__(self, label: str) -> None:
        self.label = label
        self.nodes: list[tuple[str, dict]] = []
        self.children: dict[int, _Cluster] = {}


def draw_graph(*outputs: Tensor, params=None, show_shapes: bool = True, show_grads: bool = False,
               group_modules: bool = True, collapse_repeats: bool = False, rankdir: str = "TB",
               max_nodes: int | None = 2000):
    """Draw the graph that produced ``outputs``; returns a ``graphviz.Digraph`` (see module doc).

    ``params`` names the parameters: a Module, a dict ``{name: tensor}`` or pairs from
    ``named_parameters()``; by default names come from the modules the graph went through.

    >>> import minigrad as mg
    >>> x = mg.tensor([1.0, 2.0], requires_grad=True); x.name = "x"
    >>> g = mg.viz.draw_graph((x * x).sum())
    >>> "Mul" in g.source and "Sum" in g.source
    True
    """
    from minigrad.viz.render import Graph

    if not outputs:
        raise ValueError("draw_graph: give at least one output tensor")
    for out in outputs:
        if not isinstance(out, Tensor):
            raise TypeError(f"draw_graph: outputs must be Tensors, got {type(out).__name__}")
    names = _parameter_names(params)
    reader = _Reader(outputs, names)
    module_names = _qualified_names(reader)
    roots = {id(op.modules[0]) for op in reader.ops.values() if op.modules}
    for module_id, module in _modules_of(reader).items():
        if module_id in roots or module_id not in module_names:  # a root's walk names all below it
            for name, p in module.named_parameters(prefix=module_names.get(module_id, "")):
                names.setdefault(id(p), name)
    for key, node in reader.tensors.items():
        if key[0] == "leaf" and node.kind == "parameter" and key[1] in names:
            node.label = names[key[1]]
    shown = _group_ops(reader, collapse_repeats, module_names)

    # visible tensors: those that cross between drawn nodes, or start or end the graph
    def drawn(op_key):
        return shown[op_key].key

    visible = set()
    for kind, key in reader.order:
        if kind != "tensor":
            continue
        t = reader.tensors[key]
        if t.kind == "intermediate" and t.producer is not None and all(drawn(c) == drawn(t.producer) for c in t.consumers):
            continue
        visible.add(key)
    display_order, seen_display = [], set()
    for kind, key in reader.order:
        item = ("tensor", key) if kind == "tensor" else ("node", drawn(key))
        if (kind == "tensor" and key not in visible) or item in seen_display:
            continue
        seen_display.add(item)
        display_order.append(item)
    kept = set(display_order if max_nodes is None else display_order[:max_nodes])
    hidden = len(display_order) - len(kept)

    graph = Graph(name="minigrad", graph_attr=dict(rankdir=rankdir, fontname="Helvetica", fontsize="11",
                                                    nodesep="0.25", ranksep="0.35"),
                  node_attr=dict(fontname="Helvetica", fontsize="11"), edge_attr=dict(arrowsize="0.6"))
    root = _Cluster("")
    ids: dict = {}
    norms = [t.grad_norm for t in reader.tensors.values() if t.grad_norm]
    low, high = (math.log10(min(norms)), math.log10(max(norms))) if show_grads and norms else (0.0, 0.0)

    def cluster_for(modules: tuple) -> _Cluster:
        cluster = root
        if group_modules:
            for module in modules[:MAX_CLUSTER_DEPTH]:
                cluster = cluster.children.setdefault(id(module), _Cluster(_module_label(module, module_names)))
        return cluster

    shown_by_key = {node.key: node for node in shown.values()}
    for item in display_order:
        if item not in kept:
            continue
        kind, key = item
        node_id = f"n{len(ids)}"
        ids[item] = node_id
        if kind == "node":
            node = shown_by_key[key]
            cluster_for(node.modules).nodes.append((node_id, dict(label=node.label, **STYLE["op"])))
        else:
            t = reader.tensors[key]
            lines = [t.label] if t.label else []
            if show_shapes:
                lines.append(_shape_text(t.shape, t.dtype))
            if show_grads:
                lines.append("grad: n/a" if t.grad_norm is None else f"|grad| = {t.grad_norm:.3g}")
            attrs = dict(label="\n".join(lines) or " ", **STYLE[t.kind])
            home = ()
            if t.kind == "parameter" and t.consumers:
                home = shown[t.consumers[0]].modules
            elif t.kind == "intermediate" and t.producer is not None:
                home = shown[t.producer].modules
            cluster_for(home).nodes.append((node_id, attrs))

    _emit(graph, root)
    _edges(graph, reader, shown, ids, show_grads, low, high)
    if hidden:
        graph.node("truncated", f"… {hidden} more nodes not shown (max_nodes={max_nodes})", **STYLE["note"])
    _legend(graph, show_grads)
    return graph


def _edges(graph, reader: _Reader, shown: dict, ids: dict, show_grads: bool, low: float, high: float) -> None:
    done = set()
    for key, t in reader.tensors.items():
        tensor_id = ids.get(("tensor", key))
        if t.producer is not None:
            source = ids.get(("node", shown[t.producer].key))
            if tensor_id is not None and source is not None and (source, tensor_id) not in done:
                done.add((source, tensor_id))
                graph.edge(source, tensor_id)
        for consumer in t.consumers:
            target = ids.get(("node", shown[consumer].key))
            if target is None:
                continue
            source = tensor_id
            if source is None:
                if t.producer is None or shown[t.producer].key == shown[consumer].key:
                    continue
                source = ids.get(("node", shown[t.producer].key))  # internal tensor: op to op directly
            if source is None or (source, target) in done:
                continue
            done.add((source, target))
            attrs = {}
            if show_grads:
                color, width = _grad_color(t.grad_norm, low, high)
                attrs = dict(color=color, penwidth=width)
            graph.edge(source, target, **attrs)


def _emit(graph, cluster: _Cluster, depth: int = 0, numbers: Iterator[int] | None = None) -> None:
    numbers = itertools.count() if numbers is None else numbers  # clusters numbered in order: the same DOT every run
    for node_id, attrs in cluster.nodes:
        graph.node(node_id, **attrs)
    for child in cluster.children.values():
        with graph.subgraph(name=f"cluster_{next(numbers)}") as sub:
            sub.attr(label=child.label, style="rounded,dashed" if depth else "rounded", color="#7986cb",
                     fontcolor="#283593", labeljust="l")
            _emit(sub, child, depth + 1, numbers)


def _legend(graph, show_grads: bool) -> None:
    with graph.subgraph(name="cluster_legend") as legend:
        legend.attr(label="legend", style="rounded", color="#bdbdbd", fontcolor="#616161")
        for kind in ("input", "parameter", "op", "intermediate", "output"):
            legend.node(f"legend_{kind}", kind, **{k: v for k, v in STYLE[kind].items() if k != "label"})
        if show_grads:
            legend.node("legend_grads", "edge colour: |grad|\nblue small → red large", shape="plaintext", fontsize="9")


def _modules_of(reader: _Reader) -> dict:
    modules = {}
    for op in reader.ops.values():
        for m in op.modules:
            modules[id(m)] = m
    return modules


def _parameter_names(params) -> dict[int, str]:
    from minigrad.nn.modules.module import Module

    if params is None:
        return {}
    if isinstance(params, Module):
        params = params.named_parameters()
    items = params.items() if isinstance(params, dict) else params
    return {id(tensor): name for name, tensor in items}
