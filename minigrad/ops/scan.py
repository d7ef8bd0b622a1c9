"""Running sums and products (cumsum, cumprod) and the product reduction (prod).

Their backwards are PyTorch's formulas written with Tensor ops, so they differentiate again:

* ``cumsum``: ``out[j]`` sums ``x[i]`` for ``i <= j``, so ``grad_x[i]`` sums ``grad[j]`` for
  ``j >= i``: a cumsum from the other end.
* ``prod``: ``grad_x[i] = grad * prod of x[m] for m != i``, the product of everything before
  ``i`` times everything after it (two exclusive running products), which stays exact when ``x``
  holds zeros, where ``grad * out / x`` would give ``0 / 0``.
* ``cumprod``: ``grad_x[i] = sum over j >= i of grad[j] * out[j] / x[i]`` when ``x`` has no
  zeros; with zeros, the products that leave ``x[i]`` out are formed directly (an ``n x n``
  table per slice, as PyTorch also switches to a slower formula there).
"""
from __future__ import annotations

import numpy as np

from minigrad import _dtype
from minigrad.autograd.function import Function
from minigrad.ops._util import normalize_dim
from minigrad.ops.broadcast import broadcast_to
from minigrad.ops.conversion import cast_to
from minigrad.ops.indexing import where
from minigrad.ops.shape import cat, reshape
from minigrad.tensor import Tensor

def _scan_dtype(x: Tensor, dtype, op: str) -> Tensor:
    """PyTorch's rule for sums and products: integers and bools accumulate in int64."""
    if dtype is not None:
        return cast_to(x, _dtype.as_dtype(dtype))
    return cast_to(x, _dtype.int64) if x.dtype.kind in "biu" else x

def _reverse_cumsum(grad: Tensor, dim: int) -> Tensor:
    return grad.flip(dim).cumsum(dim).flip(dim)

class Cumsum(Function):
    @staticmethod
    def forward(ctx, x, dim):
        return np.cumsum(x._data, axis=dim, dtype=x.dtype)

    @staticmethod
    def backward(ctx, grad):
        return _reverse_cumsum(grad, ctx.dim)

def cumsum(x: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running sums along ``dim``: ``out[j] = x[0] + ... + x[j]``.

    >>> import minigrad as mg
    >>> mg.tensor([1, 2, 3]).cumsum(0).tolist()
    [1, 3, 6]
    """
    axis = normalize_dim(dim, x.ndim, "cumsum")
    x = _scan_dtype(x, dtype, "cumsum")
    return Cumsum.apply(reshape(x, (1,)), dim=0).reshape(()) if x.ndim == 0 else Cumsum.apply(x, dim=axis)

class Cumprod(Function):
    @staticmethod
    def forward(ctx, x, dim):
        out = np.cumprod(x._data, axis=dim, dtype=x.dtype)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        dim = ctx.dim
        if not (x._data == 0).any():
            return _reverse_cumsum(grad * out, dim) / x
        return _cumprod_backward_with_zeros(x, grad, dim)

def _cumprod_backward_with_zeros(x: Tensor, grad: Tensor, dim: int) -> Tensor:
    """``grad_x[i] = sum over j >= i of grad[j] * prod(x[m] for m <= j, m != i)``, formed as
    ``left_out[i, j]``: the running product along j of x with ``x[i]`` replaced by 1."""
    n = x.shape[dim]
    last = x.movedim(dim, -1)                                       # (..., n)
    table = broadcast_to(last.unsqueeze(-2), last.shape[:-1] + (n, n))  # (..., i, m)
    diagonal = Tensor._make(np.eye(n, dtype=bool))
    left_out = where(diagonal, 1.0, table).cumprod(-1)              # (..., i, j)
    upper = Tensor._make(np.triu(np.ones((n, n), dtype=bool)))      # j >= i
    weighted = where(upper, left_out * grad.movedim(dim, -1).unsqueeze(-2), 0.0)
    return weighted.sum(-1).movedim(-1, dim)

def cumprod(x: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running products along ``dim``: ``out[j] = x[0] * ... * x[j]``; the gradient is exact
    with zeros in ``x`` too.

    >>> import minigrad as mg
    >>> mg.tensor([1, 2, 3]).cumprod(0).tolist()
    [1, 2, 6]
    """
    axis = normalize_dim(dim, x.ndim, "cumprod")
    x = _scan_dtype(x, dtype, "cumprod")
    return Cumprod.apply(reshape(x, (1,)), dim=0).reshape(()) if x.ndim == 0 else Cumprod.apply(x, dim=axis)

class Prod(Function):
    @staticmethod
    def forward(ctx, x, dim, keepdim):
        ctx.save_for_backward(x)
        return np.asarray(np.prod(x._data, axis=dim, keepdims=keepdim))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        dim, keepdim = ctx.dim, ctx.keepdim
        kept = grad if keepdim else grad.unsqueeze(dim)
        return broadcast_to(kept, x.shape) * _product_of_others(x, dim)

def _product_of_others(x: Tensor, dim: int) -> Tensor:
    """``prod(x[m] for m != i)`` along ``dim`` for every ``i``: the running product before ``i``
    times the running product after it (exact with zeros, no division)."""
    n = x.shape[dim]
    if n == 0:
        return x
    ones = Tensor._make(np.ones(x.shape[:dim] + (1,) + x.shape[dim + 1:], dtype=x.dtype))
    before = cat([ones, x.narrow(dim, 0, n - 1)], dim).cumprod(dim)
    after = cat([x.narrow(dim, 1, n - 1), ones], dim).flip(dim).cumprod(dim).flip(dim)
    return before * after

def prod(x: Tensor, dim: int | None = None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The product of the elements (over ``dim``, or of all of them); integers and bools give
    int64, as in PyTorch. The gradient is exact when ``x`` holds zeros.

    >>> import minigrad as mg
    >>> mg.tensor([[1.0, 2.0], [3.0, 4.0]]).prod(1).tolist()
    [2.0, 12.0]
    """
    x = _scan_dtype(x, dtype, "prod")
    if dim is None:
        return Prod.apply(reshape(x, (-1,)), dim=0, keepdim=False)
    if isinstance(dim, (tuple, list)):
        raise TypeError("prod: dim must be a single int (PyTorch's prod takes one dimension)")
    axis = normalize_dim(dim, x.ndim, "prod")
    if x.ndim == 0:
        return Prod.apply(reshape(x, (1,)), dim=0, keepdim=False)
    return Prod.apply(x, dim=axis, keepdim=keepdim)
