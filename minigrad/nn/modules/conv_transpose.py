"""``ConvTranspose2d`` (learnable upsampling) and the 1-D layers ``Conv1d``, ``ConvTranspose1d``."""
from __future__ import annotations

from minigrad import creation
from minigrad.errors import ShapeError
from minigrad.nn import init
from minigrad.nn.functional._window import pair
from minigrad.nn.functional.conv_transpose import conv1d, conv_transpose1d, conv_transpose2d, output_padding_for
from minigrad.nn.modules.module import Module
from minigrad.nn.parameter import Parameter
from minigrad.tensor import Tensor


def _check_config(name: str, in_channels: int, out_channels: int, groups: int, padding_mode: str) -> None:
    if padding_mode != "zeros":
        raise ValueError(f"{name}: only padding_mode='zeros' is supported, got {padding_mode!r}")
    if groups <= 0:
        raise ValueError(f"{name}: groups must be a positive integer, got {groups}")
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"{name}: in_channels ({in_channels}) and out_channels ({out_channels}) must be divisible by groups ({groups})")


class ConvTranspose2d(Module):
    """2-D transposed convolution layer (see ``F.conv_transpose2d``); it upsamples by ``stride``.

    ``weight``: ``(in_channels, out_channels // groups, KH, KW)``; the output size is
    ``(H - 1)*stride - 2*padding + dilation*(KH - 1) + output_padding + 1``, or the
    ``output_size`` passed to ``forward`` (which chooses ``output_padding``). Initialised as in
    PyTorch: ``kaiming_uniform_(a=sqrt(5))``, whose fan-in, read from the weight's dimension 1,
    is ``out_channels // groups * KH * KW``; the bias uniform in ``±1/sqrt(that fan-in)``.

    >>> import minigrad as mg, minigrad.nn as nn
    >>> from minigrad.nn.modules.conv_transpose import ConvTranspose2d
    >>> up = ConvTranspose2d(8, 4, kernel_size=2, stride=2)
    >>> up(mg.zeros(1, 8, 7, 7)).shape
    (1, 4, 14, 14)
    >>> ConvTranspose2d(8, 4, 3, stride=2, padding=1)(mg.zeros(1, 8, 7, 7), output_size=(14, 14)).shape
    (1, 4, 14, 14)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros", dtype=None) -> None:
        super().__init__()
        _check_config("ConvTranspose2d", in_channels, out_channels, groups, padding_mode)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = pair(kernel_size, "kernel_size", "ConvTranspose2d")
        self.stride = pair(stride, "stride", "ConvTranspose2d")
        self.padding = pair(padding, "padding", "ConvTranspose2d")
        self.output_padding = pair(output_padding, "output_padding", "ConvTranspose2d")
        self.dilation = pair(dilation, "dilation", "ConvTranspose2d")
        self.weight = Parameter(creation.empty(in_channels, out_channels // groups, *self.kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.default_(self.weight, self.bias)

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        if input.ndim not in (3, 4):
            raise ShapeError(f"ConvTranspose2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape {input.shape}")
        output_padding = self.output_padding
        if output_size is not None:
            output_padding = output_padding_for("ConvTranspose2d", input.shape[-2:], output_size, self.kernel_size,
                                                self.stride, self.padding, self.dilation)
        return conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding, output_padding,
                                self.groups, self.dilation)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.output_padding != (0, 0):
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


def _single(value, name: str, op: str) -> tuple[int]:
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise ValueError(f"{op}: {name} must be an int or a 1-tuple, got {value!r}")
        return (int(value[0]),)
    return (int(value),)


class Conv1d(Module):
    """1-D convolution layer (see ``F.conv1d``); ``weight``: ``(out_channels, in_channels // groups, K)``,
    initialised as ``Conv2d``.

    >>> import minigrad as mg
    >>> from minigrad.nn.modules.conv_transpose import Conv1d
    >>> Conv1d(2, 4, kernel_size=3, padding=1)(mg.zeros(5, 2, 10)).shape
    (5, 4, 10)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", dtype=None) -> None:
        super().__init__()
        _check_config("Conv1d", in_channels, out_channels, groups, padding_mode)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _single(kernel_size, "kernel_size", "Conv1d")
        self.stride = _single(stride, "stride", "Conv1d")
        self.padding = padding if isinstance(padding, str) else _single(padding, "padding", "Conv1d")
        self.dilation = _single(dilation, "dilation", "Conv1d")
        self.weight = Parameter(creation.empty(out_channels, in_channels // groups, *self.kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.default_(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        padding = self.padding if isinstance(self.padding, str) else self.padding[0]
        return conv1d(input, self.weight, self.bias, self.stride[0], padding, self.dilation[0], self.groups)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,):
            text += f", padding={self.padding!r}"
        if self.dilation != (1,):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


class ConvTranspose1d(Module):
    """1-D transposed convolution layer (see ``F.conv_transpose1d``); ``weight``:
    ``(in_channels, out_channels // groups, K)``, initialised as ``ConvTranspose2d``.

    >>> import minigrad as mg
    >>> from minigrad.nn.modules.conv_transpose import ConvTranspose1d
    >>> ConvTranspose1d(2, 4, kernel_size=2, stride=2)(mg.zeros(5, 2, 10)).shape
    (5, 4, 20)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros", dtype=None) -> None:
        super().__init__()
        _check_config("ConvTranspose1d", in_channels, out_channels, groups, padding_mode)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _single(kernel_size, "kernel_size", "ConvTranspose1d")
        self.stride = _single(stride, "stride", "ConvTranspose1d")
        self.padding = _single(padding, "padding", "ConvTranspose1d")
        self.output_padding = _single(output_padding, "output_padding", "ConvTranspose1d")
        self.dilation = _single(dilation, "dilation", "ConvTranspose1d")
        self.weight = Parameter(creation.empty(in_channels, out_channels // groups, *self.kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.default_(self.weight, self.bias)

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        output_padding = self.output_padding[0]
        if output_size is not None:
            output_size = tuple(output_size)[-1:]
            output_padding = output_padding_for("ConvTranspose1d", (1,) + input.shape[-1:], (1,) + output_size,
                                                (1,) + self.kernel_size, (1,) + self.stride, (0,) + self.padding,
                                                (1,) + self.dilation)[1]
        return conv_transpose1d(input, self.weight, self.bias, self.stride[0], self.padding[0], output_padding,
                                self.groups, self.dilation[0])

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,):
            text += f", padding={self.padding}"
        if self.output_padding != (0,):
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text
