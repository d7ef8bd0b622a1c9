"""The command line against hostile or mistaken input: crafted checkpoints, resume with other
flags, a run folder that is already used, a kill between checkpoint and history, a closed pipe.
Each must end in a one-line error (exit 2) or a clear message, never a traceback, a hang, a
silently wrong run or a blow-up of memory."""
import datetime
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from minigrad import training
from minigrad.cli import main

TINY = ["--limit", "128", "--batch-size", "64", "--quiet", "--optimizer", "sgd"]  # 2 batches per epoch


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """A real one-epoch run of LeNet-5 (SGD); tests copy it and spoil the copy."""
    out = tmp_path_factory.mktemp("trained") / "run"
    assert main(["train", "--epochs", "1", "--out", str(out)] + TINY) == 0
    return out


def spoiled(trained: Path, tmp_path: Path, change) -> Path:
    """A copy of the trained checkpoint changed in place by ``change(state)``, saved with ``mg.save``."""
    state = mg.load(trained / "checkpoint.npz")
    change(state)
    out = tmp_path / "run"
    out.mkdir(exist_ok=True)
    mg.save(state, out / "checkpoint.npz")
    return out / "checkpoint.npz"


def assert_refused(capsys, argv, *words, lines: int = 1):
    """Exit 2 with a message of ``lines`` lines holding every word, and no traceback."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == lines, err
    for word in words:
        assert str(word) in err, (word, err)
    return err


def set_config(key, value):
    def change(state):
        state["config"][key] = value
    return change


# -- evaluate: the config is checked before anything is built -------------------------------------------
@pytest.mark.parametrize("key,value", [
    ("num_classes", 3e7), ("num_classes", 30_000_000), ("num_classes", "10"), ("num_classes", -1),
    ("num_classes", True), ("num_classes", 0), ("model", "vgg"), ("model", ["lenet5"]), ("variant", "huge"),
    ("variant", 3), ("optimizer", "adamw"), ("lr", "0.05"), ("batch_size", 0), ("seed", 1.5),
    ("scheduler", {"name": "warmup"}), ("clip_grad_norm", -1.0), ("dataset", "cifar"),
])
def test_evaluate_refuses_a_bad_config_naming_the_key_and_the_file(trained, tmp_path, capsys, key, value):
    path = spoiled(trained, tmp_path, set_config(key, value))
    assert_refused(capsys, ["evaluate", str(path)], f"config['{key}']", path)


def test_alexnet_with_a_giant_image_size_is_refused(trained, tmp_path, capsys):
    def change(state):
        state["config"].update(model="alexnet", variant="torchvision", image_size=10 ** 6)
    path = spoiled(trained, tmp_path, change)
    assert_refused(capsys, ["evaluate", str(path)], "config['image_size']", path)


def test_a_giant_num_classes_is_refused_within_a_small_memory_limit(trained, tmp_path):
    """Before the check, LeNet-5 with 3e7 classes allocated a 10 GB layer (OOM-killed at 24 GB)."""
    path = spoiled(trained, tmp_path, set_config("num_classes", 30_000_000))
    limit = 2 * 1024 ** 3
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (%d, %d)); "
            "from minigrad.cli import main; sys.exit(main(['evaluate', %r]))" % (limit, limit, str(path)))
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 2, result.stderr
    assert "config['num_classes']" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("change,words", [
    (lambda s: s.clear(), ["no 'model' entry"]),
    (lambda s: s.update(model=list(s["model"].values())), ["'model' is a list"]),
    (lambda s: s["model"].update({"features.0.weight": "a string"}), ["features.0.weight", "str"]),
    (lambda s: s.pop("config"), ["which model"]),
    (lambda s: s.update(config=["lenet5"]), ["which model"]),
])
def test_evaluate_refuses_a_bad_structure(trained, tmp_path, capsys, change, words):
    path = spoiled(trained, tmp_path, change)
    assert_refused(capsys, ["evaluate", str(path)], path, *words)


def test_a_datetime_weight_names_the_key_and_the_file(trained, tmp_path, capsys):
    path = spoiled(trained, tmp_path, lambda s: None)
    with np.load(path) as archive:  # mg.save refuses datetimes, so swap one member of the archive
        members = {name: archive[name] for name in archive.files}
    members["model.features.0.bias"] = np.array([datetime.datetime(2024, 1, 1)] * 6, dtype="datetime64[s]")
    np.savez(path, **members)
    err = assert_refused(capsys, ["evaluate", str(path)], path)
    assert "features.0.bias" in err or "dtype" in err


def test_an_empty_file_is_refused(tmp_path, capsys):
    path = tmp_path / "empty.npz"
    path.write_bytes(b"")
    assert_refused(capsys, ["evaluate", str(path)], path)


# -- --resume: the checkpoint's structure -------------------------------------------------------------
def resume_argv(path: Path, *extra):
    return ["train", "--epochs", "2", "--out", str(path.parent), "--resume", "--limit", "128", "--quiet", *extra]


def set_group(key, value):
    def change(state):
        state["optimizer"]["param_groups"][0][key] = value
    return change


@pytest.mark.parametrize("change,words", [
    (lambda s: s.pop("optimizer"), ["no 'optimizer' entry"]),
    (lambda s: s.pop("rng"), ["no 'rng' entry"]),
    (lambda s: s["optimizer"]["state"].update({999: {"momentum_buffer": np.zeros(3, np.float32)}}), ["parameter 999"]),
    (lambda s: s.update(rng={"bit_generator": "PCG64", "state": "nonsense"}), ["'rng'"]),
    (lambda s: s.update(rng=[1, 2, 3]), ["'rng'"]),
    (set_group("lr", "0.05"), ["param_groups.0.lr", "'0.05'"]),
    (set_group("lr", float("nan")), ["param_groups.0.lr"]),
    (set_group("params", "all"), ["param_groups.0"]),
    (lambda s: s.update(optimizer=[]), ["'optimizer'"]),
    (lambda s: s.update(epoch="1"), ["'epoch'"]),
    (lambda s: s.update(epoch=True), ["'epoch'"]),
    (lambda s: s.update(epoch=5), ["'history'"]),
    (lambda s: s["history"]["train_loss"].append(0.1), ["'history'"]),
    (set_config("num_classes", 3e7), ["config['num_classes']"]),
    (set_config("optimizer", "lbfgs"), ["config['optimizer']"]),
])
def test_resume_refuses_a_bad_structure(trained, tmp_path, capsys, change, words):
    path = spoiled(trained, tmp_path, change)
    before = path.read_bytes()
    assert_refused(capsys, resume_argv(path), path, *words)
    assert path.read_bytes() == before


def test_fit_checks_the_checkpoint_too(trained, tmp_path):
    path = spoiled(trained, tmp_path, set_group("lr", "0.05"))
    model = mg.models.LeNet5()
    with pytest.raises(mg.CheckpointError, match="param_groups.0.lr"):
        training.fit(model, [], mg.optim.SGD(model.parameters(), lr=0.1), 2, checkpoint_dir=path.parent,
                     resume=True, progress=False)


# -- --resume: the command line against the stored settings -------------------------------------------
def copy_run(trained, tmp_path) -> Path:
    out = tmp_path / "run"
    shutil.copytree(trained, out)
    return out


def test_resume_lists_every_difference_from_the_checkpoint(trained, tmp_path, capsys):
    out = copy_run(trained, tmp_path)
    before = (out / "checkpoint.npz").read_bytes()
    assert main(resume_argv(out / "checkpoint.npz", "--optimizer", "adam", "--lr", "0.1", "--batch-size", "32",
                            "--seed", "7")) == 2
    err = capsys.readouterr().err
    for line in ("--optimizer: sgd in the checkpoint, adam", "--lr: 0.05 in the checkpoint, 0.1",
                 "--batch-size: 64 in the checkpoint, 32", "--seed: 0 in the checkpoint, 7", "--override"):
        assert line in err, err
    assert "Traceback" not in err and (out / "checkpoint.npz").read_bytes() == before


def test_resume_cannot_change_the_model_even_with_override(trained, tmp_path, capsys):
    out = copy_run(trained, tmp_path)
    assert_refused(capsys, resume_argv(out / "checkpoint.npz", "--model", "simpleconvnet", "--override"),
                   "--model: lenet5 in the checkpoint, simpleconvnet", lines=2)


def test_resume_takes_the_stored_settings_when_no_flag_is_given(trained, tmp_path):
    out = copy_run(trained, tmp_path)
    assert main(resume_argv(out / "checkpoint.npz")) == 0  # no --optimizer sgd: the checkpoint's
    state = mg.load(out / "checkpoint.npz")
    assert state["epoch"] == 2 and state["config"]["optimizer"] == "sgd" and state["config"]["batch_size"] == 64
    assert state["optimizer"]["param_groups"][0]["lr"] == 0.05 and "momentum" in state["optimizer"]["param_groups"][0]


def test_override_lets_the_command_line_win_and_says_so(trained, tmp_path, capsys):
    out = copy_run(trained, tmp_path)
    assert main(resume_argv(out / "checkpoint.npz", "--optimizer", "adam", "--lr", "0.002", "--override")) == 0
    printed = capsys.readouterr().out
    assert "--override" in printed and "--optimizer (sgd -> adam)" in printed and "--lr (0.05 -> 0.002)" in printed
    state = mg.load(out / "checkpoint.npz")
    group = state["optimizer"]["param_groups"][0]
    assert state["config"]["optimizer"] == "adam" and group["lr"] == 0.002 and "betas" in group  # Adam, not SGD
    assert all("exp_avg" in s for s in state["optimizer"]["state"].values())  # fresh Adam state, one epoch of it


def test_override_of_the_lr_alone_keeps_the_optimizer_state(trained, tmp_path):
    out = copy_run(trained, tmp_path)
    assert main(resume_argv(out / "checkpoint.npz", "--lr", "0.01", "--override")) == 0
    state = mg.load(out / "checkpoint.npz")
    assert state["optimizer"]["param_groups"][0]["lr"] == 0.01 and state["config"]["lr"] == 0.01


def test_resume_with_no_epochs_left_has_nothing_to_train(trained, tmp_path, capsys):
    out = copy_run(trained, tmp_path)
    before = (out / "checkpoint.npz").read_bytes()
    for epochs in ("1", "0"):
        assert main(["train", "--epochs", epochs, "--out", str(out), "--resume", "--quiet"]) == 0
        printed = capsys.readouterr().out
        assert "nothing to train" in printed and "1 epochs" in printed
    assert (out / "checkpoint.npz").read_bytes() == before


def test_an_existing_run_is_not_overwritten_without_force(trained, tmp_path, capsys):
    out = copy_run(trained, tmp_path)
    before = (out / "checkpoint.npz").read_bytes()
    assert_refused(capsys, ["train", "--epochs", "1", "--out", str(out)] + TINY, "--resume", "--force", out)
    assert (out / "checkpoint.npz").read_bytes() == before
    assert main(["train", "--epochs", "1", "--out", str(out), "--force", "--seed", "3"] + TINY) == 0
    assert mg.load(out / "checkpoint.npz")["config"]["seed"] == 3


def test_resume_without_a_checkpoint_is_a_clear_error(tmp_path, capsys):
    assert_refused(capsys, resume_argv(tmp_path / "none" / "checkpoint.npz"), "no checkpoint.npz")


# -- history.json in step with the checkpoint ------------------------------------------------------------
def test_a_kill_between_checkpoint_and_history_is_repaired_on_resume(tmp_path, monkeypatch):
    out = tmp_path / "run"
    real = training._write_json
    calls = []

    def killed_on_the_second(path, value):
        calls.append(len(value["epoch"]))
        if len(calls) == 2:
            raise KeyboardInterrupt  # the process dies after epoch 2's checkpoint, before its history
        real(path, value)

    monkeypatch.setattr(training, "_write_json", killed_on_the_second)
    assert main(["train", "--epochs", "3", "--out", str(out)] + TINY) == 130
    monkeypatch.setattr(training, "_write_json", real)
    assert mg.load(out / "checkpoint.npz")["epoch"] == 2
    assert json.loads((out / "history.json").read_text())["epoch"] == [1]  # stale, and resume does not trust it
    assert not list(out.glob(".history-*"))  # no temporary left behind
    assert main(["train", "--epochs", "3", "--out", str(out), "--resume", "--quiet"]) == 0
    checkpoint = mg.load(out / "checkpoint.npz")
    history = json.loads((out / "history.json").read_text())
    assert history["epoch"] == checkpoint["history"]["epoch"] == [1, 2, 3]
    assert history["train_loss"] == checkpoint["history"]["train_loss"]


def test_history_json_is_rewritten_from_the_checkpoint_on_resume(trained, tmp_path):
    out = copy_run(trained, tmp_path)
    (out / "history.json").write_text('{"epoch": [1, 2, 3, 4]}')  # a history from somewhere else
    assert main(["train", "--epochs", "2", "--out", str(out), "--resume", "--quiet"]) == 0
    assert json.loads((out / "history.json").read_text())["epoch"] == [1, 2]


# -- a closed pipe ----------------------------------------------------------------------------------------------
def test_summary_into_a_closed_pipe_exits_quietly():
    """`minigrad summary lenet5 | head -1`: the reader is gone before minigrad writes."""
    process = subprocess.Popen([sys.executable, "-m", "minigrad", "summary", "vgg16"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # closed before the child writes anything: its first write meets a broken pipe
    err = process.stderr.read().decode()
    assert process.wait(timeout=120) in (0, 141)
    assert "Traceback" not in err and "BrokenPipeError" not in err, err


def test_summary_piped_into_head():
    if shutil.which("head") is None:
        pytest.skip("no head")
    result = subprocess.run(f"{sys.executable} -m minigrad summary lenet5 | head -1", shell=True,
                            capture_output=True, text=True, timeout=120)
    assert result.stdout.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr


def test_mirror_flag_reaches_the_download(tmp_path, capsys):
    # MNIST has no local copy: with a mirror on a closed local port the download must try it and say so
    from minigrad import cli

    code = cli.main(["train", "--dataset", "mnist", "--download", "--data-root", str(tmp_path / "data"),
                     "--mirror", "http://127.0.0.1:1/mnist/", "--out", str(tmp_path / "run"), "--epochs", "1"])
    assert code != 0
    assert "127.0.0.1:1" in capsys.readouterr().err
