"""``Unflatten``: split one dimension into several (the inverse of ``Flatten``)."""
from __future__ import annotations

import numpy as np

from minigrad.errors import ShapeError
from minigrad.nn.modules.module import Module
from minigrad.ops._util import normalize_dim
from minigrad.tensor import Tensor


class Unflatten(Module):
    """Reshape dimension ``dim`` into ``unflattened_size`` (one entry may be -1, inferred)::

        (N, C*H*W) -> Unflatten(1, (C, H, W)) -> (N, C, H, W)

    >>> import minigrad as mg
    >>> from minigrad.nn.modules.flatten import Unflatten
    >>> Unflatten(1, (2, 3))(mg.zeros(4, 6)).shape
    (4, 2, 3)
    """

    def __init__(self, dim: int, unflattened_size: tuple[int, ...] | list[int]) -> None:
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError(f"unflattened_size must be a tuple of ints, but found type {type(unflattened_size).__name__}")
        for position, size in enumerate(unflattened_size):
            if not isinstance(size, (int, np.integer)) or isinstance(size, bool):
                raise TypeError(f"unflattened_size must be tuple of ints, but found element of type "
                                f"{type(size).__name__} at pos {position}")
        if list(unflattened_size).count(-1) > 1:
            raise RuntimeError(f"unflatten: only one dimension can be inferred (unflattened_size {unflattened_size})")
        self.dim, self.unflattened_size = dim, unflattened_size

    def forward(self, input: Tensor) -> Tensor:
        dim = normalize_dim(self.dim, input.ndim, "unflatten")
        sizes = list(self.unflattened_size)
        known = int(np.prod([s for s in sizes if s != -1]))
        length = input.shape[dim]
        fits = known != 0 and length % known == 0 if -1 in sizes else known == length
        if not fits:
            raise ShapeError(f"unflatten: Provided sizes {list(self.unflattened_size)} don't multiply up to the "
                             f"size of dim {self.dim} ({length}) in the input tensor (input shape {input.shape})")
        if -1 in sizes:
            sizes[sizes.index(-1)] = length // known
        return input.reshape(input.shape[:dim] + tuple(sizes) + input.shape[dim + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
