"""Neural networks: ``Module``, layers, ``init``, and the ``functional`` ops."""
from minigrad.nn import functional, init
from minigrad.nn.modules import (
    AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, BCELoss, GroupNorm, LayerNorm, BCEWithLogitsLoss, Conv2d, CrossEntropyLoss, Dropout,
    Flatten, Identity, Linear, LocalResponseNorm, LogSoftmax, MaxPool2d, Module, ModuleList, MSELoss,
    NLLLoss, ReLU, Sequential, Sigmoid, Softmax, Tanh,
)
from minigrad.nn.modules import (  # the modern CNN layers
    AdaptiveMaxPool2d, CircularPad2d, ConstantPad2d, Conv1d, ConvTranspose1d, ConvTranspose2d, Dropout2d,
    ReflectionPad2d, ReplicationPad2d, Upsample, UpsamplingBilinear2d, UpsamplingNearest2d, ZeroPad2d,
    ELU, GELU, Hardtanh, HuberLoss, KLDivLoss, L1Loss, LeakyReLU, LogSigmoid, ModuleDict, ParameterDict,
    ParameterList, PReLU, SiLU, SmoothL1Loss, Softplus, Unflatten,
)
from minigrad.nn.parameter import Parameter
from minigrad.nn import utils
