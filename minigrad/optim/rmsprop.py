"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""
from __future__ import annotations

import numpy as np

from minigrad.optim.adam import _lerp_
from minigrad.optim.optimizer import BlockUpdate, Optimizer, check_hyperparameters, direction
from minigrad.tensor import Tensor


class RMSprop(Optimizer):
    """PyTorch's RMSprop::

        g = (-g if maximize else g) + weight_decay * p
        sq = alpha * sq + (1 - alpha) * g * g
        avg = sqrt(sq - mean_g**2 if centered else sq) + eps
        buf = momentum * buf + g / avg ;  p = p - lr * buf     (momentum > 0)
        p = p - lr * g / avg                                   (otherwise)

    The state of each parameter is ``{"step", "square_avg"}``, with ``"momentum_buffer"`` and
    ``"grad_avg"`` when ``momentum`` and ``centered`` ask for them, as in PyTorch.
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0,
                 momentum: float = 0.0, centered: bool = False, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False, differentiable: bool = False) -> None:
        check_hyperparameters("RMSprop", lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                                      weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable))

    def _block_update(self, p: Tensor, group: dict) -> BlockUpdate:
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        weight_decay, momentum, centered = group["weight_decay"], group["momentum"], group["centered"]
        maximize = group["maximize"]
        state = self.state.setdefault(p, {})
        if not state:
            state.update(step=0, square_avg=np.zeros_like(p._data, order="C"))
            if momentum > 0:
                state["momentum_buffer"] = np.zeros_like(p._data, order="C")
            if centered:
                state["grad_avg"] = np.zeros_like(p._data, order="C")
        state["step"] += 1
        extra = [state[k] for k in ("momentum_buffer", "grad_avg") if k in state]

        def update(*chunk) -> None:
            param, grad, square_avg = chunk[:3]
            buf = chunk[3] if momentum > 0 else None
            grad_avg = chunk[-1] if centered else None
            work, avg = self._scratch(param)
            g = direction(param, grad, weight_decay, maximize, work)  # may be the gradient itself: read only
            square_avg *= alpha
            np.multiply(g, 1 - alpha, out=avg)
            avg *= g
            square_avg += avg
            if centered:
                _lerp_(grad_avg, g, 1 - alpha, avg)
                np.multiply(grad_avg, -1, out=avg)
                avg *= grad_avg
                avg += square_avg
                np.sqrt(avg, out=avg)
            else:
                np.sqrt(square_avg, out=avg)
            avg += eps
            if momentum > 0:
                buf *= momentum
                np.divide(g, avg, out=work)
                buf += work
                np.multiply(buf, -lr, out=work)
            else:
                np.multiply(g, -lr, out=work)
                work /= avg
            param += work

        return update, (state["square_avg"], *extra)
