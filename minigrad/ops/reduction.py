"""Reductions: sum, mean, var, std, max/min (with indices), amax/amin, argmax/argmin.

``dim`` is an int or a tuple of ints (negative allowed) and ``keepdim`` keeps the reduced
dimensions with size 1, as in PyTorch. The backward of a reduction spreads the gradient back
over the reduced dimensions: evenly for sum and mean, to the chosen element for ``max(dim)``,
and shared equally between tied maxima for ``max()`` and ``amax``.
"""
from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from minigrad.autograd.function import Function
from minigrad.ops._util import normalize_dim, normalize_dims
from minigrad.ops.broadcast import broadcast_to
from minigrad.ops.elementwise import maximum, minimum
from minigrad.ops.indexing import ScatterAdd
from minigrad.ops.shape import reshape
from minigrad.tensor import Tensor

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def _kept_shape(shape: tuple, axes: tuple) -> tuple:
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


class Sum(Function):
    @staticmethod
    def forward(ctx, x, dim, keepdim):
        ctx.input_shape = x.shape
        return np.asarray(x._data.sum(axis=dim, keepdims=keepdim))

    @staticmethod
    def backward(ctx, grad):
        shape = ctx.input_shape
        kept = reshape(grad, _kept_shape(shape, ctx.dim))
        return broadcast_to(kept, shape)


def sum(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Sum over ``dim`` (all dimensions by default)."""
    axes = normalize_dims(dim, x.ndim, "sum")
    return Sum.apply(x, dim=axes, keepdim=keepdim)


def _count(x: Tensor, axes: tuple) -> int:
    return int(np.prod([x.shape[a] for a in axes])) if axes else 1


def mean(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Arithmetic mean over ``dim``."""
    if x.dtype.kind != "f":
        raise RuntimeError(f"mean: input dtype must be floating point, got {x.dtype}; use x.float().mean()")
    axes = normalize_dims(dim, x.ndim, "mean")
    return sum(x, axes, keepdim) / _count(x, axes)


def _correction(unbiased: bool | None, correction: int | None) -> int:
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def var(x: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *, correction: int | None = None) -> Tensor:
    """Variance, ``sum((x - mean)**2) / (n - correction)``; ``correction=1`` (Bessel) by default."""
    if x.dtype.kind != "f":
        raise RuntimeError(f"var: input dtype must be floating point, got {x.dtype}")
    axes = normalize_dims(dim, x.ndim, "var")
    deviation = x - mean(x, axes, keepdim=True)
    divisor = builtins.max(_count(x, axes) - _correction(unbiased, correction), 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return sum(deviation * deviation, axes, keepdim) / divisor


def std(x: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *, correction: int | None = None) -> Tensor:
    """Standard deviation, the square root of :func:`var`."""
    return var(x, dim, unbiased, keepdim, correction=correction).sqrt()


# -- extreme values ---------------------------------------------------------------------------------
class AmaxAmin(Function):
    """Largest (or smallest) values over ``dim``; tied extremes share the gradient equally."""

    @staticmethod
    def forward(ctx, x, dim, keepdim, largest):
        reduce = np.max if largest else np.min
        kept = np.asarray(reduce(x._data, axis=dim, keepdims=True))
        ctx.save_for_backward(x)
        ctx.kept = kept
        return kept if keepdim else kept.reshape([s for i, s in enumerate(kept.shape) if i not in dim])

    @staticmethod
    def backward(ctx, grad):
        x, kept = ctx.saved_tensors[0]._data, ctx.kept
        mask = (x == kept) | (np.isnan(x) & np.isnan(kept))
        count = mask.sum(axis=ctx.dim, keepdims=True).astype(grad.dtype)
        spread = reshape(grad, kept.shape) / Tensor._make(count)
        return broadcast_to(spread, x.shape) * Tensor._make(mask)


def _extreme(x: Tensor, dim, keepdim: bool, largest: bool, op: str) -> Tensor:
    axes = normalize_dims(dim, x.ndim, op)
    if x._data.size == 0:
        raise RuntimeError(f"{op}: cannot reduce an empty tensor of shape {x.shape}")
    return AmaxAmin.apply(x, dim=axes, keepdim=keepdim, largest=largest)


def amax(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """The maximum over ``dim`` (an int or tuple); tied maxima share the gradient."""
    return _extreme(x, dim, keepdim, largest=True, op="amax")


def amin(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """The minimum over ``dim`` (an int or tuple); tied minima share the gradient."""
    return _extreme(x, dim, keepdim, largest=False, op="amin")


class MaxMinAlongDim(Function):
    """Values and indices of the maximum (or minimum) along one dimension."""

    @staticmethod
    def forward(ctx, x, dim, keepdim, largest):
        pick = np.argmax if largest else np.argmin
        indices = np.expand_dims(pick(x._data, axis=dim), dim)
        values = np.take_along_axis(x._data, indices, axis=dim)
        ctx.input_shape = x.shape
        ctx.indices = indices
        if not keepdim:
            values, indices = values.squeeze(dim), indices.squeeze(dim)
        return values, indices.astype(np.int64)

    @staticmethod
    def backward(ctx, grad_values, grad_indices):
        dim = ctx.dim
        kept = reshape(grad_values, ctx.indices.shape)
        return ScatterAdd.apply(kept, dim=dim, index=ctx.indices, shape=ctx.input_shape)


def _max_or_min(x: Tensor, dim, keepdim: bool, largest: bool, op: str):
    if dim is None:
        return _extreme(x, None, False, largest, op)
    if isinstance(dim, Tensor):
        return maximum(x, dim) if largest else minimum(x, dim)
    if isinstance(dim, (tuple, list)):
        return _over_several_dims(x, dim, keepdim, op, lambda flat: _max_or_min(flat, -1, False, largest, op))
    axis = normalize_dim(dim, x.ndim, op)
    if x.ndim == 0:
        return ValuesIndices(x, Tensor._make(np.zeros((), dtype=np.int64)))
    if x.shape[axis] == 0:
        raise IndexError(f"{op}: cannot reduce over an empty dimension {axis} of shape {x.shape}")
    values, indices = MaxMinAlongDim.apply(x, dim=axis, keepdim=keepdim, largest=largest)
    return ValuesIndices(values, indices)


def max(x: Tensor, dim=None, keepdim: bool = False):
    """``max()``: the largest value; ``max(dim)``: ``(values, indices)``; ``max(other)``: elementwise.

    With a tuple of dims the indices are flat positions within those dims (row-major), which
    ``np.unravel_index`` turns back into coordinates."""
    return _max_or_min(x, dim, keepdim, True, "max")


def min(x: Tensor, dim=None, keepdim: bool = False):
    """``min()``: the smallest value; ``min(dim)``: ``(values, indices)``; ``min(other)``: elementwise."""
    return _max_or_min(x, dim, keepdim, False, "min")


def _over_several_dims(x: Tensor, dims, keepdim: bool, op: str, reduce_last):
    """Reduce over several dims at once by moving them to the end and merging them into one;
    indices then count positions in that merged, row-major block (a flat index)."""
    axes = normalize_dims(dims, x.ndim, op)
    kept = [a for a in range(x.ndim) if a not in axes]
    merged = x.permute(*kept, *axes).reshape(*[x.shape[a] for a in kept], -1)
    result = reduce_last(merged)
    if not keepdim:
        return result
    shape = _kept_shape(x.shape, axes)
    if isinstance(result, ValuesIndices):
        return ValuesIndices(reshape(result.values, shape), Tensor._make(result.indices._data.reshape(shape)))
    return Tensor._make(result._data.reshape(shape))


def _arg_extreme(x: Tensor, dim, keepdim: bool, pick, op: str) -> Tensor:
    if dim is None:
        return Tensor._make(np.asarray(pick(x._data), dtype=np.int64))
    if isinstance(dim, (tuple, list)):
        return _over_several_dims(x, dim, keepdim, op, lambda flat: _arg_extreme(flat, -1, False, pick, op))
    axis = normalize_dim(dim, x.ndim, op)
    if x.ndim == 0:
        return Tensor._make(np.zeros((), dtype=np.int64))
    out = pick(x._data, axis=axis)
    if keepdim:
        out = np.expand_dims(out, axis)
    return Tensor._make(np.asarray(out, dtype=np.int64))


def argmax(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the (first) maximum; over the flattened tensor when ``dim`` is None."""
    return _arg_extreme(x, dim, keepdim, np.argmax, "argmax")


def argmin(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the (first) minimum; over the flattened tensor when ``dim`` is None."""
    return _arg_extreme(x, dim, keepdim, np.argmin, "argmin")
