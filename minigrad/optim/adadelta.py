"""Adadelta (Zeiler, 2012): step sizes from running averages of squared gradients and of squared
updates, so the update has the units of the parameter and ``lr`` can stay at 1."""
from __future__ import annotations

import numpy as np

from minigrad.optim.optimizer import BlockUpdate, Optimizer, Scratch, direction
from minigrad.tensor import Tensor


class Adadelta(Optimizer):
    """PyTorch's Adadelta::

        g = -g if maximize else g ;  g = g + weight_decay * p
        square_avg = rho * square_avg + (1 - rho) * g * g
        delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * g
        acc_delta = rho * acc_delta + (1 - rho) * delta * delta
        p = p - lr * delta

    The state of each parameter is ``{"step", "square_avg", "acc_delta"}``, as in PyTorch.

    >>> p = mg.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = mg.optim.Adadelta([p], lr=1.0)
    >>> (p * p).sum().backward()
    >>> opt.step()
    >>> [round(v, 6) for v in p.tolist()]   # the first step is about sqrt(eps / (1 - rho)) = 0.00316
    [0.996838, -1.996838]
    """

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6, weight_decay: float = 0.0,
                 foreach: bool | None = None, *, capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Adadelta: invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Adadelta: invalid rho value: {rho} (it must lie in [0, 1])")
        if not 0.0 <= eps:
            raise ValueError(f"Adadelta: invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Adadelta: invalid weight_decay value: {weight_decay}")
        # foreach, capturable and differentiable choose PyTorch kernels; they change no result here
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                                      foreach=foreach, capturable=capturable, differentiable=differentiable))
        self._delta_scratch = Scratch()  # a third block-sized buffer, for delta

    def _block_update(self, p: Tensor, group: dict) -> BlockUpdate:
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        state = self.state.setdefault(p, {})
        if not state:
            state.update(step=0, square_avg=np.zeros_like(p._data, order="C"),
                         acc_delta=np.zeros_like(p._data, order="C"))
        state["step"] += 1

        def update(param, grad, square_avg, acc_delta) -> None:
            work, tmp = self._scratch(param)
            delta, _ = self._delta_scratch(param)
            g = direction(param, grad, weight_decay, maximize, work)  # may be the gradient: read only
            square_avg *= rho
            np.multiply(g, 1 - rho, out=tmp)
            tmp *= g
            square_avg += tmp
            np.add(square_avg, eps, out=tmp)
            std = np.sqrt(tmp, out=tmp)
            np.add(acc_delta, eps, out=delta)
            np.sqrt(delta, out=delta)
            delta /= std
            delta *= g
            acc_delta *= rho
            np.multiply(delta, 1 - rho, out=tmp)
            tmp *= delta
            acc_delta += tmp
            delta *= -lr
            param += delta

        return update, (state["square_avg"], state["acc_delta"])
