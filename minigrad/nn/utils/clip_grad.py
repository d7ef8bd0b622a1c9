"""Gradient clipping, as ``torch.nn.utils.clip_grad``: rescale all gradients together so that
their total norm is at most ``max_norm`` (``clip_grad_norm_``), or clamp each element
(``clip_grad_value_``). Gradients change in place (their version moves on).

>>> import minigrad as mg
>>> w = mg.zeros(2, requires_grad=True)
>>> w.grad = mg.tensor([3.0, 4.0])
>>> clip_grad_norm_([w], max_norm=1.0)
tensor(5.)
>>> w.grad
tensor([0.6000, 0.8000])
"""
from __future__ import annotations

import types
import warnings
from typing import Iterable

import numpy as np

from minigrad.ops.versions import bump
from minigrad.tensor import Tensor

TensorOrTensors = Tensor | Iterable[Tensor]


def _vector_norm(array: np.ndarray, norm_type: float) -> np.ndarray:
    """``torch.linalg.vector_norm`` of the flattened array, in its dtype: ``inf`` is the largest
    magnitude, ``-inf`` the smallest, ``0`` the number of non-zeros, else ``sum(|x|^p)^(1/p)``."""
    magnitude = np.abs(array.reshape(-1))
    if norm_type == float("inf"):
        return magnitude.max(initial=0).astype(array.dtype)
    if norm_type == float("-inf"):
        return magnitude.min(initial=np.inf).astype(array.dtype)
    if norm_type == 0:
        return np.asarray(np.count_nonzero(magnitude), dtype=array.dtype)
    if norm_type == 1:
        return magnitude.sum(dtype=array.dtype)
    if norm_type == 2:
        return np.sqrt(np.dot(magnitude, magnitude)).astype(array.dtype)
    return (magnitude ** np.asarray(norm_type, array.dtype)).sum(dtype=array.dtype) ** np.asarray(1 / norm_type, array.dtype)


def get_total_norm(tensors: TensorOrTensors, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach: bool | None = None) -> Tensor:
    """The ``norm_type``-norm of all ``tensors`` taken together (as if concatenated into one
    vector): the norm of their norms. A 0-d Tensor; ``tensor(0.)`` for no tensors."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return Tensor._make(np.asarray(0.0, dtype=np.float32))
    norms = [_vector_norm(t._data, norm_type) for t in tensors]
    total = _vector_norm(np.stack(norms).astype(np.result_type(*norms)), norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
            "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`")
    return Tensor._make(np.asarray(total))


def clip_grads_with_norm_(parameters: TensorOrTensors, max_norm: float, total_norm: Tensor,
                          foreach: bool | None = None) -> None:
    """Multiply every gradient by ``min(max_norm / (total_norm + 1e-6), 1)``."""
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return
    total = total_norm._data if isinstance(total_norm, Tensor) else np.asarray(total_norm)
    # PyTorch computes max_norm / t as t.reciprocal() * max_norm, in the norm's dtype
    clip_coef = np.reciprocal(total + total.dtype.type(1e-6)) * total.dtype.type(float(max_norm))
    clip_coef = np.minimum(clip_coef, total.dtype.type(1.0))
    for g in grads:
        with np.errstate(invalid="ignore"):  # a non-finite norm scales as it is, silently, as in PyTorch
            g._data *= clip_coef.astype(g._data.dtype)
        bump(g)


def clip_grad_norm_(parameters: TensorOrTensors, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Rescale the gradients of ``parameters`` (a Tensor or an iterable; gradients that are None
    are skipped) so that their total norm is at most ``max_norm``; return the total norm before
    clipping (a 0-d Tensor). ``norm_type`` may be ``float("inf")``. With
    ``error_if_nonfinite=True`` a nan or infinite total norm raises instead of scaling."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and not parameters:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=2)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters: TensorOrTensors, max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Deprecated in PyTorch in favour of ``clip_grad_norm_``."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters: TensorOrTensors, clip_value: float, foreach: bool | None = None) -> None:
    """Clamp every gradient element into ``[-clip_value, clip_value]``, in place."""
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    clip_value = float(clip_value)
    for p in parameters:
        if p.grad is not None:
            np.clip(p.grad._data, -clip_value, clip_value, out=p.grad._data)
            bump(p.grad)


__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm"]
