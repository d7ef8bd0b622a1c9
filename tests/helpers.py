"""The one helper most op tests go through: forward against a reference, then first and second
derivatives against central differences in float64."""
from __future__ import annotations

import importlib.util
from typing import Callable

import numpy as np
import pytest

import minigrad as mg

HAS_TORCH = importlib.util.find_spec("torch") is not None
needs_torch = pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed (pip install torch==2.13.0)")


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def leaf(array, requires_grad: bool = True) -> mg.Tensor:
    """A float64 leaf tensor holding a copy of ``array``."""
    return mg.tensor(np.asarray(array, dtype=np.float64), requires_grad=requires_grad)


def check_op(
    op: Callable,
    *arrays: np.ndarray,
    reference: Callable | None = None,
    grad: bool = True,
    gradgrad: bool = True,
    rtol: float = 1e-10,
    atol: float = 1e-12,
) -> None:
    """Check ``op`` on float64 copies of ``arrays``.

    * forward: ``op(*tensors)`` equals ``reference(*arrays)`` (when given);
    * gradients: ``mg.gradcheck`` and, unless ``gradgrad=False``, ``mg.gradgradcheck``.
    """
    tensors = [leaf(a) for a in arrays]
    if reference is not None:
        out = op(*tensors)
        outs = out if isinstance(out, tuple) else (out,)
        refs = reference(*[np.asarray(a, dtype=np.float64) for a in arrays])
        refs = refs if isinstance(refs, tuple) else (refs,)
        for got, want in zip(outs, refs):
            np.testing.assert_allclose(got.data, want, rtol=rtol, atol=atol)
            assert got.shape == np.shape(want)
    if grad:
        assert mg.gradcheck(op, tuple(tensors))
    if gradgrad:
        assert mg.gradgradcheck(op, tuple(tensors))


def to_torch(x: mg.Tensor | np.ndarray, requires_grad: bool | None = None):
    import torch

    data = x.data if isinstance(x, mg.Tensor) else np.asarray(x)
    t = torch.from_numpy(np.array(data, copy=True))
    if requires_grad if requires_grad is not None else (isinstance(x, mg.Tensor) and x.requires_grad):
        t.requires_grad_(True)
    return t


def assert_close(got, want, rtol: float = 1e-12, atol: float = 1e-14) -> None:
    """Compare a minigrad Tensor (or array) with a torch tensor or array."""
    got = got.data if isinstance(got, mg.Tensor) else np.asarray(got)
    if hasattr(want, "detach"):
        want = want.detach().numpy()
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)
