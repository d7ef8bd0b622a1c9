"""The tensor operations. Each op is a ``Function`` subclass (forward and backward side by side)
and a plain function that checks its arguments and calls ``Function.apply``."""
from minigrad.ops.arithmetic import (
    add, clone, div, eq, floor_divide, ge, gt, le, logical_and, logical_not, logical_or, lt, matmul, mul, ne,
    neg, pow, remainder, sub,
)
from minigrad.ops.broadcast import broadcast_to, expand, sum_to
from minigrad.ops.conversion import cast
from minigrad.ops.elementwise import (
    abs, clamp, cos, exp, log, maximum, minimum, relu, relu_, sigmoid, sign, sin, sqrt, tanh,
)
from minigrad.ops.softmax import log_softmax, softmax
from minigrad.ops.indexing import gather, getitem, masked_fill, scatter, where
from minigrad.ops.reduction import amax, amin, argmax, argmin, max, mean, min, std, sum, var
from minigrad.ops.shape import cat, flatten, permute, reshape, squeeze, stack, transpose, unsqueeze
from minigrad.ops.pointwise import ceil, floor, isfinite, isinf, isnan, round, trunc
from minigrad.ops.rearrange import chunk, diagonal, flip, movedim, narrow, repeat, roll, split, tril, triu
from minigrad.ops.scan import cumprod, cumsum, prod
from minigrad.ops.sorting import argsort, sort, topk, unique
from minigrad.ops.linalg import bmm, einsum, norm

__all__ = [
    "abs", "add", "amax", "amin", "argmax", "argmin", "broadcast_to", "cast", "cat", "clamp",
    "clone", "div", "eq", "exp", "expand", "flatten", "gather", "ge", "getitem", "gt", "le",
    "log", "log_softmax", "floor_divide", "remainder", "sin", "cos", "logical_and", "masked_fill", "scatter", "relu_", "logical_not", "logical_or", "lt", "matmul", "max",
    "maximum", "mean", "min", "minimum", "mul", "ne", "neg", "permute", "pow", "relu", "reshape",
    "sigmoid", "sign", "softmax", "sqrt", "squeeze", "stack", "std", "sub", "sum", "sum_to", "tanh",
    "transpose", "unsqueeze", "var", "where",
    "ceil", "floor", "isfinite", "isinf", "isnan", "round", "trunc",
    "chunk", "diagonal", "flip", "movedim", "narrow", "repeat", "roll", "split", "tril", "triu",
    "cumprod", "cumsum", "prod", "argsort", "sort", "topk", "unique", "bmm", "einsum", "norm",
]
