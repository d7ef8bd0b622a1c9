"""The minigrad command line."""
import shutil
import subprocess
import sys

import numpy as np
import pytest

import minigrad as mg
from minigrad.cli import main


def test_train_then_evaluate_and_filters(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="the pictures need matplotlib (pip install -e '.[plot]')")
    out = tmp_path / "run"
    assert main(["train", "--epochs", "1", "--limit", "600", "--out", str(out), "--quiet", "--plots"]) == 0
    printed = capsys.readouterr().out
    assert "test accuracy:" in printed
    assert (out / "checkpoint.npz").exists() and (out / "history.json").exists()
    assert (out / "filters.png").read_bytes().startswith(b"\x89PNG") and (out / "curves.png").exists()
    assert main(["train", "--epochs", "2", "--limit", "600", "--out", str(out), "--quiet", "--resume"]) == 0
    assert mg.load(out / "checkpoint.npz")["epoch"] == 2
    assert main(["evaluate", str(out / "checkpoint.npz")]) == 0
    assert "accuracy" in capsys.readouterr().out
    assert main(["filters", str(out / "checkpoint.npz"), "-o", str(tmp_path / "f.png")]) == 0
    assert main(["filters", "--model", "simpleconvnet", "-o", str(tmp_path / "u.png")]) == 0
    assert (tmp_path / "u.png").read_bytes().startswith(b"\x89PNG")


def test_unknown_choices_list_the_valid_ones(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--model", "vgg"])
    assert "choose from 'lenet5', 'alexnet', 'simpleconvnet'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "--dataset", "cifar"])
    assert "choose from 'embedded', 'fashion-mnist', 'mnist'" in capsys.readouterr().err


def test_missing_dataset_and_corrupt_checkpoint_are_clear_errors(tmp_path, capsys, monkeypatch):
    from minigrad.data import mnist

    monkeypatch.setattr(mnist, "CACHE", tmp_path / "cache")
    monkeypatch.chdir(tmp_path)  # the default --out (runs/lenet5) of an earlier `minigrad train` here must not matter
    assert main(["train", "--dataset", "mnist", "--data-root", str(tmp_path / "none"), "--quiet"]) == 2
    assert "minigrad looked in" in capsys.readouterr().err
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a checkpoint")
    assert main(["evaluate", str(bad)]) == 2
    assert "not a minigrad checkpoint" in capsys.readouterr().err
    assert bad.read_bytes() == b"not a checkpoint"


def test_summary_and_gradcheck(capsys):
    assert main(["summary", "lenet5"]) == 0
    assert "Total params: 61,706" in capsys.readouterr().out
    assert main(["summary", "alexnet", "--variant", "torchvision", "--input-size", "3", "100", "100"]) == 0
    assert main(["gradcheck", "--quick"]) == 0
    assert "all below 1e-6" in capsys.readouterr().out


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's `dot` is not installed")
def test_graph_command_renders(tmp_path):
    for model in ("lenet5", "simpleconvnet"):
        assert main(["graph", model, "-o", str(tmp_path / f"{model}.svg"), "--grads"]) == 0
        assert "<svg" in (tmp_path / f"{model}.svg").read_text()
    assert main(["graph", "alexnet", "-o", str(tmp_path / "alexnet.pdf"), "--collapse", "--batch-size", "1"]) == 0
    assert (tmp_path / "alexnet.pdf").read_bytes().startswith(b"%PDF")


def test_graph_command_without_dot_writes_the_source(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["graph", "lenet5", "-o", str(tmp_path / "g.svg")]) == 2
    assert "apt-get install graphviz" in capsys.readouterr().err
    assert (tmp_path / "g.dot").exists()


def test_python_dash_m_minigrad():
    result = subprocess.run([sys.executable, "-m", "minigrad", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "train" in result.stdout and "gradcheck" in result.stdout


# -- learning-rate schedules and gradient clipping ----------------------------------------------------
TINY = ["--limit", "128", "--batch-size", "64", "--quiet", "--optimizer", "sgd"]  # 2 batches per epoch


def test_scheduler_and_clipping_are_stored_and_resume_exactly(tmp_path):
    flags = TINY + ["--scheduler", "step", "--step-size", "1", "--gamma", "0.5", "--clip-grad-norm", "0.5"]
    straight, split = tmp_path / "straight", tmp_path / "split"
    assert main(["train", "--epochs", "2", "--out", str(straight)] + flags) == 0
    assert main(["train", "--epochs", "1", "--out", str(split)] + flags) == 0
    assert main(["train", "--epochs", "2", "--out", str(split), "--resume"] + TINY) == 0  # settings come from the checkpoint
    one, two = mg.load(straight / "checkpoint.npz"), mg.load(split / "checkpoint.npz")
    assert one["config"]["scheduler"] == {"name": "step", "step_size": 1, "gamma": 0.5}
    assert one["config"]["clip_grad_norm"] == two["config"]["clip_grad_norm"] == 0.5
    assert one["scheduler"]["last_epoch"] == two["scheduler"]["last_epoch"] == 2
    assert one["optimizer"]["param_groups"][0]["lr"] == 0.05 * 0.5 ** 2
    assert one["scheduler"] == two["scheduler"]
    for name, value in one["model"].items():
        np.testing.assert_array_equal(value, two["model"][name])


def test_resume_refuses_another_schedule(tmp_path, capsys):
    out = str(tmp_path / "run")
    assert main(["train", "--epochs", "1", "--out", out, "--scheduler", "cosine"] + TINY) == 0
    assert main(["train", "--epochs", "2", "--out", out, "--resume", "--scheduler", "step"] + TINY) == 2
    assert "trained with --scheduler cosine" in capsys.readouterr().err


@pytest.mark.parametrize("scheduler,extra,check", [
    ("cosine", ["--eta-min", "0.001"], lambda s, lr: s["T_max"] == 2 and lr == 0.001),
    ("onecycle", ["--max-lr", "0.1"], lambda s, lr: s["last_epoch"] == 4 and s["total_steps"] == 4),  # per batch
    ("multistep", ["--milestones", "1"], lambda s, lr: lr == pytest.approx(0.005)),
    ("exponential", ["--gamma", "0.5"], lambda s, lr: lr == pytest.approx(0.0125)),
    ("plateau", ["--patience", "0"], lambda s, lr: s["last_epoch"] == 2 and s["patience"] == 0),
    ("none", [], lambda s, lr: s is None and lr == 0.05),
])
def test_each_scheduler_runs(tmp_path, scheduler, extra, check):
    out = tmp_path / scheduler
    assert main(["train", "--epochs", "2", "--out", str(out), "--scheduler", scheduler] + extra + TINY) == 0
    state = mg.load(out / "checkpoint.npz")
    assert state["config"]["scheduler"]["name"] == scheduler
    assert check(state.get("scheduler"), state["optimizer"]["param_groups"][0]["lr"])


def test_scheduler_choices_are_listed(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--scheduler", "warmup"])
    assert "choose from 'none', 'step', 'multistep', 'cosine', 'onecycle', 'exponential', 'plateau'" in capsys.readouterr().err


# -- the pieces the commands are built from -----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["lenet5", "alexnet", "simpleconvnet", "deepconvnet", "resnet18", "resnet34", "vgg11",
                                  "vgg11_bn", "vgg16"])
def test_each_model_gets_28x28_images_in_the_shape_it_takes(name):
    from minigrad.cli import image_transform, input_shape, model_config, parser

    config = model_config(parser().parse_args(["summary", name]))
    transform = image_transform(config) or (lambda images: images)
    images = np.random.default_rng(0).random((2, 1, 28, 28)).astype(np.float32)
    assert transform(images).shape == (2, *input_shape(config))
    assert config["image_size"] == input_shape(config)[-1]


@pytest.mark.parametrize("argv,shape", [
    (["lenet5", "--variant", "classic"], (1, 28, 28)), (["deepconvnet"], (1, 28, 28)),
    (["resnet18", "--image-size", "40"], (3, 40, 40)),
    (["alexnet", "--variant", "torchvision", "--image-size", "63"], (3, 63, 63)),
])
def test_the_models_are_built_for_their_input(argv, shape):
    from minigrad.cli import build_model, input_shape, model_config, parser

    config = model_config(parser().parse_args(["summary", *argv]))
    assert input_shape(config) == shape
    mg.manual_seed(0)
    model = build_model(config)
    model.eval()
    assert model(mg.zeros(2, *shape)).shape == (2, 10)


def test_limit_takes_the_first_images_and_leaves_the_data_set_alone():
    from minigrad.cli_build import limited
    from minigrad.data import EmbeddedFashionMNIST

    test_set = EmbeddedFashionMNIST(train=False)
    first = limited(test_set, 100)
    assert len(first) == 100 and len(test_set) == 1000 and test_set.data.shape[0] == 1000
    np.testing.assert_array_equal(first[99][0], test_set[99][0])
    assert len(limited(test_set, 5000)) == 1000 and len(limited(test_set, -10)) == 990  # as test_set.data[:count]


def test_filters_come_from_the_first_convolution():
    from minigrad.cli_build import first_conv

    model = mg.models.resnet18(num_classes=10)
    assert first_conv(model) is model.conv1  # ResNet has no .features
    with pytest.raises(ValueError, match="Sequential has no Conv2d layer"):
        first_conv(mg.nn.Sequential(mg.nn.Flatten(), mg.nn.Linear(4, 2)))
