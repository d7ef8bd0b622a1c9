"""The datasets under torchvision's names: ``from minigrad.data import datasets`` reads as
``from torchvision import datasets``.

>>> from minigrad.data import datasets, transforms
>>> train = datasets.EmbeddedFashionMNIST(transform=transforms.ToTensor())
>>> image, label = train[0]
>>> image.shape, image.dtype, type(label).__name__
((1, 28, 28), dtype('float32'), 'int')
"""
from minigrad.data.mnist import EmbeddedFashionMNIST, FashionMNIST, MNIST

__all__ = ["EmbeddedFashionMNIST", "FashionMNIST", "MNIST"]
