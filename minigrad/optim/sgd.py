"""Stochastic gradient descent with momentum, dampening, weight decay and Nesterov momentum."""
from __future__ import annotations

import numpy as np

from minigrad.optim.optimizer import Optimizer, blocks, decayed


class SGD(Optimizer):
    """PyTorch's SGD::

        d = g + weight_decay * p
        buf = d                                  (first step)
        buf = momentum * buf + (1 - dampening) * d
        d = d + momentum * buf   (nesterov)   or   d = buf
        p = p - lr * d
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False) -> None:
        if lr < 0 or momentum < 0 or weight_decay < 0:
            raise ValueError(f"SGD: invalid lr={lr}, momentum={momentum} or weight_decay={weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _update(self) -> None:
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            weight_decay, nesterov = group["weight_decay"], group["nesterov"]
            for p in self._params_with_grad(group):
                state = self.state.setdefault(p, {})
                first = momentum and "momentum_buffer" not in state
                if first:
                    state["momentum_buffer"] = np.empty_like(p._data, order="C")
                arrays = (p._data, p.grad._data) + ((state["momentum_buffer"],) if momentum else ())
                for chunk in blocks(*arrays):
                    param, grad = chunk[0], chunk[1]
                    d, tmp = self._scratch(param)
                    direction = decayed(param, grad, weight_decay, d)
                    if momentum:
                        buf = chunk[2]
                        if first:
                            buf[...] = direction
                        else:
                            buf *= momentum
                            if dampening:
                                np.multiply(direction, 1 - dampening, out=tmp)
                                buf += tmp
                            else:
                                buf += direction
                        if nesterov:
                            np.multiply(buf, momentum, out=tmp)
                            np.add(direction, tmp, out=d)
                            direction = d
                        else:
                            direction = buf
                    np.multiply(direction, -lr, out=tmp)
                    param += tmp
