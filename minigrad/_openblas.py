"""Let OpenBLAS's idle worker threads sleep at once (set before numpy is first imported).

After each multi-threaded matrix product, OpenBLAS keeps its worker threads spinning for about
2^28 CPU cycles (a tenth of a second) in case another product follows. A training step does other
work between its products (im2col, pooling, the optimizer), and the spinning workers take a core
from it: from minigrad's own threads, which share large passes between cores, and from any other
program on the machine. ``OPENBLAS_THREAD_TIMEOUT=4`` (2^4 cycles) makes them sleep at once;
waking them costs microseconds, next to the milliseconds of a product large enough to be
threaded (``minigrad.threads``). ``docs/performance.md`` has the measurements.

OpenBLAS reads the variable when it is loaded, so this works when minigrad is imported before
numpy (the ``minigrad`` command, or ``import minigrad`` first in a script); a value already in
the environment is kept.
"""
from __future__ import annotations

import os
import sys

SLEEP_AT_ONCE = "4"

if "numpy" not in sys.modules:
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", SLEEP_AT_ONCE)
