"""``softmax`` and ``log_softmax`` along one dimension, stable for inputs of any magnitude (the
maximum is subtracted before ``exp``)."""
from __future__ import annotations

import warnings

import numpy as np

from minigrad.autograd.function import Function
from minigrad.ops._util import normalize_dim
from minigrad.ops.conversion import to_floating
from minigrad.ops.reduction import sum
from minigrad.tensor import Tensor


def _softmax_dim(x: Tensor, dim, op: str) -> int:
    if dim is None:
        dim = 0 if x.ndim in (0, 1, 3) else 1
        warnings.warn(f"{op}: implicit dimension choice is deprecated; pass dim= explicitly", stacklevel=3)
    return normalize_dim(dim, x.ndim, op)


class Softmax(Function):
    @staticmethod
    def forward(ctx, x, dim):
        shifted = x._data - x._data.max(axis=dim, keepdims=True)
        e = np.exp(shifted)
        y = e / e.sum(axis=dim, keepdims=True)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return y * (grad - sum(grad * y, ctx.dim, keepdim=True))


def softmax(x: Tensor, dim: int | None = None) -> Tensor:
    """``exp(x) / exp(x).sum(dim)``, computed stably (the maximum is subtracted first)."""
    x = to_floating(x, "softmax")
    if x.ndim == 0:
        return Softmax.apply(x.reshape(1), dim=0).reshape(())
    return Softmax.apply(x, dim=_softmax_dim(x, dim, "softmax"))


class LogSoftmax(Function):
    @staticmethod
    def forward(ctx, x, dim):
        shifted = x._data - x._data.max(axis=dim, keepdims=True)
        y = shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return LogSoftmaxBackward.apply(grad, y, dim=ctx.dim)


def log_softmax(x: Tensor, dim: int | None = None) -> Tensor:
    """``x - log(exp(x).sum(dim))``, stable for inputs of any magnitude."""
    x = to_floating(x, "log_softmax")
    if x.ndim == 0:
        return LogSoftmax.apply(x.reshape(1), dim=0).reshape(())
    return LogSoftmax.apply(x, dim=_softmax_dim(x, dim, "log_softmax"))


class LogSoftmaxBackward(Function):
    """``grad - exp(y) * grad.sum(dim)`` for the log-softmax output ``y``, as one node; its own
    backward is written with Tensor ops, for gradients of gradients."""

    @staticmethod
    def forward(ctx, grad, y, dim):
        ctx.save_for_backward(grad, y)
        return grad._data - np.exp(y._data) * grad._data.sum(axis=dim, keepdims=True)

    @staticmethod
    def backward(ctx, grad_grad):
        grad, y = ctx.saved_tensors
        dim = ctx.dim
        p = y.exp()
        # the op is linear in grad: its adjoint is gg - sum(gg * p); and d/dy = -gg * p * sum(grad)
        grad_of_grad = grad_grad - sum(grad_grad * p, dim, keepdim=True) if ctx.needs_input_grad[0] else None
        grad_of_y = -(grad_grad * p) * sum(grad, dim, keepdim=True) if ctx.needs_input_grad[1] else None
        return grad_of_grad, grad_of_y
