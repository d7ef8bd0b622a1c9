"""Pointwise activations: ``leaky_relu``, ``elu``, ``gelu``, ``silu``, ``softplus``, ``hardtanh``,
``logsigmoid`` and ``prelu``, as PyTorch computes them.

Each activation is one row of a table: its forward on numpy arrays and, next to it, its backward
(the gradient of the input) written with Tensor ops, so that gradients of gradients come for
free. ``pointwise(name, forward, backward)`` turns a row into a ``Function`` class.

The branch taken at a kink is PyTorch's: ``leaky_relu`` passes ``grad * negative_slope`` at 0,
``elu`` ``grad * alpha``, ``hardtanh`` nothing at its bounds; ``elu`` at 0 and ``softplus`` at its
threshold have PyTorch's zero second derivative. Branches that would overflow where
they are not selected (``exp`` of a large input) are computed on clipped inputs, so large
inputs give neither warnings nor NaN gradients.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from minigrad import ops
from minigrad.autograd.function import Function
from minigrad.autograd.grad_mode import grad_state
from minigrad.errors import DtypeError, ShapeError
from minigrad.nn.functional.loss import LogSigmoid
from minigrad.nn.scope import composite
from minigrad.ops.indexing import where
from minigrad.ops.inplace import apply_inplace
from minigrad.tensor import Tensor


class Pointwise(Function):
    """``y = compute(x, **params)``, ``grad_x = gradient(grad, x, **params)``: the shape of every
    row of the table. ``x`` is saved for backward; ``params`` are the op's keyword arguments."""

    compute: Callable
    gradient: Callable

    @classmethod
    def forward(cls, ctx, x, **params):
        ctx.save_for_backward(x)
        ctx.params = params
        with np.errstate(over="ignore"):  # exp overflowing to inf gives the right limit
            return np.asarray(cls.compute(x._data, **params), dtype=x.dtype)

    @classmethod
    def backward(cls, ctx, grad):
        (x,) = ctx.saved_tensors
        return cls.gradient(grad, x, **ctx.params)


def pointwise(name: str, compute: Callable, gradient: Callable) -> type[Function]:
    """A ``Function`` class from one row of the table."""
    return type(name, (Pointwise,), {"compute": staticmethod(compute), "gradient": staticmethod(gradient),
                                     "__module__": __name__})


_erf_ufunc = np.frompyfunc(math.erf, 1, 1)  # numpy has no erf; math.erf is the C library's


def _erf(x: np.ndarray) -> np.ndarray:
    return np.asarray(_erf_ufunc(x), dtype=x.dtype)


_SQRT1_2 = math.sqrt(0.5)
_NORMAL_PDF = 1 / math.sqrt(2 * math.pi)  # PyTorch's kBeta = M_2_SQRTPI * M_SQRT1_2 * 0.5
_TANH_BETA = math.sqrt(2 / math.pi)  # gelu(approximate="tanh"): tanh(beta * (x + kappa * x**3))
_TANH_KAPPA = 0.044715


def _gelu_tanh_gradient(grad: Tensor, x: Tensor) -> Tensor:
    """PyTorch's gelu_backward for ``approximate="tanh"``, written with Tensor ops."""
    x_sq = x * x
    tanh_inner = ops.tanh(_TANH_BETA * (x + _TANH_KAPPA * x_sq * x))
    left_derivative = 0.5 * (1 + tanh_inner)
    right_derivative = 0.5 * x * (1 - tanh_inner * tanh_inner) * (_TANH_BETA * (1 + 3 * _TANH_KAPPA * x_sq))
    return grad * (left_derivative + right_derivative)


def _softplus_slope(scaled: Tensor, threshold: float) -> Tensor:
    """``sigmoid(beta * x)``, whose own derivative PyTorch stops at the threshold itself."""
    return ops.sigmoid(where(scaled < threshold, scaled, threshold))


# -- the table: name, forward on arrays, backward with Tensor ops -----------------------------------
Erf = pointwise(
    "Erf", _erf,
    lambda grad, x: grad * (2 / math.sqrt(math.pi)) * ops.exp(-x * x))
LeakyRelu = pointwise(
    "LeakyRelu", lambda x, negative_slope: np.where(x > 0, x, x * negative_slope),
    lambda grad, x, negative_slope: where(x > 0, grad, grad * negative_slope))
Elu = pointwise(
    "Elu", lambda x, alpha: np.where(x > 0, x, np.expm1(np.minimum(x, 0)) * alpha),
    lambda grad, x, alpha: where(x > 0, grad, grad * alpha * ops.exp(where(x < 0, x, 0.0))))
Gelu = pointwise(
    "Gelu", lambda x: x * 0.5 * (1 + _erf(x * _SQRT1_2)),
    lambda grad, x: grad * (0.5 * (1 + Erf.apply(x * _SQRT1_2)) + x * _NORMAL_PDF * ops.exp(-0.5 * x * x)))
GeluTanh = pointwise(
    "GeluTanh", lambda x: 0.5 * x * (1 + np.tanh(_TANH_BETA * (x + _TANH_KAPPA * x * x * x))),
    _gelu_tanh_gradient)
Silu = pointwise(
    "Silu", lambda x: x / (1 + np.exp(-x)),
    lambda grad, x: grad * ops.sigmoid(x) * (1 + x * (1 - ops.sigmoid(x))))
Softplus = pointwise(
    "Softplus", lambda x, beta, threshold: np.where(x * beta > threshold, x, np.log1p(np.exp(x * beta)) / beta),
    lambda grad, x, beta, threshold: where(x * beta > threshold, grad, grad * _softplus_slope(x * beta, threshold)))
Hardtanh = pointwise(
    "Hardtanh", lambda x, min_val, max_val: np.minimum(np.maximum(x, min_val), max_val),
    lambda grad, x, min_val, max_val: where((x <= min_val) | (x >= max_val), 0.0, grad))


def _floating(input: Tensor, op: str) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be a Tensor, not {type(input).__name__}")
    if input.dtype.kind != "f":
        raise NotImplementedError(f'"{op}" not implemented for {input.dtype} (input shape {input.shape}); '
                                  "convert with input.float()")
    return input


def _in_place(input: Tensor, op: str, function: type[Function], **params) -> Tensor:
    """``input`` overwritten with ``function(input)``; its backward gets a copy of the old values."""
    _floating(input, op.rstrip("_"))
    return apply_inplace(input, op, lambda x: function.apply(x, **params), saves_self=True)


def _no_negative_slope_in_place(input: Tensor, slope: float, op: str, name: str) -> None:
    """PyTorch's in-place leaky_relu and elu cannot be differentiated with a negative slope (their
    backward reads the output); it raises at backward, minigrad at the call."""
    if slope < 0 and grad_state.enabled and input.requires_grad:
        raise RuntimeError(
            f"In-place {name} backward calculation is triggered with a negative slope which is not "
            f"supported. This is caused by calling in-place forward function with a negative slope, "
            f"please call out-of-place version instead ({op}: slope {slope})."
        )


# -- the public functions ---------------------------------------------------------------------------
def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x if x > 0 else negative_slope * x``; the gradient at 0 is ``negative_slope``, as PyTorch.

    >>> import minigrad as mg
    >>> from minigrad.nn.functional.pointwise_activation import leaky_relu
    >>> leaky_relu(mg.tensor([-2.0, 0.0, 3.0]), 0.5).tolist()
    [-1.0, 0.0, 3.0]
    """
    if inplace:
        return leaky_relu_(input, negative_slope)
    return LeakyRelu.apply(_floating(input, "leaky_relu"), negative_slope=negative_slope)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """``leaky_relu`` written into ``input``'s memory."""
    _no_negative_slope_in_place(input, negative_slope, "leaky_relu_", "leakyReLu")
    return _in_place(input, "leaky_relu_", LeakyRelu, negative_slope=negative_slope)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x if x > 0 else alpha * (exp(x) - 1)``; the gradient at 0 is ``alpha``, as PyTorch.

    >>> import minigrad as mg
    >>> from minigrad.nn.functional.pointwise_activation import elu
    >>> [round(v, 6) for v in elu(mg.tensor([-1.0, 2.0])).tolist()]   # e**-1 - 1
    [-0.632121, 2.0]
    """
    if inplace:
        return elu_(input, alpha)
    return Elu.apply(_floating(input, "elu"), alpha=alpha)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """``elu`` written into ``input``'s memory."""
    _no_negative_slope_in_place(input, alpha, "elu_", "elu")
    return _in_place(input, "elu_", Elu, alpha=alpha)


def check_approximate(approximate: str) -> None:
    """GELU's formula: exact (``"none"``) or the tanh approximation (``nn.GELU`` checks it once in
    ``__init__``, ``gelu`` at every call)."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit ``x * Phi(x) = x * 0.5 * (1 + erf(x / sqrt(2)))``; with
    ``approximate="tanh"``, ``0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))``.

    >>> import minigrad as mg
    >>> from minigrad.nn.functional.pointwise_activation import gelu
    >>> [round(v, 6) for v in gelu(mg.tensor([-1.0, 0.0, 1.0]), approximate="tanh").tolist()]
    [-0.158808, 0.0, 0.841192]
    """
    check_approximate(approximate)
    function = Gelu if approximate == "none" else GeluTanh
    return function.apply(_floating(input, "gelu"))


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """Sigmoid linear unit (swish) ``x * sigmoid(x)``.

    >>> import minigrad as mg
    >>> from minigrad.nn.functional.pointwise_activation import silu
    >>> [round(v, 6) for v in silu(mg.tensor([-1.0, 0.0, 1.0])).tolist()]
    [-0.268941, 0.0, 0.731059]
    """
    if inplace:
        return _in_place(input, "silu_", Silu)
    return Silu.apply(_floating(input, "silu"))


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * x)) / beta``, and ``x`` itself where ``beta * x > threshold`` (where the
    two agree to float precision), so it never overflows.

    >>> import minigrad as mg
    >>> from minigrad.nn.functional.pointwise_activation import softplus
    >>> [round(v, 6) for v in softplus(mg.tensor([-1000.0, 0.0, 1000.0])).tolist()]   # log 2 at 0
    [0.0, 0.693147, 1000.0]
    """
    return Softplus.apply(_floating(input, "softplus"), beta=beta, threshold=threshold)


def check_bounds(min_val: float, max_val: float, layer: bool = False) -> None:
    """Hardtanh's bounds are in order. As in PyTorch, the functional form accepts ``min_val ==
    max_val`` (a constant output) and the layer, which checks once in ``__init__``, does not."""
    if layer and not max_val > min_val:
        raise ValueError(f"max_val ({max_val}) must be greater than min_val ({min_val})")
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` clipped to ``[min_val, max_val]``; no gradient at or beyond the bounds, as PyTorch.

    >>> import minigrad as mg
    >>> from minigrad.nn.functional.pointwise_activation import hardtanh
    >>> hardtanh(mg.tensor([-3.0, 0.5, 3.0])).tolist()
    [-1.0, 0.5, 1.0]
    """
    if inplace:
        return hardtanh_(input, min_val, max_val)
    check_bounds(min_val, max_val)
    return Hardtanh.apply(_floating(input, "hardtanh"), min_val=min_val, max_val=max_val)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """``hardtanh`` written into ``input``'s memory."""
    check_bounds(min_val, max_val)
    return _in_place(input, "hardtanh_", Hardtanh, min_val=min_val, max_val=max_val)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x)) = min(x, 0) - log(1 + exp(-|x|))``, finite for any ``x``.

    >>> import minigrad as mg
    >>> from minigrad.nn.functional.pointwise_activation import logsigmoid
    >>> [round(v, 6) for v in logsigmoid(mg.tensor([-1000.0, 0.0])).tolist()]   # log(1/2) at 0
    [-1000.0, -0.693147]
    """
    return LogSigmoid.apply(_floating(input, "log_sigmoid"))


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``x if x > 0 else weight * x`` with a learned ``weight``: one slope for all channels, or one
    per channel (dimension 1 of the input, ``weight`` of shape ``(C,)``).

    >>> import minigrad as mg
    >>> from minigrad.nn.functional.pointwise_activation import prelu
    >>> prelu(mg.tensor([[-1.0, -1.0], [2.0, -4.0]]), mg.tensor([0.5, 0.25])).tolist()
    [[-0.5, -0.25], [2.0, -1.0]]
    """
    _floating(input, "prelu")
    if weight.dtype != input.dtype:
        raise DtypeError(f"prelu: Type promoting not supported. Got {input.dtype} and {weight.dtype}")
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.ndim}")
    if weight.numel() != 1:
        if input.ndim == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = input.shape[1] if input.ndim >= 2 else 1
        if channels != weight.numel():
            raise ShapeError(
                f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                f"{weight.numel()} and channel size = {channels}. (input shape {input.shape})"
            )
    # the slopes along dimension 1, broadcast over the others
    slopes = weight.reshape((1, -1) + (1,) * (input.ndim - 2)) if input.ndim >= 2 else weight.reshape(())
    with composite("prelu", input, weight):
        return PRelu.apply(input, slopes)


class PRelu(Function):
    """``x if x > 0 else w * x``, ``w`` broadcast to ``x``."""

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return np.where(x._data > 0, x._data, w._data * x._data)

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        return PReluBackward.apply(grad, x, w)


class PReluBackward(Function):
    """The two gradients of :class:`PRelu`: ``grad if x > 0 else w * grad`` for ``x``, and
    ``0 if x > 0 else x * grad`` (summed to ``w``'s shape) for ``w``. Its own backward is
    PyTorch's formulas, which take the branch ``x >= 0`` (not ``x > 0``) at 0."""

    @staticmethod
    def forward(ctx, grad, x, w):
        ctx.save_for_backward(grad, x, w)
        positive = x._data > 0
        grad_x = np.where(positive, grad._data, w._data * grad._data)
        grad_w = np.where(positive, 0, x._data * grad._data).astype(x.dtype)
        return grad_x, _sum_to_array(grad_w, w.shape)

    @staticmethod
    def backward(ctx, grad_grad_x, grad_grad_w):
        grad, x, w = ctx.saved_tensors
        positive_or_zero = x >= 0
        wrt_grad = where(positive_or_zero, grad_grad_x, grad_grad_x * w + grad_grad_w * x)
        wrt_x = where(positive_or_zero, 0.0, grad * grad_grad_w)
        wrt_w = ops.sum_to(where(positive_or_zero, 0.0, grad * grad_grad_x), w.shape)
        return wrt_grad, wrt_x, wrt_w


def _sum_to_array(array: np.ndarray, shape: tuple) -> np.ndarray:
    """``array`` summed over the axes that broadcasting added to reach it from ``shape``."""
    lead = array.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, size in enumerate(shape) if size == 1 and array.shape[lead + i] != 1)
    return array.sum(axis=axes).reshape(shape) if axes else array
