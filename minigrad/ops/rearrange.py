"""Ops that rearrange values: flip, roll, repeat, split/chunk, diagonal, tril/triu.

Each moves (or copies, or zeroes) values without computing new ones, so each backward moves the
gradient back the same way: ``flip`` flips it back, ``roll`` rolls it back, ``repeat`` sums the
copies, ``diagonal`` writes it onto the diagonal of zeros, ``tril`` keeps the same triangle.
"""
from __future__ import annotations

import numpy as np

from minigrad.autograd.function import Function
from minigrad.ops._util import normalize_dim, normalize_dims, shape_arg
from minigrad.ops.shape import reshape
from minigrad.tensor import Tensor


def _dims_arg(dims) -> tuple:
    """``f(0, 1)``, ``f((0, 1))`` and ``f(0)`` alike."""
    dims = shape_arg(dims) if isinstance(dims, tuple) else dims
    return (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)


# -- flip and roll ----------------------------------------------------------------------------------
class Flip(Function):
    @staticmethod
    def forward(ctx, x, dims):
        return np.flip(x._data, dims).copy()

    @staticmethod
    def backward(ctx, grad):
        return Flip.apply(grad, dims=ctx.dims)


def flip(x: Tensor, dims) -> Tensor:
    """``x`` with the order of the elements reversed along ``dims`` (a copy, as in PyTorch).

    >>> import minigrad as mg
    >>> mg.flip(mg.tensor([[1, 2], [3, 4]]), [1]).tolist()
    [[2, 1], [4, 3]]
    """
    axes = normalize_dims(_dims_arg(dims), x.ndim, "flip")
    return Flip.apply(x, dims=axes)


class Roll(Function):
    @staticmethod
    def forward(ctx, x, shifts, dims):
        return np.roll(x._data, shifts, dims)

    @staticmethod
    def backward(ctx, grad):
        return Roll.apply(grad, shifts=tuple(-s for s in ctx.shifts), dims=ctx.dims)


def roll(x: Tensor, shifts, dims=None) -> Tensor:
    """Shift the elements along ``dims`` by ``shifts`` places, those that fall off one end
    coming back at the other; without ``dims`` the tensor is rolled as if flattened.

    >>> import minigrad as mg
    >>> mg.roll(mg.tensor([1, 2, 3, 4]), 1).tolist()
    [4, 1, 2, 3]
    """
    shifts = _dims_arg(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"roll: with dims=None, shifts must be a single number, got {list(shifts)}")
        return reshape(Roll.apply(reshape(x, -1), shifts=shifts, dims=(0,)), x.shape)
    dims = _dims_arg(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(shifts)}, dims: {len(dims)}")
    axes = tuple(normalize_dim(d, x.ndim, "roll") for d in dims)
    return Roll.apply(x, shifts=tuple(int(s) for s in shifts), dims=axes)


# -- repeat ---------------------------------------------------------------------------------------
class Repeat(Function):
    @staticmethod
    def forward(ctx, x, repeats):
        ctx.input_shape = x.shape
        lead = len(repeats) - x.ndim
        return np.tile(x._data.reshape((1,) * lead + x.shape), repeats)

    @staticmethod
    def backward(ctx, grad):
        # out has shape (r0*s0, r1*s1, ...): split each into (r, s) and sum over the copies r
        repeats, shape = ctx.repeats, ctx.input_shape
        sizes = (1,) * (len(repeats) - len(shape)) + shape
        split = reshape(grad, tuple(n for pair in zip(repeats, sizes) for n in pair))
        return reshape(split.sum(tuple(range(0, 2 * len(sizes), 2))), shape)


def repeat(x: Tensor, *repeats) -> Tensor:
    """``x`` tiled ``repeats[i]`` times along each dimension (PyTorch's ``Tensor.repeat``,
    numpy's ``tile``); extra leading repeats add dimensions.

    >>> import minigrad as mg
    >>> mg.tensor([1, 2]).repeat(2, 2).tolist()
    [[1, 2, 1, 2], [1, 2, 1, 2]]
    """
    repeats = tuple(int(r) for r in shape_arg(repeats))
    if len(repeats) < x.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor "
            f"(repeats {list(repeats)} for a tensor of shape {tuple(x.shape)})"
        )
    if any(r < 0 for r in repeats):
        raise RuntimeError(f"repeat: repeats can not be negative, got {list(repeats)}")
    return Repeat.apply(x, repeats=repeats)


# -- narrow, movedim -----------------------------------------------------------------------------
def narrow(x: Tensor, dim: int, start: int, length: int) -> Tensor:
    """The view ``x[..., start:start + length, ...]`` along ``dim``."""
    axis = normalize_dim(dim, x.ndim, "narrow")
    size = x.shape[axis]
    start = int(start) + (size if start < 0 else 0)
    if not 0 <= start <= size or length < 0 or start + length > size:
        raise RuntimeError(f"narrow: start ({start}) + length ({length}) exceeds dimension size ({size})")
    return x[(slice(None),) * axis + (slice(start, start + length),)]


def movedim(x: Tensor, source, destination) -> Tensor:
    """``x`` with the dimensions ``source`` moved to the positions ``destination`` (a view);
    the other dimensions keep their order."""
    source, destination = _dims_arg(source), _dims_arg(destination)
    if len(source) != len(destination):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(source)} dims) should "
                           f"contain the same number of dims as destination ({list(destination)} dims)")
    src = [normalize_dim(d, x.ndim, "movedim") for d in source]
    dst = [normalize_dim(d, x.ndim, "movedim") for d in destination]
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in source {list(source)} or destination {list(destination)}")
    order = [d for d in range(x.ndim) if d not in src]
    for position, d in sorted(zip(dst, src)):
        order.insert(position, d)
    return x.permute(*order) if x.ndim else x


# -- split and chunk: views of consecutive slices -----------------------------------------------------
def _slices(x: Tensor, sizes: list, axis: int) -> tuple:
    pieces, start = [], 0
    for size in sizes:
        pieces.append(x[(slice(None),) * axis + (slice(start, start + size),)])
        start += size
    return tuple(pieces)


def split(x: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Cut ``x`` along ``dim`` into pieces of ``split_size_or_sections`` elements (the last one
    smaller if need be), or into pieces of the sizes listed. The pieces are views.

    >>> import minigrad as mg
    >>> [p.tolist() for p in mg.arange(5).split(2)]
    [[0, 1], [2, 3], [4]]
    """
    if x.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    axis = normalize_dim(dim, x.ndim, "split")
    length = x.shape[axis]
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size < 0 or (size == 0 and length):
            raise RuntimeError(f"split expects split_size be non-negative (and positive for a non-empty dim), but got split_size={size}")
        sizes = [min(size, length - start) for start in range(0, length, size)] if length else [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != length or any(s < 0 for s in sizes):
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {length} (input tensor's size at "
                f"dimension {axis}), but got split_sizes={sizes}"
            )
    return _slices(x, sizes, axis)


def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple:
    """Cut ``x`` along ``dim`` into ``chunks`` views of ``ceil(size / chunks)`` elements (the
    last smaller; fewer pieces when the size does not allow ``chunks`` of them), as PyTorch.

    >>> import minigrad as mg
    >>> [p.tolist() for p in mg.arange(6).chunk(4)]
    [[0, 1], [2, 3], [4, 5]]
    """
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    if x.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    axis = normalize_dim(dim, x.ndim, "chunk")
    if x.shape[axis] == 0:  # PyTorch gives `chunks` empty pieces
        return _slices(x, [0] * chunks, axis)
    return split(x, -(-x.shape[axis] // chunks), axis)


# -- diagonal ---------------------------------------------------------------------------------------
def _diagonal_positions(shape: tuple, offset: int, dim1: int, dim2: int) -> tuple:
    """The index (into an array of ``shape``) of the diagonal's elements, shaped like
    ``np.diagonal``'s result: the other dimensions first, the diagonal last."""
    length = max(0, min(shape[dim1] - max(-offset, 0), shape[dim2] - max(offset, 0)))
    others = [d for d in range(len(shape)) if d not in (dim1, dim2)]
    grids = np.ogrid[tuple(slice(0, shape[d]) for d in others) + (slice(0, length),)]
    index = [None] * len(shape)
    for d, grid in zip(others, grids[:-1]):
        index[d] = grid
    index[dim1] = grids[-1] + max(-offset, 0)
    index[dim2] = grids[-1] + max(offset, 0)
    return tuple(index)


class Diagonal(Function):
    @staticmethod
    def forward(ctx, x, offset, dim1, dim2):
        ctx.input_shape = x.shape
        # numpy's diagonal is a read-only view: writing through it (PyTorch's diagonal is a
        # writable view) is refused with a clear error instead of silently changing a copy
        return np.diagonal(x._data, offset, dim1, dim2)

    @staticmethod
    def backward(ctx, grad):
        return DiagonalBackward.apply(grad, shape=ctx.input_shape, offset=ctx.offset, dim1=ctx.dim1, dim2=ctx.dim2)


def diagonal(x: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of the matrices spanned by ``dim1`` and ``dim2`` (above it for
    ``offset > 0``, below for ``offset < 0``), as a new last dimension. A copy, where PyTorch
    returns a view.

    >>> import minigrad as mg
    >>> mg.arange(9).reshape(3, 3).diagonal(1).tolist()
    [1, 5]
    """
    d1, d2 = normalize_dim(dim1, x.ndim, "diagonal"), normalize_dim(dim2, x.ndim, "diagonal")
    if x.ndim < 2:
        raise RuntimeError(f"diagonal: expected a tensor with at least 2 dimensions, got shape {tuple(x.shape)}")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return Diagonal.apply(x, offset=int(offset), dim1=d1, dim2=d2)


class DiagonalBackward(Function):
    """Zeros of ``shape`` with ``values`` written on the diagonal (the backward of ``diagonal``)."""

    @staticmethod
    def forward(ctx, values, shape, offset, dim1, dim2):
        out = np.zeros(shape, dtype=values.dtype)
        out[_diagonal_positions(shape, offset, dim1, dim2)] = values._data
        return out

    @staticmethod
    def backward(ctx, grad):
        return Diagonal.apply(grad, offset=ctx.offset, dim1=ctx.dim1, dim2=ctx.dim2)


# -- triangles ----------------------------------------------------------------------------------------
class Triangle(Function):
    """The lower (``upper=False``) or upper triangle of the last two dimensions, zeros elsewhere."""

    @staticmethod
    def forward(ctx, x, diagonal, upper):
        return (np.triu if upper else np.tril)(x._data, diagonal)

    @staticmethod
    def backward(ctx, grad):
        return Triangle.apply(grad, diagonal=ctx.diagonal, upper=ctx.upper)


def _triangle(x: Tensor, diagonal: int, upper: bool, op: str) -> Tensor:
    if x.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions, got shape {tuple(x.shape)}")
    return Triangle.apply(x, diagonal=int(diagonal), upper=upper)


def tril(x: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle (``j - i <= diagonal``) of the last two dimensions, zeros above.

    >>> import minigrad as mg
    >>> mg.ones(2, 2).tril().tolist()
    [[1.0, 0.0], [1.0, 1.0]]
    """
    return _triangle(x, diagonal, False, "tril")


def triu(x: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle (``j - i >= diagonal``) of the last two dimensions, zeros below."""
    return _triangle(x, diagonal, True, "triu")
