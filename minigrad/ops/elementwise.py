"""Elementwise functions: exp, log, sqrt, sin, cos, abs, sign, tanh, sigmoid, relu, clamp,
maximum and minimum.

Every backward here is PyTorch's formula written with Tensor ops, e.g. ``tanh``:
``grad * (1 - y * y)`` with ``y`` the saved output.
"""
from __future__ import annotations

import numpy as np

from minigrad import _dtype
from minigrad.autograd.function import Function
from minigrad.ops._util import check_real
from minigrad.ops.broadcast import sum_to
from minigrad.ops.conversion import binary_operands, cast_to, to_floating
from minigrad.ops.indexing import where
from minigrad.ops.inplace import apply_inplace
from minigrad.tensor import Tensor
from minigrad.threads import parallel_pass


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        with np.errstate(over="ignore"):
            y = np.exp(x._data)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y


def exp(x: Tensor) -> Tensor:
    """``e ** x``."""
    return Exp.apply(to_floating(x, "exp"))


class Log(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(x._data)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / x


def log(x: Tensor) -> Tensor:
    """Natural logarithm (``-inf`` at 0 and ``nan`` below, without warnings, as in PyTorch)."""
    return Log.apply(to_floating(x, "log"))


class Sqrt(Function):
    @staticmethod
    def forward(ctx, x):
        with np.errstate(invalid="ignore"):
            y = np.sqrt(x._data)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad / (2 * y)


def sqrt(x: Tensor) -> Tensor:
    """Square root."""
    return Sqrt.apply(to_floating(x, "sqrt"))


class Sin(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x._data)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x.cos()


def sin(x: Tensor) -> Tensor:
    """Sine, elementwise (radians)."""
    return Sin.apply(to_floating(x, "sin"))


class Cos(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x._data)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return -grad * x.sin()


def cos(x: Tensor) -> Tensor:
    """Cosine, elementwise (radians)."""
    return Cos.apply(to_floating(x, "cos"))


class Abs(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x._data)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * sign(x)


def abs(x: Tensor) -> Tensor:
    """Absolute value; the gradient at 0 is 0."""
    return Abs.apply(x)


class Sign(Function):
    """-1, 0 or 1; piecewise constant, so its gradient is zero."""

    @staticmethod
    def forward(ctx, x):
        return np.sign(x._data)

    @staticmethod
    def backward(ctx, grad):
        return grad * 0


def sign(x: Tensor) -> Tensor:
    """The sign of each element (-1, 0, 1); its gradient is zero."""
    return Sign.apply(x)


class Tanh(Function):
    @staticmethod
    def forward(ctx, x):
        y = np.tanh(x._data)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (1 - y * y)


def tanh(x: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return Tanh.apply(to_floating(x, "tanh"))


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        # exp(-x) may overflow to inf for very negative x; 1 / (1 + inf) is the right answer, 0
        with np.errstate(over="ignore"):
            y = 1 / (1 + np.exp(-x._data))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (1 - y) * y


def sigmoid(x: Tensor) -> Tensor:
    """``1 / (1 + exp(-x))``, finite and warning-free for any input."""
    return Sigmoid.apply(to_floating(x, "sigmoid"))


# -- relu ---------------------------------------------------------------------------------------
def masked(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``values`` where ``keep``, else 0 (like ``np.where(keep, values, 0)``, which is ten times
    slower on large arrays). Multiplying by the mask is exact unless a dropped value is inf or
    NaN (0 * inf is NaN), so those rare cases take the slow path."""
    out = np.empty(np.broadcast_shapes(values.shape, keep.shape), dtype=values.dtype)
    masked_into(out, values, keep)
    return out


def masked_into(out: np.ndarray, values: np.ndarray, keep: np.ndarray) -> None:
    """:func:`masked`, written into ``out``."""
    with np.errstate(invalid="ignore"):  # 0 * inf, handled below
        np.multiply(values, keep, out=out)
    if np.isnan(out).any():
        np.copyto(out, np.where(keep, values, 0))


def _threshold_backward(out: np.ndarray, grad: np.ndarray, y: np.ndarray) -> None:
    masked_into(out, grad, y != 0)


def _relu_into(y: np.ndarray, x: np.ndarray) -> None:
    np.maximum(x, x.dtype.type(0), out=y)  # a zero of x's type: a Python 0 would be a slower mixed-type loop


class Relu(Function):
    @staticmethod
    def forward(ctx, x):
        y = np.empty_like(x._data)  # the input's memory layout
        parallel_pass(_relu_into, y, x._data)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return ReluBackward.apply(grad, y)


def relu(x: Tensor) -> Tensor:
    """``max(x, 0)``; the gradient at 0 is 0, as in PyTorch."""
    return Relu.apply(x)


class ReluInplace(Function):
    """``relu_``: the result is written into the input's memory (and that tensor is saved, with
    its version, for backward)."""

    @staticmethod
    def forward(ctx, x):
        parallel_pass(_relu_into, x._data, x._data)
        ctx.save_for_backward(x)
        return x._data

    backward = staticmethod(Relu.backward)


def relu_(x: Tensor) -> Tensor:
    """``relu`` written into ``x``'s memory."""
    return apply_inplace(x, "relu_", ReluInplace.apply, writes_in_place=True)


class ReluBackward(Function):
    """``grad`` where the relu's output ``y`` is positive (or NaN, as in PyTorch), else 0.

    Like PyTorch's threshold_backward it takes ``y`` as an input (with zero derivative), so with
    ``create_graph=True`` the result is part of the graph and differentiates to zeros.
    """

    @staticmethod
    def forward(ctx, grad, y):
        ctx.save_for_backward(y)
        # PyTorch's threshold_backward: zero where y <= 0, so a NaN input passes its gradient
        out = np.empty_like(y._data, dtype=grad.dtype)
        parallel_pass(_threshold_backward, out, grad._data, y._data)
        return out

    @staticmethod
    def backward(ctx, grad_grad):
        (y,) = ctx.saved_tensors
        return ReluBackward.apply(grad_grad, y), grad_grad * 0 if ctx.needs_input_grad[1] else None


# -- clamp, maximum, minimum ----------------------------------------------------------------------
class Clamp(Function):
    @staticmethod
    def forward(ctx, x, min, max):
        ctx.save_for_backward(x)
        return np.clip(x._data, min, max)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        low, high = ctx.min, ctx.max
        inside = np.ones(x.shape, dtype=bool)
        if low is not None:
            inside &= x._data >= low
        if high is not None:
            inside &= x._data <= high
        return where(Tensor._make(inside), grad, 0.0)


def clamp(x: Tensor, min=None, max=None) -> Tensor:
    """Limit values to ``[min, max]``; the gradient passes where ``min <= x <= max``."""
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    check_real(min, "clamp")
    check_real(max, "clamp")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return _clamp_by_tensors(x, min, max)
    if x.dtype.kind != "f" and any(isinstance(b, float) for b in (min, max)):
        x = cast_to(x, _dtype.get_default_dtype())
    return Clamp.apply(x, min=min, max=max)


def _clamp_by_tensors(x: Tensor, low, high) -> Tensor:
    """``clamp`` with tensor bounds, as PyTorch's ``min(max(x, low), high)``: the gradient goes
    to ``x`` inside the bounds and to the bound that was applied outside them."""
    out = x
    if low is not None:
        out = where(out < low, low, out)
    if high is not None:
        out = where(out > high, high, out)
    return out


class Extremum(Function):
    """The elementwise maximum (``largest=True``) or minimum of two tensors; equal inputs share
    the gradient, as in PyTorch."""

    @staticmethod
    def forward(ctx, a, b, largest):
        ctx.save_for_backward(a, b)
        return np.maximum(a._data, b._data) if largest else np.minimum(a._data, b._data)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        a_loses = a._data < b._data if ctx.largest else a._data > b._data
        shared = where(Tensor._make(a._data == b._data), grad / 2, grad)
        grad_a = sum_to(where(Tensor._make(a_loses), 0.0, shared), a.shape) if ctx.needs_input_grad[0] else None
        b_loses = ~a_loses & (a._data != b._data)
        grad_b = sum_to(where(Tensor._make(b_loses), 0.0, shared), b.shape) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


def maximum(a, b) -> Tensor:
    """Elementwise maximum with broadcasting."""
    a, b = binary_operands(a, b, "maximum")
    return Extremum.apply(a, b, largest=True)


def minimum(a, b) -> Tensor:
    """Elementwise minimum with broadcasting."""
    a, b = binary_operands(a, b, "minimum")
    return Extremum.apply(a, b, largest=False)
