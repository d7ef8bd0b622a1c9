"""Learning-rate schedulers: the lr (and momentum) of every step against PyTorch's, state dicts
through mg.save/mg.load that resume exactly, ReduceLROnPlateau on a scripted loss sequence."""
import math

import numpy as np
import pytest

import minigrad as mg
from helpers import assert_close, needs_torch

try:
    import torch
except ImportError:
    torch = None

STEPS = 30

#: name -> (optimizer kind, scheduler factory taking (lr_scheduler module, optimizer))
CASES = {
    "step": ("sgd", lambda S, o: S.StepLR(o, step_size=3, gamma=0.5)),
    "multistep": ("sgd", lambda S, o: S.MultiStepLR(o, milestones=[3, 7, 7, 12], gamma=0.3)),
    "exponential": ("sgd", lambda S, o: S.ExponentialLR(o, gamma=0.9)),
    "cosine": ("sgd", lambda S, o: S.CosineAnnealingLR(o, T_max=7, eta_min=0.001)),
    "cosine-no-floor": ("sgd", lambda S, o: S.CosineAnnealingLR(o, T_max=10)),
    "warm-restarts": ("sgd", lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2, eta_min=0.01)),
    "warm-restarts-fixed": ("sgd", lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=5)),
    "lambda": ("sgd", lambda S, o: S.LambdaLR(o, lambda epoch: 0.95 ** epoch)),
    "lambda-per-group": ("sgd", lambda S, o: S.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.5 + 0.1 * e])),
    "multiplicative": ("sgd", lambda S, o: S.MultiplicativeLR(o, lambda epoch: 0.9 if epoch % 2 else 0.97)),
    "linear-warmup": ("sgd", lambda S, o: S.LinearLR(o, start_factor=0.25, total_iters=8)),
    "linear-decay": ("sgd", lambda S, o: S.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=10)),
    "onecycle": ("sgd", lambda S, o: S.OneCycleLR(o, max_lr=[0.1, 0.05], total_steps=STEPS)),
    "onecycle-linear": ("sgd", lambda S, o: S.OneCycleLR(o, max_lr=0.1, epochs=5, steps_per_epoch=6,
                                                         anneal_strategy="linear", pct_start=0.25)),
    "onecycle-three-phase": ("sgd", lambda S, o: S.OneCycleLR(o, max_lr=0.2, total_steps=STEPS, three_phase=True,
                                                              div_factor=10.0, final_div_factor=100.0)),
    "onecycle-adam": ("adam", lambda S, o: S.OneCycleLR(o, max_lr=0.01, total_steps=STEPS, base_momentum=0.8,
                                                        max_momentum=[0.95, 0.9])),
    "onecycle-no-momentum": ("adam", lambda S, o: S.OneCycleLR(o, max_lr=0.01, total_steps=STEPS,
                                                               cycle_momentum=False)),
    "sequential": ("sgd", lambda S, o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=5),
                                                          S.CosineAnnealingLR(o, T_max=10, eta_min=1e-4),
                                                          S.StepLR(o, step_size=2, gamma=0.7)], milestones=[5, 15])),
    "chained": ("sgd", lambda S, o: S.ChainedScheduler([S.ExponentialLR(o, gamma=0.95),
                                                        S.StepLR(o, step_size=4, gamma=0.5)])),
    "chained-of-sequential": ("sgd", lambda S, o: S.ChainedScheduler([
        S.SequentialLR(o, [S.LinearLR(o, start_factor=0.5, total_iters=3), S.MultiStepLR(o, milestones=[2, 5])],
                       milestones=[4]),
        S.ExponentialLR(o, gamma=0.9)])),
}


def make_optimizer(lib, kind: str):
    """Two parameter groups with different learning rates (no gradients: steps change nothing)."""
    optim = lib.optim
    params = [lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)]
    groups = [{"params": [params[0]]}, {"params": [params[1]], "lr": 0.01}]
    if kind == "adam":
        return optim.Adam(groups, lr=0.002, betas=(0.9, 0.99))
    return optim.SGD(groups, lr=0.1, momentum=0.9)


def momentum_of(group) -> float | None:
    return group["betas"][0] if "betas" in group else group.get("momentum")


def trajectory(optimizer, scheduler, steps: int = STEPS) -> list:
    """The lr and momentum of every group after each epoch."""
    values = []
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        values.append([(lr, group["lr"], momentum_of(group))
                       for lr, group in zip(scheduler.get_last_lr(), optimizer.param_groups)])
    return values


def both(name):
    kind, factory = CASES[name]
    ours_opt, theirs_opt = make_optimizer(mg, kind), make_optimizer(torch, kind)
    return (ours_opt, factory(mg.optim.lr_scheduler, ours_opt)), (theirs_opt, factory(torch.optim.lr_scheduler, theirs_opt))


def assert_same_trajectory(ours, theirs) -> None:
    assert np.shape(ours) == np.shape(theirs)
    assert_close(np.array(ours, dtype=float), np.array(theirs, dtype=float), rtol=1e-12, atol=0)


@needs_torch
@pytest.mark.parametrize("name", CASES)
def test_trajectory_matches_torch(name):
    (ours_opt, ours), (theirs_opt, theirs) = both(name)
    assert ours.get_last_lr() == theirs.get_last_lr()
    assert [g["initial_lr"] for g in ours_opt.param_groups] == [g["initial_lr"] for g in theirs_opt.param_groups]
    assert_same_trajectory(trajectory(ours_opt, ours), trajectory(theirs_opt, theirs))
    assert getattr(ours, "last_epoch", None) == getattr(theirs, "last_epoch", None)
    assert set(ours.state_dict()) == set(theirs.state_dict()), "PyTorch's state_dict layout"


@needs_torch
def test_cosine_matches_torch_bit_for_bit_far_past_t_max():
    (ours_opt, ours), (theirs_opt, theirs) = both("cosine")
    got, want = trajectory(ours_opt, ours, 200), trajectory(theirs_opt, theirs, 200)
    assert got == want


@needs_torch
@pytest.mark.parametrize("T_mult", [1, 2, 3])
def test_warm_restarts_with_fractional_epochs(T_mult):
    ours_opt, theirs_opt = make_optimizer(mg, "sgd"), make_optimizer(torch, "sgd")
    ours = mg.optim.lr_scheduler.CosineAnnealingWarmRestarts(ours_opt, T_0=3, T_mult=T_mult, eta_min=1e-3)
    theirs = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(theirs_opt, T_0=3, T_mult=T_mult, eta_min=1e-3)
    batches = 7
    for epoch in range(12):
        for batch in range(batches):
            ours.step(epoch + batch / batches)
            theirs.step(epoch + batch / batches)
            assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12, abs=0)
            assert (ours.T_cur, ours.T_i, ours.last_epoch) == pytest.approx((theirs.T_cur, theirs.T_i, theirs.last_epoch))


@needs_torch
@pytest.mark.parametrize("name", ["step", "multistep", "exponential", "cosine", "linear-warmup"])
def test_step_with_an_epoch_uses_the_closed_form(name):
    (ours_opt, ours), (theirs_opt, theirs) = both(name)
    for epoch in (4, 9, 2, 13, 13, 30):
        with pytest.warns(UserWarning, match="epoch parameter"):
            ours.step(epoch)
        with pytest.warns(UserWarning):
            theirs.step(epoch)
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12, abs=0)


@pytest.mark.parametrize("name", CASES)
def test_state_dict_through_save_and_load_resumes_exactly(name, tmp_path):
    kind, factory = CASES[name]
    S = mg.optim.lr_scheduler
    straight_opt = make_optimizer(mg, kind)
    straight = trajectory(straight_opt, factory(S, straight_opt))

    first_opt = make_optimizer(mg, kind)
    first = factory(S, first_opt)
    before = trajectory(first_opt, first, 11)
    mg.save({"optimizer": first_opt.state_dict(), "scheduler": first.state_dict()}, tmp_path / "ckpt.npz")
    checkpoint = mg.load(tmp_path / "ckpt.npz")
    resumed_opt = make_optimizer(mg, kind)
    resumed = factory(S, resumed_opt)  # made before loading, as PyTorch advises
    resumed_opt.load_state_dict(checkpoint["optimizer"])
    resumed.load_state_dict(checkpoint["scheduler"])
    after = trajectory(resumed_opt, resumed, STEPS - 11)
    assert before + after == straight


def test_lambda_lr_saves_no_functions_but_a_callable_objects_attributes():
    class Decay:
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, epoch):
            return self.rate ** epoch

    opt = make_optimizer(mg, "sgd")
    sched = mg.optim.lr_scheduler.LambdaLR(opt, [lambda e: 1.0, Decay(0.5)])
    state = sched.state_dict()
    assert state["lr_lambdas"] == [None, {"rate": 0.5}] and "optimizer" not in state
    other = mg.optim.lr_scheduler.LambdaLR(make_optimizer(mg, "sgd"), [lambda e: 1.0, Decay(0.9)])
    other.load_state_dict(state)
    assert other.lr_lambdas[1].rate == 0.5


def test_base_class_and_alias():
    S = mg.optim.lr_scheduler
    assert issubclass(S._LRScheduler, S.LRScheduler) and issubclass(S.StepLR, S.LRScheduler)
    opt = make_optimizer(mg, "sgd")
    sched = S.ExponentialLR(opt, gamma=0.5)
    assert sched.last_epoch == 0 and sched.base_lrs == [0.1, 0.01] and sched.get_last_lr() == [0.1, 0.01]
    with pytest.warns(UserWarning, match="get_last_lr"):
        sched.get_lr()
    with pytest.raises(KeyError, match="initial_lr"):
        S.StepLR(make_optimizer(mg, "sgd"), step_size=2, last_epoch=3)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        S.StepLR("sgd", step_size=2)
    with pytest.raises(ValueError, match="total_steps"):
        S.OneCycleLR(opt, max_lr=0.1)
    with pytest.raises(ValueError, match="momentum or beta1"):
        S.OneCycleLR(mg.optim.Adagrad([mg.zeros(1, requires_grad=True)]), max_lr=0.1, total_steps=5)


def test_one_cycle_refuses_to_step_past_total_steps():
    opt = make_optimizer(mg, "sgd")
    sched = mg.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=3)
    for _ in range(3):
        sched.step()
    with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of total steps is 3"):
        sched.step()


# -- ReduceLROnPlateau -------------------------------------------------------------------------------
LOSSES = [1.0, 0.9, 0.9, 0.95, 0.9, 0.91, 0.92, 0.5, 0.5, 0.4999, 0.5, 0.6, 0.7, 0.8, 0.3, 0.3, 0.3, 0.3,
          0.3, 0.3, 0.3, 0.3, 0.29, 0.3, 0.3, 0.3, float("nan"), 0.3, 0.3, 0.3]
PLATEAU_CASES = [
    dict(),
    dict(patience=2),
    dict(patience=1, factor=0.5, cooldown=2),
    dict(patience=0, factor=0.5, min_lr=[0.02, 0.004]),
    dict(patience=1, threshold=0.05, threshold_mode="abs"),
    dict(patience=1, threshold=0.01, factor=0.3, min_lr=1e-3),
    dict(mode="max", patience=1, factor=0.5),
    dict(mode="max", patience=0, threshold=0.1, threshold_mode="abs", cooldown=1),
    dict(patience=0, factor=0.9, eps=0.05),
]


@needs_torch
@pytest.mark.parametrize("kwargs", PLATEAU_CASES)
def test_reduce_on_plateau_matches_torch(kwargs, tmp_path):
    ours_opt, theirs_opt = make_optimizer(mg, "sgd"), make_optimizer(torch, "sgd")
    ours = mg.optim.lr_scheduler.ReduceLROnPlateau(ours_opt, **kwargs)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs_opt, **kwargs)
    for i, loss in enumerate(LOSSES):
        if i == 13:  # resume half way through from a saved state
            mg.save(ours.state_dict(), tmp_path / "plateau.npz")
            ours_opt_state = ours_opt.state_dict()
            ours_opt = make_optimizer(mg, "sgd")
            ours_opt.load_state_dict(ours_opt_state)
            ours = mg.optim.lr_scheduler.ReduceLROnPlateau(ours_opt, **kwargs)
            ours.load_state_dict(mg.load(tmp_path / "plateau.npz"))
        ours.step(loss)
        theirs.step(loss)
        assert ours.get_last_lr() == theirs.get_last_lr(), f"after loss {i}"
        assert (ours.best, ours.num_bad_epochs, ours.cooldown_counter, ours.last_epoch) == \
            (theirs.best, theirs.num_bad_epochs, theirs.cooldown_counter, theirs.last_epoch)
    assert set(ours.state_dict()) == set(theirs.state_dict())


def test_reduce_on_plateau_by_hand():
    opt = make_optimizer(mg, "sgd")
    sched = mg.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1, factor=0.5)
    for loss in (1.0, 1.0, 1.0):  # one bad epoch is tolerated, the second reduces
        sched.step(mg.tensor(loss))
    assert sched.get_last_lr() == [0.05, 0.005]
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        mg.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode maximum is unknown!"):
        mg.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="maximum")


def test_sequential_and_chained_refuse_plateau_and_other_optimizers():
    S = mg.optim.lr_scheduler
    opt, other = make_optimizer(mg, "sgd"), make_optimizer(mg, "sgd")
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        S.ChainedScheduler([S.ReduceLROnPlateau(opt)])
    with pytest.raises(ValueError, match="same optimizer"):
        S.SequentialLR(opt, [S.StepLR(opt, 2), S.StepLR(other, 2)], milestones=[3])
    with pytest.raises(ValueError, match="one more than the number of milestone"):
        S.SequentialLR(opt, [S.StepLR(opt, 2)], milestones=[3])
    assert math.isclose(S.ChainedScheduler([S.StepLR(opt, 2)]).get_last_lr()[0], 0.1)
