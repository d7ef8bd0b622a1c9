"""The activations: the tensor ops of ``minigrad.ops`` with PyTorch's functional signatures."""
from __future__ import annotations

from minigrad import ops
from minigrad.tensor import Tensor


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(input, 0)``; with ``inplace=True`` the result is written into ``input`` (as PyTorch)."""
    return input.relu_() if inplace else ops.relu(input)


def sigmoid(input: Tensor) -> Tensor:
    """``1 / (1 + exp(-input))``."""
    return ops.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return ops.tanh(input)


def softmax(input: Tensor, dim: int | None = None) -> Tensor:
    """``exp(x) / sum(exp(x), dim)``, stable for any magnitude."""
    return ops.softmax(input, dim)


def log_softmax(input: Tensor, dim: int | None = None) -> Tensor:
    """``x - log(sum(exp(x), dim))``, stable for any magnitude."""
    return ops.log_softmax(input, dim)
