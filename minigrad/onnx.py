"""Export a model to ONNX by walking the graph that one forward pass records.

``export(model, example_input, "model.onnx")`` runs the model once, in eval mode, and then
reads the recorded graph the way the backward pass does (``topological_order`` from the output
to the leaves). Each graph node becomes one ONNX node, chosen by the op's class name in
``CONVERTERS``; each leaf becomes the graph input (the example input), an initializer named
after its ``state_dict`` key (a parameter), or a constant initializer::

    Convolution(window, groups)    -> Conv(kernel_shape, strides, pads, dilations, group)
    MaxPool2d(window)              -> MaxPool(kernel_shape, strides, pads, dilations)
    AvgPool2d(window, divisor)     -> AveragePool(count_include_pad) [* a constant correction]
    LocalResponseNorm(size, ...)   -> LRN(size, alpha, beta, bias)
    Linear                         -> Gemm(transB=1) on 2-D inputs, else MatMul + Add
    Reshape(shape)                 -> Flatten(axis=1), or Reshape with 0 for the batch

Both minigrad and ONNX divide LRN's ``alpha`` by ``size`` (PyTorch's convention), so the
attributes carry over unchanged. Padding is written as the four pads the windows actually
reach (``Window.padding``), so ``ceil_mode`` needs no flag: ONNX's floor rounding over those
pads gives the same output size.

``onnx`` is imported only when exporting (``pip install minigrad[onnx]``).

>>> import minigrad as mg                                        # doctest: +SKIP
>>> mg.onnx.export(mg.models.LeNet5(), mg.zeros(1, 1, 28, 28), "lenet5.onnx")  # doctest: +SKIP
"""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from typing import Any, Callable, Sequence

import numpy as np

from minigrad.autograd.engine import topological_order
from minigrad.autograd.function import Function
from minigrad.autograd.grad_mode import enable_grad
from minigrad.autograd.hooks import on_record
from minigrad.nn.functional.pooling import _divisor
from minigrad.nn.scope import current_scope
from minigrad.tensor import Tensor


class ExportError(ValueError):
    """The model uses something that cannot be written as ONNX."""


# -- recording: keep the constants alive ------------------------------------------------------------
@contextmanager
def _keep_constants(store: dict):
    """While active, every node recorded in this thread is kept in ``store[id(node)]`` with
    its inputs that need no gradient (constants such as the ``1`` of ``x + 1``: the graph keeps
    no reference to them, and a temporary constant would be gone before the export reads it)
    and the ``scope`` labels (the modules) it was recorded under."""
    thread = threading.get_ident()

    def remember(node, inputs, outputs):
        if threading.get_ident() == thread:  # another thread's graph is not the model's
            constants = {i: a for i, a in enumerate(inputs) if isinstance(a, Tensor) and not a._requires_grad}
            store[id(node)] = (node, constants, current_scope())

    with on_record(remember):
        yield store


# -- the ONNX graph under construction --------------------------------------------------------------
class _Builder:
    """Collects ONNX nodes and initializers; ``converter(builder, node, inputs, output)`` adds
    the nodes of one minigrad op, ``inputs`` being the ONNX value names of its arguments (None
    where an argument is absent, such as a missing bias)."""

    def __init__(self, onnx, batch: int | None) -> None:
        self.onnx, self.helper, self.numpy_helper = onnx, onnx.helper, onnx.numpy_helper
        self.batch = batch  # the example's batch size when the batch dimension is dynamic
        self.nodes: list = []
        self.initializers: dict[str, Any] = {}
        self.shapes: dict[str, tuple] = {}  # value name -> shape in the traced run
        self.scope = ""  # the module the current op belongs to, for node names

    def add(self, op_type: str, inputs: Sequence[str | None], output: str, **attributes) -> str:
        inputs = list(inputs)
        while inputs and inputs[-1] is None:
            inputs.pop()  # optional trailing inputs are left out
        name = f"{self.scope}/{op_type}" if self.scope else op_type
        name = self._unique(name, {n.name for n in self.nodes})
        self.nodes.append(self.helper.make_node(op_type, [i or "" for i in inputs], [output], name=name, **attributes))
        return output

    def initializer(self, name: str, array: np.ndarray) -> str:
        self.initializers[name] = self.numpy_helper.from_array(np.ascontiguousarray(array), name)
        self.shapes[name] = np.shape(array)
        return name

    def constant(self, array: np.ndarray, hint: str) -> str:
        return self.initializer(self.temporary(hint), np.asarray(array))

    def temporary(self, hint: str) -> str:
        return self._unique(hint, self.shapes.keys() | self.initializers.keys())

    @staticmethod
    def _unique(name: str, taken) -> str:
        candidate, k = name, 1
        while candidate in taken:
            candidate, k = f"{name}_{k}", k + 1
        return candidate


# -- one converter per minigrad op ------------------------------------------------------------------
Converter = Callable[[_Builder, Function, list, str], None]
CONVERTERS: dict[str, Converter] = {}


def converts(*op_names: str):
    """Register a converter for the graph nodes whose op class has one of ``op_names``."""
    def register(function: Converter) -> Converter:
        for op_name in op_names:
            CONVERTERS[op_name] = function
        return function
    return register


_UNARY = {
    "Relu": "Relu", "ReluInplace": "Relu", "Tanh": "Tanh", "Sigmoid": "Sigmoid", "Exp": "Exp", "Log": "Log",
    "Sqrt": "Sqrt", "Abs": "Abs", "Neg": "Neg", "Sin": "Sin", "Cos": "Cos", "Sign": "Sign",
    "Clone": "Identity", "Dropout": "Identity",  # dropout is the identity at inference
}
_BINARY = {"Add": "Add", "Sub": "Sub", "Mul": "Mul", "Div": "Div", "MatMul": "MatMul"}


def _unary(g, node, inputs, output):
    g.add(_UNARY[node.name()], inputs[:1], output)


def _binary(g, node, inputs, output):
    g.add(_BINARY[node.name()], inputs, output)


for _name in _UNARY:
    CONVERTERS[_name] = _unary
for _name in _BINARY:
    CONVERTERS[_name] = _binary


def _pads(window) -> list[int]:
    top, bottom, left, right = window.padding  # ONNX: all begins, then all ends
    return [top, left, bottom, right]


def _window_attributes(window) -> dict:
    return dict(kernel_shape=list(window.kernel), strides=list(window.stride), pads=_pads(window))


@converts("Convolution")
def _conv(g, node, inputs, output):
    window = node.attributes["window"]
    g.add("Conv", inputs, output, dilations=list(window.dilation), group=node.attributes["groups"],
          **_window_attributes(window))


@converts("MaxPool2d")
def _max_pool(g, node, inputs, output):
    if node.attributes.get("return_indices"):
        raise ExportError("max_pool2d with return_indices=True cannot be exported (ONNX numbers indices differently)")
    window = node.attributes["window"]
    g.add("MaxPool", inputs, output, dilations=list(window.dilation), **_window_attributes(window))


@converts("AvgPool2d")
def _avg_pool(g, node, inputs, output):
    window, divisor = node.attributes["window"], node.attributes["divisor"]
    full = window.kernel[0] * window.kernel[1]
    if window.kernel == window.input_hw and not any(window.padding):
        g.add("GlobalAveragePool", inputs, output)  # e.g. adaptive_avg_pool2d(x, 1)
    elif np.array_equal(divisor, _divisor(window, count_include_pad=False)):
        g.add("AveragePool", inputs, output, count_include_pad=0, **_window_attributes(window))
    elif np.all(divisor == full):
        g.add("AveragePool", inputs, output, count_include_pad=1, **_window_attributes(window))
    else:  # divisor_override, or ceil-mode windows that PyTorch divides by less than the kernel
        pooled = g.add("AveragePool", inputs, g.temporary(output + "_mean"), count_include_pad=1,
                       **_window_attributes(window))
        dtype = node._outputs[0][1]
        g.add("Mul", [pooled, g.constant((full / divisor).astype(dtype), "avg_pool_divisor")], output)


@converts("LocalResponseNorm")
def _lrn(g, node, inputs, output):
    a = node.attributes
    if a["size"] % 2 == 0:
        raise ExportError(
            f"local_response_norm with an even size ({a['size']}) cannot be exported: ONNX centres the "
            "channel window the other way round for even sizes; use an odd size"
        )
    g.add("LRN", inputs, output, size=a["size"], alpha=float(a["alpha"]), beta=float(a["beta"]), bias=float(a["k"]))


@converts("Linear")
def _linear(g, node, inputs, output):
    x, weight, bias = inputs
    if len(g.shapes[x]) == 2:
        g.add("Gemm", [x, weight, bias], output, transB=1)
        return
    weight_t = g.add("Transpose", [weight], g.temporary(weight + "_T"), perm=[1, 0])
    if bias is None:
        g.add("MatMul", [x, weight_t], output)
    else:
        g.add("Add", [g.add("MatMul", [x, weight_t], g.temporary(output + "_matmul")), bias], output)


@converts("Reshape")
def _reshape(g, node, inputs, output):
    in_shape, shape = g.shapes[inputs[0]], tuple(node.attributes["shape"])
    shape = tuple(node._outputs[0][0]) if -1 in shape else shape
    if len(in_shape) >= 2 and shape == (in_shape[0], int(np.prod(in_shape[1:]))):
        g.add("Flatten", inputs, output, axis=1)  # x.flatten(1), whatever the batch size
        return
    if g.batch is not None and in_shape[:1] == shape[:1] == (g.batch,):
        shape = (0,) + shape[1:]  # 0: copy the batch dimension of the input
    g.add("Reshape", [inputs[0], g.constant(np.array(shape, dtype=np.int64), "shape")], output)


@converts("Permute")
def _permute(g, node, inputs, output):
    g.add("Transpose", inputs, output, perm=[int(d) for d in node.attributes["dims"]])


@converts("Softmax", "LogSoftmax")
def _softmax(g, node, inputs, output):
    g.add(node.name(), inputs, output, axis=int(node.attributes["dim"]))


@converts("PowScalar")
def _pow(g, node, inputs, output):
    exponent = np.array(node.attributes["exponent"], dtype=node._outputs[0][1])
    g.add("Pow", [inputs[0], g.constant(exponent, "exponent")], output)


# -- the export -------------------------------------------------------------------------------------
def _module_names(model) -> dict[int, str]:
    named = getattr(model, "named_modules", None)
    return {id(module): name for name, module in named()} if named else {}


def _leaf_names(model) -> dict[int, str]:
    """``state_dict`` key of every parameter and buffer, by object identity."""
    names = {}
    for collection in ("named_parameters", "named_buffers"):
        named = getattr(model, collection, None)
        if named is not None:
            for name, tensor in named():
                names.setdefault(id(tensor), name)
    return names


def _trace(model, example_input: Tensor, store: dict):
    """One forward pass in eval mode with recording on; the input is a fresh leaf that
    requires grad, so that ops on the input alone (a reshape, a scaling) are recorded too."""
    traced_input = Tensor._make(np.array(example_input._data, copy=True))
    traced_input._requires_grad = True
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    try:
        with enable_grad(), _keep_constants(store):
            output = model(traced_input)
    finally:
        if was_training and hasattr(model, "train"):
            model.train()
    return traced_input, output


def _supported() -> str:
    return ", ".join(sorted(CONVERTERS))


def to_onnx(model, example_input: Tensor, input_names: Sequence[str] | None = None,
            output_names: Sequence[str] | None = None, dynamic_batch: bool = True, opset_version: int = 17):
    """The ``onnx.ModelProto`` that :func:`export` writes (see there)."""
    import onnx  # an optional dependency (minigrad[onnx]): imported only when a model is exported

    if not isinstance(example_input, Tensor):
        raise TypeError(f"onnx.export: example_input must be a minigrad Tensor, got {type(example_input).__name__}")
    store: dict = {}
    traced_input, output = _trace(model, example_input, store)
    outputs = list(output) if isinstance(output, (tuple, list)) else [output]
    for out in outputs:
        if not isinstance(out, Tensor) or out.grad_fn is None:
            raise ExportError("onnx.export: every model output must be a Tensor computed from the input or the parameters")

    batch = example_input.shape[0] if dynamic_batch and example_input.ndim > 0 else None
    g = _Builder(onnx, batch)
    input_name = (input_names or ["input"])[0]
    output_names = list(output_names or (["output"] if len(outputs) == 1 else [f"output{i}" for i in range(len(outputs))]))
    if len(output_names) != len(outputs):
        raise ValueError(f"onnx.export: {len(output_names)} output_names for {len(outputs)} outputs")
    g.shapes[input_name] = traced_input.shape
    leaf_names, module_names = _leaf_names(model), _module_names(model)
    values: dict[tuple[int, int], str] = {}  # (id(node), output_nr) -> ONNX value name
    final = {(id(out.grad_fn), out._output_nr): name for out, name in zip(outputs, output_names)}

    def leaf(tensor: Tensor) -> str:
        if tensor is traced_input:
            return input_name
        if id(tensor) in leaf_names:
            name = leaf_names[id(tensor)]
            return name if name in g.initializers else g.initializer(name, tensor._data)
        return g.constant(tensor._data, f"{g.scope}.constant" if g.scope else "constant")

    for node in reversed(topological_order([out.grad_fn for out in outputs])):
        op = node.name()
        if op not in CONVERTERS:
            raise ExportError(f"onnx.export: the op {op!r} cannot be exported to ONNX yet; supported ops: {_supported()}")
        _, constants, labels = store.get(id(node), (None, {}, ()))
        modules = [module_names[id(s)] for s in labels if id(s) in module_names]
        g.scope = modules[-1] if modules else ""
        inputs = []
        for position, edge in enumerate(node.next_functions):
            if edge is None:
                inputs.append(leaf(constants[position]) if position in constants else None)
            elif isinstance(edge[0], Function):
                if (id(edge[0]), edge[1]) not in values:
                    raise ExportError(f"onnx.export: {op} uses output {edge[1]} of {edge[0].name()}, which has no ONNX equivalent")
                inputs.append(values[id(edge[0]), edge[1]])
            else:
                inputs.append(leaf(edge[0]))
        name = final.get((id(node), 0)) or g.temporary(f"{g.scope or op}/{op}" if g.scope else op)
        CONVERTERS[op](g, node, inputs, name)
        values[id(node), 0] = name
        g.shapes[name] = node._outputs[0][0]
    del store  # the constants are copied into initializers by now

    def value_info(name: str, tensor: Tensor):
        shape: list = list(tensor.shape)
        if batch is not None and shape[:1] == [batch]:
            shape[0] = "batch"
        element = onnx.helper.np_dtype_to_tensor_dtype(tensor._data.dtype)
        return onnx.helper.make_tensor_value_info(name, element, shape)

    graph = onnx.helper.make_graph(
        g.nodes, type(model).__name__, [value_info(input_name, traced_input)],
        [value_info(values[id(out.grad_fn), out._output_nr], out) for out in outputs],
        initializer=list(g.initializers.values()),
    )
    proto = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", opset_version)],
                                   producer_name="minigrad")
    onnx.checker.check_model(proto)
    return proto


def export(model, example_input: Tensor, f: str | os.PathLike, input_names: Sequence[str] | None = None,
           output_names: Sequence[str] | None = None, dynamic_batch: bool = True, opset_version: int = 17):
    """Write ``model`` as an ONNX file, as ``torch.onnx.export`` does.

    The model runs once on ``example_input`` (in eval mode, so dropout is the identity); the
    recorded ops become ONNX nodes and the parameters become initializers named after their
    ``state_dict`` keys. With ``dynamic_batch`` the first dimension of the input and output is
    the symbol ``batch``, so the file accepts any batch size. An op without an ONNX
    equivalent raises :class:`ExportError` naming it and the supported ops. Returns the
    ``onnx.ModelProto``, which has passed ``onnx.checker.check_model``.
    """
    import onnx  # optional, as in to_onnx

    proto = to_onnx(model, example_input, input_names, output_names, dynamic_batch, opset_version)
    onnx.save(proto, os.fspath(f))
    return proto
