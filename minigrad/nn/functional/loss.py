"""Losses: ``cross_entropy``, ``nll_loss``, ``mse_loss``, ``binary_cross_entropy`` and
``binary_cross_entropy_with_logits``.

``cross_entropy(logits, target)`` is ``nll_loss(log_softmax(logits, 1), target)``. Working with
log-probabilities (the maximum logit subtracted before exponentiating) keeps the loss finite
and exact for logits of any magnitude, 1e5 included, in float32 and float64. The binary losses
do the same with ``log_sigmoid``.
"""
from __future__ import annotations

import warnings

import numpy as np

from minigrad import ops
from minigrad.autograd.function import Function
from minigrad.errors import DtypeError, ShapeError, TargetError
from minigrad.nn.scope import composite
from minigrad.ops.conversion import cast_to
from minigrad.tensor import Tensor

_REDUCTIONS = ("mean", "sum", "none")


def check_reduction(op: str, reduction: str, also: tuple = ()) -> None:
    """``reduction`` is ``"mean"``, ``"sum"``, ``"none"`` or one of ``also`` (the loss layers
    check it once in ``__init__``, the functional losses at every call)."""
    if reduction not in _REDUCTIONS + also:
        raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS + also}, got {reduction!r}")


def check_label_smoothing(op: str, label_smoothing: float) -> None:
    if not 0.0 <= label_smoothing <= 1.0:  # NaN fails too
        raise ValueError(f"{op}: label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")


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


def _check_weight(op: str, weight, classes: int) -> None:
    """A class weight must be a 1-D tensor with one entry per class, as in PyTorch."""
    if weight is None:
        return
    if not isinstance(weight, Tensor):
        raise TypeError(f"{op}: weight must be a Tensor or None, got {type(weight).__name__}")
    if weight.shape != (classes,):
        raise ShapeError(
            f"{op}: weight tensor should be defined either for all {classes} classes or no classes but got "
            f"weight tensor of shape: {list(weight.shape)}"
        )


def _reduce(losses: Tensor, reduction: str, denominator=None) -> Tensor:
    if reduction == "none":
        return losses
    total = losses.sum()
    if reduction == "sum":
        return total
    return total / (denominator if denominator is not None else losses.numel())


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
        return NllLossBackward.apply(grad, shape=ctx.input_shape, labels=ctx.labels, weights=ctx.weights,
                                     ignored=ctx.ignored, reduction=ctx.reduction)


def _nll(input, target, weight, ignore_index, reduction, op) -> Tensor:
    check_reduction(op, reduction)
    target = target if isinstance(target, Tensor) else Tensor(np.asarray(target))
    if input.ndim == 0:
        raise ShapeError(f"{op}: input must have at least one dimension (the classes)")
    _check_target(op, input, target, ignore_index)
    _check_weight(op, weight, input.shape[1 if input.ndim > 1 else 0])
    ignored = target._data == ignore_index
    labels, weights = target._data, None
    if weight is not None or ignored.any():
        labels = np.where(ignored, 0, labels)
        weights = np.ones(labels.shape, dtype=input.dtype) if weight is None else weight._data[labels].astype(input.dtype)
        weights = np.where(ignored, 0, weights)
    return NllLoss.apply(input, labels=labels, weights=weights, ignored=ignored if ignored.any() else None,
                         reduction=reduction)


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
        return NllLoss.apply(grad_grad, labels=ctx.labels, weights=ctx.weights, ignored=ctx.ignored,
                             reduction=ctx.reduction)


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
    check_reduction("cross_entropy", reduction)
    check_label_smoothing("cross_entropy", label_smoothing)
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
    _check_weight("cross_entropy", weight, classes)
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
    check_reduction("mse_loss", reduction)
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


# -- binary cross-entropy -------------------------------------------------------------------------
# Both binary losses are one graph node each. Their gradients are PyTorch's formulas written with
# Tensor ops (for binary_cross_entropy's input gradient, a node of its own whose backward holds
# PyTorch's double-backward formulas), so gradients of gradients match PyTorch's.

_EPSILON = 1e-12  # PyTorch's eps in the second derivatives of binary_cross_entropy
_GRAD_FLOOR = float(np.float32(1e-12))  # its floor for x * (1 - x) in the gradient: 1e-12 rounded to float32
def _reduce_array(losses: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "none":
        return losses
    total = losses.sum()
    if reduction == "sum":
        return total
    with np.errstate(invalid="ignore"):  # no elements: 0 / 0 = nan, as PyTorch
        return total / losses.size


def _weighted_mean(t: Tensor, weight: np.ndarray | None, reduction: str) -> Tensor:
    """``t * weight``, divided by the number of elements for the mean: how every gradient of the
    binary losses ends, as in PyTorch."""
    if weight is not None:
        t = t * Tensor._make(weight)
    return t / t.numel() if reduction == "mean" else t


def _binary_target(op: str, input: Tensor, target, size_message: str) -> Tensor:
    if input.dtype.kind != "f":
        raise DtypeError(f"{op}: input must be floating point, got {input.dtype} (input shape {input.shape})")
    target = target if isinstance(target, Tensor) else Tensor(np.asarray(target, dtype=input.dtype))
    if target.shape != input.shape:
        raise ShapeError(f"{op}: " + size_message.format(target=target.shape, input=input.shape))
    if target.dtype.kind != "f":
        raise DtypeError(
            f"{op}: target must hold probabilities in a floating dtype, got {target.dtype} (target shape "
            f"{target.shape}); convert with target.to(input.dtype)"
        )
    return target


def _constant_weight(op: str, name: str, weight, input: Tensor) -> np.ndarray | None:
    """``weight`` as an array of the input's dtype that broadcasts to the input's shape."""
    if weight is None:
        return None
    weight = weight if isinstance(weight, Tensor) else Tensor(np.asarray(weight))
    if weight.requires_grad:
        raise RuntimeError(
            f"The function '{op}' is not differentiable with respect to argument '{name}'. This input "
            "cannot have requires_grad True."
        )
    try:
        shape = np.broadcast_shapes(weight.shape, input.shape)
    except ValueError:
        shape = None
    if shape != input.shape:
        raise ShapeError(f"{op}: {name} of shape {weight.shape} does not broadcast to the input's shape {input.shape}")
    return weight._data.astype(input.dtype, copy=False)


def _check_probabilities(op: str, name: str, values: np.ndarray) -> None:
    outside = ~((values >= 0) & (values <= 1))  # NaN is outside too
    if outside.any():
        where = tuple(int(i) for i in np.argwhere(outside)[0])
        hint = "; apply sigmoid first, or use binary_cross_entropy_with_logits" if name == "input" else ""
        raise RuntimeError(
            f"{op}: all elements of {name} should be between 0 and 1, got {values[where]} at index {where}{hint}"
        )


class BinaryCrossEntropy(Function):
    """``-weight * (y * max(log x, -100) + (1 - y) * max(log(1 - x), -100))``, reduced: one graph
    node. The clamp at -100 keeps the loss finite at ``x = 0`` or ``1``, as in PyTorch."""

    @staticmethod
    def forward(ctx, input, target, weight, reduction):
        ctx.save_for_backward(input, target)
        x, y = input._data, target._data
        with np.errstate(divide="ignore"):  # log(0) = -inf, clamped to -100
            losses = (y - 1) * np.maximum(np.log1p(-x), -100) - y * np.maximum(np.log(x), -100)
        if weight is not None:
            losses *= weight
        return _reduce_array(losses, reduction)

    @staticmethod
    def backward(ctx, grad):
        input, target = ctx.saved_tensors
        weight, reduction = ctx.weight, ctx.reduction
        grad_input = grad_target = None
        if ctx.needs_input_grad[0]:
            grad_input = BinaryCrossEntropyBackward.apply(grad, input, target, weight=weight, reduction=reduction)
        if ctx.needs_input_grad[1]:  # -logit(x), from the unclamped logs, as PyTorch
            grad_target = _weighted_mean(-ops.log(input / (1 - input)) * grad, weight, reduction)
        return grad_input, grad_target


class BinaryCrossEntropyBackward(Function):
    """``grad * (x - y) / max(x (1 - x), 1e-12) * weight`` (divided by the number of elements for
    the mean): the input gradient of :class:`BinaryCrossEntropy`. Its backward is PyTorch's
    double-backward formulas (with ``x + eps`` and ``1 - x + eps`` in the denominators)."""

    @staticmethod
    def forward(ctx, grad, input, target, weight, reduction):
        ctx.save_for_backward(grad, input, target)
        x, y = input._data, target._data
        grad_input = grad._data * (x - y) / np.maximum((1 - x) * x, _GRAD_FLOOR)
        if weight is not None:
            grad_input = grad_input * weight
        return grad_input / x.size if reduction == "mean" else grad_input

    @staticmethod
    def backward(ctx, grad_grad):
        grad, x, y = ctx.saved_tensors
        weight, reduction = ctx.weight, ctx.reduction
        needs = ctx.needs_input_grad
        wrt_grad = wrt_input = wrt_target = None
        if needs[0]:
            slope = (x - y) / ((x + _EPSILON) * (1 - x + _EPSILON))
            wrt_grad = ops.sum_to(_weighted_mean(slope * grad_grad, weight, reduction), grad.shape)
        if needs[1]:
            curvature = (x * x - 2 * x * y + y) / ((x + _EPSILON) ** 2 * (1 - x + _EPSILON) ** 2)
            wrt_input = _weighted_mean(curvature * (grad_grad * grad), weight, reduction)
        if needs[2]:
            product = -grad_grad * grad
            if weight is not None:
                product = product * Tensor._make(weight)
            wrt_target = product / ((1 - x) * x).clamp(min=_EPSILON)
            wrt_target = wrt_target / x.numel() if reduction == "mean" else wrt_target
        return wrt_grad, wrt_input, wrt_target


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         reduction: str = "mean") -> Tensor:
    """Binary cross-entropy between probabilities ``x`` and targets ``y`` in [0, 1], any shape::

        loss = -weight * (y * max(log x, -100) + (1 - y) * max(log(1 - x), -100))

    then the mean (default), the sum, or ``reduction="none"`` (the input's shape). ``target`` has
    the input's shape; ``weight`` broadcasts to it. For logits, ``binary_cross_entropy_with_logits``
    is exact where ``sigmoid`` rounds to 0 or 1.

    >>> import minigrad as mg, minigrad.nn.functional as F
    >>> p, y = mg.tensor([0.9, 0.2]), mg.tensor([1.0, 0.0])
    >>> round(F.binary_cross_entropy(p, y).item(), 6)   # -(log 0.9 + log 0.8) / 2
    0.164252
    """
    op = "binary_cross_entropy"
    check_reduction(op, reduction)
    target = _binary_target(op, input, target, "Using a target size {target} that is different to the input "
                                               "size {input} is deprecated. Please ensure they have the same size.")
    if target.dtype != input.dtype:
        raise DtypeError(f"{op}: target dtype {target.dtype} differs from input dtype {input.dtype}; "
                         "convert with target.to(input.dtype)")
    _check_probabilities(op, "input", input._data)
    _check_probabilities(op, "target", target._data)
    weight = _constant_weight(op, "weight", weight, input)
    with composite(op, input, target, reduction=reduction):
        return BinaryCrossEntropy.apply(input, target, weight=weight, reduction=reduction)


def _log_sigmoid(x: np.ndarray) -> np.ndarray:
    """``log(sigmoid(x)) = min(x, 0) - log(1 + exp(-|x|))``, finite for any ``x`` (PyTorch's kernel)."""
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


class LogSigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _log_sigmoid(x._data)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * ops.sigmoid(-x)


class BinaryCrossEntropyWithLogits(Function):
    """``weight * ((1 - y) * x - (1 + (pos_weight - 1) * y) * log_sigmoid(x))``, reduced: one
    graph node. Its backward is PyTorch's formulas written with Tensor ops."""

    @staticmethod
    def forward(ctx, input, target, weight, pos_weight, reduction):
        ctx.save_for_backward(input, target)
        x, y = input._data, target._data
        log_sigmoid = _log_sigmoid(x)
        if pos_weight is not None:
            log_sigmoid *= (pos_weight - 1) * y + 1
        losses = (1 - y) * x - log_sigmoid
        if weight is not None:
            losses *= weight
        return _reduce_array(losses, reduction)

    @staticmethod
    def backward(ctx, grad):
        input, target = ctx.saved_tensors
        pos_weight = None if ctx.pos_weight is None else Tensor._make(ctx.pos_weight)
        grad_input = grad_target = None
        if ctx.needs_input_grad[0]:  # sigmoid(x) - y, or (pos_weight * y + 1 - y) * sigmoid(x) - pos_weight * y
            if pos_weight is None:
                slope = ops.sigmoid(input) - target
            else:
                positive = pos_weight * target
                slope = (positive + 1 - target) * ops.sigmoid(input) - positive
            grad_input = _weighted_mean(slope * grad, ctx.weight, ctx.reduction)
        if ctx.needs_input_grad[1]:
            if pos_weight is None:
                slope = -input * grad
            else:
                slope = (LogSigmoid.apply(-input) - LogSigmoid.apply(input) * pos_weight) * grad
            grad_target = _weighted_mean(slope, ctx.weight, ctx.reduction)
        return grad_input, grad_target


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     reduction: str = "mean", pos_weight: Tensor | None = None) -> Tensor:
    """Binary cross-entropy of ``sigmoid(x)`` against targets ``y`` in [0, 1], computed from the
    logits ``x`` so that it stays finite and exact for any ``x``::

        loss = weight * ((1 - y) * x + (1 + (pos_weight - 1) * y) * (log(1 + exp(-|x|)) + max(-x, 0)))

    then the mean (default), the sum, or ``reduction="none"`` (the input's shape). ``target`` has
    the input's shape; ``weight`` and ``pos_weight`` (the weight of positive targets, e.g. one per
    class in the last dimension) broadcast to it.

    >>> import minigrad as mg, minigrad.nn.functional as F
    >>> z, y = mg.tensor([1000.0, -1000.0, 0.0]), mg.tensor([0.0, 0.0, 1.0])
    >>> F.binary_cross_entropy_with_logits(z, y, reduction="none").tolist()
    [1000.0, 0.0, 0.6931471824645996]
    """
    op = "binary_cross_entropy_with_logits"
    check_reduction(op, reduction)
    target = _binary_target(op, input, target, "Target size {target} must be the same as input size {input}")
    with composite(op, input, target, reduction=reduction):
        if target.dtype != input.dtype:  # float32 and float64: computed in float64, as PyTorch
            dtype = np.promote_types(input.dtype, target.dtype)
            input, target = cast_to(input, dtype), cast_to(target, dtype)
        weight = _constant_weight(op, "weight", weight, input)
        pos_weight = _constant_weight(op, "pos_weight", pos_weight, input)
        return BinaryCrossEntropyWithLogits.apply(input, target, weight=weight, pos_weight=pos_weight,
                                                  reduction=reduction)
