"""A model's parameters as one flat vector and back, as ``torch.nn.utils.convert_parameters``.

>>> import minigrad as mg
>>> layer = mg.nn.Linear(2, 1)
>>> vec = parameters_to_vector(layer.parameters())
>>> vec.shape
(3,)
>>> vector_to_parameters(mg.zeros(3), layer.parameters())
>>> layer.weight.tolist(), layer.bias.tolist()
([[0.0, 0.0]], [0.0])
"""
from __future__ import annotations

from typing import Iterable

from minigrad.ops.shape import cat
from minigrad.tensor import Tensor


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """The parameters flattened and concatenated, in order (differentiable, as ``torch.cat``)."""
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of ``vec`` into the parameters' data (as ``param.data = ...``:
    the parameters then share ``vec``'s memory, and no graph is recorded)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected minigrad.Tensor, but got: {type(vec).__name__}")
    pointer = 0
    for param in parameters:
        count = param.numel()
        param.data = vec._data[pointer:pointer + count].reshape(param.shape)
        pointer += count


__all__ = ["parameters_to_vector", "vector_to_parameters"]
