"""``ConvTranspose2d`` (learnable upsampling) and the 1-D layers ``Conv1d``, ``ConvTranspose1d``."""
from __future__ import annotations

from minigrad.nn.functional.conv_transpose import conv1d, conv_transpose1d, conv_transpose2d
from minigrad.nn.modules.conv import _ConvNd
from minigrad.tensor import Tensor


class ConvTranspose2d(_ConvNd):
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
        super().__init__("ConvTranspose2d", 2, in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, dtype, transposed=True, output_padding=output_padding)

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        output_padding = self._output_padding("conv_transpose2d", input, output_size)
        return conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding, output_padding, self.groups,
                                self.dilation)


class Conv1d(_ConvNd):
    """1-D convolution layer (see ``F.conv1d``); ``weight``: ``(out_channels, in_channels // groups, K)``,
    initialised as ``Conv2d``.

    >>> import minigrad as mg
    >>> from minigrad.nn.modules.conv_transpose import Conv1d
    >>> Conv1d(2, 4, kernel_size=3, padding=1)(mg.zeros(5, 2, 10)).shape
    (5, 4, 10)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", dtype=None) -> None:
        super().__init__("Conv1d", 1, in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                         bias, padding_mode, dtype)

    def forward(self, input: Tensor) -> Tensor:
        return conv1d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class ConvTranspose1d(_ConvNd):
    """1-D transposed convolution layer (see ``F.conv_transpose1d``); ``weight``:
    ``(in_channels, out_channels // groups, K)``, initialised as ``ConvTranspose2d``.

    >>> import minigrad as mg
    >>> from minigrad.nn.modules.conv_transpose import ConvTranspose1d
    >>> ConvTranspose1d(2, 4, kernel_size=2, stride=2)(mg.zeros(5, 2, 10)).shape
    (5, 4, 20)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros", dtype=None) -> None:
        super().__init__("ConvTranspose1d", 1, in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, dtype, transposed=True, output_padding=output_padding)

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        output_padding = self._output_padding("conv_transpose1d", input, output_size)
        return conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding, output_padding, self.groups,
                                self.dilation)
