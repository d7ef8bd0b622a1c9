import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import minigrad as mg  # noqa: E402


@pytest.fixture(autouse=True)
def _seeded():
    """Every test starts from the same generator state and the default dtype."""
    mg.manual_seed(0)
    yield
    mg.set_default_dtype(mg.float32)
