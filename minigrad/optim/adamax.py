"""Adamax (Kingma & Ba): Adam with the infinity norm in place of the second moment."""
from __future__ import annotations

import numpy as np

from minigrad.optim.adam import _lerp_
from minigrad.optim.optimizer import BlockUpdate, Optimizer, check_hyperparameters, direction
from minigrad.tensor import Tensor


class Adamax(Optimizer):
    """PyTorch's Adamax::

        g = -g if maximize else g ;  g = g + weight_decay * p
        m = lerp(m, g, 1 - beta1)        u = max(beta2 * u, |g| + eps)
        p = p - lr / (1 - beta1**t) * m / u

    The state of each parameter is ``{"step", "exp_avg", "exp_inf"}``, as in PyTorch.

    >>> p = mg.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = mg.optim.Adamax([p], lr=0.1)
    >>> (p * p).sum().backward()
    >>> opt.step()
    >>> [round(v, 6) for v in p.tolist()]   # the first step is lr * sign(g)
    [0.9, -1.9]
    """

    def __init__(self, params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        check_hyperparameters("Adamax", betas, lr=lr, eps=eps, weight_decay=weight_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable, capturable=capturable))

    def _block_update(self, p: Tensor, group: dict) -> BlockUpdate:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        state = self.state.setdefault(p, {})
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(p._data, order="C"), exp_inf=np.zeros_like(p._data, order="C"))
        state["step"] += 1
        clr = lr / (1 - beta1 ** state["step"])

        def update(param, grad, m, u) -> None:
            work, tmp = self._scratch(param)
            g = direction(param, grad, weight_decay, maximize, work)  # may be the gradient: read only
            _lerp_(m, g, 1 - beta1, tmp)
            u *= beta2
            np.abs(g, out=tmp)
            tmp += eps
            np.maximum(u, tmp, out=u)
            np.multiply(m, -clr, out=work)
            work /= u
            param += work

        return update, (state["exp_avg"], state["exp_inf"])
