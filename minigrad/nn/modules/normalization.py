"""``LocalResponseNorm``: AlexNet's normalisation across channels (see ``F.local_response_norm``)."""
from __future__ import annotations

from minigrad.nn import functional as F
from minigrad.nn.functional.normalization import check_window_size
from minigrad.nn.modules.module import Module
from minigrad.tensor import Tensor


class LocalResponseNorm(Module):
    """``b_c = a_c / (k + alpha/size * sum of a^2 over size channels around c) ** beta``."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__()
        check_window_size("LocalResponseNorm", size)
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
