"""Transposed convolution (``conv_transpose2d``) and the 1-D convolutions built on the 2-D ones.

A convolution maps an image ``(H, W)`` to ``(OH, OW)`` by ``rows = W @ im2col(x)``. Its
transpose maps ``(OH, OW)`` back to ``(H, W)`` by the adjoint product::

    col = W.T @ rows        (C*KH*KW, N*OH*OW)
    out = col2im(col)       each column entry added back to the pixel it came from

which is exactly the input gradient of the convolution (:class:`ConvInputGrad`). So
``conv_transpose2d(x, w)`` *is* that node, with a window whose "input" is the transposed
convolution's output. Its gradients come for free and are convolutions again::

    grad_input  = conv2d(grad, w)                 (same stride, padding, dilation, groups)
    grad_weight = the weight gradient of that conv2d, with the roles of grad and x swapped

``output_padding`` adds rows and columns at the bottom and right that no window of the matching
convolution would reach (they receive only the bias); it makes the output size unambiguous when
``stride > 1``, as several input sizes convolve to the same output size.
"""
from __future__ import annotations

import numpy as np

from minigrad.autograd.function import composite
from minigrad.errors import DtypeError, ShapeError
from minigrad.nn.functional._window import Window, pair
from minigrad.nn.functional.conv import ConvInputGrad, conv2d
from minigrad.tensor import Tensor


def transposed_output_size(size: int, kernel: int, stride: int, padding: int, output_padding: int = 0,
                           dilation: int = 1) -> int:
    """PyTorch's output length of a transposed convolution:
    ``(size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1``."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def transposed_window(op: str, input_hw, kernel, stride, padding, output_padding, dilation) -> Window:
    """The window of the convolution whose input gradient this transposed convolution is: its
    "input" is our output, its "output" our input."""
    for name, value in (("stride", stride), ("dilation", dilation)):
        if min(value) <= 0:
            raise ShapeError(f"{op}: {name} must be positive, got {value}")
    if min(padding) < 0 or min(output_padding) < 0:
        raise ShapeError(f"{op}: padding and output_padding must be non-negative, got {padding} and {output_padding}")
    for o, s, d in zip(output_padding, stride, dilation):
        if o >= s and o >= d:
            raise ShapeError(
                f"{op}: output padding must be smaller than either stride or dilation, but got "
                f"output_padding={output_padding}, stride={stride}, dilation={dilation}"
            )
    out_hw = tuple(transposed_output_size(*args) for args in zip(input_hw, kernel, stride, padding, output_padding, dilation))
    if min(out_hw) <= 0:
        raise ShapeError(
            f"{op}: given input size per channel {tuple(input_hw)}, the calculated output size per channel "
            f"is {out_hw}: output size is too small (kernel {tuple(kernel)}, stride {tuple(stride)}, "
            f"padding {tuple(padding)}, dilation {tuple(dilation)})"
        )
    (ph, pw), (oph, opw) = padding, output_padding
    # The windows reach ``padding - output_padding`` past the bottom edge; a negative reach means
    # the last rows are not read at all, and padding with 0 extra rows serves as well.
    pads = (ph, max(0, ph - oph), pw, max(0, pw - opw))
    return Window(tuple(kernel), tuple(stride), tuple(dilation), pads, out_hw, tuple(input_hw))


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """2-D transposed convolution (the adjoint of ``conv2d``; "deconvolution"), as in PyTorch.

    ``input`` is ``(N, C_in, H, W)`` (or unbatched ``(C_in, H, W)``), ``weight`` is
    ``(C_in, C_out // groups, KH, KW)`` and the output ``(N, C_out, OH, OW)`` with

        OH = (H - 1)*stride - 2*padding + dilation*(KH - 1) + output_padding + 1

    ``output_padding`` must be smaller than ``stride`` or ``dilation``. Each input pixel adds a
    scaled copy of the filter to the output, ``stride`` pixels apart:

    >>> import minigrad as mg, minigrad.nn.functional as F
    >>> F.conv_transpose2d(mg.ones(1, 1, 2, 2), mg.ones(1, 1, 2, 2))[0, 0].tolist()
    [[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]
    >>> F.conv_transpose2d(mg.ones(1, 1, 2, 2), mg.ones(1, 1, 2, 2), stride=2).shape
    (1, 1, 4, 4)
    """
    op = "conv_transpose2d"
    if input.ndim == 3:
        return conv_transpose2d(input.unsqueeze(0), weight, bias, stride, padding, output_padding, groups, dilation).squeeze(0)
    if input.ndim != 4:
        raise ShapeError(f"{op}: expected a 3-D (unbatched) or 4-D (batched) input, got shape {input.shape}")
    if weight.ndim != 4:
        raise ShapeError(f"{op}: expected a 4-D weight (C_in, C_out // groups, KH, KW), got shape {weight.shape}")
    if not isinstance(groups, (int, np.integer)) or groups <= 0:
        raise ShapeError(f"{op}: groups must be a positive int, got {groups!r}")
    in_channels, group_out, kh, kw = weight.shape
    if input.shape[1] != in_channels:
        raise ShapeError(
            f"{op}: weight of shape {weight.shape} expects the input to have {in_channels} channels, but "
            f"input shape {input.shape} has {input.shape[1]}"
        )
    if in_channels % groups:
        raise ShapeError(f"{op}: in_channels ({in_channels}, weight shape {weight.shape}) must be divisible by groups ({groups})")
    if input.dtype != weight.dtype:
        raise DtypeError(f"{op}: input is {input.dtype} but weight is {weight.dtype}; convert one, e.g. input.to(weight.dtype)")
    out_channels = group_out * groups
    if bias is not None and bias.shape != (out_channels,):
        raise ShapeError(f"{op}: bias should have shape ({out_channels},), got {bias.shape}")
    if bias is not None and bias.dtype != weight.dtype:
        raise DtypeError(f"{op}: bias is {bias.dtype} but weight is {weight.dtype}; convert one, e.g. bias.to(weight.dtype)")
    stride, padding = pair(stride, "stride", op), pair(padding, "padding", op)
    output_padding, dilation = pair(output_padding, "output_padding", op), pair(dilation, "dilation", op)
    window = transposed_window(op, input.shape[2:], (kh, kw), stride, padding, output_padding, dilation)
    with composite(op, input, weight, bias, stride=stride, padding=padding, output_padding=output_padding,
                   groups=groups, dilation=dilation):
        out = ConvInputGrad.apply(input, weight, window=window, groups=groups, batch_last=stride[1] == 1)
        return out if bias is None else out + bias.reshape(1, out_channels, 1, 1)


def output_padding_for(op: str, input_hw, output_size, kernel, stride, padding, dilation) -> tuple[int, int]:
    """The ``output_padding`` that gives the requested ``output_size`` (``nn.ConvTranspose2d``'s
    ``forward(x, output_size=...)``); ``output_size`` may include the batch and channel sizes."""
    output_size = tuple(output_size)
    if len(output_size) in (3, 4):
        output_size = output_size[-2:]
    if len(output_size) != 2:
        raise ValueError(f"{op}: output_size must have 2 or 4 elements (got {len(output_size)})")
    result = []
    for size, want, k, s, p, d in zip(input_hw, output_size, kernel, stride, padding, dilation):
        smallest = transposed_output_size(size, k, s, p, 0, d)
        if not smallest <= want <= smallest + s - 1:
            low = tuple(transposed_output_size(*a, 0, dd) for *a, dd in zip(input_hw, kernel, stride, padding, dilation))
            high = tuple(v + s_ - 1 for v, s_ in zip(low, stride))
            raise ValueError(
                f"{op}: requested an output size of {list(output_size)}, but valid sizes range from "
                f"{list(low)} to {list(high)} (for an input of {list(input_hw)})"
            )
        result.append(want - smallest)
    return result[0], result[1]


# -- 1-D convolutions: the 2-D ones on a height-1 image -------------------------------------------
def _one(value, name: str, op: str):
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise ValueError(f"{op}: {name} must be an int or a 1-tuple, got {value!r}")
        value = value[0]
    return value


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """1-D convolution: ``(N, C, L)`` with weight ``(O, C // groups, K)`` -> ``(N, O, OL)``,
    ``OL = floor((L + 2*padding - dilation*(K-1) - 1) / stride) + 1``; ``conv2d`` on a height-1
    image.

    >>> import minigrad as mg, minigrad.nn.functional as F
    >>> F.conv1d(mg.arange(5.0).reshape(1, 1, 5), mg.ones(1, 1, 2))[0, 0].tolist()
    [1.0, 3.0, 5.0, 7.0]
    """
    if input.ndim not in (2, 3) or weight.ndim != 3:
        raise ShapeError(f"conv1d: expected a 2-D or 3-D input and a 3-D weight, got shapes {input.shape} and {weight.shape}")
    op = "conv1d"
    padding = _one(padding, "padding", op)
    padding = padding if isinstance(padding, str) else (0, padding)
    out = conv2d(input.unsqueeze(-2), weight.unsqueeze(2), bias, (1, _one(stride, "stride", op)), padding,
                 (1, _one(dilation, "dilation", op)), groups)
    return out.squeeze(-2)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """1-D transposed convolution: ``(N, C_in, L)`` with weight ``(C_in, C_out // groups, K)``,
    ``OL = (L - 1)*stride - 2*padding + dilation*(K - 1) + output_padding + 1``.

    >>> import minigrad as mg, minigrad.nn.functional as F
    >>> F.conv_transpose1d(mg.ones(1, 1, 3), mg.ones(1, 1, 2))[0, 0].tolist()
    [1.0, 2.0, 2.0, 1.0]
    """
    if input.ndim not in (2, 3) or weight.ndim != 3:
        raise ShapeError(f"conv_transpose1d: expected a 2-D or 3-D input and a 3-D weight, got shapes {input.shape} and {weight.shape}")
    op = "conv_transpose1d"
    out = conv_transpose2d(input.unsqueeze(-2), weight.unsqueeze(2), bias, (1, _one(stride, "stride", op)),
                           (0, _one(padding, "padding", op)), (0, _one(output_padding, "output_padding", op)),
                           groups, (1, _one(dilation, "dilation", op)))
    return out.squeeze(-2)
