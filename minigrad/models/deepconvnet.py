"""DeepConvNet, the deep CNN of the book's chapter 8 ("Deep Learning from Scratch", ``deep_convnet.py``)::

    conv - relu - conv - relu - pool -
    conv - relu - conv - relu - pool -
    conv - relu - conv - relu - pool -
    affine - relu - dropout - affine - dropout

Six 3x3 convolutions (16, 16, 32, 32, 64, 64 filters; padding 1, except 2 for the fourth, as in
the book), 2x2 max pooling after every second one, then 50 hidden units and 10 outputs, with
dropout (p = 0.5) after each affine layer. On 1x28x28 inputs::

    (1, 28, 28) conv p1, conv p1 -> (16, 28, 28) pool -> (16, 14, 14)
                conv p1, conv p2 -> (32, 16, 16) pool -> (32, 8, 8)
                conv p1, conv p1 -> (64, 8, 8)   pool -> (64, 4, 4)
                flatten 1024 -> affine 50 -> affine 10

Weights start as in the book, He's initialisation: N(0, 2 / fan_in) for every convolution and
affine layer (``kaiming_normal_``), biases 0. Dropout is PyTorch's (inverted: scaled by
``1/(1-p)`` while training, the identity in ``eval()``), where the book's scales by ``1-p`` at
test time instead; the predicted classes are the same.
"""
from __future__ import annotations

from minigrad.models._shape import check_images, features_shape, size_pair
from minigrad.nn import Conv2d, Dropout, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential, init
from minigrad.tensor import Tensor


class DeepConvNet(Module):
    """The book's deep CNN (over 99% on MNIST in the book after 20 epochs of Adam).

    >>> import minigrad as mg
    >>> mg.models.DeepConvNet()(mg.zeros(2, 1, 28, 28)).shape
    (2, 10)
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, input_size=28, hidden_size: int = 50,
                 dropout: float = 0.5) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.input_size = size_pair(input_size, "DeepConvNet")
        self.features = Sequential(
            Conv2d(in_channels, 16, 3, padding=1), ReLU(), Conv2d(16, 16, 3, padding=1), ReLU(), MaxPool2d(2),
            Conv2d(16, 32, 3, padding=1), ReLU(), Conv2d(32, 32, 3, padding=2), ReLU(), MaxPool2d(2),
            Conv2d(32, 64, 3, padding=1), ReLU(), Conv2d(64, 64, 3, padding=1), ReLU(), MaxPool2d(2),
        )
        flat = 1
        for size in features_shape("DeepConvNet", self.features, in_channels, self.input_size):
            flat *= size
        self.classifier = Sequential(
            Flatten(), Linear(flat, hidden_size), ReLU(), Dropout(dropout), Linear(hidden_size, num_classes), Dropout(dropout),
        )
        for module in self.modules():
            if isinstance(module, (Conv2d, Linear)):
                init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")  # He: std sqrt(2 / fan_in)
                init.zeros_(module.bias)

    def forward(self, x: Tensor) -> Tensor:
        check_images(x, "DeepConvNet", self.in_channels, self.input_size)
        return self.classifier(self.features(x))
