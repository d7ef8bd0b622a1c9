"""Labels on the ops being recorded: the modules (and composite ops) they run inside.

``Module.__call__`` enters ``scope(module)`` around ``forward``, and a function made of several
ops, such as ``cross_entropy`` (log-softmax, then the negative log-likelihood), enters
``composite(name, *inputs, **attributes)``. The engine knows nothing of either: readers of the
stack are the error messages of modules (which name the failing layer from its root module)
and tools that register on the engine's record hook (``minigrad.autograd.hooks``), such as
graph drawing, which groups ops by module and draws a composite as one node, and ONNX export,
which names nodes after their module.

The stack is per thread, like grad mode: a model running in one thread does not label the ops
of another.

>>> import minigrad as mg
>>> from minigrad.nn.scope import composite, current_scope
>>> with composite("double", mg.ones(2), factor=2):
...     [label.name for label in current_scope()]
['double']
"""
from __future__ import annotations

import threading
import weakref
from typing import Any

from minigrad.tensor import Tensor


class _Stack(threading.local):
    current: tuple = ()


_stack = _Stack()


class scope:
    """Context manager that adds ``label`` (a module, a ``Composite``) to the labels of the ops
    recorded inside it."""

    __slots__ = ("label", "_outer")

    def __init__(self, label: Any) -> None:
        self.label = label

    def __enter__(self) -> None:
        self._outer = _stack.current
        _stack.current = self._outer + (self.label,)

    def __exit__(self, *exc) -> None:
        _stack.current = self._outer


def current_scope() -> tuple:
    """The labels of the enclosing ``scope`` blocks in this thread, outermost first."""
    return _stack.current


class Composite:
    """The label of an op made of several recorded ops (``cross_entropy``, ``interpolate``, ...).

    ``constants`` are weak references to the inputs that need no gradient (an image batch, the
    labels): the ops on them alone are not recorded, so a drawing learns about them from here.
    """

    __slots__ = ("name", "attributes", "constants")

    def __init__(self, name: str, attributes: dict, inputs: tuple = ()) -> None:
        self.name = name
        self.attributes = attributes
        self.constants = tuple(weakref.ref(t) for t in inputs if isinstance(t, Tensor) and not t._requires_grad)

    def __repr__(self) -> str:
        return f"Composite({self.name!r})"


def composite(name: str, *inputs: Any, **attributes: Any) -> scope:
    """Label the ops recorded inside as the parts of one op ``name``::

        with composite("cross_entropy", input, target, reduction=reduction):
            ...
    """
    return scope(Composite(name, attributes, inputs))
