"""``Generator``: a random number generator with its own state, as ``torch.Generator``.

Pass one to whatever takes ``generator=`` (``DataLoader``, ``RandomSampler``, ``random_split``)
to make that one thing reproducible without touching minigrad's global generator
(``mg.manual_seed``). Inside it is a ``numpy.random.Generator`` (PCG64); the numbers differ from
PyTorch's, the behaviour does not: a new Generator starts from PyTorch's default seed, so two
fresh Generators give the same numbers, and ``manual_seed`` returns the generator itself.

>>> from minigrad.generator import Generator
>>> a, b = Generator().manual_seed(42), Generator().manual_seed(42)
>>> numpy_generator(a).permutation(5).tolist() == numpy_generator(b).permutation(5).tolist()
True
"""
from __future__ import annotations

import secrets

import numpy as np

from minigrad.random import default_generator
from minigrad.tensor import Tensor

DEFAULT_SEED = 67280421310721  # what torch.Generator().initial_seed() returns
_UINT64 = 2 ** 64
_STATE_BYTES = 8 + 16 + 16 + 4 + 4  # seed, PCG64 state and increment, the buffered 32-bit half


class Generator:
    """A random number generator with its own state.

    ``manual_seed(seed)`` reseeds it and returns it; ``seed()`` reseeds it from the operating
    system's entropy and returns the new seed; ``initial_seed()`` is the last seed;
    ``get_state()`` is a uint8 Tensor that ``set_state`` restores.
    """

    def __init__(self, device: str = "cpu") -> None:
        if str(device) != "cpu":
            raise RuntimeError(f"Generator: minigrad runs on the CPU only, got device={device!r}")
        self.device = "cpu"
        self.manual_seed(DEFAULT_SEED)

    def manual_seed(self, seed: int) -> "Generator":
        """Reseed with ``seed`` (any integer from -2**63 to 2**64 - 1; negatives wrap as in PyTorch)."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
        seed = int(seed)
        if not -2 ** 63 <= seed < _UINT64:
            raise RuntimeError(f"manual_seed: seed {seed} is out of range [-2**63, 2**64)")
        self._seed = seed % _UINT64
        self._rng = np.random.default_rng(self._seed)
        return self

    def _seed_numpy(self, entropy) -> "Generator":
        """Reseed from any seed numpy takes, such as a pair ``(seed, epoch)`` (the DataLoader's epochs)."""
        self._rng = np.random.default_rng(entropy)
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy; returns the new seed."""
        seed = secrets.randbits(64)
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        """The state as a uint8 Tensor (48 bytes), for ``set_state``."""
        state = self._rng.bit_generator.state
        raw = (self._seed.to_bytes(8, "little") + state["state"]["state"].to_bytes(16, "little")
               + state["state"]["inc"].to_bytes(16, "little") + int(state["has_uint32"]).to_bytes(4, "little")
               + int(state["uinteger"]).to_bytes(4, "little"))
        return Tensor._make(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, new_state) -> "Generator":
        """Restore a state returned by ``get_state``; returns the generator."""
        raw = np.asarray(new_state)
        if raw.dtype != np.uint8 or raw.shape != (_STATE_BYTES,):
            raise RuntimeError(f"Generator.set_state: expected the uint8 state of {_STATE_BYTES} bytes that "
                               f"get_state() returns, got dtype {raw.dtype} and shape {raw.shape}")
        raw = raw.tobytes()
        rng = np.random.default_rng()
        rng.bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {"state": int.from_bytes(raw[8:24], "little"), "inc": int.from_bytes(raw[24:40], "little")},
            "has_uint32": int.from_bytes(raw[40:44], "little"), "uinteger": int.from_bytes(raw[44:48], "little"),
        }
        self._seed, self._rng = int.from_bytes(raw[:8], "little"), rng
        return self

    def __repr__(self) -> str:
        return f"<minigrad.Generator initial_seed={self._seed}>"


def numpy_generator(generator: "Generator | np.random.Generator | None" = None) -> np.random.Generator:
    """The numpy generator to draw from: ``generator``'s own, or minigrad's global one for ``None``
    (the one ``mg.manual_seed`` reseeds). A ``numpy.random.Generator`` is used as it is."""
    if generator is None:
        generator = default_generator()
    if isinstance(generator, Generator):
        return generator._rng
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(f"expected a minigrad.Generator (or None), got {type(generator).__name__}")


__all__ = ["DEFAULT_SEED", "Generator", "numpy_generator"]
