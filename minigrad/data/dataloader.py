"""``DataLoader``: batches of Tensors from a dataset, shuffled reproducibly.

Batches are made with one array-indexing call per batch (``dataset.get_batch``), never with a
Python loop over samples. With ``shuffle=True`` epoch ``e`` uses the permutation drawn from
``(seed, e)``; without a seed, the seed comes from minigrad's generator (``mg.manual_seed``).
Either way a run can be repeated, or resumed at any epoch with ``set_epoch``.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np

from minigrad.data.dataset import Dataset
from minigrad.random import default_generator
from minigrad.tensor import Tensor


class DataLoader:
    """Iterate over ``dataset`` in batches of ``(Tensor images, Tensor labels)``.

    >>> import numpy as np
    >>> from minigrad.data import DataLoader, TensorDataset
    >>> loader = DataLoader(TensorDataset(np.zeros((10, 3), np.float32), np.arange(10)), batch_size=4)
    >>> [tuple(x.shape) for x, _ in loader], len(loader)
    ([(4, 3), (4, 3), (2, 3)], 3)
    """

    def __init__(self, dataset: Dataset, batch_size: int = 1, shuffle: bool = False, drop_last: bool = False,
                 seed: int | None = None) -> None:
        if batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size must be positive, got {batch_size}")
        self.dataset, self.batch_size = dataset, batch_size
        self.shuffle, self.drop_last = shuffle, drop_last
        self.seed = seed if seed is not None else int(default_generator().integers(2 ** 63))
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration use epoch ``epoch``'s order (for resuming a run)."""
        self.epoch = epoch

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def order(self, epoch: int) -> np.ndarray:
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        return np.random.default_rng([self.seed, epoch]).permutation(n)

    def __iter__(self) -> Iterator[tuple]:
        order = self.order(self.epoch)
        self.epoch += 1
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            indices = order[start:start + self.batch_size]
            yield tuple(Tensor(np.asarray(part)) for part in self.dataset.get_batch(indices))
