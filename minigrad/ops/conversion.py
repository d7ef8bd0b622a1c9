"""dtype changes: ``cast``, and the operands of a binary op in the dtype PyTorch computes in."""
from __future__ import annotations

import numpy as np

from minigrad import _dtype
from minigrad.autograd.function import Function
from minigrad.ops._util import check_real, is_scalar
from minigrad.tensor import Tensor


class Cast(Function):
    @staticmethod
    def forward(ctx, x, dtype):
        ctx.input_dtype = x.dtype
        return x._data.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad.to(ctx.input_dtype)


def cast(x: Tensor, dtype) -> Tensor:
    """``x`` converted to ``dtype`` (a copy); gradients flow between floating dtypes."""
    dtype = np.dtype(dtype)
    if x.dtype == dtype:
        return x
    if dtype.kind != "f":
        return Tensor._make(x._data.astype(dtype))
    return Cast.apply(x, dtype=dtype)


def cast_to(t: Tensor, dtype: np.dtype) -> Tensor:
    """``t`` itself when it has ``dtype`` already, else its cast."""
    if t.dtype == dtype:
        return t
    return cast(t, dtype)


def to_floating(x: Tensor, op: str) -> Tensor:
    """``x`` itself when floating, else cast to the default dtype (integers and bools)."""
    if x.dtype.kind == "f":
        return x
    if x.dtype.kind in "iub":
        return cast_to(x, _dtype.get_default_dtype())
    raise TypeError(f"{op}: unsupported dtype {x.dtype}")


def binary_operands(a, b, op: str) -> tuple[Tensor, Tensor]:
    """Both operands as Tensors of the dtype PyTorch would compute in."""
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        dtype = _dtype.result_type(a.dtype, a.ndim, b.dtype, b.ndim)
    elif isinstance(a, Tensor):
        b, dtype = _other_operand(a, b, op)
    elif isinstance(b, Tensor):
        a, dtype = _other_operand(b, a, op)
    else:
        raise TypeError(f"{op}: expected at least one Tensor operand")
    return cast_to(a, dtype), cast_to(b, dtype)


def _other_operand(tensor: Tensor, other, op: str):
    check_real(other, op)
    if is_scalar(other):
        dtype = _dtype.scalar_result_type(tensor.dtype, other)
        return Tensor._make(np.asarray(other, dtype=dtype)), dtype
    try:
        other = Tensor(other)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{op}: unsupported operand of type {type(other).__name__}") from error
    return other, _dtype.result_type(tensor.dtype, tensor.ndim, other.dtype, other.ndim)
