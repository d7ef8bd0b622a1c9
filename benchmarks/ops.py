"""Forward+backward of the CNN ops in float32, minigrad against PyTorch at the same thread count.

    python -m benchmarks.ops [--threads N] [--repeats R]
"""
from __future__ import annotations

import argparse

import numpy as np

from benchmarks.common import HAS_TORCH, interleaved, markdown_table, ratio_row, set_threads

# name, input shape, weight shape, conv keyword arguments, target ratio
CONVS = [
    ("LeNet conv1", (64, 1, 28, 28), (6, 1, 5, 5), dict(padding=2), 1.2),
    ("LeNet conv2", (64, 6, 14, 14), (16, 6, 5, 5), {}, 1.2),
    ("AlexNet conv1", (8, 3, 227, 227), (96, 3, 11, 11), dict(stride=4), 1.2),
    ("AlexNet conv2", (8, 96, 27, 27), (256, 96, 5, 5), dict(padding=2), 1.2),
    ("AlexNet conv3", (8, 256, 13, 13), (384, 256, 3, 3), dict(padding=1), 1.2),
]


def _conv_case(shape, weight_shape, kwargs):
    import minigrad as mg
    import minigrad.nn.functional as F

    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    w = (rng.standard_normal(weight_shape) * 0.05).astype(np.float32)
    b = np.zeros(weight_shape[0], np.float32)
    mx, mw, mb = (mg.tensor(a, requires_grad=True) for a in (x, w, b))

    def ours():
        out = F.conv2d(mx, mw, mb, **kwargs)
        out.backward(mg.ones(*out.shape))

    functions = {"minigrad": ours}
    if HAS_TORCH:
        import torch
        import torch.nn.functional as TF

        tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))

        def theirs():
            out = TF.conv2d(tx, tw, tb, **kwargs)
            out.backward(torch.ones_like(out))

        functions["pytorch"] = theirs
    return functions


def _pointwise_case(name: str):
    import minigrad as mg
    import minigrad.nn.functional as F

    x = np.random.default_rng(1).standard_normal((8, 96, 55, 55)).astype(np.float32)
    mx = mg.tensor(x, requires_grad=True)
    ours_op = {"max_pool": lambda t: F.max_pool2d(t, 3, 2), "lrn": lambda t: F.local_response_norm(t, 5)}[name]

    def ours():
        out = ours_op(mx)
        out.backward(mg.ones(*out.shape))

    functions = {"minigrad": ours}
    if HAS_TORCH:
        import torch
        import torch.nn.functional as TF

        tx = torch.tensor(x, requires_grad=True)
        theirs_op = {"max_pool": lambda t: TF.max_pool2d(t, 3, 2), "lrn": lambda t: TF.local_response_norm(t, 5)}[name]

        def theirs():
            out = theirs_op(tx)
            out.backward(torch.ones_like(out))

        functions["pytorch"] = theirs
    return functions


def _batch_norm_case():
    """Training-mode batch norm of a ResNet-sized activation, with weight, bias and running stats."""
    import minigrad as mg
    from minigrad.nn.functional.batchnorm import batch_norm

    rng = np.random.default_rng(2)
    x = rng.standard_normal((64, 64, 32, 32)).astype(np.float32)
    w, b = np.ones(64, np.float32), np.zeros(64, np.float32)
    mx, mw, mb = (mg.tensor(a, requires_grad=True) for a in (x, w, b))
    mean, var = mg.zeros(64), mg.ones(64)

    def ours():
        out = batch_norm(mx, mean, var, mw, mb, training=True)
        out.backward(mg.ones(*out.shape))

    functions = {"minigrad": ours}
    if HAS_TORCH:
        import torch
        import torch.nn.functional as TF

        tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        tmean, tvar = torch.zeros(64), torch.ones(64)

        def theirs():
            out = TF.batch_norm(tx, tmean, tvar, tw, tb, training=True)
            out.backward(torch.ones_like(out))

        functions["pytorch"] = theirs
    return functions


OVERHEAD_CALLS = 200


def _overhead_case():
    """200 calls of a 1x1 convolution on one pixel: nothing to compute, so the time is overhead."""
    single = _conv_case((1, 1, 1, 1), (1, 1, 1, 1), {})

    def many(run):
        def calls():
            for _ in range(OVERHEAD_CALLS):
                run()
        return calls

    return {name: many(run) for name, run in single.items()}


def run(repeats: int = 7) -> list[dict]:
    rows = []
    for name, shape, weight_shape, kwargs, target in CONVS:
        t = interleaved(_conv_case(shape, weight_shape, kwargs), repeats)
        rows.append(ratio_row(f"{name} fwd+bwd: x{shape}, w{weight_shape} {kwargs or ''}".rstrip(), t["minigrad"], t.get("pytorch"), target))
    for name, label, target in (("max_pool", "max_pool2d fwd+bwd: x(8, 96, 55, 55), kernel 3, stride 2", 1.2),
                                ("lrn", "local_response_norm fwd+bwd: x(8, 96, 55, 55), size 5", 0.5)):
        t = interleaved(_pointwise_case(name), repeats)
        rows.append(ratio_row(label, t["minigrad"], t.get("pytorch"), target))
    t = interleaved(_batch_norm_case(), repeats)
    rows.append(ratio_row("batch_norm fwd+bwd (training): x(64, 64, 32, 32)", t["minigrad"], t.get("pytorch"), 1.5))
    t = interleaved(_overhead_case(), repeats)
    per_call = {name: value / OVERHEAD_CALLS for name, value in t.items()}
    rows.append(ratio_row("1x1 conv fwd+bwd on one pixel, in µs (the Python overhead of one conv)",
                          per_call["minigrad"], per_call.get("pytorch"), None, unit=1e6))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    import os

    set_threads(args.threads or os.cpu_count())
    print(markdown_table(run(args.repeats)))


if __name__ == "__main__":
    main()
