"""Read PyTorch's ``torch.save`` files (the zip format) without PyTorch and without running code.

A ``.pt``/``.pth`` file written by ``torch.save`` is a zip archive::

    archive/data.pkl      the pickled object (a state_dict, or {"model": ..., "optimizer": ...})
    archive/data/0, 1...  the raw bytes of each storage, uncompressed
    archive/byteorder     "little" or "big" (absent in old files: little)

Unpickling ``data.pkl`` with the standard ``pickle.load`` could call any Python function
(``os.system`` included). Here a restricted ``pickle.Unpickler`` resolves only the handful of
globals that a state_dict uses, each to a harmless stand-in written here:

    collections.OrderedDict                -> OrderedDict
    torch._utils._rebuild_tensor_v2        -> a numpy array copied out of the storage
    torch._utils._rebuild_parameter        -> the same array (a Parameter's data)
    torch.FloatStorage, ... LongStorage    -> the dtype of the storage
    torch.Size                             -> tuple

Every other global (``os.system``, ``builtins.eval``, any class) raises ``CheckpointError``
naming it before anything is called. A storage arrives through ``persistent_load`` as
``('storage', storage_type, key, location, numel)``; its member must hold at least
``numel * itemsize`` bytes (checked before reading) and a tensor's ``(storage_offset, size,
stride)`` must stay inside its storage (checked before ``as_strided``), so nothing is read out
of bounds and no declared size makes us allocate more than the file holds.

Tensors come back as numpy arrays, as in minigrad's own state_dicts. ``bfloat16`` has no numpy
dtype; it is widened to ``float32`` exactly (a bfloat16 is the top half of a float32).
"""
from __future__ import annotations

import io
import pickle
import zipfile
from collections import OrderedDict
from typing import Any, Callable, NamedTuple

import numpy as np

from minigrad.errors import CheckpointError

# The pickle of torch's legacy (pre-1.6) format starts with this magic number, a LONG1 of 10 bytes.
LEGACY_MAGIC = b"\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"

# torch storage class -> numpy dtype name (little-endian); "bfloat16" is widened to float32.
STORAGE_DTYPES = {
    "DoubleStorage": "f8", "FloatStorage": "f4", "HalfStorage": "f2", "BFloat16Storage": "bfloat16",
    "LongStorage": "i8", "IntStorage": "i4", "ShortStorage": "i2", "CharStorage": "i1",
    "ByteStorage": "u1", "BoolStorage": "?", "UntypedStorage": "u1",
}


def is_legacy_torch(content: bytes) -> bool:
    """True for torch's pre-1.6 format: a bare pickle (protocol 2) starting with the magic number."""
    return content[:2] == b"\x80\x02" and content[2:2 + len(LEGACY_MAGIC)] == LEGACY_MAGIC


def is_torch_zip(archive: zipfile.ZipFile) -> bool:
    """A torch.save zip has a single top folder holding ``data.pkl``."""
    return any(name.count("/") == 1 and name.endswith("/data.pkl") for name in archive.namelist())


def bfloat16_to_float32(bits: np.ndarray) -> np.ndarray:
    """Widen bfloat16 values (given as their uint16 bit patterns) to float32, exactly.

    >>> bfloat16_to_float32(np.array([0x3F80, 0xC000], dtype=np.uint16)).tolist()
    [1.0, -2.0]
    """
    return (bits.astype(np.uint32) << 16).view(np.float32)


# The stand-ins are named tuples: immutable, so that a pickle's BUILD opcode (which sets
# attributes) cannot alter them, neither for this file nor for the next one loaded.
class _StorageType(NamedTuple):
    """What ``torch.FloatStorage`` and its kind resolve to: the name and the numpy dtype."""

    name: str
    dtype: str


class _Storage(NamedTuple):
    """One storage read from ``data/<key>``: a flat read-only numpy array of ``numel`` items."""

    array: np.ndarray
    key: str


class _Function(NamedTuple):
    """An allowed function (``_rebuild_tensor_v2``), called by the pickle's REDUCE opcode."""

    function: Callable[..., Any]

    def __call__(self, *args: Any) -> Any:
        return self.function(*args)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _rebuild_tensor(storage: Any, storage_offset: Any, size: Any, stride: Any, *unused: Any) -> np.ndarray:
    """``torch._utils._rebuild_tensor_v2``: the view ``(offset, size, stride)`` of a storage, copied."""
    if not isinstance(storage, _Storage):
        raise CheckpointError(f"a tensor is rebuilt from {type(storage).__name__}, not from a storage")
    size = tuple(size) if isinstance(size, list) else size
    stride = tuple(stride) if isinstance(stride, list) else stride
    if not (_is_int(storage_offset) and isinstance(size, tuple) and isinstance(stride, tuple)
            and len(size) == len(stride) and all(_is_int(n) and n >= 0 for n in size + stride) and storage_offset >= 0):
        raise CheckpointError(f"a tensor of storage {storage.key!r} has a malformed layout: offset {storage_offset!r}, "
                     f"size {size!r}, stride {stride!r}")
    flat = storage.array
    native = flat.dtype.newbyteorder("=")
    if 0 in size:
        return np.zeros(size, dtype=native)
    last = storage_offset + sum((n - 1) * step for n, step in zip(size, stride))
    if last >= flat.size:
        raise CheckpointError(f"a tensor of size {size} with stride {stride} at offset {storage_offset} reaches element "
                     f"{last} of storage {storage.key!r}, which holds only {flat.size}")
    view = np.lib.stride_tricks.as_strided(flat[storage_offset:], shape=size,
                                           strides=tuple(step * flat.itemsize for step in stride), writeable=False)
    return np.array(view, dtype=native, order="C")  # a C-contiguous copy in native byte order


def _rebuild_parameter(data: Any, requires_grad: Any = False, backward_hooks: Any = None, *unused: Any) -> np.ndarray:
    """``torch._utils._rebuild_parameter``: a Parameter is stored as its data."""
    if not isinstance(data, np.ndarray):
        raise CheckpointError(f"a Parameter is rebuilt from {type(data).__name__}, not from a tensor")
    return data


ALLOWED_GLOBALS = {
    ("collections", "OrderedDict"): OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _Function(_rebuild_tensor),
    ("torch._utils", "_rebuild_parameter"): _Function(_rebuild_parameter),
    ("torch", "Size"): tuple,
    **{("torch", name): _StorageType(name, dtype) for name, dtype in STORAGE_DTYPES.items()},
}


class _StateDictUnpickler(pickle.Unpickler):
    """Unpickles ``data.pkl`` resolving only :data:`ALLOWED_GLOBALS`; storages come from the zip."""

    def __init__(self, data: bytes, archive: zipfile.ZipFile, prefix: str, archive_size: int, byteorder: str) -> None:
        super().__init__(io.BytesIO(data))
        self.archive, self.prefix, self.archive_size, self.byteorder = archive, prefix, archive_size, byteorder
        self.storages: dict[tuple[str, str], _Storage] = {}

    def find_class(self, module: str, name: str) -> Any:
        try:
            return ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise CheckpointError(f"refused to load the global {module}.{name}: a PyTorch state_dict never needs it, and "
                         "unpickling it could run code") from None

    def persistent_load(self, pid: Any) -> _Storage:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage" and isinstance(pid[1], _StorageType)
                and isinstance(pid[2], str) and _is_int(pid[4]) and pid[4] >= 0):
            raise CheckpointError(f"refused the persistent id {pid!r}: only ('storage', type, key, location, numel) is read")
        _, storage_type, key, _, numel = pid
        if (key, storage_type.name) not in self.storages:
            self.storages[key, storage_type.name] = self._read_storage(storage_type, key, numel)
        storage = self.storages[key, storage_type.name]
        if storage.array.size < numel:
            raise CheckpointError(f"storage {key!r} is used with {numel} elements but holds {storage.array.size}")
        return storage

    def _read_storage(self, storage_type: _StorageType, key: str, numel: int) -> _Storage:
        bfloat16 = storage_type.dtype == "bfloat16"
        dtype = np.dtype("u2" if bfloat16 else storage_type.dtype).newbyteorder("<" if self.byteorder == "little" else ">")
        data = read_member(self.archive, f"{self.prefix}/data/{key}", self.archive_size, numel * dtype.itemsize)
        array = np.frombuffer(data, dtype=dtype, count=numel)
        if bfloat16:
            array = bfloat16_to_float32(array)
        return _Storage(array, key)


def read_member(archive: zipfile.ZipFile, name: str, archive_size: int, expected: int | None = None) -> bytes:
    """The bytes of an uncompressed member, its sizes checked against the archive before reading.

    ``expected`` is the size a storage declares: a member shorter than that is refused (so a
    declared ``numel`` never makes us allocate more than the file holds).
    """
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise CheckpointError(f"the member {name!r} is missing") from None
    if info.compress_type != zipfile.ZIP_STORED:
        raise CheckpointError(f"the member {name!r} is compressed; torch.save writes its members uncompressed")
    if info.file_size != info.compress_size or info.header_offset + info.compress_size > archive_size:
        raise CheckpointError(f"the member {name!r} declares {info.file_size} bytes, more than the file holds")
    if expected is not None and info.file_size < expected:
        raise CheckpointError(f"the storage {name!r} holds {info.file_size} bytes but declares {expected}")
    with archive.open(info) as member:
        data = member.read(info.file_size if expected is None else expected)
    if len(data) != (info.file_size if expected is None else expected):
        raise CheckpointError(f"the member {name!r} is truncated")
    return data


def _check_values(value: Any, path: str) -> Any:
    """Everything unpickled must be a plain value: no stray storage or storage type."""
    if isinstance(value, dict):
        for key, item in value.items():
            _check_values(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_values(item, f"{path}.{i}" if path else str(i))
    elif not (value is None or isinstance(value, (np.ndarray, bool, int, float, complex, str, bytes))):
        raise CheckpointError(f"{path or 'the object'} is a {type(value).__name__}, which a state_dict does not hold")
    return value


def read_torch_zip(archive: zipfile.ZipFile, archive_size: int) -> Any:
    """The object saved by ``torch.save``, tensors as numpy arrays; raises ``CheckpointError``."""
    pickles = [name for name in archive.namelist() if name.count("/") == 1 and name.endswith("/data.pkl")]
    if len(pickles) != 1:
        raise CheckpointError("a PyTorch archive holds exactly one <archive>/data.pkl")
    prefix = pickles[0].split("/")[0]
    byteorder = "little"
    if f"{prefix}/byteorder" in archive.namelist():
        byteorder = read_member(archive, f"{prefix}/byteorder", archive_size).decode("ascii", "replace").strip()
        if byteorder not in ("little", "big"):
            raise CheckpointError(f"unknown byte order {byteorder!r}")
    data = read_member(archive, pickles[0], archive_size)
    try:
        obj = _StateDictUnpickler(data, archive, prefix, archive_size, byteorder).load()
        return _check_values(obj, "")
    except RecursionError:
        raise CheckpointError("the pickle is nested too deeply") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError,
            OverflowError, MemoryError) as error:
        if isinstance(error, CheckpointError):
            raise
        raise CheckpointError(f"the pickle data.pkl is malformed: {type(error).__name__}: {error}") from None
