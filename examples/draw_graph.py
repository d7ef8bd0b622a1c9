"""Draw computation graphs with Graphviz: a small expression, and LeNet-5 with gradient norms.

    python examples/draw_graph.py [--quick] [--out graphs]
"""
import argparse
from pathlib import Path

import numpy as np

import minigrad as mg
import minigrad.nn.functional as F

parser = argparse.ArgumentParser()
parser.add_argument("--quick", action="store_true")
parser.add_argument("--out", default="graphs")
args = parser.parse_args()
out = Path(args.out)
out.mkdir(exist_ok=True)

x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
w = mg.tensor([0.5, -1.0, 2.0], requires_grad=True)
x.name, w.name = "x", "w"
y = (x * w).sum().tanh()
y.name = "y"

model = mg.models.LeNet5()
images = mg.randn(4, 1, 28, 28)
images.name = "images"
loss = F.cross_entropy(model(images), mg.tensor(np.array([0, 1, 2, 3])))
loss.name = "loss"
with mg.viz.record_grad_norms():
    loss.backward()

graphs = {"expression": mg.viz.draw_graph(y),
          "lenet5_grads": mg.viz.draw_graph(loss, params=model, show_grads=True)}
for name, graph in graphs.items():
    try:
        print("wrote", mg.viz.save(graph, out / f"{name}.svg"))
    except mg.viz.GraphvizNotFoundError as error:
        print(error)
        print("wrote", mg.viz.save(graph, out / f"{name}.dot"))
