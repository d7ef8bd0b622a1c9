"""Loss layers over ``minigrad.nn.functional.elementwise_loss``: ``L1Loss``, ``SmoothL1Loss``,
``HuberLoss`` and ``KLDivLoss``. The reduction is settled and checked once, in ``__init__`` (PyTorch's
legacy ``size_average``/``reduce`` arguments included), with the other options."""
from __future__ import annotations

from minigrad.nn.functional import elementwise_loss as F
from minigrad.nn.modules.module import Module
from minigrad.tensor import Tensor


class _Loss(Module):
    _reductions: tuple = ()  # beyond "mean", "sum" and "none"

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__()
        if size_average is not None or reduce is not None:
            reduction = F.legacy_reduction(size_average, reduce)
        F.check_reduction(type(self).__name__, reduction, self._reductions)
        self.reduction = reduction


class L1Loss(_Loss):
    """Mean absolute error (see ``l1_loss``).

    >>> import minigrad as mg
    >>> from minigrad.nn.modules.elementwise_loss import L1Loss
    >>> L1Loss(reduction="sum")(mg.tensor([1.0, -1.0]), mg.tensor([0.0, 0.0])).item()
    2.0
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Quadratic below ``beta``, linear above (see ``smooth_l1_loss``)."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        F.check_beta(beta)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """Quadratic below ``delta``, linear above, ``delta`` times smooth L1 (see ``huber_loss``)."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        F.check_delta(delta)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence of the target from log-probabilities (see ``kl_div``); prefer
    ``reduction="batchmean"``."""

    _reductions = ("batchmean",)

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)
