"""Reading the recorded graph: every op and every tensor between the outputs and the leaves.

The walk is breadth first from the outputs and iterative, so a 100,000-node graph is fine; the
order in which things are met is kept, since ``max_nodes`` keeps those nearest the outputs.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from minigrad.autograd.function import Function
from minigrad.nn.functional._window import Window
from minigrad.nn.modules.module import Module
from minigrad.nn.parameter import Parameter
from minigrad.nn.scope import Composite
from minigrad.tensor import Tensor
from minigrad.viz import recording


@dataclass
class Op:
    """One recorded op."""

    key: int
    name: str
    attrs: str
    modules: tuple  # the modules it ran in, outermost first
    composite: Composite | None  # the outermost composite op it is part of
    inputs: list = field(default_factory=list)  # tensor keys
    outputs: list = field(default_factory=list)


@dataclass
class TensorInfo:
    """One tensor: a leaf, a constant, or an op's output."""

    key: Any
    kind: str  # input, parameter, intermediate or output
    shape: tuple
    dtype: str
    label: str = ""
    grad_norm: float | None = None
    producer: int | None = None  # the key of the op that made it
    consumers: list = field(default_factory=list)


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
        if isinstance(value, Window):
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


def _modules_and_composite(labels: tuple) -> tuple[tuple, Composite | None]:
    """The modules an op ran in and the outermost composite it is part of; modules entered
    inside a composite belong to the composite's own workings and are left out."""
    modules, outer = [], None
    for label in labels:
        if isinstance(label, Composite):
            outer = outer or label
        elif isinstance(label, Module) and outer is None:
            modules.append(label)
    return tuple(modules), outer


class GraphReader:
    """Collects ``ops`` and ``tensors`` and the ``order`` they were met in, nearest to the
    outputs first; ``names`` maps ``id(parameter)`` to the name to show."""

    def __init__(self, outputs: tuple, names: dict) -> None:
        self.names = names
        self.ops: dict[int, Op] = {}
        self.tensors: dict[Any, TensorInfo] = {}
        self.order: list = []  # ("op", key) and ("tensor", key)
        self._composites: set = set()
        self._read(outputs)

    def _tensor(self, key, kind, shape, dtype, label="") -> TensorInfo:
        node = self.tensors.get(key)
        if node is None:
            node = self.tensors[key] = TensorInfo(key, kind, tuple(shape), np.dtype(dtype).name, label)
            self.order.append(("tensor", key))
        return node

    def _leaf(self, leaf: Tensor) -> TensorInfo:
        name = self.names.get(id(leaf)) or leaf.name
        kind = "parameter" if id(leaf) in self.names or isinstance(leaf, Parameter) else "input"
        node = self._tensor(("leaf", id(leaf)), kind, leaf.shape, leaf.dtype, name or kind)
        if leaf.grad is not None:
            node.grad_norm = float(np.linalg.norm(leaf.grad._data))
        return node

    def _constant(self, tensor: Tensor) -> TensorInfo:
        return self._tensor(("const", id(tensor)), "input", tensor.shape, tensor.dtype, tensor.name or "input")

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
            if id(fn) not in seen:
                seen.add(id(fn))
                self._read_op(fn, queue)

    def _read_op(self, fn: Function, queue: deque) -> None:
        modules, group = _modules_and_composite(recording.labels(fn))
        attrs = dict(fn.attributes)
        # inside a composite, constants are made from the composite's own inputs: show those
        constants = recording.constants(fn) if group is None else {}
        op = self.ops[id(fn)] = Op(id(fn), fn.name(), "", modules, group)
        self.order.append(("op", id(fn)))
        if group is not None and id(group) not in self._composites:
            self._composites.add(id(group))
            for ref in group.constants:
                tensor = ref()
                if tensor is not None and tensor.ndim > 0:
                    node = self._constant(tensor)
                    node.consumers.append(id(fn))
                    op.inputs.append(node.key)
        norms = recording.grad_norms(fn)
        for nr in range(len(fn._outputs)):
            key = ("t", id(fn), nr)
            if key in self.tensors:
                self.tensors[key].producer = id(fn)
                if norms is not None and nr < len(norms):
                    self.tensors[key].grad_norm = norms[nr]
                op.outputs.append(key)
        for position, edge in enumerate(fn.next_functions):
            if edge is None:
                tensor = constants.get(position)
                if tensor is None:
                    continue
                if tensor.ndim == 0:
                    attrs[f"const{position}" if len(fn.next_functions) > 2 else "const"] = tensor.item()
                    continue
                node = self._constant(tensor)
            elif isinstance(edge[0], Function):
                parent, nr = edge
                shape, dtype = parent._outputs[nr]
                node = self._tensor(("t", id(parent), nr), "intermediate", shape, dtype)
                node.producer = id(parent)
                parent_norms = recording.grad_norms(parent)
                if parent_norms is not None and nr < len(parent_norms):
                    node.grad_norm = parent_norms[nr]
                queue.append(parent)
            else:
                node = self._leaf(edge[0])
            node.consumers.append(id(fn))
            op.inputs.append(node.key)
        op.attrs = format_attributes(attrs)

    def modules(self) -> dict[int, Module]:
        """Every module some op ran in, by id."""
        return {id(m): m for op in self.ops.values() for m in op.modules}


def parameter_names(params) -> dict[int, str]:
    """``draw_graph``'s ``params`` (a Module, a dict or ``(name, tensor)`` pairs) by tensor id."""
    if params is None:
        return {}
    if isinstance(params, Module):
        params = params.named_parameters()
    items = params.items() if isinstance(params, dict) else params
    return {id(tensor): name for name, tensor in items}
