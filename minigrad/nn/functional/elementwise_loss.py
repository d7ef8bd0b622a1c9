"""Losses that compare input and target element by element, then reduce: ``l1_loss``,
``smooth_l1_loss``, ``huber_loss`` and ``kl_div``.

They are written with Tensor ops, as PyTorch composes them, so their gradients (and gradients of
gradients) are those of the ops. As in PyTorch, a target whose shape differs from the input's
is broadcast against it with a warning (``kl_div`` broadcasts silently), and the legacy
``size_average``/``reduce`` arguments still choose the reduction.
"""
from __future__ import annotations

import warnings

import numpy as np

from minigrad import ops
from minigrad.nn.functional.loss import _reduce, check_reduction
from minigrad.nn.scope import composite
from minigrad.ops.indexing import where
from minigrad.tensor import Tensor


def legacy_reduction(size_average: bool | None, reduce: bool | None, emit_warning: bool = True) -> str:
    """The reduction that PyTorch's deprecated ``size_average`` and ``reduce`` arguments select."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = ("mean" if size_average else "sum") if reduce else "none"
    if emit_warning:
        warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' instead.",
                      UserWarning, stacklevel=3)
    return reduction


def _target_like(op: str, input: Tensor, target) -> Tensor:
    target = target if isinstance(target, Tensor) else Tensor(np.asarray(target, dtype=input.dtype))
    if target.shape != input.shape:
        warnings.warn(
            f"{op}: Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
            "This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.",
            UserWarning, stacklevel=3,
        )
    return target


def _weighted(op: str, losses: Tensor, input: Tensor, weight: Tensor | None, reduction: str,
              mean_by_weight: bool) -> Tensor:
    """``losses * weight`` reduced; the mean divides by ``weight.sum()`` (``l1_loss``) or by the
    number of elements (``huber_loss``), as PyTorch 2.13 does."""
    if weight.shape != input.shape:
        raise ValueError(f"{op}: Weights and input must have the same size (weight {weight.shape}, input {input.shape}).")
    losses = losses * weight
    if reduction == "mean" and mean_by_weight:
        return losses.sum() / weight.sum()
    return _reduce(losses, reduction)


# The configuration checks of the losses below (their layers run them once in ``__init__``).
def check_beta(beta: float) -> None:
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")


def check_delta(delta: float) -> None:
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")


def l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean absolute error ``|input - target|``, reduced; the gradient at ``input == target`` is 0.
    With ``weight`` (the input's shape) the mean is ``sum(weight * |d|) / sum(weight)``.

    >>> import minigrad as mg
    >>> from minigrad.nn.functional.elementwise_loss import l1_loss
    >>> l1_loss(mg.tensor([1.0, 2.0, 5.0]), mg.tensor([1.0, 0.0, 1.0])).item()   # (0 + 2 + 4) / 3
    2.0
    """
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    check_reduction("l1_loss", reduction)
    target = _target_like("l1_loss", input, target)
    with composite("l1_loss", input, target, reduction=reduction):
        losses = (input - target).abs()
        if weight is not None:
            return _weighted("l1_loss", losses, input, weight, reduction, mean_by_weight=True)
        return _reduce(losses, reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """``0.5 d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (``d = input - target``),
    reduced. ``beta=0`` is ``l1_loss``.

    >>> import minigrad as mg
    >>> from minigrad.nn.functional.elementwise_loss import smooth_l1_loss
    >>> smooth_l1_loss(mg.tensor([0.5, 3.0]), mg.tensor([0.0, 0.0]), reduction="none").tolist()
    [0.125, 2.5]
    """
    check_beta(beta)
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    check_reduction("smooth_l1_loss", reduction)
    target = _target_like("smooth_l1_loss", input, target)
    with composite("smooth_l1_loss", input, target, reduction=reduction, beta=beta):
        difference = input - target
        if beta == 0:
            return _reduce(difference.abs(), reduction)
        magnitude = difference.abs()
        losses = where(magnitude < beta, 0.5 * difference * difference / beta, magnitude - 0.5 * beta)
        return _reduce(losses, reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """``0.5 d**2`` where ``|d| < delta``, else ``delta * (|d| - 0.5 delta)``, reduced: smooth L1
    times ``delta``. ``weight`` (the input's shape) multiplies each loss before the reduction.

    >>> import minigrad as mg
    >>> from minigrad.nn.functional.elementwise_loss import huber_loss
    >>> huber_loss(mg.tensor([0.5, 3.0]), mg.tensor([0.0, 0.0]), reduction="none", delta=2.0).tolist()
    [0.125, 4.0]
    """
    check_delta(delta)
    check_reduction("huber_loss", reduction)
    target = _target_like("huber_loss", input, target)
    with composite("huber_loss", input, target, reduction=reduction, delta=delta):
        difference = input - target
        magnitude = difference.abs()
        losses = where(magnitude < delta, 0.5 * difference * difference, delta * (magnitude - 0.5 * delta))
        if weight is not None:
            return _weighted("huber_loss", losses, input, weight, reduction, mean_by_weight=False)
        return _reduce(losses, reduction)


_KL_MEAN_WARNING = (
    "reduction: 'mean' divides the total loss by both the batch size and the support size."
    "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
    "'mean' will be changed to behave the same as 'batchmean' in the next major release."
)


def _xlogy_self(t: Tensor) -> Tensor:
    """``t * log(t)``, 0 where ``t == 0`` (PyTorch's ``xlogy(t, t)``)."""
    zero = t == 0
    return where(zero, 0.0, t * ops.log(where(zero, 1.0, t)))


def kl_div(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence of ``target`` from the distribution whose log-probabilities
    are ``input``, pointwise::

        loss = target * (log(target) - input)          # 0 where target == 0
        loss = exp(target) * (target - input)          # log_target=True: target holds log-probabilities

    reduced by ``"batchmean"`` (the sum divided by the batch size ``input.shape[0]``: the KL
    divergence of each sample, averaged), ``"sum"``, ``"none"`` or ``"mean"`` (PyTorch's default,
    which also divides by the number of classes, and warns so).

    >>> import minigrad as mg
    >>> from minigrad.nn.functional.elementwise_loss import kl_div
    >>> p = mg.tensor([[0.5, 0.5]])
    >>> kl_div(p.log(), p, reduction="batchmean").item()   # a distribution from itself: 0
    0.0
    """
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    elif reduction == "mean":
        warnings.warn(_KL_MEAN_WARNING, UserWarning, stacklevel=2)
    check_reduction("kl_div", reduction, also=("batchmean",))
    target = target if isinstance(target, Tensor) else Tensor(np.asarray(target, dtype=input.dtype))
    with composite("kl_div", input, target, reduction=reduction, log_target=log_target):
        if log_target:
            losses = ops.exp(target) * (target - input)
        else:
            losses = _xlogy_self(target) - target * input
        if reduction != "batchmean":
            return _reduce(losses, reduction)
        total = losses.sum()
        return total / input.shape[0] if input.ndim != 0 else total
