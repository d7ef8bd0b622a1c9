"""Memory layouts. A stride-1 convolution leaves its output with the batch axis last in memory
(``(C, H, W, N)`` behind an ``(N, C, H, W)`` view, ``minigrad.nn.functional.columns``), and
batch norm and the elementwise ops keep it; most other ops make C-order arrays. numpy handles
any mix, but a pass that reads one operand in each of the two orders reads one of them a number
at a time: ``c_order`` brings such an array into C order first, by blocks that stay in the cache.

numpy also pays per row of a pass it cannot run as one stretch of memory (a number per row
broadcast along the row, a cropped or strided view): ``short_rows`` makes that cheaper for rows
of a few hundred to a few thousand numbers.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import numpy as np

TRANSPOSE_BLOCK = 1 << 13  # numbers per block of c_order's transposed copy (measured)
SHORT_ROW, NUMPY_BUFFER = 1 << 8, 1 << 13  # the rows short_rows helps: from 256 numbers to numpy's buffer


def is_batch_last(a: np.ndarray) -> bool:
    """Whether ``a`` ``(N, C, H, W)`` has the batch axis last in memory (and is not C order)."""
    return a.ndim == 4 and a.size > 0 and not a.flags.c_contiguous and a.transpose(1, 2, 3, 0).flags.c_contiguous


def c_order(a: np.ndarray) -> np.ndarray:
    """``a`` in C order: ``a`` itself when it is, else a copy. A 4-D array with the batch axis last
    in memory (a stride-1 convolution's output) is copied as the matrix ``(C*H*W, N)`` transposed,
    a block of rows at a time: numpy's copy of the whole transposed view reads memory with a
    stride of ``N`` numbers throughout and took 3.5x as long (``docs/performance.md``)."""
    if a.flags.c_contiguous:
        return a
    if not is_batch_last(a):
        return np.ascontiguousarray(a)
    n = a.shape[0]
    matrix = a.transpose(1, 2, 3, 0).reshape(-1, n)
    out = np.empty((n, matrix.shape[0]), dtype=a.dtype)
    step = max(16, TRANSPOSE_BLOCK // max(1, n))  # rows of a block that stays in the cache
    for start in range(0, matrix.shape[0], step):
        out[:, start:start + step] = matrix[start:start + step].T
    return out.reshape(a.shape)


@contextmanager
def short_rows(length: int) -> Iterator[None]:
    """numpy passes over rows of ``length`` contiguous numbers that it cannot merge into one run
    (a number per row broadcast along the rows, a sum into a cropped or strided view), made
    faster inside this block. numpy's ufuncs stage such operands through a buffer of 8192
    numbers, and a pass along rows shorter than the buffer took 2.5-4x the time of a pass with
    a scalar (float32 rows of 256 to 4096); with a buffer no longer than the rows, 1.0-1.5x. So
    for rows of 256 to 8191 numbers the buffer is shrunk to a power of two no longer than them
    (numpy keeps the setting per thread); shorter rows were slower with a shorter buffer."""
    length = int(length)
    if not SHORT_ROW <= length < NUMPY_BUFFER:
        yield
        return
    previous = np.setbufsize(1 << (length.bit_length() - 1))
    try:
        yield
    finally:
        np.setbufsize(previous)
