"""Training steps (forward, cross-entropy, backward, SGD step) in float32, minigrad against
PyTorch: LeNet-5 at batch 64, AlexNet (paper) at batch 8, ResNet-18 at batch 32 on 32x32 images,
how the time grows with the batch,
peak memory per process, memory over 1,000 steps, and one epoch of LeNet-5 on Fashion-MNIST.

    python -m benchmarks.models [--threads N]
    python -m benchmarks.models --peak-rss alexnet minigrad    # one fresh process, prints MiB
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

from benchmarks.common import HAS_TORCH, current_rss_mib, in_subprocess, interleaved, peak_rss_mib, ratio_row, set_threads

SHAPES = {"lenet5": (1, 28, 28), "alexnet": (3, 227, 227), "alexnet_nolrn": (3, 227, 227), "resnet18": (3, 32, 32)}


def without_lrn(sequential, identity):
    """The same network with each LocalResponseNorm replaced by ``identity()``."""
    for index, layer in enumerate(sequential):
        if type(layer).__name__ == "LocalResponseNorm":
            sequential[index] = identity()
    return sequential


def torch_resnet18():
    """torchvision's resnet18 (10 classes) written with torch.nn (torchvision is not a dependency)."""
    import torch
    import torch.nn as nn

    class Block(nn.Module):
        def __init__(self, inplanes, planes, stride):
            super().__init__()
            self.conv1, self.bn1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False), nn.BatchNorm2d(planes)
            self.conv2, self.bn2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False), nn.BatchNorm2d(planes)
            self.relu = nn.ReLU(inplace=True)
            self.downsample = None if stride == 1 and inplanes == planes else nn.Sequential(
                nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

        def forward(self, x):
            out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
            out += x if self.downsample is None else self.downsample(x)
            return self.relu(out)

    widths = [(64, 64, 1), (64, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1),
              (256, 512, 2), (512, 512, 1)]
    return nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
                         nn.MaxPool2d(3, 2, 1), *[Block(*w) for w in widths], nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Linear(512, 10)).to(torch.float32)


def torch_model(name: str):
    import torch.nn as nn

    if name == "resnet18":
        return torch_resnet18()
    if name == "lenet5":
        return nn.Sequential(
            nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2)),
            nn.Sequential(nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10)))
    lrn = lambda: nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)  # noqa: E731
    alexnet = nn.Sequential(
        nn.Sequential(nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(), lrn(), nn.MaxPool2d(3, 2),
                      nn.Conv2d(96, 256, 5, padding=2), nn.ReLU(), lrn(), nn.MaxPool2d(3, 2),
                      nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(), nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(),
                      nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2)),
        nn.Flatten(),
        nn.Sequential(nn.Linear(9216, 4096), nn.ReLU(), nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(),
                      nn.Linear(4096, 1000)))
    if name == "alexnet_nolrn":
        without_lrn(alexnet[0], nn.Identity)
    return alexnet


def minigrad_step(name: str, batch: int):
    import minigrad as mg
    import minigrad.nn.functional as F

    mg.manual_seed(0)
    model = {"lenet5": mg.models.LeNet5, "alexnet": mg.models.AlexNet, "alexnet_nolrn": mg.models.AlexNet,
             "resnet18": lambda: mg.models.resnet18(num_classes=10)}[name]()
    if name == "alexnet_nolrn":
        without_lrn(model.features, mg.nn.Identity)
    optimizer = mg.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = mg.randn(batch, *SHAPES[name])
    y = mg.tensor(np.arange(batch) % 10)

    def step():
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()

    return step


def pytorch_step(name: str, batch: int):
    import torch
    import torch.nn.functional as F

    torch.manual_seed(0)
    model = torch_model(name)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(batch, *SHAPES[name])
    y = torch.arange(batch) % 10

    def step():
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()

    return step


def steps(name: str, batch: int, repeats: int) -> dict:
    functions = {"minigrad": minigrad_step(name, batch)}
    if HAS_TORCH:
        functions["pytorch"] = pytorch_step(name, batch)
    return interleaved(functions, repeats, warmup=2)


def peak_rss(name: str, framework: str, batch: int = 8, count: int = 3) -> float:
    """Peak RSS of a fresh process that runs ``count`` training steps (called in a subprocess)."""
    step = minigrad_step(name, batch) if framework == "minigrad" else pytorch_step(name, batch)
    for _ in range(count):
        step()
    return peak_rss_mib()


def memory_over_steps(total: int = 1000) -> tuple[float, float]:
    """RSS after 100 and after ``total`` LeNet-5 steps: a graph kept alive would make it grow."""
    step = minigrad_step("lenet5", 64)
    for _ in range(100):
        step()
    early = current_rss_mib()
    for _ in range(total - 100):
        step()
    return early, current_rss_mib()


def epoch(framework: str, batch: int = 64) -> float | None:
    """Seconds for one epoch of LeNet-5 (Adam, lr 1e-3) on the full Fashion-MNIST training set."""
    try:
        from minigrad.data import DataLoader, FashionMNIST, transforms

        train = FashionMNIST(train=True, transform=transforms.ToTensor())
    except FileNotFoundError:
        return None
    if framework == "minigrad":
        import minigrad as mg
        import minigrad.nn.functional as F

        mg.manual_seed(0)
        model = mg.models.LeNet5()
        optimizer = mg.optim.Adam(model.parameters(), lr=1e-3)
        start = time.perf_counter()
        for images, labels in DataLoader(train, batch, shuffle=True, seed=0):
            optimizer.zero_grad()
            F.cross_entropy(model(images), labels).backward()
            optimizer.step()
        return time.perf_counter() - start
    import torch
    import torch.nn.functional as F

    torch.manual_seed(0)
    model = torch_model("lenet5")
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    images = torch.tensor(train.data.numpy()[:, None].astype(np.float32) / 255.0)
    labels = torch.tensor(train.targets.numpy())
    start = time.perf_counter()
    for index in torch.randperm(len(labels)).split(batch):
        optimizer.zero_grad()
        F.cross_entropy(model(images[index]), labels[index]).backward()
        optimizer.step()
    return time.perf_counter() - start


def run(repeats: int = 7, with_epoch: bool = True, threads: int | None = None) -> dict:
    results = {"steps": [], "scaling": [], "memory": {}}
    lenet = steps("lenet5", 64, repeats * 4)
    results["steps"].append(ratio_row("LeNet-5 training step, batch 64", lenet["minigrad"], lenet.get("pytorch"), 1.0))
    alex = steps("alexnet", 8, repeats)
    results["steps"].append(ratio_row("AlexNet (paper) training step, batch 8", alex["minigrad"], alex.get("pytorch"), 1.0))
    alex = steps("alexnet_nolrn", 8, repeats)
    results["steps"].append(ratio_row("AlexNet (paper) without LRN, training step, batch 8", alex["minigrad"], alex.get("pytorch"), 1.1))
    resnet = steps("resnet18", 32, repeats)
    results["steps"].append(ratio_row("ResNet-18 training step, batch 32, 32x32", resnet["minigrad"], resnet.get("pytorch"), 1.5))
    for name in ("lenet5", "alexnet"):
        for batch in (8, 16, 32, 64):
            t = steps(name, batch, 5 if name == "lenet5" else 2)
            results["scaling"].append((name, batch, t["minigrad"], t.get("pytorch")))
    args = ["--threads", str(threads)] if threads else []
    ours = float(in_subprocess("models", "--peak-rss", "alexnet", "minigrad", *args))
    theirs = float(in_subprocess("models", "--peak-rss", "alexnet", "pytorch", *args)) if HAS_TORCH else None
    results["memory"]["alexnet_peak_rss"] = (ours, theirs)
    early, late = in_subprocess("models", "--rss-over-steps", *args).split()
    results["memory"]["lenet_rss_100_1000"] = (float(early), float(late))
    if with_epoch:
        mine = epoch("minigrad")
        if mine is not None:
            other = epoch("pytorch") if HAS_TORCH else None
            results["steps"].append(ratio_row("one epoch of LeNet-5 on Fashion-MNIST (938 steps of 64, Adam)",
                                              mine, other, 1.3, unit=1.0))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--peak-rss", nargs=2, metavar=("MODEL", "FRAMEWORK"))
    parser.add_argument("--no-epoch", action="store_true")
    parser.add_argument("--rss-over-steps", action="store_true", help="RSS after 100 and 1,000 LeNet-5 steps (a fresh process)")
    args = parser.parse_args()
    set_threads(args.threads or os.cpu_count())
    if args.peak_rss:
        print(f"{peak_rss(*args.peak_rss):.1f}")
        return
    if args.rss_over_steps:
        early, late = memory_over_steps()
        print(f"{early:.1f} {late:.1f}")
        return
    from benchmarks.common import markdown_table

    results = run(with_epoch=not args.no_epoch, threads=args.threads)
    print(markdown_table(results["steps"]))
    for name, batch, ours, theirs in results["scaling"]:
        print(f"{name} batch {batch}: minigrad {ours * 1e3:.1f} ms" + (f", PyTorch {theirs * 1e3:.1f} ms" if theirs else ""))
    print(results["memory"])


if __name__ == "__main__":
    main()
