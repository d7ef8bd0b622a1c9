"""Optimizers against hand-computed updates, against PyTorch when installed, state dicts and
resume, no graph, no parameter-sized temporaries."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import optim
from helpers import needs_torch

R = np.random.default_rng(4)


def param(values):
    return mg.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def run(optimizer_cls, kwargs, grads, start):
    p = param(start)
    opt = optimizer_cls([p], **kwargs)
    for g in grads:
        p.grad = mg.tensor(np.asarray(g, dtype=np.float64))
        opt.step()
    return p.data


def test_sgd_by_hand():
    assert run(optim.SGD, dict(lr=0.1), [[1.0, -2.0]], [1.0, 1.0]).tolist() == [0.9, 1.2]
    # momentum 0.9: buf = g1, then 0.9 * buf + g2
    got = run(optim.SGD, dict(lr=0.1, momentum=0.9), [[1.0], [1.0]], [0.0])
    assert got.tolist() == pytest.approx([-(0.1 * 1.0) - 0.1 * 1.9])
    got = run(optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.5), [[1.0], [1.0]], [0.0])
    assert got.tolist() == pytest.approx([-0.1 - 0.1 * (0.9 + 0.5)])
    got = run(optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True), [[1.0]], [0.0])
    assert got.tolist() == pytest.approx([-0.1 * (1 + 0.9 * 1.0)])
    got = run(optim.SGD, dict(lr=0.1, weight_decay=0.5), [[0.0]], [2.0])
    assert got.tolist() == pytest.approx([2.0 - 0.1 * 0.5 * 2.0])


def test_adam_by_hand():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    g = np.array([0.5, -2.0])
    got = run(optim.Adam, dict(lr=lr), [g, g], [1.0, 1.0])
    m1, v1 = (1 - b1) * g, (1 - b2) * g * g
    p1 = 1 - lr / (1 - b1) * m1 / (np.sqrt(v1) / np.sqrt(1 - b2) + eps)
    m2, v2 = b1 * m1 + (1 - b1) * g, b2 * v1 + (1 - b2) * g * g
    p2 = p1 - lr / (1 - b1 ** 2) * m2 / (np.sqrt(v2) / np.sqrt(1 - b2 ** 2) + eps)
    np.testing.assert_allclose(got, p2, rtol=1e-14)


def test_adagrad_and_rmsprop_by_hand():
    g = np.array([0.5, -2.0])
    got = run(optim.Adagrad, dict(lr=0.1), [g, g], [0.0, 0.0])
    expected = -0.1 * g / (np.sqrt(g * g) + 1e-10) - 0.1 * g / (np.sqrt(2 * g * g) + 1e-10)
    np.testing.assert_allclose(got, expected, rtol=1e-14)
    got = run(optim.RMSprop, dict(lr=0.01, alpha=0.9), [g], [0.0, 0.0])
    np.testing.assert_allclose(got, -0.01 * g / (np.sqrt(0.1 * g * g) + 1e-8), rtol=1e-14)


def test_step_skips_parameters_without_grad_and_records_no_graph():
    a, b = param([1.0]), param([2.0])
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = mg.tensor(np.array([1.0]))
    opt.step()
    assert b.data.tolist() == [2.0] and a.data[0] < 1.0
    assert a.grad_fn is None and a.is_leaf and b not in opt.state


def test_param_groups_have_their_own_hyperparameters():
    a, b = param([1.0]), param([1.0])
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1)
    a.grad = b.grad = mg.tensor(np.array([1.0]))
    opt.step()
    assert a.data.tolist() == [0.9] and b.data.tolist() == [0.0]
    opt.zero_grad()
    assert a.grad is None and b.grad is None
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [a]}, {"params": [a]}], lr=0.1)


def test_large_parameters_are_updated_across_blocks():
    start = R.standard_normal(100_003)
    g = R.standard_normal(100_003)
    got = run(optim.SGD, dict(lr=0.5, momentum=0.9, weight_decay=0.1), [g, g], start)
    d = g + 0.1 * start
    p1 = start - 0.5 * d
    buf = 0.9 * d + (g + 0.1 * p1)
    np.testing.assert_allclose(got, p1 - 0.5 * buf, rtol=1e-13)


OPTIMIZERS = [
    (optim.SGD, dict(lr=0.05, momentum=0.9, weight_decay=1e-3)),
    (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
    (optim.Adam, dict(lr=1e-2, weight_decay=1e-3)),
    (optim.Adagrad, dict(lr=0.1)),
    (optim.RMSprop, dict(lr=1e-2, momentum=0.5)),
]


def _train(model, opt, steps, seed):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        x = mg.tensor(rng.standard_normal((4, 3)))
        y = mg.tensor(rng.integers(0, 2, 4))
        opt.zero_grad()
        mg.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()


@pytest.mark.parametrize("cls,kwargs", OPTIMIZERS, ids=lambda v: getattr(v, "__name__", str(v)))
def test_resume_from_state_dict_is_bit_identical(cls, kwargs, tmp_path):
    def make():
        mg.manual_seed(0)
        model = mg.nn.Sequential(mg.nn.Linear(3, 5), mg.nn.ReLU(), mg.nn.Linear(5, 2)).double()
        return model, cls(model.parameters(), **kwargs)

    straight, straight_opt = make()
    _train(straight, straight_opt, 6, seed=1)
    _train(straight, straight_opt, 6, seed=2)

    first, first_opt = make()
    _train(first, first_opt, 6, seed=1)
    mg.save({"model": first.state_dict(), "optimizer": first_opt.state_dict()}, tmp_path / "ckpt.npz")
    resumed, resumed_opt = make()
    checkpoint = mg.load(tmp_path / "ckpt.npz")
    resumed.load_state_dict(checkpoint["model"])
    resumed_opt.load_state_dict(checkpoint["optimizer"])
    _train(resumed, resumed_opt, 6, seed=2)
    for p, q in zip(straight.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(p.data, q.data)


def test_step_lr():
    p = param([0.0])
    opt = optim.SGD([p], lr=1.0)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    lrs = []
    for _ in range(5):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    assert lrs == [1.0, 0.5, 0.5, 0.25, 0.25]
    state = sched.state_dict()
    other = optim.lr_scheduler.StepLR(optim.SGD([param([0.0])], lr=1.0), step_size=2, gamma=0.5)
    other.load_state_dict(state)
    assert other.last_epoch == 5


@needs_torch
@pytest.mark.parametrize("cls,kwargs", OPTIMIZERS + [(optim.RMSprop, dict(lr=1e-2, centered=True, weight_decay=0.1)),
                                                      (optim.Adagrad, dict(lr=0.1, lr_decay=0.01, weight_decay=0.1)),
                                                      (optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.3))],
                         ids=lambda v: getattr(v, "__name__", str(v)))
def test_trajectory_matches_pytorch(cls, kwargs):
    import torch

    start = R.standard_normal((40, 7))
    ours = param(start)
    theirs = torch.tensor(start, requires_grad=True)
    opt = cls([ours], **kwargs)
    topt = getattr(torch.optim, cls.__name__)([theirs], **kwargs)
    for _ in range(25):
        g = R.standard_normal(start.shape)
        ours.grad, theirs.grad = mg.tensor(g), torch.tensor(g)
        opt.step()
        topt.step()
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("cls,kwargs", OPTIMIZERS + [(optim.RMSprop, dict(lr=1e-2, centered=True)),
                                                      (optim.SGD, dict(lr=0.1))],
                         ids=lambda v: getattr(v, "__name__", str(v)))
def test_step_leaves_the_gradient_unchanged(cls, kwargs):
    p = param(R.standard_normal(100_000))
    g = R.standard_normal(100_000)
    p.grad = mg.tensor(g.copy())
    opt = cls([p], **kwargs)
    opt.step()
    opt.step()
    np.testing.assert_array_equal(p.grad.data, g)


def test_float32_updates_stay_float32():
    model = mg.nn.Linear(3, 2)
    for cls, kwargs in OPTIMIZERS:
        opt = cls(model.parameters(), **kwargs)
        model(mg.randn(4, 3)).sum().backward()
        opt.step()
        assert all(p.dtype == mg.float32 for p in model.parameters())
        assert all(v.dtype == mg.float32 for s in opt.state.values() for v in s.values() if isinstance(v, np.ndarray))


def test_update_allocates_no_parameter_sized_temporary():
    import tracemalloc

    p = param(np.zeros(2_000_000))
    p.grad = mg.tensor(np.ones(2_000_000))
    opt = optim.Adam([p], lr=1e-3)
    opt.step()  # allocates the state once
    tracemalloc.start()
    opt.step()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 0.1 * p.detach().numpy().nbytes
