"""minigrad: a small, exact deep-learning framework on numpy.

>>> import minigrad as mg
>>> x = mg.tensor([2.0, 3.0], requires_grad=True)
>>> y = (x ** 2).sum()
>>> y.backward()
>>> x.grad.tolist()
[4.0, 6.0]
"""
from minigrad import _memory  # noqa: F401  (tunes malloc for repeated large buffers; see the module)
from minigrad._dtype import (
    bool_, double, float16, float32, float64, get_default_dtype, half, int8, int16, int32, int64,
    long, set_default_dtype, uint8,
)
from minigrad.tensor import Tensor
from minigrad.creation import (
    arange, empty, eye, from_numpy, full, full_like, linspace, ones, ones_like, rand, randint,
    randn, tensor, zeros, zeros_like,
)
from minigrad.random import get_rng_state, manual_seed, set_rng_state
from minigrad import autograd
from minigrad.autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from minigrad.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
from minigrad.ops import (
    abs, amax, amin, argmax, argmin, cat, clamp, exp, flatten, gather, log, log_softmax, matmul,
    max, maximum, mean, min, minimum, permute, relu, reshape, sigmoid, softmax, sqrt, squeeze,
    stack, std, sum, tanh, transpose, unsqueeze, var, where,
)

bool = bool_  # noqa: A001  (mg.bool, as torch.bool)
float = float32  # noqa: A001
int = int32  # noqa: A001

__version__ = "0.1.0"

from minigrad import nn  # noqa: E402
from minigrad.nn.functional import get_output_size_policy, set_output_size_policy  # noqa: E402
from minigrad import optim  # noqa: E402
from minigrad.serialization import CheckpointError, load, save  # noqa: E402
from minigrad import models  # noqa: E402
from minigrad.summary import summary  # noqa: E402
from minigrad import viz  # noqa: E402
from minigrad import data  # noqa: E402
