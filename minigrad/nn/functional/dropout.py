"""Inverted dropout: during training each element is zeroed with probability ``p`` and the
survivors are scaled by ``1 / (1 - p)``, so nothing needs rescaling at evaluation time."""
from __future__ import annotations

import numpy as np

from minigrad.autograd.function import Function
from minigrad.random import default_generator
from minigrad.tensor import Tensor


class Dropout(Function):
    @staticmethod
    def forward(ctx, x, p):
        draws = default_generator().random(x.shape, dtype=np.float64 if x.dtype == np.float64 else np.float32)
        # PyTorch's arithmetic: the mask holds 1 / (1 - p) (rounded to the dtype) or 0
        ctx.mask = np.where(draws >= p, np.array(1, dtype=x.dtype) / np.array(1 - p, dtype=x.dtype), 0).astype(x.dtype)
        return x._data * ctx.mask

    @staticmethod
    def backward(ctx, grad):
        return grad * Tensor._make(ctx.mask)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    The identity when ``training`` is False or ``p == 0``; all zeros when ``p == 1``.
    ``inplace=True`` writes the result into ``input``, as PyTorch does.
    Masks come from minigrad's generator, so ``mg.manual_seed`` makes them reproducible.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability has to be between 0 and 1, but got {p}")
    if inplace and training and p > 0.0:
        from minigrad.ops.inplace import apply_inplace

        return apply_inplace(input, "dropout_", dropout, p, training)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    return Dropout.apply(input, p=p)
