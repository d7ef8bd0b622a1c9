"""The book's "CNN visualisation": the first-layer filters of the book's SimpleConvNet (30
filters of 5x5, weights drawn from N(0, 0.01^2) as in the book) before and after training on
the embedded Fashion-MNIST subset. Untrained filters are noise; trained ones pick up edges and
blobs.

    python examples/visualize_filters.py [--quick] [--out filters.png]
"""
import argparse

import minigrad as mg
from minigrad.data import DataLoader, EmbeddedFashionMNIST, Subset
from minigrad.training import fit

parser = argparse.ArgumentParser()
parser.add_argument("--quick", action="store_true")
parser.add_argument("--out", default="filters.png")
args = parser.parse_args()

mg.manual_seed(0)
model = mg.models.SimpleConvNet(weight_init_std=0.01)  # the book's network and initialisation
before = model.features[0].weight.detach().clone()
train_set = EmbeddedFashionMNIST()
if args.quick:
    train_set = Subset(train_set, range(500))
fit(model, DataLoader(train_set, 64, shuffle=True), mg.optim.Adam(model.parameters(), lr=1e-3),
    epochs=1 if args.quick else 5, progress=not args.quick)

try:
    from minigrad import plot
except ImportError as error:
    raise SystemExit(error)
plot.save_filter_comparison(before, model.features[0].weight.data, args.out)
print("wrote", args.out)
