"""Adadelta, binary_cross_entropy and binary_cross_entropy_with_logits: against hand-computed
values and numerical gradients (first and second order), and against PyTorch when installed."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad import optim
from helpers import HAS_TORCH, check_op, leaf, needs_torch

if HAS_TORCH:
    import torch
    import torch.nn.functional as TF
    from test_torch_parity import compare

R = np.random.default_rng(11)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# -- Adadelta -------------------------------------------------------------------------------------
def adadelta_by_hand(start, grads, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
    """The paper's update in plain numpy (PyTorch's form: eps inside both square roots)."""
    p = np.array(start, dtype=np.float64)
    square_avg, acc_delta = np.zeros_like(p), np.zeros_like(p)
    for g in grads:
        g = (-g if maximize else g) + weight_decay * p
        square_avg = rho * square_avg + (1 - rho) * g * g
        delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * g
        acc_delta = rho * acc_delta + (1 - rho) * delta * delta
        p = p - lr * delta
    return p


@pytest.mark.parametrize("kwargs", [dict(), dict(lr=0.5, rho=0.8, eps=1e-4), dict(weight_decay=0.1),
                                    dict(maximize=True), dict(maximize=True, weight_decay=0.05)],
                         ids=str)
def test_adadelta_by_hand(kwargs):
    start = R.standard_normal(6)
    grads = [R.standard_normal(6) for _ in range(5)]
    p = leaf(start)
    opt = optim.Adadelta([p], **kwargs)
    for g in grads:
        p.grad = mg.tensor(g)
        opt.step()
    np.testing.assert_allclose(p.data, adadelta_by_hand(start, grads, **kwargs), rtol=1e-13)
    assert sorted(opt.state[p]) == ["acc_delta", "square_avg", "step"] and opt.state[p]["step"] == 5


@needs_torch
@pytest.mark.parametrize("kwargs", [dict(), dict(lr=0.5, rho=0.8, eps=1e-4), dict(weight_decay=0.1),
                                    dict(maximize=True), dict(lr=2.0, maximize=True, weight_decay=0.05)],
                         ids=str)
def test_adadelta_trajectory_matches_pytorch(kwargs):
    start = R.standard_normal((40, 7))
    ours, theirs = leaf(start), torch.tensor(start, requires_grad=True)
    opt, topt = optim.Adadelta([ours], **kwargs), torch.optim.Adadelta([theirs], **kwargs)
    for _ in range(20):
        g = R.standard_normal(start.shape)
        ours.grad, theirs.grad = mg.tensor(g), torch.tensor(g)
        opt.step()
        topt.step()
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12, atol=1e-13)
    ours_state, theirs_state = opt.state_dict(), topt.state_dict()
    assert set(ours_state["state"][0]) == set(theirs_state["state"][0])
    for key in ("square_avg", "acc_delta"):
        np.testing.assert_allclose(ours_state["state"][0][key], theirs_state["state"][0][key].numpy(), rtol=1e-12)
    assert ours_state["state"][0]["step"] == int(theirs_state["state"][0]["step"])
    assert set(ours_state["param_groups"][0]) <= set(theirs_state["param_groups"][0])


def _classifier():
    mg.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 1)).double()


def _train(model, opt, steps, seed):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        x, y = mg.tensor(rng.standard_normal((8, 3))), mg.tensor(rng.integers(0, 2, (8, 1)).astype(np.float64))
        opt.zero_grad()
        nn.BCEWithLogitsLoss()(model(x), y).backward()
        opt.step()


def test_adadelta_resumes_from_a_saved_state_dict_bit_identically(tmp_path):
    straight = _classifier()
    straight_opt = optim.Adadelta(straight.parameters(), lr=0.5, weight_decay=1e-3)
    _train(straight, straight_opt, 6, seed=1)
    _train(straight, straight_opt, 6, seed=2)

    first = _classifier()
    first_opt = optim.Adadelta(first.parameters(), lr=0.5, weight_decay=1e-3)
    _train(first, first_opt, 6, seed=1)
    mg.save({"model": first.state_dict(), "optimizer": first_opt.state_dict()}, tmp_path / "ckpt.npz")
    resumed = _classifier()
    resumed_opt = optim.Adadelta(resumed.parameters(), lr=1.0)  # hyper-parameters come from the checkpoint
    checkpoint = mg.load(tmp_path / "ckpt.npz")
    resumed.load_state_dict(checkpoint["model"])
    resumed_opt.load_state_dict(checkpoint["optimizer"])
    assert resumed_opt.param_groups[0]["lr"] == 0.5 and resumed_opt.param_groups[0]["maximize"] is False
    _train(resumed, resumed_opt, 6, seed=2)
    for p, q in zip(straight.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(p.data, q.data)


def test_adadelta_with_step_lr_as_in_the_mnist_example():
    model = nn.Linear(3, 1)
    opt = optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)
    for _ in range(3):
        opt.zero_grad()
        F.binary_cross_entropy_with_logits(model(mg.randn(4, 3)), mg.ones(4, 1)).backward()
        opt.step()
        scheduler.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.7 ** 3)
    assert all(p.dtype == mg.float32 for p in model.parameters())
    assert all(v.dtype == mg.float32 for s in opt.state.values() for v in s.values() if isinstance(v, np.ndarray))


def test_adadelta_skips_missing_gradients_leaves_the_gradient_and_records_no_graph():
    a, b = leaf(R.standard_normal(100_000)), leaf([2.0])
    g = R.standard_normal(100_000)
    a.grad = mg.tensor(g.copy())
    opt = optim.Adadelta([a, b])
    opt.step()
    opt.step()
    np.testing.assert_array_equal(a.grad.data, g)
    assert b.data.tolist() == [2.0] and b not in opt.state and a.grad_fn is None and a.is_leaf


def test_adadelta_update_allocates_no_parameter_sized_temporary():
    import tracemalloc

    p = leaf(np.zeros(2_000_000))
    p.grad = mg.tensor(np.ones(2_000_000))
    opt = optim.Adadelta([p], weight_decay=0.1, maximize=True)
    opt.step()  # allocates the state once
    tracemalloc.start()
    opt.step()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 0.1 * p.detach().numpy().nbytes


@pytest.mark.parametrize("kwargs,match", [(dict(lr=-1.0), "learning rate"), (dict(rho=1.5), "rho"),
                                          (dict(eps=-1.0), "epsilon"), (dict(weight_decay=-0.1), "weight_decay")])
def test_adadelta_rejects_invalid_hyperparameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        optim.Adadelta([leaf([1.0])], **kwargs)


# -- binary cross-entropy: values by hand -----------------------------------------------------------
def bce_reference(x, y, weight=1.0):
    return -weight * (y * np.maximum(np.log(x), -100) + (1 - y) * np.maximum(np.log(1 - x), -100))


def bce_logits_reference(z, y, weight=1.0, pos_weight=1.0):
    """The textbook formula, -w (pw y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))): fine for moderate z."""
    return -weight * (pos_weight * y * np.log(sigmoid(z)) + (1 - y) * np.log(1 - sigmoid(z)))


REDUCE = {"mean": np.mean, "sum": np.sum, "none": lambda a: a}


@pytest.mark.parametrize("reduction", sorted(REDUCE))
def test_binary_cross_entropy_against_the_formula_and_numerical_gradients(reduction):
    x, y, w = R.uniform(0.05, 0.95, (4, 3)), R.uniform(0, 1, (4, 3)), R.uniform(0.5, 2, 3)
    check_op(lambda a, b: F.binary_cross_entropy(a, b, reduction=reduction), x, y,
             reference=lambda a, b: REDUCE[reduction](bce_reference(a, b)))
    check_op(lambda a, b: F.binary_cross_entropy(a, b, mg.tensor(w), reduction=reduction), x, y,
             reference=lambda a, b: REDUCE[reduction](bce_reference(a, b, w)))


@pytest.mark.parametrize("reduction", sorted(REDUCE))
def test_bce_with_logits_against_the_formula_and_numerical_gradients(reduction):
    z, y = R.uniform(-4, 4, (4, 3)), R.uniform(0, 1, (4, 3))
    w, pw = R.uniform(0.5, 2, (4, 1)), R.uniform(0.5, 3, 3)
    check_op(lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=reduction), z, y,
             reference=lambda a, b: REDUCE[reduction](bce_logits_reference(a, b)))
    check_op(lambda a, b: F.binary_cross_entropy_with_logits(a, b, mg.tensor(w), reduction, mg.tensor(pw)), z, y,
             reference=lambda a, b: REDUCE[reduction](bce_logits_reference(a, b, w, pw)))


def test_binary_cross_entropy_clamps_the_log_at_minus_100():
    x, y = mg.tensor([0.0, 1.0, 0.0, 1.0]), mg.tensor([1.0, 0.0, 0.0, 1.0])
    assert F.binary_cross_entropy(x, y, reduction="none").tolist() == [100.0, 100.0, 0.0, 0.0]


def test_bce_with_logits_is_finite_and_exact_for_huge_logits():
    z = leaf([1000.0, -1000.0, 1000.0, -1000.0])
    y = mg.tensor([0.0, 1.0, 1.0, 0.0])
    losses = F.binary_cross_entropy_with_logits(z, y, reduction="none", pos_weight=mg.tensor(2.0))
    assert losses.tolist() == [1000.0, 2000.0, 0.0, 0.0]
    losses.sum().backward()
    assert z.grad.tolist() == [1.0, -2.0, 0.0, 0.0]
    for dtype in (mg.float32, mg.float64):
        z = mg.tensor([1000.0, -1000.0], dtype=dtype, requires_grad=True)
        loss = F.binary_cross_entropy_with_logits(z, mg.tensor([0.5, 0.5], dtype=dtype))
        (grad,) = mg.autograd.grad(loss, [z], create_graph=True)
        (second,) = mg.autograd.grad(grad.sum(), [z])
        assert loss.item() == 500.0 and grad.tolist() == [0.25, -0.25] and second.tolist() == [0.0, 0.0]
        assert loss.dtype == grad.dtype == dtype


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_bce_with_logits_broadcasts_weights_over_random_shapes(data):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))
    suffix = shape[data.draw(st.integers(0, len(shape))):]
    weight_shape = tuple(data.draw(st.sampled_from([1, s])) for s in suffix)
    z = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-5, 5, width=64)))
    y = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(0, 1, width=64)))
    w = data.draw(hnp.arrays(np.float64, weight_shape, elements=st.floats(0.5, 2, width=64)))
    loss = F.binary_cross_entropy_with_logits(leaf(z), mg.tensor(y), weight=mg.tensor(w), pos_weight=mg.tensor(w),
                                              reduction="none")
    np.testing.assert_allclose(loss.data, bce_logits_reference(z, y, w, w), rtol=1e-10, atol=1e-12)
    assert mg.gradcheck(lambda a, b: F.binary_cross_entropy_with_logits(a, b, mg.tensor(w), "sum", mg.tensor(w)),
                        (leaf(z), leaf(y)))


def test_sigmoid_then_bce_equals_bce_with_logits_for_moderate_logits():
    z, y = R.uniform(-6, 6, 50), R.uniform(0, 1, 50)
    a, b = leaf(z), leaf(z)
    F.binary_cross_entropy(mg.sigmoid(a), mg.tensor(y)).backward()
    F.binary_cross_entropy_with_logits(b, mg.tensor(y)).backward()
    np.testing.assert_allclose(a.grad.data, b.grad.data, rtol=1e-9)


def test_float32_stays_float32_and_mixed_dtypes_promote_as_pytorch():
    z = mg.randn(4, 3, requires_grad=True)
    y = mg.rand(4, 3)
    for loss in (F.binary_cross_entropy(mg.sigmoid(z), y, weight=mg.tensor(np.ones(3))),
                 F.binary_cross_entropy_with_logits(z, y, weight=mg.tensor(np.ones(3)), pos_weight=mg.tensor(np.ones(3)))):
        assert loss.dtype == mg.float32
        (grad,) = mg.autograd.grad(loss, [z])
        assert grad.dtype == mg.float32
    mixed = F.binary_cross_entropy_with_logits(z, y.double())
    assert mixed.dtype == mg.float64
    mixed.backward()
    assert z.grad.dtype == mg.float32


# -- errors -------------------------------------------------------------------------------------------
def test_binary_losses_reject_mismatched_shapes_like_pytorch():
    x, y = mg.rand(5, 4), mg.rand(5, 2)
    with pytest.raises(ValueError, match=r"Using a target size \(5, 2\) that is different to the input size \(5, 4\)"):
        F.binary_cross_entropy(x, y)
    with pytest.raises(ValueError, match=r"Target size \(5, 2\) must be the same as input size \(5, 4\)"):
        F.binary_cross_entropy_with_logits(x, y)
    with pytest.raises(ValueError, match=r"weight of shape \(2, 5, 4\) does not broadcast to the input's shape \(5, 4\)"):
        F.binary_cross_entropy(x, mg.rand(5, 4), weight=mg.ones(2, 5, 4))
    with pytest.raises(ValueError, match=r"pos_weight of shape \(3,\)"):
        F.binary_cross_entropy_with_logits(x, mg.rand(5, 4), pos_weight=mg.ones(3))


@pytest.mark.parametrize("bad", [1.5, -0.1, float("nan")])
def test_binary_cross_entropy_rejects_values_outside_0_1(bad):
    with pytest.raises(RuntimeError, match=r"all elements of input should be between 0 and 1, got .* at index \(1,\)"):
        F.binary_cross_entropy(mg.tensor([0.5, bad]), mg.tensor([1.0, 0.0]))
    with pytest.raises(RuntimeError, match="all elements of target should be between 0 and 1"):
        F.binary_cross_entropy(mg.tensor([0.5, 0.5]), mg.tensor([1.0, bad]))


def test_binary_losses_reject_weights_that_require_grad_and_bad_dtypes_or_reductions():
    x, y = mg.rand(3), mg.rand(3)
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'weight'"):
        F.binary_cross_entropy(x, y, weight=mg.ones(3, requires_grad=True))
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'pos_weight'"):
        F.binary_cross_entropy_with_logits(x, y, pos_weight=mg.ones(3, requires_grad=True))
    with pytest.raises(TypeError, match=r"target must hold probabilities in a floating dtype, got int64"):
        F.binary_cross_entropy_with_logits(x, mg.tensor(np.array([0, 1, 1])))
    with pytest.raises(TypeError, match="target dtype float64 differs from input dtype float32"):
        F.binary_cross_entropy(x, y.double())
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.binary_cross_entropy_with_logits(x, y, reduction="avg")


# -- modules ------------------------------------------------------------------------------------------
def test_loss_modules_call_the_functions_and_keep_their_weights_as_buffers():
    z, y, w, pw = mg.randn(4, 3), mg.rand(4, 3), mg.rand(3), mg.rand(3) + 1
    assert nn.BCELoss(w, reduction="sum")(mg.sigmoid(z), y).item() == \
        F.binary_cross_entropy(mg.sigmoid(z), y, w, reduction="sum").item()
    module = nn.BCEWithLogitsLoss(weight=w, pos_weight=pw)
    assert module(z, y).item() == F.binary_cross_entropy_with_logits(z, y, w, pos_weight=pw).item()
    assert list(module.state_dict()) == ["weight", "pos_weight"]
    assert list(nn.BCEWithLogitsLoss().state_dict()) == []


# -- against PyTorch ----------------------------------------------------------------------------------
WEIGHTS = {  # input shape (5, 4): weight and pos_weight shapes that broadcast to it
    "none": (None, None),
    "weight-row": ((4,), None),
    "pos-weight-per-class": (None, (4,)),
    "pos-weight-column": (None, (5, 1)),
    "both-full": ((5, 4), (5, 4)),
    "both-scalar": ((), (1, 1)),
}


def _random_weight(shape):
    return None if shape is None else R.uniform(0.5, 3, shape)


def _optional(make, array):
    return None if array is None else make(array)


@needs_torch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("case", sorted(WEIGHTS))
def test_bce_with_logits_matches_pytorch_to_the_second_derivative(case, reduction):
    weight_shape, pos_weight_shape = WEIGHTS[case]
    w, pw = _random_weight(weight_shape), _random_weight(pos_weight_shape)
    ours = dict(weight=_optional(mg.tensor, w), pos_weight=_optional(mg.tensor, pw), reduction=reduction)
    theirs = dict(weight=_optional(torch.tensor, w), pos_weight=_optional(torch.tensor, pw), reduction=reduction)
    z, soft_labels = R.standard_normal((5, 4)) * 4, R.uniform(0, 1, (5, 4))
    compare(lambda a, b: F.binary_cross_entropy_with_logits(a, b, **ours),
            lambda a, b: TF.binary_cross_entropy_with_logits(a, b, **theirs), z, soft_labels)


@needs_torch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weight_shape", [None, (4,), (5, 1), (5, 4)], ids=str)
def test_binary_cross_entropy_matches_pytorch_to_the_second_derivative(weight_shape, reduction):
    w = _random_weight(weight_shape)
    x, soft_labels = R.uniform(0.02, 0.98, (5, 4)), R.uniform(0, 1, (5, 4))
    compare(lambda a, b: F.binary_cross_entropy(a, b, _optional(mg.tensor, w), reduction),
            lambda a, b: TF.binary_cross_entropy(a, b, _optional(torch.tensor, w), reduction=reduction), x, soft_labels)


@needs_torch
def test_extreme_inputs_match_pytorch():
    z = np.array([1000.0, -1000.0, 1000.0, -1000.0, 40.0, -40.0])
    y = np.array([0.0, 1.0, 1.0, 0.0, 0.3, 0.7])
    pw = np.array(2.5)
    compare(lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=mg.tensor(pw), reduction="sum"),
            lambda a, b: TF.binary_cross_entropy_with_logits(a, b, pos_weight=torch.tensor(pw), reduction="sum"), z, y)
    x, y = np.array([0.0, 1.0, 1e-300, 1 - 1e-16, 0.5]), np.array([1.0, 0.0, 0.5, 0.5, 0.0])
    ours, theirs = leaf(x), torch.tensor(x, requires_grad=True)
    loss, ref = F.binary_cross_entropy(ours, mg.tensor(y)), TF.binary_cross_entropy(theirs, torch.tensor(y))
    loss.backward()
    ref.backward()
    np.testing.assert_allclose(loss.item(), ref.item(), rtol=1e-14)
    np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-14)


@needs_torch
def test_the_autograd_tutorial_runs_with_minigrad_as_torch():
    import minigrad as torch_

    x, y = torch_.ones(5), torch_.zeros(3)
    w, b = torch_.randn(5, 3, requires_grad=True), torch_.randn(3, requires_grad=True)
    z = torch_.matmul(x, w) + b
    loss = torch_.nn.functional.binary_cross_entropy_with_logits(z, y)
    loss.backward()
    tw, tb = torch.tensor(w.detach().numpy(), requires_grad=True), torch.tensor(b.detach().numpy(), requires_grad=True)
    ref = TF.binary_cross_entropy_with_logits(torch.matmul(torch.ones(5), tw) + tb, torch.zeros(3))
    ref.backward()
    np.testing.assert_allclose(loss.item(), ref.item(), rtol=1e-6)
    np.testing.assert_allclose(w.grad.data, tw.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(b.grad.data, tb.grad.numpy(), rtol=1e-6)
