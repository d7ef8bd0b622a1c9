"""Resizing and padding layers: ``Upsample``, the ``*Pad2d`` layers,
``AdaptiveMaxPool2d``. Each checks its configuration once in ``__init__`` (with the functional
op's own check) and its ``forward`` is one call of the functional op."""
from __future__ import annotations

from minigrad.nn.functional.pooling import adaptive_max_pool2d, adaptive_output_size
from minigrad.nn.functional.resize import check_resize, interpolate, pad
from minigrad.nn.modules.module import Module
from minigrad.tensor import Tensor


class Upsample(Module):
    """Resize to ``size`` or by ``scale_factor`` (see ``F.interpolate``).

    >>> import minigrad as mg
    >>> from minigrad.nn.modules.resize import Upsample
    >>> Upsample(scale_factor=2, mode="bilinear")(mg.zeros(1, 3, 4, 5)).shape
    (1, 3, 8, 10)
    """

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest", align_corners: bool | None = None,
                 recompute_scale_factor: bool | None = None) -> None:
        super().__init__()
        check_resize(size, scale_factor, mode, align_corners, recompute_scale_factor)
        self.size = size
        self.scale_factor = (tuple(float(s) for s in scale_factor) if isinstance(scale_factor, (tuple, list))
                             else float(scale_factor) if scale_factor is not None else None)
        self.mode, self.align_corners, self.recompute_scale_factor = mode, align_corners, recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        what = f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None else f"size={self.size!r}"
        return f"{what}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """``Upsample(mode="nearest")``."""

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """``Upsample(mode="bilinear", align_corners=True)``."""

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


def _four(padding, name: str) -> tuple[int, int, int, int]:
    if isinstance(padding, int):
        return (padding,) * 4
    if isinstance(padding, (tuple, list)) and len(padding) == 4:
        return tuple(int(p) for p in padding)
    raise ValueError(f"{name}: padding must be an int or a 4-tuple (left, right, top, bottom), got {padding!r}")


class _Pad2d(Module):
    mode = "constant"

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = _four(padding, type(self).__name__)

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ConstantPad2d(_Pad2d):
    """Pad the last two dims with ``value``: ``padding`` is an int or ``(left, right, top, bottom)``.

    >>> import minigrad as mg
    >>> from minigrad.nn.modules.resize import ConstantPad2d
    >>> ConstantPad2d((1, 0, 0, 1), 7.0)(mg.zeros(1, 1, 1, 1))[0, 0].tolist()
    [[7.0, 0.0], [7.0, 7.0]]
    """

    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ZeroPad2d(ConstantPad2d):
    """Pad the last two dims with zeros (``ConstantPad2d(padding, 0.0)``)."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad2d(_Pad2d):
    """Pad the last two dims with their mirror image (the edge not repeated); pads must be
    smaller than the size.

    >>> import minigrad as mg
    >>> from minigrad.nn.modules.resize import ReflectionPad2d
    >>> ReflectionPad2d((2, 0, 0, 0))(mg.tensor([[[[1.0, 2.0, 3.0]]]])).tolist()
    [[[[3.0, 2.0, 1.0, 2.0, 3.0]]]]
    """

    mode = "reflect"


class ReplicationPad2d(_Pad2d):
    """Pad the last two dims by repeating the edge pixels."""

    mode = "replicate"


class CircularPad2d(_Pad2d):
    """Pad the last two dims by wrapping around (a torus)."""

    mode = "circular"


class AdaptiveMaxPool2d(Module):
    """Max pooling to a fixed output size, whatever the input size (see ``F.adaptive_max_pool2d``)."""

    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__()
        adaptive_output_size("AdaptiveMaxPool2d", output_size)
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input: Tensor):
        return adaptive_max_pool2d(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
