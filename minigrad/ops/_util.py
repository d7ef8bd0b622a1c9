"""Helpers shared by the ops: argument checks and ``dim`` and shape parsing."""
from __future__ import annotations

import numbers

import numpy as np


def is_scalar(x) -> bool:
    """Python numbers and numpy scalars are "weak": they never change a tensor's dtype."""
    return isinstance(x, (numbers.Number, np.generic)) and not isinstance(x, np.ndarray)


def check_real(value, op: str) -> None:
    """Refuse a complex number or array: a complex result would silently leave the graph."""
    if np.iscomplexobj(value):
        raise TypeError(
            f"{op}: can't take a complex operand ({type(value).__name__}); minigrad tensors hold bool, "
            "integer or floating-point numbers"
        )


def normalize_dims(dim, ndim: int, op: str) -> tuple[int, ...]:
    """``dim`` (None, an int or a tuple, negatives allowed) as a sorted tuple of axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    rank = max(ndim, 1)
    axes = []
    for d in dims:
        if not isinstance(d, (int, np.integer)):
            raise TypeError(f"{op}: dim must be an int or a tuple of ints, got {dim!r}")
        if not -rank <= d < rank:
            raise IndexError(
                f"{op}: dimension out of range (expected to be in range of [{-rank}, {rank - 1}], "
                f"but got {d})"
            )
        axes.append(int(d) % rank)
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"{op}: dim {dim!r} appears multiple times in the list of dims")
    return tuple(sorted(axes)) if ndim else ()


def normalize_dim(dim: int, ndim: int, op: str) -> int:
    """One dimension index, negatives allowed."""
    rank = max(ndim, 1)
    if not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    if not -rank <= dim < rank:
        raise IndexError(
            f"{op}: dimension out of range (expected to be in range of [{-rank}, {rank - 1}], but got {dim})"
        )
    return int(dim) % rank


def shape_arg(shape: tuple) -> tuple:
    """Accept both ``f(2, 3)`` and ``f((2, 3))``."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)
