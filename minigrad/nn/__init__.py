"""Neural networks: ``Module``, layers, ``init``, and the ``functional`` ops."""
from minigrad.nn import functional, init
from minigrad.nn.modules import (
    AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, BCELoss, GroupNorm, LayerNorm, BCEWithLogitsLoss, Conv2d, CrossEntropyLoss, Dropout,
    Flatten, Identity, Linear, LocalResponseNorm, LogSoftmax, MaxPool2d, Module, ModuleList, MSELoss,
    NLLLoss, ReLU, Sequential, Sigmoid, Softmax, Tanh,
)
from minigrad.nn.parameter import Parameter
from minigrad.nn import utils
