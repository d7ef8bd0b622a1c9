"""Linear algebra: norm, bmm, einsum.

* ``norm``: the 2-norm (Frobenius) is one op whose backward is ``grad * x / norm``, zero where
  the norm is zero (PyTorch's choice at the kink); the 1-, inf- and other p-norms are built from
  ``abs``, ``sum``, ``amax`` and ``pow``, whose gradients are PyTorch's (the inf-norm's gradient
  is shared between tied maxima).
* ``einsum``: forward by ``np.einsum``; the gradient for one operand is again an einsum, of the
  output's gradient with the other operands, written to that operand's subscripts.
"""
from __future__ import annotations

import math
import string

import numpy as np

from minigrad import _dtype
from minigrad.autograd.function import Function
from minigrad.ops._util import normalize_dims
from minigrad.ops.arithmetic import matmul
from minigrad.ops.broadcast import broadcast_to
from minigrad.ops.conversion import cast_to
from minigrad.ops.indexing import where
from minigrad.ops.reduction import amax, amin, sum
from minigrad.ops.shape import reshape
from minigrad.tensor import Tensor


# -- norm -------------------------------------------------------------------------------------------
class Norm2(Function):
    """``sqrt(sum(x * x))`` over ``dim``."""

    @staticmethod
    def forward(ctx, x, dim, keepdim):
        out = np.asarray(np.sqrt(np.sum(x._data * x._data, axis=dim, keepdims=keepdim)))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        dim, keepdim = ctx.dim, ctx.keepdim
        if not keepdim:
            kept_shape = tuple(1 if i in dim else s for i, s in enumerate(x.shape))
            grad, out = reshape(grad, kept_shape), reshape(out, kept_shape)
        zero = out == 0
        return x * where(zero, 0.0, grad / where(zero, 1.0, out))


def norm(x: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """The vector p-norm ``sum(|x|**p) ** (1/p)`` over ``dim`` (all elements by default):
    ``p=2`` or ``'fro'`` the Euclidean/Frobenius norm, ``p=1`` the sum of magnitudes,
    ``p=inf`` the largest magnitude, ``p=-inf`` the smallest, ``p=0`` the count of non-zeros.

    >>> import minigrad as mg
    >>> mg.tensor([3.0, 4.0]).norm().item()
    5.0
    """
    if dtype is not None:
        x = cast_to(x, _dtype.as_dtype(dtype))
    if x.dtype.kind != "f":
        raise RuntimeError(f"norm(): input dtype should be floating point, got {x.dtype}")
    if p == "nuc":
        raise NotImplementedError("norm: the nuclear norm (p='nuc') is not implemented")
    if isinstance(p, str) and p != "fro":
        raise RuntimeError(f"norm: unknown p {p!r} (expected a number, 'fro' or 'nuc')")
    axes = normalize_dims(dim, x.ndim, "norm")
    if p == "fro" or p == 2:
        return Norm2.apply(x, dim=axes, keepdim=keepdim)
    magnitude = x.abs()
    if p == math.inf:
        return amax(magnitude, axes, keepdim)
    if p == -math.inf:
        return amin(magnitude, axes, keepdim)
    if p == 0:
        return sum(cast_to(x != 0, x.dtype), axes, keepdim)
    if p == 1:
        return sum(magnitude, axes, keepdim)
    return sum(magnitude ** p, axes, keepdim) ** (1.0 / p)


# -- bmm --------------------------------------------------------------------------------------------
def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product: ``(b, n, m) @ (b, m, p) -> (b, n, p)`` (3-D only, no broadcasting).

    >>> import minigrad as mg
    >>> mg.bmm(mg.ones(2, 3, 4), mg.ones(2, 4, 5)).shape
    (2, 3, 5)
    """
    if input.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor, got shape {tuple(input.shape)}")
    if mat2.ndim != 3:
        raise RuntimeError(f"batch2 must be a 3D tensor, got shape {tuple(mat2.shape)}")
    if input.shape[0] != mat2.shape[0] or input.shape[2] != mat2.shape[1]:
        raise RuntimeError(
            f"bmm: expected batch1 (b, n, m) and batch2 (b, m, p), got shapes {tuple(input.shape)} "
            f"and {tuple(mat2.shape)}"
        )
    return matmul(input, mat2)


# -- einsum -----------------------------------------------------------------------------------------
def _parse(equation: str, operands: list) -> tuple[list, str]:
    """Subscripts per operand and for the output, with ``...`` replaced by capital letters
    (the same letters, right-aligned, for every operand) and the implicit output made explicit
    (the letters seen once, in alphabetical order, after the ``...`` dimensions)."""
    equation = equation.replace(" ", "")
    left, arrow, output = equation.partition("->")
    inputs = left.split(",")
    if len(inputs) != len(operands):
        raise RuntimeError(f"einsum(): more operands were provided than specified in the equation "
                           f"({len(operands)} operands for {len(inputs)} subscripts in {equation!r})")
    spare = [c for c in string.ascii_uppercase if c not in equation][::-1]
    widths = [t.ndim - len(s.replace("...", "")) for s, t in zip(inputs, operands)]
    ellipsis = "".join(spare[:max([w for s, w in zip(inputs, widths) if "..." in s], default=0)])[::-1]
    inputs = [s.replace("...", ellipsis[len(ellipsis) - w:] if w else "") for s, w in zip(inputs, widths)]
    if arrow:
        output = output.replace("...", ellipsis)
    else:
        counts = "".join(inputs)
        output = ellipsis + "".join(sorted(c for c in set(counts) if counts.count(c) == 1 and c not in ellipsis))
    for s, t in zip(inputs, operands):
        if len(s) != t.ndim or not all(c.isalpha() for c in s):
            raise RuntimeError(f"einsum(): the subscripts {s!r} do not match an operand of shape {tuple(t.shape)}")
    for c in output:
        if c not in "".join(inputs) or output.count(c) > 1:
            raise RuntimeError(f"einsum(): output subscript {c!r} appears more than once or not in the inputs")
    return inputs, output


def _distinct(letters: str, t: Tensor) -> tuple[str, Tensor]:
    """A repeated subscript (``'ii'``) reads a diagonal: take it with ``diagonal`` (which puts it
    last), until each letter appears once."""
    while True:
        repeated = next((c for c in letters if letters.count(c) > 1), None)
        if repeated is None:
            return letters, t
        first = letters.index(repeated)
        second = letters.index(repeated, first + 1)
        t = t.diagonal(0, first, second)
        letters = letters[:first] + letters[first + 1:second] + letters[second + 1:] + repeated


class Einsum(Function):
    """``np.einsum(equation, *operands)`` for an equation in which every operand's subscripts
    are distinct letters and the sizes agree (``einsum`` below brings any equation to that)."""

    @staticmethod
    def forward(ctx, *operands, inputs, output):
        ctx.save_for_backward(*operands)
        equation = ",".join(inputs) + "->" + output
        out = np.einsum(equation, *[o._data for o in operands], optimize=len(operands) > 2)
        return np.array(out, copy=True) if any(np.shares_memory(out, o._data) for o in operands) else out

    @staticmethod
    def backward(ctx, grad):
        operands = ctx.saved_tensors
        inputs, output = ctx.inputs, ctx.output
        grads = []
        for i, (operand, letters) in enumerate(zip(operands, inputs)):
            if not ctx.needs_input_grad[i]:
                grads.append(None)
                continue
            others = [(o, s) for j, (o, s) in enumerate(zip(operands, inputs)) if j != i]
            seen = set(output).union(*[s for _, s in others])
            # letters only this operand had were summed over it alone: the gradient is constant along them
            reached = "".join(c for c in letters if c in seen)
            partial = _einsum([grad] + [o for o, _ in others], [output] + [s for _, s in others], reached)
            if reached != letters:
                shape = tuple(operand.shape[k] if c in seen else 1 for k, c in enumerate(letters))
                partial = broadcast_to(reshape(partial, shape), operand.shape)
            grads.append(partial)
        return tuple(grads)


def _einsum(operands: list, inputs: list, output: str) -> Tensor:
    return Einsum.apply(*operands, inputs=tuple(inputs), output=output)


def einsum(equation: str, *operands) -> Tensor:
    """Sum of products over the subscripts of Einstein notation, as ``torch.einsum``: e.g.
    ``'ij,jk->ik'`` (matrix product), ``'bij,bjk->bik'`` (batched), ``'ii->'`` (trace),
    ``'i,j->ij'`` (outer product), ``'...ij->...ji'``; the operands may also come as one list.

    >>> import minigrad as mg
    >>> mg.einsum("ij,jk->ik", mg.ones(2, 3), mg.ones(3, 4)).shape
    (2, 4)
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    operands = [t if isinstance(t, Tensor) else Tensor(t) for t in operands]
    inputs, output = _parse(equation, operands)
    dtype = operands[0].dtype
    for t in operands[1:]:
        dtype = _dtype.result_type(dtype, 1, t.dtype, 1)
    operands = [cast_to(t, dtype) for t in operands]
    for k, (letters, t) in enumerate(zip(inputs, operands)):
        inputs[k], operands[k] = _distinct(letters, t)
    sizes: dict = {}
    for letters, t in zip(inputs, operands):
        for c, n in zip(letters, t.shape):
            if sizes.get(c, 1) != 1 and n not in (1, sizes[c]):
                raise RuntimeError(f"einsum(): operands do not broadcast with remapped shapes: subscript {c!r} "
                                   f"has size {n} for an operand where another has size {sizes[c]}")
            sizes[c] = max(sizes.get(c, 1), n) if n else 0
    operands = [broadcast_to(t, tuple(sizes[c] for c in s)) for s, t in zip(inputs, operands)]
    return _einsum(operands, inputs, output)
