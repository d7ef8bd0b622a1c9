"""fit/evaluate: learning, history, checkpoints each epoch, and resume equal to an
uninterrupted run."""
import json

import numpy as np
import pytest

import minigrad as mg
from minigrad.data import DataLoader, EmbeddedFashionMNIST, TensorDataset
from minigrad.training import Resume, evaluate, fit


def small_problem():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((96, 1, 6, 6)).astype(np.float32)
    y = (x[:, 0, :3].sum((1, 2)) > x[:, 0, 3:].sum((1, 2))).astype(np.int64)
    return TensorDataset(x, y)


def make_model():
    return mg.nn.Sequential(mg.nn.Conv2d(1, 4, 3), mg.nn.ReLU(), mg.nn.Dropout(0.2), mg.nn.Flatten(),
                            mg.nn.Linear(64, 2))


def run(tmp_path, epochs, resume=False, stop_after=None):
    mg.manual_seed(0)
    model = make_model()
    optimizer = mg.optim.Adam(model.parameters(), lr=1e-2)
    loader = DataLoader(small_problem(), batch_size=16, shuffle=True, seed=1)
    history = fit(model, loader, optimizer, epochs if stop_after is None else stop_after,
                  test_loader=DataLoader(small_problem(), 32), checkpoint_dir=tmp_path, progress=False)
    if stop_after is not None:  # a new process: fresh objects, different random state
        mg.manual_seed(123)
        model = make_model()
        optimizer = mg.optim.Adam(model.parameters(), lr=1e-2)
        loader = DataLoader(small_problem(), batch_size=16, shuffle=True, seed=1)
        history = fit(model, loader, optimizer, epochs, test_loader=DataLoader(small_problem(), 32),
                      checkpoint_dir=tmp_path, resume=True, progress=False)
    return model, history


def test_fit_learns_and_records_history(tmp_path):
    model, history = run(tmp_path, epochs=6)
    assert history["epoch"] == [1, 2, 3, 4, 5, 6]
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert history["test_accuracy"][-1] > 0.85
    saved = json.loads((tmp_path / "history.json").read_text())
    assert saved["test_accuracy"] == history["test_accuracy"]
    checkpoint = mg.load(tmp_path / "checkpoint.npz")
    assert checkpoint["epoch"] == 6 and set(checkpoint) >= {"model", "optimizer", "history", "rng"}


def test_resume_gives_the_same_result_as_an_uninterrupted_run(tmp_path):
    straight, history = run(tmp_path / "a", epochs=5)
    resumed, resumed_history = run(tmp_path / "b", epochs=5, stop_after=2)
    for p, q in zip(straight.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    assert resumed_history["train_loss"] == history["train_loss"]
    assert resumed_history["test_accuracy"] == history["test_accuracy"]


def test_resume_without_checkpoint_is_a_clear_error(tmp_path):
    model = make_model()
    with pytest.raises(FileNotFoundError, match="no checkpoint.npz"):
        fit(model, DataLoader(small_problem(), 16), mg.optim.SGD(model.parameters(), lr=0.1), 1,
            checkpoint_dir=tmp_path, resume=True, progress=False)


def test_evaluate_restores_training_mode_and_builds_no_graph():
    model = make_model()
    result = evaluate(model, DataLoader(small_problem(), 32))
    assert model.training and 0 <= result["accuracy"] <= 1 and result["loss"] > 0
    assert all(p.grad is None for p in model.parameters())


def test_progress_bar_shows_running_loss_and_accuracy(capsys):
    mg.manual_seed(0)
    model = make_model()
    fit(model, DataLoader(small_problem(), 16), mg.optim.SGD(model.parameters(), lr=0.1), 1, progress=True)
    captured = capsys.readouterr()
    assert "epoch 1/1" in captured.err and "loss=" in captured.err and "acc=" in captured.err
    assert "epoch 1/1: train loss" in captured.out


@pytest.mark.slow
def test_lenet_on_the_embedded_subset_learns():
    mg.manual_seed(0)
    model = mg.models.LeNet5()
    history = fit(model, DataLoader(EmbeddedFashionMNIST(), 64, shuffle=True, seed=0),
                  mg.optim.Adam(model.parameters(), lr=1e-3), 3,
                  test_loader=DataLoader(EmbeddedFashionMNIST(train=False), 256), progress=False)
    assert history["test_accuracy"][-1] > 0.7


def test_prepare_checkpoint_adds_the_callers_entries(tmp_path):
    mg.manual_seed(0)
    model = make_model()
    fit(model, DataLoader(small_problem(), 32), mg.optim.SGD(model.parameters(), lr=0.1), 1,
        checkpoint_dir=tmp_path / "plain", progress=False)
    fit(model, DataLoader(small_problem(), 32), mg.optim.SGD(model.parameters(), lr=0.1), 1,
        checkpoint_dir=tmp_path / "noted", progress=False,
        prepare_checkpoint=lambda state: {**state, "notes": {"run": 7}})
    assert set(mg.load(tmp_path / "plain" / "checkpoint.npz")) == {"model", "optimizer", "epoch", "history", "rng"}
    noted = mg.load(tmp_path / "noted" / "checkpoint.npz")
    assert noted["notes"] == {"run": 7} and noted["epoch"] == 1
    model = make_model()
    history = fit(model, DataLoader(small_problem(), 32), mg.optim.SGD(model.parameters(), lr=0.1), 2,
                  checkpoint_dir=tmp_path / "noted", resume=True, progress=False)
    assert history["epoch"] == [1, 2]


def one_sgd_epoch(tmp_path):
    mg.manual_seed(0)
    model = make_model()
    fit(model, DataLoader(small_problem(), 32), mg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), 1,
        checkpoint_dir=tmp_path, progress=False)
    return mg.load(tmp_path / "checkpoint.npz")


def test_resume_options_keep_what_they_name(tmp_path):
    saved = one_sgd_epoch(tmp_path)
    model, loader = make_model(), DataLoader(small_problem(), 32)
    optimizer = mg.optim.SGD(model.parameters(), lr=0.5, momentum=0.8)
    mg.manual_seed(5)
    fresh_rng = mg.get_rng_state()
    fit(model, loader, optimizer, 1, checkpoint_dir=tmp_path, progress=False,
        resume=Resume(keep_hyperparameters=("lr",), rng=False))  # nothing left to train: only the loading
    group = optimizer.param_groups[0]
    assert group["lr"] == 0.5 and group["momentum"] == 0.9  # the lr kept, the momentum the checkpoint's
    assert len(optimizer.state_dict()["state"]) == len(saved["optimizer"]["state"]) > 0
    assert mg.get_rng_state() == fresh_rng
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, saved["model"][name])

    adam = mg.optim.Adam(model.parameters(), lr=1e-3)
    fit(model, loader, adam, 1, checkpoint_dir=tmp_path, progress=False, resume=Resume(optimizer=False))
    assert adam.state_dict()["state"] == {} and adam.param_groups[0]["lr"] == 1e-3  # SGD's state not loaded
    assert mg.get_rng_state() == saved["rng"]
