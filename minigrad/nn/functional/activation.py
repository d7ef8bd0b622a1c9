"""``linear`` and the activations. The activations are the tensor ops of ``minigrad.ops``;
here they get PyTorch's functional signatures."""
from __future__ import annotations

from minigrad import ops
from minigrad.errors import DtypeError, ShapeError
from minigrad.tensor import Tensor


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``; ``weight`` is ``(out_features, in_features)``.

    >>> import minigrad as mg, minigrad.nn.functional as F
    >>> F.linear(mg.ones(2, 3), mg.ones(4, 3), mg.zeros(4)).shape
    (2, 4)
    """
    if weight.ndim != 2:
        raise ShapeError(f"linear: weight must be 2-D (out_features, in_features), got shape {weight.shape}")
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise ShapeError(
            f"linear: input has {input.shape[-1] if input.ndim else 0} features (input shape {input.shape}) "
            f"but weight {weight.shape} expects {weight.shape[1]}"
        )
    if input.dtype != weight.dtype:
        raise DtypeError(f"linear: input is {input.dtype} but weight is {weight.dtype}; convert one, e.g. input.to(weight.dtype)")
    out = input @ weight.T  # numpy passes the transposed weight to BLAS without copying it
    if bias is not None:
        if bias.shape != (weight.shape[0],):
            raise ShapeError(f"linear: bias should have shape ({weight.shape[0]},), got {bias.shape}")
        out = out + bias
    return out


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(input, 0)``. ``inplace`` is accepted for PyTorch compatibility; a new tensor is returned."""
    return ops.relu(input)


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
