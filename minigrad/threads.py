"""How many threads minigrad uses: ``set_num_threads``, ``get_num_threads``, the ``matmul`` that
every op multiplies matrices with, and ``parallel_for`` for the large elementwise passes.

numpy runs its matrix products in OpenBLAS (or another BLAS), whose worker threads busy-wait for
the next product after each one. For a product that is large enough the second core pays for
itself; for the small products of a small network it does not, and on a machine where other
programs are running the waiting threads fight them for the cores: LeNet-5 training slowed down
fifteen-fold next to two CPU-bound processes. So the policy is per product:

* a product of fewer than ``PARALLEL_WORK`` multiply-adds (``m * k * n`` over the whole batch)
  runs on one thread: LeNet-5's products all do, and it trains on one core, quiet or busy;
* a larger one (AlexNet's convolutions, wide linear layers) runs on ``get_num_threads()``
  threads, which is BLAS's own thread count when minigrad was imported (``OPENBLAS_NUM_THREADS``
  and ``OMP_NUM_THREADS`` are honoured) until ``set_num_threads`` changes it.

numpy runs everything else (copies, maxima, sums) on one thread, but it lets go of Python's
global lock inside each pass, so Python threads can share a pass between them. ``parallel_for``
does that for passes of at least ``PARALLEL_ELEMENTS`` numbers (AlexNet's pooling, im2col and
col2im; LeNet-5's passes are smaller and stay on one thread). Its threads sleep while they wait,
so unlike BLAS's they take nothing from other programs.

``docs/performance.md`` has the measurements behind both thresholds. The BLAS is found through
threadpoolctl; where it cannot be controlled (no BLAS found), products run as numpy runs them.
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import numpy as np
from threadpoolctl import ThreadpoolController

PARALLEL_WORK = 1 << 25  # multiply-adds: below this a product runs on one thread (measured)
PARALLEL_ELEMENTS = 1 << 20  # numbers touched: below this a pass runs on one thread (measured)
THIN_ROWS, THIN_BLOCK = 8, 1 << 12  # a product of at most 8 rows over many columns goes by blocks (measured)

_blas = ThreadpoolController().select(user_api="blas").lib_controllers
_lock = threading.Lock()
_limit = max((blas.num_threads for blas in _blas), default=1)
_in_use = _limit  # the thread count BLAS is set to now
_workers: ThreadPoolExecutor | None = None  # _limit - 1 threads; the caller is the last one


def get_num_threads() -> int:
    """The number of threads a large matrix product may use (PyTorch's ``get_num_threads``)."""
    return _limit


def set_num_threads(count: int) -> None:
    """Let large matrix products use up to ``count`` threads (PyTorch's ``set_num_threads``).

    ``set_num_threads(1)`` runs everything on one core, the fastest choice next to other CPU-bound
    work; small products always run on one thread.

    >>> import minigrad as mg
    >>> before = mg.get_num_threads()
    >>> mg.set_num_threads(1); mg.get_num_threads()
    1
    >>> mg.set_num_threads(before)
    """
    global _limit, _workers
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
        raise ValueError(f"set_num_threads: expected a positive whole number of threads, got {count!r}")
    _limit = int(count)
    _use(_limit)
    if _workers is not None:
        _workers.shutdown(wait=False)
        _workers = None


def _use(count: int) -> None:
    global _in_use
    if count != _in_use:
        with _lock:
            for blas in _blas:
                blas.set_num_threads(count)
            _in_use = count


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.matmul(a, b)`` on one thread when the product is small, on ``get_num_threads()``
    threads when it is large (see the module docstring)."""
    if a.ndim and b.ndim:
        m = a.shape[-2] if a.ndim > 1 else 1
        n = b.shape[-1] if b.ndim > 1 else 1
        work = max(a.size * n, b.size * m)  # m * k * n times the (broadcast) batch
        _use(1 if work < PARALLEL_WORK else _limit)
        if a.ndim > 1 and b.ndim > 1 and m <= THIN_ROWS and n >= 4 * THIN_BLOCK:
            return _by_columns(a, b)
    return np.matmul(a, b)


def _by_columns(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for an ``a`` of a few rows and a ``b`` of many columns, ``THIN_BLOCK`` columns at
    a time: OpenBLAS took 2-4x as long for LeNet-5's first convolution, (6, 25) @ (25, 50176),
    in one product (``docs/performance.md``)."""
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1])
    out = np.empty(shape, dtype=np.result_type(a, b))
    for start in range(0, b.shape[-1], THIN_BLOCK):
        np.matmul(a, b[..., start:start + THIN_BLOCK], out=out[..., start:start + THIN_BLOCK])
    return out


def parallel_for(function: Callable[[int, int], None], count: int, elements: int) -> None:
    """Run ``function(start, stop)`` over ``range(count)``: in one call when the pass touches
    fewer than ``PARALLEL_ELEMENTS`` numbers, else in up to ``get_num_threads()`` pieces at once,
    one of them in the calling thread. The pieces must write to disjoint memory."""
    pieces = min(_limit, count, elements // PARALLEL_ELEMENTS)
    if pieces <= 1:
        function(0, count)
        return
    bounds = [count * piece // pieces for piece in range(pieces + 1)]
    others = [_pool().submit(function, start, stop) for start, stop in zip(bounds[1:-1], bounds[2:])]
    try:
        function(bounds[0], bounds[1])
    finally:
        for other in others:
            other.result()  # waits, and raises what the piece raised


def parallel_pass(function: Callable[..., None], *arrays: np.ndarray) -> None:
    """``function(*arrays)`` for an elementwise pass over arrays of one shape (the first one
    written to), split along the axis that is outermost in the first array's memory when large."""
    first = arrays[0]
    if first.ndim == 0 or first.size < PARALLEL_ELEMENTS:
        function(*arrays)
        return
    axis = int(np.argmax([abs(stride) * (size > 1) for stride, size in zip(first.strides, first.shape)]))

    def part(start: int, stop: int) -> None:
        index = (slice(None),) * axis + (slice(start, stop),)
        function(*(array[index] for array in arrays))

    parallel_for(part, first.shape[axis], first.size * len(arrays))


def _pool() -> ThreadPoolExecutor:
    global _workers
    if _workers is None:
        with _lock:
            if _workers is None:
                _workers = ThreadPoolExecutor(max(1, _limit - 1), thread_name_prefix="minigrad")
    return _workers


def _forget_pool() -> None:
    """In a forked child the pool's threads do not exist: start a new pool when needed."""
    global _workers, _lock
    _workers, _lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_pool)
