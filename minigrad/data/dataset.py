"""Datasets, as in ``torch.utils.data``: ``Dataset``, ``IterableDataset``, ``TensorDataset``,
``Subset``, ``ConcatDataset``, ``ChainDataset`` and ``random_split``.

A map-style dataset is anything with ``__len__`` and ``__getitem__`` (an index in, a sample out);
subclassing ``Dataset`` adds ``ds1 + ds2`` (a ``ConcatDataset``). An ``IterableDataset`` is a
stream: it defines ``__iter__`` instead.

A dataset may also define ``get_batch(indices)``, returning exactly what
``default_collate([ds[i] for i in indices])`` would, built with whole-array operations: the
``DataLoader`` uses it when it collates with ``default_collate``, so batches of MNIST or of a
``TensorDataset`` cost one indexing call instead of a Python loop over samples.

>>> from minigrad.generator import Generator
>>> ds = TensorDataset(mg.arange(5), mg.arange(5) * 10)
>>> train, test = random_split(ds, [3, 2], generator=Generator().manual_seed(0))
>>> len(train), len(test), sorted(int(x) for x, _ in train + test)
(3, 2, [0, 1, 2, 3, 4])
"""
from __future__ import annotations

import bisect
import itertools
import math
import warnings
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from minigrad.data.collate import default_collate
from minigrad.generator import Generator, numpy_generator
from minigrad.tensor import Tensor


class Dataset:
    """Base class of map-style datasets: subclasses define ``__getitem__`` and ``__len__``."""

    def __getitem__(self, index) -> Any:
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: "Dataset") -> "ConcatDataset":
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """Base class of stream datasets: subclasses define ``__iter__``."""

    def __iter__(self) -> Iterator:
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other: "IterableDataset") -> "ChainDataset":
        return ChainDataset([self, other])


def _rows(tensor: Tensor, index) -> Tensor:
    if tensor.requires_grad:
        return tensor[index]  # recorded by autograd
    return Tensor._make(tensor._data[index])


class TensorDataset(Dataset):
    """Sample ``i`` is the tuple ``(t[i] for t in tensors)``; the tensors share their first dimension.
    numpy arrays are accepted too and become Tensors (sharing memory).

    >>> ds = TensorDataset(mg.zeros(5, 2), mg.arange(5))
    >>> len(ds), ds[3][0].shape, int(ds[3][1])
    (5, (2,), 3)
    """

    def __init__(self, *tensors) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        self.tensors = tuple(t if isinstance(t, Tensor) else Tensor._make(np.asarray(t)) for t in tensors)
        sizes = [t.shape[0] if t.ndim else None for t in self.tensors]
        if None in sizes or len(set(sizes)) != 1:
            raise ValueError(f"Size mismatch between tensors: first dimensions {sizes} "
                             f"(shapes {[tuple(t.shape) for t in self.tensors]})")

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __getitem__(self, index) -> tuple:
        return tuple(_rows(t, index) for t in self.tensors)

    def get_batch(self, indices: Sequence[int]) -> list:
        indices = np.asarray(indices, dtype=np.int64)
        return [_rows(t, indices) for t in self.tensors]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices: Sequence[int]) -> None:
        self.dataset, self.indices = dataset, indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices: list[int]) -> list:
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def get_batch(self, indices: Sequence[int]):
        """The underlying dataset's batch path, when it has one."""
        if callable(getattr(self.dataset, "get_batch", None)):
            return self.dataset.get_batch([self.indices[int(i)] for i in indices])
        return default_collate(self.__getitems__([int(i) for i in indices]))

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several datasets one after another; ``cumulative_sizes[k]`` is where dataset ``k`` ends.

    >>> ds = ConcatDataset([[10, 11, 12], [20, 21]])
    >>> len(ds), ds[3], ds[-1], ds.cumulative_sizes
    (5, 20, 21, [3, 5])
    """

    def __init__(self, datasets: Iterable) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        for dataset in self.datasets:
            if isinstance(dataset, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int):
        if index < 0:
            if -index > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            index += len(self)
        if index >= len(self):
            raise IndexError(f"ConcatDataset: index {index} is out of range for {len(self)} samples")
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][index - start]


class ChainDataset(IterableDataset):
    """Several iterable datasets one after another."""

    def __init__(self, datasets: Iterable) -> None:
        self.datasets = datasets

    def __iter__(self) -> Iterator:
        for dataset in self.datasets:
            if not isinstance(dataset, IterableDataset):
                raise TypeError("ChainDataset only supports IterableDataset")
            yield from dataset

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)


def _fraction_lengths(total: int, fractions: Sequence[float]) -> list[int]:
    """``floor(total * f)`` each, then one more to the first splits, round robin, until they sum to ``total``."""
    lengths = []
    for i, fraction in enumerate(fractions):
        if not 0 <= fraction <= 1:
            raise ValueError(f"Fraction at index {i} is not between 0 and 1")
        lengths.append(math.floor(total * fraction))
    for i in range(total - sum(lengths)):
        lengths[i % len(lengths)] += 1
    for i, length in enumerate(lengths):
        if length == 0:
            warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.", stacklevel=3)
    return lengths


def random_split(dataset, lengths: Sequence[int | float], generator: Generator | None = None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random ``Subset``s of the given ``lengths`` (counts,
    or fractions that sum to 1, as PyTorch: ``[0.8, 0.2]``). The same ``generator`` seed gives the
    same split; without one, minigrad's global generator is used (``mg.manual_seed``)."""
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        lengths = _fraction_lengths(len(dataset), lengths)
    if sum(lengths) != len(dataset):
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    indices = numpy_generator(generator).permutation(sum(lengths)).tolist()
    ends = itertools.accumulate(lengths)
    return [Subset(dataset, indices[end - length:end]) for end, length in zip(ends, lengths)]


__all__ = ["ChainDataset", "ConcatDataset", "Dataset", "IterableDataset", "Subset", "TensorDataset",
           "random_split"]
