"""minigrad against PyTorch, forward, backward and double backward, in float64 (and a few float32
cases). Skipped when PyTorch is not installed."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from helpers import HAS_TORCH, assert_close

pytestmark = pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed (pip install torch==2.13.0)")

if HAS_TORCH:
    import torch
    import torch.nn.functional as TF

R = np.random.default_rng(3)


def compare(mg_fn, torch_fn, *arrays, double_backward=True, rtol=1e-11, atol=1e-13):
    """Run both frameworks on the same float64 inputs; compare outputs, gradients for a random
    output gradient, and the gradient of (sum of gradients**2) when ``double_backward``."""
    ours = [mg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, ref = mg_fn(*ours), torch_fn(*theirs)
    assert_close(out, ref, rtol, atol)
    seed = R.standard_normal(out.shape)
    ours_g = mg.autograd.grad(out, ours, mg.tensor(seed), create_graph=double_backward)
    theirs_g = torch.autograd.grad(ref, theirs, torch.tensor(seed), create_graph=double_backward)
    for a, b in zip(ours_g, theirs_g):
        assert_close(a, b, rtol, atol)
    if double_backward:
        # The two frameworks may disagree on whether a gradient that does not depend on the
        # inputs belongs to the graph; such a gradient has zero derivative, so leaving it out of
        # the sum below changes nothing, and the second derivatives must agree.
        ours_terms = [g for g in ours_g if g.requires_grad]
        theirs_terms = [g for g in theirs_g if g.requires_grad]
        second = (mg.autograd.grad(sum((g * g).sum() for g in ours_terms), ours, allow_unused=True)
                  if ours_terms else [None] * len(ours))
        second_ref = (torch.autograd.grad(sum((g * g).sum() for g in theirs_terms), theirs, allow_unused=True)
                      if theirs_terms else [None] * len(theirs))
        for a, b, x in zip(second, second_ref, arrays):
            a = np.zeros_like(x) if a is None else a.data
            b = np.zeros_like(x) if b is None else b.detach().numpy()
            assert_close(a, b, rtol, atol)


def n(*shape):
    return R.standard_normal(shape)


def pos(*shape):
    return R.uniform(0.5, 2, shape)


TENSOR_CASES = {
    "add-broadcast": (lambda a, b: a + b, lambda a, b: a + b, [n(3, 1, 4), n(2, 4)]),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, [n(3, 4), n(4)]),
    "div": (lambda a, b: a / b, lambda a, b: a / b, [n(3, 4), pos(3, 1)]),
    "pow-tensor": (lambda a, b: a ** b, lambda a, b: a ** b, [pos(3, 4), n(3, 4)]),
    "pow-scalar": (lambda a: a ** 3.5, lambda a: a ** 3.5, [pos(5)]),
    "matmul-batched": (lambda a, b: a @ b, lambda a, b: a @ b, [n(2, 3, 4), n(4, 5)]),
    "matmul-vec": (lambda a, b: a @ b, lambda a, b: a @ b, [n(4), n(2, 4, 3)]),
    "getitem": (lambda a: a[[0, 0, 2], 1:], lambda a: a[[0, 0, 2], 1:], [n(3, 4)]),
    "sum-dims": (lambda a: a.sum((0, 2), keepdim=True), lambda a: a.sum((0, 2), keepdim=True), [n(2, 3, 4)]),
    "mean": (lambda a: a.mean(-1), lambda a: a.mean(-1), [n(2, 3, 4)]),
    "var": (lambda a: a.var(1), lambda a: a.var(1), [n(3, 5)]),
    "std": (lambda a: a.std(), lambda a: a.std(), [n(3, 5)]),
    "max-dim": (lambda a: a.max(1)[0], lambda a: a.max(1)[0], [n(3, 5)]),
    "max-all": (lambda a: a.max(), lambda a: a.max(), [n(3, 5)]),
    "amax-tuple": (lambda a: a.amax((0, 1)), lambda a: a.amax((0, 1)), [n(3, 5, 2)]),
    "exp-log": (lambda a: a.exp().log() * a.sqrt(), lambda a: a.exp().log() * a.sqrt(), [pos(4)]),
    "tanh-sigmoid": (lambda a: a.tanh() * a.sigmoid(), lambda a: a.tanh() * a.sigmoid(), [n(6)]),
    "abs-relu": (lambda a: a.abs() + a.relu(), lambda a: a.abs() + a.relu(), [n(6)]),
    "clamp": (lambda a: a.clamp(-0.3, 0.4), lambda a: a.clamp(-0.3, 0.4), [n(8)]),
    "cat-stack": (lambda a, b: mg.stack([mg.cat([a, b], 1), mg.cat([b, a], 1)]),
                  lambda a, b: torch.stack([torch.cat([a, b], 1), torch.cat([b, a], 1)]), [n(2, 3), n(2, 3)]),
    "where": (lambda a, b: mg.where(a > b, a, b * 2), lambda a, b: torch.where(a > b, a, b * 2), [n(3, 4), n(4)]),
    "permute-reshape": (lambda a: a.permute(2, 0, 1).reshape(4, -1).T, lambda a: a.permute(2, 0, 1).reshape(4, -1).T, [n(2, 3, 4)]),
    "softmax": (lambda a: a.softmax(1), lambda a: a.softmax(1), [n(3, 5)]),
    "log_softmax": (lambda a: a.log_softmax(0), lambda a: a.log_softmax(0), [n(3, 5)]),
}


@pytest.mark.parametrize("name", sorted(TENSOR_CASES))
def test_tensor_ops_match_pytorch(name):
    ours, theirs, arrays = TENSOR_CASES[name]
    compare(ours, theirs, *arrays)


CONV_CASES = [
    dict(stride=1, padding=0), dict(stride=2, padding=1), dict(stride=3, padding=2, dilation=2),
    dict(stride=(2, 1), padding=(0, 1), groups=2), dict(stride=(1, 2), padding=1, groups=2), dict(padding="same", dilation=2),
    dict(stride=4, padding=3),
]


# the same (4, 3, 9, 10) input reached through a view op, so that the op sees the memory layout
# of a batch-last convolution output, a strided slice or a flipped one
LAYOUTS = {
    "batch-last": ((3, 9, 10, 4), lambda x: x.permute(3, 0, 1, 2), lambda x: x.permute(3, 0, 1, 2)),
    "strided": ((4, 3, 18, 10), lambda x: x[:, :, ::2], lambda x: x[:, :, ::2]),
    "flipped": ((4, 3, 9, 10), lambda x: x[:, :, ::-1], lambda x: x.flip(2)),
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_conv2d_and_max_pool2d_match_pytorch_for_any_input_layout(layout):
    shape, ours, theirs = LAYOUTS[layout]
    x = n(*shape)
    for kwargs in (dict(padding=1), dict(stride=2), dict(padding=(0, 2), dilation=2)):
        compare(lambda x, w: F.conv2d(ours(x), w, **kwargs), lambda x, w: TF.conv2d(theirs(x), w, **kwargs),
                x, n(5, 3, 3, 3), double_backward=False)
    compare(lambda x: F.max_pool2d(ours(x), 3, 2, 1, ceil_mode=True),
            lambda x: TF.max_pool2d(theirs(x), 3, 2, 1, ceil_mode=True), x)


@pytest.mark.parametrize("kwargs", CONV_CASES, ids=str)
def test_conv2d_matches_pytorch(kwargs):
    groups = kwargs.get("groups", 1)
    compare(lambda x, w, b: F.conv2d(x, w, b, **kwargs), lambda x, w, b: TF.conv2d(x, w, b, **kwargs),
            n(2, 4, 9, 8), n(6, 4 // groups, 3, 2), n(6))


POOL_CASES = [
    dict(kernel_size=2), dict(kernel_size=3, stride=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=(2, 3), stride=(2, 1), padding=(1, 1)), dict(kernel_size=3, stride=3, ceil_mode=True),
]


@pytest.mark.parametrize("kwargs", POOL_CASES + [dict(kernel_size=3, stride=1, padding=1, dilation=2)], ids=str)
def test_max_pool2d_matches_pytorch(kwargs):
    x = R.permutation(2 * 3 * 9 * 8).reshape(2, 3, 9, 8) / 10.0
    compare(lambda t: F.max_pool2d(t, **kwargs), lambda t: TF.max_pool2d(t, **kwargs), x)
    _, ours = F.max_pool2d(mg.tensor(x), return_indices=True, **kwargs)
    _, theirs = TF.max_pool2d(torch.tensor(x), return_indices=True, **kwargs)
    np.testing.assert_array_equal(ours.data, theirs.numpy())


@pytest.mark.parametrize("kwargs", POOL_CASES + [dict(kernel_size=2, stride=1, padding=1)], ids=str)
def test_max_pool2d_special_values_match_pytorch(kwargs):
    x = np.round(R.standard_normal((2, 2, 6, 7)), 1)  # many ties
    x[0, 0, 1, 1:3] = np.nan
    x[0, 1, 2:5, :4] = -np.inf
    x[1, 0, 0, :] = np.inf
    values, indices = F.max_pool2d(mg.tensor(x), return_indices=True, **kwargs)
    ref_values, ref_indices = TF.max_pool2d(torch.tensor(x), return_indices=True, **kwargs)
    np.testing.assert_array_equal(values.data, ref_values.numpy())
    np.testing.assert_array_equal(indices.data, ref_indices.numpy())


@pytest.mark.parametrize("kwargs", POOL_CASES, ids=str)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_matches_pytorch(kwargs, count_include_pad):
    compare(lambda t: F.avg_pool2d(t, count_include_pad=count_include_pad, **kwargs),
            lambda t: TF.avg_pool2d(t, count_include_pad=count_include_pad, **kwargs), n(2, 3, 9, 8))


@pytest.mark.parametrize("size", [(1, 1), (3, 3), (4, 5), (6, 6)])
def test_adaptive_avg_pool2d_matches_pytorch(size):
    compare(lambda t: F.adaptive_avg_pool2d(t, size), lambda t: TF.adaptive_avg_pool2d(t, size), n(2, 3, 9, 8))


@pytest.mark.parametrize("size,channels", [(5, 8), (4, 8), (5, 3), (2, 1), (7, 4)])
def test_local_response_norm_matches_pytorch(size, channels):
    compare(lambda t: F.local_response_norm(t, size, 1e-2, 0.75, 2.0),
            lambda t: TF.local_response_norm(t, size, 1e-2, 0.75, 2.0), n(2, channels, 4, 3))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_ignored_and_spatial_targets_match_pytorch(reduction):
    target = R.integers(0, 4, (3, 5))
    target[0, 1] = target[2, 3] = 2  # the ignored class below
    weight = R.uniform(0.5, 2, 4)
    for kwargs in (dict(ignore_index=2), dict(ignore_index=2, weight=weight)):
        ours = {k: mg.tensor(v) if k == "weight" else v for k, v in kwargs.items()}
        theirs = {k: torch.tensor(v) if k == "weight" else v for k, v in kwargs.items()}
        compare(lambda x: F.cross_entropy(x, mg.tensor(target), reduction=reduction, **ours),
                lambda x: TF.cross_entropy(x, torch.tensor(target), reduction=reduction, **theirs), n(3, 4, 5))
        compare(lambda x: F.nll_loss(x, mg.tensor(target[0]), reduction=reduction, **ours),
                lambda x: TF.nll_loss(x, torch.tensor(target[0]), reduction=reduction, **theirs), n(5, 4))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_with_nothing_to_average_matches_pytorch(reduction):
    # every target ignored (PyTorch: nan loss for the mean, zero gradients), and a class of
    # weight 0 that is the only one present (nan from 0 / 0 in that sample's gradient)
    weight = np.array([1.0, 0.0, 1.0, 1.0])
    for target, kwargs in ((np.full(3, -100), {}), (np.array([-100, 1, -100]), {"weight": weight})):
        compare(lambda x: F.cross_entropy(x, mg.tensor(target), reduction=reduction,
                                          **{k: mg.tensor(v) for k, v in kwargs.items()}),
                lambda x: TF.cross_entropy(x, torch.tensor(target), reduction=reduction,
                                           **{k: torch.tensor(v) for k, v in kwargs.items()}),
                n(3, 4), double_backward=False)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_match_pytorch(reduction):
    target = R.integers(0, 5, 6)
    compare(lambda x: F.cross_entropy(x, mg.tensor(target), reduction=reduction),
            lambda x: TF.cross_entropy(x, torch.tensor(target), reduction=reduction), n(6, 5))
    compare(lambda x: F.nll_loss(x, mg.tensor(target), reduction=reduction),
            lambda x: TF.nll_loss(x, torch.tensor(target), reduction=reduction), n(6, 5))
    compare(lambda x, y: F.mse_loss(x, y, reduction=reduction), lambda x, y: TF.mse_loss(x, y, reduction=reduction), n(3, 4), n(3, 4))
    weight = R.uniform(0.5, 2, 5)
    compare(lambda x: F.cross_entropy(x, mg.tensor(target), weight=mg.tensor(weight), reduction=reduction, label_smoothing=0.1),
            lambda x: TF.cross_entropy(x, torch.tensor(target), weight=torch.tensor(weight), reduction=reduction, label_smoothing=0.1), n(6, 5))


def test_linear_and_unfold_fold_match_pytorch():
    compare(F.linear, TF.linear, n(4, 3), n(5, 3), n(5))
    compare(lambda x: F.unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=2),
            lambda x: TF.unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=2), n(2, 3, 7, 8))
    compare(lambda c: F.fold(c, (5, 6), 2, stride=(1, 2), padding=1),
            lambda c: TF.fold(c, (5, 6), 2, stride=(1, 2), padding=1), n(2, 12, 6 * 4))


def test_dropout_statistics_match_pytorch_semantics():
    x = mg.ones(20000)
    y = F.dropout(x, 0.25)
    t = TF.dropout(torch.ones(20000), 0.25)
    assert set(np.unique(y.data)) == set(np.unique(t.numpy()))
    assert abs((y.numpy() == 0).mean() - 0.25) < 0.02


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_huge_logits_cross_entropy_matches_pytorch(dtype):
    logits = np.array([[1e5, -1e5, 3.0], [-2.0, 1e5, 1e5]], dtype=dtype)
    target = np.array([2, 0])
    ours = mg.tensor(logits, requires_grad=True)
    theirs = torch.tensor(logits, requires_grad=True)
    loss, ref = F.cross_entropy(ours, mg.tensor(target)), TF.cross_entropy(theirs, torch.tensor(target))
    loss.backward()
    ref.backward()
    assert loss.item() == ref.item()
    assert_close(ours.grad, theirs.grad, rtol=1e-6, atol=1e-7)


def test_float32_conv_and_pool_match_pytorch_within_float32_roundoff():
    x, w = n(2, 3, 12, 12).astype(np.float32), n(4, 3, 3, 3).astype(np.float32)
    out = F.max_pool2d(F.conv2d(mg.tensor(x), mg.tensor(w), padding=1).relu(), 2)
    ref = TF.max_pool2d(TF.conv2d(torch.tensor(x), torch.tensor(w), padding=1).relu(), 2)
    assert out.dtype == mg.float32
    assert_close(out, ref, rtol=1e-5, atol=1e-5)
