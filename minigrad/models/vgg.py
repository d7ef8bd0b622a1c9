"""VGG-11 and VGG-16 (Simonyan & Zisserman, 2014; configurations "A" and "D"), and VGG-11 with
batch normalisation, with exactly the layers and ``state_dict`` keys of
``torchvision.models.vgg11`` / ``vgg11_bn`` / ``vgg16``, so their weights load unchanged.

``features`` is a stack of 3x3 convolutions (padding 1: the size is kept) and ReLUs, with 2x2
max pooling after each of the five stages, so 224x224 becomes 7x7 with 512 channels::

    vgg11: 64 M 128 M 256 256 M 512 512 M 512 512 M
    vgg16: 64 64 M 128 128 M 256 256 256 M 512 512 512 M 512 512 512 M

(``_bn``: each convolution is followed by ``BatchNorm2d`` before its ReLU, which shifts the
indices of ``features``). Then ``avgpool`` (adaptive average pooling to 7x7) and ``classifier``:
``25088 -> 4096 -> 4096 -> num_classes`` with ReLU and dropout (p = 0.5 by default).

The five poolings need an input of at least 32x32 (32 -> 1x1 at the end of ``features``); the
adaptive pooling then repeats that 1x1 map to 7x7, so the classifier has the same size for every
input (a 28x28 digit padded to 32x32 works; use ``minigrad train --model vgg11`` for that).

Initialisation as torchvision: convolutions ``kaiming_normal_(mode="fan_out",
nonlinearity="relu")`` with bias 0, batch-norm weight 1 and bias 0, linear layers N(0, 0.01^2)
with bias 0.
"""
from __future__ import annotations

from minigrad.models._shape import check_images
from minigrad.nn import AdaptiveAvgPool2d, Conv2d, Dropout, Linear, MaxPool2d, Module, ReLU, Sequential, init
from minigrad.nn.modules.batchnorm import BatchNorm2d
from minigrad.tensor import Tensor

CONFIGS = {
    "vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
}


def make_layers(config: list, batch_norm: bool = False) -> Sequential:
    """``features`` from a configuration: a number is a 3x3 convolution to that many channels
    (then batch norm if asked, then ReLU), ``"M"`` a 2x2 max pooling."""
    layers: list[Module] = []
    in_channels = 3
    for v in config:
        if v == "M":
            layers.append(MaxPool2d(kernel_size=2, stride=2))
        else:
            layers.append(Conv2d(in_channels, v, kernel_size=3, padding=1))
            if batch_norm:
                layers.append(BatchNorm2d(v))
            layers.append(ReLU(inplace=True))
            in_channels = v
    return Sequential(*layers)


class VGG(Module):
    """``features`` (from ``make_layers``), adaptive average pooling to 7x7, and the classifier."""

    def __init__(self, features: Sequential, num_classes: int = 1000, init_weights: bool = True,
                 dropout: float = 0.5) -> None:
        super().__init__()
        self.features = features
        self.avgpool = AdaptiveAvgPool2d((7, 7))
        self.classifier = Sequential(
            Linear(512 * 7 * 7, 4096), ReLU(inplace=True), Dropout(p=dropout),
            Linear(4096, 4096), ReLU(inplace=True), Dropout(p=dropout),
            Linear(4096, num_classes),
        )
        if init_weights:
            for module in self.modules():
                if isinstance(module, Conv2d):
                    init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                    init.constant_(module.bias, 0)
                elif isinstance(module, BatchNorm2d):
                    init.constant_(module.weight, 1)
                    init.constant_(module.bias, 0)
                elif isinstance(module, Linear):
                    init.normal_(module.weight, 0, 0.01)
                    init.constant_(module.bias, 0)

    def forward(self, x: Tensor) -> Tensor:
        check_images(x, "VGG", 3, min_size=32, why="VGG's five 2x2 max poolings")
        x = self.avgpool(self.features(x))
        return self.classifier(x.flatten(1))


def _vgg(config: str, batch_norm: bool, num_classes: int, dropout: float) -> VGG:
    return VGG(make_layers(CONFIGS[config], batch_norm), num_classes=num_classes, dropout=dropout)


def vgg11(num_classes: int = 1000, dropout: float = 0.5) -> VGG:
    """VGG-11 (configuration "A"): 132,863,336 parameters at 1000 classes.

    >>> import minigrad as mg
    >>> mg.models.vgg11(num_classes=10).eval()(mg.zeros(1, 3, 32, 32)).shape
    (1, 10)
    """
    return _vgg("vgg11", False, num_classes, dropout)


def vgg11_bn(num_classes: int = 1000, dropout: float = 0.5) -> VGG:
    """VGG-11 with batch normalisation after every convolution: 132,868,840 parameters."""
    return _vgg("vgg11", True, num_classes, dropout)


def vgg16(num_classes: int = 1000, dropout: float = 0.5) -> VGG:
    """VGG-16 (configuration "D"): 138,357,544 parameters at 1000 classes."""
    return _vgg("vgg16", False, num_classes, dropout)
