"""Indexing: ``x[index]``, ``gather`` and ``where``.

Reading with an index sends the gradient back to the positions read. With integer-array
indices a position can be read several times, so the backward accumulates (``np.add.at``);
slices, integers and boolean masks never repeat a position and use plain assignment.
"""
from __future__ import annotations

import builtins

import numpy as np

from minigrad.autograd.function import Function
from minigrad.ops._util import check_real, normalize_dim
from minigrad.ops.broadcast import sum_to
from minigrad.ops.conversion import binary_operands, cast
from minigrad.ops.versions import mark_view, zero_dim_index
from minigrad.tensor import Tensor, _plain_index


def _repeats_possible(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(
        isinstance(p, list) or (isinstance(p, np.ndarray) and p.dtype.kind != "b") for p in parts
    )


def _is_int(part) -> bool:
    return isinstance(part, (int, np.integer)) and not isinstance(part, (bool, np.bool_)) or (
        isinstance(part, np.ndarray) and part.ndim == 0 and part.dtype.kind in "iu")


def _is_advanced(part) -> bool:
    """Index arrays, lists and masks; a bool scalar too (numpy and PyTorch both treat it as a
    0-d mask that joins the other index arrays)."""
    return isinstance(part, (list, bool, np.bool_)) or (isinstance(part, np.ndarray) and not _is_int(part))


def _width(part) -> int:
    """How many dimensions of the tensor an index part consumes."""
    if isinstance(part, (bool, np.bool_)):
        return 0
    if isinstance(part, np.ndarray) and part.dtype.kind == "b":
        return part.ndim
    return 1


def index_steps(index, ndim: int) -> tuple:
    """``index`` as one or two numpy indexing steps that give PyTorch's result.

    numpy and PyTorch differ in one case: integers next to index arrays. PyTorch treats an
    integer as basic indexing (it removes its dimension first), numpy as one more index array, so
    ``x[1, :, idx]`` on a (2, 5, 6) tensor is (5, len(idx)) in PyTorch but (len(idx), 5) in
    numpy. Such an index is split into its basic part, then its index arrays."""
    index = _plain_index(index)
    parts = index if isinstance(index, tuple) else (index,)
    if not (any(_is_int(p) for p in parts) and any(_is_advanced(p) for p in parts)):
        return (("index", index),)
    consumed = builtins.sum(_width(p) for p in parts if p is not None and p is not Ellipsis)
    expanded = []
    for p in parts:
        if p is Ellipsis:
            expanded += [slice(None)] * (ndim - consumed)
        else:
            expanded.append(p)
    basic, advanced = [], []
    for p in expanded:
        if _is_advanced(p):
            basic += [slice(None)] * _width(p)
            advanced.append(p)
        elif _is_int(p):
            basic.append(p)
        else:
            basic.append(p)
            advanced.append(slice(None))
    return (("index", tuple(basic)), ("index", tuple(advanced)))


class GetItem(Function):
    @staticmethod
    def forward(ctx, x, index):
        ctx.input_shape = x.shape
        try:
            out = x._data[index]
            if not isinstance(out, np.ndarray):  # integers only: a 0-d view, as PyTorch's x[0]
                out = x._data[zero_dim_index(index)]
            return out
        except IndexError as error:
            raise IndexError(f"index {index!r} is invalid for a tensor of shape {x.shape}: {error}") from None

    @staticmethod
    def backward(ctx, grad):
        return IndexAdd.apply(grad, shape=ctx.input_shape, index=ctx.index)


def getitem(x: Tensor, index) -> Tensor:
    """``x[index]``: basic indexing (a view) and integer-array or mask indexing (a copy), with
    PyTorch's rule for integers next to index arrays (see ``index_steps``)."""
    out = x
    for step in index_steps(index, x.ndim):
        out = GetItem.apply(out, index=step[1])
    if out is not x and out._data.base is not None:
        mark_view(x, out, step)
    return out


class IndexAdd(Function):
    """Zeros of ``shape`` with ``values`` added at ``index`` (the backward of ``x[index]``)."""

    @staticmethod
    def forward(ctx, values, shape, index):
        out = np.zeros(shape, dtype=values.dtype)
        if _repeats_possible(index):
            np.add.at(out, index, values._data)
        else:
            out[index] = values._data
        return out

    @staticmethod
    def backward(ctx, grad):
        return getitem(grad, ctx.index)


# -- gather along a dimension -----------------------------------------------------------------------
def _along(index: np.ndarray, dim: int) -> tuple:
    """A full index tuple that picks ``index`` along ``dim`` and every position elsewhere."""
    grids = list(np.ogrid[tuple(slice(0, s) for s in index.shape)])
    grids[dim] = index
    return tuple(grids)


class Gather(Function):
    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.input_shape = x.shape
        return x._data[_along(index, dim)]

    @staticmethod
    def backward(ctx, grad):
        return ScatterAdd.apply(grad, dim=ctx.dim, index=ctx.index, shape=ctx.input_shape)


def gather(x: Tensor, dim: int, index) -> Tensor:
    """``out[i][j] = x[index[i][j]][j]`` for ``dim=0`` (PyTorch's ``gather``)."""
    index_data = index._data if isinstance(index, Tensor) else np.asarray(index)
    dim = normalize_dim(dim, x.ndim, "gather")
    if index_data.dtype.kind not in "iu":
        raise RuntimeError(f"gather: index must be an integer tensor, got {index_data.dtype}")
    if index_data.ndim != x.ndim:
        raise RuntimeError(
            f"gather: index has {index_data.ndim} dimensions but input has {x.ndim} "
            f"(input shape {x.shape}, index shape {index_data.shape})"
        )
    for d, (size, limit) in enumerate(zip(index_data.shape, x.shape)):
        if d != dim and size > limit:
            raise RuntimeError(
                f"gather: index shape {index_data.shape} is larger than input shape {x.shape} in dimension {d}"
            )
    if index_data.size and (index_data.min() < -x.shape[dim] or index_data.max() >= x.shape[dim]):
        raise IndexError(
            f"gather: index out of range for dimension {dim} of size {x.shape[dim]} "
            f"(index values from {index_data.min()} to {index_data.max()})"
        )
    return Gather.apply(x, dim=dim, index=index_data)


class ScatterAdd(Function):
    """Zeros of ``shape`` with ``values`` added at ``index`` along ``dim`` (gather's backward)."""

    @staticmethod
    def forward(ctx, values, dim, index, shape):
        out = np.zeros(shape, dtype=values.dtype)
        if index.shape[dim] == 1:  # one position per slice: no repeats
            out[_along(index, dim)] = values._data
        else:
            np.add.at(out, _along(index, dim), values._data)
        return out

    @staticmethod
    def backward(ctx, grad):
        return gather(grad, ctx.dim, Tensor._make(ctx.index))


# -- where ---------------------------------------------------------------------------------------
class Where(Function):
    @staticmethod
    def forward(ctx, condition, a, b):
        ctx.shapes = a.shape, b.shape
        ctx.save_for_backward(condition)
        return np.where(condition._data, a._data, b._data)

    @staticmethod
    def backward(ctx, grad):
        (condition,) = ctx.saved_tensors
        a_shape, b_shape = ctx.shapes
        grad_a = sum_to(where(condition, grad, 0.0), a_shape) if ctx.needs_input_grad[1] else None
        grad_b = sum_to(where(condition, 0.0, grad), b_shape) if ctx.needs_input_grad[2] else None
        return None, grad_a, grad_b


def where(condition, a=None, b=None) -> Tensor:
    """Elementwise ``a if condition else b``, with broadcasting; numbers are allowed for a or b.
    ``where(condition)`` alone is ``condition.nonzero(as_tuple=True)``, as in PyTorch."""
    if a is None and b is None:
        condition = condition if isinstance(condition, Tensor) else Tensor(np.asarray(condition))
        return condition.nonzero(as_tuple=True)
    condition = condition if isinstance(condition, Tensor) else Tensor(np.asarray(condition))
    if condition.dtype.kind != "b":
        condition = Tensor._make(condition._data.astype(bool))
    a, b = binary_operands(a, b, "where")
    try:
        np.broadcast_shapes(condition.shape, a.shape, b.shape)
    except ValueError:
        raise RuntimeError(
            f"where: condition {condition.shape}, input {a.shape} and other {b.shape} cannot be broadcast together"
        ) from None
    return Where.apply(condition, a, b)


def masked_fill(x: Tensor, mask, value) -> Tensor:
    """``x`` with ``value`` where ``mask`` is True (broadcast); the dtype stays ``x``'s.

    >>> import minigrad as mg
    >>> mg.tensor([1.0, 2.0, 3.0]).masked_fill(mg.tensor([True, False, True]), 0.0).tolist()
    [0.0, 2.0, 0.0]
    """
    mask = mask if isinstance(mask, Tensor) else Tensor(np.asarray(mask))
    if mask.dtype.kind != "b":
        raise RuntimeError(f"masked_fill: expected a bool mask, got {mask.dtype}")
    check_real(value._data if isinstance(value, Tensor) else value, "masked_fill")
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"masked_fill only supports a 0-dimensional value tensor, got {value.ndim} dimensions")
        value = cast(value, x.dtype)
    else:
        value = Tensor._make(np.asarray(value).astype(x.dtype))
    try:
        np.broadcast_shapes(mask.shape, x.shape)
    except ValueError:
        raise RuntimeError(f"masked_fill: mask of shape {mask.shape} can't be broadcast to input of shape {x.shape}") from None
    out = where(mask, value, x)
    if out.shape != x.shape:
        raise RuntimeError(f"masked_fill: mask of shape {mask.shape} would enlarge the input of shape {x.shape}")
    return out


# -- scatter: gather's write-side twin ---------------------------------------------------------------
class Scatter(Function):
    """``x`` with ``src`` written at ``index`` along ``dim`` (PyTorch's ``scatter``)."""

    @staticmethod
    def forward(ctx, x, src, dim, index):
        ctx.src_shape = src.shape
        out = x._data.copy()
        out[_along(index, dim)] = np.broadcast_to(src._data, index.shape) if src.ndim == 0 else src._data[
            tuple(slice(0, s) for s in index.shape)]
        return out

    @staticmethod
    def backward(ctx, grad):
        grad_x = grad_src = None
        if ctx.needs_input_grad[0]:
            ones = Tensor._make(np.ones((), dtype=grad.dtype))
            grad_x = Scatter.apply(grad, ones * 0, dim=ctx.dim, index=ctx.index)
        if ctx.needs_input_grad[1]:
            grad_src = gather(grad, ctx.dim, Tensor._make(ctx.index))
            src_shape = ctx.src_shape
            if grad_src.shape != src_shape:
                if len(src_shape) == 0:
                    grad_src = sum_to(grad_src, ())
                else:  # src larger than index: the part of src that was not used gets zero
                    region = tuple(slice(0, s) for s in grad_src.shape)
                    grad_src = IndexAdd.apply(grad_src, shape=src_shape, index=region)
        return grad_x, grad_src


def scatter(x: Tensor, dim: int, index, src=None, *, value=None) -> Tensor:
    """``out[index[i][j]][j] = src[i][j]`` for ``dim=0`` (PyTorch's ``scatter``); ``value``
    (or a number as ``src``) writes the same number everywhere ``index`` points.

    >>> import minigrad as mg
    >>> mg.zeros(5).scatter(0, mg.tensor([1, 3]), 1.0).tolist()
    [0.0, 1.0, 0.0, 1.0, 0.0]
    """
    if value is not None:
        src = value
    if src is None:
        raise TypeError("scatter: pass src (a tensor or a number) or value=")
    index_data = index._data if isinstance(index, Tensor) else np.asarray(index)
    if index_data.dtype.kind not in "iu":
        raise RuntimeError(f"scatter: index must be an integer tensor, got {index_data.dtype}")
    if index_data.ndim == 0 and x.ndim <= 1:
        index_data = index_data.reshape(1)
    dim = normalize_dim(dim, x.ndim, "scatter")
    if index_data.ndim != x.ndim:
        raise RuntimeError(f"scatter: index has {index_data.ndim} dimensions but the tensor has {x.ndim} "
                           f"(shapes {index_data.shape} and {x.shape})")
    if index_data.size and (index_data.min() < -x.shape[dim] or index_data.max() >= x.shape[dim]):
        raise IndexError(f"scatter: index out of range for dimension {dim} of size {x.shape[dim]}")
    if isinstance(src, Tensor):
        src = cast(src, x.dtype)
        if src.ndim and any(i > s for i, s in zip(index_data.shape, src.shape)):
            raise RuntimeError(f"scatter: index shape {index_data.shape} is larger than src shape {src.shape}")
    else:
        src = Tensor._make(np.asarray(src).astype(x.dtype))
    return Scatter.apply(x, src, dim=dim, index=index_data)
