"""``minigrad train --epochs 3`` on a quiet machine and next to CPU-bound processes.

    python -m benchmarks.busy [--others 2] [--epochs 3]

Each run is a fresh ``minigrad train`` process; its wall time and its CPU time (user + system,
from ``getrusage`` of the finished child) are measured. The busy run starts ``--others`` Python
processes that spin on the CPU for the whole run. Prints the quiet wall time, CPU over wall on
the quiet machine, the busy wall time and busy over quiet, and the same ratio for a reference:
a process that multiplies small matrices in numpy on one thread, which shows what the machine
gives any one-threaded program next to the same processes.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPIN = "while True: pass"
REFERENCE = ("import numpy as np; a = np.random.default_rng(0).random((200, 200), dtype=np.float32)\n"
             "for _ in range(12000): a @ a")


def train(epochs: int, extra: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one ``minigrad train`` run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "minigrad", "train", "--epochs", str(epochs), "--quiet",
                   "--out", str(Path(folder) / "run"), *extra]
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def reference() -> tuple[float, float]:
    """(wall seconds, CPU seconds) of the one-threaded numpy reference process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", REFERENCE], check=True, env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(epochs: int = 3, others: int = 2, repeats: int = 2, extra: list[str] | None = None) -> dict:
    """Quiet and busy runs, alternating, the best of ``repeats`` of each, for training and for
    the reference."""
    extra = extra or []
    runs = {"quiet": [], "busy": [], "reference_quiet": [], "reference_busy": []}
    for _ in range(repeats):
        runs["quiet"].append(train(epochs, extra))
        runs["reference_quiet"].append(reference())
        spinners = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(others)]
        try:
            time.sleep(0.5)  # let them reach full speed
            runs["busy"].append(train(epochs, extra))
            runs["reference_busy"].append(reference())
        finally:
            for spinner in spinners:
                spinner.kill()
                spinner.wait()
    quiet_wall, quiet_cpu = min(runs["quiet"])
    busy_wall, _ = min(runs["busy"])
    reference_ratio = min(runs["reference_busy"])[0] / min(runs["reference_quiet"])[0]
    return {"quiet_s": quiet_wall, "cpu_over_wall": quiet_cpu / quiet_wall, "busy_s": busy_wall,
            "busy_over_quiet": busy_wall / quiet_wall, "reference_busy_over_quiet": reference_ratio,
            "others": others, "epochs": epochs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--others", type=int, default=2, help="CPU-bound processes beside the busy run")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("train_args", nargs="*", help="more arguments for minigrad train (after --)")
    args = parser.parse_args()
    result = measure(args.epochs, args.others, args.repeats, args.train_args)
    print(f"minigrad train --epochs {args.epochs}: quiet {result['quiet_s']:.1f} s "
          f"(CPU/wall {result['cpu_over_wall']:.2f}), next to {args.others} CPU-bound processes "
          f"{result['busy_s']:.1f} s: x{result['busy_over_quiet']:.2f} ({os.cpu_count()} cores); "
          f"a one-thread numpy loop beside the same processes: x{result['reference_busy_over_quiet']:.2f}")


if __name__ == "__main__":
    main()
