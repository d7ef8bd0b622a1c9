"""nn.utils: gradient clipping and parameter vectors against PyTorch and by hand, and a training
recipe (AdamW + CosineAnnealingLR + clip_grad_norm_) that follows PyTorch's trajectory."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from helpers import assert_close, needs_torch, rng, to_torch

try:
    import torch
except ImportError:
    torch = None

NORM_TYPES = [2.0, 1.0, float("inf"), 0.5, 3, 0, float("-inf")]


def params_with_grads(lib, dtype=np.float64, scale=1.0, seed=0):
    """Three parameters, the middle one without a gradient."""
    r = rng(seed)
    shapes = [(3, 4), (5,), (2, 2, 2)]
    params = []
    for i, shape in enumerate(shapes):
        p = lib.tensor(r.standard_normal(shape).astype(dtype), requires_grad=True)
        if i != 1:
            p.grad = lib.tensor((scale * r.standard_normal(shape)).astype(dtype))
        params.append(p)
    return params


def grads_of(params):
    return [None if p.grad is None else np.array(p.grad.detach().numpy() if hasattr(p.grad, "detach") else p.grad.numpy())
            for p in params]


@needs_torch
@pytest.mark.parametrize("norm_type", NORM_TYPES)
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-12), (np.float32, 1e-6)])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, dtype, rtol):
    ours, theirs = params_with_grads(mg, dtype), params_with_grads(torch, dtype)
    got = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    want = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(got, mg.Tensor) and got.shape == () and str(got.dtype) == str(want.dtype).removeprefix("torch.")
    assert_close(got, want, rtol=rtol, atol=0)
    for g, w in zip(grads_of(ours), grads_of(theirs)):
        assert (g is None) == (w is None)
        if g is not None:
            assert g.dtype == w.dtype
            assert_close(g, w, rtol=rtol, atol=0)


def test_clip_grad_norm_by_hand():
    w = mg.zeros(2, requires_grad=True)
    w.grad = mg.tensor([3.0, 4.0], dtype=mg.float64)
    version = w.grad._version
    norm = nn.utils.clip_grad_norm_(w, max_norm=1.0)  # a single Tensor works too
    assert norm.item() == 5.0
    np.testing.assert_allclose(w.grad.numpy(), [3.0 / (5.0 + 1e-6), 4.0 / (5.0 + 1e-6)], rtol=1e-15)
    assert w.grad._version > version, "the gradient changed in place"
    w.grad = mg.tensor([3.0, -4.0])
    assert nn.utils.clip_grad_norm_([w], 10.0, norm_type="inf").item() == 4.0
    assert w.grad.tolist() == [3.0, -4.0], "below max_norm the coefficient is clamped to 1"
    assert nn.utils.clip_grad_norm_([w], 10.0, norm_type=1).item() == 7.0
    assert nn.utils.clip_grad_norm_([mg.zeros(1, requires_grad=True)], 1.0).tolist() == 0.0  # no gradients
    with pytest.warns(UserWarning, match="empty generator"):
        nn.utils.clip_grad_norm_((p for p in []), 1.0)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_nonfinite_norm_raises_when_asked(bad):
    w = mg.zeros(2, requires_grad=True)
    w.grad = mg.tensor([1.0, bad])
    with pytest.raises(RuntimeError, match=r"The total norm of order 2.0 for gradients from `parameters` is "
                                           r"non-finite, so it cannot be clipped"):
        nn.utils.clip_grad_norm_([w], 1.0, error_if_nonfinite=True)
    assert w.grad.tolist()[0] == 1.0, "nothing was scaled"
    assert not np.isfinite(nn.utils.clip_grad_norm_([w], 1.0).item())


@needs_torch
def test_nonfinite_message_is_torchs():
    w = torch.zeros(2, requires_grad=True)
    w.grad = torch.tensor([1.0, float("inf")])
    ours = mg.zeros(2, requires_grad=True)
    ours.grad = mg.tensor([1.0, float("inf")])
    with pytest.raises(RuntimeError) as theirs_error:
        torch.nn.utils.clip_grad_norm_([w], 1.0, norm_type=3, error_if_nonfinite=True)
    with pytest.raises(RuntimeError) as ours_error:
        nn.utils.clip_grad_norm_([ours], 1.0, norm_type=3, error_if_nonfinite=True)
    assert str(ours_error.value) == str(theirs_error.value)


@needs_torch
def test_clip_grad_value_matches_torch():
    ours, theirs = params_with_grads(mg, scale=2.0), params_with_grads(torch, scale=2.0)
    assert nn.utils.clip_grad_value_(ours, 1.5) is None
    torch.nn.utils.clip_grad_value_(theirs, 1.5)
    for g, w in zip(grads_of(ours), grads_of(theirs)):
        if g is not None:
            np.testing.assert_array_equal(g, w)
    assert max(np.abs(g).max() for g in grads_of(ours) if g is not None) == 1.5


def test_parameters_to_vector_and_back():
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))
    vec = nn.utils.parameters_to_vector(model.parameters())
    expected = np.concatenate([p.detach().numpy().reshape(-1) for p in model.parameters()])
    np.testing.assert_array_equal(vec.detach().numpy(), expected)
    vec.sum().backward()  # differentiable, as torch.cat
    assert all(p.grad.tolist() == np.ones(p.shape).tolist() for p in model.parameters())
    new = mg.arange(len(expected), dtype=mg.float32)
    nn.utils.vector_to_parameters(new, model.parameters())
    np.testing.assert_array_equal(nn.utils.parameters_to_vector(model.parameters()).detach().numpy(), new.numpy())
    assert model[0].weight.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    with pytest.raises(TypeError, match="expected minigrad.Tensor"):
        nn.utils.vector_to_parameters(expected, model.parameters())


# -- a recipe: AdamW, cosine annealing, gradient clipping --------------------------------------------
def _recipe(lib, adamw, weights, data, steps=25):
    """Train a small MLP with AdamW + CosineAnnealingLR(T_max=10) + clip_grad_norm_(1.0);
    return the losses, total norms, learning rates and final weights."""
    functional = lib.nn.functional
    model = lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.Tanh(), lib.nn.Linear(8, 3))
    with lib.no_grad():
        for p, w in zip(model.parameters(), weights):
            p.copy_(lib.tensor(w))
    optimizer = adamw(model.parameters(), lr=0.05, weight_decay=0.1)
    scheduler = lib.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10, eta_min=1e-3)
    x, y = lib.tensor(data[0]), lib.tensor(data[1])
    losses, norms, lrs = [], [], []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = functional.cross_entropy(model(x), y)
        loss.backward()
        norms.append(float(lib.nn.utils.clip_grad_norm_(model.parameters(), 1.0)))
        optimizer.step()
        scheduler.step()
        losses.append(float(loss.item()))
        lrs.append(scheduler.get_last_lr()[0])
    return losses, norms, lrs, [np.array(p.detach().numpy()) for p in model.parameters()]


@needs_torch
def test_adamw_cosine_and_clipping_follow_torch():
    adamw = mg.optim.AdamW
    r = rng(3)
    shapes = [(8, 4), (8,), (3, 8), (3,)]
    weights = [r.standard_normal(s) for s in shapes]  # float64 so that the comparison can be tight
    data = (r.standard_normal((16, 4)), r.integers(0, 3, 16))
    mg.set_default_dtype(mg.float64)  # conftest restores float32
    ours = _recipe(mg, adamw, weights, data)
    theirs_dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        theirs = _recipe(torch, torch.optim.AdamW, weights, data)
    finally:
        torch.set_default_dtype(theirs_dtype)
    for got, want in zip(ours[:3], theirs[:3]):
        np.testing.assert_allclose(got, want, rtol=1e-10)
    assert ours[2] == theirs[2], "the learning rates are bit for bit PyTorch's"
    assert max(ours[1]) > 1.0, "clipping was active"
    for got, want in zip(ours[3], theirs[3]):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)

