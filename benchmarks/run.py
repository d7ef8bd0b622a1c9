"""The benchmark suite: ops and training steps against PyTorch, then docs/performance.md.

    python -m benchmarks [--threads N] [--no-epoch] [--no-write]

Everything is float32, at the same thread count for both frameworks (numpy's BLAS through
threadpoolctl, PyTorch through torch.set_num_threads), with warm-ups and the median of several
interleaved runs. The tables go between the markers in docs/performance.md; the text around
them is kept.
"""
from __future__ import annotations

import argparse
import datetime
import os
from pathlib import Path

from benchmarks import models, ops
from benchmarks.common import HAS_TORCH, machine, markdown_table, set_threads

DOC = Path(__file__).resolve().parents[1] / "docs" / "performance.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"


def report(op_rows: list[dict], model_results: dict, threads: int) -> str:
    info = machine()
    lines = [f"Measured {datetime.date.today().isoformat()} with `python -m benchmarks` ({threads} threads for both frameworks).", ""]
    lines += [f"- {key}: {value}" for key, value in info.items()]
    if not HAS_TORCH:
        lines.append("- PyTorch is not installed: no ratios (pip install torch==2.13.0)")
    lines += ["", "### Ops, forward + backward", "", markdown_table(op_rows), "",
              "### Training steps", "", markdown_table(model_results["steps"]).replace("(ms) | PyTorch (ms)", "(ms, s for the epoch) | PyTorch (ms, s for the epoch)"), ""]
    lines += ["### Time per step against batch size", "", "| model | batch | minigrad (ms) | PyTorch (ms) | minigrad per image (ms) |", "|---|---:|---:|---:|---:|"]
    for name, batch, ours, theirs in model_results["scaling"]:
        lines.append(f"| {name} | {batch} | {ours * 1e3:.1f} | {'—' if theirs is None else f'{theirs * 1e3:.1f}'} | {ours * 1e3 / batch:.2f} |")
    lines.append("")
    for name in ("lenet5", "alexnet"):
        times = {batch: (ours, theirs) for model, batch, ours, theirs in model_results["scaling"] if model == name}
        growth = times[64][0] / times[8][0]
        text = f"- {name}: from batch 8 to 64 the step time grows × {growth:.1f} in minigrad"
        if times[64][1]:
            text += f", × {times[64][1] / times[8][1]:.1f} in PyTorch"
        per_image = [times[batch][0] / batch for batch in sorted(times)]
        verdict = "yes" if all(later <= 1.1 * earlier for earlier, later in zip(per_image, per_image[1:])) else "**no**"
        lines.append(text + " (× 8 is linear; less means fixed costs are being amortised); at most linear, "
                     f"the time per image never rising by more than 10 % from one batch size to the next: {verdict}")
    ours_rss, theirs_rss = model_results["memory"]["alexnet_peak_rss"]
    early, late = model_results["memory"]["lenet_rss_100_1000"]
    lines += ["", "### Memory", "",
              f"- AlexNet training step (batch 8), peak RSS of a fresh process: minigrad {ours_rss:.0f} MiB"
              + (f", PyTorch {theirs_rss:.0f} MiB (target: at most PyTorch's: {'met' if ours_rss <= theirs_rss else '**not met**'})" if theirs_rss else ""),
              f"- LeNet-5, RSS after 100 steps {early:.1f} MiB, after 1,000 steps {late:.1f} MiB (growth {late - early:+.1f} MiB)"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--no-epoch", action="store_true", help="skip the Fashion-MNIST epoch")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/performance.md alone")
    args = parser.parse_args()
    set_threads(args.threads)
    op_rows = ops.run()
    print(markdown_table(op_rows), flush=True)
    model_results = models.run(with_epoch=not args.no_epoch, threads=args.threads)
    text = report(op_rows, model_results, args.threads)
    print(text)
    if not args.no_write:
        doc = DOC.read_text() if DOC.exists() else f"# Performance\n\n{START}\n{END}\n"
        head, rest = doc.split(START, 1)
        _, tail = rest.split(END, 1)
        DOC.write_text(f"{head}{START}\n{text}\n{END}{tail}")
        print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
