"""Whether operations record the graph: ``no_grad``, ``enable_grad``, ``set_grad_enabled``.

All three work as context managers and as decorators::

    with mg.no_grad():
        y = model(x)          # nothing is recorded, nothing is saved for backward

    @mg.no_grad()
    def evaluate(model, x): ...
"""
from __future__ import annotations

import contextlib
import threading


class _GradState(threading.local):
    """Grad mode is per thread, as in PyTorch: one thread's ``no_grad`` (or the engine
    switching recording off while it runs an op's forward) leaves every other thread alone.
    A new thread starts with recording on."""

    enabled = True


grad_state = _GradState()


def is_grad_enabled() -> bool:
    """True when new operations are recorded for backward."""
    return grad_state.enabled


class set_grad_enabled:
    """Turn graph recording on or off at once; as a context manager, restore it on exit.

    >>> import minigrad as mg
    >>> with mg.set_grad_enabled(False):
    ...     mg.is_grad_enabled()
    False
    """

    def __init__(self, mode: bool) -> None:
        self._previous = grad_state.enabled
        grad_state.enabled = bool(mode)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        grad_state.enabled = self._previous


class _GradModeContext(contextlib.ContextDecorator):
    mode = True

    def __init__(self) -> None:
        self._previous: list[bool] = []

    def _recreate_cm(self):
        # a decorated function gets a fresh context per call, so that two threads calling it
        # at once do not share the stack of previous modes
        return type(self)()

    def __enter__(self) -> None:
        self._previous.append(grad_state.enabled)
        grad_state.enabled = self.mode

    def __exit__(self, *exc) -> None:
        grad_state.enabled = self._previous.pop()


class no_grad(_GradModeContext):
    """Context manager and decorator that stops graph recording (for evaluation, updates)."""

    mode = False


class enable_grad(_GradModeContext):
    """Context manager and decorator that turns graph recording back on inside ``no_grad``."""

    mode = True


class inference_mode(_GradModeContext):
    """``no_grad`` under PyTorch's other name (``inference_mode(False)`` records again)."""

    def __init__(self, mode: bool = True) -> None:
        super().__init__()
        self.mode = not mode

    def _recreate_cm(self):
        return type(self)(not self.mode)
