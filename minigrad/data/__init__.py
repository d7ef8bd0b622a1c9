"""Data, with the names and meanings of ``torch.utils.data`` and torchvision.

- ``Dataset``, ``IterableDataset``, ``TensorDataset``, ``Subset``, ``ConcatDataset``,
  ``ChainDataset``, ``random_split`` (``dataset.py``);
- samplers: ``SequentialSampler``, ``RandomSampler``, ``SubsetRandomSampler``,
  ``WeightedRandomSampler``, ``BatchSampler`` (``sampler.py``);
- ``DataLoader`` and ``default_collate`` (``dataloader.py``, ``collate.py``);
- ``datasets``: ``MNIST``, ``FashionMNIST`` and ``EmbeddedFashionMNIST``, a real subset shipped
  with minigrad (``mnist.py``, reading the IDX files of ``idx.py``);
- ``transforms``: ``ToTensor``, ``Normalize``, ``Compose``, ``RandomCrop``, ... (``transforms.py``).

``minigrad.utils.data`` holds the same objects, so ``torch.utils.data.DataLoader`` works after
``import minigrad as torch``.
"""
from minigrad.data import datasets, transforms
from minigrad.data.collate import default_collate, default_convert
from minigrad.data.dataloader import DataLoader, get_worker_info
from minigrad.data.dataset import (
    ChainDataset, ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, random_split,
)
from minigrad.data.download import DownloadError
from minigrad.data.idx import IDXError, read_idx, write_idx
from minigrad.data.mnist import DatasetNotFoundError, EmbeddedFashionMNIST, FashionMNIST, MNIST
from minigrad.data.sampler import (
    BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler, WeightedRandomSampler,
)

DATASETS = ("embedded", "fashion-mnist", "mnist")


def get_dataset(name: str, train: bool = True, root=None, download: bool = False, transform=None, mirrors=None):
    """A dataset by its command-line name (``embedded``, ``fashion-mnist`` or ``mnist``) with
    samples ready to train on: ``ToTensor()``, then ``transform`` when given. ``mirrors``: base
    URLs to download from (see ``MNIST``)."""
    steps = transform.transforms if isinstance(transform, transforms.Compose) else [transform] if transform else []
    pipeline = transforms.Compose([transforms.ToTensor(), *steps]) if steps else transforms.ToTensor()
    if name == "embedded":
        return EmbeddedFashionMNIST(train=train, transform=pipeline)
    if name == "fashion-mnist":
        return FashionMNIST(root, train=train, transform=pipeline, download=download, mirrors=mirrors)
    if name == "mnist":
        return MNIST(root, train=train, transform=pipeline, download=download, mirrors=mirrors)
    raise ValueError(f"unknown dataset {name!r}; choose one of: {', '.join(DATASETS)}")


__all__ = [
    "BatchSampler", "ChainDataset", "ConcatDataset", "DATASETS", "DataLoader", "Dataset", "DatasetNotFoundError",
    "DownloadError", "EmbeddedFashionMNIST", "FashionMNIST", "IDXError", "IterableDataset", "MNIST",
    "RandomSampler", "Sampler", "SequentialSampler", "Subset", "SubsetRandomSampler", "TensorDataset",
    "WeightedRandomSampler", "datasets", "default_collate", "default_convert", "get_dataset", "get_worker_info",
    "random_split", "read_idx", "transforms", "write_idx",
]
