"""``default_collate``: a list of samples into one batch, exactly as PyTorch's.

The rule is applied recursively, by the type of the first sample:

=====================  =================================================================
sample                 batch
=====================  =================================================================
Tensor                 the Tensors stacked along a new first dimension
numpy array            converted to Tensors (dtype kept), then stacked
numpy scalar           a Tensor of those scalars (dtype kept)
int (or bool)          an int64 Tensor (a bool Tensor when every value is a bool)
float                  a float64 Tensor
str, bytes             the samples unchanged (a tuple inside tuple samples, as PyTorch)
dict                   a dict: each key collated over the samples
namedtuple             the same namedtuple of collated fields
tuple                  a **list** of collated positions (so ``(image, label)`` gives ``[images, labels]``)
list                   a list of collated positions
=====================  =================================================================

>>> batch = default_collate([(np.zeros((1, 2), np.float32), 3), (np.ones((1, 2), np.float32), 4)])
>>> type(batch).__name__, batch[0].shape, batch[1].dtype
('list', (2, 1, 2), dtype('int64'))

``collate(batch, collate_fn_map=...)`` takes a map from types to functions, so a custom type can
be added without rewriting the rest (PyTorch's ``torch.utils.data._utils.collate.collate``).
"""
from __future__ import annotations

import collections.abc
import copy
from typing import Any, Callable

import numpy as np

from minigrad import _dtype
from minigrad.ops import stack
from minigrad.tensor import Tensor

ERROR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _tensor(array: np.ndarray) -> Tensor:
    return Tensor._make(array)


def collate_tensor_fn(batch, *, collate_fn_map=None) -> Tensor:
    shapes = [tuple(t.shape) for t in batch]
    for entry, shape in enumerate(shapes):
        if shape != shapes[0]:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shapes[0])} at entry 0 "
                               f"and {list(shape)} at entry {entry}")
    if any(t.requires_grad for t in batch):
        return stack(list(batch))  # recorded by autograd, as torch.stack is
    return _tensor(np.stack([t._data for t in batch]))


def collate_numpy_array_fn(batch, *, collate_fn_map=None) -> Tensor:
    if batch[0].dtype.kind in "SaUOV":
        raise TypeError(ERROR.format(batch[0].dtype))
    return collate([_tensor(np.asarray(a)) for a in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None) -> Tensor:
    return _tensor(np.asarray(batch))


def collate_int_fn(batch, *, collate_fn_map=None) -> Tensor:
    array = np.asarray(batch)  # as torch.tensor(batch): int64, bool, or the default float dtype if mixed
    if array.dtype.kind in "iu":
        array = array.astype(np.int64)
    elif array.dtype.kind == "f":
        array = array.astype(_dtype.get_default_dtype())
    return _tensor(array)


def collate_float_fn(batch, *, collate_fn_map=None) -> Tensor:
    return _tensor(np.asarray(batch, dtype=np.float64))


def collate_str_fn(batch, *, collate_fn_map=None) -> list:
    return batch


default_collate_fn_map: dict[type | tuple, Callable] = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def collate(batch: list, *, collate_fn_map: dict | None = None) -> Any:
    """Collate ``batch`` (a list of samples) with the functions of ``collate_fn_map`` for the
    types it names and the container rules (dicts, namedtuples, sequences) for the rest."""
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type, function in collate_fn_map.items():
            if isinstance(elem, collate_type):
                return function(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        fields = {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem}
        if isinstance(elem, collections.abc.MutableMapping):
            clone = copy.copy(elem)  # keeps the mapping's type (OrderedDict, defaultdict, ...)
            clone.update(fields)
            return clone
        try:
            return elem_type(fields)
        except TypeError:
            return fields
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        positions = [collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)]
        if isinstance(elem, tuple):
            return positions
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                clone = copy.copy(elem)
                clone[:] = positions
                return clone
            return elem_type(positions)
        except TypeError:
            return positions
    raise TypeError(ERROR.format(elem_type))


def default_collate(batch: list) -> Any:
    """Stack a list of samples into a batch, as ``torch.utils.data.default_collate`` (see the
    module's table). The DataLoader's default ``collate_fn``."""
    return collate(batch, collate_fn_map=default_collate_fn_map)


def default_convert(data: Any) -> Any:
    """Turn numpy arrays and scalars inside ``data`` into Tensors, without batching (the
    ``collate_fn`` of a DataLoader with ``batch_size=None``), as ``torch.utils.data.default_convert``.

    >>> converted = default_convert((np.zeros(2), 1))
    >>> type(converted).__name__, type(converted[0]).__name__, converted[0].dtype, converted[1]
    ('list', 'Tensor', dtype('float64'), 1)
    """
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        return data if data.dtype.kind in "SaUOV" else _tensor(data)
    if isinstance(data, (np.bool_, np.number)):
        return _tensor(np.asarray(data))
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        fields = {key: default_convert(data[key]) for key in data}
        try:
            return type(data)(fields)
        except TypeError:
            return fields
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence):
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


__all__ = ["collate", "default_collate", "default_collate_fn_map", "default_convert"]
