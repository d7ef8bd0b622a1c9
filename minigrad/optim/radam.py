"""RAdam (Liu et al.): Adam whose adaptive step is switched on, and rectified, once the variance
of the second-moment estimate is tractable."""
from __future__ import annotations

import numpy as np

from minigrad.optim.adam import moments_
from minigrad.optim.optimizer import BlockUpdate, Optimizer, check_hyperparameters
from minigrad.tensor import Tensor


class RAdam(Optimizer):
    """PyTorch's RAdam::

        g = -g if maximize else g
        p = p * (1 - lr * weight_decay)   (decoupled_weight_decay)   or   g = g + weight_decay * p
        m = lerp(m, g, 1 - beta1)        v = beta2 * v + (1 - beta2) * g * g
        rho_inf = 2 / (1 - beta2) - 1    rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t)
        p = p - m / (1 - beta1**t) * lr * sqrt(1 - beta2**t) / (sqrt(v) + eps) * r_t   (rho_t > 5)
        p = p - m / (1 - beta1**t) * lr                                                 (otherwise)

    with ``r_t = sqrt((rho_t - 4) (rho_t - 2) rho_inf / ((rho_inf - 4) (rho_inf - 2) rho_t))``.
    The state of each parameter is ``{"step", "exp_avg", "exp_avg_sq"}``, as in PyTorch.
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False) -> None:
        check_hyperparameters("RAdam", betas, lr=lr, eps=eps, weight_decay=weight_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, maximize=maximize,
                                      foreach=foreach, capturable=capturable,
                                      decoupled_weight_decay=decoupled_weight_decay, differentiable=differentiable))

    def _block_update(self, p: Tensor, group: dict) -> BlockUpdate:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        decoupled = group["decoupled_weight_decay"]
        state = self.state.setdefault(p, {})
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(p._data, order="C"),
                         exp_avg_sq=np.zeros_like(p._data, order="C"))
        state["step"] += 1
        step = state["step"]
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
        rect = None
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5

        def update(param, grad, m, v) -> None:
            work, tmp = self._scratch(param)
            moments_(param, grad, m, v, group, decoupled, work, tmp)
            np.divide(m, bias_correction1, out=work)  # the gradient is no longer needed
            work *= lr
            if rect is not None:
                np.sqrt(v, out=tmp)
                tmp += eps
                np.reciprocal(tmp, out=tmp)  # PyTorch's scalar / tensor is tensor.reciprocal() * scalar
                tmp *= bias_correction2 ** 0.5
                work *= tmp
                work *= rect
            param -= work

        return update, (state["exp_avg"], state["exp_avg_sq"])
