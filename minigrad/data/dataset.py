"""``Dataset`` and ``TensorDataset``.

A dataset answers ``len(ds)`` and ``ds[i] -> (image, label)``. For speed it may also answer
``ds.get_batch(indices)`` with whole arrays at once; the DataLoader uses that, so batches are
made by array indexing instead of a Python loop over samples.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.tensor import Tensor


class Dataset:
    """Base class: subclasses define ``__len__`` and ``__getitem__``."""

    def __len__(self) -> int:
        raise NotImplementedError

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError

    def get_batch(self, indices: np.ndarray) -> tuple:
        """The samples at ``indices`` stacked into arrays (generic version: one sample at a time)."""
        samples = [self[int(i)] for i in indices]
        return tuple(np.stack([np.asarray(s[k].data if isinstance(s[k], Tensor) else s[k]) for s in samples])
                     for k in range(len(samples[0])))


class TensorDataset(Dataset):
    """Samples are the rows of arrays (or Tensors) that share their first dimension.

    >>> import numpy as np
    >>> ds = TensorDataset(np.zeros((5, 2)), np.arange(5))
    >>> len(ds), int(ds[3][1])
    (5, 3)
    """

    def __init__(self, *arrays) -> None:
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        self.arrays = tuple(a.data if isinstance(a, Tensor) else np.asarray(a) for a in arrays)
        sizes = {len(a) for a in self.arrays}
        if len(sizes) != 1:
            raise ValueError(f"TensorDataset: arrays have different first dimensions {[len(a) for a in self.arrays]}")

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: int) -> tuple:
        return tuple(a[index] for a in self.arrays)

    def get_batch(self, indices: np.ndarray) -> tuple:
        return tuple(a[indices] for a in self.arrays)
