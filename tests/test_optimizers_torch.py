"""Every optimizer and option against PyTorch: 15 float64 steps on the same loss agree to
round-off; state dicts have PyTorch's keys, survive mg.save/mg.load and resume bit for bit;
per-group options, add_param_group mid-training and maximize behave as in PyTorch."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import optim
from helpers import needs_torch

STEPS = 15
SHAPES = [(6, 5), (5,)]

CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.2, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.005, momentum=0.5, maximize=True, foreach=False)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, amsgrad=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, maximize=True, decoupled_weight_decay=True)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), amsgrad=True, maximize=True, foreach=False, differentiable=False)),
    ("AdamW", dict()),
    ("AdamW", dict(lr=0.05, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.05, maximize=True, capturable=False, fused=None)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.05, weight_decay=0.1, betas=(0.8, 0.9))),
    ("Adamax", dict(lr=0.05, weight_decay=0.1, maximize=True, foreach=False)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict()),
    ("RAdam", dict(lr=0.05, weight_decay=0.1, betas=(0.9, 0.9))),  # rho_t > 5 from step 7 on
    ("RAdam", dict(lr=0.05, weight_decay=0.1, betas=(0.9, 0.5), decoupled_weight_decay=True, maximize=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.1, maximize=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, maximize=True)),
]
ALL = sorted({name for name, _ in CASES} | {"Adadelta"})


def case_id(case) -> str:
    name, kwargs = case
    return name + "".join(f"-{k}={v}" for k, v in kwargs.items())


def starts(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for shape in SHAPES]


def loss_of(params, lib):
    """A quadratic bowl plus a quartic term, written once for both libraries."""
    total = 0
    for i, p in enumerate(params):
        total = total + (((p - 0.5 * i) ** 2) * (1.0 + i)).sum() + 0.05 * (p ** 4).sum()
    return total


class Run:
    """One optimizer of one library on float64 copies of ``starts``, stepped on ``loss_of``."""

    def __init__(self, lib: str, name: str, arrays, groups=None, **kwargs) -> None:
        self.lib = lib
        if lib == "torch":
            import torch
            self.params = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
            self.module = torch.optim
        else:
            self.params = [mg.tensor(a.copy(), requires_grad=True) for a in arrays]
            self.module = optim
        self.cls = getattr(self.module, name)
        self.opt = self.cls(groups(self.params) if groups else self.params, **kwargs)

    def step(self, n: int = 1) -> None:
        for _ in range(n):
            self.opt.zero_grad()
            loss_of(self.params, self.lib).backward()
            self.opt.step()

    def arrays(self) -> list[np.ndarray]:
        return [p.detach().numpy().copy() for p in self.params]


def assert_close(ours: list, theirs: list, rtol: float = 1e-10) -> None:
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-12)


def assert_same(ours: list, theirs: list) -> None:
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)


@needs_torch
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_trajectory_matches_torch(case):
    name, kwargs = case
    ours, theirs = Run("mg", name, starts(), **kwargs), Run("torch", name, starts(), **kwargs)
    for _ in range(STEPS):
        ours.step()
        theirs.step()
    assert_close(ours.arrays(), theirs.arrays())


@needs_torch
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_state_dict_has_torchs_layout(case):
    name, kwargs = case
    ours, theirs = Run("mg", name, starts(), **kwargs), Run("torch", name, starts(), **kwargs)
    ours.step(2)
    theirs.step(2)
    mine, reference = ours.opt.state_dict(), theirs.opt.state_dict()
    assert [sorted(g) for g in mine["param_groups"]] == [sorted(g) for g in reference["param_groups"]]
    assert mine["param_groups"][0]["params"] == reference["param_groups"][0]["params"]
    assert sorted(mine["state"]) == sorted(reference["state"])
    for index, state in reference["state"].items():
        assert sorted(mine["state"][index]) == sorted(state)
        for key, value in state.items():
            np.testing.assert_allclose(np.asarray(mine["state"][index][key]), value.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_resume_through_save_and_load_is_bit_identical(case, tmp_path):
    name, kwargs = case
    straight = Run("mg", name, starts(), **kwargs)
    straight.step(STEPS)

    first = Run("mg", name, starts(), **kwargs)
    first.step(STEPS - 5)
    mg.save({"optimizer": first.opt.state_dict(), "params": first.arrays()}, tmp_path / "ckpt.npz")
    checkpoint = mg.load(tmp_path / "ckpt.npz")
    resumed = Run("mg", name, checkpoint["params"], **kwargs)
    resumed.opt.load_state_dict(checkpoint["optimizer"])
    resumed.step(5)
    assert_same(resumed.arrays(), straight.arrays())


def two_groups(params):
    return [{"params": [params[0]], "lr": 0.02}, {"params": [params[1]]}]


@needs_torch
@pytest.mark.parametrize("name", ALL)
def test_per_group_options_match_torch(name):
    ours, theirs = (Run(lib, name, starts(), groups=two_groups, lr=0.07) for lib in ("mg", "torch"))
    ours.step(STEPS)
    theirs.step(STEPS)
    assert [g["lr"] for g in ours.opt.param_groups] == [0.02, 0.07]
    assert_close(ours.arrays(), theirs.arrays())


@needs_torch
@pytest.mark.parametrize("name", ALL)
def test_add_param_group_mid_training_matches_torch(name):
    runs = [Run(lib, name, starts(), groups=lambda ps: [ps[0]], lr=0.05) for lib in ("mg", "torch")]
    for run in runs:
        run.step(5)
        run.opt.add_param_group({"params": run.params[1], "lr": 0.01})
        run.step(STEPS - 5)
    ours, theirs = runs
    assert len(ours.opt.param_groups) == 2 and ours.opt.param_groups[1]["lr"] == 0.01
    assert sorted(ours.opt.param_groups[1]) == sorted(theirs.opt.param_groups[1])
    assert_close(ours.arrays(), theirs.arrays())


@pytest.mark.parametrize("name", ALL)
def test_maximize_is_descent_on_the_negated_gradient(name):
    """maximize=True with gradient g takes exactly the steps of maximize=False with -g."""
    rng = np.random.default_rng(1)
    up = mg.tensor(rng.standard_normal(7), requires_grad=True)
    down = mg.tensor(up.detach().numpy().copy(), requires_grad=True)
    opt_up = getattr(optim, name)([up], maximize=True, weight_decay=0.1)
    opt_down = getattr(optim, name)([down], weight_decay=0.1)
    for _ in range(STEPS):
        g = rng.standard_normal(7)
        up.grad, down.grad = mg.tensor(g), mg.tensor(-g)
        opt_up.step()
        opt_down.step()
    np.testing.assert_array_equal(up.detach().numpy(), down.detach().numpy())
    # and it climbs: a few steps on -|p|^2 from a start moves |p| outwards
    p = mg.tensor(np.array([1.0, -2.0]), requires_grad=True)
    opt = getattr(optim, name)([p], lr=0.1, maximize=True)
    for _ in range(3):
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()
    assert np.all(np.abs(p.detach().numpy()) > [1.0, 2.0])


@needs_torch
def test_nadam_mu_product_follows_the_default_dtype():
    """PyTorch keeps mu_product in float64 when the default dtype is float64."""
    import torch

    previous_mg, previous_torch = mg.get_default_dtype(), torch.get_default_dtype()
    mg.set_default_dtype(mg.float64)
    torch.set_default_dtype(torch.float64)
    try:
        ours, theirs = Run("mg", "NAdam", starts(), lr=0.05), Run("torch", "NAdam", starts(), lr=0.05)
        ours.step(STEPS)
        theirs.step(STEPS)
        assert ours.opt.state[ours.params[0]]["mu_product"] == theirs.opt.state[theirs.params[0]]["mu_product"].item()
        assert_close(ours.arrays(), theirs.arrays())
    finally:
        mg.set_default_dtype(previous_mg)
        torch.set_default_dtype(previous_torch)


@needs_torch
def test_adamw_recipe_on_a_linear_model_matches_torch():
    import torch

    mg.manual_seed(0)
    model = mg.nn.Linear(4, 3).double()
    reference = torch.nn.Linear(4, 3).double()
    with torch.no_grad():
        for ours, theirs in zip(model.parameters(), reference.parameters()):
            theirs.copy_(torch.tensor(ours.detach().numpy()))
    opt = optim.AdamW(model.parameters(), lr=0.01)
    topt = torch.optim.AdamW(reference.parameters(), lr=0.01)
    rng = np.random.default_rng(2)
    for _ in range(STEPS):
        x, y = rng.standard_normal((8, 4)), rng.standard_normal((8, 3))
        opt.zero_grad()
        mg.nn.functional.mse_loss(model(mg.tensor(x)), mg.tensor(y)).backward()
        opt.step()
        topt.zero_grad()
        torch.nn.functional.mse_loss(reference(torch.tensor(x)), torch.tensor(y)).backward()
        topt.step()
    for ours, theirs in zip(model.parameters(), reference.parameters()):
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["AdamW", "Adamax", "NAdam", "RAdam"])
def test_new_optimizers_keep_float32_and_leave_the_gradient(name):
    model = mg.nn.Linear(3, 2)
    opt = getattr(optim, name)(model.parameters(), weight_decay=0.1)
    model(mg.randn(4, 3)).sum().backward()
    grads = [p.grad.detach().numpy().copy() for p in model.parameters()]
    opt.step()
    opt.step()
    assert all(p.dtype == mg.float32 for p in model.parameters())
    assert all(v.dtype == mg.float32 for s in opt.state.values() for v in s.values() if isinstance(v, np.ndarray))
    for p, g in zip(model.parameters(), grads):
        np.testing.assert_array_equal(p.grad.detach().numpy(), g)


@pytest.mark.parametrize("name,kwargs", [("AdamW", dict(amsgrad=True)), ("Adamax", {}), ("NAdam", dict(weight_decay=0.1)),
                                         ("RAdam", dict(maximize=True)), ("SGD", dict(momentum=0.9, maximize=True))])
def test_update_allocates_no_parameter_sized_temporary(name, kwargs):
    import tracemalloc

    p = mg.tensor(np.zeros(2_000_000), requires_grad=True)
    p.grad = mg.tensor(np.ones(2_000_000))
    opt = getattr(optim, name)([p], **kwargs)
    opt.step()  # allocates the state once
    tracemalloc.start()
    opt.step()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 0.1 * p.detach().numpy().nbytes


def test_parameter_group_errors_are_torchs():
    a, b = (mg.tensor(np.zeros(2), requires_grad=True) for _ in range(2))
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.Adam([{"params": [a]}, {"params": [a, b]}])
    opt = optim.Adam([a])
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(TypeError, match="param_group must be a dict"):
        opt.add_param_group([b])
    with pytest.raises(TypeError, match="ordered collections"):
        opt.add_param_group({"params": {b}})
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        optim.SGD([np.zeros(2)])
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        optim.SGD(a)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.AdamW([])
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([a * 2])
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([b, b])
    with pytest.raises(ValueError, match="NAdam: invalid learning rate: -1"):
        optim.NAdam([b], lr=-1.0)
    with pytest.raises(ValueError, match="RAdam: invalid beta parameter at index 1"):
        optim.RAdam([b], betas=(0.9, 1.0))


def _threads_of_each_step(monkeypatch) -> list:
    """Record how many threads each optimizer step's ``parallel_for`` uses."""
    from minigrad.optim import optimizer
    from minigrad.threads import PARALLEL_ELEMENTS

    used = []
    original = optimizer.parallel_for

    def recording(function, count, elements):
        used.append(min(mg.get_num_threads(), count, elements // PARALLEL_ELEMENTS))
        original(function, count, elements)

    monkeypatch.setattr(optimizer, "parallel_for", recording)
    return used


def _on_two_threads(run):
    before = mg.get_num_threads()
    mg.set_num_threads(2)
    try:
        run()
    finally:
        mg.set_num_threads(before)


KWARGS = {"SGD": dict(momentum=0.9, weight_decay=0.01)}


@needs_torch
@pytest.mark.parametrize("name", ALL)
def test_large_and_small_parameters_on_two_threads_match_torch(name, monkeypatch):
    # a step shares the blocks of all its parameters between the threads at once: two large
    # parameters and a tiny one, in two groups, the third joining after two steps (so that
    # per-parameter values such as step counts differ between parameters of one step)
    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal((1200, 1000)), rng.standard_normal(5), rng.standard_normal(300_001)]
    used = _threads_of_each_step(monkeypatch)
    runs = [Run(lib, name, arrays, groups=lambda ps: [{"params": ps[:2], "lr": 0.02}], lr=0.05,
                **KWARGS.get(name, {})) for lib in ("mg", "torch")]

    def steps():
        for run in runs:
            run.step(2)
            run.opt.add_param_group({"params": run.params[2]})
            run.step(3)

    _on_two_threads(steps)
    assert used == [2] * 5  # every step of ours ran on both threads
    ours, theirs = runs
    assert_close(ours.arrays(), theirs.arrays())


@needs_torch
@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_a_parameter_listed_twice_is_updated_twice_in_turn_as_in_torch(name, monkeypatch):
    # PyTorch warns and updates it twice; its two updates must not run at once on two threads
    rng = np.random.default_rng(6)
    arrays = [rng.standard_normal((1200, 1000)), rng.standard_normal(7)]
    used = _threads_of_each_step(monkeypatch)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        runs = [Run(lib, name, arrays, groups=lambda ps: [ps[0], ps[1], ps[0]], lr=0.01, **KWARGS.get(name, {}))
                for lib in ("mg", "torch")]
    _on_two_threads(lambda: [run.step(3) for run in runs])
    assert max(used) == 2
    ours, theirs = runs
    assert_close(ours.arrays(), theirs.arrays())


@pytest.mark.parametrize("name", ALL)
def test_a_step_that_fails_changes_no_parameter_and_no_state(name):
    rng = np.random.default_rng(7)
    params = [mg.tensor(rng.standard_normal((4, 3)), requires_grad=True) for _ in range(3)]
    params[1]._data = np.asfortranarray(params[1]._data)  # a parameter the update cannot walk in place
    opt = getattr(optim, name)(params, lr=0.1, **KWARGS.get(name, {}))
    for p in params:
        p.grad = mg.tensor(rng.standard_normal((4, 3)))
    before = [p.detach().numpy().copy() for p in params]
    state_before = {id(p): {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s.items()}
                    for p, s in opt.state.items()}
    with pytest.raises(RuntimeError, match="C-contiguous"):
        opt.step()
    for p, b in zip(params, before):
        np.testing.assert_array_equal(p.detach().numpy(), b)
    assert {id(p): set(s) for p, s in opt.state.items()} == {k: set(v) for k, v in state_before.items()}
    for p, s in opt.state.items():
        for key, value in s.items():
            np.testing.assert_array_equal(value, state_before[id(p)][key])
