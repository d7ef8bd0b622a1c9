"""SimpleConvNet, the small CNN of the book's CNN chapter::

    conv (30 filters 5x5) - relu - maxpool 2x2 - affine 100 - relu - affine 10

On 1x28x28 inputs: (30, 24, 24) after the convolution, (30, 12, 12) after pooling, 4320
features into the first affine layer. Parameters start as PyTorch's defaults; with
``weight_init_std=0.01`` they start as in the book: weights from N(0, 0.01^2), biases 0 (then
the trained first-layer filters stand out clearly from the untrained ones).
"""
from __future__ import annotations

from minigrad.models._shape import check_images, features_shape, size_pair
from minigrad.nn import Conv2d, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential, init
from minigrad.tensor import Tensor


class SimpleConvNet(Module):
    """conv-relu-pool-affine-relu-affine.

    >>> import minigrad as mg
    >>> mg.models.SimpleConvNet()(mg.zeros(2, 1, 28, 28)).shape
    (2, 10)
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, input_size=28, filter_num: int = 30,
                 filter_size: int = 5, hidden_size: int = 100, weight_init_std: float | None = None) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.input_size = size_pair(input_size, "SimpleConvNet")
        self.features = Sequential(Conv2d(in_channels, filter_num, filter_size), ReLU(), MaxPool2d(2))
        flat = 1
        for size in features_shape("SimpleConvNet", self.features, in_channels, self.input_size):
            flat *= size
        self.classifier = Sequential(Flatten(), Linear(flat, hidden_size), ReLU(), Linear(hidden_size, num_classes))
        if weight_init_std is not None:
            for name, param in self.named_parameters():
                if name.endswith("weight"):
                    init.normal_(param, 0.0, weight_init_std)
                else:
                    init.zeros_(param)

    def forward(self, x: Tensor) -> Tensor:
        check_images(x, "SimpleConvNet", self.in_channels, self.input_size)
        return self.classifier(self.features(x))
