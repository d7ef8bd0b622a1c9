"""``DataLoader``: batches from a dataset, as ``torch.utils.data.DataLoader``.

The pieces, each replaceable: a *sampler* says which indices to read and in which order
(``SequentialSampler``, or ``RandomSampler`` with ``shuffle=True``); a *batch sampler* groups
them (``BatchSampler(sampler, batch_size, drop_last)``); the dataset gives one sample per index;
``collate_fn`` (``default_collate``) stacks the samples into a batch. When the dataset has
``get_batch(indices)`` and the collate function is the default, the loader asks the dataset for
the whole batch at once (one array-indexing call instead of a Python loop over samples; the
result is the same).

Shuffling without a ``generator`` differs from PyTorch in one way, on purpose: epoch ``e`` uses
the order drawn from ``(seed, e)``, where ``seed`` is the argument or, by default, a number drawn
from minigrad's generator when the loader is made (so ``mg.manual_seed`` fixes it). The order
therefore does not depend on how many random numbers the model drew in between (dropout), and
``set_epoch(e)`` replays epoch ``e``: a resumed run sees the same batches as an uninterrupted one.
(The order is ``numpy.random.default_rng([seed, e]).permutation(n)``, as in earlier versions.)
With a ``generator``, shuffling draws from it as PyTorch does.

Loading happens in the main process: ``num_workers > 0`` is accepted and gives the same batches,
with a warning that no worker processes are started; ``pin_memory`` is accepted and has nothing
to do on a CPU-only framework.
"""
from __future__ import annotations

import itertools
import warnings
from typing import Any, Callable, Iterator

from minigrad.data.collate import default_collate, default_convert
from minigrad.data.dataset import IterableDataset
from minigrad.data.sampler import BatchSampler, RandomSampler, SequentialSampler
from minigrad.generator import Generator, numpy_generator


def get_worker_info() -> None:
    """Information about the current worker process: always ``None`` (minigrad loads in the main process)."""
    return None


class DataLoader:
    """Iterate over ``dataset`` in batches; PyTorch's arguments, plus ``seed`` (the shuffling
    order of every epoch, see the module's docstring) and ``set_epoch``.

    >>> from minigrad.data import DataLoader, TensorDataset
    >>> loader = DataLoader(TensorDataset(mg.zeros(10, 3), mg.arange(10)), batch_size=4)
    >>> [tuple(x.shape) for x, _ in loader], len(loader)
    ([(4, 3), (4, 3), (2, 3)], 3)
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None, sampler=None,
                 batch_sampler=None, num_workers: int = 0, collate_fn: Callable | None = None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable | None = None, multiprocessing_context=None,
                 generator: Generator | None = None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "", in_order: bool = True,
                 seed: int | None = None) -> None:
        _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers)
        if isinstance(dataset, IterableDataset):
            for name, value in (("shuffle", shuffle), ("sampler", sampler), ("batch_sampler", batch_sampler)):
                if value not in (None, False):
                    raise ValueError(f"DataLoader with IterableDataset: expected unspecified {name} option, "
                                     f"but got {name}={value}")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")
        if generator is not None and seed is not None:
            raise ValueError("DataLoader: pass either generator or seed, not both")

        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.num_workers, self.pin_memory, self.timeout = num_workers, pin_memory, timeout
        self.worker_init_fn, self.multiprocessing_context = worker_init_fn, multiprocessing_context
        self.prefetch_factor, self.persistent_workers = prefetch_factor, persistent_workers
        self.pin_memory_device, self.in_order = pin_memory_device, in_order
        self.generator, self.seed, self.epoch = generator, seed, 0
        self._epoch_generator = None  # reseeded from (seed, epoch) before each epoch
        if sampler is None and not isinstance(dataset, IterableDataset):
            sampler = self._default_sampler(bool(shuffle))
        if batch_size is not None and batch_sampler is None and sampler is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.collate_fn = collate_fn or (default_collate if self._auto_collation else default_convert)
        if num_workers > 0:
            warnings.warn(f"DataLoader: minigrad loads data in the main process; num_workers={num_workers} starts no "
                          "worker processes (the batches are the same)", UserWarning, stacklevel=2)

    def _default_sampler(self, shuffle: bool):
        if not shuffle:
            return SequentialSampler(self.dataset)
        if self.generator is not None:
            return RandomSampler(self.dataset, generator=self.generator)
        if self.seed is None:
            self.seed = int(numpy_generator().integers(2 ** 63))
        self._epoch_generator = Generator()
        return RandomSampler(self.dataset, generator=self._epoch_generator)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None or (isinstance(self.dataset, IterableDataset) and self.batch_size is not None)

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration use epoch ``epoch``'s order (for resuming a run)."""
        self.epoch = epoch

    def __len__(self) -> int:
        if isinstance(self.dataset, IterableDataset):
            length = len(self.dataset)
            if self.batch_size is None:
                return length
            return length // self.batch_size if self.drop_last else -(-length // self.batch_size)
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)

    def __iter__(self) -> Iterator[Any]:
        if self._epoch_generator is not None:
            self._epoch_generator._seed_numpy([self.seed, self.epoch])
        self.epoch += 1
        if isinstance(self.dataset, IterableDataset):
            yield from self._iter_stream()
        elif self.batch_sampler is None:  # batch_size=None: samples one by one, not batched
            for index in self.sampler:
                yield self.collate_fn(self.dataset[index])
        else:
            for indices in self.batch_sampler:
                yield self._fetch(indices)

    def _fetch(self, indices: list) -> Any:
        if self.collate_fn is default_collate and callable(getattr(self.dataset, "get_batch", None)):
            return self.dataset.get_batch(indices)
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.collate_fn(self.dataset.__getitems__(indices))
        return self.collate_fn([self.dataset[i] for i in indices])

    def _iter_stream(self) -> Iterator[Any]:
        stream = iter(self.dataset)
        if self.batch_size is None:
            for sample in stream:
                yield self.collate_fn(sample)
            return
        while batch := list(itertools.islice(stream, self.batch_size)):
            if len(batch) < self.batch_size and self.drop_last:
                return
            yield self.collate_fn(batch)


def _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers) -> None:
    if num_workers < 0:
        raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError("prefetch_factor option could only be specified in multiprocessing. Let num_workers > 0 "
                         "to enable multiprocessing, otherwise set prefetch_factor to None.")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")


__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]
