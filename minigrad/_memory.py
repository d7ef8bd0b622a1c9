"""Keep large numpy buffers in the heap between training steps (glibc on Linux only).

numpy allocates arrays with ``malloc``. glibc serves big blocks with fresh ``mmap`` pages,
which the kernel zero-fills on first touch and unmaps again on ``free``. A training step
allocates and frees the same large activations and gradients every step, so it pays those
page faults every step: a LeNet-5 step took 11 ms instead of 6 ms. Raising glibc's mmap
threshold keeps such blocks in the heap, where the next step reuses them; peak memory is
unchanged. Set ``MINIGRAD_MALLOC_TUNING=0`` before importing minigrad to leave malloc alone.
"""
from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 256 << 20
TRIM_THRESHOLD = 512 << 20


def tune_malloc() -> bool:
    """Raise glibc's mmap and trim thresholds; True when it was done."""
    if os.environ.get("MINIGRAD_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc (musl, ...)
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))


TUNED = tune_malloc()
