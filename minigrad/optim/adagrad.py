"""Adagrad: per-element learning rates that shrink with the accumulated squared gradient."""
from __future__ import annotations

import numpy as np

from minigrad.optim.optimizer import BlockUpdate, Optimizer, check_hyperparameters, direction
from minigrad.tensor import Tensor


class Adagrad(Optimizer):
    """PyTorch's Adagrad::

        g = (-g if maximize else g) + weight_decay * p
        sum = sum + g * g
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(sum) + eps)
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False, fused: bool | None = None) -> None:
        check_hyperparameters("Adagrad", lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                              initial_accumulator_value=initial_accumulator_value, eps=eps)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable, fused=fused))

    def add_param_group(self, param_group: dict) -> None:
        """As the base class; the accumulator starts at ``initial_accumulator_value`` right away,
        so ``state_dict()`` holds it before the first step, as in PyTorch."""
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for p in group["params"]:
            self.state[p] = {"step": 0, "sum": np.full_like(p._data, group["initial_accumulator_value"], order="C")}

    def _block_update(self, p: Tensor, group: dict) -> BlockUpdate:
        lr, lr_decay, weight_decay, eps = group["lr"], group["lr_decay"], group["weight_decay"], group["eps"]
        maximize = group["maximize"]
        state = self.state[p]
        state["step"] += 1
        clr = lr / (1 + (state["step"] - 1) * lr_decay)

        def update(param, grad, total) -> None:
            work, tmp = self._scratch(param)
            g = direction(param, grad, weight_decay, maximize, work)  # may be the gradient itself: read only
            np.multiply(g, g, out=tmp)
            total += tmp
            np.sqrt(total, out=tmp)
            tmp += eps
            np.multiply(g, -clr, out=work)
            work /= tmp
            param += work

        return update, (state["sum"],)
