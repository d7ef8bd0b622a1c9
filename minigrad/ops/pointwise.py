"""Rounding (floor, ceil, round, trunc) and the tests for special values (isnan, isinf,
isfinite).

Rounding is piecewise constant, so its gradient is zero everywhere (PyTorch's convention at the
jumps too). The tests give bool tensors and carry no gradient.
"""
from __future__ import annotations

import numpy as np

from minigrad.autograd.function import Function
from minigrad.ops.arithmetic import clone
from minigrad.tensor import Tensor


class Rounding(Function):
    """``rounding(x)`` for one of numpy's rounding functions; the gradient is zero."""

    @staticmethod
    def forward(ctx, x, rounding, decimals):
        if decimals:  # PyTorch's round(decimals=d): nearbyint(x * 10**d) / 10**d
            scale = np.asarray(10.0 ** abs(decimals), dtype=x.dtype)
            if decimals > 0:
                return np.rint(x._data * scale) / scale
            return np.rint(x._data / scale) * scale
        return rounding(x._data)

    @staticmethod
    def backward(ctx, grad):
        return grad * 0


def _round_with(x: Tensor, rounding, op: str, decimals: int = 0) -> Tensor:
    if x.dtype.kind == "b":
        raise RuntimeError(f"{op}: not implemented for bool tensors")
    if x.dtype.kind in "iu":  # integers are already whole: a copy, in the same dtype
        if decimals:
            raise RuntimeError(f"{op}: decimals is not supported for integer tensors ({x.dtype})")
        return clone(x)
    return Rounding.apply(x, rounding=rounding, decimals=decimals)


def floor(x: Tensor) -> Tensor:
    """The largest whole number ``<= x``, elementwise (gradient zero).

    >>> import minigrad as mg
    >>> mg.floor(mg.tensor([-1.5, 0.5, 2.0])).tolist()
    [-2.0, 0.0, 2.0]
    """
    return _round_with(x, np.floor, "floor")


def ceil(x: Tensor) -> Tensor:
    """The smallest whole number ``>= x``, elementwise (gradient zero)."""
    return _round_with(x, np.ceil, "ceil")


def trunc(x: Tensor) -> Tensor:
    """``x`` with its fractional part dropped (rounded towards zero; gradient zero)."""
    return _round_with(x, np.trunc, "trunc")


def round(x: Tensor, *, decimals: int = 0) -> Tensor:
    """Round to the nearest whole number, halves to even (``round(2.5) == 2``), as PyTorch;
    with ``decimals=d``, to ``d`` decimal places (``nearbyint(x * 10**d) / 10**d``).

    >>> import minigrad as mg
    >>> mg.round(mg.tensor([0.5, 1.5, 2.5, -0.5])).tolist()
    [0.0, 2.0, 2.0, -0.0]
    """
    return _round_with(x, np.rint, "round", int(decimals))


def _as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x))


def isnan(x: Tensor) -> Tensor:
    """A bool tensor: True where ``x`` is NaN."""
    return Tensor._make(np.isnan(_as_tensor(x)._data))


def isinf(x: Tensor) -> Tensor:
    """A bool tensor: True where ``x`` is +inf or -inf."""
    return Tensor._make(np.isinf(_as_tensor(x)._data))


def isfinite(x: Tensor) -> Tensor:
    """A bool tensor: True where ``x`` is neither NaN nor infinite."""
    return Tensor._make(np.isfinite(_as_tensor(x)._data))
