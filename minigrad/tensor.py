"""``Tensor``: a numpy array that remembers how it was computed.

A Tensor holds its value in ``._data`` (a ``numpy.ndarray``). When it was produced by an op from
inputs that require grad, ``.grad_fn`` is that op's graph node and ``.backward()`` sends
gradients back through the graph into the ``.grad`` of the leaves.

The methods here are one-liners that call the ops in ``minigrad.ops``, where each op's forward
and backward live side by side.

This module is where the package's one import cycle is closed. Tensor's methods call the ops
(and the random generators), which build Tensors; the autograd engine, below both, wraps what an
op's ``forward`` returns in Tensors and refreshes views that an in-place op left stale. So this
module imports the engine at the top, defines ``Tensor``, and only at its end imports the ops and
hands ``Tensor`` and the ops' ``refresh_view`` to the engine with
``minigrad.autograd.function.bind_tensor``. Every other import in minigrad is an ordinary one, at
the top of its file, towards a lower layer (``docs/architecture.md``).
"""
from __future__ import annotations

import weakref
from typing import Any, Iterator

import numpy as np

from minigrad import _dtype
from minigrad import devices as _device
from minigrad.autograd import engine as _engine
from minigrad.autograd.function import bind_tensor
from minigrad.errors import DtypeError


def _to_array(data: Any, dtype=None, infer: bool = False) -> np.ndarray:
    """``data`` as an array. numpy arrays (and Tensors) keep their dtype. Python numbers become
    the default dtype and bools stay bool (``Tensor(...)``, as ``torch.Tensor``), or with ``infer=True`` (``tensor(...)``,
    as ``torch.tensor``) int64 for integers, bool for bools and the default dtype for floats."""
    if isinstance(data, Tensor):
        array = data._data
    elif isinstance(data, np.ndarray):
        array = data
    elif isinstance(data, np.generic):
        array = np.asarray(data)
    else:
        if isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in data):
            data = [d.item() if isinstance(d, Tensor) and d._data.ndim == 0 else d for d in data]
            data = [d._data if isinstance(d, Tensor) else d for d in data]
        array = np.asarray(data)
        if array.dtype.kind in "cOUSV" and dtype is None:
            raise TypeError(
                f"tensor: can't convert data of numpy dtype {array.dtype} (from {type(data).__name__}) "
                "to a Tensor; minigrad tensors hold bool, integer or floating-point numbers"
            )
        if dtype is None and array.dtype.kind == "f":
            array = array.astype(_dtype.get_default_dtype())
        elif dtype is None and array.dtype.kind in "iu":
            array = array.astype(_dtype.int64 if infer else _dtype.get_default_dtype())
    if array.dtype.kind == "c" and dtype is None:  # numpy arrays too: autograd would silently skip them
        raise TypeError(
            f"tensor: can't convert data of numpy dtype {array.dtype} to a Tensor; minigrad tensors hold "
            "bool, integer or floating-point numbers"
        )
    if dtype is not None:
        dtype = _dtype.as_dtype(dtype)
        if array.dtype != dtype:
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

    # _vc: the version counter, a one-element list shared with views (None until first needed);
    # _view: (root tensor, view steps, version when this view's grad_fn was made) for views
    __slots__ = (
        "_data", "grad", "grad_fn", "_requires_grad", "_output_nr", "_hooks", "name", "_vc", "_view",
        "__weakref__",
    )
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        """numpy meeting a Tensor. ``array + tensor`` (and the other operators) is the Tensor op,
        recorded for autograd. Any other ufunc (``np.exp(t.data)``) runs on the values and gives
        a Tensor outside the graph, so, as in PyTorch, a tensor that requires grad is refused
        there rather than silently cut from the graph."""
        if method == "__call__" and not kwargs and len(inputs) == 2 and ufunc in _OPERATORS:
            return getattr(ops, _OPERATORS[ufunc])(*inputs)
        arrays = []
        for x in inputs:
            if isinstance(x, Tensor):
                if x._requires_grad:
                    raise RuntimeError(
                        f"numpy's {ufunc.__name__} can't take a Tensor that requires grad (it would "
                        "leave the graph); use the minigrad op, or .detach() if that is intended"
                    )
                x = x._data
            arrays.append(x)
        if "out" in kwargs:
            kwargs["out"] = tuple(o._data if isinstance(o, Tensor) else o for o in kwargs["out"])
        result = getattr(ufunc, method)(*arrays, **kwargs)
        if isinstance(result, tuple):
            return tuple(Tensor._make(np.asarray(r)) for r in result)
        return None if result is None else Tensor._make(np.asarray(result))

    def __init__(self, data: Any = (), requires_grad: bool = False, dtype=None, *more_sizes: int) -> None:
        if _is_count(requires_grad):
            # torch.Tensor(3, 4): sizes, not data; the values are uninitialised, as in PyTorch
            sizes = (data, requires_grad) + ((dtype,) if dtype is not None else ()) + more_sizes
            data, requires_grad, dtype = np.empty(tuple(int(s) for s in sizes), dtype=_dtype.get_default_dtype()), False, None
        self._data = _to_array(data, dtype)
        self.grad: Tensor | None = None
        self.grad_fn = None
        self._requires_grad = False
        self._output_nr = 0
        self._hooks = None
        self.name: str | None = None
        self._vc = None
        self._view = None
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, data: np.ndarray) -> "Tensor":
        """A Tensor around ``data`` without any checks (used by the ops)."""
        t = object.__new__(cls)
        t._data = data
        t.grad = None
        t.grad_fn = None
        t._requires_grad = False
        t._output_nr = 0
        t._hooks = None
        t.name = None
        t._vc = None
        t._view = None
        return t

    # -- the array and its version -----------------------------------------------------------------
    @property
    def data(self) -> "Tensor":
        """The same values as a Tensor that shares memory with this one and is cut from the
        graph, as in PyTorch (``x.data.zero_()``, ``torch.max(out.data, 1)``). Changes made
        through it are not tracked by autograd; ``.detach()`` is the tracked way. The numpy array
        itself is ``.numpy()``."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value) -> None:
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor (or a view of its memory) has seen."""
        return 0 if self._vc is None else self._vc[0]

    # -- autograd state ---------------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Mark a leaf as needing gradients (only floating tensors can)."""
        if requires_grad and self._data.dtype.kind != "f":
            raise DtypeError(
                f"only floating-point tensors can require gradients, but this tensor is "
                f"{self._data.dtype}; convert it first, e.g. t.float().requires_grad_()"
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
        _engine.backward([self], None if gradient is None else [gradient], retain_graph, create_graph)

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor too (leaves always keep theirs)."""
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
        """The same data, cut from the graph. It shares this tensor's memory and version counter,
        so an in-place change through it is still caught by a backward that needs the values."""
        out = Tensor._make(self._data)
        if self._vc is None:
            self._vc = [0]
        out._vc = self._vc
        return out

    def detach_(self) -> "Tensor":
        self.grad_fn = None
        self._requires_grad = False
        return self

    # -- array facts -----------------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    def size(self, dim: int | None = None):
        """The shape, or the length of one dimension."""
        if dim is None:
            return self._data.shape
        return self._data.shape[dim]

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The underlying array (shared, not copied). As in PyTorch, a tensor that requires grad
        refuses unless ``force=True`` (or call ``.detach().numpy()``): writing into the array
        would change values the graph has saved."""
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        return self._data if dtype is None else self._data.astype(dtype)

    def item(self) -> float | int | bool:
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to a Python number")
        return self._data.reshape(()).item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def __index__(self) -> int:
        """A one-element integer tensor used as a Python index (``classes[t]``, ``range(t)``)."""
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.reshape(()))

    def __format__(self, spec: str) -> str:
        """A 0-d tensor formats as its number (``f"{loss:.3f}"``), as in PyTorch."""
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor with {self._data.size} elements is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self._data.reshape(()))

    def __iter__(self) -> Iterator["Tensor"]:
        for i in range(len(self)):
            yield self[i]

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        body = _format_values(self._data)
        extras = []
        if self._data.dtype not in (_dtype.get_default_dtype(), _dtype.int64, _dtype.bool_):
            extras.append(f"dtype=minigrad.{self._data.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    # -- dtype conversion ------------------------------------------------------------------------
    def to(self, *args, **kwargs) -> "Tensor":
        """``.to(dtype)``, ``.to(device)``, ``.to(device, dtype)``, ``.to(other)``: the tensor
        itself when nothing changes, else a copy in the new dtype (differentiable between
        floating dtypes). The device must be the CPU (see ``minigrad.device``)."""
        target, dtype = _device.parse_to(args, dict(kwargs), lambda a: a.dtype if isinstance(a, Tensor) else None)
        _device.check_device(target)
        return self if dtype is None else ops.cast(self, _dtype.as_dtype(dtype))

    @property
    def device(self) -> "_device.device":
        """Always ``device(type='cpu')``: minigrad computes with numpy."""
        return _device.CPU

    is_cuda = False

    def cpu(self) -> "Tensor":
        return self

    def cuda(self, device=None, non_blocking: bool = False) -> "Tensor":
        _device.check_device("cuda" if device is None else device)
        return self

    def type(self, dtype=None, non_blocking: bool = False):
        """With a dtype: the tensor in that dtype (as ``.to(dtype)``); without: its type name,
        e.g. ``'minigrad.FloatTensor'``."""
        if dtype is None:
            return "minigrad." + _TYPE_NAMES.get(self._data.dtype, str(self._data.dtype))
        if isinstance(dtype, str) and dtype.startswith(("torch.", "minigrad.")):
            names = {v: k for k, v in _TYPE_NAMES.items()}
            dtype = names.get(dtype.split(".", 1)[1], dtype)
        return ops.cast(self, _dtype.as_dtype(dtype))

    def type_as(self, other: "Tensor") -> "Tensor":
        return ops.cast(self, other.dtype)

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
        return self._data.dtype.kind == "f"

    # -- in-place ops (see minigrad/ops/inplace.py: versions, rebasing, views) ------------------
    def add_(self, other, *, alpha=1) -> "Tensor":
        other = other if alpha == 1 else other * alpha
        return self if _fast_arithmetic(self, np.add, other) else _apply_inplace(self, "add_", ops.add, other)

    def sub_(self, other, *, alpha=1) -> "Tensor":
        other = other if alpha == 1 else other * alpha
        return self if _fast_arithmetic(self, np.subtract, other) else _apply_inplace(self, "sub_", ops.sub, other)

    def mul_(self, other) -> "Tensor":
        if _fast_arithmetic(self, np.multiply, other):
            return self
        return _apply_inplace(self, "mul_", ops.mul, other, saves_self=_requires_grad(other))

    def div_(self, other, *, rounding_mode=None) -> "Tensor":
        if rounding_mode is not None:
            return _apply_inplace(self, "div_", ops.div, other, rounding_mode)
        if self.dtype.kind == "f" and _fast_arithmetic(self, np.true_divide, other):
            return self
        return _apply_inplace(self, "div_", ops.div, other, saves_self=_requires_grad(other))

    def pow_(self, exponent) -> "Tensor":
        return _apply_inplace(self, "pow_", ops.pow, exponent, saves_self=True)

    def neg_(self) -> "Tensor":
        return _apply_inplace(self, "neg_", ops.neg)

    def exp_(self) -> "Tensor":
        return _apply_inplace(self, "exp_", ops.exp)

    def relu_(self) -> "Tensor":
        return ops.relu_(self)

    def clamp_(self, min=None, max=None) -> "Tensor":
        return _apply_inplace(self, "clamp_", ops.clamp, min, max, saves_self=True)

    clip_ = clamp_

    def masked_fill_(self, mask, value) -> "Tensor":
        return _apply_inplace(self, "masked_fill_", _masked_fill, mask, value)

    def fill_(self, value) -> "Tensor":
        if isinstance(value, Tensor) and value.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} dimensions")
        if not _inplace_ops.needs_graph(self, (value,)) and self._data.flags.writeable:
            self._data[...] = value._data if isinstance(value, Tensor) else value
            _inplace_ops.bump(self)
            return self
        return _apply_inplace(self, "fill_", _replace, value)

    def zero_(self) -> "Tensor":
        return self.fill_(0)

    def copy_(self, src, non_blocking: bool = False) -> "Tensor":
        """Copy ``src``'s values (broadcast, converted to this dtype) into this tensor."""
        src = src if isinstance(src, Tensor) else Tensor(np.asarray(src))
        try:
            np.broadcast_shapes(src.shape, self.shape)
        except ValueError:
            raise RuntimeError(f"copy_: the source of shape {list(src.shape)} can't be broadcast to {list(self.shape)}") from None
        return _apply_inplace(self, "copy_", _replace, ops.cast(src, self.dtype))

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None) -> "Tensor":
        values = _rng(generator).uniform(a, b, self.shape).astype(self.dtype)
        return _apply_inplace(self, "uniform_", _replace, Tensor._make(values))

    def random_(self, low: int = 0, high: int | None = None, *, generator=None) -> "Tensor":
        """Integers drawn uniformly from ``[low, high)`` (``random_(high)`` means ``[0, high)``)."""
        if high is None:
            low, high = 0, low
        values = _rng(generator).integers(low, high, self.shape).astype(self.dtype)
        return _apply_inplace(self, "random_", _replace, Tensor._make(values))

    def bernoulli_(self, p: float = 0.5, *, generator=None) -> "Tensor":
        values = (_rng(generator).random(self.shape) < p).astype(self.dtype)
        return _apply_inplace(self, "bernoulli_", _replace, Tensor._make(values))

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None) -> "Tensor":
        values = _rng(generator).normal(mean, std, self.shape).astype(self.dtype)
        return _apply_inplace(self, "normal_", _replace, Tensor._make(values))

    def scatter_(self, dim: int, index, src=None, *, value=None, reduce=None) -> "Tensor":
        """``self[index[i][j]][j] = src[i][j]`` for ``dim=0`` (PyTorch's ``scatter_``); ``value=``
        (or a number as ``src``) writes one number."""
        return _apply_inplace(self, "scatter_", ops.scatter, dim, index, src if value is None else value)

    def __iadd__(self, other): return self.add_(other)
    def __isub__(self, other): return self.sub_(other)
    def __imul__(self, other): return self.mul_(other)
    def __itruediv__(self, other): return self.div_(other)

    def __setitem__(self, index, value) -> None:
        _inplace_ops.setitem(self, index, value)

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
    def __floordiv__(self, other): return ops.floor_divide(self, other)
    def __rfloordiv__(self, other): return ops.floor_divide(other, self)
    def __mod__(self, other): return ops.remainder(self, other)
    def __rmod__(self, other): return ops.remainder(other, self)
    def floor_divide(self, other): return ops.floor_divide(self, other)
    def remainder(self, other): return ops.remainder(self, other)
    def allclose(self, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
        return _allclose(self, other, rtol, atol, equal_nan)
    def __pos__(self): return self

    def add(self, other, *, alpha=1): return ops.add(self, other if alpha == 1 else other * alpha)
    def sub(self, other, *, alpha=1): return ops.sub(self, other if alpha == 1 else other * alpha)
    def mul(self, other): return ops.mul(self, other)
    def div(self, other, *, rounding_mode=None): return ops.div(self, other, rounding_mode)
    def mm(self, other): return ops.matmul(self, other)
    def bmm(self, mat2): return ops.bmm(self, mat2)
    def masked_fill(self, mask, value): return ops.masked_fill(self, mask, value)
    def scatter(self, dim, index, src=None, *, value=None): return ops.scatter(self, dim, index, src, value=value)
    multiply, subtract, divide, true_divide = mul, sub, div, div
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

    def eq(self, other): return ops.eq(self, other)
    def ne(self, other): return ops.ne(self, other)
    def lt(self, other): return ops.lt(self, other)
    def le(self, other): return ops.le(self, other)
    def gt(self, other): return ops.gt(self, other)
    def ge(self, other): return ops.ge(self, other)
    def equal(self, other) -> bool:
        """True when ``other`` has the same shape and values."""
        return isinstance(other, Tensor) and self.shape == other.shape and bool(np.array_equal(self._data, other._data))

    def nonzero(self, *, as_tuple: bool = False):
        """The indices of the non-zero elements: an (n, ndim) int64 tensor, or one per dimension."""
        found = np.nonzero(self._data.reshape(1) if self._data.ndim == 0 else self._data)
        if as_tuple:
            return tuple(Tensor._make(i.astype(np.int64)) for i in found)
        return Tensor._make(np.stack(found, axis=1).astype(np.int64))

    def __invert__(self): return ops.logical_not(self)
    def __and__(self, other): return ops.logical_and(self, other)
    def __or__(self, other): return ops.logical_or(self, other)

    def any(self, dim=None, keepdim: bool = False, *, axis=None, out=None) -> "Tensor":
        return Tensor._make(np.asarray(self._data.any(axis=dim if axis is None else axis, keepdims=keepdim)))

    def all(self, dim=None, keepdim: bool = False, *, axis=None, out=None) -> "Tensor":
        return Tensor._make(np.asarray(self._data.all(axis=dim if axis is None else axis, keepdims=keepdim)))

    # -- indexing --------------------------------------------------------------------------------
    def __getitem__(self, index): return ops.getitem(self, index)

    def gather(self, dim: int, index): return ops.gather(self, dim, index)

    # -- shape -----------------------------------------------------------------------------------
    def reshape(self, *shape): return ops.reshape(self, *shape)
    def view_as(self, other): return ops.reshape(self, other.shape)
    def reshape_as(self, other): return ops.reshape(self, other.shape)
    def expand_as(self, other): return ops.expand(self, other.shape)
    def t(self):
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return ops.transpose(self, 0, 1) if self.ndim == 2 else self
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
    def flip(self, *dims): return ops.flip(self, dims)
    def fliplr(self): return ops.flip(self, 1)
    def flipud(self): return ops.flip(self, 0)
    def roll(self, shifts, dims=None): return ops.roll(self, shifts, dims)
    def repeat(self, *repeats): return ops.repeat(self, *repeats)
    def split(self, split_size, dim: int = 0): return ops.split(self, split_size, dim)
    def chunk(self, chunks: int, dim: int = 0): return ops.chunk(self, chunks, dim)
    def narrow(self, dim: int, start: int, length: int): return ops.narrow(self, dim, start, length)
    def movedim(self, source, destination): return ops.movedim(self, source, destination)
    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1): return ops.diagonal(self, offset, dim1, dim2)
    def tril(self, diagonal: int = 0): return ops.tril(self, diagonal)
    def triu(self, diagonal: int = 0): return ops.triu(self, diagonal)
    def contiguous(self):
        """This tensor when its memory is C-ordered, else a (differentiable) C-ordered copy."""
        return self if self._data.flags.c_contiguous else ops.clone(self)

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

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
    def prod(self, dim=None, keepdim: bool = False, *, dtype=None): return ops.prod(self, dim, keepdim, dtype=dtype)
    def cumsum(self, dim: int, *, dtype=None): return ops.cumsum(self, dim, dtype=dtype)
    def cumprod(self, dim: int, *, dtype=None): return ops.cumprod(self, dim, dtype=dtype)
    def norm(self, p="fro", dim=None, keepdim: bool = False, dtype=None): return ops.norm(self, p, dim, keepdim, dtype)
    def sort(self, dim: int = -1, descending: bool = False, *, stable: bool = False):
        return ops.sort(self, dim, descending, stable)
    def argsort(self, dim: int = -1, descending: bool = False, *, stable: bool = False):
        return ops.argsort(self, dim, descending, stable)
    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
        return ops.topk(self, k, dim, largest, sorted)
    def unique(self, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False, dim=None):
        return ops.unique(self, sorted, return_inverse, return_counts, dim)

    # -- elementwise -----------------------------------------------------------------------------
    def exp(self): return ops.exp(self)
    def sin(self): return ops.sin(self)
    def cos(self): return ops.cos(self)
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
    def sign(self): return ops.sign(self)
    def floor(self): return ops.floor(self)
    def ceil(self): return ops.ceil(self)
    def trunc(self): return ops.trunc(self)
    def round(self, *, decimals: int = 0): return ops.round(self, decimals=decimals)
    def isnan(self): return ops.isnan(self)
    def isinf(self): return ops.isinf(self)
    def isfinite(self): return ops.isfinite(self)

    # -- new tensors of this dtype ---------------------------------------------------------------
    def new_tensor(self, data, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        """A tensor holding a copy of ``data``, in this tensor's dtype unless ``dtype`` is given."""
        _device.check_device(device)
        values = np.array(data._data if isinstance(data, Tensor) else data)
        return Tensor(values, requires_grad, self.dtype if dtype is None else dtype)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        """A tensor of shape ``size`` filled with ``fill_value``, in this tensor's dtype by default."""
        _device.check_device(device)
        size = (size,) if _is_count(size) else tuple(size)
        return Tensor(np.full(size, fill_value, dtype=_dtype.as_dtype(self.dtype if dtype is None else dtype)), requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        return self.new_full(_sizes(size), 0, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        return self.new_full(_sizes(size), 1, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        """Uninitialised values (here zeros) of shape ``size``, in this tensor's dtype by default."""
        return self.new_full(_sizes(size), 0, dtype=dtype, device=device, requires_grad=requires_grad)


class _HookHandle:
    def __init__(self, hooks: list, hook) -> None:
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def _plain_index(index):
    """An index with Tensors replaced by their arrays, and 0-d integer Tensors by ints (numpy
    would take a 0-d array as an index array and copy; PyTorch takes it as an integer)."""
    if isinstance(index, tuple):
        return tuple(_plain_index_part(i) for i in index)
    return _plain_index_part(index)


def _plain_index_part(part):
    if not isinstance(part, Tensor):
        return part
    if part._data.ndim == 0 and part._data.dtype.kind in "iu":
        return int(part._data)
    return part._data


_OPERATORS = {
    np.add: "add", np.subtract: "sub", np.multiply: "mul", np.true_divide: "div", np.power: "pow",
    np.matmul: "matmul", np.floor_divide: "floor_divide", np.remainder: "remainder", np.equal: "eq", np.not_equal: "ne", np.less: "lt", np.less_equal: "le",
    np.greater: "gt", np.greater_equal: "ge",
}


_TYPE_NAMES = {
    _dtype.float32: "FloatTensor", _dtype.float64: "DoubleTensor", _dtype.float16: "HalfTensor",
    _dtype.int64: "LongTensor", _dtype.int32: "IntTensor", _dtype.int16: "ShortTensor",
    _dtype.int8: "CharTensor", _dtype.uint8: "ByteTensor", _dtype.bool_: "BoolTensor",
}


def _allclose(a, b, rtol: float, atol: float, equal_nan: bool) -> bool:
    return bool(np.allclose(np.asarray(a._data if isinstance(a, Tensor) else a),
                            np.asarray(b._data if isinstance(b, Tensor) else b), rtol, atol, equal_nan))


def _sizes(size: tuple) -> tuple:
    """``f(2, 3)`` and ``f((2, 3))`` alike."""
    return tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)


def _is_count(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _format_values(array: np.ndarray) -> str:
    """The values as PyTorch prints them: floats with 4 decimals (``0.5000``), or as ``1.`` when
    all are whole numbers, or in scientific notation when they span too many magnitudes; equal
    widths; long tensors summarised with ``...``."""
    options = dict(separator=", ", prefix="tensor(", max_line_width=80, threshold=1000, edgeitems=3)
    if array.dtype.kind != "f" or array.size == 0:
        return np.array2string(array, **options)
    shown = array if array.size <= 1000 else _edges(array)
    finite = np.abs(shown[np.isfinite(shown)].astype(np.float64))
    whole = finite.size == 0 or bool(np.all(finite == np.ceil(finite)))
    nonzero = finite[finite != 0]
    big, small = (nonzero.max(), nonzero.min()) if nonzero.size else (0.0, 0.0)
    scientific = nonzero.size > 0 and (big / small > 1000.0 or big > 1e8 or (not whole and small < 1e-4))
    if whole and not scientific:
        text = lambda v: f"{v:.0f}." if np.isfinite(v) else f"{v}"  # noqa: E731
    elif scientific:
        text = lambda v: f"{v:.4e}" if np.isfinite(v) else f"{v}"  # noqa: E731
    else:
        text = lambda v: f"{v:.4f}" if np.isfinite(v) else f"{v}"  # noqa: E731
    width = max(len(text(v)) for v in shown.ravel())
    return np.array2string(array, formatter={"float_kind": lambda v: text(v).rjust(width)}, **options)


def _edges(array: np.ndarray) -> np.ndarray:
    """The values a summarised print shows (three at each end of every dimension)."""
    for axis, size in enumerate(array.shape):
        if size > 6:
            array = np.concatenate([np.take(array, range(3), axis), np.take(array, range(size - 3, size), axis)], axis)
    return array


def _requires_grad(x) -> bool:
    return isinstance(x, Tensor) and x._requires_grad


def _replace(current: Tensor, value) -> Tensor:
    """``value`` (converted to ``current``'s dtype) broadcast over ``current``, for ``fill_`` and
    ``copy_``: a node that also takes ``current`` as an input, with zero gradient, as PyTorch
    records these."""
    if isinstance(value, Tensor):
        value = ops.cast(value, current.dtype)
    else:
        value = Tensor._make(np.asarray(value).astype(current.dtype))
    return ops.where(Tensor._make(np.ones((), dtype=bool)), value, current)


def _masked_fill(current: Tensor, mask, value) -> Tensor:
    return ops.masked_fill(current, mask, value)


def _rng(generator):
    return numpy_generator(generator)


# -- the import cycle, closed (see the module docstring) ----------------------------------------------
from minigrad import ops  # noqa: E402
from minigrad.generator import numpy_generator  # noqa: E402
from minigrad.ops import inplace as _inplace_ops  # noqa: E402

_apply_inplace = _inplace_ops.apply_inplace
_fast_arithmetic = _inplace_ops.fast_arithmetic
bind_tensor(Tensor, _inplace_ops.refresh_view)
