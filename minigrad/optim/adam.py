"""Adam (Kingma & Ba), with PyTorch's bias corrections and L2 ``weight_decay``."""
from __future__ import annotations


import numpy as np

from minigrad.optim.optimizer import Optimizer, blocks, decayed


class Adam(Optimizer):
    """PyTorch's Adam::

        g = g + weight_decay * p
        m = lerp(m, g, 1 - beta1)                v = beta2 * v + (1 - beta2) * g * g
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        if lr < 0 or eps < 0 or not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"Adam: invalid lr={lr}, betas={betas} or eps={eps}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay))

    def _update(self) -> None:
        for group in self.param_groups:
            lr, (beta1, beta2), eps, weight_decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for p in self._params_with_grad(group):
                state = self.state.setdefault(p, {})
                if not state:
                    state.update(step=0, exp_avg=np.zeros_like(p._data, order="C"), exp_avg_sq=np.zeros_like(p._data, order="C"))
                state["step"] += 1
                step = state["step"]
                step_size = lr / (1 - beta1 ** step)
                bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
                for param, grad, m, v in blocks(p._data, p.grad._data, state["exp_avg"], state["exp_avg_sq"]):
                    work, tmp = self._scratch(param)
                    g = decayed(param, grad, weight_decay, work)  # may be the gradient itself: read only
                    _lerp_(m, g, 1 - beta1, tmp)
                    v *= beta2
                    np.multiply(g, 1 - beta2, out=tmp)
                    tmp *= g
                    v += tmp
                    np.sqrt(v, out=tmp)
                    tmp /= bias_correction2_sqrt
                    tmp += eps
                    np.multiply(m, -step_size, out=work)
                    work /= tmp
                    param += work


def _lerp_(start: np.ndarray, end: np.ndarray, weight: float, tmp: np.ndarray) -> None:
    """``start += weight * (end - start)`` in place, with PyTorch's formula for each half of [0, 1]."""
    np.subtract(end, start, out=tmp)
    if weight < 0.5:
        tmp *= weight
        start += tmp
    else:
        tmp *= weight - 1  # end - (end - start) * (1 - weight)
        np.add(end, tmp, out=start)



