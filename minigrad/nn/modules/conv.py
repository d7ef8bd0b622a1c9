"""``Conv2d``: a learnable bank of filters applied with ``F.conv2d``."""
from __future__ import annotations

from minigrad import creation
from minigrad.errors import ShapeError
from minigrad.nn.modules.linear import check_sizes, reset_default
from minigrad.nn.functional import conv2d
from minigrad.nn.functional._window import pair
from minigrad.nn.modules.module import Module
from minigrad.nn.parameter import Parameter
from minigrad.tensor import Tensor


class Conv2d(Module):
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
        super().__init__()
        if padding_mode != "zeros":
            raise ValueError(f"Conv2d: only padding_mode='zeros' is supported, got {padding_mode!r}")
        check_sizes("Conv2d", in_channels=in_channels, out_channels=out_channels, groups=groups)
        if groups <= 0:
            raise ValueError(f"Conv2d: groups must be a positive integer, got {groups}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"Conv2d: in_channels ({in_channels}) and out_channels ({out_channels}) must be divisible by groups ({groups})")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = pair(kernel_size, "kernel_size", "Conv2d")
        self.stride = pair(stride, "stride", "Conv2d")
        self.padding = padding if isinstance(padding, str) else pair(padding, "padding", "Conv2d")
        self.dilation = pair(dilation, "dilation", "Conv2d")
        self.weight = Parameter(creation.empty(out_channels, in_channels // groups, *self.kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        reset_default(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (3, 4):
            raise ShapeError(f"expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape {input.shape}")
        if input.shape[-3] != self.in_channels:
            raise ShapeError(f"expected {self.in_channels} input channels, got {input.shape[-3]} (input shape {input.shape})")
        return conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding!r}" if isinstance(self.padding, str) else f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text
