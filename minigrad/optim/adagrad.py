"""Adagrad: per-element learning rates that shrink with the accumulated squared gradient."""
from __future__ import annotations

import numpy as np

from minigrad.optim.optimizer import Optimizer, blocks, decayed


class Adagrad(Optimizer):
    """PyTorch's Adagrad::

        g = g + weight_decay * p
        sum = sum + g * g
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(sum) + eps)
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10) -> None:
        if lr < 0 or eps < 0 or lr_decay < 0:
            raise ValueError(f"Adagrad: invalid lr={lr}, lr_decay={lr_decay} or eps={eps}")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps))
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p] = {"step": 0, "sum": np.full_like(p._data, group["initial_accumulator_value"], order="C")}

    def _update(self) -> None:
        for group in self.param_groups:
            lr, lr_decay, weight_decay, eps = group["lr"], group["lr_decay"], group["weight_decay"], group["eps"]
            for p in self._params_with_grad(group):
                state = self.state[p]
                state["step"] += 1
                clr = lr / (1 + (state["step"] - 1) * lr_decay)
                for param, grad, total in blocks(p._data, p.grad._data, state["sum"]):
                    work, tmp = self._scratch(param)
                    g = decayed(param, grad, weight_decay, work)  # may be the gradient itself: read only
                    np.multiply(g, g, out=tmp)
                    total += tmp
                    np.sqrt(total, out=tmp)
                    tmp += eps
                    np.multiply(g, -clr, out=work)
                    work /= tmp
                    param += work
