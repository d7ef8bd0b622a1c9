"""The PyTorch-style programs of examples/pytorch_style/ run (in quick settings) and print what
they should; docs/pytorch.md's generated list of names matches the code."""
import ast
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "pytorch_style"
SCRIPTS = sorted(EXAMPLES.glob("*.py"))
DEBIAN_COPY = Path("/usr/share/datasets/fashion-mnist")
EMBEDDED_NOTE = "using minigrad's embedded subset"
# One BLAS thread: these programs multiply small matrices, and on a busy machine BLAS threads
# waiting for a free core made a run ten times slower (13 s instead of 1.3 s for the quickstart).
ONE_THREAD = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def run(script: str, *args: str, cwd: Path, python: str = sys.executable) -> str:
    """Run a program of examples/pytorch_style/ and return its output; it must exit with 0."""
    path = script if Path(script).is_absolute() else EXAMPLES / script
    result = subprocess.run([python, str(path), *args], cwd=cwd, env=ONE_THREAD, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, f"{Path(path).name} {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def last_number(output: str, label: str) -> float:
    """The number after the last ``label:`` in ``output``."""
    found = re.findall(rf"{re.escape(label)}:?\s*(-?[\d.]+)", output)
    assert found, f"no {label!r} line in the output:\n{output}"
    return float(found[-1])


def numbers(text: str) -> list[float]:
    return [float(n) for n in re.findall(r"-?\d+\.\d+(?:e[-+]?\d+)?", text)]


def test_every_program_reads_as_pytorch():
    """``import minigrad as torch`` and PyTorch's import forms; minigrad is never named otherwise."""
    assert len(SCRIPTS) >= 5
    for script in SCRIPTS:
        tree = ast.parse(script.read_text(encoding="utf-8"))
        imports = [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
        minigrad_imports = [ast.unparse(node) for node in imports
                            if any(alias.name.startswith("minigrad") for alias in getattr(node, "names", []))
                            or (getattr(node, "module", None) or "").startswith("minigrad")]
        assert minigrad_imports[0] == "import minigrad as torch", f"{script.name}: {minigrad_imports}"
        assert not any(" as mg" in line for line in minigrad_imports), script.name
        names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
        assert not names & {"minigrad", "mg"}, f"{script.name} names minigrad outside its imports"


def test_quickstart(tmp_path):
    output = run("fashion_mnist_quickstart.py", "--root", str(tmp_path / "data"), "--limit", "2000",
                 "--epochs", "3", "--batch-size", "32", "--lr", "0.05", cwd=tmp_path)
    assert (EMBEDDED_NOTE in output) != DEBIAN_COPY.is_dir(), output
    if DEBIAN_COPY.is_dir():  # download=True copied Debian's files into torchvision's layout
        assert (tmp_path / "data" / "FashionMNIST" / "raw" / "train-images-idx3-ubyte.gz").is_file()
    assert "Shape of X [N, C, H, W]: (32, 1, 28, 28)" in output
    assert "Using cpu device" in output
    assert re.search(r"loss: \d\.\d{6}  \[   32/ 2000\]", output), output
    assert "Saved PyTorch Model State to model.pth" in output and (tmp_path / "model.pth").is_file()
    assert re.search(r'Predicted: "[^"]+", Actual: "[^"]+"', output), output
    accuracies = re.findall(r"Accuracy: ([\d.]+)%", output)
    assert accuracies[-1] == accuracies[-2], "the reloaded model scores as the trained one"
    assert last_number(output, "test accuracy") > 0.5


def test_cnn(tmp_path):
    output = run("cnn_fashion_mnist.py", "--root", str(tmp_path), "--limit", "1000", "--epochs", "2",
                 "--log-interval", "5", cwd=tmp_path)
    assert (EMBEDDED_NOTE in output) != DEBIAN_COPY.is_dir(), output
    losses = [float(v) for v in re.findall(r"Train Epoch: \d+ \[\d+/1000 \(\d+%\)\]\tLoss: ([\d.]+)", output)]
    assert len(losses) == 8, output
    assert max(losses[-3:]) < 0.7 * losses[0], f"the training loss should fall: {losses}"
    assert "Test set: Average loss:" in output
    assert "next lr 0.0350" in output and "next lr 0.0245" in output, "StepLR multiplies the lr by gamma"
    assert len(re.findall(r"Accuracy for class: .+ is [\d.]+ %", output)) == 10
    assert last_number(output, "test accuracy") > 0.55


def test_cnn_on_the_embedded_subset_with_adam(tmp_path):
    output = run("cnn_fashion_mnist.py", "--embedded", "--limit", "600", "--epochs", "1", "--optimizer", "adam",
                 "--lr", "1e-3", "--save-model", cwd=tmp_path)
    assert EMBEDDED_NOTE not in output  # asked for, not a fallback: nothing to say
    assert "Accuracy: " in output and (tmp_path / "fashion_mnist_cnn.pt").is_file()
    assert last_number(output, "test accuracy") > 0.3


@pytest.fixture(scope="module")
def manual_sgd_output(tmp_path_factory):
    return run("manual_sgd.py", cwd=tmp_path_factory.mktemp("manual_sgd"))


def test_manual_sgd(manual_sgd_output):
    output = manual_sgd_output
    line = re.search(r"line: loss ([\d.]+) -> ([\d.]+), w = ([-\d.]+), b = ([-\d.]+)", output)
    first, last, w, b = map(float, line.groups())
    assert last < first / 100 and w == pytest.approx(3, abs=0.05) and b == pytest.approx(-2, abs=0.05)
    cubic = [float(v) for v in re.findall(r"cubic: step +\d+  loss ([\d.]+)", output)]
    assert len(cubic) == 5 and cubic == sorted(cubic, reverse=True), "the loss falls at every report"
    assert "MyReLU: gradcheck True" in output
    assert last_number(output, "final loss") < 0.05


def test_manual_sgd_prints_the_numbers_of_pytorch(manual_sgd_output, tmp_path):
    """The program is deterministic: with ``import torch`` instead, it prints the same numbers."""
    pytest.importorskip("torch", reason="the comparison needs PyTorch (pip install torch)")
    source = (EXAMPLES / "manual_sgd.py").read_text(encoding="utf-8")
    with_torch = source.replace("import minigrad as torch", "import torch").replace(
        "import minigrad.nn as nn", "import torch.nn as nn")
    assert "minigrad" not in with_torch.split('"""', 2)[2]
    (tmp_path / "manual_sgd_torch.py").write_text(with_torch, encoding="utf-8")
    ours, theirs = manual_sgd_output, run(str(tmp_path / "manual_sgd_torch.py"), cwd=tmp_path)
    assert len(numbers(ours)) == len(numbers(theirs)) > 20
    assert numbers(ours) == pytest.approx(numbers(theirs), rel=1e-3, abs=1e-3), f"{ours}\n{theirs}"


def test_custom_dataset(tmp_path):
    output = run("custom_dataset.py", "--images", "600", "--epochs", "3", cwd=tmp_path)
    assert "600 images; the first: (1, 28, 28) float32, target [1.0, 0.0, 0.0" in output
    assert "random_split: 480 for training, 120 for validation" in output
    assert "a batch: images (32, 1, 28, 28), targets (32, 10) float32" in output
    assert re.search(r"a padded batch: tokens \(8, \d+\) int64, lengths \[", output), output
    assert "default_collate of dicts: ['id', 'label', 'tokens'] tokens (4, 3)" in output
    assert last_number(output, "validation accuracy") > 0.5


def test_printing(tmp_path):
    output = run("printing.py", cwd=tmp_path)
    assert "tensor([[ 1.0000, -2.5000,  3.2500],\n        [ 0.5000,  4.0000, -1.0000]])" in output
    assert "Device tensor is stored on: cpu" in output
    assert "size: (2, 3), rows: 2, columns: 3, last dim: 3" in output
    assert "sum: 5.2, item: 5.25, type: float" in output
    assert "mean: 0.875" in output
    assert "tensor([1.7500, 3.5000], grad_fn=<" in output
    assert "tensor([3.2500, 4.0000]) tensor([2, 1])" in output
    assert "values: tensor([3.2500, 4.0000]), indices: tensor([2, 1])" in output
    accuracy = last_number(output, "test accuracy")
    assert f"Accuracy: {100 * accuracy:.1f}%" in output


# -- docs/pytorch.md -----------------------------------------------------------------------------
def _torch_names():
    spec = importlib.util.spec_from_file_location("torch_names", ROOT / "scripts" / "torch_names.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_list_of_names_is_up_to_date():
    torch_names = _torch_names()
    documented = torch_names.doc_section(torch_names.DOC.read_text(encoding="utf-8"))
    assert documented == torch_names.render(), (
        "docs/pytorch.md's list of names is out of date: run `python scripts/torch_names.py --write`")


def test_docs_list_the_names_of_every_namespace():
    rendered = _torch_names().render()
    for heading in ("`torch`", "`torch.Tensor`", "`torch.nn`", "`torch.nn.functional`", "`torch.optim`",
                    "`torch.utils.data`", "`torch.autograd`", "`torchvision.transforms`"):
        assert f"### {heading} (" in rendered
    for name in ("`tensor`", "`no_grad`", "`Conv2d`", "`cross_entropy`", "`SGD`", "`StepLR`", "`DataLoader`",
                 "`random_split`", "`Function`", "`ToTensor`", "`backward`", "`zero_`"):
        assert name in rendered
    assert "`np`" not in rendered and "`annotations`" not in rendered, "imports are not minigrad's names"


def test_docs_mention_every_program():
    text = (ROOT / "docs" / "pytorch.md").read_text(encoding="utf-8")
    for script in SCRIPTS:
        assert f"`{script.name}`" in text, f"docs/pytorch.md does not describe {script.name}"
