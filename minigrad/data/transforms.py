"""Transforms for image arrays of shape ``(..., C, H, W)``: one image or a whole batch.

Each transform is a callable; ``batched = True`` tells the datasets that it may be applied to a
whole batch at once (one numpy operation instead of a loop over samples).
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np


class Compose:
    """Apply transforms in order."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        self.transforms = list(transforms)
        self.batched = all(getattr(t, "batched", False) for t in self.transforms)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        for transform in self.transforms:
            x = transform(x)
        return x

    def __repr__(self) -> str:
        return "Compose(" + ", ".join(repr(t) for t in self.transforms) + ")"


class Normalize:
    """``(x - mean) / std`` per channel (Fashion-MNIST: mean 0.2860, std 0.3530).

    >>> Normalize(0.5, 0.5)(np.ones((1, 2, 2), dtype=np.float32)).tolist()
    [[[1.0, 1.0], [1.0, 1.0]]]
    """

    batched = True

    def __init__(self, mean, std) -> None:
        self.mean = np.asarray(mean, dtype=np.float32).reshape(-1, 1, 1)
        self.std = np.asarray(std, dtype=np.float32).reshape(-1, 1, 1)
        if np.any(self.std == 0):
            raise ValueError("Normalize: std must not be zero")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.std).astype(x.dtype, copy=False)

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.ravel().tolist()}, std={self.std.ravel().tolist()})"


class Pad:
    """Pad the two spatial dimensions by ``padding`` pixels (an int, or (left/right, top/bottom))."""

    batched = True

    def __init__(self, padding, fill: float = 0.0) -> None:
        if isinstance(padding, int):
            padding = (padding, padding)
        self.padding, self.fill = tuple(padding), fill

    def __call__(self, x: np.ndarray) -> np.ndarray:
        horizontal, vertical = self.padding
        widths = [(0, 0)] * (x.ndim - 2) + [(vertical, vertical), (horizontal, horizontal)]
        return np.pad(x, widths, constant_values=self.fill)

    def __repr__(self) -> str:
        return f"Pad(padding={self.padding}, fill={self.fill})"


class Resize:
    """Nearest-neighbour resize of the two spatial dimensions to ``size`` (an int or (H, W))."""

    batched = True

    def __init__(self, size) -> None:
        self.size = (size, size) if isinstance(size, int) else tuple(size)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        h, w = x.shape[-2:]
        rows = (np.arange(self.size[0]) * h // self.size[0])
        cols = (np.arange(self.size[1]) * w // self.size[1])
        return x[..., rows[:, None], cols[None, :]]

    def __repr__(self) -> str:
        return f"Resize(size={self.size})"


class RepeatChannels:
    """Repeat a single channel ``channels`` times (greyscale to RGB for ImageNet-style models)."""

    batched = True

    def __init__(self, channels: int = 3) -> None:
        self.channels = channels

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return np.repeat(x, self.channels, axis=-3)

    def __repr__(self) -> str:
        return f"RepeatChannels({self.channels})"
