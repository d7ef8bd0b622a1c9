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

from minigrad.errors import ShapeError
from minigrad.nn.functional._checks import check_groups, check_rank, check_weight_and_bias
from minigrad.nn.functional._window import Window, check_window, pair, single
from minigrad.nn.functional.columns import uses_batch_last
from minigrad.nn.functional.conv import ConvInputGrad, conv2d
from minigrad.nn.scope import composite
from minigrad.tensor import Tensor


def transposed_output_size(size: int, kernel: int, stride: int, padding: int, output_padding: int = 0,
                           dilation: int = 1) -> int:
    """PyTorch's output length of a transposed convolution:
    ``(size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1``."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def check_transposed(op: str, kernel: tuple, stride: tuple, padding: tuple, output_padding: tuple,
                     dilation: tuple) -> None:
    """A transposed convolution's configuration, whatever its input (``nn.ConvTranspose2d``
    checks it once in ``__init__``, ``conv_transpose2d`` at every call)."""
    check_window(op, kernel, stride, padding, dilation)
    if min(output_padding) < 0:
        raise ShapeError(f"{op}: output_padding must be non-negative, got {output_padding}")
    for o, s, d in zip(output_padding, stride, dilation):
        if o >= s and o >= d:
            raise ShapeError(
                f"{op}: output padding must be smaller than either stride or dilation, but got "
                f"output_padding={output_padding}, stride={stride}, dilation={dilation}"
            )


def transposed_window(op: str, input_hw, kernel, stride, padding, output_padding, dilation) -> Window:
    """The window of the convolution whose input gradient this transposed convolution is: its
    "input" is our output, its "output" our input."""
    check_transposed(op, kernel, stride, padding, output_padding, dilation)
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
    check_rank(op, input)
    if input.ndim == 3:
        return conv_transpose2d(input.unsqueeze(0), weight, bias, stride, padding, output_padding, groups, dilation).squeeze(0)
    if weight.ndim != 4:
        raise ShapeError(f"{op}: expected a 4-D weight (C_in, C_out // groups, KH, KW), got shape {weight.shape}")
    in_channels, group_out, kh, kw = weight.shape
    check_groups(op, groups, f" (weight shape {weight.shape})", in_channels=in_channels)
    if input.shape[1] != in_channels:
        raise ShapeError(
            f"{op}: weight of shape {weight.shape} expects the input to have {in_channels} channels, but "
            f"input shape {input.shape} has {input.shape[1]}"
        )
    out_channels = group_out * groups
    check_weight_and_bias(op, input, weight, bias, out_channels)
    stride, padding = pair(stride, "stride", op), pair(padding, "padding", op)
    output_padding, dilation = pair(output_padding, "output_padding", op), pair(dilation, "dilation", op)
    window = transposed_window(op, input.shape[2:], (kh, kw), stride, padding, output_padding, dilation)
    with composite(op, input, weight, bias, stride=stride, padding=padding, output_padding=output_padding,
                   groups=groups, dilation=dilation):
        out = ConvInputGrad.apply(input, weight, window=window, groups=groups, batch_last=uses_batch_last(window, input.shape[0]))
        return out if bias is None else out + bias.reshape(1, out_channels, 1, 1)


def output_padding_for(op: str, input: Tensor, output_size, kernel, stride, padding, dilation) -> tuple[int, ...]:
    """The ``output_padding`` that gives the requested ``output_size`` (the transposed layers'
    ``forward(x, output_size=...)``), one entry per dimension of ``kernel``; ``output_size`` may
    include the batch and channel sizes."""
    dims = len(kernel)
    check_rank(op, input, dims)
    input_size = input.shape[-dims:]
    output_size = tuple(output_size)
    if len(output_size) in (dims + 1, dims + 2):
        output_size = output_size[-dims:]
    if len(output_size) != dims:
        raise ValueError(f"{op}: output_size must have {dims} or {dims + 2} elements (got {len(output_size)})")
    result = []
    for size, want, k, s, p, d in zip(input_size, output_size, kernel, stride, padding, dilation):
        smallest = transposed_output_size(size, k, s, p, 0, d)
        if not smallest <= want <= smallest + s - 1:
            low = tuple(transposed_output_size(*a, 0, dd) for *a, dd in zip(input_size, kernel, stride, padding, dilation))
            high = tuple(v + s_ - 1 for v, s_ in zip(low, stride))
            raise ValueError(
                f"{op}: requested an output size of {list(output_size)}, but valid sizes range from "
                f"{list(low)} to {list(high)} (for an input of {list(input_size)})"
            )
        result.append(want - smallest)
    return tuple(result)


# -- 1-D convolutions: the 2-D ones on a height-1 image -------------------------------------------
def _check_1d(op: str, input: Tensor, weight: Tensor, weight_layout: str) -> None:
    """The ranks, checked before the 2-D op sees the height-1 views (whose shapes would confuse)."""
    check_rank(op, input, 1)
    if weight.ndim != 3:
        raise ShapeError(f"{op}: expected a 3-D weight {weight_layout}, got shape {weight.shape}")


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """1-D convolution: ``(N, C, L)`` with weight ``(O, C // groups, K)`` -> ``(N, O, OL)``,
    ``OL = floor((L + 2*padding - dilation*(K-1) - 1) / stride) + 1``; ``conv2d`` on a height-1
    image.

    >>> import minigrad as mg, minigrad.nn.functional as F
    >>> F.conv1d(mg.arange(5.0).reshape(1, 1, 5), mg.ones(1, 1, 2))[0, 0].tolist()
    [1.0, 3.0, 5.0, 7.0]
    """
    op = "conv1d"
    _check_1d(op, input, weight, "(out_channels, in_channels // groups, K)")
    padding = padding if isinstance(padding, str) else (0,) + single(padding, "padding", op)
    out = conv2d(input.unsqueeze(-2), weight.unsqueeze(2), bias, (1,) + single(stride, "stride", op), padding,
                 (1,) + single(dilation, "dilation", op), groups)
    return out.squeeze(-2)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """1-D transposed convolution: ``(N, C_in, L)`` with weight ``(C_in, C_out // groups, K)``,
    ``OL = (L - 1)*stride - 2*padding + dilation*(K - 1) + output_padding + 1``.

    >>> import minigrad as mg, minigrad.nn.functional as F
    >>> F.conv_transpose1d(mg.ones(1, 1, 3), mg.ones(1, 1, 2))[0, 0].tolist()
    [1.0, 2.0, 2.0, 1.0]
    """
    op = "conv_transpose1d"
    _check_1d(op, input, weight, "(C_in, C_out // groups, K)")
    out = conv_transpose2d(input.unsqueeze(-2), weight.unsqueeze(2), bias, (1,) + single(stride, "stride", op),
                           (0,) + single(padding, "padding", op), (0,) + single(output_padding, "output_padding", op),
                           groups, (1,) + single(dilation, "dilation", op))
    return out.squeeze(-2)
