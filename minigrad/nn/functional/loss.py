"""Losses: ``cross_entropy``, ``nll_loss``, ``mse_loss``.

``cross_entropy(logits, target)`` is ``nll_loss(log_softmax(logits, 1), target)``. Working with
log-probabilities (the maximum logit subtracted before exponentiating) keeps the loss finite
and exact for logits of any magnitude, 1e5 included, in float32 and float64.
"""
from __future__ import annotations

import warnings

import numpy as np

from minigrad import ops
from minigrad.autograd.function import Function, composite
from minigrad.errors import DtypeError, ShapeError, TargetError
from minigrad.tensor import Tensor

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(op: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _check_target(op: str, input: Tensor, target: Tensor, ignore_index: int) -> None:
    if target.dtype.kind not in "iu":
        raise DtypeError(
            f"{op}: target must hold integer class indices, got {target.dtype} (target shape "
            f"{target.shape}); convert with target.long()"
        )
    class_dim = 1 if input.ndim > 1 else 0
    expected = input.shape[:class_dim] + input.shape[class_dim + 1:]
    if target.shape != expected:
        raise ShapeError(
            f"{op}: target shape {target.shape} does not match input shape {input.shape}; "
            f"expected a target of shape {expected} (one class index per sample)"
        )
    classes = input.shape[class_dim]
    labels = target._data
    bad = (labels != ignore_index) & ((labels < 0) | (labels >= classes))
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise TargetError(
            f"{op}: target {int(labels[where])} at index {where} is out of bounds: labels must be in "
            f"[0, {classes}) for an input with {classes} classes (input shape {input.shape}, target "
            f"shape {target.shape})"
        )


def _reduce(losses: Tensor, reduction: str, denominator=None) -> Tensor:
    if reduction == "none":
        return losses
    total = losses.sum()
    if reduction == "sum":
        return total
    return total / (denominator if denominator is not None else losses.numel())


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of the target classes: ``-input[n, target[n]]``, reduced.

    ``input`` holds log-probabilities ``(N, C)`` (or ``(N, C, d1, ...)``, or unbatched ``(C,)``),
    ``target`` class indices ``(N,)`` (or ``(N, d1, ...)``, or ``()``). With ``weight`` the mean
    divides by the summed weights of the targets, as in PyTorch; ``ignore_index`` targets count
    for nothing.
    """
    if isinstance(weight, str):  # nll_loss(input, target, "sum")
        weight, reduction = None, weight
    with composite("nll_loss", input, target, reduction=reduction):
        return _nll(input, target, weight, ignore_index, reduction, "nll_loss")


def _nll(input, target, weight, ignore_index, reduction, op) -> Tensor:
    _check_reduction(op, reduction)
    target = target if isinstance(target, Tensor) else Tensor(np.asarray(target))
    if input.ndim == 0:
        raise ShapeError(f"{op}: input must have at least one dimension (the classes)")
    _check_target(op, input, target, ignore_index)
    ignored = target._data == ignore_index
    labels, weights = target._data, None
    if weight is not None or ignored.any():
        labels = np.where(ignored, 0, labels)
        weights = np.ones(labels.shape, dtype=input.dtype) if weight is None else weight._data[labels].astype(input.dtype)
        weights = np.where(ignored, 0, weights)
    return NllLoss.apply(input, labels=labels, weights=weights, ignored=ignored if ignored.any() else None,
                         reduction=reduction)


def _picks(labels: np.ndarray, class_dim: int) -> tuple:
    """The index that picks ``x[n, labels[n], ...]`` for every sample (and position)."""
    grids = list(np.indices(labels.shape, sparse=True))
    grids.insert(class_dim, labels)
    return tuple(grids)


class NllLoss(Function):
    """``-weights[n] * input[n, labels[n]]``, reduced: one graph node. Samples marked
    ``ignored`` count for nothing, whatever their input (PyTorch skips them). It is linear in
    the input; its backward (:class:`NllLossBackward`, the adjoint) and it are each other's
    gradient, as im2col and col2im are."""

    @staticmethod
    def forward(ctx, input, labels, weights, ignored, reduction):
        class_dim = 1 if input.ndim > 1 else 0
        ctx.input_shape = input.shape
        losses = -input._data[_picks(labels, class_dim)]
        if weights is not None:
            losses = losses * weights
        if ignored is not None:
            losses = np.where(ignored, 0, losses)
        if reduction == "none":
            return losses
        total = losses.sum()
        if reduction == "sum":
            return total
        with np.errstate(invalid="ignore", divide="ignore"):  # every target ignored: 0 / 0 = nan, as PyTorch
            return total / (losses.size if weights is None else weights.sum())

    @staticmethod
    def backward(ctx, grad):
        return NllLossBackward.apply(grad, shape=ctx.input_shape, **ctx.attributes)


class NllLossBackward(Function):
    """Zeros of the input's shape with ``-grad * weights[n]`` (divided by the total weight for
    the mean) at each sample's label, ignored samples left at 0: the backward of
    :class:`NllLoss`, in PyTorch's order of operations."""

    @staticmethod
    def forward(ctx, grad, shape, labels, weights, ignored, reduction):
        class_dim = 1 if len(shape) > 1 else 0
        scale = -np.broadcast_to(grad._data, labels.shape)
        with np.errstate(invalid="ignore", divide="ignore"):  # a zero total weight gives nan, as PyTorch
            if reduction == "mean":
                scale = scale / (labels.size if weights is None else weights.sum())
            if weights is not None:
                scale = scale * weights
        if ignored is not None:
            scale = np.where(ignored, 0, scale)
        out = np.zeros(shape, dtype=grad.dtype)
        out[_picks(labels, class_dim)] = scale
        return out

    @staticmethod
    def backward(ctx, grad_grad):
        a = ctx.attributes
        return NllLoss.apply(grad_grad, labels=a["labels"], weights=a["weights"], ignored=a["ignored"],
                             reduction=a["reduction"])


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy between logits ``(N, C, ...)`` and class indices (or probabilities).

    >>> import minigrad as mg, minigrad.nn.functional as F
    >>> logits = mg.tensor([[1e5, 0.0], [0.0, 1e5]])
    >>> F.cross_entropy(logits, mg.tensor(np.array([0, 0]))).item()
    50000.0
    """
    if isinstance(weight, str):  # cross_entropy(input, target, "sum")
        weight, reduction = None, weight
    with composite("cross_entropy", input, target, reduction=reduction):
        return _cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing)


def _cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing) -> Tensor:
    _check_reduction("cross_entropy", reduction)
    target = target if isinstance(target, Tensor) else Tensor(np.asarray(target))
    if input.ndim == 0:
        raise ShapeError("cross_entropy: input must have at least one dimension (the classes)")
    class_dim = 1 if input.ndim > 1 else 0
    log_probs = ops.log_softmax(input, class_dim)
    if target.dtype.kind == "f":
        return _soft_target_loss(log_probs, target, weight, reduction, label_smoothing, class_dim)
    nll = _nll(log_probs, target, weight, ignore_index, reduction, "cross_entropy")
    if not label_smoothing:
        return nll
    return _label_smoothing(log_probs, target, nll, weight, ignore_index, reduction, label_smoothing, class_dim)


def _class_weights(weight: Tensor, log_probs: Tensor, class_dim: int) -> Tensor:
    shape = [1] * log_probs.ndim
    shape[class_dim] = log_probs.shape[class_dim]
    return weight.reshape(shape)


def _soft_target_loss(log_probs, target, weight, reduction, smoothing, class_dim) -> Tensor:
    if target.shape != log_probs.shape:
        raise ShapeError(
            f"cross_entropy: a floating target holds class probabilities and must have the input's "
            f"shape {log_probs.shape}, got {target.shape}; for class indices use an integer target"
        )
    classes = log_probs.shape[class_dim]
    if smoothing:
        target = target * (1 - smoothing) + smoothing / classes
    terms = log_probs * target
    if weight is not None:
        terms = terms * _class_weights(weight, log_probs, class_dim)
    losses = -terms.sum(class_dim)
    return _reduce(losses, reduction)


def _label_smoothing(log_probs, target, nll, weight, ignore_index, reduction, smoothing, class_dim) -> Tensor:
    """PyTorch's label smoothing: ``(1 - e) * nll + e / C * smooth``, smooth = -sum of log-probs."""
    classes = log_probs.shape[class_dim]
    terms = log_probs if weight is None else log_probs * _class_weights(weight, log_probs, class_dim)
    ignored = target._data == ignore_index
    smooth = -terms.sum(class_dim) * Tensor._make((~ignored).astype(log_probs.dtype))
    if reduction == "mean":
        if weight is None:
            smooth = smooth.sum() / max(int((~ignored).sum()), 1)
        else:
            kept = target._data[~ignored]
            smooth = smooth.sum() / Tensor._make(np.asarray(weight._data[kept].sum(), dtype=log_probs.dtype))
    elif reduction == "sum":
        smooth = smooth.sum()
    return nll * (1 - smoothing) + smooth * (smoothing / classes)


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error ``mean((input - target) ** 2)`` (or its sum, or no reduction)."""
    _check_reduction("mse_loss", reduction)
    target = target if isinstance(target, Tensor) else Tensor(np.asarray(target, dtype=input.dtype))
    if target.shape != input.shape:
        warnings.warn(
            f"mse_loss: target shape {target.shape} differs from input shape {input.shape}; they "
            "will be broadcast, which is probably not what you want",
            UserWarning,
            stacklevel=2,
        )
    with composite("mse_loss", input, target, reduction=reduction):
        return _reduce((input - target) ** 2, reduction)
