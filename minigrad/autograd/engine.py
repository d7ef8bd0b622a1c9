"""The backward pass: walk the recorded graph from the outputs to the leaves.

1. ``topological_order`` lists every node reachable from the outputs so that each node comes
   after all the nodes that use its outputs (reverse post-order of an iterative depth-first
   search: linear time, no recursion, so a chain of 100,000 ops is fine).
2. Gradients flow through that list. Each node's incoming gradients are summed in a buffer;
   when the node's turn comes, the buffer is complete, ``backward`` turns it into gradients for
   the node's inputs, and those go into the buffers of the inputs' nodes, or into ``.grad`` of
   leaves.
3. Unless ``retain_graph`` is set, each node frees what it saved as soon as it has run.

With ``create_graph=True`` the backward ops are themselves recorded, which is how gradients of
gradients work: every ``backward`` in minigrad is written with Tensor ops.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from minigrad.autograd import function
from minigrad.autograd.function import Function, FREED_MESSAGE
from minigrad.autograd.grad_mode import grad_state
from minigrad.autograd.hooks import callbacks
from minigrad.threads import parallel_pass


def topological_order(roots: Iterable[Function]) -> list[Function]:
    """Every node reachable from ``roots``, each before the nodes it feeds gradients to."""
    order: list[Function] = []
    visited: set[int] = set()
    for root in roots:
        if id(root) in visited:
            continue
        visited.add(id(root))
        stack = [(root, iter(root.next_functions))]
        while stack:
            node, edges = stack[-1]
            for edge in edges:
                if edge is not None and isinstance(edge[0], Function) and id(edge[0]) not in visited:
                    visited.add(id(edge[0]))
                    stack.append((edge[0], iter(edge[0].next_functions)))
                    break
            else:
                stack.pop()
                order.append(node)
    order.reverse()
    return order


def _as_grad_tensor(grad, like_shape: tuple, like_dtype: np.dtype, node: Function, position: int):
    """``grad`` (from ``node``'s backward, for its input ``position``) checked against the
    shape and dtype of the tensor it belongs to."""
    if not isinstance(grad, function.Tensor):
        grad = function.Tensor._make(np.asarray(grad, dtype=like_dtype))
    data = grad._data
    if data.shape != like_shape:
        raise RuntimeError(
            f"{node.name()} backward, input {position}: gradient has shape {data.shape} but the "
            f"tensor it belongs to has shape {like_shape}"
        )
    if data.dtype != like_dtype:
        grad = grad.to(like_dtype)
    return grad


def _hooked(hook, grad):
    """``hook(grad)``: its result replaces the gradient, which must keep its shape (PyTorch's rule)."""
    result = hook(grad)
    if result is None:
        return grad
    if not isinstance(result, function.Tensor):
        raise RuntimeError(f"hook {getattr(hook, '__name__', hook)!r} returned a {type(result).__name__}; "
                           "a gradient hook must return a Tensor or None")
    if result.shape != grad.shape:
        raise RuntimeError(
            f"hook {getattr(hook, '__name__', hook)!r} has changed the size of value: the gradient has "
            f"shape {tuple(grad.shape)} but the hook returned shape {tuple(result.shape)}"
        )
    return result


def _root_gradients(outputs: Sequence, grad_outputs: Sequence | None) -> list:
    grads = []
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn; "
                "call .requires_grad_() on the inputs you want gradients for"
            )
        given = None if grad_outputs is None else grad_outputs[i]
        if given is None:
            if out.numel() != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs, but output {i} has "
                    f"shape {out.shape}; pass gradient= (a tensor of that shape) or reduce the "
                    "output first, e.g. out.sum().backward()"
                )
            grads.append(function.Tensor._make(np.ones(out.shape, dtype=out.dtype)))
        else:
            if not isinstance(given, function.Tensor):
                given = function.Tensor._make(np.array(given, dtype=out.dtype))
            if given.shape != out.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {given.shape} and "
                    f"output[{i}] has a shape of {out.shape}"
                )
            grads.append(given)
    return grads


class _Pass:
    """One backward pass: the buffers, the targets of ``autograd.grad`` and the leaf updates."""

    def __init__(self, retain_graph: bool, create_graph: bool, targets: Sequence | None) -> None:
        self.retain_graph = retain_graph
        self.create_graph = create_graph
        self.buffers: dict[int, list] = {}
        self.targets = targets
        self.captured: dict[int, object] = {}
        self.leaf_arrays: set[int] = set()

    # -- gradients arriving at a node's output or at a leaf --------------------------------------
    def add_to_node(self, node: Function, output_nr: int, grad) -> None:
        slots = self.buffers.get(id(node))
        if slots is None:
            slots = self.buffers[id(node)] = [None] * len(node._outputs)
        # out of place: the incoming array may be shared with another branch
        slots[output_nr] = grad if slots[output_nr] is None else slots[output_nr] + grad

    def add_to_leaf(self, leaf, grad, incoming: list) -> None:
        hooks = leaf._hooks
        if hooks:
            for hook in hooks:
                grad = _hooked(hook, grad)
        if self.targets is not None:
            key = id(leaf)
            if key in self.target_ids:
                previous = self.captured.get(key)
                self.captured[key] = grad if previous is None else previous + grad
            return
        if self.create_graph:
            leaf.grad = grad if leaf.grad is None else leaf.grad + grad
            return
        data = grad._data
        if leaf.grad is None:
            if self._may_be_shared(data, incoming):
                data = data.copy()
            self.leaf_arrays.add(id(data))
            leaf.grad = function.Tensor._make(data)
        elif leaf.grad._data.flags.writeable and leaf.grad.shape == data.shape:
            parallel_pass(_add_into, leaf.grad._data, data)  # a large gradient is added on all threads
        else:
            leaf.grad = function.Tensor._make(leaf.grad._data + data)

    def _may_be_shared(self, data: np.ndarray, incoming: list) -> bool:
        # A backward may pass its incoming gradient through unchanged (add, reshape, ...); a leaf
        # must own its .grad so that later in-place accumulation touches nothing else.
        if not data.flags.writeable or id(data) in self.leaf_arrays:
            return True
        return any(g is not None and np.may_share_memory(data, g._data) for g in incoming)

    # -- running the graph -------------------------------------------------------------------------
    def run(self, roots: Sequence, root_grads: Sequence) -> None:
        nodes = [r.grad_fn for r in roots if r.grad_fn is not None]
        order = topological_order(nodes)
        needed = self._needed(order) if self.targets is not None else None
        for root, grad in zip(roots, root_grads):
            if root.grad_fn is None:
                self.add_to_leaf(root, grad, [grad])
            else:
                self.add_to_node(root.grad_fn, root._output_nr, grad)

        previous = grad_state.enabled
        grad_state.enabled = self.create_graph
        try:
            for node in order:
                grads = self.buffers.pop(id(node), None)
                if grads is None:
                    continue
                grads = self._before_node(node, grads)
                if needed is not None and id(node) not in needed:
                    continue
                self._run_node(node, grads)
        finally:
            grad_state.enabled = previous

    def _before_node(self, node: Function, grads: list) -> list:
        """Hooks, retained gradients, ``on_backward`` callbacks and ``autograd.grad`` targets at
        the node's outputs."""
        if node._hooks:
            for nr, hooks in node._hooks.items():
                if grads[nr] is None:
                    continue
                for hook in hooks:
                    grads[nr] = _hooked(hook, grads[nr])
        if node._retained:
            for nr, ref in node._retained.items():
                tensor = ref()
                if tensor is not None and grads[nr] is not None:
                    g = grads[nr] if self.create_graph else grads[nr].detach()
                    tensor.grad = g if tensor.grad is None else tensor.grad + g
        if callbacks.backward:
            for callback in callbacks.backward:
                callback(node, tuple(grads))
        if self.targets is not None:
            for nr, g in enumerate(grads):
                key = (id(node), nr)
                if key in self.target_ids and g is not None:
                    self.captured[key] = g
        return grads

    def _run_node(self, node: Function, grads: list) -> None:
        if node._freed:
            raise RuntimeError(FREED_MESSAGE.format(op=node.name()))
        if node.materialize_grads and any(g is None for g in grads):
            grads = [g if g is not None else _zeros(shape, dtype) for g, (shape, dtype) in zip(grads, node._outputs)]
        node._may_release = not self.retain_graph
        results = node.backward(node, *grads)
        if not isinstance(results, tuple):
            results = (results,)
        for position, (edge, grad) in enumerate(zip(node.next_functions, results)):  # missing results: None
            if edge is None or grad is None:
                continue
            parent, nr = edge
            if isinstance(parent, Function):
                shape, dtype = parent._outputs[nr]
                self.add_to_node(parent, nr, _as_grad_tensor(grad, shape, dtype, node, position))
            else:
                grad = _as_grad_tensor(grad, parent._data.shape, parent._data.dtype, node, position)
                self.add_to_leaf(parent, grad, grads)
        if not self.retain_graph:
            node._release()

    def _needed(self, order: list[Function]) -> set[int]:
        """Nodes that lead to a target of ``autograd.grad``; the rest need not run."""
        self.target_ids = set()
        for t in self.targets:
            self.target_ids.add(id(t) if t.grad_fn is None else (id(t.grad_fn), t._output_nr))
        needed: set[int] = set()
        for node in reversed(order):
            for edge in node.next_functions:
                if edge is None:
                    continue
                parent, nr = edge
                if isinstance(parent, Function):
                    if id(parent) in needed or (id(parent), nr) in self.target_ids:
                        needed.add(id(node))
                        break
                elif id(parent) in self.target_ids:
                    needed.add(id(node))
                    break
        return needed


def _zeros(shape: tuple, dtype: np.dtype):
    return function.Tensor._make(np.zeros(shape, dtype=dtype))


def _refresh_views(tensors: list) -> None:
    """A view whose root was changed in place since its grad_fn was made gets a fresh one."""
    for t in tensors:
        if t._view is not None and t._view[2] != t._vc[0]:
            function.refresh_view(t)


def backward(tensors, grad_tensors=None, retain_graph: bool | None = None, create_graph: bool = False) -> None:
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves they depend on."""
    tensors = [tensors] if isinstance(tensors, function.Tensor) else list(tensors)
    _refresh_views(tensors)
    if grad_tensors is not None and not isinstance(grad_tensors, (list, tuple)):
        grad_tensors = [grad_tensors]
    root_grads = _root_gradients(tensors, grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    _Pass(retain_graph, create_graph, targets=None).run(tensors, root_grads)


def grad(outputs, inputs, grad_outputs=None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool = False) -> tuple:
    """The gradients of ``outputs`` with respect to ``inputs``, as a tuple; ``.grad`` is untouched.

    >>> import minigrad as mg
    >>> x = mg.tensor([1.0, 2.0], requires_grad=True)
    >>> (g,) = mg.autograd.grad((x ** 3).sum(), x, create_graph=True)
    >>> g.tolist(), mg.autograd.grad(g.sum(), x)[0].tolist()
    ([3.0, 12.0], [6.0, 12.0])
    """
    outputs = [outputs] if isinstance(outputs, function.Tensor) else list(outputs)
    _refresh_views(outputs)
    single_input = isinstance(inputs, function.Tensor)
    inputs = [inputs] if single_input else list(inputs)
    if grad_outputs is not None and not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = [grad_outputs]
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"autograd.grad: input {i} (shape {t.shape}) does not require grad")
    root_grads = _root_gradients(outputs, grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    run = _Pass(retain_graph, create_graph, targets=inputs)
    run.run(outputs, root_grads)
    results = []
    for i, t in enumerate(inputs):
        key = id(t) if t.grad_fn is None else (id(t.grad_fn), t._output_nr)
        g = run.captured.get(key)
        if g is None and not allow_unused:
            raise RuntimeError(
                f"autograd.grad: input {i} (shape {t.shape}) was not used to compute the outputs; "
                "pass allow_unused=True if that is expected"
            )
        if g is not None and not create_graph:
            g = g.detach()
        results.append(g)
    return tuple(results)


def _add_into(total: np.ndarray, grad: np.ndarray) -> None:
    np.add(total, grad, out=total)
