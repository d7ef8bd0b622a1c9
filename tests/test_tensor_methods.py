"""Tensor methods and functions added for PyTorch parity (flip, sort, topk, norm, einsum, ...).

One helper, ``check``, runs an op on minigrad and (when installed) PyTorch: forward values and
dtypes, then gradients through both autograds for a random output gradient; then ``mg.gradcheck``
and ``mg.gradgradcheck`` in float64 for the differentiable ones, independent of PyTorch.
Inputs of ops that pick elements (sort, topk, max-norms) hold distinct values, so that no tie
makes the gradient ambiguous.
"""
import math

import numpy as np
import pytest

import minigrad as mg
from helpers import HAS_TORCH, assert_close, needs_torch

if HAS_TORCH:
    import torch

R = np.random.default_rng(7)


def distinct(*shape) -> np.ndarray:
    """Values at least 0.1 apart, shuffled: no ties for sorting, no kinks for finite differences."""
    n = int(np.prod(shape))
    return (R.permutation(n) * 0.1 - n * 0.05 + 0.03).reshape(shape)


def _outputs(out) -> list:
    return list(out) if isinstance(out, tuple) else [out]


def check(fn, *arrays, grad: bool = True, gradgrad: bool = True) -> None:
    """``fn(lib, *tensors)`` with ``lib`` = minigrad, then torch, on float64 copies of ``arrays``
    (integer and bool arrays keep their dtype and need no gradient)."""
    def inputs(lib):
        made = []
        for a in arrays:
            a = np.asarray(a)
            floating = a.dtype.kind == "f"
            data = a.astype(np.float64) if floating else a
            made.append(lib.tensor(data, requires_grad=grad and floating) if lib is mg else
                        torch.tensor(data, requires_grad=grad and floating))
        return made

    ours_in = inputs(mg)
    ours = _outputs(fn(mg, *ours_in))
    differentiable = [i for i, t in enumerate(ours_in) if t.requires_grad]
    if HAS_TORCH:
        theirs_in = inputs(torch)
        theirs = _outputs(fn(torch, *theirs_in))
        assert len(ours) == len(theirs)
        for got, want in zip(ours, theirs):
            got_array = np.asarray(got.data) if isinstance(got, mg.Tensor) else np.asarray(got)
            want_array = want.detach().numpy() if hasattr(want, "detach") else np.asarray(want)
            assert got_array.shape == want_array.shape, (got_array.shape, want_array.shape)
            assert got_array.dtype == want_array.dtype, (got_array.dtype, want_array.dtype)
            np.testing.assert_allclose(got_array, want_array, rtol=1e-12, atol=1e-14)
        float_outs = [(o, t) for o, t in zip(ours, theirs) if isinstance(o, mg.Tensor) and o.requires_grad]
        if grad and differentiable and float_outs:
            seeds = [R.standard_normal(o.shape) for o, _ in float_outs]
            ours_g = mg.autograd.grad([o for o, _ in float_outs], [ours_in[i] for i in differentiable],
                                      [mg.tensor(s) for s in seeds], allow_unused=True)
            theirs_g = torch.autograd.grad([t for _, t in float_outs], [theirs_in[i] for i in differentiable],
                                           [torch.tensor(s) for s in seeds], allow_unused=True)
            for a, b in zip(ours_g, theirs_g):
                assert_close(a if a is not None else np.zeros(b.shape), b, rtol=1e-11, atol=1e-13)
    if grad and differentiable and any(isinstance(o, mg.Tensor) and o.requires_grad for o in ours):
        def float_part(*tensors):
            outs = [o for o in _outputs(fn(mg, *tensors)) if isinstance(o, mg.Tensor) and o.dtype.kind == "f"]
            return tuple(outs) if len(outs) > 1 else outs[0]

        assert mg.gradcheck(float_part, tuple(ours_in))
        if gradgrad:
            assert mg.gradgradcheck(float_part, tuple(ours_in))


# -- rearranging ------------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda lib, x: x.flip(0),
    lambda lib, x: x.flip(0, 2),
    lambda lib, x: lib.flip(x, (-1,)),
    lambda lib, x: x.roll(2),
    lambda lib, x: x.roll((1, -1), (0, 2)),
    lambda lib, x: lib.roll(x, -1, 1),
    lambda lib, x: x.repeat(2, 1, 3),
    lambda lib, x: x.repeat(2, 1, 1, 2),
    lambda lib, x: x.split(1),
    lambda lib, x: x.split([1, 2], dim=1),
    lambda lib, x: lib.split(x, 3, -1),
    lambda lib, x: x.chunk(2, dim=2),
    lambda lib, x: lib.chunk(x, 3, 1),
    lambda lib, x: x.diagonal(),
    lambda lib, x: x.diagonal(1, 1, 2),
    lambda lib, x: lib.diagonal(x, -1, 2, 0),
    lambda lib, x: x.tril(),
    lambda lib, x: x.triu(1),
    lambda lib, x: lib.tril(x, -1),
    lambda lib, x: lib.triu(x, diagonal=-2),
    lambda lib, x: x.narrow(2, 1, 2),
    lambda lib, x: x.movedim(0, -1),
    lambda lib, x: lib.movedim(x, (0, 1), (2, 0)),
])
def test_rearranging(fn):
    check(fn, R.standard_normal((2, 3, 4)))


# -- scans and products -------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda lib, x: x.cumsum(0),
    lambda lib, x: lib.cumsum(x, dim=-1),
    lambda lib, x: x.cumprod(1),
    lambda lib, x: lib.cumprod(x, -1),
    lambda lib, x: x.prod(),
    lambda lib, x: x.prod(1),
    lambda lib, x: lib.prod(x, -1, keepdim=True),
])
@pytest.mark.parametrize("zeros", [0, 1, 2], ids=["no-zero", "one-zero", "two-zeros"])
def test_scans_and_products(fn, zeros):
    x = R.uniform(0.5, 1.5, (3, 4)) * R.choice([-1, 1], (3, 4))
    if zeros:
        x[1, 1] = 0.0
    if zeros == 2:
        x[1, 3] = 0.0
        x[2, 1] = 0.0
    check(fn, x)


@pytest.mark.parametrize("fn", [
    lambda lib, x: x.cumsum(0), lambda lib, x: x.cumprod(0), lambda lib, x: x.prod(), lambda lib, x: x.prod(0),
])
def test_integer_scans_give_int64(fn):
    check(fn, np.array([1, 2, 3], dtype=np.int32))
    check(fn, np.array([True, False, True]))


# -- sorting ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda lib, x: x.sort(),
    lambda lib, x: x.sort(0, descending=True),
    lambda lib, x: lib.sort(x, dim=1, stable=True),
    lambda lib, x: x.argsort(),
    lambda lib, x: lib.argsort(x, 0, descending=True),
    lambda lib, x: x.topk(2),
    lambda lib, x: x.topk(3, dim=0, largest=False),
    lambda lib, x: lib.topk(x, 1, 1),
])
def test_sorting(fn):
    check(fn, distinct(4, 5))


def test_sort_and_topk_results_are_named():
    values, indices = mg.tensor([3.0, 1.0, 2.0]).sort()
    result = mg.tensor([3.0, 1.0, 2.0]).topk(1)
    assert values.tolist() == [1.0, 2.0, 3.0] and indices.tolist() == [1, 2, 0]
    assert result.values.tolist() == [3.0] and result.indices.tolist() == [0]


def test_stable_sort_keeps_the_order_of_ties():
    x = mg.tensor([2, 1, 2, 1, 2])
    assert x.sort(stable=True).indices.tolist() == [1, 3, 0, 2, 4]
    assert x.sort(descending=True, stable=True).indices.tolist() == [0, 2, 4, 1, 3]


@needs_torch
def test_unique_matches_torch():
    data = np.array([[3, 1, 3], [2, 1, 0]])
    ours = mg.tensor(data).unique(return_inverse=True, return_counts=True)
    theirs = torch.tensor(data).unique(return_inverse=True, return_counts=True)
    for a, b in zip(ours, theirs):
        assert a.tolist() == b.tolist()


# -- norm, bmm, einsum -----------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda lib, x: x.norm(),
    lambda lib, x: x.norm(2, dim=1),
    lambda lib, x: lib.norm(x, p="fro", dim=(0, 1), keepdim=True),
    lambda lib, x: x.norm(1, dim=0),
    lambda lib, x: x.norm(p=math.inf),
    lambda lib, x: x.norm(p=-math.inf, dim=1),
    lambda lib, x: x.norm(p=3, dim=-1, keepdim=True),
    lambda lib, x: x.norm(p=0),
])
def test_norm(fn):
    check(fn, distinct(3, 4))


def test_norm_of_zeros_has_zero_gradient():
    x = mg.zeros(3, dtype=mg.float64, requires_grad=True)
    x.norm().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_bmm():
    check(lambda lib, a, b: lib.bmm(a, b), R.standard_normal((2, 3, 4)), R.standard_normal((2, 4, 5)))
    check(lambda lib, a, b: a.bmm(b), R.standard_normal((1, 2, 2)), R.standard_normal((1, 2, 3)))


@pytest.mark.parametrize("equation, shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ij,ij->", [(2, 3), (2, 3)]),
    ("ij,kj", [(2, 3), (4, 3)]),
    ("ij->ji", [(2, 3)]),
    ("ij->i", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ii->", [(3, 3)]),
    ("ii->i", [(3, 3)]),
    ("...ij,...jk->...ik", [(2, 2, 3), (3, 2)]),
    ("bi,bi,i->b", [(2, 3), (2, 3), (3,)]),
])
def test_einsum(equation, shapes):
    check(lambda lib, *ops: lib.einsum(equation, *ops), *[R.standard_normal(s) for s in shapes])


def test_einsum_takes_a_list_of_operands():
    a, b = mg.ones(2, 3), mg.ones(3)
    assert mg.einsum("ij,j->i", [a, b]).tolist() == [3.0, 3.0]


# -- rounding, special values -------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda lib, x: x.floor(), lambda lib, x: lib.ceil(x), lambda lib, x: x.round(), lambda lib, x: lib.trunc(x),
    lambda lib, x: x.round(decimals=1), lambda lib, x: lib.round(x, decimals=-1), lambda lib, x: x.sign(),
])
def test_rounding(fn):
    check(fn, np.array([-2.5, -1.26, -0.5, 0.0, 0.49, 1.5, 2.5, 13.37, 26.0]), grad=False)  # halves, jumps
    check(fn, np.array([-2.33, -1.26, -0.37, 0.12, 0.74, 13.37]))  # away from jumps: zero gradient


def test_rounding_keeps_integers():
    x = mg.tensor([1, -2])
    assert x.floor().dtype == mg.int64 and x.round().tolist() == [1, -2]


@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite"])
def test_special_values(name):
    x = np.array([0.0, np.nan, np.inf, -np.inf, 1.0])
    check(lambda lib, t: getattr(lib, name)(t), x, grad=False)
    check(lambda lib, t: getattr(t, name)(), np.array([1, 2]), grad=False)


# -- any / all and the new_* constructors ---------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda lib, x: x.any(), lambda lib, x: x.all(), lambda lib, x: x.any(1), lambda lib, x: lib.all(x, 0),
    lambda lib, x: x.any(-1, keepdim=True), lambda lib, x: lib.any(x, dim=0, keepdim=True),
])
def test_any_all(fn):
    check(fn, np.array([[True, False, False], [True, True, False]]))


@pytest.mark.parametrize("fn", [
    lambda lib, x: x.new_zeros(2, 3), lambda lib, x: x.new_ones((2,)), lambda lib, x: x.new_full((2, 2), 7),
    lambda lib, x: x.new_tensor([1, 2]), lambda lib, x: x.new_zeros(3, dtype=lib.int64),
    lambda lib, x: x.new_empty(2, 1).shape == (2, 1), lambda lib, x: x.new_ones(2, dtype=lib.bool),
])
def test_new_tensors(fn):
    check(fn, np.array([1.0], dtype=np.float32), grad=False)


def test_new_tensor_requires_grad():
    t = mg.tensor([1.0]).new_tensor([2.0, 3.0], requires_grad=True)
    assert t.requires_grad and t.dtype == mg.float32 and t.is_leaf


# -- errors as PyTorch raises them ------------------------------------------------------------------------
@pytest.mark.parametrize("fn, error", [
    (lambda lib, x: x.flip(3), IndexError),
    (lambda lib, x: x.sort(dim=2), IndexError),
    (lambda lib, x: x.topk(5), RuntimeError),
    (lambda lib, x: x.split([1, 1]), RuntimeError),
    (lambda lib, x: x.split([1, 2], dim=2), IndexError),
    (lambda lib, x: x.chunk(0), RuntimeError),
    (lambda lib, x: x.repeat(2), RuntimeError),
    (lambda lib, x: x.cumsum(2), IndexError),
    (lambda lib, x: x.diagonal(0, 1, 1), RuntimeError),
    (lambda lib, x: x.reshape(-1).tril(), RuntimeError),
    (lambda lib, x: lib.bmm(x, x), RuntimeError),
    (lambda lib, x: lib.einsum("ij,jk->ik", x), RuntimeError),
    (lambda lib, x: x.roll((1, 2), 0), RuntimeError),
    (lambda lib, x: x.any(3), IndexError),
])
def test_errors(fn, error):
    x = distinct(3, 4)
    with pytest.raises(error):
        fn(mg, mg.tensor(x))
    if HAS_TORCH:
        with pytest.raises(error):
            fn(torch, torch.tensor(x))
