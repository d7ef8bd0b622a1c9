"""Factories: ``tensor``, ``zeros``, ``ones``, ``full``, ``arange``, ``randn``, ``rand`` and friends.

Sizes may be given as separate numbers or as one tuple: ``mg.zeros(2, 3) == mg.zeros((2, 3))``.
Random factories draw from minigrad's generator (see ``mg.manual_seed``).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad import _dtype
from minigrad.devices import check_device
from minigrad.generator import numpy_generator
from minigrad.tensor import Tensor, _to_array
from minigrad.threads import parallel_pass


def _size(size: tuple) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    return tuple(int(s) for s in size)


def _new(array: np.ndarray, requires_grad: bool, device=None) -> Tensor:
    check_device(device)
    return Tensor(array, requires_grad=requires_grad)


def tensor(data: Any, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A new Tensor holding a copy of ``data``, with PyTorch's dtype inference: Python floats
    become the default dtype (float32), ints int64 and bools bool; numpy arrays keep theirs.

    >>> import minigrad as mg
    >>> mg.tensor([1, 2]).dtype, mg.tensor([1.0, 2]).dtype, mg.tensor(True).dtype
    (dtype('int64'), dtype('float32'), dtype('bool'))
    """
    if isinstance(dtype, bool):
        dtype, requires_grad = None, dtype  # mg.tensor(data, True): the old positional order
    return _new(np.array(_to_array(data, dtype, infer=True), copy=True), requires_grad, device)


def as_tensor(data: Any, dtype=None, device=None) -> Tensor:
    """``data`` as a Tensor, sharing memory with a numpy array or Tensor of the same dtype."""
    check_device(device)
    if isinstance(data, Tensor) and (dtype is None or data.dtype == _dtype.as_dtype(dtype)):
        return data
    return Tensor(_to_array(data, dtype, infer=True))


def from_numpy(array: np.ndarray) -> Tensor:
    """A Tensor that shares memory with ``array``."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray (got {type(array).__name__})")
    return Tensor(array)


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _new(np.zeros(_size(size), dtype=_dtype.as_dtype(dtype or _dtype.get_default_dtype())), requires_grad, device)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _new(_ones(_size(size), _dtype.as_dtype(dtype or _dtype.get_default_dtype())), requires_grad, device)


def _ones(shape: tuple, dtype) -> np.ndarray:
    """``np.ones``, filled on all threads when large (``out.backward(ones_like(out))`` makes
    an activation-sized one)."""
    out = np.empty(shape, dtype=dtype)
    parallel_pass(_fill_ones, out)
    return out


def _fill_ones(out: np.ndarray) -> None:
    out.fill(1)


def empty(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _new(np.empty(_size(size), dtype=_dtype.as_dtype(dtype or _dtype.get_default_dtype())), requires_grad, device)


def _scalar_dtype(value) -> np.dtype:
    if isinstance(value, (bool, np.bool_)):
        return _dtype.bool_
    if isinstance(value, (int, np.integer)):
        return _dtype.int64
    return _dtype.get_default_dtype()


def full(size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (int64 for ints, as in PyTorch)."""
    size = (size,) if isinstance(size, (int, np.integer)) else tuple(size)
    return _new(np.full(size, fill_value, dtype=dtype or _scalar_dtype(fill_value)), requires_grad, device)


def zeros_like(x: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _new(np.zeros(x.shape, dtype=dtype or x.dtype), requires_grad, device)


def ones_like(x: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _new(_ones(x.shape, dtype or x.dtype), requires_grad, device)


def full_like(x: Tensor, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _new(np.full(x.shape, fill_value, dtype=dtype or x.dtype), requires_grad, device)


def empty_like(x: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _new(np.empty(x.shape, dtype=dtype or x.dtype), requires_grad, device)


def rand_like(x: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in ``[0, 1)`` with ``x``'s shape (and dtype, unless given)."""
    return rand(x.shape, dtype=dtype or x.dtype, device=device, requires_grad=requires_grad)


def randn_like(x: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples with ``x``'s shape (and dtype, unless given)."""
    return randn(x.shape, dtype=dtype or x.dtype, device=device, requires_grad=requires_grad)


def randint_like(x: Tensor, low: int, high: int | None = None, dtype=None, device=None) -> Tensor:
    return randint(low, high, x.shape, dtype=dtype or x.dtype, device=device)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``[start, end)`` in steps of ``step``; int64 for integer arguments, else the default dtype."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        integral = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = _dtype.int64 if integral else _dtype.get_default_dtype()
    return _new(np.arange(start, end, step).astype(dtype), requires_grad, device)


def linspace(start: float, end: float, steps: int, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _new(np.linspace(start, end, steps).astype(dtype or _dtype.get_default_dtype()), requires_grad, device)


def eye(n: int, m: int | None = None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _new(np.eye(n, m, dtype=dtype or _dtype.get_default_dtype()), requires_grad, device)


def _float_dtype(dtype, op: str) -> np.dtype:
    dtype = _dtype.as_dtype(dtype or _dtype.get_default_dtype())
    if dtype.kind != "f":
        raise TypeError(f"{op}: dtype must be a floating-point dtype (float16, float32 or float64), got {dtype}")
    return dtype


def randn(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from minigrad's generator (or ``generator``); float16 samples
    are float32 draws rounded, as numpy draws no half precision."""
    dtype = _float_dtype(dtype, "randn")
    draw_dtype = _dtype.float32 if dtype == _dtype.float16 else dtype
    values = numpy_generator(generator).standard_normal(_size(size), dtype=draw_dtype)
    return _new(values.astype(dtype, copy=False), requires_grad, device)


_HALF_BITS = 11  # float16 holds every k / 2**11 in [0, 1) exactly


def rand(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in ``[0, 1)`` from minigrad's generator (or ``generator``). float16
    samples are multiples of 2**-11, as in PyTorch, since rounding a float32 draw could give 1."""
    dtype = _float_dtype(dtype, "rand")
    rng = numpy_generator(generator)
    if dtype == _dtype.float16:
        values = (rng.integers(0, 2 ** _HALF_BITS, size=_size(size)) * 2.0 ** -_HALF_BITS).astype(dtype)
    else:
        values = rng.random(_size(size), dtype=dtype)
    return _new(values, requires_grad, device)


def randint(low: int, high: int | None = None, size=(), *, generator=None, dtype=None, device=None,
            requires_grad: bool = False) -> Tensor:
    """Integers in ``[low, high)`` (int64) from minigrad's generator (``randint(high, size)`` too)."""
    if isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if isinstance(size, (int, np.integer)):
        raise TypeError("randint: size must be a tuple of ints, e.g. size=(1,)")
    values = numpy_generator(generator).integers(low, high, size=tuple(size)).astype(dtype or _dtype.int64)
    return _new(values, requires_grad, device)


def randperm(n: int, *, generator=None, dtype=None, device=None) -> Tensor:
    """A random permutation of ``0..n-1`` (int64)."""
    return _new(numpy_generator(generator).permutation(n).astype(dtype or _dtype.int64), False, device)
