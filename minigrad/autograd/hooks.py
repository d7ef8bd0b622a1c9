"""The engine's extension points: callbacks for tools built on top of it.

Tools built on the engine may need to know more about each graph node than the backward pass
does. Instead of the engine keeping that for them, they register here and keep their own data,
typically in a ``weakref.WeakKeyDictionary`` keyed by node, so that it goes when the graph goes:

* ``on_record(callback)``: ``callback(node, inputs, outputs)`` runs each time ``Function.apply``
  records a node; ``inputs`` are the positional arguments of ``forward`` (Tensors or not),
  ``outputs`` the tuple of output Tensors.
* ``on_backward(callback)``: ``callback(node, grad_outputs)`` runs during a backward pass when
  the gradients of the node's outputs are complete, before its ``backward`` turns them into
  gradients for its inputs; ``grad_outputs`` has one Tensor per output (None where no gradient
  arrived).

Each returns a handle whose ``remove()`` (or the end of its ``with`` block) unregisters the
callback. Callbacks run in the thread that records or runs the backward pass, for every
thread's graphs (a backward callback with recording on only under ``create_graph=True``, as
the pass itself). With none registered the engine only tests an empty tuple.

>>> import minigrad as mg
>>> from minigrad.autograd.hooks import on_record
>>> seen = []
>>> with on_record(lambda node, inputs, outputs: seen.append(node.name())):
...     y = mg.tensor([1.0], requires_grad=True).exp() * 2
>>> seen
['Exp', 'Mul']
"""
from __future__ import annotations

import threading
from typing import Callable


class _Callbacks:
    """The registered callbacks. Registering replaces a tuple, so the engine reads them
    without a lock while another thread registers."""

    __slots__ = ("record", "backward")

    def __init__(self) -> None:
        self.record: tuple[Callable, ...] = ()
        self.backward: tuple[Callable, ...] = ()


callbacks = _Callbacks()
_lock = threading.Lock()


class RemovableHandle:
    """Unregisters its callback on ``remove()``, or at the end of a ``with`` block."""

    def __init__(self, kind: str, callback: Callable) -> None:
        self._kind, self._callback, self._removed = kind, callback, False
        with _lock:
            setattr(callbacks, kind, getattr(callbacks, kind) + (callback,))

    def remove(self) -> None:
        with _lock:
            if self._removed:
                return
            self._removed = True
            registered = list(getattr(callbacks, self._kind))
            registered.remove(self._callback)  # one registration: the same callback may have several
            setattr(callbacks, self._kind, tuple(registered))

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def on_record(callback: Callable) -> RemovableHandle:
    """Call ``callback(node, inputs, outputs)`` whenever a graph node is recorded."""
    return RemovableHandle("record", callback)


def on_backward(callback: Callable) -> RemovableHandle:
    """Call ``callback(node, grad_outputs)`` when backward has the complete gradients of a
    node's outputs, before the node's ``backward`` runs."""
    return RemovableHandle("backward", callback)
