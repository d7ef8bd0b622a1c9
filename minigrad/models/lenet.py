"""LeNet-5 (LeCun et al., 1998), classic and modern.

``modern`` is the LeNet-5 of PyTorch tutorials: ReLU and max pooling, with the first
convolution padded by 2 so that a 28x28 digit keeps its size::

    (1, 28, 28) conv5 p2 -> (6, 28, 28) relu, maxpool2 -> (6, 14, 14)
                conv5    -> (16, 10, 10) relu, maxpool2 -> (16, 5, 5)
                flatten 400 -> linear 120 -> relu -> linear 84 -> relu -> linear 10

``classic`` follows the paper: tanh activations, average-pool subsampling (S2, S4), and C5 as
a 5x5 convolution to 120 maps, on a 32x32 input; a 28x28 input is zero-padded to 32x32 (the
first convolution pads by 2), as was done for MNIST. Two simplifications, as in most
reimplementations: C3 connects to all six S2 maps (the paper used a sparse table), and the
output layer is linear (the paper used Euclidean RBF units); S2/S4 have no trainable scale.
"""
from __future__ import annotations

from minigrad.models._shape import check_images, features_shape, size_pair
from minigrad.nn import AvgPool2d, Conv2d, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential, Tanh
from minigrad.tensor import Tensor


class LeNet5(Module):
    """LeNet-5 for ``in_channels x input_size x input_size`` images (28x28 by default).

    >>> import minigrad as mg
    >>> mg.models.LeNet5()(mg.zeros(2, 1, 28, 28)).shape
    (2, 10)
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, variant: str = "modern", input_size=28) -> None:
        super().__init__()
        if variant not in ("modern", "classic"):
            raise ValueError(f"LeNet5: variant must be 'modern' or 'classic', got {variant!r}")
        self.variant, self.in_channels = variant, in_channels
        self.input_size = size_pair(input_size, "LeNet5")
        if variant == "modern":
            self.features = Sequential(
                Conv2d(in_channels, 6, 5, padding=2), ReLU(), MaxPool2d(2),
                Conv2d(6, 16, 5), ReLU(), MaxPool2d(2),
            )
        else:
            pad = 2 if min(self.input_size) < 32 else 0  # 28x28 digits are padded to 32x32
            self.features = Sequential(
                Conv2d(in_channels, 6, 5, padding=pad), Tanh(), AvgPool2d(2),  # C1, S2
                Conv2d(6, 16, 5), Tanh(), AvgPool2d(2),                         # C3, S4
                Conv2d(16, 120, 5), Tanh(),                                     # C5
            )
        flat = 1
        for size in features_shape("LeNet5", self.features, in_channels, self.input_size):
            flat *= size
        if variant == "modern":
            self.classifier = Sequential(
                Flatten(), Linear(flat, 120), ReLU(), Linear(120, 84), ReLU(), Linear(84, num_classes),
            )
        else:
            self.classifier = Sequential(Flatten(), Linear(flat, 84), Tanh(), Linear(84, num_classes))  # F6, output

    def forward(self, x: Tensor) -> Tensor:
        check_images(x, "LeNet5", self.in_channels, self.input_size)
        return self.classifier(self.features(x))
