"""``minigrad.utils``, as ``torch.utils``: for now the data tools, ``minigrad.utils.data``."""
from minigrad.utils import data

__all__ = ["data"]
