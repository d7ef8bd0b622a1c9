"""minigrad's random number generator.

Every random draw in minigrad (``randn``, ``rand``, weight initialisation, dropout masks, data
shuffling without an explicit seed) comes from one ``numpy.random.Generator``, so a single
``mg.manual_seed(0)`` makes a whole run reproducible.
"""
from __future__ import annotations

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed minigrad's generator; returns it.

    >>> import minigrad as mg
    >>> _ = mg.manual_seed(0); a = mg.randn(3)
    >>> _ = mg.manual_seed(0); b = mg.randn(3)
    >>> bool((a == b).all())
    True
    """
    global _generator, _initial_seed
    _generator = np.random.default_rng(seed)
    _initial_seed = int(seed)
    return _generator


def default_generator() -> np.random.Generator:
    """The generator that minigrad draws from (reseeded by ``manual_seed``)."""
    return _generator


def get_rng_state() -> dict:
    """The generator's state, for checkpoints (a nested dict of numbers)."""
    return _generator.bit_generator.state


def set_rng_state(state: dict) -> None:
    """Restore a state returned by :func:`get_rng_state`."""
    _generator.bit_generator.state = state


_initial_seed: int | None = None


def seed() -> int:
    """Reseed minigrad's generator from the operating system's entropy; returns the seed."""
    new_seed = int(np.random.SeedSequence().entropy % 2 ** 63)
    manual_seed(new_seed)
    return new_seed


def initial_seed() -> int | None:
    """The seed last given to :func:`manual_seed` (or :func:`seed`)."""
    return _initial_seed
