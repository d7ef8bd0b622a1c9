"""Top-level functions under PyTorch's other names (``torch.mm``, ``torch.concat``, ...)."""
from __future__ import annotations

from minigrad.ops.arithmetic import div, matmul, mul, sub
from minigrad.ops.elementwise import clamp
from minigrad.ops.shape import cat, transpose
from minigrad.tensor import Tensor

clip = clamp
concat = concatenate = cat
multiply, subtract, divide, true_divide = mul, sub, div, div


def mm(input: Tensor, mat2: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The product of two matrices (2-D only, as ``torch.mm``)."""
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"mm: both arguments must be matrices, got shapes {input.shape} and {mat2.shape}")
    return matmul(input, mat2, out=out)


def t(input: Tensor) -> Tensor:
    """The transpose of a matrix (a vector or scalar is returned as is)."""
    return input.t()


def equal(input: Tensor, other: Tensor) -> bool:
    """True when both tensors have the same shape and values."""
    return input.equal(other)


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    return input.allclose(other, rtol, atol, equal_nan)


def nonzero(input: Tensor, *, as_tuple: bool = False):
    return input.nonzero(as_tuple=as_tuple)


def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """True where any element (over ``dim``) is non-zero; a bool tensor."""
    return input.any(dim, keepdim)


def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """True where every element (over ``dim``) is non-zero; a bool tensor."""
    return input.all(dim, keepdim)


def numel(input: Tensor) -> int:
    return input.numel()


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> bool:
    return input.is_floating_point()


__all__ = [
    "all", "any", "allclose", "equal", "nonzero", "clip", "concat", "concatenate", "divide", "is_floating_point", "is_tensor", "mm", "multiply",
    "numel", "subtract", "t", "transpose", "true_divide",
]
