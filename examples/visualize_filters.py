"""The book's "CNN visualisation": LeNet-5's first-layer filters before and after training.
Trained filters pick up edges and blobs; untrained ones are noise.

    python examples/visualize_filters.py [--quick] [--out filters.png]
"""
import argparse

import minigrad as mg
from minigrad.data import DataLoader, EmbeddedFashionMNIST
from minigrad.training import fit

parser = argparse.ArgumentParser()
parser.add_argument("--quick", action="store_true")
parser.add_argument("--out", default="filters.png")
args = parser.parse_args()

mg.manual_seed(0)
model = mg.models.SimpleConvNet()  # 30 filters of 5x5, as in the book
before = model.features[0].weight.data.copy()
train_set = EmbeddedFashionMNIST()
if args.quick:
    train_set.data, train_set.targets = train_set.data[:500], train_set.targets[:500]
fit(model, DataLoader(train_set, 64, shuffle=True), mg.optim.Adam(model.parameters(), lr=1e-3),
    epochs=1 if args.quick else 5, progress=not args.quick)

try:
    from minigrad import plot
except ImportError as error:
    raise SystemExit(error)
plot.save_filter_comparison(before, model.features[0].weight.data, args.out)
print("wrote", args.out)
