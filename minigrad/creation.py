"""Factories: ``tensor``, ``zeros``, ``ones``, ``full``, ``arange``, ``randn``, ``rand`` and friends.

Sizes may be given as separate numbers or as one tuple: ``mg.zeros(2, 3) == mg.zeros((2, 3))``.
Random factories draw from minigrad's generator (see ``mg.manual_seed``).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad import _dtype
from minigrad.random import default_generator
from minigrad.tensor import Tensor, _to_array


def _size(size: tuple) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    return tuple(int(s) for s in size)


def _new(array: np.ndarray, requires_grad: bool) -> Tensor:
    return Tensor(array, requires_grad=requires_grad)


def tensor(data: Any, requires_grad: bool = False, dtype=None) -> Tensor:
    """A new Tensor holding a copy of ``data``.

    Python numbers and lists become the default dtype (float32); numpy arrays keep theirs.

    >>> import minigrad as mg
    >>> mg.tensor([1, 2]).dtype, mg.tensor(np.arange(2)).dtype
    (dtype('float32'), dtype('int64'))
    """
    if not isinstance(requires_grad, bool) and dtype is None:
        requires_grad, dtype = False, requires_grad  # tolerate mg.tensor(data, dtype)
    return _new(np.array(_to_array(data, dtype), copy=True), requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A Tensor that shares memory with ``array``."""
    return Tensor(array)


def zeros(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(np.zeros(_size(size), dtype=dtype or _dtype.get_default_dtype()), requires_grad)


def ones(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(np.ones(_size(size), dtype=dtype or _dtype.get_default_dtype()), requires_grad)


def empty(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(np.empty(_size(size), dtype=dtype or _dtype.get_default_dtype()), requires_grad)


def _scalar_dtype(value) -> np.dtype:
    if isinstance(value, (bool, np.bool_)):
        return _dtype.bool_
    if isinstance(value, (int, np.integer)):
        return _dtype.int64
    return _dtype.get_default_dtype()


def full(size, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (int64 for ints, as in PyTorch)."""
    size = (size,) if isinstance(size, (int, np.integer)) else tuple(size)
    return _new(np.full(size, fill_value, dtype=dtype or _scalar_dtype(fill_value)), requires_grad)


def zeros_like(x: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(np.zeros(x.shape, dtype=dtype or x.dtype), requires_grad)


def ones_like(x: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(np.ones(x.shape, dtype=dtype or x.dtype), requires_grad)


def full_like(x: Tensor, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(np.full(x.shape, fill_value, dtype=dtype or x.dtype), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad: bool = False) -> Tensor:
    """``[start, end)`` in steps of ``step``; int64 for integer arguments, else the default dtype."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        integral = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = _dtype.int64 if integral else _dtype.get_default_dtype()
    return _new(np.arange(start, end, step).astype(dtype), requires_grad)


def linspace(start: float, end: float, steps: int, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(np.linspace(start, end, steps).astype(dtype or _dtype.get_default_dtype()), requires_grad)


def eye(n: int, m: int | None = None, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(np.eye(n, m, dtype=dtype or _dtype.get_default_dtype()), requires_grad)


def randn(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from minigrad's generator."""
    dtype = np.dtype(dtype or _dtype.get_default_dtype())
    return _new(default_generator().standard_normal(_size(size), dtype=dtype), requires_grad)


def rand(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in ``[0, 1)`` from minigrad's generator."""
    dtype = np.dtype(dtype or _dtype.get_default_dtype())
    return _new(default_generator().random(_size(size), dtype=dtype), requires_grad)


def randint(low: int, high: int | None = None, size=(), dtype=None) -> Tensor:
    """Integers in ``[low, high)`` (int64) from minigrad's generator."""
    if high is None:
        low, high = 0, low
    return Tensor(default_generator().integers(low, high, size=tuple(size)).astype(dtype or _dtype.int64))
