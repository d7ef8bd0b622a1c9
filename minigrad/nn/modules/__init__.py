"""The layers of ``minigrad.nn``."""
from minigrad.nn.modules.batchnorm import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm
from minigrad.nn.modules.conv_transpose import Conv1d, ConvTranspose1d, ConvTranspose2d
from minigrad.nn.modules.resize import (
    AdaptiveMaxPool2d, CircularPad2d, ConstantPad2d, ReflectionPad2d, ReplicationPad2d, Upsample,
    UpsamplingBilinear2d, UpsamplingNearest2d, ZeroPad2d,
)
from minigrad.nn.modules.activation import LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from minigrad.nn.modules.container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from minigrad.nn.modules.elementwise_loss import HuberLoss, KLDivLoss, L1Loss, SmoothL1Loss
from minigrad.nn.modules.flatten import Unflatten
from minigrad.nn.modules.pointwise_activation import ELU, GELU, Hardtanh, LeakyReLU, LogSigmoid, PReLU, SiLU, Softplus
from minigrad.nn.modules.conv import Conv2d
from minigrad.nn.modules.dropout import Dropout, Dropout2d
from minigrad.nn.modules.linear import Flatten, Identity, Linear
from minigrad.nn.modules.loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from minigrad.nn.modules.module import Module
from minigrad.nn.modules.normalization import LocalResponseNorm
from minigrad.nn.modules.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
