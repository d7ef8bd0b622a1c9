"""Stochastic gradient descent with momentum, dampening, weight decay, Nesterov momentum and
``maximize``."""
from __future__ import annotations

import numpy as np

from minigrad.optim.optimizer import BlockUpdate, Optimizer, check_hyperparameters, direction
from minigrad.tensor import Tensor


class SGD(Optimizer):
    """PyTorch's SGD::

        d = (-g if maximize else g) + weight_decay * p
        buf = d                                  (first step)
        buf = momentum * buf + (1 - dampening) * d
        d = d + momentum * buf   (nesterov)   or   d = buf
        p = p - lr * d

    The state of each parameter is ``{"momentum_buffer"}`` when ``momentum`` is set, as in PyTorch.
    ``foreach``, ``differentiable`` and ``fused`` choose PyTorch kernels and change no result here.
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False, fused: bool | None = None) -> None:
        check_hyperparameters("SGD", lr=lr, momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize, foreach=foreach,
                                      differentiable=differentiable, fused=fused))

    def _update(self) -> None:
        # a parameter listed twice takes PyTorch's first step twice: both of its updates start
        # from the buffers it had before the step (none), each setting the buffer to its gradient
        self._buffers_made: set[int] = set()
        super()._update()

    def _block_update(self, p: Tensor, group: dict) -> BlockUpdate:
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        weight_decay, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
        state = self.state.setdefault(p, {}) if momentum else {}  # PyTorch keeps no state without momentum
        first = momentum and ("momentum_buffer" not in state or id(p) in self._buffers_made)
        if momentum and "momentum_buffer" not in state:
            state["momentum_buffer"] = np.zeros_like(p._data, order="C")  # zeros: a step that fails leaves it valid
            self._buffers_made.add(id(p))

        def update(*chunk) -> None:
            param, grad = chunk[0], chunk[1]
            work, tmp = self._scratch(param)
            d = direction(param, grad, weight_decay, maximize, work)  # may be the gradient itself: read only
            if momentum:
                buf = chunk[2]
                if first:
                    buf[...] = d
                else:
                    buf *= momentum
                    if dampening:
                        np.multiply(d, 1 - dampening, out=tmp)
                        buf += tmp
                    else:
                        buf += d
                if nesterov:
                    np.multiply(buf, momentum, out=tmp)
                    np.add(d, tmp, out=work)
                    d = work
                else:
                    d = buf
            np.multiply(d, -lr, out=tmp)
            param += tmp

        return update, (state["momentum_buffer"],) if momentum else ()
