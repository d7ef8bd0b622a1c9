"""Devices: minigrad computes with numpy, on the CPU, and says so.

PyTorch programs pick a device and move tensors and modules to it::

    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = Net().to(device)
    x, y = x.to(device), y.to(device)

All of that works here: ``mg.device("cpu")`` is the one device, ``mg.cuda.is_available()`` and
``mg.accelerator.is_available()`` are False, and ``.to("cpu")`` returns the tensor itself. Asking
for another device (``.to("cuda")``, ``.cuda()``) raises an error that says why.
"""
from __future__ import annotations

import types

import numpy as np


class device:
    """A device name, as ``torch.device``: ``mg.device("cpu")``, ``mg.device("cuda", 0)``.

    >>> import minigrad as mg
    >>> mg.device("cpu"), mg.device("cpu") == "cpu", mg.zeros(2).device.type
    (device(type='cpu'), True, 'cpu')
    """

    __slots__ = ("type", "index")

    def __init__(self, type: "str | device", index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string such as 'cpu', got {type!r}")
        name, _, number = type.partition(":")
        if number:
            if index is not None:
                raise RuntimeError(f"device: type {type!r} already names an index; don't pass index={index}")
            if not number.isdigit():
                raise RuntimeError(f"Invalid device string: {type!r}")
            index = int(number)
        if not name or not name.replace("_", "").isalnum():
            raise RuntimeError(f"Invalid device string: {type!r}")
        self.type = name
        self.index = index

    def __repr__(self) -> str:
        return f"device(type='{self.type}')" if self.index is None else f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except (RuntimeError, TypeError):
                return False
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


CPU = device("cpu")


def check_device(target, what: str = "tensor") -> None:
    """Accept the CPU (``"cpu"``, ``"cpu:0"``, ``mg.device("cpu")``, ``None``); refuse anything else
    with an error that says minigrad runs on the CPU."""
    if target is None:
        return
    if isinstance(target, int) and not isinstance(target, bool):
        target = device("cuda", target)  # PyTorch reads a bare integer as a CUDA ordinal
    if not isinstance(target, device):
        target = device(target)
    if target.type != "cpu" or target.index not in (None, 0):
        raise RuntimeError(
            f"can't move a {what} to device '{target}': minigrad computes with numpy on the CPU only "
            "(mg.cuda.is_available() is False). Use device 'cpu', or pick it as PyTorch examples do: "
            "device = 'cuda' if torch.cuda.is_available() else 'cpu'"
        )


def _false(*args, **kwargs) -> bool:
    return False


def _zero(*args, **kwargs) -> int:
    return 0


def _nothing(*args, **kwargs) -> None:
    return None


def _no_cuda(*args, **kwargs):
    raise RuntimeError("minigrad computes on the CPU only: there is no CUDA device (mg.cuda.is_available() is False)")


cuda = types.ModuleType("minigrad.cuda", "No CUDA here: minigrad computes on the CPU.")
cuda.is_available = _false
cuda.device_count = _zero
cuda.is_initialized = _false
cuda.manual_seed = _nothing
cuda.manual_seed_all = _nothing
cuda.synchronize = _nothing
cuda.empty_cache = _nothing
cuda.current_device = _no_cuda
cuda.get_device_name = _no_cuda
cuda.set_device = _no_cuda

accelerator = types.ModuleType("minigrad.accelerator", "No accelerator here: minigrad computes on the CPU.")
accelerator.is_available = _false
accelerator.device_count = _zero
accelerator.current_accelerator = _nothing
accelerator.synchronize = _nothing

backends = types.ModuleType("minigrad.backends", "Backend switches, for programs that set them: no effect here.")
backends.mps = types.ModuleType("minigrad.backends.mps")
backends.mps.is_available = _false
backends.mps.is_built = _false
backends.cuda = types.ModuleType("minigrad.backends.cuda")
backends.cuda.is_built = _false
backends.cudnn = types.ModuleType("minigrad.backends.cudnn")
backends.cudnn.is_available = _false
backends.cudnn.enabled = False
backends.cudnn.benchmark = False
backends.cudnn.deterministic = False


def parse_to(args: tuple, kwargs: dict, dtype_of_tensor) -> tuple:
    """``.to(...)``'s arguments as ``(device or None, dtype or None)``: ``.to(device)``,
    ``.to(dtype)``, ``.to(device, dtype)``, ``.to(other_tensor)``, ``.to(device=..., dtype=...)``;
    ``non_blocking`` and ``copy`` are accepted."""
    target, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)
    kwargs.pop("copy", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, (str, device)) or (isinstance(arg, int) and not isinstance(arg, bool)):
            if isinstance(arg, str) and _is_dtype_name(arg):
                dtype = np.dtype(arg)
            else:
                target = arg
        elif isinstance(arg, bool) or arg is None:
            continue  # to(dtype, non_blocking) and friends
        else:
            found = dtype_of_tensor(arg)
            if found is not None:
                dtype = found  # .to(other_tensor): its dtype (and the device, the CPU)
            else:
                dtype = np.dtype(arg)
    return target, dtype


def _is_dtype_name(name: str) -> bool:
    try:
        np.dtype(name)
    except TypeError:
        return False
    return name not in ("cpu",)
