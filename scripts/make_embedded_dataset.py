"""Make minigrad/data/embedded/fashion_mnist_subset.npz from the full Fashion-MNIST.

The subset is stratified and seeded: 600 training and 100 test images per class, drawn at random
(seed 0) from Debian's files (`apt-get install dataset-fashion-mnist`) or any directory holding
the four IDX files. Images are kept as uint8 and the archive is compressed.

    python scripts/make_embedded_dataset.py [--source /usr/share/datasets/fashion-mnist]

Fashion-MNIST is (c) 2017 Zalando SE, released under the MIT licence
(https://github.com/zalandoresearch/fashion-mnist); the licence text is in
minigrad/data/embedded/LICENSE-fashion-mnist.txt.
"""
import argparse
from pathlib import Path

import numpy as np

from minigrad.data.idx import read_idx

OUT = Path(__file__).resolve().parents[1] / "minigrad" / "data" / "embedded" / "fashion_mnist_subset.npz"


def stratified(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    chosen = [rng.choice(np.flatnonzero(labels == c), per_class, replace=False) for c in range(10)]
    return np.sort(np.concatenate(chosen))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--train-per-class", type=int, default=600)
    parser.add_argument("--test-per-class", type=int, default=100)
    args = parser.parse_args()
    source = Path(args.source)
    rng = np.random.default_rng(0)
    arrays = {}
    for split, stem, per_class in (("train", "train", args.train_per_class), ("test", "t10k", args.test_per_class)):
        images = read_idx(source / f"{stem}-images-idx3-ubyte.gz")
        labels = read_idx(source / f"{stem}-labels-idx1-ubyte.gz")
        keep = stratified(labels, per_class, rng)
        arrays[f"{split}_images"] = images[keep]
        arrays[f"{split}_labels"] = labels[keep]
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e6:.2f} MB):",
          ", ".join(f"{k} {v.shape}" for k, v in arrays.items()))


if __name__ == "__main__":
    main()
