"""minigrad against PyTorch, forward, backward and double backward, in float64: every case of the
op table (minigrad._testing) that PyTorch has, then special values, statistics and float32.
Skipped when PyTorch is not installed."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from helpers import assert_close
from minigrad._testing import CASES
from minigrad._testing.nn_ops import POOL

torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch==2.13.0)")
TF = torch.nn.functional


def _as_tuple(out) -> tuple:
    return tuple(out) if isinstance(out, tuple) else (out,)


def compare(mg_fn, torch_fn, *arrays, requires_grad=None, double_backward=True, rtol=1e-11, atol=1e-13):
    """Run both frameworks on the same float64 inputs; compare outputs, gradients for a random
    output gradient, and the gradient of (sum of gradients**2) when ``double_backward``.

    ``requires_grad`` says, one flag per array, which are differentiated (by default all); an op
    may return a tuple, such as values and indices, whose floating outputs are differentiated."""
    flags = [True] * len(arrays) if requires_grad is None else requires_grad
    ours = [mg.tensor(a, requires_grad=flag) for a, flag in zip(arrays, flags)]
    theirs = [torch.tensor(a, requires_grad=flag) for a, flag in zip(arrays, flags)]
    outs, refs = _as_tuple(mg_fn(*ours)), _as_tuple(torch_fn(*theirs))
    assert len(outs) == len(refs)
    for out, ref in zip(outs, refs):
        assert out.shape == tuple(ref.shape)
        assert_close(out, ref, rtol, atol)
    differentiable = [(out, ref) for out, ref in zip(outs, refs) if out.requires_grad]
    assert [ref.requires_grad for _, ref in differentiable] == [True] * len(differentiable)
    ours = [t for t in ours if t.requires_grad]
    theirs = [t for t in theirs if t.requires_grad]
    seed_rng = np.random.default_rng(0)
    seeds = [seed_rng.standard_normal(out.shape) for out, _ in differentiable]
    ours_g = mg.autograd.grad([out for out, _ in differentiable], ours, [mg.tensor(s) for s in seeds],
                              create_graph=double_backward)
    theirs_g = torch.autograd.grad([ref for _, ref in differentiable], theirs, [torch.tensor(s) for s in seeds],
                                   create_graph=double_backward)
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
        for a, b, x in zip(second, second_ref, ours):
            a = np.zeros(x.shape) if a is None else a.data
            b = np.zeros(x.shape) if b is None else b.detach().numpy(force=True)  # force: a ZeroTensor
            assert_close(a, b, rtol, atol)


@pytest.mark.parametrize("case", [case for case in CASES if case.torch is not False], ids=repr)
def test_case_matches_pytorch(case):
    compare(case.minigrad_op(), case.torch_op(torch), *case.arrays(),
            requires_grad=[spec.requires_grad for spec in case.inputs], double_backward=case.second_order)


# -- what the table does not hold: special values, statistics, float32 --------------------------
R = np.random.default_rng(3)


def n(*shape):
    return R.standard_normal(shape)


@pytest.mark.parametrize("kwargs", POOL + [dict(kernel_size=2, stride=1, padding=1)], ids=str)
def test_max_pool2d_special_values_match_pytorch(kwargs):
    x = np.round(R.standard_normal((2, 2, 6, 7)), 1)  # many ties
    x[0, 0, 1, 1:3] = np.nan
    x[0, 1, 2:5, :4] = -np.inf
    x[1, 0, 0, :] = np.inf
    values, indices = F.max_pool2d(mg.tensor(x), return_indices=True, **kwargs)
    ref_values, ref_indices = TF.max_pool2d(torch.tensor(x), return_indices=True, **kwargs)
    np.testing.assert_array_equal(values.data, ref_values.numpy())
    np.testing.assert_array_equal(indices.data, ref_indices.numpy())


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
