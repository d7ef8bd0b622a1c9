"""Broadcasting: ``broadcast_to``, ``expand`` and ``sum_to``, each other's backward.

An operand that was broadcast in the forward pass receives the gradient summed over the
dimensions it was broadcast along; every binary op sends its gradients back through ``sum_to``.
"""
from __future__ import annotations

import numpy as np

from minigrad.autograd.function import Function
from minigrad.ops._util import shape_arg
from minigrad.tensor import Tensor


def _sum_to_shape(x: np.ndarray, shape: tuple) -> np.ndarray:
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, size in enumerate(shape) if size == 1 and x.shape[lead + i] != 1
    )
    return x.sum(axis=axes, keepdims=True).reshape(shape) if axes else x.reshape(shape)


class SumTo(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.input_shape = x.shape
        return _sum_to_shape(x._data, shape)

    @staticmethod
    def backward(ctx, grad):
        return broadcast_to(grad, ctx.input_shape)


def sum_to(x: Tensor, shape: tuple) -> Tensor:
    """Sum ``x`` down to ``shape`` (the gradient of broadcasting ``shape`` up to ``x.shape``)."""
    shape = tuple(shape)
    if x.shape == shape:
        return x
    return SumTo.apply(x, shape=shape)


class BroadcastTo(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.input_shape = x.shape
        return np.broadcast_to(x._data, shape)

    @staticmethod
    def backward(ctx, grad):
        return sum_to(grad, ctx.input_shape)


def broadcast_to(x: Tensor, shape) -> Tensor:
    """``x`` broadcast to ``shape`` by numpy's rules (a read-only view)."""
    shape = tuple(shape)
    if x.shape == shape:
        return x
    try:
        np.broadcast_shapes(x.shape, shape)
    except ValueError:
        raise RuntimeError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}") from None
    return BroadcastTo.apply(x, shape=shape)


def expand(x: Tensor, *sizes) -> Tensor:
    """PyTorch's ``expand``: broadcast to ``sizes``, where -1 keeps a dimension."""
    sizes = shape_arg(sizes)
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise RuntimeError(f"expand: the number of sizes ({len(sizes)}) must be at least x.ndim ({x.ndim})")
    shape = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    return broadcast_to(x, shape)
