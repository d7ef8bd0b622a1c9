"""``minigrad.utils.data`` is ``minigrad.data`` under PyTorch's name (``torch.utils.data``):
the same objects, so ``import minigrad as torch; torch.utils.data.DataLoader`` works.

>>> import minigrad.utils.data
>>> minigrad.utils.data.DataLoader is minigrad.data.DataLoader
True
"""
import sys

from minigrad.data import (
    BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset, IterableDataset, RandomSampler, Sampler,
    SequentialSampler, Subset, SubsetRandomSampler, TensorDataset, WeightedRandomSampler, default_collate,
    default_convert, get_worker_info, random_split,
)
from minigrad.data import dataloader, dataset, sampler

# PyTorch's submodule paths too: ``from torch.utils.data.dataloader import default_collate``
for _module in (dataloader, dataset, sampler):
    sys.modules[f"{__name__}.{_module.__name__.rsplit('.', 1)[1]}"] = _module
del _module

__all__ = [
    "BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset", "IterableDataset", "RandomSampler",
    "Sampler", "SequentialSampler", "Subset", "SubsetRandomSampler", "TensorDataset", "WeightedRandomSampler",
    "default_collate", "default_convert", "get_worker_info", "random_split",
]
