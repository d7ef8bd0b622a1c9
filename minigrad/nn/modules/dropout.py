"""``Dropout``: active in training mode, the identity after ``model.eval()``."""
from __future__ import annotations

from minigrad.nn import functional as F
from minigrad.nn.functional.dropout import check_probability
from minigrad.nn.modules.module import Module
from minigrad.tensor import Tensor


class Dropout(Module):
    """Inverted dropout with probability ``p`` (see ``F.dropout``); follows ``train``/``eval``."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        check_probability(p)
        self.p, self.inplace = p, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout2d(Dropout):
    """Channel dropout with probability ``p`` (see ``F.dropout2d``): whole feature maps are zeroed;
    follows ``train``/``eval``."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout2d(input, self.p, self.training, self.inplace)
