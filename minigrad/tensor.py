"""``Tensor``: a numpy array that remembers how it was computed.

A Tensor holds its value in ``.data`` (a ``numpy.ndarray``). When it was produced by an op from
inputs that require grad, ``.grad_fn`` is that op's graph node and ``.backward()`` sends
gradients back through the graph into the ``.grad`` of the leaves.

The methods here are one-liners that call the ops in ``minigrad.ops``, where each op's forward
and backward live side by side.
"""
from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from minigrad import _dtype
from minigrad.errors import DtypeError


def _to_array(data: Any, dtype=None) -> np.ndarray:
    """``data`` as an array, with minigrad's rule for Python data: numbers and lists become the
    default dtype (bools stay bool); numpy arrays keep their dtype."""
    if isinstance(data, Tensor):
        array = data.data
    elif isinstance(data, np.ndarray):
        array = data
    elif isinstance(data, np.generic):
        array = np.asarray(data)
    else:
        if isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in data):
            data = [d.data if isinstance(d, Tensor) else d for d in data]
        array = np.asarray(data)
        if dtype is None and array.dtype.kind in "iuf":
            array = array.astype(_dtype.get_default_dtype())
    if dtype is not None and array.dtype != np.dtype(dtype):
        array = array.astype(dtype)
    return array


class Tensor:
    """A multi-dimensional array with reverse-mode automatic differentiation.

    >>> import minigrad as mg
    >>> x = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad.tolist()
    [[2.0, 4.0], [6.0, 8.0]]
    """

    __slots__ = ("data", "grad", "grad_fn", "_requires_grad", "_output_nr", "_hooks", "name", "__weakref__")
    # numpy defers binary operators to Tensor (so ``array * tensor`` is a Tensor)
    __array_ufunc__ = None

    def __init__(self, data: Any, requires_grad: bool = False, dtype=None) -> None:
        self.data = _to_array(data, dtype)
        self.grad: Tensor | None = None
        self.grad_fn = None
        self._requires_grad = False
        self._output_nr = 0
        self._hooks = None
        self.name: str | None = None
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, data: np.ndarray) -> "Tensor":
        """A Tensor around ``data`` without any checks (used by the ops)."""
        t = object.__new__(cls)
        t.data = data
        t.grad = None
        t.grad_fn = None
        t._requires_grad = False
        t._output_nr = 0
        t._hooks = None
        t.name = None
        return t

    # -- autograd state ---------------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Mark a leaf as needing gradients (only floating tensors can)."""
        if requires_grad and self.data.dtype.kind != "f":
            raise DtypeError(
                f"only floating-point tensors can require gradients, but this tensor is "
                f"{self.data.dtype}; convert it first, e.g. t.float().requires_grad_()"
            )
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad of leaf tensors; use .detach() to get a "
                "tensor that does not require grad"
            )
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def backward(self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        ``gradient`` is required when ``self`` has more than one element. The graph's saved
        values are freed afterwards unless ``retain_graph=True``; ``create_graph=True`` records
        the backward pass so that the gradients can be differentiated again.
        """
        from minigrad.autograd.engine import backward

        backward([self], None if gradient is None else [gradient], retain_graph, create_graph)

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor too (leaves always keep theirs)."""
        import weakref

        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on a tensor that does not require grad")
        if self.grad_fn is None:
            return
        node = self.grad_fn
        if node._retained is None:
            node._retained = {}
        node._retained[self._output_nr] = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        node = self.grad_fn
        return bool(node is not None and node._retained and self._output_nr in node._retained)

    def register_hook(self, hook) -> "_HookHandle":
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned Tensor replaces it."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that does not require grad")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            self._hooks.append(hook)
            return _HookHandle(self._hooks, hook)
        self.grad_fn.register_hook(self._output_nr, hook)
        return _HookHandle(self.grad_fn._hooks[self._output_nr], hook)

    def detach(self) -> "Tensor":
        """The same data, cut from the graph."""
        return Tensor._make(self.data)

    def detach_(self) -> "Tensor":
        self.grad_fn = None
        self._requires_grad = False
        return self

    # -- array facts -----------------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    def dim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def size(self, dim: int | None = None):
        """The shape, or the length of one dimension."""
        if dim is None:
            return self.data.shape
        return self.data.shape[dim]

    def numel(self) -> int:
        return self.data.size

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The underlying array (shared, not copied). As in PyTorch, a tensor that requires grad
        refuses unless ``force=True`` (or call ``.detach().numpy()``): writing into the array
        would change values the graph has saved."""
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self.data

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        return self.data if dtype is None else self.data.astype(dtype)

    def item(self) -> float | int | bool:
        if self.data.size != 1:
            raise RuntimeError(f"a Tensor with {self.data.size} elements cannot be converted to a Python number")
        return self.data.reshape(()).item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor with {self.data.size} elements is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self.data.reshape(()))

    def __iter__(self) -> Iterator["Tensor"]:
        for i in range(len(self)):
            yield self[i]

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(", precision=4)
        extras = []
        if self.data.dtype not in (_dtype.get_default_dtype(), _dtype.int64, _dtype.bool_):
            extras.append(f"dtype=minigrad.{self.data.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    # -- dtype conversion ------------------------------------------------------------------------
    def to(self, dtype) -> "Tensor":
        """A copy in another dtype (differentiable between floating dtypes)."""
        return ops.cast(self, dtype)

    def float(self) -> "Tensor":
        return self.to(_dtype.float32)

    def double(self) -> "Tensor":
        return self.to(_dtype.float64)

    def long(self) -> "Tensor":
        return self.to(_dtype.int64)

    def int(self) -> "Tensor":
        return self.to(_dtype.int32)

    def bool(self) -> "Tensor":
        return self.to(_dtype.bool_)

    def is_floating_point(self) -> bool:
        return self.data.dtype.kind == "f"

    # -- in-place helpers (data only, no graph: for initialisation and updates) ------------------
    def zero_(self) -> "Tensor":
        self.data[...] = 0
        return self

    def fill_(self, value: float) -> "Tensor":
        self.data[...] = value
        return self

    def copy_(self, other: Any) -> "Tensor":
        self.data[...] = other.data if isinstance(other, Tensor) else other
        return self

    def clone(self) -> "Tensor":
        """A differentiable copy."""
        return ops.clone(self)

    # -- arithmetic -----------------------------------------------------------------------------
    def __add__(self, other): return ops.add(self, other)
    def __radd__(self, other): return ops.add(other, self)
    def __sub__(self, other): return ops.sub(self, other)
    def __rsub__(self, other): return ops.sub(other, self)
    def __mul__(self, other): return ops.mul(self, other)
    def __rmul__(self, other): return ops.mul(other, self)
    def __truediv__(self, other): return ops.div(self, other)
    def __rtruediv__(self, other): return ops.div(other, self)
    def __pow__(self, exponent): return ops.pow(self, exponent)
    def __rpow__(self, base): return ops.pow(base, self)
    def __matmul__(self, other): return ops.matmul(self, other)
    def __rmatmul__(self, other): return ops.matmul(other, self)
    def __neg__(self): return ops.neg(self)
    def __pos__(self): return self

    def add(self, other): return ops.add(self, other)
    def sub(self, other): return ops.sub(self, other)
    def mul(self, other): return ops.mul(self, other)
    def div(self, other): return ops.div(self, other)
    def pow(self, exponent): return ops.pow(self, exponent)
    def matmul(self, other): return ops.matmul(self, other)
    def neg(self): return ops.neg(self)

    # comparisons give bool tensors and carry no gradient
    def __eq__(self, other): return ops.eq(self, other)  # type: ignore[override]
    def __ne__(self, other): return ops.ne(self, other)  # type: ignore[override]
    def __lt__(self, other): return ops.lt(self, other)
    def __le__(self, other): return ops.le(self, other)
    def __gt__(self, other): return ops.gt(self, other)
    def __ge__(self, other): return ops.ge(self, other)

    def __invert__(self): return ops.logical_not(self)
    def __and__(self, other): return ops.logical_and(self, other)
    def __or__(self, other): return ops.logical_or(self, other)

    def any(self) -> "Tensor": return Tensor._make(np.asarray(self.data.any()))
    def all(self) -> "Tensor": return Tensor._make(np.asarray(self.data.all()))

    # -- indexing --------------------------------------------------------------------------------
    def __getitem__(self, index): return ops.getitem(self, index)

    def __setitem__(self, index, value) -> None:
        from minigrad.autograd.grad_mode import is_grad_enabled

        if self._requires_grad and is_grad_enabled():
            raise RuntimeError(
                "in-place assignment into a tensor that requires grad is not supported; "
                "build a new tensor (e.g. with mg.where) or assign under mg.no_grad()"
            )
        self.data[_plain_index(index)] = value.data if isinstance(value, Tensor) else value

    def gather(self, dim: int, index): return ops.gather(self, dim, index)

    # -- shape -----------------------------------------------------------------------------------
    def reshape(self, *shape): return ops.reshape(self, *shape)
    def view(self, *shape): return ops.reshape(self, *shape)
    def transpose(self, dim0: int, dim1: int): return ops.transpose(self, dim0, dim1)
    def permute(self, *dims): return ops.permute(self, *dims)
    @property
    def T(self): return ops.permute(self, *reversed(range(self.ndim)))
    @property
    def mT(self): return ops.transpose(self, -2, -1)
    def flatten(self, start_dim: int = 0, end_dim: int = -1): return ops.flatten(self, start_dim, end_dim)
    def squeeze(self, dim=None): return ops.squeeze(self, dim)
    def unsqueeze(self, dim: int): return ops.unsqueeze(self, dim)
    def expand(self, *sizes): return ops.expand(self, *sizes)
    def broadcast_to(self, shape): return ops.broadcast_to(self, shape)
    def contiguous(self): return self

    # -- reductions ------------------------------------------------------------------------------
    def sum(self, dim=None, keepdim: bool = False): return ops.sum(self, dim, keepdim)
    def mean(self, dim=None, keepdim: bool = False): return ops.mean(self, dim, keepdim)
    def var(self, dim=None, unbiased: bool | None = None, keepdim: bool = False, *, correction: int | None = None):
        return ops.var(self, dim, unbiased, keepdim, correction=correction)
    def std(self, dim=None, unbiased: bool | None = None, keepdim: bool = False, *, correction: int | None = None):
        return ops.std(self, dim, unbiased, keepdim, correction=correction)
    def max(self, dim=None, keepdim: bool = False): return ops.max(self, dim, keepdim)
    def min(self, dim=None, keepdim: bool = False): return ops.min(self, dim, keepdim)
    def amax(self, dim=None, keepdim: bool = False): return ops.amax(self, dim, keepdim)
    def amin(self, dim=None, keepdim: bool = False): return ops.amin(self, dim, keepdim)
    def argmax(self, dim=None, keepdim: bool = False): return ops.argmax(self, dim, keepdim)
    def argmin(self, dim=None, keepdim: bool = False): return ops.argmin(self, dim, keepdim)

    # -- elementwise -----------------------------------------------------------------------------
    def exp(self): return ops.exp(self)
    def log(self): return ops.log(self)
    def sqrt(self): return ops.sqrt(self)
    def abs(self): return ops.abs(self)
    def __abs__(self): return ops.abs(self)
    def tanh(self): return ops.tanh(self)
    def sigmoid(self): return ops.sigmoid(self)
    def relu(self): return ops.relu(self)
    def clamp(self, min=None, max=None): return ops.clamp(self, min, max)
    clip = clamp
    def maximum(self, other): return ops.maximum(self, other)
    def minimum(self, other): return ops.minimum(self, other)
    def softmax(self, dim: int): return ops.softmax(self, dim)
    def log_softmax(self, dim: int): return ops.log_softmax(self, dim)


class _HookHandle:
    def __init__(self, hooks: list, hook) -> None:
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def _plain_index(index):
    """An index with Tensors replaced by their arrays."""
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index.data if isinstance(index, Tensor) else index


from minigrad.autograd import function as _function  # noqa: E402

_function._Tensor.cls = Tensor  # graph nodes wrap their outputs in Tensors

from minigrad import ops  # noqa: E402  (the ops need Tensor defined first)
