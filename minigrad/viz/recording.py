"""What drawing needs to know about each graph node beyond what the engine keeps.

Registered on the engine's hooks (``minigrad.autograd.hooks``) when ``minigrad.viz`` is
imported, it keeps, in tables keyed weakly by node (an entry goes with its node):

* the labels the node was recorded under (``minigrad.nn.scope``: its modules and composite
  ops) and weak references to its inputs that need no gradient (an image batch, the labels):
  the engine keeps no edge to those, but the drawing shows them;
* inside ``record_grad_norms()``, the norm of the gradient of each of the node's outputs.
"""
from __future__ import annotations

import weakref

import numpy as np

from minigrad.autograd.function import Function
from minigrad.autograd.hooks import on_backward, on_record
from minigrad.nn.scope import current_scope
from minigrad.tensor import Tensor

_recorded: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # node -> (labels, constants)
_grad_norms: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # node -> norm per output


def _remember(node: Function, inputs: tuple, outputs: tuple) -> None:
    constants: tuple = ()
    for position, a in enumerate(inputs):  # a loop, not a comprehension: this runs for every op
        if isinstance(a, Tensor) and not a._requires_grad:
            constants += ((position, weakref.ref(a)),)
    labels = current_scope()
    if labels or constants:  # most nodes outside modules have neither: no entry, no cost
        _recorded[node] = (labels, constants)


on_record(_remember)


def labels(node: Function) -> tuple:
    """The ``scope`` labels (modules, composites) active when ``node`` was recorded."""
    return _recorded.get(node, ((), ()))[0]


def constants(node: Function) -> dict[int, Tensor]:
    """``node``'s inputs that need no gradient and still exist, by argument position."""
    alive = {}
    for position, ref in _recorded.get(node, ((), ()))[1]:
        tensor = ref()
        if tensor is not None:
            alive[position] = tensor
    return alive


def grad_norms(node: Function) -> tuple | None:
    """The norm of the gradient of each of ``node``'s outputs in the last backward pass run
    inside ``record_grad_norms()`` (None for an output that got no gradient), or None."""
    return _grad_norms.get(node)


def _store_norms(node: Function, grad_outputs: tuple) -> None:
    _grad_norms[node] = tuple(None if g is None else float(np.linalg.norm(g._data)) for g in grad_outputs)


class record_grad_norms:
    """Context manager: backward passes run inside it remember the norm of the gradient of
    every recorded tensor, which ``draw_graph(show_grads=True)`` shows on intermediate tensors
    (parameters show their ``.grad`` anyway).

    Off by default because it costs one extra pass over every activation gradient.

    >>> import minigrad as mg
    >>> x = mg.tensor([3.0, 4.0], requires_grad=True)
    >>> y = x * 1.0
    >>> with mg.viz.record_grad_norms():
    ...     (y * y).sum().backward()
    >>> mg.viz.recording.grad_norms(y.grad_fn)
    (10.0,)
    """

    def __init__(self) -> None:
        self._handles: list = []

    def __enter__(self) -> None:
        self._handles.append(on_backward(_store_norms))

    def __exit__(self, *exc) -> None:
        self._handles.pop().remove()
