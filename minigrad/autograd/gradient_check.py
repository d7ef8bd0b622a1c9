"""Gradient checks: compare backward with central differences, element by element.

``gradcheck(f, inputs)`` builds two Jacobians for every output of ``f`` and every input that
requires grad:

* numerical: perturb each input element by ``±eps`` and take ``(f(x+eps) - f(x-eps)) / 2eps``;
* analytical: one backward pass per output element.

They must agree within ``atol + rtol * |numerical|``. ``gradgradcheck`` applies the same check to
the function ``(inputs, v) -> grad(f(inputs), inputs, v, create_graph=True)``, which tests the
backward of the backward.

Central differences are only trustworthy in float64 (float32 loses about half the digits), so
float32 inputs draw a warning. A mismatch at a point where ``f`` is not differentiable, such as
relu at 0 or a tie inside a max, is reported as a kink: that is the usual false alarm.
"""
from __future__ import annotations

import warnings
from typing import Callable, Sequence

import numpy as np

from minigrad.autograd import function
from minigrad.autograd.engine import grad as autograd_grad
from minigrad.autograd.grad_mode import enable_grad, no_grad


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck``/``gradgradcheck`` when analytical and numerical gradients differ."""


def _as_tuple(x) -> tuple:
    return x if isinstance(x, tuple) else tuple(x) if isinstance(x, list) else (x,)


def _float_outputs(outputs: tuple) -> list:
    return [o for o in outputs if isinstance(o, function.Tensor) and o.dtype.kind == "f"]


def _evaluate(func: Callable, inputs: tuple) -> list[np.ndarray]:
    with no_grad():
        return [o._data.astype(np.float64, copy=True) for o in _float_outputs(_as_tuple(func(*inputs)))]


def _numerical_jacobians(func, inputs, diff_positions, eps) -> dict:
    """``{(input position, output index): J}`` with ``J[i, j] = d out_j / d in_i``."""
    jacobians = {}
    for position in diff_positions:
        data = inputs[position]._data
        columns = None
        for i in range(data.size):
            original = data.flat[i]
            data.flat[i] = original + eps
            plus = _evaluate(func, inputs)
            data.flat[i] = original - eps
            minus = _evaluate(func, inputs)
            data.flat[i] = original
            if columns is None:
                columns = [np.zeros((data.size, p.size)) for p in plus]
            for k, (p, m) in enumerate(zip(plus, minus)):
                columns[k][i] = ((p - m) / (2 * eps)).ravel()
        for k, column in enumerate(columns or []):
            jacobians[(position, k)] = column
    return jacobians


def _analytical_jacobians(func, inputs, diff_positions) -> dict:
    outputs = _float_outputs(_as_tuple(func(*inputs)))
    diff_inputs = [inputs[p] for p in diff_positions]
    jacobians = {}
    for k, out in enumerate(outputs):
        for position in diff_positions:
            jacobians[(position, k)] = np.zeros((inputs[position].numel(), out.numel()))
        if not out.requires_grad:
            continue
        for j in range(out.numel()):
            seed = np.zeros(out.shape, dtype=out.dtype)
            seed.flat[j] = 1
            grads = autograd_grad(out, diff_inputs, function.Tensor._make(seed), retain_graph=True, allow_unused=True)
            for position, g in zip(diff_positions, grads):
                if g is not None:
                    jacobians[(position, k)][:, j] = g._data.astype(np.float64).ravel()
    return jacobians


def _one_sided(func, inputs, position, i, k, j, eps) -> tuple[float, float]:
    data = inputs[position]._data
    original = data.flat[i]
    center = _evaluate(func, inputs)[k].flat[j]
    data.flat[i] = original + eps
    plus = _evaluate(func, inputs)[k].flat[j]
    data.flat[i] = original - eps
    minus = _evaluate(func, inputs)[k].flat[j]
    data.flat[i] = original
    return (center - minus) / eps, (plus - center) / eps


def _report(func, inputs, position, k, numerical, analytical, eps, atol, rtol, what) -> str:
    excess = np.abs(analytical - numerical) - (atol + rtol * np.abs(numerical))
    i, j = np.unravel_index(np.argmax(excess), excess.shape)
    shape = inputs[position].shape
    element = np.unravel_index(i, shape) if shape else ()
    n, a = numerical[i, j], analytical[i, j]
    lines = [
        f"{what}: Jacobian mismatch for output {k} with respect to input {position} "
        f"(shape {shape}), at input element {tuple(int(e) for e in element)} and output element {int(j)}:",
        f"    numerical:  {n:.10g}",
        f"    analytical: {a:.10g}",
        f"    |analytical - numerical| = {abs(a - n):.3g} > atol + rtol * |numerical| = "
        f"{atol:g} + {rtol:g} * {abs(n):.3g} = {atol + rtol * abs(n):.3g}",
        f"    largest difference over the whole Jacobian: {np.max(np.abs(analytical - numerical)):.3g}",
    ]
    left, right = _one_sided(func, inputs, position, i, k, j, eps)
    if abs(left - right) > atol + rtol * max(abs(left), abs(right)):
        lines.append(
            f"    this element sits at a kink: the left derivative is {left:.6g} and the right one "
            f"{right:.6g}, so the function is not differentiable here (relu at 0, a tie inside a "
            "max, abs at 0, a clamp bound...). Move the input away from the kink, e.g. with "
            "different random values, and check again."
        )
    return "\n".join(lines)


def _check(func, inputs, eps, atol, rtol, raise_exception, what) -> bool:
    inputs = _as_tuple(inputs)
    diff_positions = [i for i, t in enumerate(inputs) if isinstance(t, function.Tensor) and t.requires_grad]
    if not diff_positions:
        raise ValueError(f"{what}: expected at least one input tensor that requires grad")
    for position in diff_positions:
        if inputs[position].dtype != np.float64:
            warnings.warn(
                f"{what}: input {position} is {inputs[position].dtype}; central differences need "
                "float64 to be reliable (use .double())",
                UserWarning,
                stacklevel=3,
            )
    analytical = _analytical_jacobians(func, inputs, diff_positions)
    numerical = _numerical_jacobians(func, inputs, diff_positions, eps)
    for key in sorted(analytical):
        position, k = key
        a, n = analytical[key], numerical.get(key, np.zeros_like(analytical[key]))
        if a.shape != n.shape or not np.all(np.abs(a - n) <= atol + rtol * np.abs(n)):
            if a.shape != n.shape:
                message = f"{what}: output {k} changed shape between evaluations"
            else:
                message = _report(func, inputs, position, k, n, a, eps, atol, rtol, what)
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True


def gradcheck(func: Callable, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True) -> bool:
    """Check ``func``'s gradients against central differences for every input that requires grad.

    >>> import minigrad as mg
    >>> x = mg.randn(3, dtype=mg.float64, requires_grad=True)
    >>> mg.gradcheck(lambda t: (t * t).sum(), (x,))
    True
    """
    return _check(func, inputs, eps, atol, rtol, raise_exception, "gradcheck")


def _vector_jacobian_product(func: Callable, inputs: tuple, grad_outputs: Sequence | None):
    """``(inputs, v) -> grad(func(inputs), inputs, v, create_graph=True)`` and its arguments."""
    inputs = _as_tuple(inputs)
    diff_positions = [i for i, t in enumerate(inputs) if isinstance(t, function.Tensor) and t.requires_grad]
    with enable_grad():
        outputs = [o for o in _float_outputs(_as_tuple(func(*inputs))) if o.requires_grad]
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            function.Tensor(rng.standard_normal(o.shape).astype(o.dtype), requires_grad=True) for o in outputs
        )
    grad_outputs = _as_tuple(grad_outputs)
    count = len(inputs)

    def first_derivative(*args):
        with enable_grad():
            ins = args[:count]
            outs = [o for o in _float_outputs(_as_tuple(func(*ins))) if o.requires_grad]
            diff = [ins[p] for p in diff_positions]
            grads = autograd_grad(outs, diff, list(args[count:]), create_graph=True, allow_unused=True)
        return tuple(g if g is not None else function.Tensor._make(np.zeros(t.shape, t.dtype))
                     for g, t in zip(grads, diff))

    return first_derivative, inputs + grad_outputs


def gradgradcheck(func: Callable, inputs, grad_outputs: Sequence | None = None, *, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Check second derivatives: gradcheck of ``(inputs, v) -> vector-Jacobian product``.

    ``grad_outputs`` (the ``v``) default to random float64 tensors that require grad.
    """
    first_derivative, arguments = _vector_jacobian_product(func, inputs, grad_outputs)
    return _check(first_derivative, arguments, eps, atol, rtol, raise_exception, "gradgradcheck")


def gradient_error(func: Callable, inputs, eps: float = 1e-6) -> float:
    """The largest ``|analytical - numerical|`` over the Jacobians that ``gradcheck`` compares."""
    inputs = _as_tuple(inputs)
    diff_positions = [i for i, t in enumerate(inputs) if isinstance(t, function.Tensor) and t.requires_grad]
    analytical = _analytical_jacobians(func, inputs, diff_positions)
    numerical = _numerical_jacobians(func, inputs, diff_positions, eps)
    return max((float(np.max(np.abs(a - numerical[k]), initial=0.0)) for k, a in analytical.items()), default=0.0)


def second_order_error(func: Callable, inputs, grad_outputs: Sequence | None = None, eps: float = 1e-6) -> float:
    """The largest ``|analytical - numerical|`` that ``gradgradcheck`` compares."""
    first_derivative, arguments = _vector_jacobian_product(func, inputs, grad_outputs)
    return gradient_error(first_derivative, arguments, eps)
