"""Version counters and views: the bookkeeping that makes in-place ops safe (``inplace.py``).

Every tensor has a version counter, a one-element list shared with the views of its memory, made
on first use; each in-place change bumps it. A view (from ``reshape``/``view``,
``permute``/``transpose``, basic indexing) remembers its root tensor and the steps that cut it
out, so that an in-place op on the view can rewrite the root in the graph.
"""
from __future__ import annotations

import numpy as np

from minigrad.autograd.grad_mode import grad_state
from minigrad.tensor import Tensor


def counter(t: Tensor) -> list:
    """``t``'s version counter (a one-element list shared with its views), made on first use."""
    if t._vc is None:
        t._vc = [0]
    return t._vc


def bump(t: Tensor) -> None:
    """Record that ``t``'s memory was changed in place."""
    counter(t)[0] += 1


def zero_dim_index(index) -> tuple:
    """An all-integer index with ``...`` appended: numpy then returns a 0-d view, not a scalar."""
    return (index if isinstance(index, tuple) else (index,)) + (Ellipsis,)


def mark_view(base: Tensor, out: Tensor, step: tuple) -> Tensor:
    """Make ``out`` (the result of ``step`` applied to ``base``) a view of ``base``'s root when
    they share memory: same version counter, and the steps to rebuild it from the root."""
    if out is base or not np.may_share_memory(out._data, base._data):
        return out
    if base._view is not None:
        root, steps = base._view[:2]
        steps = steps + (step,)
    else:
        root, steps = base, (step,)
    out._vc = counter(root)
    out._view = (root, steps, out._vc[0], grad_state.enabled)
    return out
