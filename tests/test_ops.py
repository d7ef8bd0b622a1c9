"""Every op of the op table (minigrad._testing): forward against numpy, gradients and second
derivatives against central differences (float64); then what a table cannot say: kinks and ties,
indices, huge inputs, and the errors for bad arguments."""
import numpy as np
import pytest

import minigrad as mg
from helpers import leaf, rng
from minigrad._testing import CASES

R = rng(1)


def positive(*shape):
    return R.uniform(0.5, 2.0, size=shape)


def normal(*shape):
    return R.standard_normal(shape)


@pytest.mark.parametrize("case", [case for case in CASES if case.numpy or case.numerical], ids=repr)
def test_case(case):
    arrays = case.arrays()
    inputs = case.minigrad_inputs(arrays)
    op = case.minigrad_op()
    if case.numpy is not None:
        outs, refs = op(*inputs), case.numpy(*arrays)
        outs, refs = (outs, refs) if isinstance(refs, tuple) else ((outs,), (refs,))
        assert len(outs) == len(refs)
        for got, want in zip(outs, refs):
            np.testing.assert_allclose(got.data, want, rtol=1e-10, atol=1e-12)
            assert got.shape == np.shape(want)
    if case.numerical:
        assert mg.gradcheck(op, inputs)
        if case.second_order:
            assert mg.gradgradcheck(op, inputs)


def test_every_case_is_checked_and_named_once():
    assert len({case.name for case in CASES}) == len(CASES)
    for case in CASES:
        assert case.numpy or case.numerical or case.torch is not False, case.name
        assert any(spec.requires_grad for spec in case.inputs), case.name


def test_elementwise_methods_match_functions():
    x = leaf(positive(4))
    for name in ("exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu"):
        np.testing.assert_array_equal(getattr(x, name)().data, getattr(mg, name)(x).data)


def test_gradient_conventions_at_kinks_match_pytorch():
    x = leaf([0.0, 1.0, -1.0])
    x.relu().sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0]
    x = leaf([0.0, 2.0])
    x.abs().sum().backward()
    assert x.grad.tolist() == [0.0, 1.0]
    x = leaf([0.0, 1.0, 2.0])
    x.clamp(0.0, 1.0).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 0.0]  # bounds are inclusive
    x = leaf([0.0, 2.0])
    (x ** 0).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]
    a, b = leaf([1.0, 2.0]), leaf([1.0, 3.0])
    mg.maximum(a, b).sum().backward()
    assert a.grad.tolist() == [0.5, 0.0] and b.grad.tolist() == [0.5, 1.0]


def test_sigmoid_and_tanh_are_finite_without_warnings_for_huge_inputs():
    import warnings

    x = mg.tensor([-1e4, -100.0, 0.0, 100.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s, t = x.sigmoid(), x.tanh()
    assert np.all(np.isfinite(s.data)) and s.tolist() == [0.0, 0.0, 0.5, 1.0, 1.0]
    assert t.tolist() == [-1.0, -1.0, 0.0, 1.0, 1.0]


# -- indexing and reductions ------------------------------------------------------------------
def test_getitem_repeated_indices_accumulate():
    x = leaf(np.zeros(3))
    x[[0, 0, 2, 0]].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]
    y = leaf(np.zeros(3))
    y[mg.tensor(np.array([1, 1]))].sum().backward()
    assert y.grad.tolist() == [0.0, 2.0, 0.0]


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("which", ["max", "min"])
def test_max_min_with_dim_give_values_and_indices(which, dim, keepdim):
    x = normal(3, 4)
    pick, reduce = (np.argmax, np.max) if which == "max" else (np.argmin, np.min)
    values, indices = getattr(leaf(x), which)(dim, keepdim)
    np.testing.assert_array_equal(values.data, reduce(x, axis=dim, keepdims=keepdim))
    np.testing.assert_array_equal(indices.data, pick(x, axis=dim) if not keepdim else np.expand_dims(pick(x, axis=dim), dim))
    assert indices.dtype == mg.int64 and not indices.requires_grad
    result = leaf(x).max(dim)
    assert result.values.shape == result.indices.shape


def test_max_gradients_at_ties_follow_pytorch():
    x = leaf([[1.0, 3.0, 3.0]])
    x.max().backward()
    assert x.grad.tolist() == [[0.0, 0.5, 0.5]]  # shared between tied maxima
    x = leaf([[1.0, 3.0, 3.0]])
    x.max(1).values.sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 0.0]]  # to the returned index (the first)


@pytest.mark.parametrize("dims", [(0, 2), (2, 0), (-1, 1), (0, 1, 2)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_argmax_over_several_dims_use_flat_indices(dims, keepdim):
    x = R.permutation(60).reshape(3, 4, 5) / 7.0  # no ties
    values, indices = leaf(x).max(dims, keepdim=keepdim)
    np.testing.assert_array_equal(values.data, x.max(axis=dims, keepdims=keepdim))
    axes = sorted(d % 3 for d in dims)
    kept = [a for a in range(3) if a not in axes]
    merged = x.transpose(kept + axes).reshape([x.shape[a] for a in kept] + [-1])
    expected = merged.argmax(-1)
    if keepdim:
        expected = expected.reshape([1 if a in axes else x.shape[a] for a in range(3)])
    np.testing.assert_array_equal(indices.data, expected)
    np.testing.assert_array_equal(leaf(x).argmax(dims, keepdim=keepdim).data, expected)
    assert leaf(x).min(dims, keepdim=keepdim).values.shape == values.shape


def test_max_without_dim_and_argmax():
    x = normal(3, 4)
    assert leaf(x).max().item() == x.max() and leaf(x).min().item() == x.min()
    assert leaf(x).argmax().item() == x.argmax() and leaf(x).argmin().item() == x.argmin()
    np.testing.assert_array_equal(leaf(x).argmax(1).data, x.argmax(1))
    assert leaf(x).argmax(0, keepdim=True).shape == (1, 4)


# -- errors ------------------------------------------------------------------------------------
def test_errors_name_the_op_and_the_shapes():
    a, b = mg.ones(2, 3), mg.ones(4, 5)
    with pytest.raises(RuntimeError, match=r"add: shapes \(2, 3\) and \(4, 5\)"):
        a + b
    with pytest.raises(RuntimeError, match=r"matmul: shapes \(2, 3\) and \(4, 5\) cannot be multiplied"):
        a @ b
    with pytest.raises(RuntimeError, match=r"reshape: shape \[4, 2\] is invalid for input of size 6"):
        a.reshape(4, 2)
    with pytest.raises(IndexError, match=r"dimension out of range"):
        a.sum(2)
    with pytest.raises(RuntimeError, match=r"cat: sizes of tensors must match"):
        mg.cat([a, b], 0)
    with pytest.raises(RuntimeError, match="stack: expects each tensor to be equal size"):
        mg.stack([a, b])
    with pytest.raises(RuntimeError, match="permute"):
        a.permute(0)
    with pytest.raises(IndexError, match=r"shape \(2, 3\)"):
        a[5]
    with pytest.raises(RuntimeError, match="clamp"):
        a.clamp()
