"""``Conv2d``: a learnable bank of filters applied with ``F.conv2d``."""
from __future__ import annotations

from minigrad import creation
from minigrad.nn.functional import conv2d
from minigrad.nn.functional._checks import check_groups
from minigrad.nn.functional._window import check_conv_padding, check_window, pair, single
from minigrad.nn.functional.conv_transpose import check_transposed, output_padding_for
from minigrad.nn.modules.linear import check_sizes, reset_default
from minigrad.nn.modules.module import Module
from minigrad.nn.parameter import Parameter
from minigrad.tensor import Tensor


class _ConvNd(Module):
    """What every convolution layer shares, as PyTorch's ``_ConvNd``: the configuration, checked
    once; the weight, ``(out_channels, in_channels // groups, *kernel)`` or, transposed,
    ``(in_channels, out_channels // groups, *kernel)``; the bias; PyTorch's initialisation (uniform
    in ``±1/sqrt(fan_in)``, fan_in from the weight's second dimension times the kernel); the repr."""

    def __init__(self, name: str, dims: int, in_channels: int, out_channels: int, kernel_size, stride, padding,
                 dilation, groups: int, bias: bool, padding_mode: str, dtype, transposed: bool = False,
                 output_padding=0) -> None:
        super().__init__()
        if padding_mode != "zeros":
            raise ValueError(f"{name}: only padding_mode='zeros' is supported, got {padding_mode!r}")
        check_sizes(name, in_channels=in_channels, out_channels=out_channels)
        check_groups(name, groups, in_channels=in_channels, out_channels=out_channels)
        as_tuple = pair if dims == 2 else single
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = as_tuple(kernel_size, "kernel_size", name)
        self.stride = as_tuple(stride, "stride", name)
        self.padding = padding if isinstance(padding, str) and not transposed else as_tuple(padding, "padding", name)
        self.dilation = as_tuple(dilation, "dilation", name)
        if transposed:
            self.output_padding = as_tuple(output_padding, "output_padding", name)
            check_transposed(name, self.kernel_size, self.stride, self.padding, self.output_padding, self.dilation)
        else:
            check_conv_padding(name, self.padding, self.stride)
            pads = (0,) * dims if isinstance(self.padding, str) else self.padding
            check_window(name, self.kernel_size, self.stride, pads, self.dilation)
        channels = (in_channels, out_channels // groups) if transposed else (out_channels, in_channels // groups)
        self.weight = Parameter(creation.empty(*channels, *self.kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        reset_default(self.weight, self.bias)

    def _output_padding(self, op: str, input: Tensor, output_size) -> tuple:
        """A transposed layer's ``output_padding``, or the one that gives ``output_size``."""
        if output_size is None:
            return self.output_padding
        return output_padding_for(op, input, output_size, self.kernel_size, self.stride, self.padding, self.dilation)

    def extra_repr(self) -> str:
        zeros, ones = (0,) * len(self.kernel_size), (1,) * len(self.kernel_size)
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != zeros:
            text += f", padding={self.padding}"  # 'same' unquoted, as PyTorch prints it
        if self.dilation != ones:
            text += f", dilation={self.dilation}"
        if getattr(self, "output_padding", zeros) != zeros:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


class Conv2d(_ConvNd):
    """2-D convolution layer. ``weight``: ``(out_channels, in_channels // groups, KH, KW)``.

    Initialised as in PyTorch: weight and bias uniform in ``±1/sqrt(fan_in)`` with
    ``fan_in = in_channels // groups * KH * KW``.

    >>> import minigrad as mg, minigrad.nn as nn
    >>> conv = nn.Conv2d(1, 6, kernel_size=5, padding=2)
    >>> conv(mg.zeros(8, 1, 28, 28)).shape
    (8, 6, 28, 28)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", dtype=None) -> None:
        super().__init__("Conv2d", 2, in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                         bias, padding_mode, dtype)

    def forward(self, input: Tensor) -> Tensor:
        return conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
