"""Argument checks that several ops share, each written once.

The functional ops check the tensors they are given; the layers of ``minigrad.nn`` check their
configuration once, in ``__init__``, with the same functions (``check_groups`` serves both
``nn.Conv2d(...)`` and ``F.conv2d``), so that a rule and its message live in one place.
"""
from __future__ import annotations

import numpy as np

from minigrad.errors import DtypeError, ShapeError
from minigrad.tensor import Tensor


def check_rank(op: str, input: Tensor, spatial_dims: int = 2) -> None:
    """``input`` is one sample ``(C, *spatial)`` or a batch ``(N, C, *spatial)``."""
    if input.ndim not in (spatial_dims + 1, spatial_dims + 2):
        raise ShapeError(f"{op}: expected a {spatial_dims + 1}-D (unbatched) or {spatial_dims + 2}-D (batched) "
                         f"input, got shape {input.shape}")


def check_groups(op: str, groups, where: str = "", **channels: int) -> None:
    """``groups`` is a positive int that divides each of ``channels`` (``in_channels=3, ...``);
    ``where`` adds context to the message, e.g. ``" (weight shape (8, 4, 3, 3))"``."""
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)):
        raise TypeError(f"{op}: groups must be an int, got {type(groups).__name__} ({groups!r})")
    if groups <= 0:
        raise ShapeError(f"{op}: groups must be a positive integer, got {groups}")
    if any(count % groups for count in channels.values()):
        named = " and ".join(f"{name} ({count})" for name, count in channels.items())
        raise ShapeError(f"{op}: {named} must be divisible by groups ({groups}){where}")


def check_weight_and_bias(op: str, input: Tensor, weight: Tensor, bias: Tensor | None, out_channels: int) -> None:
    """The input has the weight's dtype; a bias is ``(out_channels,)`` of that dtype too."""
    if input.dtype != weight.dtype:
        raise DtypeError(f"{op}: input is {input.dtype} but weight is {weight.dtype}; convert one, "
                         "e.g. input.to(weight.dtype)")
    if bias is None:
        return
    if bias.shape != (out_channels,):
        raise ShapeError(f"{op}: bias should have shape ({out_channels},), got {bias.shape}")
    if bias.dtype != weight.dtype:
        raise DtypeError(f"{op}: bias is {bias.dtype} but weight is {weight.dtype}; convert one, e.g. bias.to(weight.dtype)")
