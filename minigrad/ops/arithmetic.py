"""Arithmetic with numpy broadcasting: ``+ - * / ** @``, negation, copies, comparisons.

A broadcast operand receives the gradient summed over the dimensions it was broadcast along
(``sum_to``, in ``broadcast.py``).
"""
from __future__ import annotations

import numpy as np

from minigrad import _dtype
from minigrad import threads
from minigrad.autograd.function import Function
from minigrad.autograd.grad_mode import grad_state
from minigrad.ops._util import check_real, is_scalar
from minigrad.ops.broadcast import sum_to
from minigrad.ops.conversion import binary_operands, cast_to
from minigrad.ops.indexing import where
from minigrad.ops.shape import Permute
from minigrad.ops.versions import bump
from minigrad.tensor import Tensor


# -- + - * / -------------------------------------------------------------------------------------
def _check_broadcast(a: Tensor, b: Tensor, op: str) -> None:
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise RuntimeError(
            f"{op}: shapes {a.shape} and {b.shape} cannot be broadcast together "
            "(trailing dimensions must be equal or 1)"
        ) from None


def _binary(function: type[Function], a, b, op: str) -> Tensor:
    a, b = binary_operands(a, b, op)
    _check_broadcast(a, b, op)
    return function.apply(a, b)


def write_out(out: Tensor, result: Tensor, op: str) -> Tensor:
    """Store ``result`` in ``out`` (the ``out=`` argument of an op), as PyTorch: no autograd."""
    if grad_state.enabled and (result.requires_grad or out.requires_grad):
        raise RuntimeError(
            f"{op}(): functions with out=... arguments don't support automatic differentiation, "
            "but one of the arguments requires grad; call it without out= (or under mg.no_grad())"
        )
    if out.shape != result.shape:
        out._data = result._data.astype(out.dtype, copy=False)  # resized, as PyTorch does
    else:
        out._data[...] = result._data
    bump(out)
    return out


class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = a.shape, b.shape
        return a._data + b._data

    @staticmethod
    def backward(ctx, grad):
        a_shape, b_shape = ctx.shapes
        return sum_to(grad, a_shape), sum_to(grad, b_shape)


def add(a, b, *, alpha=1, out: Tensor | None = None) -> Tensor:
    """``a + alpha * b`` with broadcasting."""
    result = _binary(Add, a, b if alpha == 1 else b * alpha, "add")
    return result if out is None else write_out(out, result, "add")


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = a.shape, b.shape
        return a._data - b._data

    @staticmethod
    def backward(ctx, grad):
        a_shape, b_shape = ctx.shapes
        return sum_to(grad, a_shape), sum_to(-grad, b_shape) if ctx.needs_input_grad[1] else None


def sub(a, b, *, alpha=1, out: Tensor | None = None) -> Tensor:
    """``a - alpha * b`` with broadcasting."""
    result = _binary(Sub, a, b if alpha == 1 else b * alpha, "sub")
    return result if out is None else write_out(out, result, "sub")


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        # each gradient needs only the other operand (so x.mul_(2) need not keep x's old value)
        needs_a, needs_b = ctx.needs_input_grad
        ctx.save_for_backward(a if needs_b else None, b if needs_a else None)
        ctx.shapes = a.shape, b.shape
        return a._data * b._data

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        grad_a = sum_to(grad * b, ctx.shapes[0]) if ctx.needs_input_grad[0] else None
        grad_b = sum_to(grad * a, ctx.shapes[1]) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


def mul(a, b, *, out: Tensor | None = None) -> Tensor:
    """``a * b`` with broadcasting."""
    result = _binary(Mul, a, b, "mul")
    return result if out is None else write_out(out, result, "mul")


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)
        ctx.shapes = a.shape, b.shape
        with np.errstate(divide="ignore", invalid="ignore"):
            return a._data / b._data

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        grad_a = sum_to(grad / b, ctx.shapes[0]) if ctx.needs_input_grad[0] else None
        grad_b = sum_to(-grad * a / (b * b), ctx.shapes[1]) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


def div(a, b, rounding_mode: str | None = None, *, out: Tensor | None = None) -> Tensor:
    """True division ``a / b``; integer operands give the default float dtype, as in PyTorch.

    ``rounding_mode="trunc"`` or ``"floor"`` rounds the quotient (keeping integer dtypes); the
    rounded result has zero gradient, as PyTorch's."""
    if out is not None:
        return write_out(out, div(a, b, rounding_mode), "div")
    if rounding_mode is not None:
        return _rounded_div(a, b, rounding_mode)
    a, b = binary_operands(a, b, "div")
    if a.dtype.kind != "f":
        a = cast_to(a, _dtype.get_default_dtype())
        b = cast_to(b, _dtype.get_default_dtype())
    _check_broadcast(a, b, "div")
    return Div.apply(a, b)


class RoundedDiv(Function):
    """``a / b`` rounded towards zero (``trunc``) or down (``floor``): piecewise constant, so its
    gradient is zero (it still belongs to the graph, as in PyTorch)."""

    @staticmethod
    def forward(ctx, a, b, rounding_mode):
        ctx.shapes = a.shape, b.shape
        with np.errstate(divide="ignore", invalid="ignore"):
            if a.dtype.kind in "iu":
                if np.any(b._data == 0):
                    raise ZeroDivisionError("div: integer division by zero")
                quotient = np.floor_divide(a._data, b._data)
                if rounding_mode == "trunc":
                    quotient = np.where((quotient < 0) & (quotient * b._data != a._data), quotient + 1, quotient)
            else:
                rounder = np.trunc if rounding_mode == "trunc" else np.floor
                quotient = rounder(a._data / b._data)
        return np.asarray(quotient, dtype=a.dtype)

    @staticmethod
    def backward(ctx, grad):
        a_shape, b_shape = ctx.shapes
        zero = grad * 0
        return sum_to(zero, a_shape), sum_to(zero, b_shape)


def _rounded_div(a, b, rounding_mode: str) -> Tensor:
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found {rounding_mode!r}")
    a, b = binary_operands(a, b, "div")
    _check_broadcast(a, b, "div")
    return RoundedDiv.apply(a, b, rounding_mode=rounding_mode)


def floor_divide(a, b) -> Tensor:
    """``a // b``: the quotient rounded down (integers stay integers), as PyTorch."""
    return div(a, b, rounding_mode="floor")


class Remainder(Function):
    """``a - b * floor(a / b)``: the sign of ``b``, as Python's ``%`` and PyTorch's ``remainder``."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b if ctx.needs_input_grad[1] else None)
        ctx.shapes = a.shape, b.shape
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.remainder(a._data, b._data)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        grad_a = sum_to(grad, ctx.shapes[0]) if ctx.needs_input_grad[0] else None
        grad_b = sum_to(-grad * floor_divide(a, b).detach(), ctx.shapes[1]) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


def remainder(a, b) -> Tensor:
    """``a % b``, with the sign of ``b``."""
    a, b = binary_operands(a, b, "remainder")
    if a.dtype.kind in "iu" and np.any(b._data == 0):
        raise ZeroDivisionError("remainder: integer division by zero")
    _check_broadcast(a, b, "remainder")
    return Remainder.apply(a, b)


class Neg(Function):
    @staticmethod
    def forward(ctx, x):
        return -x._data

    @staticmethod
    def backward(ctx, grad):
        return -grad


def neg(x: Tensor) -> Tensor:
    return Neg.apply(x)


# -- powers ---------------------------------------------------------------------------------------
class PowScalar(Function):
    @staticmethod
    def forward(ctx, x, exponent):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.power(x._data, exponent)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        exponent = ctx.exponent
        if exponent == 0:
            return grad * 0
        return grad * (x ** (exponent - 1) * exponent)


class Pow(Function):
    @staticmethod
    def forward(ctx, base, exponent):
        with np.errstate(divide="ignore", invalid="ignore"):
            result = np.power(base._data, exponent._data)
        ctx.save_for_backward(base, exponent, result)
        return result

    @staticmethod
    def backward(ctx, grad):
        base, exponent, result = ctx.saved_tensors
        grad_base = grad_exponent = None
        if ctx.needs_input_grad[0]:
            # PyTorch's rule: a zero exponent gets zero gradient, not 0 * inf
            slope = where(exponent == 0, 0.0, exponent * base ** (exponent - 1))
            grad_base = sum_to(grad * slope, base.shape)
        if ctx.needs_input_grad[1]:
            slope = where((base == 0) & (exponent >= 0), 0.0, result * base.log())
            grad_exponent = sum_to(grad * slope, exponent.shape)
        return grad_base, grad_exponent


def pow(base, exponent) -> Tensor:
    """``base ** exponent``; a number as exponent keeps the tensor's dtype."""
    if isinstance(base, Tensor) and is_scalar(exponent):
        check_real(exponent, "pow")
        dtype = _dtype.scalar_result_type(base.dtype, exponent)
        base = cast_to(base, dtype)
        if base.dtype.kind != "f" and exponent < 0:
            raise RuntimeError("pow: integers to negative integer powers are not allowed; use a float tensor")
        return PowScalar.apply(base, exponent=exponent)
    return _binary(Pow, base, exponent, "pow")


# -- matrix product -------------------------------------------------------------------------------
class MatMul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return threads.matmul(a._data, b._data)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ctx.release_saved()
        grad_a = sum_to(MatMul.apply(grad, _swap_last(b)), a.shape) if ctx.needs_input_grad[0] else None
        grad_b = sum_to(MatMul.apply(_swap_last(a), grad), b.shape) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


def _swap_last(x: Tensor) -> Tensor:
    """The transpose of the last two dimensions (a view: BLAS reads it without a copy)."""
    dims = tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2)
    return Permute.apply(x, dims=dims)


def matmul(a, b, *, out: Tensor | None = None) -> Tensor:
    """Matrix product with numpy's rules: 1-D operands are vectors, batch dimensions broadcast.

    >>> import minigrad as mg
    >>> (mg.ones(2, 3) @ mg.ones(3)).tolist()
    [3.0, 3.0]
    """
    if out is not None:
        return write_out(out, matmul(a, b), "matmul")
    a, b = binary_operands(a, b, "matmul")
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"matmul: both arguments need at least 1 dimension, got shapes {a.shape} and {b.shape}")
    if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
        raise RuntimeError(
            f"matmul: shapes {a.shape} and {b.shape} cannot be multiplied "
            f"({a.shape[-1]} != {b.shape[-2 if b.ndim > 1 else 0]})"
        )
    if a.ndim == 1 or b.ndim == 1:
        # vectors become 1-row / 1-column matrices and the extra dimension is removed afterwards
        a2 = a.unsqueeze(0) if a.ndim == 1 else a
        b2 = b.unsqueeze(-1) if b.ndim == 1 else b
        out = MatMul.apply(a2, b2)
        if b.ndim == 1:
            out = out.squeeze(-1)
        if a.ndim == 1:
            out = out.squeeze(-2 if b.ndim > 1 else -1)
        return out
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise RuntimeError(
            f"matmul: batch dimensions of {a.shape} and {b.shape} cannot be broadcast together"
        ) from None
    return MatMul.apply(a, b)


# -- copies ----------------------------------------------------------------------------------------
class Clone(Function):
    @staticmethod
    def forward(ctx, x):
        return x._data.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


def clone(x: Tensor) -> Tensor:
    return Clone.apply(x)


# -- comparisons and logic (no gradient) ---------------------------------------------------------
def _compare(a, b, ufunc) -> Tensor:
    a_data = a._data if isinstance(a, Tensor) else np.asarray(a)
    b_data = b._data if isinstance(b, Tensor) else b
    if isinstance(b_data, (list, tuple)):
        b_data = np.asarray(b_data)
    return Tensor._make(np.asarray(ufunc(a_data, b_data)))


def eq(a, b):
    if b is None:
        return False
    return _compare(a, b, np.equal)


def ne(a, b):
    if b is None:
        return True
    return _compare(a, b, np.not_equal)


def lt(a, b): return _compare(a, b, np.less)
def le(a, b): return _compare(a, b, np.less_equal)
def gt(a, b): return _compare(a, b, np.greater)
def ge(a, b): return _compare(a, b, np.greater_equal)
def logical_and(a, b): return _compare(a, b, np.logical_and)
def logical_or(a, b): return _compare(a, b, np.logical_or)
def logical_not(a): return Tensor._make(np.logical_not(a._data))
