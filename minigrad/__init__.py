"""minigrad: a small, exact deep-learning framework on numpy.

>>> import minigrad as mg
>>> x = mg.tensor([2.0, 3.0], requires_grad=True)
>>> y = (x ** 2).sum()
>>> y.backward()
>>> x.grad.tolist()
[4.0, 6.0]
"""
from minigrad import _openblas  # noqa: F401  (before numpy: OpenBLAS's idle threads sleep; see the module)
from minigrad import _memory  # noqa: F401  (tunes malloc for repeated large buffers; see the module)
from minigrad._dtype import (
    bool_, double, float16, float32, float64, get_default_dtype, half, int8, int16, int32, int64,
    long, set_default_dtype, uint8,
)
from minigrad.tensor import Tensor
from minigrad.devices import accelerator, backends, cuda, device
from minigrad.creation import (
    arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like, linspace, ones, ones_like,
    rand, rand_like, randint, randint_like, randn, randn_like, randperm, tensor, zeros, zeros_like,
)
from minigrad.threads import get_num_threads, set_num_threads
from minigrad.random import get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from minigrad.generator import Generator
from minigrad import autograd
from minigrad.autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from minigrad.autograd.gradient_check import GradcheckError, gradcheck, gradgradcheck
from minigrad.ops import (
    abs, add, amax, amin, argmax, argmin, cat, clamp, clone, cos, div, eq, exp, flatten, floor_divide, gather,
    ge, gt, le, log, remainder,
    log_softmax, lt, masked_fill, matmul, max, maximum, mean, min, minimum, mul, ne, neg, permute, pow,
    relu, reshape, scatter, sigmoid, sin, softmax, sqrt, squeeze, stack, std, sub, sum, tanh, transpose,
    unsqueeze, var, where,
)
from minigrad.ops import (
    argsort, bmm, ceil, chunk, cumprod, cumsum, diagonal, einsum, flip, floor, isfinite, isinf, isnan, movedim,
    narrow, norm, prod, roll, round, sign, sort, split, topk, tril, triu,
    trunc, unique,
)
from minigrad.ops.functions import (
    all, allclose, any, equal, nonzero, clip, concat, concatenate, divide, is_floating_point, is_tensor, mm, multiply, numel, subtract,
    t, true_divide,
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
from minigrad import utils  # noqa: E402  (minigrad.utils.data: PyTorch's path to the data API)
from minigrad import onnx  # noqa: E402
