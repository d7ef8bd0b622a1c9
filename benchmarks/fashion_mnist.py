"""The Fashion-MNIST recipe in both frameworks: LeNet-5 (modern), Adam at lr 1e-3, batch 64,
inputs scaled to [0, 1], test accuracy after every epoch and seconds per epoch.

    python -m benchmarks.fashion_mnist [--epochs 10] [--seeds 0 1] [--framework both|minigrad|pytorch]

Needs the full dataset (Debian: apt-get install dataset-fashion-mnist). The minigrad side is
exactly ``minigrad train --dataset fashion-mnist --epochs N --seed S``.
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from benchmarks.common import set_threads


def run_minigrad(epochs: int, seed: int) -> dict:
    import minigrad as mg
    from minigrad.data import DataLoader, FashionMNIST, transforms
    from minigrad.training import fit

    mg.manual_seed(seed)
    model = mg.models.LeNet5()
    train, test = (FashionMNIST(train=split, transform=transforms.ToTensor()) for split in (True, False))
    history = fit(model, DataLoader(train, 64, shuffle=True, seed=seed),
                  mg.optim.Adam(model.parameters(), lr=1e-3), epochs,
                  test_loader=DataLoader(test, 1000), progress=False)
    return {"test_accuracy": history["test_accuracy"], "seconds": history["seconds"]}


def run_pytorch(epochs: int, seed: int) -> dict:
    import torch
    import torch.nn.functional as F

    from benchmarks.models import torch_model
    from minigrad.data import FashionMNIST

    torch.manual_seed(seed)
    train, test = FashionMNIST(train=True), FashionMNIST(train=False)
    x_train = torch.tensor(train.data.numpy()[:, None].astype(np.float32) / 255.0)
    y_train = torch.tensor(train.targets.numpy())
    x_test = torch.tensor(test.data.numpy()[:, None].astype(np.float32) / 255.0)
    y_test = torch.tensor(test.targets.numpy())
    model = torch_model("lenet5")
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    accuracy, seconds = [], []
    for _ in range(epochs):
        start = time.perf_counter()
        model.train()
        for index in torch.randperm(len(y_train)).split(64):
            optimizer.zero_grad()
            F.cross_entropy(model(x_train[index]), y_train[index]).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            accuracy.append(float((model(x_test).argmax(1) == y_test).float().mean()))
        seconds.append(time.perf_counter() - start)
    return {"test_accuracy": accuracy, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--framework", choices=("both", "minigrad", "pytorch"), default="both")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    set_threads(args.threads)
    results = {}
    for framework, runner in (("minigrad", run_minigrad), ("pytorch", run_pytorch)):
        if args.framework not in ("both", framework):
            continue
        for seed in args.seeds:
            result = runner(args.epochs, seed)
            results[f"{framework} seed {seed}"] = result
            print(f"{framework} seed {seed}: test accuracy per epoch "
                  + " ".join(f"{a:.4f}" for a in result["test_accuracy"])
                  + f"; median {np.median(result['seconds']):.2f} s per epoch (training and test evaluation)", flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
