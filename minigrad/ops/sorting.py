"""Sorting: sort, argsort, topk, unique.

``sort`` and ``topk`` return ``(values, indices)``; the values' gradient goes back to the
positions the indices name (scattered into zeros, the backward of ``gather``). Sorting is
stable (equal values keep their order), in both directions; NaN counts as the largest value,
as in PyTorch.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from minigrad.ops._util import normalize_dim
from minigrad.ops.indexing import gather
from minigrad.tensor import Tensor

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def _sorted_indices(data: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable argsort; for descending order the array is reversed, sorted and reversed back, so
    that equal values still come in their original order."""
    if not descending:
        return np.argsort(data, axis=axis, kind="stable")
    n = data.shape[axis]
    backwards = np.argsort(np.flip(data, axis), axis=axis, kind="stable")
    return np.flip(n - 1 - backwards, axis)


def _with_dims(x: Tensor, dim: int, op: str) -> tuple[Tensor, int]:
    """0-d tensors are sorted as one-element vectors (``dim`` must be 0 or -1 then)."""
    axis = normalize_dim(dim, x.ndim, op)
    return (x.reshape(1), 0) if x.ndim == 0 else (x, axis)


def sort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> ValuesIndices:
    """``(values, indices)``: ``x`` sorted along ``dim`` and where each value came from
    (``values == x.gather(dim, indices)``). Always stable here; ``stable`` is accepted for
    PyTorch's signature.

    >>> import minigrad as mg
    >>> mg.tensor([3.0, 1.0, 2.0]).sort(descending=True).indices.tolist()
    [0, 2, 1]
    """
    flat, axis = _with_dims(x, dim, "sort")
    indices = Tensor._make(_sorted_indices(flat._data, axis, descending).astype(np.int64))
    values = gather(flat, axis, indices)
    if x.ndim == 0:
        return ValuesIndices(values.reshape(()), indices.reshape(()))
    return ValuesIndices(values, indices)


def argsort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort ``x`` along ``dim`` (``sort(...).indices``)."""
    return sort(x, dim, descending, stable).indices


def topk(x: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> ValuesIndices:
    """``(values, indices)`` of the ``k`` largest (``largest=False``: smallest) elements along
    ``dim``, largest first. (``sorted=False`` allows any order in PyTorch; they come sorted.)

    >>> import minigrad as mg
    >>> mg.tensor([1.0, 5.0, 3.0, 4.0]).topk(2).values.tolist()
    [5.0, 4.0]
    """
    flat, axis = _with_dims(x, dim, "topk")
    size = flat.shape[axis]
    if not 0 <= k <= size:
        raise RuntimeError(f"topk: selected index k out of range (k={k}, size {size} along dimension {dim})")
    order = _sorted_indices(flat._data, axis, descending=largest)
    indices = Tensor._make(np.take(order, np.arange(k), axis=axis).astype(np.int64))
    values = gather(flat, axis, indices)
    if x.ndim == 0:
        return ValuesIndices(values.reshape(()), indices.reshape(()))
    return ValuesIndices(values, indices)


def unique(x: Tensor, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False, dim=None):
    """The distinct values of ``x`` (sorted, flattened), optionally with ``inverse`` (each
    element's position in the result, shaped like ``x``) and ``counts``. Not differentiable, as
    in PyTorch."""
    if dim is not None:
        axis = normalize_dim(dim, x.ndim, "unique")
        found = np.unique(x._data, return_inverse=True, return_counts=True, axis=axis)
        values, inverse, counts = found[0], found[1].reshape(-1), found[2]
    else:
        values, inverse, counts = np.unique(x._data, return_inverse=True, return_counts=True)
        inverse = inverse.reshape(x.shape)
    result = [Tensor._make(values)]
    if return_inverse:
        result.append(Tensor._make(inverse.astype(np.int64)))
    if return_counts:
        result.append(Tensor._make(counts.astype(np.int64)))
    return result[0] if len(result) == 1 else tuple(result)
