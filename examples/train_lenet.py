"""Train LeNet-5 on the Fashion-MNIST subset that ships with minigrad, then save a checkpoint,
the training curves and the first-layer filters before and after training.

    python examples/train_lenet.py            # 15 epochs, about 20 s on 2 cores
    python examples/train_lenet.py --quick    # 1 epoch on 1,000 images
"""
import argparse
from pathlib import Path

import minigrad as mg
from minigrad.data import DataLoader, EmbeddedFashionMNIST, Subset
from minigrad.training import fit

parser = argparse.ArgumentParser()
parser.add_argument("--quick", action="store_true")
parser.add_argument("--out", default="runs/example-lenet")
args = parser.parse_args()

mg.manual_seed(0)
train_set, test_set = EmbeddedFashionMNIST(train=True), EmbeddedFashionMNIST(train=False)
if args.quick:
    train_set = Subset(train_set, range(1000))

model = mg.models.LeNet5()
optimizer = mg.optim.Adam(model.parameters(), lr=1e-3)
before = model.features[0].weight.detach().clone()
history = fit(model, DataLoader(train_set, batch_size=64, shuffle=True, seed=0), optimizer,
              epochs=1 if args.quick else 15, test_loader=DataLoader(test_set, batch_size=256),
              checkpoint_dir=args.out, progress=not args.quick)
print(f"test accuracy: {history['test_accuracy'][-1]:.4f}")

try:
    from minigrad import plot

    plot.save_history(history, Path(args.out) / "curves.png")
    plot.save_filter_comparison(before, model.features[0].weight.data, Path(args.out) / "filters.png")
    print(f"pictures in {args.out}")
except ImportError as error:  # matplotlib is optional
    print(error)
