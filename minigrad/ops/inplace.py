"""In-place operations (``add_``, ``mul_``, ``zero_``, ``+=``, ``t[i] = v``, ...) with PyTorch's
autograd rules.

Three facts make in-place updates safe:

* **Versions.** Every tensor has a version counter (``t._version``), shared with the views of its
  memory. Each in-place op bumps it. A graph node remembers the version of each tensor it saved;
  if the tensor has changed by the time backward needs it, backward raises instead of using the
  new values (``Function.saved_tensors``).
* **Rebasing.** When recording is on and the op involves a tensor that requires grad, the op is
  computed out of place as an ordinary graph node, its result is written into the tensor's
  memory, and the tensor takes over the node as its ``grad_fn``: later uses of the tensor see
  the new value and differentiate through the op.
* **Views.** A view (from ``reshape``/``view``, ``permute``/``transpose``, basic indexing)
  remembers its root tensor and the steps that cut it out. An in-place op on a view rewrites the
  root with a ``SetView`` node (the root with that region replaced), so the gradient of
  everything that later reads the root is right; ``t[i] = v`` is the same node with one more
  step. A view whose root changed since its ``grad_fn`` was made gets a fresh one from the root
  the next time an op records it.

The counters and the view records themselves are kept by ``versions.py``, which the shape and
indexing ops use too.

A leaf that requires grad (a parameter) may only be changed in place under ``mg.no_grad()``, as
in PyTorch: elsewhere the op raises.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from minigrad import _dtype
from minigrad.autograd.function import Function, _SavedOutput
from minigrad.autograd.grad_mode import grad_state
from minigrad.ops.broadcast import broadcast_to, sum_to
from minigrad.ops.conversion import cast
from minigrad.ops.indexing import GetItem, index_steps
from minigrad.ops.shape import Permute, Reshape
from minigrad.ops.versions import bump, counter, zero_dim_index
from minigrad.tensor import Tensor


# -- views ----------------------------------------------------------------------------------------------
def _step_array(array: np.ndarray, step: tuple) -> np.ndarray:
    kind, arg = step
    if kind == "index":
        out = array[arg]
        # integers only: a 0-d view rather than a numpy scalar, so that writes go through
        return out if isinstance(out, np.ndarray) else array[zero_dim_index(arg)]
    if kind == "reshape":
        return array.reshape(arg)
    return array.transpose(arg)


def _step_tensor(t: Tensor, step: tuple) -> Tensor:
    kind, arg = step
    if kind == "index":
        return GetItem.apply(t, index=arg)
    if kind == "reshape":
        return Reshape.apply(t, shape=arg)
    return Permute.apply(t, dims=arg)


def refresh_view(view: Tensor) -> None:
    """Give a view whose root was changed in place a ``grad_fn`` that reads the new root. The
    engine calls it too (``minigrad.tensor`` hands it over with ``bind_tensor``): before it
    records an op on such a view, and before a backward pass starts from one."""
    root, steps, _, made_with_grad = view._view
    if root._requires_grad and made_with_grad:
        previous = grad_state.enabled
        grad_state.enabled = True
        try:
            fresh = root
            for step in steps:
                fresh = _step_tensor(fresh, step)
        finally:
            grad_state.enabled = previous
        view.grad_fn, view._output_nr, view._requires_grad = fresh.grad_fn, fresh._output_nr, fresh._requires_grad
    view._view = (root, steps, root._vc[0], made_with_grad)


def _assign(array: np.ndarray, steps: tuple, value) -> None:
    """Write ``value`` into the region of ``array`` that ``steps`` cut out. The last step is an
    assignment (``array[index] = value``), so index arrays and masks write too."""
    for step in steps[:-1]:
        array = _step_array(array, step)
    kind, arg = steps[-1]
    if kind == "index":
        array[arg] = value
    else:
        _step_array(array, steps[-1])[...] = value


def _region_positions(shape: tuple, steps: tuple) -> np.ndarray:
    """The flat positions, in a C-ordered array of ``shape``, of the region the steps cut out."""
    positions = np.arange(int(np.prod(shape)), dtype=np.intp).reshape(shape)
    for step in steps:
        positions = _step_array(positions, step)
    return positions


class SetView(Function):
    """The root tensor with the region that ``steps`` cut out of it replaced by ``value``.

    The write goes straight into the root's memory (the in-place op itself); the node records
    how gradients flow: the region's gradient goes to ``value``, the rest to the old root."""

    @staticmethod
    def forward(ctx, root, value, steps):
        _assign(root._data, steps, value._data)
        ctx.value_shape = value.shape
        return root._data

    @staticmethod
    def backward(ctx, grad):
        steps = ctx.steps
        grad_root = ZeroRegion.apply(grad, steps=steps) if ctx.needs_input_grad[0] else None
        grad_value = None
        if ctx.needs_input_grad[1]:
            region = grad
            for step in steps:
                region = _step_tensor(region, step)
            grad_value = sum_to(region, ctx.value_shape)
        return grad_root, grad_value


class ZeroRegion(Function):
    """``grad`` with the region cut out by ``steps`` set to zero (its own adjoint)."""

    @staticmethod
    def forward(ctx, grad, steps):
        out = np.array(grad._data, order="C")
        if len(steps) == 1:
            _assign(out, steps, 0)
        else:  # a chain of views of a copy need not be views again: address the region by position
            out.reshape(-1)[_region_positions(out.shape, steps)] = 0
        return out

    @staticmethod
    def backward(ctx, grad):
        return ZeroRegion.apply(grad, steps=ctx.steps)


# -- the in-place ops ---------------------------------------------------------------------------------
def needs_graph(t: Tensor, args: tuple) -> bool:
    if not grad_state.enabled:
        return False
    if t._requires_grad or (t._view is not None and t._view[0]._requires_grad):
        return True
    return any(isinstance(a, Tensor) and a._requires_grad for a in args)


def fast_arithmetic(t: Tensor, ufunc, other) -> bool:
    """``t op= other`` straight into ``t``'s memory when nothing is recorded and the result keeps
    ``t``'s dtype and shape (the optimizer-update case). False when the general path is needed."""
    if needs_graph(t, (other,)) or not t._data.flags.writeable:
        return False
    if isinstance(other, Tensor):
        if other.dtype != t.dtype or (other.shape != t.shape and other.ndim > t.ndim):
            return False
        value = other._data
    elif isinstance(other, (float, int)) and not isinstance(other, bool) and t.dtype.kind == "f":
        value = other
    else:
        return False
    try:
        ufunc(t._data, value, out=t._data)
    except ValueError:
        return False  # not broadcastable to t: let the general path say so
    bump(t)
    return True


def _check_allowed(t: Tensor, op: str) -> None:
    if t.grad_fn is None and t._requires_grad:
        raise RuntimeError(
            f"{op}: a leaf Variable that requires grad is being used in an in-place operation. "
            "Update parameters under `with mg.no_grad():` (or use an optimizer)."
        )
    if t._view is not None:
        root, made_with_grad = t._view[0], t._view[3]
        if root.grad_fn is None and root._requires_grad:
            raise RuntimeError(
                f"{op}: a view of a leaf Variable that requires grad is being used in an in-place "
                "operation. Do it under `with mg.no_grad():`, or clone() the tensor first."
            )
        if not made_with_grad and root._requires_grad:
            raise RuntimeError(
                f"{op}: A view was created in no_grad mode and is being modified inplace with grad mode "
                "enabled. Given that this use case is ambiguous and error-prone, it is forbidden: make the "
                "view with grad mode on, or change it under no_grad too."
            )


def _check_result(t: Tensor, result: Tensor, op: str) -> None:
    if result.shape != t.shape:
        raise RuntimeError(
            f"{op}: output with shape {list(t.shape)} doesn't match the broadcast shape {list(result.shape)}"
        )
    if _dtype.category(result.dtype) > _dtype.category(t.dtype):
        raise RuntimeError(
            f"{op}: result type {result.dtype} can't be cast to the desired output type {t.dtype}; "
            f"convert the tensor first (e.g. t = t.float()) or use the out-of-place form"
        )
    if not t._data.flags.writeable:
        raise RuntimeError(
            f"{op}: this tensor's memory is read-only (an expand()/broadcast view or a read-only "
            "array); clone() it first"
        )


def apply_inplace(t: Tensor, op: str, compute: Callable, *args, saves_self: bool = False,
                  writes_in_place: bool = False) -> Tensor:
    """Run ``compute(t, *args)`` (an out-of-place expression) and make its result ``t``'s new value.

    ``saves_self``: the expression's backward needs ``t``'s old value (``x.mul_(w)`` needs x to
    give w its gradient), so when the graph is recorded it gets a copy of that value.
    ``writes_in_place``: ``compute`` already writes its result into ``t``'s memory (``relu_``),
    so nothing is copied."""
    if not needs_graph(t, args):
        previous = grad_state.enabled
        grad_state.enabled = False
        try:
            result = compute(t, *args)
        finally:
            grad_state.enabled = previous
        _check_result(t, result, op)
        if result._data is not t._data:
            t._data[...] = result._data
        bump(t)
        return t
    _check_allowed(t, op)
    if t._view is not None and t._view[2] != t._vc[0]:
        refresh_view(t)
    if writes_in_place:
        if not t._data.flags.writeable:
            _check_result(t, t, op)
        bump(t)  # before the op, so that what it saves of t is at the new version
    old = Tensor._make(t._data.copy() if saves_self else t._data)
    old.grad_fn, old._output_nr, old._requires_grad = t.grad_fn, t._output_nr, t._requires_grad
    old._vc = None if saves_self else counter(t)  # a saved alias of t must see t's changes
    result = compute(old, *args)
    _check_result(t, result, op)
    if t._view is None:
        if result._data is not t._data:
            t._data[...] = result._data
            bump(t)
            _saved_output_is(result, t)
        retained = _take_retained(t)
        t.grad_fn, t._output_nr, t._requires_grad = result.grad_fn, result._output_nr, result._requires_grad
        if retained is not None:
            t.retain_grad()
    else:
        root, steps = t._view[:2]
        _rewrite_root(root, result, steps, bumped=writes_in_place)
        refresh_view(t)
    return t


def _saved_output_is(result: Tensor, t: Tensor) -> None:
    """When the op saved its own output for backward (``exp_``, ``tanh_``...), that output is now
    ``t``: keep ``t``'s memory rather than a second copy, and check ``t``'s version."""
    node = result.grad_fn
    if node is None or not node._saved:
        return
    for item in node._saved:
        if isinstance(item, _SavedOutput) and item.counter is result._vc:
            item._data, item.counter, item.version = t._data, counter(t), t._vc[0]


def _take_retained(t: Tensor):
    """Stop retaining the gradient of ``t``'s old value (it is retained for the new one)."""
    node = t.grad_fn
    if node is None or not node._retained or t._output_nr not in node._retained:
        return None
    return node._retained.pop(t._output_nr)


def _rewrite_root(root: Tensor, value: Tensor, steps: tuple, bumped: bool = False) -> None:
    retained = _take_retained(root)
    new_root = SetView.apply(root, value, steps=steps)
    if new_root.grad_fn is not None:
        root.grad_fn, root._output_nr, root._requires_grad = new_root.grad_fn, 0, True
    if retained is not None:
        root.retain_grad()
    if not bumped:
        bump(root)


def setitem(t: Tensor, index, value) -> None:
    """``t[index] = value``: recorded (and differentiable) when ``t`` or ``value`` requires grad."""
    steps = index_steps(index, t.ndim)
    if not isinstance(value, Tensor):
        value = Tensor._make(np.asarray(value, dtype=t.dtype))
    if not needs_graph(t, (value,)):
        if not t._data.flags.writeable:
            raise RuntimeError("setitem: this tensor's memory is read-only (an expand()/broadcast view); clone() it first")
        try:
            _assign(t._data, steps, value._data)
        except (IndexError, ValueError) as error:
            raise (IndexError if isinstance(error, IndexError) else RuntimeError)(f"setitem: can't assign a value of shape {value.shape} to index {index!r} "
                              f"of a tensor of shape {t.shape}: {error}") from None
        bump(t)
        return
    _check_allowed(t, "setitem")
    region_shape = _region_shape(t._data, steps)
    if value.dtype != t.dtype:
        value = cast(value, t.dtype)
    while value.ndim > len(region_shape) and value.shape[0] == 1:
        value = value.reshape(value.shape[1:])
    try:
        value = broadcast_to(value, region_shape)
    except RuntimeError:
        raise RuntimeError(
            f"setitem: shape mismatch: value tensor of shape {list(value.shape)} cannot be broadcast to "
            f"indexing result of shape {list(region_shape)}"
        ) from None
    if t._view is not None:
        if t._view[2] != t._vc[0]:
            refresh_view(t)
        root, view_steps = t._view[:2]
        _rewrite_root(root, value, view_steps + steps)
        refresh_view(t)
    else:
        _rewrite_root(t, value, steps)


def _region_shape(array: np.ndarray, steps: tuple) -> tuple:
    region = array
    for step in steps:
        try:
            region = _step_array(region, step)
        except IndexError as error:
            raise IndexError(f"setitem: index {step[1]!r} is invalid for a tensor of shape {array.shape}: {error}") from None
    return region.shape
