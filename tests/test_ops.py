"""Every tensor op: forward against numpy, gradients and second derivatives against central
differences (float64), broadcasting, and the errors for bad arguments."""
import numpy as np
import pytest

import minigrad as mg
from helpers import check_op, leaf, rng

R = rng(1)


def positive(*shape):
    return R.uniform(0.5, 2.0, size=shape)


def normal(*shape):
    return R.standard_normal(shape)


def away_from_zero(*shape):
    x = R.uniform(0.2, 1.5, size=shape)
    return x * np.where(R.random(shape) < 0.5, -1, 1)


BINARY = [
    ("add", lambda a, b: a + b, np.add),
    ("sub", lambda a, b: a - b, np.subtract),
    ("mul", lambda a, b: a * b, np.multiply),
    ("div", lambda a, b: a / b, np.divide),
    ("pow", lambda a, b: a ** b, np.power),
    ("maximum", mg.maximum, np.maximum),
    ("minimum", mg.minimum, np.minimum),
]
BROADCAST_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((5, 1), (1, 5))]


@pytest.mark.parametrize("name,op,ref", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
def test_binary_ops_broadcast(name, op, ref, shapes):
    a, b = positive(*shapes[0]), positive(*shapes[1])
    if name in ("maximum", "minimum"):
        a = a + 3 * (R.random(a.shape) < 0.5)  # no ties
    check_op(op, a, b, reference=ref)


@pytest.mark.parametrize("op,ref", [
    (lambda a: a + 2.5, lambda a: a + 2.5),
    (lambda a: 2.5 - a, lambda a: 2.5 - a),
    (lambda a: a * -3, lambda a: a * -3),
    (lambda a: 1 / a, lambda a: 1 / a),
    (lambda a: a ** 3, lambda a: a ** 3),
    (lambda a: a ** 0.5, np.sqrt),
    (lambda a: a ** 0, lambda a: a ** 0),
    (lambda a: 2 ** a, lambda a: 2 ** a),
    (lambda a: -a, np.negative),
], ids=["radd", "rsub", "mul", "rdiv", "pow3", "pow.5", "pow0", "rpow", "neg"])
def test_ops_with_python_scalars(op, ref):
    check_op(op, positive(3, 2), reference=ref)


@pytest.mark.parametrize("shapes", [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
    ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((2, 1, 2, 3), (4, 3, 2)),
], ids=str)
def test_matmul(shapes):
    check_op(lambda a, b: a @ b, normal(*shapes[0]), normal(*shapes[1]), reference=np.matmul)


UNARY = [
    ("exp", mg.exp, np.exp, normal),
    ("log", mg.log, np.log, positive),
    ("sqrt", mg.sqrt, np.sqrt, positive),
    ("abs", mg.abs, np.abs, away_from_zero),
    ("tanh", mg.tanh, np.tanh, normal),
    ("sigmoid", mg.sigmoid, lambda x: 1 / (1 + np.exp(-x)), normal),
    ("relu", mg.relu, lambda x: np.maximum(x, 0), away_from_zero),
    ("clamp", lambda x: x.clamp(-0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7), away_from_zero),
    ("clamp_min", lambda x: x.clamp(min=0.1), lambda x: np.maximum(x, 0.1), away_from_zero),
    ("clamp_max", lambda x: x.clamp(max=0.1), lambda x: np.minimum(x, 0.1), away_from_zero),
]


@pytest.mark.parametrize("name,op,ref,make", UNARY, ids=[u[0] for u in UNARY])
@pytest.mark.parametrize("shape", [(), (5,), (2, 3, 2)], ids=str)
def test_elementwise(name, op, ref, make, shape):
    x = make(*shape)
    if name.startswith("clamp"):
        x = np.where(np.abs(np.abs(x) - 0.5) < 0.05, x + 0.2, x)  # stay off the bounds
        x = np.where(np.abs(x - 0.1) < 0.05, x + 0.2, x)
        x = np.where(np.abs(x - 0.7) < 0.05, x + 0.2, x)
    check_op(op, x, reference=ref)


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


# -- shapes ------------------------------------------------------------------------------------
SHAPE_OPS = [
    ("reshape", lambda x: x.reshape(4, 6), lambda x: x.reshape(4, 6)),
    ("reshape-1", lambda x: x.reshape(-1, 3), lambda x: x.reshape(-1, 3)),
    ("view", lambda x: x.view(24), lambda x: x.reshape(24)),
    ("transpose", lambda x: x.transpose(0, 2), lambda x: x.swapaxes(0, 2)),
    ("permute", lambda x: x.permute(2, 0, 1), lambda x: x.transpose(2, 0, 1)),
    ("T", lambda x: x.T, lambda x: x.T),
    ("flatten", lambda x: x.flatten(), lambda x: x.reshape(-1)),
    ("flatten1", lambda x: x.flatten(1), lambda x: x.reshape(2, -1)),
    ("flatten01", lambda x: x.flatten(0, 1), lambda x: x.reshape(6, 4)),
    ("unsqueeze", lambda x: x.unsqueeze(1), lambda x: x[:, None]),
    ("unsqueeze-1", lambda x: x.unsqueeze(-1), lambda x: x[..., None]),
    ("squeeze", lambda x: x.unsqueeze(0).unsqueeze(-1).squeeze(), lambda x: x),
    ("squeeze_dim", lambda x: x.unsqueeze(2).squeeze(2), lambda x: x),
    ("squeeze_noop", lambda x: x.squeeze(1), lambda x: x),
    ("expand", lambda x: x[:, :1].expand(2, 5, 4), lambda x: np.broadcast_to(x[:, :1], (2, 5, 4))),
]


@pytest.mark.parametrize("name,op,ref", SHAPE_OPS, ids=[s[0] for s in SHAPE_OPS])
def test_shape_ops(name, op, ref):
    check_op(op, normal(2, 3, 4), reference=ref)


def test_cat_and_stack():
    a, b, c = normal(2, 3), normal(2, 1), normal(2, 2)
    check_op(lambda a, b, c: mg.cat([a, b, c], dim=1), a, b, c, reference=lambda a, b, c: np.concatenate([a, b, c], 1))
    check_op(lambda a, b: mg.cat([a, b], dim=-1), a, b, reference=lambda a, b: np.concatenate([a, b], -1))
    x, y = normal(2, 3), normal(2, 3)
    for dim in (0, 1, 2, -1):
        check_op(lambda x, y: mg.stack([x, y], dim), x, y, reference=lambda x, y: np.stack([x, y], dim))


def test_where():
    cond = R.random((3, 4)) < 0.5
    check_op(lambda a, b: mg.where(mg.tensor(cond), a, b), normal(3, 4), normal(4), reference=lambda a, b: np.where(cond, a, b))
    check_op(lambda a: mg.where(mg.tensor(cond), a, 0.0), normal(3, 1), reference=lambda a: np.where(cond, a, 0.0))


# -- indexing ----------------------------------------------------------------------------------
INDEXES = [
    ("int", 1), ("slice", np.s_[1:]), ("step", np.s_[::2]), ("negative", -1),
    ("tuple", np.s_[0, 1:3]), ("ellipsis", np.s_[..., 1]), ("newaxis", np.s_[None, 0]),
    ("array", [2, 0]), ("repeated", [0, 0, 2, 0]), ("2d-array", np.s_[[0, 2, 2], [1, 1, 3]]),
    ("mixed", np.s_[[1, 1], 1:]), ("bool", np.array([True, False, True])),
]


@pytest.mark.parametrize("name,index", INDEXES, ids=[i[0] for i in INDEXES])
def test_getitem(name, index):
    check_op(lambda x: x[index], normal(3, 4), reference=lambda x: x[index])


def test_getitem_repeated_indices_accumulate():
    x = leaf(np.zeros(3))
    x[[0, 0, 2, 0]].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]
    y = leaf(np.zeros(3))
    y[mg.tensor(np.array([1, 1]))].sum().backward()
    assert y.grad.tolist() == [0.0, 2.0, 0.0]


def test_gather():
    index = np.array([[0, 2], [1, 1], [3, 0]])
    check_op(lambda x: x.gather(1, mg.tensor(index)), normal(3, 4), reference=lambda x: np.take_along_axis(x, index, 1))
    index0 = np.array([[2, 0, 1, 1]])
    check_op(lambda x: x.gather(0, mg.tensor(index0)), normal(3, 4), reference=lambda x: np.take_along_axis(x, index0, 0))


# -- reductions --------------------------------------------------------------------------------
DIMS = [None, 0, 1, -1, (0, 2), (-1, 0)]


@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("name", ["sum", "mean", "var", "amax", "amin", "std"])
def test_reductions(name, dim, keepdim):
    x = normal(2, 3, 4)
    axis = dim if not isinstance(dim, tuple) else tuple(dim)
    refs = {
        "sum": lambda a: a.sum(axis=axis, keepdims=keepdim),
        "mean": lambda a: a.mean(axis=axis, keepdims=keepdim),
        "var": lambda a: a.var(axis=axis, keepdims=keepdim, ddof=1),
        "std": lambda a: a.std(axis=axis, keepdims=keepdim, ddof=1),
        "amax": lambda a: a.max(axis=axis, keepdims=keepdim),
        "amin": lambda a: a.min(axis=axis, keepdims=keepdim),
    }
    check_op(lambda t: getattr(t, name)(dim, keepdim=keepdim), x, reference=refs[name])


def test_var_correction_and_unbiased():
    x = normal(4, 5)
    check_op(lambda t: t.var(1, unbiased=False), x, reference=lambda a: a.var(1))
    check_op(lambda t: t.var(0, correction=2), x, reference=lambda a: a.var(0, ddof=2))


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
    check_op(lambda t: getattr(t, which)(dim, keepdim)[0], x)


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
    check_op(lambda t: t.max(dims, keepdim=keepdim)[0], x)


def test_max_without_dim_and_argmax():
    x = normal(3, 4)
    assert leaf(x).max().item() == x.max() and leaf(x).min().item() == x.min()
    assert leaf(x).argmax().item() == x.argmax() and leaf(x).argmin().item() == x.argmin()
    np.testing.assert_array_equal(leaf(x).argmax(1).data, x.argmax(1))
    assert leaf(x).argmax(0, keepdim=True).shape == (1, 4)
    check_op(lambda t: t.max(), x, reference=np.max)


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
