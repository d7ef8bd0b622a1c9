"""Convolution by im2col: ``unfold`` (im2col), ``fold`` (col2im) and ``conv2d``.

im2col copies every receptive field of the input into a column, so that the convolution of all
``N`` images with all ``O`` filters becomes one matrix product::

    col    (C*KH*KW, N*OH*OW)   every window, one per column
    weight (O, C*KH*KW)          every filter, one per row
    out  = weight @ col -> (O, N*OH*OW) -> (N, O, OH, OW)

The column matrix and its two memory layouts are in ``columns.py``.

col2im is the adjoint of im2col: each column entry is added back to the pixel it came from.
It loops over the ``KH*KW`` kernel taps only; each tap adds one strided slab of the image,
in which no pixel appears twice, so plain ``+=`` is exact without ``np.add.at``.
"""
from __future__ import annotations

import numpy as np

from minigrad._layout import short_rows
from minigrad.autograd.function import Function
from minigrad.errors import ShapeError
from minigrad.nn.functional._checks import check_groups, check_rank, check_weight_and_bias
from minigrad.nn.functional._window import Window, check_conv_padding, make_window, pair
from minigrad.nn.functional.columns import (
    as_6d, col2im, column_matrix, im2col, output_to_rows, rows_to_output, uses_batch_last,
)
from minigrad.nn.scope import composite
from minigrad.tensor import Tensor
from minigrad.threads import PARALLEL_WORK, matmul


def _check_4d(op: str, x: Tensor, what: str = "input") -> None:
    if x.ndim != 4:
        raise ShapeError(f"{op}: expected a 4-D {what} (N, C, H, W), got shape {x.shape}")


class Im2col(Function):
    """``(N, C, H, W)`` -> the column matrix ``(C*KH*KW, N*OH*OW)`` (``unfold``)."""

    @staticmethod
    def forward(ctx, x, window):
        return column_matrix(x._data, window, batch_last=False)

    @staticmethod
    def backward(ctx, grad):
        return Col2im.apply(grad, window=ctx.window)


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """im2col: ``(N, C, H, W)`` -> ``(N, C*KH*KW, L)``, one column per window position.

    >>> import minigrad as mg, minigrad.nn.functional as F
    >>> x = mg.arange(16.0).reshape(1, 1, 4, 4)
    >>> F.unfold(x, 2, stride=2)[0].tolist()
    [[0.0, 2.0, 8.0, 10.0], [1.0, 3.0, 9.0, 11.0], [4.0, 6.0, 12.0, 14.0], [5.0, 7.0, 13.0, 15.0]]
    """
    _check_4d("unfold", input)
    n, c, h, w = input.shape
    window = make_window("unfold", (h, w), pair(kernel_size, "kernel_size", "unfold"), pair(stride, "stride", "unfold"),
                         pair(padding, "padding", "unfold"), pair(dilation, "dilation", "unfold"), channels_shape=(n, c))
    kh, kw = window.kernel
    oh, ow = window.output_hw
    with composite("unfold", input, kernel_size=(kh, kw), stride=window.stride, padding=pair(padding, "padding", "unfold"),
                   dilation=window.dilation):
        col = Im2col.apply(input, window=window)
        return col.reshape(c * kh * kw, n, oh * ow).permute(1, 0, 2)


class Col2im(Function):
    """The column matrix ``(C*KH*KW, N*OH*OW)`` -> ``(N, C, H, W)``, the adjoint of Im2col (``fold``)."""

    @staticmethod
    def forward(ctx, col, window):
        return col2im(as_6d(col._data, window, batch_last=False), window)

    @staticmethod
    def backward(ctx, grad):
        return Im2col.apply(grad, window=ctx.window)


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """col2im: ``(N, C*KH*KW, L)`` -> ``(N, C, H, W)``, summing overlapping entries.

    ``fold(unfold(x))`` multiplies each pixel by the number of windows that cover it.
    """
    if input.ndim != 3:
        raise ShapeError(f"fold: expected a 3-D input (N, C*KH*KW, L), got shape {input.shape}")
    kh, kw = pair(kernel_size, "kernel_size", "fold")
    h, w = pair(output_size, "output_size", "fold")
    n, ckk, length = input.shape
    if ckk % (kh * kw):
        raise ShapeError(f"fold: input dimension 1 ({ckk}) must be divisible by kernel_size[0] * kernel_size[1] ({kh * kw})")
    window = make_window("fold", (h, w), (kh, kw), pair(stride, "stride", "fold"), pair(padding, "padding", "fold"),
                         pair(dilation, "dilation", "fold"))
    oh, ow = window.output_hw
    if length != oh * ow:
        raise ShapeError(
            f"fold: input has {length} columns but output_size {(h, w)} with kernel {(kh, kw)}, stride "
            f"{window.stride}, padding {pair(padding, 'padding', 'fold')}, dilation {window.dilation} gives "
            f"{oh} x {ow} = {oh * ow} windows"
        )
    c = ckk // (kh * kw)
    with composite("fold", input, output_size=(h, w), kernel_size=(kh, kw), stride=window.stride, dilation=window.dilation):
        col = input.permute(1, 0, 2).reshape(c * kh * kw, n * oh * ow)
        return Col2im.apply(col, window=window)


# -- conv2d: one node forward, and one per gradient backward ----------------------------------------
# The three products of a convolution, with W the weight as a (O, C*KH*KW) matrix, col the column
# matrix and the output as a (O, N*OH*OW) matrix of rows:
#
#     forward          rows        = W   @ col
#     weight gradient  grad_W      = grad_rows @ col.T   (or (col @ grad_rows.T).T)
#     input gradient   grad_col    = W.T @ grad_rows,   then col2im
#
# With groups, each group of output channels sees its own group of input channels: the matrices
# become stacks of ``groups`` matrices and the products batched ones.
def _stacked(matrix: np.ndarray, groups: int) -> np.ndarray:
    """``(R, C)`` -> ``(groups, R // groups, C)``, one matrix per group."""
    return matrix.reshape(groups, matrix.shape[0] // groups, matrix.shape[1])


def _transposed_stack(stack: np.ndarray) -> np.ndarray:
    """Each matrix of the stack transposed: a view, which BLAS reads without a copy."""
    return stack.transpose(0, 2, 1)


def _conv_options(ctx) -> dict:
    """The keyword arguments a convolution node was made with, for the nodes of its gradients."""
    return dict(window=ctx.window, groups=ctx.groups, batch_last=ctx.batch_last)


def _conv_padding(padding, kernel, dilation) -> tuple[int, int, int, int]:
    if padding == "valid":
        return 0, 0, 0, 0
    if padding == "same":
        pads = []
        for k, d in zip(kernel, dilation):
            total = d * (k - 1)
            pads += [total // 2, total - total // 2]
        return pads[0], pads[1], pads[2], pads[3]
    ph, pw = pair(padding, "padding", "conv2d")
    return ph, ph, pw, pw


class Convolution(Function):
    """``conv2d`` as one graph node: im2col, one matrix product, the bias.

    The column matrix stays on the node until the weight gradient has used it. Each gradient
    is a differentiable op of its own (:class:`ConvInputGrad`, :class:`ConvWeightGrad`), so
    gradients of gradients are convolutions again."""

    @staticmethod
    def forward(ctx, input, weight, bias, window, groups, batch_last):
        col = column_matrix(input._data, window, batch_last)
        w = weight._data.reshape(weight.shape[0], -1)
        rows = matmul(_stacked(w, groups), _stacked(col, groups)).reshape(w.shape[0], -1)
        if bias is not None:
            with short_rows(rows.shape[1]):  # AlexNet's conv3-5: 0.52x the time
                rows += bias._data[:, None]  # in place: rows is a new array
        ctx.col = col if ctx.needs_input_grad[1] else None
        ctx.save_for_backward(input, weight)
        return rows_to_output(rows, input.shape[0], window, batch_last)

    @staticmethod
    def backward(ctx, grad):
        input, weight = ctx.saved_tensors
        col = ctx.col
        ctx.release_saved()
        needs, options = ctx.needs_input_grad, _conv_options(ctx)
        grad_weight = ConvWeightGrad.apply(grad, input, col, **options) if needs[1] else None
        col = None  # freed before the input gradient allocates a buffer of the same size
        grad_input = ConvInputGrad.apply(grad, weight, **options) if needs[0] else None
        grad_bias = grad.sum((0, 2, 3)) if needs[2] else None
        return grad_input, grad_weight, grad_bias


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation, as in PyTorch), computed by im2col and one matmul.

    ``input`` is ``(N, C, H, W)`` (or unbatched ``(C, H, W)``), ``weight`` is
    ``(O, C // groups, KH, KW)`` and the output is ``(N, O, OH, OW)`` with
    ``OH = floor((H + 2*padding - dilation*(KH-1) - 1) / stride) + 1``. ``padding`` may also
    be ``"same"`` (stride 1) or ``"valid"``.

    >>> import minigrad as mg, minigrad.nn.functional as F
    >>> x = mg.ones(1, 1, 4, 4)
    >>> F.conv2d(x, mg.ones(1, 1, 3, 3), padding=1)[0, 0].tolist()
    [[4.0, 6.0, 6.0, 4.0], [6.0, 9.0, 9.0, 6.0], [6.0, 9.0, 9.0, 6.0], [4.0, 6.0, 6.0, 4.0]]
    """
    check_rank("conv2d", input)
    if input.ndim == 3:
        return conv2d(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0)
    if weight.ndim != 4:
        raise ShapeError(f"conv2d: expected a 4-D weight (out_channels, in_channels // groups, KH, KW), got shape {weight.shape}")
    n, c, h, w = input.shape
    out_channels, group_channels, kh, kw = weight.shape
    check_groups("conv2d", groups, f" (weight shape {weight.shape})", out_channels=out_channels)
    expected = group_channels * groups
    if c != expected:
        # the first words are also nn.Conv2d's message: "features.4 (Conv2d(...)): expected 96 input channels, got 64"
        raise ShapeError(
            f"expected {expected} input channels, got {c} (conv2d: input has {c} channels but weight {weight.shape} "
            f"with groups={groups} expects {expected}; the input {input.shape} should be (N, {expected}, H, W))"
        )
    if c == 0 or out_channels == 0:
        raise ShapeError(
            f"conv2d: input shape {input.shape} and weight shape {weight.shape} have no channels to "
            "convolve; a convolution needs at least one input and one output channel"
        )
    check_weight_and_bias("conv2d", input, weight, bias, out_channels)
    stride, dilation = pair(stride, "stride", "conv2d"), pair(dilation, "dilation", "conv2d")
    check_conv_padding("conv2d", padding, stride)
    window = make_window("conv2d", (h, w), (kh, kw), stride, _conv_padding(padding, (kh, kw), dilation),
                         dilation, channels_shape=(n, c))
    with composite("conv2d", input, weight, bias, stride=stride, padding=padding, dilation=dilation, groups=groups):
        return Convolution.apply(input, weight, bias, window=window, groups=groups, batch_last=uses_batch_last(window, n))


class ConvInputGrad(Function):
    """The input gradient of a convolution: col2im of ``W.T @ grad_rows``. It is linear in
    ``grad`` and in ``weight``, so its own gradients are a convolution and a weight gradient."""

    @staticmethod
    def forward(ctx, grad, weight, window, groups, batch_last):
        w = weight._data.reshape(weight.shape[0], -1)
        grad_rows = output_to_rows(grad._data, batch_last)
        grad_col = matmul(_transposed_stack(_stacked(w, groups)), _stacked(grad_rows, groups)).reshape(w.shape[1] * groups, -1)
        ctx.save_for_backward(grad, weight)
        return col2im(as_6d(grad_col, window, batch_last), window, batch_last)

    @staticmethod
    def backward(ctx, grad_grad):
        grad, weight = ctx.saved_tensors
        needs, options = ctx.needs_input_grad, _conv_options(ctx)
        outer_grad = Convolution.apply(grad_grad, weight, None, **options) if needs[0] else None
        weight_grad = ConvWeightGrad.apply(grad, grad_grad, None, **options) if needs[1] else None
        return outer_grad, weight_grad


class ConvWeightGrad(Function):
    """The weight gradient of a convolution: ``grad_rows @ col.T``, from the forward's column
    matrix ``col`` when it is passed, else from im2col of ``input``."""

    @staticmethod
    def forward(ctx, grad, input, col, window, groups, batch_last):
        if col is None:
            col = column_matrix(input._data, window, batch_last)
        grads, cols = _stacked(output_to_rows(grad._data, batch_last), groups), _stacked(col, groups)
        if cols.shape[2] >= cols.shape[1] and cols.size * grads.shape[1] < PARALLEL_WORK:
            # a small product with more pixels than taps (LeNet-5's): (col @ grad_rows.T).T and a
            # transposed copy take 0.6x the time of grad_rows @ col.T in OpenBLAS; for the larger,
            # threaded products it made whole ResNet-18 steps slower (docs/performance.md)
            grad_w = np.ascontiguousarray(_transposed_stack(matmul(cols, _transposed_stack(grads))))
        else:
            grad_w = matmul(grads, _transposed_stack(cols))
        ctx.save_for_backward(grad, input)
        kh, kw = window.kernel
        return grad_w.reshape(grad.shape[1], input.shape[1] // groups, kh, kw)

    @staticmethod
    def backward(ctx, grad_grad):
        grad, input = ctx.saved_tensors
        needs, options = ctx.needs_input_grad, _conv_options(ctx)
        outer_grad = Convolution.apply(input, grad_grad, None, **options) if needs[0] else None
        input_grad = ConvInputGrad.apply(grad, grad_grad, **options) if needs[1] else None
        return outer_grad, input_grad, None
