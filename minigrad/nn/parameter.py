"""``Parameter``: a leaf Tensor that a Module registers as learnable."""
from __future__ import annotations

from typing import Any

from minigrad.tensor import Tensor, _to_array


class Parameter(Tensor):
    """A Tensor that requires grad (by default) and is registered when assigned to a Module.

    >>> import minigrad as mg, minigrad.nn as nn
    >>> p = nn.Parameter(mg.zeros(2))
    >>> p.requires_grad, isinstance(p, mg.Tensor)
    (True, True)
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        super().__init__(_to_array(data) if data is not None else _to_array([]), requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
