"""Pooling: ``max_pool2d``, ``avg_pool2d``, ``adaptive_avg_pool2d``.

Pooling works on each channel separately, so instead of building an im2col matrix the ops loop
over the ``KH*KW`` kernel taps: tap ``(i, j)`` of every window is one strided slice of the
padded input, and a window's maximum (or sum) is an elementwise maximum (or sum) of those
slices. Max pooling remembers which tap won (``arg``, one small integer per output) and its
backward adds each gradient back at that tap; average pooling spreads the gradient evenly.

Padding counts as ``-inf`` for max pooling, so it never wins, and as 0 for average pooling.
"""
from __future__ import annotations

import numpy as np

from minigrad.autograd.function import Function
from minigrad.errors import ShapeError
from minigrad.nn.functional._checks import check_rank
from minigrad.nn.functional._window import Window, check_window, make_window, pair
from minigrad.nn.functional.resize import gather_last
from minigrad.nn.scope import composite
from minigrad.tensor import Tensor
from minigrad.threads import parallel_for


def pool_geometry(op: str, kernel_size, stride, padding, dilation) -> tuple[tuple, tuple, tuple, tuple]:
    """A pooling's kernel, stride (the kernel's when not given), padding and dilation as pairs,
    checked whatever the input: the pooling layers call it once in ``__init__``, the functional
    ops at every call."""
    kernel = pair(kernel_size, "kernel_size", op)
    stride = kernel if stride is None or stride == () or stride == [] else pair(stride, "stride", op)
    padding, dilation = pair(padding, "padding", op), pair(dilation, "dilation", op)
    check_window(op, kernel, stride, padding, dilation)
    for pad, k, d in zip(padding, kernel, dilation):
        if pad > (d * (k - 1) + 1) // 2:
            raise ShapeError(
                f"{op}: padding should be at most half of the effective kernel size, but got "
                f"padding={padding}, kernel_size={kernel} and dilation={dilation}"
            )
    return kernel, stride, padding, dilation


def _pool_window(op: str, input: Tensor, kernel_size, stride, padding, dilation, ceil_mode) -> Window:
    check_rank(op, input)
    kernel, stride, padding, dilation = pool_geometry(op, kernel_size, stride, padding, dilation)
    return make_window(op, input.shape[-2:], kernel, stride, padding, dilation, ceil_mode,
                       channels_shape=input.shape[:-2])


# -- max pooling ------------------------------------------------------------------------------------
def _first_valid_taps(window: Window) -> np.ndarray:
    """For each output, the first tap that lies inside the input (PyTorch's default argmax)."""
    (oh, ow), (sh, sw), (dh, dw), kw = window.output_hw, window.stride, window.dilation, window.kernel[1]
    top, _, left, _ = window.padding

    def first(out: int, stride: int, dilation: int, pad: int) -> np.ndarray:
        start = np.arange(out) * stride - pad  # where each window starts, in input coordinates
        return np.where(start < 0, -(start // dilation), 0)  # ceil(-start / dilation)

    rows, cols = first(oh, sh, dh, top), first(ow, sw, dw, left)
    return rows[:, None] * kw + cols[None, :]


POOL_BLOCK = 1 << 17  # outputs per block of channels: bounds the copied taps (9 taps: 4.5 MiB of float32)


def max_pool_arrays(x: np.ndarray, window: Window) -> tuple[np.ndarray, np.ndarray]:
    """The window maxima and, for each, the winning tap ``k = i * KW + j``.

    The winner is PyTorch's: the first maximum in scan order, or the last NaN, or (for a window
    of -inf values only) the first tap inside the input. Large inputs are split by channel
    between threads (``minigrad.threads.parallel_for``).
    """
    padded = window.pad(x, -np.inf)
    first_tap = padded[(..., *window.offset(0, 0))]
    out = np.empty_like(first_tap, order="K")  # the input's memory layout (a convolution may leave the batch last)
    arg = np.empty_like(out, dtype=np.uint8 if window.kernel[0] * window.kernel[1] <= 256 else np.int32)

    step = max(1, POOL_BLOCK // max(1, out[..., :1, :, :].size))  # channels per block

    def channels(start: int, stop: int) -> None:
        for first in range(start, stop, step):
            part = (..., slice(first, min(first + step, stop)), slice(None), slice(None))
            _max_pool_into(padded[part], window, out[part], arg[part])

    parallel_for(channels, out.shape[-3], 2 * padded.size)
    return out, arg


def _max_pool_into(padded: np.ndarray, window: Window, out: np.ndarray, arg: np.ndarray) -> None:
    """:func:`max_pool_arrays` of one block of channels, written into ``out`` and ``arg``.

    Masked numpy writes are slow, so the maxima come from ``np.maximum`` and the winners from
    a second pass of comparisons. Each tap is first copied out of the padded input: numpy's
    passes over a strided view pay for every row, and pooled rows are short (8 to 27 numbers
    in ResNet-18, LeNet-5 and AlexNet), so a copy per tap and then contiguous passes took
    0.64-0.98x the time of the passes over the views (``docs/performance.md``)."""
    taps = [np.array(padded[(..., *window.offset(i, j))], order="K") for _, i, j in window.taps()]  # dense, in x's order
    np.copyto(out, taps[0])
    for tap in taps[1:]:
        np.maximum(out, tap, out=out)  # NaN propagates, as in PyTorch
    # arg counts the taps before the first one equal to the maximum: after tap k it grows by one
    # wherever none of the taps 0..k was; where no tap but the last was, it ends at K-1
    arg.fill(0)
    unfound = np.ones_like(out, dtype=bool)
    hit = np.empty_like(out, dtype=bool)
    for tap in taps[:-1]:
        np.equal(tap, out, out=hit)
        np.less(hit, unfound, out=unfound)  # unfound and not hit
        arg += unfound
    np.not_equal(taps[-1], out, out=hit)
    unfound &= hit  # no tap equals the maximum: it is NaN
    if any(window.padding):
        unfound |= np.isneginf(out)  # a -inf maximum may have matched a padding tap
    if unfound.any():  # windows of -inf (or NaN): PyTorch's default and its NaN rule
        np.copyto(arg, np.broadcast_to(_first_valid_taps(window), arg.shape).astype(arg.dtype), where=unfound)
        if np.isnan(out).any():
            for k, tap in enumerate(taps):
                arg[np.isnan(tap)] = k


def _flat_indices(arg: np.ndarray, window: Window) -> np.ndarray:
    """PyTorch's ``return_indices``: the winner's position ``h * W + w`` in its input plane."""
    (oh, ow), (sh, sw), (dh, dw), kw = window.output_hw, window.stride, window.dilation, window.kernel[1]
    top, _, left, _ = window.padding
    rows = np.arange(oh)[:, None] * sh - top + (arg // kw) * dh
    cols = np.arange(ow)[None, :] * sw - left + (arg % kw) * dw
    return (rows * window.input_hw[1] + cols).astype(np.int64)


def scatter_taps(grad: np.ndarray, arg: np.ndarray, window: Window, like: np.ndarray | None = None) -> np.ndarray:
    """Add each output's gradient at its winning tap (the backward of max pooling).

    The result has the memory layout of ``like`` (the pooled input), so that the next backward
    steps (relu's mask, the convolution's transpose) combine arrays of the same layout."""
    shape = grad.shape[:-2] + window.padded_hw
    padded = np.empty(shape, dtype=grad.dtype) if like is None else np.empty_like(like, dtype=grad.dtype, shape=shape)
    grad = in_layout_of(grad, arg)  # one copy here saves each tap's pass a strided read
    finite = np.isfinite(grad).all()  # then a product with the mask is exact (no 0 * inf)

    def channels(start: int, stop: int) -> None:
        part = (..., slice(start, stop), slice(None), slice(None))
        _scatter_into(padded[part], grad[part], arg[part], window, finite)

    parallel_for(channels, grad.shape[-3], 2 * padded.size)
    return window.crop(padded)


def _scatter_into(padded: np.ndarray, grad: np.ndarray, arg: np.ndarray, window: Window, finite: bool) -> None:
    """:func:`scatter_taps` of one block of channels, written into ``padded``."""
    if not (_tiles(window) and finite):
        _scatter_sum(padded, grad, arg, window)
        return
    for k, i, j in window.taps():  # every pixel lies in exactly one window, under exactly one tap
        np.multiply(grad, arg == k, out=padded[(..., *window.offset(i, j))])


def _scatter_sum(padded: np.ndarray, grad: np.ndarray, arg: np.ndarray, window: Window) -> None:
    """Overlapping windows: one ``np.bincount`` over the winners' positions in the padded
    planes sums the gradients, output by output in the order of PyTorch's loop (a masked pass
    per tap took twice the time: numpy's strided adds are slow).

    Positions count in the order of the arrays' memory (``arg``, ``grad`` and ``padded`` share
    one, which may have the batch axis last), so that every pass reads and writes in order."""
    order = np.argsort([-stride for stride in arg.strides], kind="stable")  # axes, outermost first
    (oh, ow), (sh, sw), (dh, dw) = window.output_hw, window.stride, window.dilation
    shape = arg.shape[:-2] + window.padded_hw
    pitch = np.empty(len(shape), dtype=np.intp)  # numbers between neighbours along each axis
    pitch[order] = np.cumprod([1] + [shape[axis] for axis in order[:0:-1]])[::-1]
    taps = np.array([i * dh * pitch[-2] + j * dw * pitch[-1] for _, i, j in window.taps()], dtype=np.intp)
    position = np.empty_like(arg, dtype=np.intp)  # arg's memory layout, as grad's
    np.take(taps, arg, out=position, mode="clip")
    position += np.arange(oh)[:, None] * (sh * pitch[-2]) + np.arange(ow) * (sw * pitch[-1])  # each window's start
    for axis, size in enumerate(shape[:-2]):
        position += (np.arange(size) * pitch[axis]).reshape((size,) + (1,) * (len(shape) - 1 - axis))
    sums = np.bincount(position.ravel(order="K"), weights=grad.ravel(order="K"), minlength=int(np.prod(shape)))
    padded.transpose(order)[...] = sums.reshape([shape[axis] for axis in order])


def _tiles(window: Window) -> bool:
    """Whether the windows cover the padded input exactly once (e.g. 2x2 windows, stride 2)."""
    (kh, kw), (oh, ow) = window.kernel, window.output_hw
    return (window.dilation == (1, 1) and window.stride == (kh, kw)
            and window.padded_hw == (oh * kh, ow * kw))


def in_layout_of(x: np.ndarray, like: np.ndarray) -> np.ndarray:
    """``x`` with the memory order of ``like`` (same shape): ``x`` itself, or a copy when the
    orders differ."""
    if np.array_equal(np.argsort(x.strides, kind="stable"), np.argsort(like.strides, kind="stable")):
        return x
    out = np.empty_like(like, dtype=x.dtype)
    out[...] = x
    return out


def gather_taps(x: np.ndarray, arg: np.ndarray, window: Window) -> np.ndarray:
    """Read each output's winning tap from ``x`` (the adjoint of :func:`scatter_taps`)."""
    padded = window.pad(x)
    out = np.zeros(arg.shape, dtype=x.dtype)
    for k, i, j in window.taps():
        np.copyto(out, padded[(..., *window.offset(i, j))], where=arg == k)
    return out


class MaxPool2d(Function):
    @staticmethod
    def forward(ctx, x, window, return_indices):
        out, arg = max_pool_arrays(x._data, window)
        ctx.arg = arg
        ctx.save_for_backward(x)
        return (out, _flat_indices(arg, window)) if return_indices else out

    @staticmethod
    def backward(ctx, grad, *unused_indices_grad):
        (x,) = ctx.saved_tensors
        return ScatterTaps.apply(grad, x, arg=ctx.arg, window=ctx.window)


class ScatterTaps(Function):
    """The backward of max pooling. Like PyTorch's, it takes the pooled input as an argument
    with zero derivative, so that under ``create_graph`` its result belongs to the graph."""

    @staticmethod
    def forward(ctx, grad, input, arg, window):
        ctx.input_shape = None if input is None else input.shape
        return scatter_taps(grad._data, arg, window, None if input is None else input._data)

    @staticmethod
    def backward(ctx, grad):
        zeros = Tensor._make(np.zeros(ctx.input_shape, grad.dtype)) if ctx.needs_input_grad[1] else None
        return GatherTaps.apply(grad, arg=ctx.arg, window=ctx.window), zeros


class GatherTaps(Function):
    @staticmethod
    def forward(ctx, x, arg, window):
        return gather_taps(x._data, arg, window)

    @staticmethod
    def backward(ctx, grad):
        return ScatterTaps.apply(grad, None, arg=ctx.arg, window=ctx.window)


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Maximum over ``kernel_size`` windows; ``stride`` defaults to ``kernel_size``.

    Output size: ``floor((H + 2*padding - dilation*(kernel-1) - 1) / stride) + 1`` (``ceil``
    with ``ceil_mode``, dropping a last window that would start in the right padding). With
    ``return_indices`` also returns each maximum's flat position ``h * W + w`` in its plane.

    >>> import minigrad as mg, minigrad.nn.functional as F
    >>> F.max_pool2d(mg.arange(16.0).reshape(1, 1, 4, 4), 2)[0, 0].tolist()
    [[5.0, 7.0], [13.0, 15.0]]
    """
    window = _pool_window("max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode)
    return MaxPool2d.apply(input, window=window, return_indices=return_indices)


# -- average pooling ------------------------------------------------------------------------------
def _divisor(window: Window, count_include_pad: bool) -> np.ndarray:
    """How many inputs each window averages: (OH, OW), PyTorch's rule."""
    top, _, left, _ = window.padding
    counts = []
    for out, stride, kernel, pad, size in zip(window.output_hw, window.stride, window.kernel, (top, left), window.input_hw):
        start = np.arange(out) * stride - pad
        end = np.minimum(start + kernel, size + pad)  # windows never count the ceil-mode overhang
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, size)
        counts.append(end - start)
    return np.outer(counts[0], counts[1])


def sum_taps(x: np.ndarray, window: Window) -> np.ndarray:
    padded = window.pad(x)
    out = np.zeros(x.shape[:-2] + window.output_hw, dtype=x.dtype)
    for _, i, j in window.taps():
        out += padded[(..., *window.offset(i, j))]
    return out


def spread_taps(grad: np.ndarray, window: Window) -> np.ndarray:
    padded = np.zeros(grad.shape[:-2] + window.padded_hw, dtype=grad.dtype)
    for _, i, j in window.taps():
        padded[(..., *window.offset(i, j))] += grad
    return window.crop(padded)


class AvgPool2d(Function):
    @staticmethod
    def forward(ctx, x, window, divisor):
        ctx.save_for_backward(x)
        return sum_taps(x._data, window) / divisor.astype(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return AvgPoolBackward.apply(grad, x, window=ctx.window, divisor=ctx.divisor)


class AvgPoolBackward(Function):
    """The backward of average pooling; ``input`` is there for the graph only (zero derivative)."""

    @staticmethod
    def forward(ctx, grad, input, window, divisor):
        ctx.input_shape = input.shape
        return spread_taps(grad._data / divisor.astype(grad.dtype), window)

    @staticmethod
    def backward(ctx, grad):
        zeros = Tensor._make(np.zeros(ctx.input_shape, grad.dtype)) if ctx.needs_input_grad[1] else None
        return AvgPool2d.apply(grad, window=ctx.window, divisor=ctx.divisor), zeros


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Mean over ``kernel_size`` windows; ``stride`` defaults to ``kernel_size``.

    With ``count_include_pad`` (the default) zero padding counts in the mean; windows that
    reach past the padding in ``ceil_mode`` never count the overhang.

    >>> import minigrad as mg, minigrad.nn.functional as F
    >>> F.avg_pool2d(mg.arange(16.0).reshape(1, 1, 4, 4), 2)[0, 0].tolist()
    [[2.5, 4.5], [10.5, 12.5]]
    """
    window = _pool_window("avg_pool2d", input, kernel_size, stride, padding, 1, ceil_mode)
    check_divisor("avg_pool2d", divisor_override)
    if divisor_override is None:
        divisor = _divisor(window, count_include_pad)
    else:
        divisor = np.full(window.output_hw, divisor_override)
    return AvgPool2d.apply(input, window=window, divisor=divisor)


def check_divisor(op: str, divisor_override) -> None:
    """``divisor_override`` is None (divide by the window size) or a non-zero int."""
    if divisor_override is None:
        return
    if isinstance(divisor_override, bool) or not isinstance(divisor_override, (int, np.integer)):
        raise TypeError(f"{op}: divisor_override must be an int, got {type(divisor_override).__name__}")
    if divisor_override == 0:
        raise ValueError(f"{op}: divisor_override must be not zero (None divides by the window size)")


def adaptive_output_size(op: str, output_size) -> tuple:
    """An adaptive pooling's ``output_size`` as a pair of positive ints or None (keep that input
    size), checked: the adaptive layers call it once in ``__init__``, the functional ops at every call."""
    if isinstance(output_size, (int, np.integer)) or output_size is None:
        output_size = (output_size, output_size)
    if not isinstance(output_size, (tuple, list)) or len(output_size) != 2:
        raise ShapeError(f"{op}: output_size must be an int, None or a pair, got {output_size!r}")
    if any(size is not None and (not isinstance(size, (int, np.integer)) or size <= 0) for size in output_size):
        raise ShapeError(f"{op}: output_size must be positive, got {tuple(output_size)}")
    return tuple(output_size)


def _adaptive_output_hw(op: str, output_size, input_hw: tuple) -> tuple[int, int]:
    """The output's (height, width): ``output_size`` with None read as the input's size."""
    oh, ow = adaptive_output_size(op, output_size)
    h, w = input_hw
    return (h if oh is None else int(oh)), (w if ow is None else int(ow))


def _adaptive_matrix(size: int, out: int, dtype) -> np.ndarray:
    """0/1 rows selecting PyTorch's adaptive windows ``[floor(i*size/out), ceil((i+1)*size/out))``."""
    i = np.arange(out)
    start, end = (i * size) // out, -((-(i + 1) * size) // out)
    positions = np.arange(size)
    return ((positions >= start[:, None]) & (positions < end[:, None])).astype(dtype)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed ``output_size`` (an int, a pair, ``None`` keeps a dimension).

    When the input divides evenly this is ``avg_pool2d`` with ``kernel = stride = H // OH``;
    otherwise windows overlap or differ in size, as in PyTorch.
    """
    check_rank("adaptive_avg_pool2d", input)
    h, w = input.shape[-2:]
    oh, ow = _adaptive_output_hw("adaptive_avg_pool2d", output_size, (h, w))
    if h == 0 or w == 0:
        raise ShapeError(f"adaptive_avg_pool2d: input shape {input.shape} has an empty spatial dimension")
    if (oh, ow) == (h, w):
        return input
    if h % oh == 0 and w % ow == 0:
        return avg_pool2d(input, (h // oh, w // ow))
    rows, cols = _adaptive_matrix(h, oh, input.dtype), _adaptive_matrix(w, ow, input.dtype)
    counts = np.outer(rows.sum(1), cols.sum(1)).astype(input.dtype)
    with composite("adaptive_avg_pool2d", input, output_size=(oh, ow)):
        return (Tensor(rows) @ input @ Tensor(cols.T)) / Tensor(counts)


# -- adaptive max pooling -------------------------------------------------------------------------
def adaptive_windows(size: int, out: int) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's adaptive windows along one axis: ``[floor(i*size/out), ceil((i+1)*size/out))``."""
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def _adaptive_argmax(x: np.ndarray, output_hw: tuple[int, int]) -> np.ndarray:
    """Each window's winner as a flat position ``h * W + w`` in its plane: the first maximum in
    scan order, or the last NaN (PyTorch's ``val > max || isnan(val)``)."""
    (h, w), (oh, ow) = x.shape[-2:], output_hw
    (row_start, row_end), (col_start, col_end) = adaptive_windows(h, oh), adaptive_windows(w, ow)
    index = np.empty(x.shape[:-2] + (oh, ow), dtype=np.int64)
    for i in range(oh):
        for j in range(ow):
            region = x[..., row_start[i]:row_end[i], col_start[j]:col_end[j]]
            width = region.shape[-1]
            flat = region.reshape(region.shape[:-2] + (-1,))
            winner = np.argmax(flat, axis=-1)
            nan = np.isnan(flat)
            if nan.any():
                last_nan = flat.shape[-1] - 1 - np.argmax(nan[..., ::-1], axis=-1)
                winner = np.where(nan.any(-1), last_nan, winner)
            index[..., i, j] = (row_start[i] + winner // width) * w + col_start[j] + winner % width
    return index


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling to a fixed ``output_size`` (an int, a pair, ``None`` keeps a dimension).

    Output pixel ``(i, j)`` is the maximum over rows ``[floor(i*H/OH), ceil((i+1)*H/OH))`` and
    the matching columns; windows may overlap. With ``return_indices`` also returns each
    maximum's flat position ``h * W + w`` in its plane.

    >>> import minigrad as mg, minigrad.nn.functional as F
    >>> F.adaptive_max_pool2d(mg.arange(9.0).reshape(1, 1, 3, 3), 2)[0, 0].tolist()
    [[4.0, 5.0], [7.0, 8.0]]
    """
    check_rank("adaptive_max_pool2d", input)
    h, w = input.shape[-2:]
    oh, ow = _adaptive_output_hw("adaptive_max_pool2d", output_size, (h, w))
    if h == 0 or w == 0 or 0 in input.shape[:-2]:
        raise ShapeError(f"adaptive_max_pool2d: input shape {input.shape} has an empty dimension")
    index = _adaptive_argmax(input._data, (oh, ow))
    with composite("adaptive_max_pool2d", input, output_size=(oh, ow)):
        out = gather_last(input, index, 2, full=True)
    return (out, Tensor(index)) if return_indices else out
