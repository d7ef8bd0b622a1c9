"""Local response normalisation (LRN), the cross-channel normalisation of AlexNet.

PyTorch's formula, which minigrad reproduces operation for operation::

    b_c = a_c / (k + alpha * mean(a_{c'}^2 for c' in window(c))) ** beta

where ``window(c)`` runs over channels ``c - size//2 .. c + (size-1)//2``, padded with zeros
at the edges, and the mean divides by ``size`` even where the window sticks out.

The AlexNet paper (and Caffe's ``LRN`` layer with ``ACROSS_CHANNELS``) *sums* over the window
instead: ``b_c = a_c / (k + alpha_paper * sum(...)) ** beta``. The two agree when
``alpha = size * alpha_paper``: the paper's ``alpha_paper = 1e-4`` with ``size = 5`` is
``local_response_norm(x, 5, alpha=5e-4, beta=0.75, k=2)`` here. minigrad's AlexNet uses
``alpha=1e-4`` in PyTorch's convention, like torchvision-era reimplementations and Caffe's
reference model, whose ``alpha`` is also divided by ``size``.
"""
from __future__ import annotations

import numpy as np

from minigrad.autograd.function import Function
from minigrad.errors import ShapeError
from minigrad.tensor import Tensor


def channel_window_sum(x: np.ndarray, before: int, after: int) -> np.ndarray:
    """``out[:, c] = sum(x[:, c - before .. c + after])``, zero outside the channels."""
    out = np.zeros_like(x)
    channels = x.shape[1]
    for offset in range(-before, after + 1):  # increasing channel order, as PyTorch sums
        lo, hi = max(0, -offset), min(channels, channels - offset)
        if lo < hi:
            out[:, lo:hi] += x[:, lo + offset:hi + offset]
    return out


class ChannelWindowSum(Function):
    """Sums over a window of channels; its adjoint is the same sum with the window mirrored."""

    @staticmethod
    def forward(ctx, x, before, after):
        return channel_window_sum(x._data, before, after)

    @staticmethod
    def backward(ctx, grad):
        return ChannelWindowSum.apply(grad, before=ctx.after, after=ctx.before)


def check_window_size(op: str, size) -> None:
    """The number of channels ``size`` in the window is a positive int (``nn.LocalResponseNorm``
    checks it once in ``__init__``, ``local_response_norm`` at every call)."""
    if not isinstance(size, (int, np.integer)) or size <= 0:
        raise ShapeError(f"{op}: size must be a positive int, got {size!r}")


class LocalResponseNorm(Function):
    """Returns ``(out, div, d)``: ``d = k + alpha/size * window_sum(x^2)``, ``div = d^beta``,
    ``out = x / div``. ``div`` and ``d`` are outputs so that the backward, written with Tensor
    ops on them, is itself differentiable; ``local_response_norm`` returns ``out`` only."""

    materialize_grads = False  # div and d usually receive no gradient

    @staticmethod
    def forward(ctx, x, size, alpha, beta, k):
        d = channel_window_sum(np.square(x._data), size // 2, (size - 1) // 2)
        d /= size  # PyTorch's order of operations: mean, * alpha, + k, ** beta, then divide
        d *= alpha
        d += k
        div = np.power(d, beta)
        out = x._data / div
        ctx.save_for_backward(x, out, div, d)
        return out, div, d

    @staticmethod
    def backward(ctx, grad_out, grad_div, grad_d):
        x, out, div, d = ctx.saved_tensors
        size, alpha, beta = ctx.size, ctx.alpha, ctx.beta
        # chain rule through out = x / div, div = d ** beta, d = k + alpha/size * window_sum(x^2)
        grad_d_total = grad_out * out / d * (-beta) if grad_out is not None else 0
        if grad_div is not None:
            grad_d_total = grad_d_total + grad_div * beta * div / d
        if grad_d is not None:
            grad_d_total = grad_d_total + grad_d
        grad_x = ChannelWindowSum.apply(grad_d_total, before=(size - 1) // 2, after=size // 2) * x * (2 * alpha / size)
        if grad_out is not None:
            grad_x = grad_out / div + grad_x
        return grad_x


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> Tensor:
    """Normalise each element by the energy of its neighbours across channels (see module doc).

    ``input`` is ``(N, C, ...)`` with at least 3 dimensions; the output has the same shape.

    >>> import minigrad as mg, minigrad.nn.functional as F
    >>> F.local_response_norm(mg.ones(1, 3, 1, 1), size=2, alpha=1.0, beta=1.0, k=1.0)._data.ravel().tolist()
    [0.6666666865348816, 0.5, 0.5]
    """
    if input.ndim < 3:
        raise ShapeError(f"local_response_norm: expected an input with 3 or more dimensions (N, C, ...), got shape {input.shape}")
    check_window_size("local_response_norm", size)
    out, _, _ = LocalResponseNorm.apply(input, size=size, alpha=alpha, beta=beta, k=k)
    return out
