"""AlexNet (Krizhevsky, Sutskever & Hinton, 2012).

``paper`` is the network of the paper as a single tower (like Caffe's reference model):
96-256-384-384-256 filters, ReLU, local response normalisation after the first two
convolutions, overlapping 3x3/2 max pooling, dropout before the second and third fully
connected layers, on 3x227x227 inputs; 62,378,344 parameters at 1000 classes::

    (3, 227, 227)  conv11 s4   -> (96, 55, 55)  relu, LRN, maxpool3/2 -> (96, 27, 27)
                   conv5 p2    -> (256, 27, 27) relu, LRN, maxpool3/2 -> (256, 13, 13)
                   conv3 p1 x3 -> (384, 13, 13), (384, 13, 13), (256, 13, 13), maxpool3/2 -> (256, 6, 6)
                   9216 -> 4096 -> 4096 -> num_classes

LRN is ``LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2)`` in PyTorch's convention (the
window sum is divided by ``size``, as in Caffe's reference AlexNet).

``torchvision`` has exactly the layers and ``state_dict`` keys of
``torchvision.models.alexnet`` (64-192-384-256-256 filters, no LRN, adaptive average pooling to
6x6, dropout before the first two fully connected layers), so its weights load unchanged.
"""
from __future__ import annotations

from minigrad.nn import (
    AdaptiveAvgPool2d, Conv2d, Dropout, Linear, LocalResponseNorm, MaxPool2d, Module, ReLU, Sequential,
)
from minigrad.models._shape import check_images, features_shape, size_pair
from minigrad.tensor import Tensor


class AlexNet(Module):
    """AlexNet; ``variant="paper"`` (227x227 by default) or ``"torchvision"`` (any size >= 63).

    >>> import minigrad as mg
    >>> sum(p.numel() for p in mg.models.AlexNet().parameters())
    62378344
    """

    def __init__(self, num_classes: int = 1000, variant: str = "paper", dropout: float = 0.5, input_size=None) -> None:
        super().__init__()
        if variant not in ("paper", "torchvision"):
            raise ValueError(f"AlexNet: variant must be 'paper' or 'torchvision', got {variant!r}")
        self.variant = variant
        if variant == "paper":
            self.input_size = size_pair(input_size or 227, "AlexNet")
            self.features = Sequential(
                Conv2d(3, 96, kernel_size=11, stride=4), ReLU(inplace=True),
                LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0), MaxPool2d(kernel_size=3, stride=2),
                Conv2d(96, 256, kernel_size=5, padding=2), ReLU(inplace=True),
                LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0), MaxPool2d(kernel_size=3, stride=2),
                Conv2d(256, 384, kernel_size=3, padding=1), ReLU(inplace=True),
                Conv2d(384, 384, kernel_size=3, padding=1), ReLU(inplace=True),
                Conv2d(384, 256, kernel_size=3, padding=1), ReLU(inplace=True),
                MaxPool2d(kernel_size=3, stride=2),
            )
            channels, height, width = features_shape("AlexNet", self.features, 3, self.input_size)
            self.classifier = Sequential(
                Linear(channels * height * width, 4096), ReLU(inplace=True), Dropout(p=dropout),
                Linear(4096, 4096), ReLU(inplace=True), Dropout(p=dropout),
                Linear(4096, num_classes),
            )
        else:
            self.input_size = None
            self.features = Sequential(
                Conv2d(3, 64, kernel_size=11, stride=4, padding=2), ReLU(inplace=True), MaxPool2d(kernel_size=3, stride=2),
                Conv2d(64, 192, kernel_size=5, padding=2), ReLU(inplace=True), MaxPool2d(kernel_size=3, stride=2),
                Conv2d(192, 384, kernel_size=3, padding=1), ReLU(inplace=True),
                Conv2d(384, 256, kernel_size=3, padding=1), ReLU(inplace=True),
                Conv2d(256, 256, kernel_size=3, padding=1), ReLU(inplace=True),
                MaxPool2d(kernel_size=3, stride=2),
            )
            self.avgpool = AdaptiveAvgPool2d((6, 6))
            self.classifier = Sequential(
                Dropout(p=dropout), Linear(256 * 6 * 6, 4096), ReLU(inplace=True),
                Dropout(p=dropout), Linear(4096, 4096), ReLU(inplace=True),
                Linear(4096, num_classes),
            )

    def forward(self, x: Tensor) -> Tensor:
        check_images(x, "AlexNet", 3, self.input_size)
        x = self.features(x)
        if self.variant == "torchvision":
            x = self.avgpool(x)
        return self.classifier(x.flatten(1))
