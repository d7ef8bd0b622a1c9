"""ResNet-18 and ResNet-34 (He, Zhang, Ren & Sun, 2015), with exactly the modules and
``state_dict`` keys of ``torchvision.models.resnet18`` / ``resnet34``, so their weights load
unchanged.

A ``BasicBlock`` is two 3x3 convolutions with batch normalisation, added to a shortcut::

    out = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))

The shortcut is the identity, or ``downsample`` (a 1x1 convolution with stride 2 and batch
normalisation, keys ``downsample.0`` / ``downsample.1``) where the block halves the size and
doubles the channels. The network::

    (3, 224, 224) conv1 7x7 s2 p3, bn1, relu -> (64, 112, 112)  maxpool 3x3 s2 p1 -> (64, 56, 56)
                  layer1 -> (64, 56, 56)   layer2 -> (128, 28, 28)
                  layer3 -> (256, 14, 14)  layer4 -> (512, 7, 7)
                  avgpool (adaptive, 1x1) -> 512 -> fc -> num_classes

with [2, 2, 2, 2] blocks per layer for ResNet-18 and [3, 4, 6, 3] for ResNet-34. The adaptive
average pooling makes ``fc`` the same for every input size: a 32x32 image (CIFAR, or a 28x28
digit padded by 2) reaches layer4 as 1x1 and works as it is.

Initialisation as torchvision: convolutions ``kaiming_normal_(mode="fan_out",
nonlinearity="relu")``, batch-norm weight 1 and bias 0, ``fc`` PyTorch's default; with
``zero_init_residual=True`` each block's ``bn2`` weight starts at 0 (each block starts as the
identity).
"""
from __future__ import annotations

from minigrad.models._shape import check_images
from minigrad.nn import AdaptiveAvgPool2d, Conv2d, Linear, MaxPool2d, Module, ReLU, Sequential, init
from minigrad.nn.modules.batchnorm import BatchNorm2d
from minigrad.tensor import Tensor


def conv3x3(in_planes: int, out_planes: int, stride: int = 1) -> Conv2d:
    """3x3 convolution with padding 1 and no bias (the batch norm after it has one)."""
    return Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> Conv2d:
    return Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(Module):
    """Two 3x3 convolutions and a shortcut: ``relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))``."""

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: Module | None = None) -> None:
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = BatchNorm2d(planes)
        self.relu = ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class ResNet(Module):
    """A ResNet of ``BasicBlock`` s; ``layers`` is the number of blocks in each of the four stages."""

    def __init__(self, layers: list[int], num_classes: int = 1000, zero_init_residual: bool = False) -> None:
        super().__init__()
        if len(layers) != 4:
            raise ValueError(f"ResNet: layers must give the number of blocks of the 4 stages, got {layers!r}")
        self.inplanes = 64
        self.conv1 = Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = BatchNorm2d(64)
        self.relu = ReLU(inplace=True)
        self.maxpool = MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(64, layers[0])
        self.layer2 = self._make_layer(128, layers[1], stride=2)
        self.layer3 = self._make_layer(256, layers[2], stride=2)
        self.layer4 = self._make_layer(512, layers[3], stride=2)
        self.avgpool = AdaptiveAvgPool2d((1, 1))
        self.fc = Linear(512 * BasicBlock.expansion, num_classes)
        for module in self.modules():
            if isinstance(module, Conv2d):
                init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, BatchNorm2d):
                init.constant_(module.weight, 1)
                init.constant_(module.bias, 0)
        if zero_init_residual:
            for module in self.modules():
                if isinstance(module, BasicBlock):
                    init.constant_(module.bn2.weight, 0)

    def _make_layer(self, planes: int, blocks: int, stride: int = 1) -> Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * BasicBlock.expansion:
            downsample = Sequential(conv1x1(self.inplanes, planes * BasicBlock.expansion, stride),
                                    BatchNorm2d(planes * BasicBlock.expansion))
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * BasicBlock.expansion
        layers += [BasicBlock(self.inplanes, planes) for _ in range(1, blocks)]
        return Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        check_images(x, "ResNet", 3)
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


def resnet18(num_classes: int = 1000, zero_init_residual: bool = False) -> ResNet:
    """ResNet-18: [2, 2, 2, 2] basic blocks, 11,689,512 parameters at 1000 classes.

    >>> import minigrad as mg
    >>> mg.models.resnet18(num_classes=10).eval()(mg.zeros(1, 3, 32, 32)).shape
    (1, 10)
    """
    return ResNet([2, 2, 2, 2], num_classes=num_classes, zero_init_residual=zero_init_residual)


def resnet34(num_classes: int = 1000, zero_init_residual: bool = False) -> ResNet:
    """ResNet-34: [3, 4, 6, 3] basic blocks, 21,797,672 parameters at 1000 classes."""
    return ResNet([3, 4, 6, 3], num_classes=num_classes, zero_init_residual=zero_init_residual)
