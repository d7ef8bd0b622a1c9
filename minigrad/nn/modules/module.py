"""``Module``: the base class of layers and models, as in PyTorch.

Assigning a ``Parameter`` or a ``Module`` to an attribute registers it, in assignment order,
so ``parameters()`` and ``state_dict()`` see the whole tree with dotted names
(``features.0.weight``), the same names PyTorch gives the same model.

Calling a module runs ``forward`` inside ``scope(module)`` (``minigrad.nn.scope``), which labels
the recorded ops with the module: graph drawing groups them by layer, ONNX export names its
nodes after it. If ``forward`` fails on bad input, the error
is prefixed with the layer's qualified name and repr, e.g.
``features.4 (Conv2d(96, 256, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))): expected 96
input channels, got 64``.
"""
from __future__ import annotations

from collections import OrderedDict, namedtuple
from typing import Any, Callable, Iterator

import numpy as np

from minigrad import devices
from minigrad.errors import ShapeError
from minigrad.nn.parameter import Parameter
from minigrad.nn.scope import current_scope, scope
from minigrad.ops.versions import bump
from minigrad.tensor import Tensor

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    """Base class for all layers and models. Subclasses define ``__init__`` and ``forward``."""

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "training", True)

    # -- registration ------------------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        parameters = self.__dict__.get("_parameters")
        if isinstance(value, (Parameter, Module)) and parameters is None:
            raise AttributeError(f"cannot assign {type(value).__name__} '{name}' before Module.__init__() call")
        if isinstance(value, Parameter):
            self._forget(name, keep=parameters)
            parameters[name] = value
        elif isinstance(value, Module):
            self._forget(name, keep=self._modules)
            self._modules[name] = value
        elif parameters is not None and name in parameters:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter '{name}' (Parameter or None expected)")
            parameters[name] = None
        elif parameters is not None and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module '{name}' (Module or None expected)")
            self._modules[name] = None
        elif parameters is not None and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer '{name}' (Tensor or None expected)")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str, keep: dict | None = None) -> None:
        """Remove ``name`` from every registry but ``keep`` (where it is about to be replaced,
        keeping its position)."""
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not keep:
                registry.pop(name, None)
        self.__dict__.pop(name, None)

    def __getattr__(self, name: str) -> Any:
        # only called when normal lookup fails: look in the registries
        for registry in ("_parameters", "_buffers", "_modules"):
            values = self.__dict__.get(registry)
            if values is not None and name in values:
                return values[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: '{name}' must be a Parameter or None, got {type(param).__name__}")
        self._forget(name, keep=self._parameters)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """A tensor that belongs to the module's state but is not learned (saved in state_dict)."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: '{name}' must be a Tensor or None, got {type(tensor).__name__}")
        self._forget(name, keep=self._buffers)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: "Module | None") -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: '{name}' must be a Module or None, got {type(module).__name__}")
        self._forget(name, keep=self._modules)
        self._modules[name] = module

    register_module = add_module

    # -- running -------------------------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with scope(self):
            try:
                output = self.forward(*args, **kwargs)
            except (ValueError, RuntimeError, TypeError, IndexError) as error:
                self._name_in_error(error)
                raise
        return self._run_forward_hooks(args, output)

    def _run_forward_hooks(self, args: tuple, output: Any) -> Any:
        if self._forward_hooks:
            for hook in list(self._forward_hooks.values()):
                result = hook(self, args, output)
                if result is not None:
                    output = result
        return output

    def _name_in_error(self, error: Exception) -> None:
        """Prefix the message with the qualified name and repr of the innermost failing layer."""
        if getattr(error, "_minigrad_layer", False) or not error.args or not isinstance(error.args[0], str):
            return
        root = next((label for label in current_scope() if isinstance(label, Module)), self)
        name = next((n for n, m in root.named_modules() if m is self), "")
        where = f"{name} ({self._short_repr()})" if name else self._short_repr()
        error.args = (f"{where}: {error.args[0]}",) + error.args[1:]
        error._minigrad_layer = True

    def _short_repr(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})" if not self._modules else type(self).__name__

    def register_forward_hook(self, hook: Callable) -> "_RemovableHandle":
        """Call ``hook(module, inputs, output)`` after every forward; a returned value replaces output."""
        key = object()
        self._forward_hooks[key] = hook
        return _RemovableHandle(self._forward_hooks, key)

    # -- walking the tree ------------------------------------------------------------------------------
    def named_modules(self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True) -> Iterator[tuple[str, "Module"]]:
        """Every module of the tree with its dotted name, this one first (name ``""``)."""
        memo = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
                if id(module) in memo:
                    continue
                memo.add(id(module))
            yield name, module
            children = [(f"{name}.{child_name}" if name else child_name, child)
                        for child_name, child in module._modules.items() if child is not None]
            stack.extend(reversed(children))

    def modules(self) -> Iterator["Module"]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator["Module"]:
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool = True):
        seen = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{module_name}.{name}" if module_name else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, parameter)`` pairs in registration order; shared parameters once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    # -- modes and helpers ---------------------------------------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        """Training mode (dropout active) or, with ``mode=False``, evaluation mode."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters (to None by default, as PyTorch)."""
        for param in self.parameters():
            if set_to_none or param.grad is None:
                param.grad = None
            else:
                param.grad._data[...] = 0

    def apply(self, fn: Callable[["Module"], None]) -> "Module":
        """Call ``fn`` on every sub-module (children first) and on this module.

        The walk keeps its own stack instead of recursing, so trees thousands of levels deep work.
        """
        stack, open_ids = [(self, False)], set()
        while stack:
            module, children_done = stack.pop()
            if children_done:
                open_ids.discard(id(module))
                fn(module)
                continue
            _check_not_inside_itself(module, open_ids)
            open_ids.add(id(module))
            stack.append((module, True))
            stack.extend((child, False) for child in reversed(list(module.children())))
        return self

    def to(self, *args, **kwargs) -> "Module":
        """``model.to(device)``, ``model.to(dtype)``, ``model.to(device, dtype)``: convert floating
        parameters and buffers to ``dtype`` (e.g. ``mg.float64`` for gradcheck), in place; the
        device must be the CPU."""
        target, dtype = devices.parse_to(args, dict(kwargs), lambda a: a.dtype if isinstance(a, Tensor) else None)
        devices.check_device(target, "module")
        if dtype is None:
            return self
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dtype}")
        for module in self.modules():
            for registry in (module._parameters, module._buffers):
                for value in registry.values():
                    if value is not None and value.dtype.kind == "f":
                        value._data = value._data.astype(dtype)
                        if value.grad is not None:
                            value.grad = Tensor._make(value.grad._data.astype(dtype))
        return self

    def cpu(self) -> "Module":
        return self

    def cuda(self, device=None) -> "Module":
        devices.check_device("cuda" if device is None else device, "module")
        return self

    def double(self) -> "Module":
        return self.to(np.float64)

    def float(self) -> "Module":
        return self.to(np.float32)

    # -- state -------------------------------------------------------------------------------------------
    def state_dict(self, destination: dict | None = None, prefix: str = "", keep_vars: bool = False) -> "OrderedDict[str, np.ndarray]":
        """An ordered mapping from PyTorch-style dotted names to the parameter and buffer arrays.

        The arrays are the live data (not copies), as in PyTorch; ``mg.save`` writes them out.
        """
        destination = OrderedDict() if destination is None else destination
        for module_name, module in self.named_modules(prefix=prefix.rstrip(".")):
            for registry, skip in ((module._parameters, ()), (module._buffers, module._non_persistent)):
                for name, value in registry.items():
                    if value is None or name in skip:
                        continue
                    key = f"{module_name}.{name}" if module_name else name
                    destination[key] = value if keep_vars else value._data
        return destination

    def load_state_dict(self, state_dict: dict, strict: bool = True) -> IncompatibleKeys:
        """Copy ``state_dict``'s arrays into the parameters and buffers, in place.

        Values may be numpy arrays, Tensors or anything ``numpy.asarray`` accepts (e.g. the
        ``{k: v.numpy()}`` of a PyTorch state_dict). A shape mismatch always raises; with
        ``strict`` (the default) missing and unexpected keys raise too, every one listed.
        Returns ``(missing_keys, unexpected_keys)``.
        """
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        mismatched, not_numbers, arrays = [], [], {}
        for key, target in own.items():
            if key in state_dict:
                value = state_dict[key]
                array = _numbers(value)
                if array is None:
                    not_numbers.append(f"{key}: the state_dict holds a {type(value).__name__} ({_brief(value)}), "
                                       "not an array of numbers")
                elif array.shape != target.shape:
                    mismatched.append(f"{key}: checkpoint has shape {array.shape}, the model has {target.shape}")
                else:
                    arrays[key] = array
        problems = []
        if not_numbers:
            problems.append("not numbers: " + "; ".join(not_numbers))
        if mismatched:
            problems.append("size mismatch for " + "; ".join(mismatched))
        if strict and missing:
            problems.append("missing keys: " + ", ".join(missing))
        if strict and unexpected:
            problems.append("unexpected keys: " + ", ".join(unexpected))
        if problems:
            raise ShapeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n  " + "\n  ".join(problems))
        for key, array in arrays.items():  # every value was checked first: all or nothing is loaded
            target = own[key]
            target._data[...] = array
            bump(target)
        return IncompatibleKeys(missing, unexpected)

    # -- printing -----------------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr (its configuration)."""
        return ""

    def __repr__(self) -> str:
        # PyTorch's layout: each child on a line "(name): repr", indented two spaces per level.
        # Built from (depth, text) lines on an explicit stack, so that trees thousands of levels
        # deep print (re-indenting each child's text would also cost depth**2 copies).
        lines: list[tuple[int, str]] = []
        stack: list = [(0, "", self)]
        open_ids: set = set()
        while stack:
            depth, head, module = stack.pop()
            if module is _CLOSE:  # head holds the id of the module being closed
                open_ids.discard(head)
                lines.append((depth, ")"))
                continue
            if not isinstance(module, Module) or not module._modules or type(module).__repr__ is not Module.__repr__:
                text = (f"{type(module).__name__}({module.extra_repr()})"
                        if isinstance(module, Module) and type(module).__repr__ is Module.__repr__ else repr(module))
                first, *rest = text.split("\n")
                lines.append((depth, head + first))
                lines.extend((depth, line) for line in rest)
                continue
            _check_not_inside_itself(module, open_ids)
            open_ids.add(id(module))
            lines.append((depth, f"{head}{type(module).__name__}("))
            extra = module.extra_repr()
            if extra:
                first, *rest = extra.split("\n")
                lines.append((depth + 1, first))
                lines.extend((depth, line) for line in rest)
            stack.append((depth, id(module), _CLOSE))
            stack.extend((depth + 1, f"({name}): ", child) for name, child in reversed(module._modules.items()))
        return "\n".join("  " * depth + text for depth, text in lines)


_CLOSE = object()  # marks, on __repr__'s stack, the end of a module's children


def _check_not_inside_itself(module: Module, open_ids: set) -> None:
    """A module found among its own descendants would make a walk endless."""
    if id(module) in open_ids:
        raise RuntimeError(f"the module tree has a cycle: {type(module).__name__} contains itself")


class _RemovableHandle:
    def __init__(self, hooks: dict, key: object) -> None:
        self._hooks, self._key = hooks, key

    def remove(self) -> None:
        self._hooks.pop(self._key, None)


def _numbers(value) -> np.ndarray | None:
    """``value`` as an array of bool, integer or floating-point numbers, or None when it is not one
    (a string, a date, a complex number, None, an object...)."""
    if isinstance(value, Tensor):
        return value._data
    if value is None or isinstance(value, (str, bytes, dict)):
        return None
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        return None
    return array if array.dtype.kind in "biuf" else None


def _brief(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
