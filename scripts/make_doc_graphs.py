"""Render the graph pictures of docs/graphs.md into docs/images/ (needs Graphviz's `dot`).

    python scripts/make_doc_graphs.py
"""
from pathlib import Path

import numpy as np

import minigrad as mg
import minigrad.nn.functional as F

OUT = Path(__file__).resolve().parents[1] / "docs" / "images"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    mg.manual_seed(0)

    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = mg.tensor([0.5, -1.0, 2.0], requires_grad=True)
    x.name, w.name = "x", "w"
    y = ((x * w).sum() + 1.0).tanh()
    y.name = "y"
    with mg.viz.record_grad_norms():
        y.backward()
    mg.viz.save(mg.viz.draw_graph(y, show_grads=True, rankdir="LR"), OUT / "expression.svg")

    lenet = mg.models.LeNet5()
    images = mg.randn(4, 1, 28, 28)
    labels = mg.tensor(np.array([0, 1, 2, 3]))
    images.name, labels.name = "images", "labels"
    loss = F.cross_entropy(lenet(images), labels)
    loss.name = "loss"
    with mg.viz.record_grad_norms():
        loss.backward()
    mg.viz.save(mg.viz.draw_graph(loss, params=lenet, show_grads=True), OUT / "lenet5.svg")

    alexnet = mg.models.AlexNet()
    images = mg.randn(2, 3, 227, 227)
    images.name = "images"
    loss = F.cross_entropy(alexnet(images), mg.tensor(np.array([0, 1])))
    loss.name = "loss"
    mg.viz.save(mg.viz.draw_graph(loss, params=alexnet, collapse_repeats=True), OUT / "alexnet_collapsed.svg")
    for path in sorted(OUT.glob("*.dot")):
        path.unlink()  # keep the pictures only
    print("wrote", ", ".join(p.name for p in sorted(OUT.glob("*.svg"))))


if __name__ == "__main__":
    main()
