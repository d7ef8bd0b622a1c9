"""Timing helpers shared by the benchmarks: thread limits, interleaved medians, peak memory,
and a description of the machine."""
from __future__ import annotations

import importlib.util
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from typing import Callable

HAS_TORCH = importlib.util.find_spec("torch") is not None


def set_threads(threads: int) -> None:
    """The same thread count for minigrad's matrix products and for PyTorch."""
    import minigrad

    minigrad.set_num_threads(threads)
    if HAS_TORCH:
        import torch

        torch.set_num_threads(threads)


SETTLE = 0.1  # seconds: let the other library's worker threads stop spinning before timing


def interleaved(functions: dict[str, Callable[[], None]], repeats: int = 7, warmup: int = 2) -> dict[str, float]:
    """Median seconds per call of each function, taking turns (A, B, A, B, ...) so that both see
    the same machine state.

    Before each turn the process sleeps a moment: OpenBLAS and OpenMP worker threads spin for a
    while after their last task, and would otherwise steal the cores from the other library."""
    times: dict[str, list[float]] = {name: [] for name in functions}
    for round_ in range(warmup + repeats):
        for name, run in functions.items():
            time.sleep(SETTLE)
            run()  # a warm call after the pause: the caches and thread pools are this library's again
            start = time.perf_counter()
            run()
            if round_ >= warmup:
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def _status(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB.

    Read from VmHWM: ``getrusage``'s ru_maxrss would include the parent's peak, which Linux
    carries over into a child started with fork and exec."""
    value = _status("VmHWM")
    return value if value == value else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mib() -> float:
    return _status("VmRSS")


def in_subprocess(module: str, *args: str) -> str:
    """Run ``python -m benchmarks.<module> args`` (a fresh process, for peak memory)."""
    result = subprocess.run([sys.executable, "-m", f"benchmarks.{module}", *args], capture_output=True, text=True,
                            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))), check=True)
    return result.stdout.strip().splitlines()[-1]


def machine() -> dict:
    """CPU, BLAS (from threadpoolctl), thread counts and library versions."""
    from threadpoolctl import threadpool_info

    import numpy

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import minigrad as mg

    # BLAS's own thread count changes with each product (threads.matmul); report minigrad's limit
    blas = [f"{b.get('internal_api')} {b.get('version')} ({b.get('architecture', '?')} kernels; "
            f"large products on {mg.get_num_threads()} threads)"
            for b in threadpool_info() if b.get("user_api") == "blas"]
    description = {
        "cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "numpy": numpy.__version__,
        "numpy BLAS": "; ".join(blas) or "unknown",
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(not set: detected by OpenBLAS)"),
    }
    if HAS_TORCH:
        import torch

        description["torch"] = f"{torch.__version__} ({torch.get_num_threads()} threads)"
    return description


def ratio_row(name: str, ours: float, theirs: float | None, target: float | None, unit: float = 1e3) -> dict:
    ratio = ours / theirs if theirs else None
    return {"case": name, "minigrad": ours * unit, "pytorch": None if theirs is None else theirs * unit,
            "ratio": ratio, "target": target,
            "met": None if ratio is None or target is None else ratio <= target}


def markdown_table(rows: list[dict], unit: str = "ms") -> str:
    lines = [f"| case | minigrad ({unit}) | PyTorch ({unit}) | ratio | target | met |", "|---|---:|---:|---:|---:|:---:|"]
    for row in rows:
        theirs = "—" if row["pytorch"] is None else f"{row['pytorch']:.1f}"
        ratio = "—" if row["ratio"] is None else f"{row['ratio']:.2f}"
        target = "—" if row["target"] is None else f"≤ {row['target']}"
        met = "—" if row["met"] is None else ("yes" if row["met"] else "**no**")
        lines.append(f"| {row['case']} | {row['minigrad']:.1f} | {theirs} | {ratio} | {target} | {met} |")
    return "\n".join(lines)
