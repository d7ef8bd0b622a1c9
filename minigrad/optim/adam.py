"""Adam (Kingma & Ba) and AdamW (Loshchilov & Hutter), with PyTorch's bias corrections, L2 or
decoupled ``weight_decay``, AMSGrad and ``maximize``."""
from __future__ import annotations

import numpy as np

from minigrad.optim.optimizer import BlockUpdate, Optimizer, check_hyperparameters, direction
from minigrad.tensor import Tensor


class Adam(Optimizer):
    """PyTorch's Adam::

        g = -g if maximize else g
        p = p * (1 - lr * weight_decay)   (decoupled_weight_decay)   or   g = g + weight_decay * p
        m = lerp(m, g, 1 - beta1)                v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v) ; v = v_max        (amsgrad)
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    The state of each parameter is ``{"step", "exp_avg", "exp_avg_sq"}`` (and ``"max_exp_avg_sq"``
    with ``amsgrad``), as in PyTorch. ``foreach``, ``capturable``, ``differentiable`` and ``fused``
    choose PyTorch kernels; they are kept in the groups and change no result here.

    >>> p = mg.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = mg.optim.Adam([p], lr=0.1)
    >>> (p * p).sum().backward()
    >>> opt.step()
    >>> [round(v, 6) for v in p.tolist()]   # the first step is lr * sign(g)
    [0.9, -1.9]
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None, decoupled_weight_decay: bool = False) -> None:
        check_hyperparameters(type(self).__name__, betas, lr=lr, eps=eps, weight_decay=weight_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize, foreach=foreach, capturable=capturable,
                                      differentiable=differentiable, fused=fused,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _block_update(self, p: Tensor, group: dict) -> BlockUpdate:
        lr, (beta1, beta2), eps, weight_decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        amsgrad, maximize, decoupled = group["amsgrad"], group["maximize"], group["decoupled_weight_decay"]
        state = self.state.setdefault(p, {})
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(p._data, order="C"), exp_avg_sq=np.zeros_like(p._data, order="C"))
            if amsgrad:
                state["max_exp_avg_sq"] = np.zeros_like(p._data, order="C")
        state["step"] += 1
        step = state["step"]
        step_size = lr / (1 - beta1 ** step)
        bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
        extra = (state["max_exp_avg_sq"],) if amsgrad else ()

        def update(param, grad, m, v, *v_max) -> None:
            work, tmp = self._scratch(param)
            g = moments_(param, grad, m, v, group, decoupled, work, tmp)
            if amsgrad:
                v = np.maximum(v_max[0], v, out=v_max[0])
            np.sqrt(v, out=tmp)
            tmp /= bias_correction2_sqrt
            tmp += eps
            np.multiply(m, -step_size, out=work)  # g is no longer needed
            work /= tmp
            param += work

        return update, (state["exp_avg"], state["exp_avg_sq"], *extra)


class AdamW(Adam):
    """PyTorch's AdamW: Adam with decoupled weight decay (``p = p * (1 - lr * weight_decay)``
    before the step, instead of adding ``weight_decay * p`` to the gradient), 0.01 by default."""

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict(state_dict)
        for group in self.param_groups:  # as PyTorch: AdamW always decouples
            group["decoupled_weight_decay"] = True


def moments_(param: np.ndarray, grad: np.ndarray, exp_avg: np.ndarray, exp_avg_sq: np.ndarray, group: dict,
             decoupled: bool, work: np.ndarray, tmp: np.ndarray) -> np.ndarray:
    """The start that Adam, NAdam and RAdam share, on one block: weight decay (decoupled: shrink
    ``param``; else L2 into the gradient) and ``maximize``, then both moving averages::

        m = lerp(m, g, 1 - beta1)        v = beta2 * v + (1 - beta2) * g * g

    Returns ``g``: ``work`` or, with neither decay nor ``maximize``, the gradient itself (read only).
    """
    beta1, beta2 = group["betas"]
    weight_decay = group["weight_decay"]
    if weight_decay and decoupled:
        param *= 1 - group["lr"] * weight_decay
        weight_decay = 0.0
    g = direction(param, grad, weight_decay, group["maximize"], work)
    _lerp_(exp_avg, g, 1 - beta1, tmp)
    exp_avg_sq *= beta2
    np.multiply(g, 1 - beta2, out=tmp)
    tmp *= g
    exp_avg_sq += tmp
    return g


def _lerp_(start: np.ndarray, end: np.ndarray, weight: float, tmp: np.ndarray) -> None:
    """``start += weight * (end - start)`` in place, with PyTorch's formula for each half of [0, 1]."""
    np.subtract(end, start, out=tmp)
    if weight < 0.5:
        tmp *= weight
        start += tmp
    else:
        tmp *= weight - 1  # end - (end - start) * (1 - weight)
        np.add(end, tmp, out=start)
