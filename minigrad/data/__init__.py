"""Data: datasets (MNIST, Fashion-MNIST, an embedded subset), the DataLoader, transforms."""
from minigrad.data import transforms
from minigrad.data.dataloader import DataLoader
from minigrad.data.dataset import Dataset, TensorDataset
from minigrad.data.idx import IDXError, read_idx, write_idx
from minigrad.data.mnist import (
    DatasetNotFoundError, DownloadError, EmbeddedFashionMNIST, FashionMNIST, MNIST,
)

DATASETS = ("embedded", "fashion-mnist", "mnist")


def get_dataset(name: str, train: bool = True, root=None, download: bool = False, transform=None):
    """A dataset by its command-line name: ``embedded``, ``fashion-mnist`` or ``mnist``."""
    if name == "embedded":
        return EmbeddedFashionMNIST(train=train, transform=transform)
    if name == "fashion-mnist":
        return FashionMNIST(root, train=train, download=download, transform=transform)
    if name == "mnist":
        return MNIST(root, train=train, download=download, transform=transform)
    raise ValueError(f"unknown dataset {name!r}; choose one of: {', '.join(DATASETS)}")


__all__ = [
    "DATASETS", "DataLoader", "Dataset", "DatasetNotFoundError", "DownloadError", "EmbeddedFashionMNIST",
    "FashionMNIST", "IDXError", "MNIST", "TensorDataset", "get_dataset", "read_idx", "transforms", "write_idx",
]
