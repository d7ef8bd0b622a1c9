"""Functional CNN ops with PyTorch's names, arguments and results (NCHW)."""
from minigrad.nn.functional._window import get_output_size_policy, set_output_size_policy
from minigrad.nn.functional.conv import conv2d, fold, unfold
from minigrad.nn.functional.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from minigrad.nn.functional.linear import linear
from minigrad.nn.functional.activation import log_softmax, relu, sigmoid, softmax, tanh
from minigrad.nn.functional.dropout import dropout
from minigrad.nn.functional.normalization import local_response_norm
from minigrad.nn.functional.batchnorm import batch_norm, group_norm, layer_norm
from minigrad.nn.functional.conv_transpose import conv1d, conv_transpose1d, conv_transpose2d
from minigrad.nn.functional.pooling import adaptive_max_pool2d
from minigrad.nn.functional.dropout import dropout2d
from minigrad.nn.functional.resize import interpolate, pad
from minigrad.nn.functional.pointwise_activation import (
    elu, elu_, gelu, hardtanh, hardtanh_, leaky_relu, leaky_relu_, logsigmoid, prelu, silu, softplus,
)
from minigrad.nn.functional.elementwise_loss import huber_loss, kl_div, l1_loss, smooth_l1_loss
from minigrad.nn.functional.encoding import normalize, one_hot
from minigrad.nn.functional.loss import (
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, mse_loss, nll_loss,
)
