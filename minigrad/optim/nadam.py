"""NAdam (Dozat): Adam with Nesterov momentum and a momentum schedule."""
from __future__ import annotations

import numpy as np

from minigrad.optim.adam import moments_
from minigrad.optim.optimizer import BlockUpdate, Optimizer, check_hyperparameters, scalar_dtype
from minigrad.tensor import Tensor


class NAdam(Optimizer):
    """PyTorch's NAdam::

        g = -g if maximize else g
        p = p * (1 - lr * weight_decay)   (decoupled_weight_decay)   or   g = g + weight_decay * p
        mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))      mu_product = mu_1 * ... * mu_t
        m = lerp(m, g, 1 - beta1)        v = beta2 * v + (1 - beta2) * g * g
        denom = sqrt(v / (1 - beta2**t)) + eps
        p = p - lr * (1 - mu_t) / (1 - mu_product) * g / denom
              - lr * mu_{t+1} / (1 - mu_product * mu_{t+1}) * m / denom

    The state of each parameter is ``{"step", "mu_product", "exp_avg", "exp_avg_sq"}``, as in
    PyTorch, whose ``mu_product`` is a float32 scalar unless the default dtype is float64: it is
    multiplied in that precision here too, so trajectories agree to the last bit.
    """

    def __init__(self, params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum_decay: float = 4e-3, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        check_hyperparameters("NAdam", betas, lr=lr, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize, foreach=foreach, capturable=capturable,
                                      differentiable=differentiable))

    def _block_update(self, p: Tensor, group: dict) -> BlockUpdate:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        momentum_decay, decoupled = group["momentum_decay"], group["decoupled_weight_decay"]
        state = self.state.setdefault(p, {})
        if not state:
            state.update(step=0, mu_product=1.0, exp_avg=np.zeros_like(p._data, order="C"),
                         exp_avg_sq=np.zeros_like(p._data, order="C"))
        state["step"] += 1
        step = state["step"]
        bias_correction2 = 1 - beta2 ** step
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
        dtype = scalar_dtype()
        mu_product = state["mu_product"] = float(dtype(state["mu_product"]) * dtype(mu))
        grad_scale = -lr * (1.0 - mu) / (1.0 - mu_product)
        exp_avg_scale = (-lr * mu_next) / (1.0 - mu_product * mu_next)

        def update(param, grad, m, v) -> None:
            work, denom = self._scratch(param)
            g = moments_(param, grad, m, v, group, decoupled, work, denom)
            np.divide(v, bias_correction2, out=denom)
            np.sqrt(denom, out=denom)
            denom += eps
            np.multiply(g, grad_scale, out=work)  # g may be work: last read here
            work /= denom
            param += work
            np.multiply(m, exp_avg_scale, out=work)
            work /= denom
            param += work

        return update, (state["exp_avg"], state["exp_avg_sq"])
