"""Activation layers over ``minigrad.nn.functional.pointwise_activation``: ``LeakyReLU``, ``ELU``,
``GELU``, ``SiLU``, ``Softplus``, ``Hardtanh``, ``LogSigmoid`` and ``PReLU`` (learned slopes).

Each checks its configuration once in ``__init__``; ``forward`` is one call of the functional op.
"""
from __future__ import annotations

import warnings

from minigrad import creation
from minigrad.nn import init
from minigrad.nn.functional import pointwise_activation as F
from minigrad.nn.modules.module import Module
from minigrad.nn.parameter import Parameter
from minigrad.tensor import Tensor


def _inplace_text(inplace: bool) -> str:
    return ", inplace=True" if inplace else ""


class LeakyReLU(Module):
    """``x if x > 0 else negative_slope * x`` (see ``leaky_relu``).

    >>> import minigrad as mg
    >>> from minigrad.nn.modules.pointwise_activation import LeakyReLU
    >>> LeakyReLU(0.5)(mg.tensor([-2.0, 2.0])).tolist()
    [-1.0, 2.0]
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}{_inplace_text(self.inplace)}"


class ELU(Module):
    """``x if x > 0 else alpha * (exp(x) - 1)`` (see ``elu``)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}{_inplace_text(self.inplace)}"


class GELU(Module):
    """``x * Phi(x)``, exactly (``approximate="none"``) or with the tanh formula (see ``gelu``)."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        F.check_approximate(approximate)
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """``x * sigmoid(x)`` (see ``silu``)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.silu(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Softplus(Module):
    """``log(1 + exp(beta * x)) / beta``, linear above ``threshold`` (see ``softplus``)."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """``x`` clipped to ``[min_val, max_val]`` (see ``hardtanh``); ``min_value``/``max_value`` are
    PyTorch's deprecated spellings."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False,
                 min_value: float | None = None, max_value: float | None = None) -> None:
        super().__init__()
        if min_value is not None:
            warnings.warn("keyword argument `min_value` is deprecated and rename to `min_val`",
                          FutureWarning, stacklevel=2)
            min_val = min_value
        if max_value is not None:
            warnings.warn("keyword argument `max_value` is deprecated and rename to `max_val`",
                          FutureWarning, stacklevel=2)
            max_val = max_value
        F.check_bounds(min_val, max_val, layer=True)
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}{_inplace_text(self.inplace)}"


class LogSigmoid(Module):
    """``log(sigmoid(x))``, finite for any ``x`` (see ``logsigmoid``)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.logsigmoid(input)


class PReLU(Module):
    """``x if x > 0 else weight * x`` with learned slopes: one (``num_parameters=1``) or one per
    channel of dimension 1. ``weight`` starts at ``init`` (state_dict key ``"weight"``).

    >>> import minigrad as mg
    >>> from minigrad.nn.modules.pointwise_activation import PReLU
    >>> layer = PReLU(num_parameters=2)
    >>> list(layer.state_dict()), layer(mg.tensor([[-4.0, 4.0]])).tolist()
    (['weight'], [[-1.0, 4.0]])
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None) -> None:
        super().__init__()
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(creation.empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.constant_(self.weight, self.init)

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"
