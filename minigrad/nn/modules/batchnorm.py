"""Normalisation layers: ``BatchNorm1d``, ``BatchNorm2d``, ``LayerNorm``, ``GroupNorm``.

The functional forms (and the maths) are in ``minigrad.nn.functional.batchnorm``.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from minigrad import creation
from minigrad.nn import init
from minigrad.nn.functional.batchnorm import batch_norm, check_num_groups, group_norm, layer_norm
from minigrad.nn.modules.module import Module
from minigrad.nn.parameter import Parameter
from minigrad.ops.versions import bump
from minigrad.tensor import Tensor


def _add_affine(module: Module, affine: bool, bias: bool, shape: tuple, dtype) -> None:
    """The learnable scale ``weight`` (ones) and shift ``bias`` (zeros) every normalisation layer
    has when ``affine``; registered as None otherwise, as PyTorch does."""
    module.register_parameter("weight", Parameter(creation.ones(*shape, dtype=dtype)) if affine else None)
    module.register_parameter("bias", Parameter(creation.zeros(*shape, dtype=dtype)) if affine and bias else None)


def _reset_affine(module: Module) -> None:
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class _BatchNorm(Module):
    """Batch normalisation over ``num_features`` channels, as PyTorch's ``_BatchNorm``.

    Parameters ``weight`` (ones) and ``bias`` (zeros) when ``affine``; buffers
    ``running_mean`` (zeros), ``running_var`` (ones) and ``num_batches_tracked`` (int64) when
    ``track_running_stats``. In training the batch statistics are used and the running ones
    updated with ``momentum`` (``None``: a cumulative average, ``1 / num_batches_tracked``); in
    evaluation the running statistics are used. Without running statistics, batch statistics
    are used in both modes.
    """

    _expected = ""  # "2D or 3D", "4D"
    _ndims: tuple = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, dtype=None, *, bias: bool = True) -> None:
        super().__init__()
        if not isinstance(num_features, (int, np.integer)) or num_features <= 0:
            raise ValueError(f"{type(self).__name__}: num_features must be a positive int, got {num_features!r}")
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        _add_affine(self, affine, bias, (self.num_features,), dtype)
        if track_running_stats:
            self.register_buffer("running_mean", creation.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", creation.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", creation.tensor(0, dtype=np.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            for buffer, value in ((self.running_mean, 0), (self.running_var, 1), (self.num_batches_tracked, 0)):
                buffer._data[...] = value
                bump(buffer)

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        # the rank is what tells BatchNorm1d from BatchNorm2d: F.batch_norm takes any (N, C, *)
        if input.ndim not in self._ndims:
            raise ValueError(f"expected {self._expected} input (got {input.ndim}D input)")
        counting = self.training and self.track_running_stats
        factor = 0.0 if self.momentum is None else self.momentum
        if counting and self.momentum is None:  # a cumulative average, this batch included
            factor = 1.0 / (float(self.num_batches_tracked._data) + 1.0)
        use_batch_stats = self.training or self.running_mean is None
        keep = not self.training or self.track_running_stats  # eval without tracking: batch statistics, no update
        output = batch_norm(input, self.running_mean if keep else None, self.running_var if keep else None,
                            self.weight, self.bias, use_batch_stats, factor, self.eps)
        if counting:  # only once batch_norm has accepted the input: a failing call changes no state
            self.num_batches_tracked._data += 1
            bump(self.num_batches_tracked)
        return output

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of ``(N, C)`` or ``(N, C, L)`` inputs, per channel ``C``.

    >>> import minigrad as mg
    >>> from minigrad.nn.modules.batchnorm import BatchNorm1d
    >>> BatchNorm1d(3)(mg.randn(8, 3)).shape
    (8, 3)
    """

    _expected, _ndims = "2D or 3D", (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of ``(N, C, H, W)`` inputs, per channel ``C`` (over N, H and W).

    >>> import minigrad as mg
    >>> from minigrad.nn.modules.batchnorm import BatchNorm2d
    >>> BatchNorm2d(6)(mg.randn(2, 6, 5, 5)).shape
    (2, 6, 5, 5)
    """

    _expected, _ndims = "4D", (4,)


class LayerNorm(Module):
    """Normalise over the last dimensions, ``normalized_shape``; elementwise ``weight`` (ones)
    and ``bias`` (zeros) of that shape.

    >>> import minigrad as mg
    >>> from minigrad.nn.modules.batchnorm import LayerNorm
    >>> LayerNorm(4)(mg.randn(2, 3, 4)).shape
    (2, 3, 4)
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, dtype=None) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
        if not shape or any(not isinstance(n, (int, np.integer)) or n <= 0 for n in shape):
            raise ValueError(f"LayerNorm: normalized_shape must be positive ints, got {normalized_shape!r}")
        self.normalized_shape, self.eps, self.elementwise_affine = tuple(int(n) for n in shape), eps, elementwise_affine
        _add_affine(self, elementwise_affine, bias, self.normalized_shape, dtype)

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"


class GroupNorm(Module):
    """Split ``num_channels`` into ``num_groups`` groups and normalise each sample's group;
    per-channel ``weight`` (ones) and ``bias`` (zeros) when ``affine``.

    >>> import minigrad as mg
    >>> from minigrad.nn.modules.batchnorm import GroupNorm
    >>> GroupNorm(2, 6)(mg.randn(2, 6, 5, 5)).shape
    (2, 6, 5, 5)
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True, dtype=None, *,
                 bias: bool = True) -> None:
        super().__init__()
        check_num_groups("GroupNorm", num_groups, num_channels)
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        _add_affine(self, affine, bias, (num_channels,), dtype)

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, bias={self.bias is not None}"
