"""dtypes and PyTorch's type-promotion rules.

minigrad's dtypes are plain ``numpy.dtype`` objects, so ``t.dtype == np.float32`` and
``t.dtype == mg.float32`` both hold.  Promotion follows PyTorch, not numpy: an integer tensor
combined with a float32 tensor gives float32 (numpy would give float64), and a Python float never
turns a float32 tensor into float64.
"""
from __future__ import annotations

import numpy as np

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
uint8 = np.dtype(np.uint8)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)

half, double, long = float16, float64, int64

_default_dtype = float32


def set_default_dtype(dtype) -> None:
    """Set the dtype that Python numbers, lists and the random factories produce.

    Only floating dtypes are allowed, as in PyTorch::

        mg.set_default_dtype(mg.float64)   # e.g. for gradient checks
    """
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype not in (float32, float64):
        raise TypeError(f"set_default_dtype: only float32 and float64 are supported, got {dtype}")
    _default_dtype = dtype


def get_default_dtype() -> np.dtype:
    """The dtype used for Python numbers and lists (float32 unless changed)."""
    return _default_dtype


def as_dtype(dtype) -> np.dtype:
    """``dtype`` (``mg.float32``, ``np.int64``, ``"float64"``, ``float``, ...) as a numpy dtype."""
    if isinstance(dtype, np.dtype):
        return dtype
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{dtype!r} is not a dtype; use e.g. minigrad.float32 or minigrad.int64") from None


def is_floating(dtype) -> bool:
    return np.dtype(dtype).kind == "f"


def category(dtype: np.dtype) -> int:
    # bool < integer < floating, as in PyTorch's promotion lattice
    return {"b": 0, "u": 1, "i": 1, "f": 2}.get(dtype.kind, 3)


def result_type(a_dtype: np.dtype, a_ndim: int, b_dtype: np.dtype, b_ndim: int) -> np.dtype:
    """The dtype of a binary op between two tensors, by PyTorch's rules.

    A zero-dimensional tensor decides the result only when it is of a higher category
    (bool < int < float) than the dimensioned one, so ``float32[3] + float64[]`` is float32.
    """
    if a_dtype == b_dtype:
        return a_dtype
    ca, cb = category(a_dtype), category(b_dtype)
    if a_ndim == 0 and b_ndim > 0 and ca <= cb:
        return b_dtype
    if b_ndim == 0 and a_ndim > 0 and cb <= ca:
        return a_dtype
    if ca != cb:
        return a_dtype if ca > cb else b_dtype
    return np.promote_types(a_dtype, b_dtype)


def scalar_result_type(tensor_dtype: np.dtype, scalar) -> np.dtype:
    """The dtype of an op between a tensor and a Python number (PyTorch's "weak" scalars)."""
    if isinstance(scalar, (bool, np.bool_)):
        return tensor_dtype
    if isinstance(scalar, (int, np.integer)):
        return tensor_dtype if category(tensor_dtype) >= 1 else int64
    if isinstance(scalar, (float, np.floating)):
        return tensor_dtype if tensor_dtype.kind == "f" else _default_dtype
    raise TypeError(f"unsupported scalar type {type(scalar).__name__}")
