"""Convolution by im2col: ``unfold`` (im2col), ``fold`` (col2im) and ``conv2d``.

im2col copies every receptive field of the input into a column, so that the convolution of all
``N`` images with all ``O`` filters becomes one matrix product::

    col    (C*KH*KW, N*OH*OW)   every window, one per column
    weight (O, C*KH*KW)          every filter, one per row
    out  = weight @ col -> (O, N*OH*OW) -> (N, O, OH, OW)

minigrad keeps the column matrix with the channel-and-tap axis first, as the 6-D array
``(C, KH, KW, N, OH, OW)``: it is made in one copy from a strided view of the padded input,
and neither the product nor its backward needs a transpose of this large buffer.

For stride-1 convolutions the columns are ordered ``(OH, OW, N)`` instead ("batch last"): the
input is first copied into a padded ``(C, H, W, N)`` buffer, so that each row of windows is one
contiguous run of ``OW*N`` numbers, and im2col and col2im copy long runs instead of rows of a
few pixels (LeNet's second convolution: ten). The output then keeps the batch axis last in
memory, and the next layers (relu, pooling, the next convolution) read it in that order.

col2im is the adjoint of im2col: each column entry is added back to the pixel it came from.
It loops over the ``KH*KW`` kernel taps only; each tap adds one strided slab of the image,
in which no pixel appears twice, so plain ``+=`` is exact without ``np.add.at``.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from minigrad.autograd.function import Function, composite
from minigrad.errors import DtypeError, ShapeError
from minigrad.nn.functional._window import Window, make_window, pair
from minigrad.ops.arithmetic import MatMul
from minigrad.tensor import Tensor


def im2col(x: np.ndarray, window: Window, batch_last: bool = False) -> np.ndarray:
    """``(N, C, H, W)`` -> ``(C, KH, KW, N, OH, OW)``, every window's pixels (a new array);
    ``(C, KH, KW, OH, OW, N)`` when ``batch_last``."""
    n, c = x.shape[:2]
    (kh, kw), (oh, ow) = window.kernel, window.output_hw
    (sh, sw), (dh, dw) = window.stride, window.dilation
    if batch_last:
        padded = _batch_last_padded(x, window)
        s_c, s_h, s_w, s_n = padded.strides
        shape, strides = (c, kh, kw, oh, ow, n), (s_c, dh * s_h, dw * s_w, sh * s_h, sw * s_w, s_n)
    else:
        padded = window.pad(x)
        s_n, s_c, s_h, s_w = padded.strides
        shape, strides = (c, kh, kw, n, oh, ow), (s_c, dh * s_h, dw * s_w, s_n, sh * s_h, sw * s_w)
    return np.ascontiguousarray(as_strided(padded, shape=shape, strides=strides, writeable=False))


def _batch_last_padded(x: np.ndarray, window: Window) -> np.ndarray:
    """``(N, C, H, W)`` -> the zero-padded ``(C, H, W, N)`` array (``x``'s memory when it is
    already laid out so and needs no padding)."""
    moved = x.transpose(1, 2, 3, 0)
    if not any(window.padding) and moved.flags.c_contiguous:
        return moved
    top, _, left, _ = window.padding
    h, w = window.input_hw
    padded = np.zeros(moved.shape[:1] + window.padded_hw + moved.shape[3:], dtype=x.dtype)
    padded[:, top:top + h, left:left + w] = moved
    return padded


def col2im(col: np.ndarray, window: Window, batch_last: bool = False) -> np.ndarray:
    """``(C, KH, KW, N, OH, OW)`` (or ``(C, KH, KW, OH, OW, N)`` when ``batch_last``) ->
    ``(N, C, H, W)``: sum each column entry into its pixel."""
    # accumulate in the order of the columns and hand back a transposed view
    if batch_last:
        c, n = col.shape[0], col.shape[-1]
        image = np.zeros((c,) + window.padded_hw + (n,), dtype=col.dtype)
        for _, i, j in window.taps():
            image[(slice(None), *window.offset(i, j))] += col[:, i, j]
        return window.crop(image.transpose(3, 0, 1, 2))
    c, n = col.shape[0], col.shape[3]
    image = np.zeros((c, n) + window.padded_hw, dtype=col.dtype)
    for _, i, j in window.taps():
        image[(..., *window.offset(i, j))] += col[:, i, j]
    return window.crop(image).transpose(1, 0, 2, 3)


def _columns_shape(window: Window, n: int, batch_last: bool) -> tuple[int, ...]:
    """The column axes of the 6-D column array: ``(N, OH, OW)`` or ``(OH, OW, N)``."""
    return window.output_hw + (n,) if batch_last else (n,) + window.output_hw


class Im2col(Function):
    """``(N, C, H, W)`` -> the column matrix ``(C*KH*KW, N*OH*OW)``."""

    @staticmethod
    def forward(ctx, x, window, batch_last=False):
        col = im2col(x.data, window, batch_last)
        return col.reshape(col.shape[0] * col.shape[1] * col.shape[2], -1)

    @staticmethod
    def backward(ctx, grad):
        return Col2im.apply(grad, **ctx.attributes)


class Col2im(Function):
    """The column matrix ``(C*KH*KW, N*OH*OW)`` -> ``(N, C, H, W)``, the adjoint of Im2col."""

    @staticmethod
    def forward(ctx, col, window, batch_last=False):
        kh, kw = window.kernel
        rows, columns = col.shape
        n = columns // (window.output_hw[0] * window.output_hw[1])
        return col2im(col.data.reshape((rows // (kh * kw), kh, kw) + _columns_shape(window, n, batch_last)), window,
                      batch_last)

    @staticmethod
    def backward(ctx, grad):
        return Im2col.apply(grad, **ctx.attributes)


class ChannelsFirst(Function):
    """The product ``(O, N*OH*OW)`` -> the output ``(N, O, OH, OW)`` plus the bias.

    The result is a transposed view of the product (the memory stays channel-major; later
    ops read it in place), with the bias added when there is one. ``batch_last`` says that
    the product's columns are ordered ``(OH, OW, N)``."""

    @staticmethod
    def forward(ctx, rows, bias, shape, batch_last=False):
        n, o, oh, ow = shape
        ctx.rows_shape = rows.shape
        if batch_last:
            out = rows.data.reshape(o, oh, ow, n).transpose(3, 0, 1, 2)
        else:
            out = rows.data.reshape(o, n, oh, ow).transpose(1, 0, 2, 3)
        return out + bias.data.reshape(1, o, 1, 1) if bias is not None else out

    @staticmethod
    def backward(ctx, grad):
        batch_last = ctx.attributes.get("batch_last", False)
        needs = ctx.needs_input_grad
        grad_rows = ToRows.apply(grad, rows_shape=ctx.rows_shape, batch_last=batch_last) if needs[0] else None
        grad_bias = grad.sum((0, 2, 3)) if needs[1] else None
        return grad_rows, grad_bias


class ToRows(Function):
    """``(N, O, OH, OW)`` -> ``(O, N*OH*OW)``: the adjoint of ChannelsFirst (without bias)."""

    @staticmethod
    def forward(ctx, x, rows_shape, batch_last=False):
        ctx.shape = x.shape
        return x.data.transpose((1, 2, 3, 0) if batch_last else (1, 0, 2, 3)).reshape(rows_shape)

    @staticmethod
    def backward(ctx, grad):
        return ChannelsFirst.apply(grad, None, shape=ctx.shape, batch_last=ctx.attributes.get("batch_last", False))


def _four_d(op: str, x: Tensor, what: str = "input") -> None:
    if x.ndim != 4:
        raise ShapeError(f"{op}: expected a 4-D {what} (N, C, H, W), got shape {x.shape}")


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """im2col: ``(N, C, H, W)`` -> ``(N, C*KH*KW, L)``, one column per window position.

    >>> import minigrad as mg, minigrad.nn.functional as F
    >>> x = mg.arange(16.0).reshape(1, 1, 4, 4)
    >>> F.unfold(x, 2, stride=2)[0].tolist()
    [[0.0, 2.0, 8.0, 10.0], [1.0, 3.0, 9.0, 11.0], [4.0, 6.0, 12.0, 14.0], [5.0, 7.0, 13.0, 15.0]]
    """
    _four_d("unfold", input)
    n, c, h, w = input.shape
    window = make_window("unfold", (h, w), pair(kernel_size, "kernel_size", "unfold"), pair(stride, "stride", "unfold"),
                         pair(padding, "padding", "unfold"), pair(dilation, "dilation", "unfold"), channels_shape=(n, c))
    kh, kw = window.kernel
    oh, ow = window.output_hw
    with composite("unfold", input, kernel_size=(kh, kw), stride=window.stride, padding=pair(padding, "padding", "unfold"),
                   dilation=window.dilation):
        col = Im2col.apply(input, window=window)
        return col.reshape(c * kh * kw, n, oh * ow).permute(1, 0, 2)


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
    if input.ndim == 3:
        return conv2d(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0)
    if input.ndim != 4:
        raise ShapeError(f"conv2d: expected a 3-D (unbatched) or 4-D (batched) input, got shape {input.shape}")
    _four_d("conv2d", weight, "weight")
    n, c, h, w = input.shape
    out_channels, group_channels, kh, kw = weight.shape
    if not isinstance(groups, (int, np.integer)) or groups <= 0:
        raise ShapeError(f"conv2d: groups must be a positive int, got {groups!r}")
    if out_channels % groups:
        raise ShapeError(f"conv2d: out_channels ({out_channels}, weight shape {weight.shape}) must be divisible by groups ({groups})")
    if c != group_channels * groups:
        raise ShapeError(
            f"conv2d: input has {c} channels (input shape {input.shape}) but weight {weight.shape} "
            f"with groups={groups} expects {group_channels * groups}; the input should be "
            f"(N, {group_channels * groups}, H, W)"
        )
    if input.dtype != weight.dtype:
        raise DtypeError(
            f"conv2d: input is {input.dtype} but weight is {weight.dtype}; convert one, "
            f"e.g. input.to(weight.dtype)"
        )
    if bias is not None and bias.shape != (out_channels,):
        raise ShapeError(f"conv2d: bias should have shape ({out_channels},), got {bias.shape}")
    stride, dilation = pair(stride, "stride", "conv2d"), pair(dilation, "dilation", "conv2d")
    if padding == "same" and stride != (1, 1):
        raise ShapeError("conv2d: padding='same' is not supported for strided convolutions")
    window = make_window("conv2d", (h, w), (kh, kw), stride, _conv_padding(padding, (kh, kw), dilation),
                         dilation, channels_shape=(n, c))
    oh, ow = window.output_hw

    with composite("conv2d", input, weight, bias, stride=stride, padding=padding, dilation=dilation, groups=groups):
        batch_last = window.stride[1] == 1  # long contiguous runs; see the module docstring
        col = Im2col.apply(input, window=window, batch_last=batch_last)  # (C*KH*KW, N*OH*OW)
        if groups == 1:
            rows = MatMul.apply(weight.reshape(out_channels, -1), col)  # the one large matmul
        else:  # one matmul per group, batched
            col = col.reshape(groups, group_channels * kh * kw, n * oh * ow)
            rows = MatMul.apply(weight.reshape(groups, out_channels // groups, -1), col).reshape(out_channels, -1)
        return ChannelsFirst.apply(rows, bias, shape=(n, out_channels, oh, ow), batch_last=batch_last)
