"""Sliding-window geometry shared by convolution, im2col/col2im and pooling.

A window of ``kernel`` taps, ``dilation`` apart, slides over a zero- (or -inf-) padded input in
steps of ``stride``. For an input of size ``H`` the number of positions is PyTorch's

    out = floor((H + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1

The book this project comes from prefers an error when the windows do not tile the input
exactly; ``mg.set_output_size_policy("error" | "warn" | "floor")`` chooses (floor is PyTorch's
behaviour and the default).
"""
from __future__ import annotations

import os
import sys
import warnings
from dataclasses import dataclass

import numpy as np

from minigrad.errors import ShapeError

_POLICIES = ("floor", "warn", "error")


class _Policy:
    value = "floor"
    warned: set = set()


def set_output_size_policy(policy: str) -> None:
    """What to do when a window does not tile its input exactly.

    * ``"floor"`` (default, as PyTorch): drop the rows and columns that no window reaches;
    * ``"warn"``: do the same, with a warning once per call site;
    * ``"error"``: raise, naming the op, the size, kernel, stride, padding and the nearest
      padding that tiles exactly.
    """
    if policy not in _POLICIES:
        raise ValueError(f"set_output_size_policy: policy must be one of {_POLICIES}, got {policy!r}")
    _Policy.value = policy
    _Policy.warned = set()


def get_output_size_policy() -> str:
    return _Policy.value


def pair(value, name: str, op: str) -> tuple[int, int]:
    """``3`` -> ``(3, 3)``; ``(3, 5)`` stays; anything else is an error naming the argument."""
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, (int, np.integer)) for v in value):
        return int(value[0]), int(value[1])
    raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")


def single(value, name: str, op: str) -> tuple[int]:
    """``3`` -> ``(3,)``; ``(3,)`` stays: the 1-D ops' counterpart of ``pair``."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),)
    raise ValueError(f"{op}: {name} must be an int or a 1-tuple, got {value!r}")


def check_window(op: str, kernel: tuple, stride: tuple, padding: tuple, dilation: tuple) -> None:
    """What every sliding window needs, whatever its input: positive kernel, stride and
    dilation, non-negative padding. Conv and pooling layers check their configuration with it
    in ``__init__``; the functional ops, through ``make_window``, at every call."""
    if min(kernel) <= 0:
        raise ShapeError(f"{op}: kernel_size must be positive, got {kernel}")
    if min(stride) <= 0:
        raise ShapeError(f"{op}: stride must be positive, got {stride}")
    if min(dilation) <= 0:
        raise ShapeError(f"{op}: dilation must be positive, got {dilation}")
    if min(padding) < 0:
        raise ShapeError(f"{op}: padding must be non-negative, got {padding}")


def check_conv_padding(op: str, padding, stride: tuple) -> None:
    """A convolution's ``padding`` is a size, ``"valid"`` (none) or ``"same"`` (the output keeps
    the input's size, which a stride larger than 1 cannot)."""
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueError(f"{op}: padding must be 'valid', 'same', an int or a tuple of ints, got {padding!r}")
        if padding == "same" and any(s != 1 for s in stride):
            raise ShapeError(f"{op}: padding='same' is not supported for strided convolutions")


@dataclass(frozen=True)
class Window:
    """Where the windows of one conv or pooling call sit, in padded coordinates."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    padding: tuple[int, int, int, int]  # top, bottom, left, right: the pads actually needed
    input_hw: tuple[int, int]
    output_hw: tuple[int, int]

    @property
    def padded_hw(self) -> tuple[int, int]:
        top, bottom, left, right = self.padding
        return self.input_hw[0] + top + bottom, self.input_hw[1] + left + right

    def offset(self, i: int, j: int) -> tuple[slice, slice]:
        """The (rows, columns) read by kernel tap ``(i, j)`` across all output positions."""
        (sh, sw), (dh, dw), (oh, ow) = self.stride, self.dilation, self.output_hw
        return (slice(i * dh, i * dh + (oh - 1) * sh + 1, sh), slice(j * dw, j * dw + (ow - 1) * sw + 1, sw))

    def taps(self):
        """``(k, i, j)`` for every kernel tap, row-major (the order PyTorch scans a window)."""
        kh, kw = self.kernel
        for i in range(kh):
            for j in range(kw):
                yield i * kw + j, i, j

    def pad(self, x: np.ndarray, value: float = 0.0) -> np.ndarray:
        """``x`` (..., H, W) padded as the windows need (``x`` itself when no padding is needed),
        in ``x``'s memory order."""
        top, bottom, left, right = self.padding
        if not (top or bottom or left or right):
            return x
        h, w = self.input_hw
        out = np.full_like(x, value, shape=x.shape[:-2] + self.padded_hw)
        out[..., top:top + h, left:left + w] = x
        return out

    def crop(self, x_padded: np.ndarray) -> np.ndarray:
        """The inverse of :meth:`pad`: the input-sized part of a padded array (a view)."""
        top, _, left, _ = self.padding
        h, w = self.input_hw
        return x_padded[..., top:top + h, left:left + w]


def output_size(size: int, kernel: int, stride: int, padding: int, dilation: int = 1, ceil_mode: bool = False) -> int:
    """PyTorch's output length; with ``ceil_mode`` a last partial window is kept unless it
    would start inside the right padding."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    if ceil_mode:
        out = -(-span // stride) + 1
        if (out - 1) * stride >= size + padding:
            out -= 1
        return out
    return span // stride + 1


def _check_tiling(op: str, size: int, kernel: int, stride: int, padding: int, dilation: int, axis: str) -> None:
    policy = _Policy.value
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    if policy == "floor" or span < 0 or span % stride == 0:
        return
    nearest = [p for p in range(0, padding + stride + 1) if (size + 2 * p - dilation * (kernel - 1) - 1) % stride == 0]
    hint = (
        f"padding={min(nearest, key=lambda p: (abs(p - padding), p))} tiles it exactly"
        if nearest else f"no padding tiles it exactly with stride {stride}; change the input size or kernel"
    )
    message = (
        f"{op}: the windows do not tile the input {axis} exactly: size {size}, kernel {kernel}, "
        f"stride {stride}, padding {padding}, dilation {dilation} leave {span % stride} "
        f"row(s)/column(s) unused (the output size is rounded down); {hint}"
    )
    if policy == "error":
        raise ShapeError(message)
    frame = _caller_outside_minigrad()
    key = (frame.f_code.co_filename, frame.f_lineno) if frame else None
    if key not in _Policy.warned:
        _Policy.warned.add(key)
        if frame is None:
            warnings.warn(message, UserWarning, stacklevel=3)
        else:
            warnings.warn_explicit(message, UserWarning, frame.f_code.co_filename, frame.f_lineno)


def _caller_outside_minigrad():
    package = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    frame = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package + os.sep):
        frame = frame.f_back
    return frame


def make_window(op: str, input_hw: tuple[int, int], kernel, stride, padding, dilation,
                ceil_mode: bool = False, channels_shape: tuple = ()) -> Window:
    """Validate the arguments of a conv or pooling call and compute its geometry.

    ``padding`` is ``(ph, pw)`` or the four sides ``(top, bottom, left, right)``.
    """
    check_window(op, kernel, stride, padding, dilation)
    h, w = input_hw
    kh, kw = kernel
    top, bottom, left, right = padding if len(padding) == 4 else (padding[0], padding[0], padding[1], padding[1])
    eff_h, eff_w = dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1
    shape_text = f"input shape {channels_shape + (h, w)}" if channels_shape else f"input size {(h, w)}"
    if eff_h > h + top + bottom or eff_w > w + left + right:
        would_be = ((h + top + bottom - eff_h) // stride[0] + 1, (w + left + right - eff_w) // stride[1] + 1)
        raise ShapeError(
            f"{op}: kernel size ({kh}, {kw}) (dilated to ({eff_h}, {eff_w})) is larger than the padded "
            f"input ({h + top + bottom}, {w + left + right}) ({shape_text}, padding {padding}), so the "
            f"output size would be {would_be}, not positive; use a smaller kernel or more padding, "
            "or a larger input"
        )
    if ceil_mode:
        oh = output_size(h, kh, stride[0], top, dilation[0], True)
        ow = output_size(w, kw, stride[1], left, dilation[1], True)
    else:
        oh = (h + top + bottom - eff_h) // stride[0] + 1
        ow = (w + left + right - eff_w) // stride[1] + 1
    if not ceil_mode and top == bottom and left == right:
        _check_tiling(op, h, kh, stride[0], top, dilation[0], "height")
        _check_tiling(op, w, kw, stride[1], left, dilation[1], "width")
    # pads actually reached by a window (ceil_mode may reach past the requested padding)
    pad_bottom = max(0, (oh - 1) * stride[0] + eff_h - top - h)
    pad_right = max(0, (ow - 1) * stride[1] + eff_w - left - w)
    return Window((kh, kw), tuple(stride), tuple(dilation), (top, pad_bottom, left, pad_right), (h, w), (oh, ow))
