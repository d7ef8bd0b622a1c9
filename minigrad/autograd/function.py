"""``Function``: one differentiable operation, and the node it leaves in the graph.

Every op in minigrad, built in or written by a user, is a subclass of ``Function`` with two
static methods::

    class Power(Function):
        @staticmethod
        def forward(ctx, x, exponent):    # runs on the data, never recorded
            ctx.save_for_backward(x)      # Tensors (inputs or outputs) that backward needs
            return x._data ** exponent

        @staticmethod
        def backward(ctx, grad):          # written with Tensor ops, so it is differentiable too
            (x,) = ctx.saved_tensors
            return grad * ctx.exponent * x ** (ctx.exponent - 1)

    y = Power.apply(x, exponent=3)

What backward needs reaches it by one of two roads. Tensors go through ``save_for_backward``,
which remembers their versions so that an in-place change in between is caught. Everything else
is a named attribute of ``ctx``: the keyword arguments of ``apply`` are there already
(``ctx.exponent``; a name of ``Function``'s own is refused when the class is defined), and
``forward`` sets any other (``ctx.input_shape = x.shape``). What ``forward`` set is freed with
the saved Tensors when the node is released; the keyword arguments stay with the node, and tools
that show or export an op read them as the read-only mapping ``ctx.attributes``.

``apply`` runs ``forward`` with recording switched off, wraps the result in Tensors and, when an
input requires grad, makes the ``ctx`` object the ``grad_fn`` of the outputs. ``ctx`` is thus the
graph node: it holds the edges to the inputs' nodes (``next_functions``) and what ``forward``
saved. The engine (``engine.py``) walks these nodes backwards.

Saved outputs are stored without a reference to their Tensor (which would make a reference
cycle ``output -> grad_fn -> output``); ``saved_tensors`` rebuilds them with ``grad_fn = ctx``,
which keeps gradients of gradients exact.

The engine sits below the Tensor class and the ops, yet wraps arrays in Tensors and refreshes
views that an in-place op left stale. ``minigrad.tensor`` hands it both once, at import, with
:func:`bind_tensor`; nothing in this package imports the layers above it.
"""
from __future__ import annotations

import inspect
from types import MappingProxyType
from typing import Any, Callable

import numpy as np

from minigrad.autograd.grad_mode import grad_state
from minigrad.autograd.hooks import callbacks

FREED_MESSAGE = (
    "{op}: trying to backward through the graph a second time (or to read saved tensors after "
    "they were freed). The values saved for backward are freed when you call .backward() or "
    "autograd.grad(). Pass retain_graph=True to the first call if you need to go backward "
    "through the same graph again."
)


MODIFIED_MESSAGE = (
    "one of the variables needed for gradient computation has been modified by an inplace "
    "operation: [minigrad.{dtype} {shape}], which is {owner}, is at version {now}; expected "
    "version {saved} instead. Hint: an in-place operation (add_, +=, t[i] = v, an optimizer "
    "step, ...) changed it after the forward that saved it and before this backward; use the "
    "out-of-place form, call .clone() first, or run the backward before the update."
)


class _SavedOutput:
    """An output of the node itself, saved by ``save_for_backward``: its data and version
    counter, no Tensor (that would be a reference cycle)."""

    __slots__ = ("index", "_data", "counter", "version")

    def __init__(self, index: int, data: np.ndarray, counter: list) -> None:
        self.index = index
        self._data = data
        self.counter = counter
        self.version = counter[0]


#: the Tensor class and the ops' view refresher, handed over once by ``minigrad.tensor``
Tensor: type = type(None)
refresh_view: Callable[[Any], None] = None


def bind_tensor(tensor_class: type, refresh_view_function: Callable[[Any], None]) -> None:
    """Give the engine the Tensor class (``forward``'s results are wrapped in it) and the
    function that gives a view whose root was changed in place a fresh ``grad_fn``
    (``minigrad.ops.inplace.refresh_view``). Called once, at the end of ``minigrad.tensor``."""
    global Tensor, refresh_view
    Tensor = tensor_class
    refresh_view = refresh_view_function


def _output(raw: Any):
    """A Tensor around what ``forward`` returned (an array, a number or a Tensor)."""
    return Tensor._make(raw._data if isinstance(raw, Tensor) else np.asarray(raw))


class Function:
    """Base class of differentiable operations; see the module docstring.

    Subclasses define ``forward(ctx, *args, **kwargs)`` and ``backward(ctx, *grad_outputs)``.
    ``backward`` returns one gradient per positional argument of ``forward`` (``None`` for
    arguments that are not Tensors or need no gradient) and should be written with Tensor
    operations, so that ``create_graph=True`` can differentiate it again.
    """

    #: pass zero Tensors (not ``None``) to backward for outputs that received no gradient
    materialize_grads = True

    __slots__ = (
        "next_functions", "needs_input_grad", "_saved", "_versions", "_freed", "_outputs", "_hooks",
        "_retained", "_attrs", "_may_release", "__dict__", "__weakref__",
    )

    # -- the two methods a subclass writes -----------------------------------------------------
    @staticmethod
    def forward(ctx: "Function", *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("a Function subclass must define forward(ctx, *args)")

    @staticmethod
    def backward(ctx: "Function", *grad_outputs: Any) -> Any:
        raise NotImplementedError("a Function subclass must define backward(ctx, *grad_outputs)")

    @staticmethod
    def setup_context(ctx: "Function", inputs: tuple, output: Any) -> None:
        """PyTorch 2's other style: a subclass that defines ``setup_context`` writes
        ``forward(*inputs)`` without ``ctx`` and saves what backward needs here."""
        raise NotImplementedError

    def mark_dirty(self, *tensors: Any) -> None:
        """Declare inputs that ``forward`` changed in place: their versions move on, so that
        graph nodes that saved their old values refuse to use them."""
        for t in tensors:
            if t._vc is None:
                t._vc = [0]
            t._vc[0] += 1

    def mark_non_differentiable(self, *tensors: Any) -> None:
        """Accepted for PyTorch compatibility: integer outputs never require grad here, and the
        gradient that reaches a float output marked so is simply not used by its backward."""

    def set_materialize_grads(self, value: bool) -> None:
        """Whether backward gets zero Tensors (True, the default) or None for outputs that
        received no gradient."""
        self.__dict__["materialize_grads"] = bool(value)

    # -- what forward and backward use ---------------------------------------------------------
    def save_for_backward(self, *tensors: Any) -> None:
        """Keep inputs or outputs (Tensors or arrays) for backward; read with ``saved_tensors``.

        Each saved Tensor's version is remembered: if an in-place op changes it before
        backward, reading ``saved_tensors`` raises instead of using the changed values."""
        self._saved = tensors
        self._versions = [t._vc[0] if isinstance(t, Tensor) and t._vc is not None else 0 for t in tensors]

    def release_saved(self) -> None:
        """Drop the saved values (and the named attributes forward stored on ``ctx``) now, inside
        ``backward``, once they have been unpacked: the buffers can then be freed as soon as
        backward's local references go; apply's keyword arguments stay readable. Does nothing
        when the graph is being retained (``retain_graph=True`` or ``create_graph=True``)."""
        if getattr(self, "_may_release", False):
            self._saved = None
            self.__dict__.clear()
            self._freed = True

    @property
    def saved_tensors(self) -> tuple:
        if self._freed:
            raise RuntimeError(FREED_MESSAGE.format(op=self.name()))
        saved = self._saved or ()
        return tuple([self._unpack(item, version) for item, version in zip(saved, self._versions)])

    def _unpack(self, item: Any, version: int) -> Any:
        if isinstance(item, Tensor):
            if item._vc is not None and item._vc[0] != version:
                self._raise_modified(item, item._vc[0], version)
            return item
        if isinstance(item, _SavedOutput):
            if item.counter[0] != item.version:
                self._raise_modified(item, item.counter[0], item.version)
            out = Tensor._make(item._data)
            if item._data.dtype.kind == "f":
                out._requires_grad = True
                out.grad_fn = self
                out._output_nr = item.index
            return out
        return item

    def _raise_modified(self, item: Any, now: int, saved: int):
        if isinstance(item, _SavedOutput):
            owner = f"output {item.index} of {self!r}"
        elif item.grad_fn is not None:
            owner = f"output {item._output_nr} of {item.grad_fn!r}"
        else:
            owner = "a leaf tensor" if item._requires_grad else "a tensor that does not require grad"
        raise RuntimeError(MODIFIED_MESSAGE.format(
            dtype=item._data.dtype, shape=list(item._data.shape), owner=owner, now=now, saved=saved,
        ) + f" (the saved value was needed by {self!r})")

    # -- recording -------------------------------------------------------------------------------
    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward`` on the arguments and record the node when any input requires grad."""
        previous = grad_state.enabled
        if previous:
            for a in args:
                if isinstance(a, Tensor) and a._view is not None and a._view[2] != a._vc[0]:
                    refresh_view(a)  # its root changed in place since the view was made
        ctx = object.__new__(cls)
        ctx._saved = None
        ctx._versions = ()
        ctx._freed = False
        needs = tuple([isinstance(a, Tensor) and a._requires_grad for a in args])
        ctx.needs_input_grad = needs
        ctx._attrs = kwargs
        grad_state.enabled = False
        try:
            if cls.setup_context is _BASE_SETUP_CONTEXT:
                raw = cls.forward(ctx, *args, **kwargs)
            else:
                raw = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, raw)
        finally:
            grad_state.enabled = previous
        if isinstance(raw, tuple):
            outputs = tuple([_output(r) for r in raw])
            if previous and True in needs:
                ctx._record(args, kwargs, raw, outputs)
            return outputs
        output = _output(raw)
        if previous and True in needs:
            ctx._record(args, kwargs, (raw,), (output,))
        return output

    def _record(self, args: tuple, kwargs: dict, raws: tuple, outputs: tuple) -> None:
        edges = []
        for a in args:
            if not isinstance(a, Tensor) or not a._requires_grad:
                edges.append(None)
            elif a.grad_fn is not None:
                edges.append((a.grad_fn, a._output_nr))
            else:
                edges.append((a, 0))  # a leaf: its gradient accumulates into a.grad
        self.next_functions = tuple(edges)
        self._outputs = tuple([(out._data.shape, out._data.dtype) for out in outputs])
        self._hooks = None
        self._retained = None
        self._may_release = False
        for index, out in enumerate(outputs):
            if out._data.dtype.kind == "f":
                out._requires_grad = True
                out.grad_fn = self
                out._output_nr = index
        if self._saved:
            self._saved = tuple(self._mark_output(item, raws, outputs) for item in self._saved)
        if callbacks.record:
            for callback in callbacks.record:
                callback(self, args, outputs)

    @staticmethod
    def _mark_output(item: Any, raws: tuple, outputs: tuple) -> Any:
        for index, raw in enumerate(raws):
            if item is raw:
                out = outputs[index]
                if out._vc is None:
                    out._vc = [0]
                return _SavedOutput(index, out._data, out._vc)
        return item

    # -- used by the engine ------------------------------------------------------------------------
    def _release(self) -> None:
        """Free what forward saved; a later backward through this node raises."""
        if self._saved is not None or self.__dict__:
            self._saved = None
            self.__dict__.clear()
            self._freed = True

    def name(self) -> str:
        """The op's name as shown in errors, e.g. ``Convolution``."""
        return type(self).__name__

    @property
    def attributes(self) -> MappingProxyType:
        """The keyword arguments the op was called with (window, groups, ...), read-only: what
        graph drawing and ONNX export show of an op's configuration."""
        return MappingProxyType(self._attrs)

    def __getattr__(self, name: str) -> Any:
        # reached only when ordinary lookup fails: apply's keyword arguments read as ctx.window.
        # They stay with the node after it is released, as ``attributes`` does.
        try:
            return object.__getattribute__(self, "_attrs")[name]
        except (AttributeError, KeyError):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}") from None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A keyword argument of ``forward`` may not shadow what every node has.

        >>> class Labelled(Function):
        ...     @staticmethod
        ...     def forward(ctx, x, name):
        ...         return x._data
        Traceback (most recent call last):
        ...
        TypeError: Labelled.forward: argument 'name' has the name of Function.name; ...
        """
        super().__init_subclass__(**kwargs)
        for name in _argument_names(cls.forward):
            if name in _RESERVED:
                raise TypeError(
                    f"{cls.__name__}.forward: argument {name!r} has the name of Function.{name}; backward "
                    f"reads apply's keyword arguments as ctx.<name>, so give it another name"
                )

    def register_hook(self, output_nr: int, hook) -> None:
        if self._hooks is None:
            self._hooks = {}
        self._hooks.setdefault(output_nr, []).append(hook)

    def __repr__(self) -> str:
        return f"<{self.name()}Backward>"


_BASE_SETUP_CONTEXT = Function.setup_context
_RESERVED = frozenset(dir(Function))


def _argument_names(forward: Callable) -> list[str]:
    try:
        parameters = inspect.signature(forward).parameters.values()
    except (TypeError, ValueError):
        return []
    plain = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [p.name for p in parameters if p.kind in plain and p.name != "ctx"]
