"""Whether operations record the graph: ``no_grad``, ``enable_grad``, ``set_grad_enabled``.

All three work as context managers and as decorators::

    with mg.no_grad():
        y = model(x)          # nothing is recorded, nothing is saved for backward

    @mg.no_grad()
    def evaluate(model, x): ...
"""
from __future__ import annotations

import contextlib


class _GradState:
    # One flag for the whole process, as in PyTorch's default (single-threaded) use.
    enabled = True


def is_grad_enabled() -> bool:
    """True when new operations are recorded for backward."""
    return _GradState.enabled


class set_grad_enabled:
    """Turn graph recording on or off at once; as a context manager, restore it on exit.

    >>> import minigrad as mg
    >>> with mg.set_grad_enabled(False):
    ...     mg.is_grad_enabled()
    False
    """

    def __init__(self, mode: bool) -> None:
        self._previous = _GradState.enabled
        _GradState.enabled = bool(mode)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        _GradState.enabled = self._previous


class _GradModeContext(contextlib.ContextDecorator):
    mode = True

    def __init__(self) -> None:
        self._previous: list[bool] = []

    def __enter__(self) -> None:
        self._previous.append(_GradState.enabled)
        _GradState.enabled = self.mode

    def __exit__(self, *exc) -> None:
        _GradState.enabled = self._previous.pop()


class no_grad(_GradModeContext):
    """Context manager and decorator that stops graph recording (for evaluation, updates)."""

    mode = False


class enable_grad(_GradModeContext):
    """Context manager and decorator that turns graph recording back on inside ``no_grad``."""

    mode = True
