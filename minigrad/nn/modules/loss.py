"""Loss layers: ``CrossEntropyLoss``, ``NLLLoss``, ``MSELoss``, ``BCELoss``, ``BCEWithLogitsLoss``.
Each checks its options once in ``__init__``; ``forward`` is one call of the functional loss."""
from __future__ import annotations

from minigrad.nn import functional as F
from minigrad.nn.functional.loss import check_label_smoothing, check_reduction
from minigrad.nn.modules.module import Module
from minigrad.tensor import Tensor


class CrossEntropyLoss(Module):
    """Softmax cross-entropy of logits ``(N, C, ...)`` against class indices (see ``F.cross_entropy``)."""

    def __init__(self, weight: Tensor | None = None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__()
        check_reduction("CrossEntropyLoss", reduction)
        check_label_smoothing("CrossEntropyLoss", label_smoothing)
        self.register_buffer("weight", weight)
        self.ignore_index, self.reduction, self.label_smoothing = ignore_index, reduction, label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(input, target, self.weight, self.ignore_index, self.reduction, self.label_smoothing)


class NLLLoss(Module):
    """Negative log-likelihood of log-probabilities against class indices (see ``F.nll_loss``)."""

    def __init__(self, weight: Tensor | None = None, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__()
        check_reduction("NLLLoss", reduction)
        self.register_buffer("weight", weight)
        self.ignore_index, self.reduction = ignore_index, reduction

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class MSELoss(Module):
    """Mean squared error (see ``F.mse_loss``)."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        check_reduction("MSELoss", reduction)
        self.reduction = reduction

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, self.reduction)


class BCELoss(Module):
    """Binary cross-entropy of probabilities against targets in [0, 1] (see ``F.binary_cross_entropy``)."""

    def __init__(self, weight: Tensor | None = None, reduction: str = "mean") -> None:
        super().__init__()
        check_reduction("BCELoss", reduction)
        self.register_buffer("weight", weight)
        self.reduction = reduction

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(Module):
    """Binary cross-entropy of logits against targets in [0, 1], exact for any logit
    (see ``F.binary_cross_entropy_with_logits``).

    >>> import minigrad as mg, minigrad.nn as nn
    >>> loss = nn.BCEWithLogitsLoss(pos_weight=mg.tensor([3.0]))
    >>> round(loss(mg.tensor([0.0, 0.0]), mg.tensor([1.0, 0.0])).item(), 6)   # (3 log 2 + log 2) / 2
    1.386294
    """

    def __init__(self, weight: Tensor | None = None, reduction: str = "mean", pos_weight: Tensor | None = None) -> None:
        super().__init__()
        check_reduction("BCEWithLogitsLoss", reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)
        self.reduction = reduction

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.weight, self.reduction, self.pos_weight)
