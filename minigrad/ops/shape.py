"""Shape ops: reshape/view, permute/transpose, squeeze/unsqueeze, flatten, cat, stack.

Each moves values without changing them, so each backward moves the gradient back the same way.
"""
from __future__ import annotations

import numpy as np

from minigrad import _dtype
from minigrad.autograd.function import Function
from minigrad.ops._util import normalize_dim, shape_arg
from minigrad.ops.conversion import cast_to
from minigrad.ops.versions import mark_view
from minigrad.tensor import Tensor


def _resolve_shape(shape: tuple, size: int, op: str) -> tuple:
    known = 1
    unknown = [i for i, s in enumerate(shape) if s == -1]
    for s in shape:
        if s != -1:
            if not isinstance(s, (int, np.integer)) or s < 0:
                raise RuntimeError(f"{op}: invalid shape dimension {s!r} in {list(shape)}")
            known *= s
    if len(unknown) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred (-1), got shape {list(shape)}")
    if unknown:
        if known == 0 or size % known:
            raise RuntimeError(f"{op}: shape {list(shape)} is invalid for input of size {size}")
        shape = tuple(size // known if s == -1 else s for s in shape)
    elif known != size:
        raise RuntimeError(f"{op}: shape {list(shape)} is invalid for input of size {size}")
    return tuple(int(s) for s in shape)


class Reshape(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.input_shape = x.shape
        return x._data.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return reshape(grad, ctx.input_shape)


def reshape(x: Tensor, *shape) -> Tensor:
    """``x`` with a new shape of the same size; one dimension may be -1."""
    shape = _resolve_shape(shape_arg(shape), x._data.size, "reshape")
    if shape == x.shape:
        return x
    return mark_view(x, Reshape.apply(x, shape=shape), ("reshape", shape))


class Permute(Function):
    @staticmethod
    def forward(ctx, x, dims):
        return x._data.transpose(dims)

    @staticmethod
    def backward(ctx, grad):
        return permute(grad, *np.argsort(ctx.dims).tolist())


def permute(x: Tensor, *dims) -> Tensor:
    """Reorder the dimensions: ``out.shape[i] == x.shape[dims[i]]``."""
    dims = shape_arg(dims)
    if len(dims) != x.ndim:
        raise RuntimeError(f"permute: got {len(dims)} dims for a tensor of {x.ndim} dimensions (shape {x.shape})")
    dims = tuple(normalize_dim(d, x.ndim, "permute") for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"permute: repeated dim in {dims}")
    if dims == tuple(range(x.ndim)):
        return x
    return mark_view(x, Permute.apply(x, dims=dims), ("permute", dims))


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dimensions."""
    if x.ndim < 2 and dim0 in (0, -1) and dim1 in (0, -1):
        return x
    dims = list(range(x.ndim))
    d0, d1 = normalize_dim(dim0, x.ndim, "transpose"), normalize_dim(dim1, x.ndim, "transpose")
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return permute(x, *dims)


def squeeze(x: Tensor, dim=None) -> Tensor:
    """Remove dimensions of size 1 (all of them, or those in ``dim`` that have size 1)."""
    if dim is None:
        axes = [i for i, s in enumerate(x.shape) if s == 1]
    else:
        dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
        axes = [normalize_dim(d, x.ndim, "squeeze") for d in dims]
        axes = [a for a in axes if x.ndim and x.shape[a] == 1]
    return reshape(x, tuple(s for i, s in enumerate(x.shape) if i not in axes))


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """Insert a dimension of size 1 at ``dim`` (``-1`` appends)."""
    axis = normalize_dim(dim, x.ndim + 1, "unsqueeze")
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions ``start_dim..end_dim`` into one."""
    if x.ndim == 0:
        return reshape(x, (1,))
    start = normalize_dim(start_dim, x.ndim, "flatten")
    end = normalize_dim(end_dim, x.ndim, "flatten")
    if start > end:
        raise RuntimeError(f"flatten: start_dim ({start_dim}) cannot come after end_dim ({end_dim})")
    merged = int(np.prod(x.shape[start:end + 1]))
    return reshape(x, x.shape[:start] + (merged,) + x.shape[end + 1:])


class Cat(Function):
    @staticmethod
    def forward(ctx, *tensors, dim):
        ctx.sizes = [t.shape[dim] for t in tensors]
        return np.concatenate([t._data for t in tensors], axis=dim)

    @staticmethod
    def backward(ctx, grad):
        dim = ctx.dim
        grads, start = [], 0
        for size, needed in zip(ctx.sizes, ctx.needs_input_grad):
            index = (slice(None),) * dim + (slice(start, start + size),)
            grads.append(grad[index] if needed else None)
            start += size
        return tuple(grads)


def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension."""
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise RuntimeError("cat: expected a non-empty list of tensors")
    ndim = tensors[0].ndim
    if ndim == 0:
        raise RuntimeError("cat: zero-dimensional tensors cannot be concatenated; use mg.stack")
    axis = normalize_dim(dim, ndim, "cat")
    for i, t in enumerate(tensors):
        if t.ndim != ndim or t.shape[:axis] + t.shape[axis + 1:] != tensors[0].shape[:axis] + tensors[0].shape[axis + 1:]:
            raise RuntimeError(
                f"cat: sizes of tensors must match except in dimension {axis}; tensor 0 has shape "
                f"{tensors[0].shape} but tensor {i} has shape {t.shape}"
            )
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        dtype = _dtype.result_type(dtype, 1, t.dtype, 1)
    return Cat.apply(*[cast_to(t, dtype) for t in tensors], dim=axis)


def stack(tensors, dim: int = 0) -> Tensor:
    """Join tensors of equal shape along a new dimension."""
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise RuntimeError("stack: expected a non-empty list of tensors")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(
                f"stack: expects each tensor to be equal size, but got {tensors[0].shape} at entry 0 "
                f"and {t.shape} at entry {i}"
            )
    axis = normalize_dim(dim, tensors[0].ndim + 1, "stack")
    return cat([unsqueeze(t, axis) for t in tensors], dim=axis)
