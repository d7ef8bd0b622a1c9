"""Resizing and padding: ``interpolate`` (nearest, bilinear) and ``pad`` (constant, reflect,
replicate, circular).

All of them except constant padding only *move* pixels: each output pixel reads one input pixel
(nearest, reflect, replicate, circular), or a weighted sum of four (bilinear). So they are
written with one pair of ops, :class:`GatherLast` ("read the input at these positions") and its
adjoint :class:`ScatterLast` ("add each gradient back where it was read from"), each the other's
backward, which makes every op here differentiable any number of times. Only the index arrays
differ, and they follow PyTorch's formulas, given in each function's docstring.

Constant padding is one op of its own: its backward is constant padding again, by the negated
pads (padding by ``p`` and cropping by ``p`` are adjoint).
"""
from __future__ import annotations

import math

import numpy as np

from minigrad.autograd.function import Function
from minigrad.errors import ShapeError
from minigrad.nn.scope import composite
from minigrad.tensor import Tensor


# -- gather and scatter over the last dims ---------------------------------------------------------
class GatherLast(Function):
    """``out[..., p] = x[..., index[p]]`` where ``index`` counts positions in the last ``dims``
    dimensions of ``x`` flattened (``h * W + w`` for a plane). ``index`` has the output's last
    dims as shape (the same positions for every image and channel) or the output's full shape."""

    @staticmethod
    def forward(ctx, x, index, dims, full):
        ctx.x_shape = x.shape
        lead = x.shape[:-dims]
        flat = x._data.reshape(lead + (-1,))
        if not full:
            return flat[..., index]
        picked = np.take_along_axis(flat, index.reshape(lead + (-1,)), axis=-1)
        return picked.reshape(index.shape)

    @staticmethod
    def backward(ctx, grad):
        return ScatterLast.apply(grad, index=ctx.index, dims=ctx.dims, full=ctx.full, shape=ctx.x_shape)


def gather_last(x: Tensor, index: np.ndarray, dims: int, full: bool = False) -> Tensor:
    """Read ``x`` at the flat positions ``index`` of its last ``dims`` dimensions (see
    :class:`GatherLast`); differentiable any number of times."""
    return GatherLast.apply(x, index=np.asarray(index, dtype=np.int64), dims=dims, full=full)


class ScatterLast(Function):
    """The adjoint of :class:`GatherLast`: a zero array of ``shape`` with each entry of ``grad``
    added at its position (positions read several times get the sum)."""

    @staticmethod
    def forward(ctx, grad, index, dims, full, shape):
        lead = shape[:-dims]
        rows = int(np.prod(lead, dtype=np.int64))
        n_in = int(np.prod(shape[len(lead):], dtype=np.int64))
        g = grad._data.reshape(rows, -1)
        idx = np.broadcast_to(index.reshape(rows if full else 1, -1), g.shape)
        flat = idx + (np.arange(rows, dtype=np.int64) * n_in)[:, None]
        summed = np.bincount(flat.ravel(), weights=g.ravel(), minlength=rows * n_in)
        return summed.astype(grad.dtype, copy=False).reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return GatherLast.apply(grad, index=ctx.index, dims=ctx.dims, full=ctx.full)


def _plane_index(rows: np.ndarray, cols: np.ndarray, width: int) -> np.ndarray:
    return rows[:, None] * width + cols[None, :]


# -- interpolate -------------------------------------------------------------------------------------
def _scale(in_size: int, out_size: int, scale_factor, dtype) -> np.floating:
    """PyTorch's ``compute_scales_value``: ``1 / scale_factor`` when one was given, else
    ``in_size / out_size``, in ``dtype``."""
    if scale_factor is not None and scale_factor > 0:
        return dtype(1.0 / scale_factor)
    return dtype(in_size) / dtype(out_size)


def nearest_indices(in_size: int, out_size: int, scale_factor=None, exact: bool = False) -> np.ndarray:
    """PyTorch's source pixel for each output pixel, computed in float32 as PyTorch does:
    ``min(floor(i * scale), in_size - 1)`` ("nearest"; the identity when sizes agree and
    ``i // 2`` when the output is twice the input), or ``floor((i + 0.5) * scale)``
    ("nearest-exact")."""
    out = np.arange(out_size, dtype=np.int64)
    if not exact and out_size == in_size:
        return out
    if not exact and out_size == 2 * in_size:
        return out >> 1
    scale = _scale(in_size, out_size, scale_factor, np.float32)
    position = out.astype(np.float32) + np.float32(0.5) if exact else out.astype(np.float32)
    return np.minimum(np.floor(position * scale).astype(np.int64), in_size - 1)


def linear_indices(in_size: int, out_size: int, scale_factor, align_corners: bool, dtype):
    """PyTorch's two source pixels and their weights for each output pixel of a linear resize.

    The source coordinate is ``i * (in - 1) / (out - 1)`` with ``align_corners`` (the corner
    pixels' centres are aligned), else ``(i + 0.5) * scale - 0.5`` clamped at 0 (the corners of
    the corner pixels are aligned), with ``scale = 1 / scale_factor`` when one was given, else
    ``in / out``. Pixel ``floor(src)`` gets weight ``1 - frac`` and the next one ``frac``.
    """
    out = np.arange(out_size)
    if out_size == in_size:
        return out, out, np.ones(out_size, dtype), np.zeros(out_size, dtype)
    if align_corners:
        scale = dtype(in_size - 1) / dtype(out_size - 1) if out_size > 1 else dtype(0)
        source = scale * out.astype(dtype)
    else:
        scale = _scale(in_size, out_size, scale_factor, dtype)
        source = np.maximum(scale * (out.astype(dtype) + dtype(0.5)) - dtype(0.5), dtype(0))
    source = source.astype(dtype)
    # PyTorch floors in float32 (``floorf``), whatever the dtype
    index0 = np.minimum(np.floor(source.astype(np.float32)).astype(np.int64), in_size - 1)
    lambda1 = np.clip(source - index0.astype(dtype), 0, 1).astype(dtype)
    index1 = index0 + (index0 < in_size - 1)
    return index0, index1, (dtype(1) - lambda1).astype(dtype), lambda1


_LINEAR = {"linear": 1, "bilinear": 2}
_NEAREST = ("nearest", "nearest-exact")


def check_resize(size, scale_factor, mode: str, align_corners: bool | None, recompute_scale_factor: bool | None) -> None:
    """What ``interpolate`` needs of its options, whatever the input (``nn.Upsample`` checks them
    once in ``__init__``, ``interpolate`` at every call)."""
    if mode in _NEAREST:
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif mode not in _LINEAR:
        raise NotImplementedError(f"interpolate: mode {mode!r} is not supported; use 'nearest', 'nearest-exact', "
                                  "'linear' (3-D input) or 'bilinear' (4-D input)")
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if size is not None and recompute_scale_factor:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")


def _output_size(op: str, input: Tensor, size, scale_factor, recompute_scale_factor):
    spatial = input.ndim - 2
    if size is not None:
        sizes = list(size) if isinstance(size, (tuple, list)) else [size] * spatial
        if len(sizes) != spatial:
            raise ValueError(
                f"Input and output must have the same number of spatial dimensions, but got input with spatial "
                f"dimensions of {list(input.shape[2:])} and output size of {list(sizes)}. Please provide input "
                "tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format."
            )
        return [int(s) for s in sizes], [None] * spatial
    scales = list(scale_factor) if isinstance(scale_factor, (tuple, list)) else [scale_factor] * spatial
    if len(scales) != spatial:
        raise ValueError(
            f"Input and scale_factor must have the same number of spatial dimensions, but got input with spatial "
            f"dimensions of {list(input.shape[2:])} and scale_factor of shape {list(scales)}. Please provide input "
            "tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format."
        )
    sizes = [math.floor(float(n * s)) for n, s in zip(input.shape[2:], scales)]
    return sizes, ([None] * spatial if recompute_scale_factor else [float(s) for s in scales])


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners: bool | None = None,
                recompute_scale_factor: bool | None = None, antialias: bool = False) -> Tensor:
    """Resize ``(N, C, H, W)`` images (or ``(N, C, L)`` signals) to ``size``, or by
    ``scale_factor`` (``OH = floor(H * scale_factor)``), as ``torch.nn.functional.interpolate``.

    * ``"nearest"``: output pixel ``i`` copies input pixel ``min(floor(i * scale), H - 1)``
      with ``scale = 1 / scale_factor`` when given, else ``H / OH`` (PyTorch's legacy rule);
      ``"nearest-exact"`` uses ``floor((i + 0.5) * scale)``.
    * ``"bilinear"`` (4-D) / ``"linear"`` (3-D): a weighted mean of the two nearest pixels per
      axis, at source coordinate ``(i + 0.5) * scale - 0.5`` (clamped at 0), or
      ``i * (H - 1) / (OH - 1)`` with ``align_corners=True``.

    >>> import minigrad as mg, minigrad.nn.functional as F
    >>> x = mg.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    >>> F.interpolate(x, scale_factor=2)[0, 0].tolist()
    [[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0], [3.0, 3.0, 4.0, 4.0], [3.0, 3.0, 4.0, 4.0]]
    >>> F.interpolate(x, size=3, mode="bilinear", align_corners=True)[0, 0].tolist()
    [[1.0, 1.5, 2.0], [2.0, 2.5, 3.0], [3.0, 3.5, 4.0]]
    """
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    check_resize(size, scale_factor, mode, align_corners, recompute_scale_factor)
    if mode in _LINEAR:
        align_corners = bool(align_corners)
    if input.ndim not in (3, 4):
        raise NotImplementedError(f"interpolate: input of {input.ndim} dimensions is not supported; expected "
                                  "(N, C, L) or (N, C, H, W)")
    if mode in _LINEAR and _LINEAR[mode] != input.ndim - 2:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {_LINEAR[mode] + 2}D input")
    sizes, scales = _output_size("interpolate", input, size, scale_factor, recompute_scale_factor)
    if min(sizes) <= 0:
        raise ShapeError(f"interpolate: input shape {input.shape} would give the output size {sizes}, which must be positive")
    if input.ndim == 3:  # a signal is an image of height 1
        out = _resize2d(input.unsqueeze(2), [1] + sizes, [None] + scales, mode, align_corners)
        return out.squeeze(2)
    return _resize2d(input, sizes, scales, mode, align_corners)


def _resize2d(input: Tensor, sizes, scales, mode: str, align_corners) -> Tensor:
    (h, w), (oh, ow), width = input.shape[2:], sizes, input.shape[3]
    with composite("interpolate", input, size=tuple(sizes), mode=mode, align_corners=align_corners):
        if mode in _NEAREST:
            exact = mode == "nearest-exact"
            rows, cols = nearest_indices(h, oh, scales[0], exact), nearest_indices(w, ow, scales[1], exact)
            return gather_last(input, _plane_index(rows, cols, width), 2)
        dtype = input.dtype.type
        r0, r1, h0, h1 = linear_indices(h, oh, scales[0], align_corners, dtype)
        c0, c1, w0, w1 = linear_indices(w, ow, scales[1], align_corners, dtype)
        h0, h1 = Tensor(h0.reshape(-1, 1)), Tensor(h1.reshape(-1, 1))
        w0, w1 = Tensor(w0.reshape(1, -1)), Tensor(w1.reshape(1, -1))

        def corner(rows, cols):
            return gather_last(input, _plane_index(rows, cols, width), 2)

        # PyTorch's order of operations: first along the width, then along the height
        return h0 * (corner(r0, c0) * w0 + corner(r0, c1) * w1) + h1 * (corner(r1, c0) * w0 + corner(r1, c1) * w1)


# -- pad ----------------------------------------------------------------------------------------------
class ConstantPad(Function):
    """``x`` with ``pads[2*k]`` values before and ``pads[2*k+1]`` after dimension ``-1-k``;
    negative pads crop. Its backward is the same op with the pads negated."""

    @staticmethod
    def forward(ctx, x, pads, value):
        data = x._data
        out_shape, source, target = list(data.shape), [slice(None)] * data.ndim, [slice(None)] * data.ndim
        for k in range(len(pads) // 2):
            dim, before, after = data.ndim - 1 - k, pads[2 * k], pads[2 * k + 1]
            size = data.shape[dim]
            out_shape[dim] = size + before + after
            source[dim] = slice(max(0, -before), size - max(0, -after))
            target[dim] = slice(max(0, before), max(0, before) + max(0, size - max(0, -before) - max(0, -after)))
        out = np.full(out_shape, value, dtype=data.dtype)
        out[tuple(target)] = data[tuple(source)]
        return out

    @staticmethod
    def backward(ctx, grad):
        return ConstantPad.apply(grad, pads=tuple(-p for p in ctx.pads), value=0)


def _padded_indices(size: int, before: int, after: int, mode: str) -> np.ndarray:
    """For each output position along one dim, the input position it copies."""
    position = np.arange(-before, size + after)
    if mode == "replicate":
        return np.clip(position, 0, size - 1)
    if mode == "circular":
        return position % size
    position = np.abs(position)  # reflect: mirror at 0 and at size - 1, edges not repeated
    return np.where(position > size - 1, 2 * (size - 1) - position, position)


_NON_CONSTANT = ("reflect", "replicate", "circular")


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad (or, with negative pads, crop) the last dimensions of ``input``, as ``F.pad``.

    ``pad = (left, right, top, bottom, ...)``: the last dimension first; dimension ``-1-k``
    grows from ``S`` to ``S + pad[2k] + pad[2k+1]``. Modes:

    * ``"constant"``: new entries are ``value`` (0); any number of dimensions;
    * ``"reflect"``: mirror without repeating the edge (``[1 2 3] -> 3 2 | 1 2 3 | 2 1``), pads
      smaller than the size;
    * ``"replicate"``: repeat the edge (``1 1 | 1 2 3 | 3 3``);
    * ``"circular"``: wrap around (``2 3 | 1 2 3 | 1 2``).

    The non-constant modes pad the last 1, 2 or 3 dimensions of an input with 1 or 2 more
    (``(C, W)`` / ``(N, C, W)``, ``(C, H, W)`` / ``(N, C, H, W)``, ...).

    >>> import minigrad as mg, minigrad.nn.functional as F
    >>> F.pad(mg.tensor([[[1.0, 2.0, 3.0]]]), (2, 1), mode="reflect").tolist()
    [[[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]]]
    >>> F.pad(mg.ones(1, 2), (1, 1, 1, 0)).tolist()
    [[0.0, 0.0, 0.0, 0.0], [0.0, 1.0, 1.0, 0.0]]
    """
    pads = tuple(int(p) for p in pad)
    if len(pads) % 2:
        raise ValueError(f"Padding length must be divisible by 2, but got padding length {len(pads)}")
    if len(pads) // 2 > input.ndim:
        raise ValueError(f"Padding length should be less than or equal to two times the input dimension but "
                         f"got padding length {len(pads)} and input of dimension {input.ndim}")
    dims = len(pads) // 2
    sides = [(input.shape[-1 - k], pads[2 * k], pads[2 * k + 1], input.ndim - 1 - k) for k in range(dims)]
    for size, before, after, dim in sides:
        if size + before + after < 0 or (mode != "constant" and size + before + after <= 0):
            raise ShapeError(
                f"pad: the input size {size}, plus negative padding {before} and {after} resulted in a negative "
                f"output size, which is invalid. Check dimension {dim} of your input (shape {input.shape})."
            )
    if mode == "constant":
        with composite("pad", input, pad=pads, mode=mode, value=value):
            return ConstantPad.apply(input, pads=pads, value=0.0 if value is None else value)
    if mode not in _NON_CONSTANT:
        raise NotImplementedError(f"pad: unrecognised padding mode {mode!r}; use 'constant', 'reflect', 'replicate' or 'circular'")
    if value is not None and value != 0:
        raise ValueError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if dims not in (1, 2, 3) or input.ndim not in (dims + 1, dims + 2):
        raise NotImplementedError("Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now")
    for size, before, after, dim in sides:
        if mode == "reflect" and (before >= size or after >= size):
            raise ShapeError(
                f"pad: padding size should be less than the corresponding input dimension, but got padding "
                f"{(before, after)} at dimension {dim} of input {list(input.shape)}"
            )
        if mode == "circular" and (before > size or after > size):
            raise ShapeError(f"pad: padding value causes wrapping around more than once (padding {(before, after)} "
                             f"at dimension {dim} of input {list(input.shape)})")
        if size == 0:
            raise ShapeError(f"pad: {mode} padding needs a non-empty dimension {dim} (input shape {input.shape})")
    # flat positions in the last `dims` dimensions: combine one index array per dimension
    index = np.zeros((), dtype=np.int64)
    for size, before, after, _ in reversed(sides):  # outermost padded dim first
        index = index[..., None] * size + _padded_indices(size, before, after, mode)
    with composite("pad", input, pad=pads, mode=mode):
        return gather_last(input, index, dims)
