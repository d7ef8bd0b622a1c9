"""The minigrad command line."""
import shutil
import subprocess
import sys

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
