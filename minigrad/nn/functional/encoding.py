"""``one_hot`` (class indices to indicator vectors) and ``normalize`` (vectors to unit p-norm)."""
from __future__ import annotations

import numpy as np

from minigrad.errors import DtypeError
from minigrad.nn.scope import composite
from minigrad.tensor import Tensor


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Class indices ``(*)`` to int64 indicators ``(*, num_classes)``: ``out[..., c] = 1`` where
    ``tensor[...] == c``. ``num_classes=-1`` takes ``tensor.max() + 1``.

    >>> import minigrad as mg
    >>> from minigrad.nn.functional.encoding import one_hot
    >>> one_hot(mg.tensor([0, 2]), 3).tolist()
    [[1, 0, 0], [0, 0, 1]]
    """
    if not isinstance(tensor, Tensor) or tensor.dtype != np.int64:
        dtype = tensor.dtype if isinstance(tensor, Tensor) else type(tensor).__name__
        raise DtypeError(f"one_hot is only applicable to index tensor of type LongTensor. (got {dtype}; "
                         "convert with .long())")
    labels = tensor._data
    if num_classes == -1:
        if labels.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(labels.max()) + 1
    if labels.size:
        if labels.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if labels.max() >= num_classes:
            raise RuntimeError(f"Class values must be smaller than num_classes. (largest {int(labels.max())}, "
                              f"num_classes {num_classes})")
    return Tensor._make((labels[..., None] == np.arange(num_classes)).astype(np.int64))


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Tensor | None = None) -> Tensor:
    """``input / max(||input||_p, eps)`` along ``dim``: each vector scaled to unit p-norm (a zero
    vector stays zero).

    >>> import minigrad as mg
    >>> from minigrad.nn.functional.encoding import normalize
    >>> normalize(mg.tensor([[1.0, -3.0], [0.0, 0.0]]), p=1).tolist()
    [[0.25, -0.75], [0.0, 0.0]]
    """
    with composite("normalize", input, p=p, dim=dim, eps=eps):
        denominator = input.norm(p, dim, keepdim=True).clamp(min=eps).expand_as(input)
        result = input / denominator
    if out is not None:
        out.copy_(result)
        return out
    return result
