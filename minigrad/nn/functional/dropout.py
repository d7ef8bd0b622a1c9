"""Inverted dropout: during training each element is zeroed with probability ``p`` and the
survivors are scaled by ``1 / (1 - p)``, so nothing needs rescaling at evaluation time."""
from __future__ import annotations

import numpy as np

from minigrad.autograd.function import Function
from minigrad.ops.inplace import apply_inplace
from minigrad.random import default_generator
from minigrad.tensor import Tensor


def check_probability(p: float) -> None:
    """``p`` is a probability (``nn.Dropout`` checks it once in ``__init__``, ``dropout`` and
    ``dropout2d`` at every call)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _scaled_mask(shape: tuple, p: float, dtype: np.dtype) -> np.ndarray:
    """PyTorch's arithmetic: each entry holds 1 / (1 - p) (rounded to the dtype) or, with
    probability ``p``, 0."""
    draws = default_generator().random(shape, dtype=np.float64 if dtype == np.float64 else np.float32)
    return np.where(draws >= p, np.array(1, dtype=dtype) / np.array(1 - p, dtype=dtype), 0).astype(dtype)


class Dropout(Function):
    @staticmethod
    def forward(ctx, x, p):
        ctx.mask = _scaled_mask(x.shape, p, x.dtype)
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
    check_probability(p)
    if inplace and training and p > 0.0:
        return apply_inplace(input, "dropout_", dropout, p, training)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    return Dropout.apply(input, p=p)


class ChannelDropout(Dropout):
    """Dropout with one draw per ``(n, c)`` channel: the mask has shape ``(N, C, 1, 1)``."""

    @staticmethod
    def forward(ctx, x, p):
        ctx.mask = _scaled_mask(x.shape[:2] + (1,) * (x.ndim - 2), p, x.dtype)
        return x._data * ctx.mask


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Channel dropout: zero each whole channel ``input[n, c]`` with probability ``p`` and scale
    the rest by ``1 / (1 - p)`` (``(N, C, H, W)``; a 3-D input is read as ``(N, C, L)``, with
    PyTorch's warning). Neighbouring pixels of a feature map are strongly correlated, so
    dropping single pixels regularises little; dropping maps does.

    >>> import minigrad as mg, minigrad.nn.functional as F
    >>> y = F.dropout2d(mg.ones(4, 8, 2, 2), p=0.5)
    >>> sorted({float(v) for v in y.sum((2, 3)).reshape(-1).tolist()}) in ([0.0, 8.0], [0.0], [8.0])
    True
    """
    import warnings

    check_probability(p)
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and will result in an "
            "error in a future release. To retain the behavior and silence this warning, please use dropout "
            "instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 spatial "
            "dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).",
            stacklevel=2,
        )
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is "
            "desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior will "
            "change in a future release to interpret the input as one without a batch dimension, i.e. shape "
            "(C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    if inplace and training and p > 0.0:
        return apply_inplace(input, "dropout2d_", dropout2d, p, training)
    if not training or p == 0.0:
        return input
    if input.ndim < 2:
        raise ValueError(f"dropout2d: Feature dropout requires at least 2 dimensions in the input, got shape {input.shape}")
    if p == 1.0:
        return input * 0.0
    return ChannelDropout.apply(input, p=p)
