"""Pictures (needs matplotlib: ``pip install "minigrad[plot]"``): the first-layer filters, as in
the book's "CNN visualisation", and training curves."""
from __future__ import annotations

import math
import os

import numpy as np


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ImportError('plotting needs matplotlib: pip install "minigrad[plot]" (or pip install matplotlib)') from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def filter_grid(weight: np.ndarray, padding: int = 1) -> np.ndarray:
    """Tile conv filters ``(O, C, KH, KW)`` into one image (each filter scaled to [0, 1]).

    One input channel gives a greyscale grid ``(H, W)``; three give an RGB grid ``(H, W, 3)``;
    other counts show channel 0.
    """
    weight = np.asarray(weight, dtype=np.float64)
    out_channels, channels, kh, kw = weight.shape
    filters = weight.transpose(0, 2, 3, 1) if channels == 3 else weight[:, :1].transpose(0, 2, 3, 1)
    low = filters.min(axis=(1, 2, 3), keepdims=True)
    high = filters.max(axis=(1, 2, 3), keepdims=True)
    filters = (filters - low) / np.where(high > low, high - low, 1)
    columns = math.ceil(math.sqrt(out_channels))
    rows = math.ceil(out_channels / columns)
    grid = np.ones((rows * (kh + padding) + padding, columns * (kw + padding) + padding, filters.shape[-1]))
    for index, image in enumerate(filters):
        r, c = divmod(index, columns)
        top, left = padding + r * (kh + padding), padding + c * (kw + padding)
        grid[top:top + kh, left:left + kw] = image
    return grid[..., 0] if grid.shape[-1] == 1 else grid


def _show_grid(axis, weight, title: str) -> None:
    grid = filter_grid(np.asarray(weight))
    axis.imshow(grid, cmap="gray" if grid.ndim == 2 else None, interpolation="nearest", vmin=0, vmax=1)
    axis.set_title(title, fontsize=9)
    axis.axis("off")


def save_filters(weight, path: str | os.PathLike, title: str = "first-layer filters") -> None:
    """Write a PNG of the filter grid (white = large weight, as in the book's pictures)."""
    plt = _pyplot()
    rows, columns = filter_grid(np.asarray(weight)).shape[:2]
    figure, axis = plt.subplots(figsize=(max(3, columns / 6), max(3, rows / 6) + 0.4), dpi=100)
    _show_grid(axis, weight, title)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def save_filter_comparison(before, after, path: str | os.PathLike) -> None:
    """Filters before and after training, side by side, in one PNG."""
    plt = _pyplot()
    figure, axes = plt.subplots(1, 2, figsize=(6, 3.2), dpi=100)
    for axis, weight, title in zip(axes, (before, after), ("before training", "after training")):
        _show_grid(axis, weight, title)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def save_history(history: dict, path: str | os.PathLike) -> None:
    """Training curves: loss and accuracy per epoch (train and, when present, test)."""
    plt = _pyplot()
    epochs = history["epoch"]
    figure, (loss_axis, accuracy_axis) = plt.subplots(1, 2, figsize=(8, 3.2), dpi=100)
    for split in ("train", "test"):
        if history.get(f"{split}_loss"):
            loss_axis.plot(epochs, history[f"{split}_loss"], marker="o", label=split)
            accuracy_axis.plot(epochs, history[f"{split}_accuracy"], marker="o", label=split)
    loss_axis.set(xlabel="epoch", ylabel="loss", title="loss")
    accuracy_axis.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    for axis in (loss_axis, accuracy_axis):
        axis.grid(alpha=0.3)
        axis.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
