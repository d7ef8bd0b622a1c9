"""Containers: ``Sequential``, ``ModuleList``, ``ModuleDict``, ``ParameterList`` and
``ParameterDict``. What they hold is registered as a sub-module or parameter under its index
(``"0"``, ``"1"``, ...) or key, so ``parameters()`` and ``state_dict()`` give PyTorch's names."""
from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterable as IterableABC, Mapping
from typing import Any, Iterable, Iterator

from minigrad.nn.modules.module import Module
from minigrad.nn.parameter import Parameter
from minigrad.nn.scope import scope
from minigrad.tensor import Tensor


class Sequential(Module):
    """Modules applied one after the other; indexable, sliceable, with ``len``.

    Built from modules (named ``"0"``, ``"1"``, ...) or from an ``OrderedDict`` of named modules.

    >>> import minigrad.nn as nn
    >>> net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    >>> len(net), type(net[-1]).__name__, len(net[:2])
    (3, 'Linear', 2)
    """

    def __init__(self, *modules) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(modules):
                self.add_module(str(index), module)

    def _index(self, index: int) -> str:
        size = len(self)
        if not -size <= index < size:
            raise IndexError(f"index {index} is out of range for a Sequential of {size} modules")
        return list(self._modules)[index % size]

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(OrderedDict(list(self._modules.items())[index]))
        return self._modules[self._index(index)]

    def __setitem__(self, index: int, module: Module) -> None:
        self.add_module(self._index(index), module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> "Sequential":
        self.add_module(str(len(self)), module)
        return self

    def forward(self, input):
        # Nested Sequentials run here on an explicit stack rather than through their __call__,
        # so that thousands of levels need no Python recursion. Each still labels its ops with
        # its scope (for graph drawing) and runs its forward hooks, as its __call__ would.
        stack = [(iter(self._modules.values()), None)]  # (children left, (Sequential, scope, input))
        try:
            while stack:
                children, inner = stack[-1]
                module = next(children, _END)
                if module is _END:
                    stack.pop()
                    if inner is not None:
                        sequential, its_scope, its_input = inner
                        its_scope.__exit__(None, None, None)
                        input = sequential._run_forward_hooks((its_input,), input)
                elif _runs_inline(module):
                    its_scope = scope(module)
                    its_scope.__enter__()
                    stack.append((iter(module._modules.values()), (module, its_scope, input)))
                else:
                    input = module(input)
        finally:
            opened = [inner for _, inner in stack if inner is not None]
            if opened:  # an error: leave the scopes as they were before the first nested Sequential
                opened[0][1].__exit__(None, None, None)
        return input


_END = object()


def _runs_inline(module) -> bool:
    """Whether ``Sequential.forward`` may run ``module``'s children itself: a Sequential whose
    forward and __call__ are the standard ones."""
    return (isinstance(module, Sequential) and type(module).forward is Sequential.forward
            and type(module).__call__ is Module.__call__)


class ModuleList(Module):
    """A list of modules whose parameters are registered (named ``"0"``, ``"1"``, ...)."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        for module in modules or ():
            self.append(module)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ModuleList(list(self._modules.values())[index])
        return list(self._modules.values())[index]

    def __setitem__(self, index: int, module: Module) -> None:
        self.add_module(list(self._modules)[index], module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> "ModuleList":
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> "ModuleList":
        for module in modules:
            self.append(module)
        return self


def _pairs(values: Any, container: str, sort_plain_dicts: bool = False) -> Iterator[tuple[Any, Any]]:
    """The ``(key, value)`` pairs of a mapping (in its order) or of an iterable of pairs, with
    PyTorch's errors for anything else. ``ParameterDict`` sorts the keys of a plain mapping (not
    an ``OrderedDict`` nor another container), as PyTorch does."""
    if isinstance(values, (OrderedDict, ModuleDict, ParameterDict)):
        yield from values.items()
        return
    if isinstance(values, Mapping):
        yield from sorted(values.items()) if sort_plain_dicts else values.items()
        return
    if not isinstance(values, IterableABC):
        raise TypeError(f"{container}.update should be called with an iterable of key/value pairs, "
                        f"but got {type(values).__name__}")
    for index, pair in enumerate(values):
        if not isinstance(pair, IterableABC):
            raise TypeError(f"{container} update sequence element #{index} should be Iterable; is "
                            f"{type(pair).__name__}")
        pair = tuple(pair)
        if len(pair) != 2:
            raise ValueError(f"{container} update sequence element #{index} has length {len(pair)}; 2 is required")
        yield pair


class ModuleDict(Module):
    """An ordered dictionary of named sub-modules, registered under their keys.

    >>> import minigrad.nn as nn
    >>> from minigrad.nn.modules.container import ModuleDict
    >>> heads = ModuleDict({"digit": nn.Linear(4, 10), "parity": nn.Linear(4, 2)})
    >>> list(heads.keys()), "digit" in heads, [k for k in heads.state_dict()][:2]
    (['digit', 'parity'], True, ['digit.weight', 'digit.bias'])
    """

    def __init__(self, modules: Any = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def clear(self) -> None:
        self._modules.clear()

    def pop(self, key: str) -> Module:
        module = self[key]
        del self[key]
        return module

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def update(self, modules: Any) -> None:
        """Add or replace entries from a mapping (in its order) or an iterable of ``(key, module)``."""
        for key, module in _pairs(modules, "ModuleDict"):
            self[key] = module


class ParameterList(Module):
    """A list of parameters registered as ``"0"``, ``"1"``, ...; plain Tensors put in it become
    Parameters, other objects are kept as they are.

    >>> import minigrad as mg
    >>> from minigrad.nn.modules.container import ParameterList
    >>> params = ParameterList([mg.zeros(2), mg.ones(3)])
    >>> [name for name, _ in params.named_parameters()], len(params)
    (['0', '1'], 2)
    """

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        self._size = 0
        if values is not None:
            self.extend(values)

    def _key(self, index: int) -> str:
        index = operator.index(index)
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} is out of range for a ParameterList of {len(self)} entries")
        return str(index % len(self))

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)([self[i] for i in range(*index.indices(len(self)))])
        return getattr(self, self._key(index))

    def __setitem__(self, index: int, value: Any) -> None:
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            value = Parameter(value)
        setattr(self, self._key(index), value)

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[Any]:
        return (self[i] for i in range(len(self)))

    def __iadd__(self, values: Iterable[Any]) -> "ParameterList":
        return self.extend(values)

    def append(self, value: Any) -> "ParameterList":
        self._size += 1
        self[self._size - 1] = value
        return self

    def extend(self, values: Iterable[Any]) -> "ParameterList":
        if not isinstance(values, IterableABC) or isinstance(values, Tensor):
            raise TypeError(f"ParameterList.extend should be called with an iterable, but got {type(values).__name__}")
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        return "\n".join(f"  ({key}): {_describe(value)}" for key, value in enumerate(self))

    def __repr__(self) -> str:
        return _entries_repr(self)

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterList should not be called.")


class ParameterDict(Module):
    """An ordered dictionary of parameters registered under their keys; plain Tensors put in it
    become Parameters, other objects are kept as they are. As in PyTorch, the entries of a plain
    ``dict`` are added in sorted key order (those of an ``OrderedDict`` in theirs).

    >>> import minigrad as mg
    >>> from minigrad.nn.modules.container import ParameterDict
    >>> params = ParameterDict({"scale": mg.ones(2), "shift": mg.zeros(2)})
    >>> list(params.state_dict()), params["scale"].requires_grad
    (['scale', 'shift'], True)
    """

    def __init__(self, parameters: Any = None) -> None:
        super().__init__()
        self._keys: dict[str, None] = {}
        if parameters is not None:
            self.update(parameters)

    @staticmethod
    def _check_key(key: Any) -> str:
        if not isinstance(key, str):
            raise TypeError(f"Index given to ParameterDict cannot be used as a key as it is not a string "
                            f"(type is '{type(key).__name__}').")
        return key

    def __getitem__(self, key: str) -> Any:
        self._check_key(key)
        if key not in self._keys:
            raise KeyError(key)
        return getattr(self, key)

    def __setitem__(self, key: str, value: Any) -> None:
        self._check_key(key)
        self._keys[key] = None
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            value = Parameter(value)
        setattr(self, key, value)

    def __delitem__(self, key: str) -> None:
        del self._keys[key]
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __reversed__(self) -> Iterator[str]:
        return reversed(self._keys)

    def __contains__(self, key: str) -> bool:
        return key in self._keys

    def keys(self):
        return self._keys.keys()

    def items(self):
        return ((key, self[key]) for key in self._keys)

    def values(self):
        return (self[key] for key in self._keys)

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self else default

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def pop(self, key: str) -> Any:
        value = self[key]
        del self[key]
        return value

    def popitem(self) -> tuple[str, Any]:
        key = next(reversed(self._keys))
        return key, self.pop(key)

    def clear(self) -> None:
        for key in list(self._keys):
            del self[key]

    def copy(self) -> "ParameterDict":
        return ParameterDict(OrderedDict(self.items()))

    def fromkeys(self, keys: Iterable[str], default: Any = None) -> "ParameterDict":
        return ParameterDict((key, default) for key in keys)

    def update(self, values: Any) -> None:
        """Add or replace entries from a mapping (in its order) or an iterable of ``(key, value)``."""
        for key, value in _pairs(values, "ParameterDict", sort_plain_dicts=True):
            self[key] = value

    def extra_repr(self) -> str:
        return "\n".join(f"  ({key}): {_describe(value)}" for key, value in self.items())

    def __repr__(self) -> str:
        return _entries_repr(self)

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterDict should not be called.")


def _entries_repr(container: Module) -> str:
    """PyTorch's repr of a ParameterList or ParameterDict: one entry inline, more on lines of
    their own."""
    lines = container.extra_repr().split("\n") if len(container) else []
    if len(lines) <= 1:
        return f"{type(container).__name__}({''.join(lines)})"
    return f"{type(container).__name__}(\n  " + "\n  ".join(lines) + "\n)"


def _describe(value: Any) -> str:
    """One entry of a ParameterList's or ParameterDict's repr, as PyTorch prints it."""
    if isinstance(value, Tensor):
        kind = "Parameter" if isinstance(value, Parameter) else "Tensor"
        return f"{kind} containing: [minigrad.{value.dtype} of size {'x'.join(str(s) for s in value.shape)}]"
    return f"Object of type: {type(value).__name__}"
