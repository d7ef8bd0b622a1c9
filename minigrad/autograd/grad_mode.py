"""Whether operations record the graph: ``no_grad``, ``enable_grad``, ``set_grad_enabled``.

All three work as context managers and as decorators::

    with mg.no_grad():
        y = model(x)          # nothing is recorded, nothing is saved for backward

    @mg.no_grad()
    def evaluate(model, x): ...
"""
from __future__ import annotations

import functools
import inspect
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


def _decorate(mode: bool, func):
    """``func`` run with recording set to ``mode`` (for a generator function: each time it resumes,
    as PyTorch does)."""
    if inspect.isgeneratorfunction(func):
        @functools.wraps(func)
        def generator(*args, **kwargs):
            with _Mode(mode):
                gen = func(*args, **kwargs)
                response = gen.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with _Mode(mode):
                        gen.close()
                    raise
                except BaseException as error:  # thrown into the generator: pass it on
                    with _Mode(mode):
                        try:
                            response = gen.throw(error)
                        except StopIteration as stop:
                            return stop.value
                else:
                    with _Mode(mode):
                        try:
                            response = gen.send(request)
                        except StopIteration as stop:
                            return stop.value

        return generator

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with _Mode(mode):
            return func(*args, **kwargs)

    return wrapper


class _Mode:
    """Set recording to ``mode`` for a ``with`` block, restoring the previous mode after."""

    __slots__ = ("mode", "previous")

    def __init__(self, mode: bool) -> None:
        self.mode = mode

    def __enter__(self) -> None:
        self.previous = grad_state.enabled
        grad_state.enabled = self.mode

    def __exit__(self, *exc) -> None:
        grad_state.enabled = self.previous


class set_grad_enabled:
    """Turn graph recording on or off at once; as a context manager, restore it on exit; as a
    decorator, run the function in that mode.

    >>> import minigrad as mg
    >>> with mg.set_grad_enabled(False):
    ...     mg.is_grad_enabled()
    False
    """

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._previous = grad_state.enabled
        grad_state.enabled = self.mode

    def __call__(self, func):
        grad_state.enabled = self._previous  # as a decorator it changes nothing until called
        return _decorate(self.mode, func)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        grad_state.enabled = self._previous


class _GradModeContext:
    """A context manager and decorator (with or without parentheses) that sets grad mode.

    Each ``with`` block keeps its own previous mode, so one object may be entered again, nested,
    or used by several threads, each thread restoring its own mode."""

    mode = True

    def __new__(cls, func=None, *args, **kwargs):
        if callable(func) and not isinstance(func, bool):  # @mg.no_grad without parentheses
            return _decorate(cls.mode, func)
        return super().__new__(cls)

    def __init__(self) -> None:
        self._stack = threading.local()

    def __call__(self, func):
        return _decorate(self.mode, func)

    def __enter__(self) -> None:
        stack = self._stack.__dict__.setdefault("previous", [])
        stack.append(grad_state.enabled)
        grad_state.enabled = self.mode

    def __exit__(self, *exc) -> None:
        grad_state.enabled = self._stack.previous.pop()


class no_grad(_GradModeContext):
    """Context manager and decorator that stops graph recording (for evaluation, updates)."""

    mode = False


class enable_grad(_GradModeContext):
    """Context manager and decorator that turns graph recording back on inside ``no_grad``."""

    mode = True


class inference_mode(_GradModeContext):
    """``no_grad`` under PyTorch's other name (``inference_mode(False)`` records again)."""

    mode = False

    def __init__(self, mode: bool = True) -> None:
        super().__init__()
        self.mode = not mode
