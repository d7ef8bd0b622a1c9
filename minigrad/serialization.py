"""``mg.save`` / ``mg.load``: checkpoints as plain ``.npz`` files, never pickle.

A checkpoint is a nested structure of dicts (and lists) whose leaves are arrays, Tensors,
numbers, strings, booleans or None, for example::

    {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3}

Every array is stored as its own ``.npy`` member named by its dotted path
(``model.features.0.weight``). The structure itself (dict keys with their types, numbers,
strings) is stored as JSON in the member ``__minigrad__``, so that ``load`` restores exactly
what was saved, including integer keys and keys that contain dots.

Safety: ``load`` reads the ``.npy`` members itself and refuses any whose dtype is not numeric or
bool, so an archive that carries a pickled object (which could run code when unpickled) is
refused, not unpickled. A crafted file never crashes, hangs or exhausts memory: only regular
files are read, and no more than their size; every member's sizes (its ``.npy`` header, the zip
directory) are checked against each other before anything is decompressed or allocated, and a
member is decompressed in pieces, never past the size its header declares; the structure record
may nest at most ``MAX_DEPTH`` levels. Every refusal is a ``CheckpointError`` naming the file.

``save`` writes to a temporary ``.minigrad-*.tmp`` file in the same directory and renames it
over the target with ``os.replace``, so a crash never leaves a half-written checkpoint; the
saved file's mode follows the umask (``0o666 & ~umask``), as with ``np.savez`` and
``torch.save``. A writer holds an ``flock`` on its temporary until the rename; the next save in
that directory deletes the temporaries of killed writers: those older than
``STALE_TEMPORARY_SECONDS`` that no process holds locked.

Other formats (see ``docs/interop.md``):

- ``.safetensors`` (by extension or ``format="safetensors"``), read and written with the
  ``safetensors`` package: a flat dict of arrays, the format of the Hugging Face Hub.
- PyTorch's ``torch.save`` zip files (``.pt``/``.pth``) are read by
  :mod:`minigrad.torch_checkpoint`, whose restricted unpickler accepts only what a state_dict
  holds and runs no pickled code. The legacy (pre-1.6) PyTorch format is refused.
"""
from __future__ import annotations

import ast
import collections
import io
import json
import math
import os
import secrets
import stat
import struct
import time
import zipfile
import zlib
from typing import Any, Callable

try:
    import fcntl
except ImportError:  # Windows: stale temporaries are then recognised by their age alone
    fcntl = None

import numpy as np

from minigrad.devices import check_device
from minigrad.errors import CheckpointError
from minigrad.tensor import Tensor
from minigrad.torch_checkpoint import bfloat16_to_float32, is_legacy_torch, is_torch_zip, read_torch_zip

MANIFEST = "__minigrad__"
_ALLOWED_KINDS = "biuf"
MAX_DEPTH = 100  # nesting of dicts, lists and tuples in a checkpoint; a training checkpoint needs about 5
MAX_NPY_HEADER = 10_000  # bytes, numpy's own limit (np.load's max_header_size); a real header is about 120
INFLATE_PIECE = 1 << 16  # compressed bytes fed to zlib at a time: at most ~66 MB come out of one piece
TEMPORARY_PREFIX, TEMPORARY_SUFFIX = ".minigrad-", ".tmp"
STALE_TEMPORARY_SECONDS = 60


def _encode(value: Any, path: str, arrays: dict, depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        raise CheckpointError(f"mg.save: {path[:80]}... is nested more than {MAX_DEPTH} levels deep; a checkpoint "
                              "is a shallow structure of dicts and lists")
    if isinstance(value, Tensor):
        value = value._data
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
        if array.dtype.kind not in _ALLOWED_KINDS:
            raise CheckpointError(f"mg.save: {path or 'the object'} is an array of dtype {array.dtype}; only numeric and bool arrays can be saved")
        name = path or "value"
        while name in arrays or name == MANIFEST:
            name += "_"
        arrays[name] = array
        return {"array": name}
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise CheckpointError(f"mg.save: dict keys must be str or int, got {key!r} at {path or 'the top level'}")
            items.append([key, _encode(item, f"{path}.{key}" if path else str(key), arrays, depth + 1)])
        return {"dict": items}
    if isinstance(value, (list, tuple)):
        kind = "list" if isinstance(value, list) else "tuple"
        return {kind: [_encode(item, f"{path}.{i}" if path else str(i), arrays, depth + 1) for i, item in enumerate(value)]}
    if value is None or isinstance(value, (bool, int, float, str)):
        return {"value": value}
    if hasattr(value, "state_dict"):
        raise CheckpointError(
            f"mg.save: cannot save {path or 'the object'} of type {type(value).__name__} itself: a checkpoint "
            "holds values, never pickled objects; save its .state_dict() and load it with load_state_dict()"
        )
    raise CheckpointError(
        f"mg.save: cannot save {path or 'the object'} of type {type(value).__name__}; a checkpoint holds "
        "dicts, lists, arrays, Tensors, numbers, strings and None"
    )


def _decode(node: Any, arrays: dict, depth: int = 0) -> Any:
    """The object that ``_encode`` wrote as ``node``; a ``CheckpointError`` saying what is malformed."""
    if depth > MAX_DEPTH:
        raise CheckpointError(f"it is nested more than {MAX_DEPTH} levels deep")
    if not isinstance(node, dict) or len(node) != 1:
        raise CheckpointError(f"an entry is {str(node)[:60]}, not {{kind: body}}")
    (kind, body), = node.items()
    if kind == "array":
        if not isinstance(body, str) or body not in arrays:
            raise CheckpointError(f"it refers to the array {str(body)[:60]!r}, which is not in the file")
        return arrays[body]
    if kind == "dict" and isinstance(body, list) and all(
            isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], (str, int)) for pair in body):
        return {key: _decode(item, arrays, depth + 1) for key, item in body}
    if kind in ("list", "tuple") and isinstance(body, list):
        items = [_decode(item, arrays, depth + 1) for item in body]
        return items if kind == "list" else tuple(items)
    if kind == "value" and (body is None or isinstance(body, (bool, int, float, str))):
        return body
    raise CheckpointError(f"an entry {kind!r} holds {type(body).__name__} {str(body)[:60]}")


FORMATS = ("npz", "safetensors")
# safetensors dtype -> numpy (little-endian, as the format stores them); BF16 is widened to float32.
SAFETENSORS_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "<i1",
                      "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "<u1", "BOOL": "<?"}


def _save_format(path: str, format: str | None) -> str:
    if format is None:
        return "safetensors" if path.endswith(".safetensors") else "npz"
    if format not in FORMATS:
        raise ValueError(f"mg.save: format must be 'npz' or 'safetensors', got {format!r}")
    return format


def _is_temporary(name: str) -> bool:
    return name.startswith(TEMPORARY_PREFIX) and name.endswith(TEMPORARY_SUFFIX)


def _create_temporary(directory: str) -> tuple[int, str]:
    """A new empty ``.minigrad-<random>.tmp`` in ``directory``, open for writing and locked.

    ``os.open`` with mode ``0o666`` lets the umask decide the permissions, as ``open()`` does for
    ``np.savez`` and ``torch.save`` (``tempfile.mkstemp`` would make every checkpoint ``0o600``).
    """
    for _ in range(100):
        temporary = os.path.join(directory, f"{TEMPORARY_PREFIX}{secrets.token_hex(8)}{TEMPORARY_SUFFIX}")
        try:
            handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        except FileExistsError:
            continue
        if fcntl is not None:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX)  # held until the rename: "a live writer owns this file"
            except OSError:
                pass  # a file system without locks: the age rule alone protects the file
        return handle, temporary
    raise FileExistsError(f"mg.save: could not create a temporary file in {directory!r}")


def _remove_stale_temporaries(directory: str) -> None:
    """Delete the temporaries that killed writes left in ``directory`` (best effort, never raises).

    A temporary is stale when it is older than ``STALE_TEMPORARY_SECONDS`` (a live writer keeps
    touching its file) and no process holds its lock (a lock dies with its process, so a writer
    that is slow or paused keeps its file). Where locks cannot be taken, the file is kept.
    """
    now = time.time()
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        try:
            if (not _is_temporary(entry.name) or not entry.is_file(follow_symlinks=False)
                    or now - entry.stat(follow_symlinks=False).st_mtime < STALE_TEMPORARY_SECONDS):
                continue
            handle = os.open(entry.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            try:
                if fcntl is not None:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises while its writer is alive
                os.remove(entry.path)
            finally:
                os.close(handle)
        except OSError:
            continue


def _write_atomically(path: str, content_writer: Callable[[Any], Any]) -> None:
    """Write through ``content_writer(file)`` to a temporary file, then rename it over ``path``."""
    directory = os.path.dirname(os.path.abspath(path))
    _remove_stale_temporaries(directory)
    handle, temporary = _create_temporary(directory)
    try:
        with os.fdopen(handle, "wb") as file:
            content_writer(file)
            file.flush()
            os.fsync(file.fileno())
            if fcntl is not None:
                os.replace(temporary, path)  # before closing, so the lock is held until the name is gone
        if fcntl is None:
            os.replace(temporary, path)  # Windows renames no open file
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def _safetensors_arrays(obj: Any) -> dict:
    """The flat ``{name: array}`` that safetensors holds, or ``CheckpointError`` saying why not."""
    if not isinstance(obj, dict):
        raise CheckpointError(f"mg.save: a .safetensors file holds a dict of arrays, not a {type(obj).__name__}; "
                              "save other objects as .npz")
    arrays = {}
    for key, value in obj.items():
        if not isinstance(key, str):
            raise CheckpointError(f"mg.save: .safetensors keys are strings, got {key!r}; save as .npz instead")
        if isinstance(value, Tensor):
            value = value._data
        if not isinstance(value, (np.ndarray, np.generic)):
            raise CheckpointError(
                f"mg.save: {key!r} is a {type(value).__name__}, but a .safetensors file holds only arrays (a flat "
                "state_dict); save nested checkpoints (model, optimizer, epoch...) as .npz"
            )
        array = np.asarray(value)
        if array.dtype.kind not in _ALLOWED_KINDS:
            raise CheckpointError(f"mg.save: {key!r} is an array of dtype {array.dtype}; only numeric and bool arrays can be saved")
        arrays[key] = np.ascontiguousarray(array)
    return arrays


def _load_safetensors(content: bytes, path: str) -> dict:
    """A ``.safetensors`` file as ``{name: array}``; bfloat16 is widened to float32 exactly."""
    import safetensors

    try:
        # deserialize validates the header (its size, every dtype, shape and offset against the
        # data) before copying anything, so a header that declares huge tensors is refused.
        tensors = safetensors.deserialize(content)
    except Exception as error:  # safetensors raises its own SafetensorError
        raise CheckpointError(f"mg.load: {path!r} is not a valid .safetensors file: {error}") from None
    arrays = {}
    for name, view in tensors:
        if view["dtype"] == "BF16":
            array = bfloat16_to_float32(np.frombuffer(view["data"], dtype="<u2"))
        elif view["dtype"] in SAFETENSORS_DTYPES:
            array = np.frombuffer(view["data"], dtype=SAFETENSORS_DTYPES[view["dtype"]]).astype(SAFETENSORS_DTYPES[view["dtype"]][1:])
        else:
            raise CheckpointError(f"mg.load: {path!r}: tensor {name!r} has dtype {view['dtype']}, which numpy cannot hold")
        arrays[name] = array.reshape(view["shape"])
    return arrays


def save(obj: Any, path: str | os.PathLike, format: str | None = None) -> None:
    """Write ``obj`` (nested dicts/lists of arrays, Tensors and numbers) to ``path`` atomically.

    The format is ``.npz`` unless ``path`` ends in ``.safetensors`` or ``format="safetensors"``
    is given; a ``.safetensors`` file holds a flat dict of arrays (a ``state_dict``) only.

    >>> import minigrad as mg, minigrad.nn as nn, tempfile, os
    >>> model = nn.Linear(3, 2)
    >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.npz")
    >>> mg.save({"model": model.state_dict(), "epoch": 1}, path)
    >>> sorted(mg.load(path)["model"]), mg.load(path)["epoch"]
    (['bias', 'weight'], 1)
    """
    path = os.fspath(path)
    if _save_format(path, format) == "safetensors":
        import safetensors.numpy

        content = safetensors.numpy.save(_safetensors_arrays(obj))
        _write_atomically(path, lambda file: file.write(content))
        return
    arrays: dict = {}
    manifest = _encode(obj, "", arrays)
    text = json.dumps(manifest, allow_nan=True).encode("utf-8")
    arrays[MANIFEST] = np.frombuffer(text, dtype=np.uint8)
    _write_atomically(path, lambda file: np.savez(file, **arrays))


def _load_torch_zip(path: str, content: bytes) -> Any:
    """Read a ``torch.save`` zip with :mod:`minigrad.torch_checkpoint`, naming ``path`` in errors."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return read_torch_zip(archive, len(content))
    except CheckpointError as error:
        raise CheckpointError(f"mg.load: {path!r} (a PyTorch checkpoint): {error}") from None
    except (OSError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError) as error:
        raise CheckpointError(f"mg.load: {path!r} is a corrupt or truncated PyTorch checkpoint: {error}") from None


def _refuse_foreign_zip(path: str, archive: zipfile.ZipFile) -> None:
    """A zip whose members are not all ``.npy`` arrays (and not a PyTorch checkpoint) is not ours."""
    names = archive.namelist()
    foreign = [name for name in names if not name.endswith(".npy")]
    if foreign:
        raise CheckpointError(
            f"mg.load: {path!r} is a zip archive but not a minigrad checkpoint (member {foreign[0]!r} is not an array)"
        )
    twice = [name for name, count in collections.Counter(names).items() if count > 1]
    if twice:
        raise CheckpointError(f"mg.load: {path!r} is a damaged checkpoint: the member {twice[0]!r} appears twice")


def _is_torch_zip(content: bytes) -> bool:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return is_torch_zip(archive)


def _looks_like_safetensors(content: bytes) -> bool:
    """An 8-byte little-endian header size, then the JSON header."""
    return len(content) > 8 and content[8:9] == b"{"


def _read_file(path: str) -> bytes:
    """The bytes of the regular file ``path``: never a device, pipe or socket, never past its size.

    ``/dev/zero`` or a FIFO would otherwise be read until memory runs out (or forever); the open
    is non-blocking so that opening a FIFO with no writer does not hang either.
    """
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        status = os.fstat(handle)
        if not stat.S_ISREG(status.st_mode):
            kind = "a directory" if stat.S_ISDIR(status.st_mode) else "a device, pipe or socket"
            raise CheckpointError(f"mg.load: {path!r} is {kind}, not a regular file; a checkpoint is read from a file")
    except BaseException:
        os.close(handle)
        raise
    with os.fdopen(handle, "rb") as file:
        return file.read(status.st_size)  # a file that grows while it is read stops at the size it had


class _MemberReader:
    """The bytes of one zip member in order, decompressing no more than each ``read`` asks for.

    zipfile would stop at the size its directory records; reading the raw member ourselves lets
    ``read(declared + 1)`` see a deflate stream that goes on past the ``.npy`` header's size.
    """

    def __init__(self, content: bytes, info: zipfile.ZipInfo) -> None:
        local = content[info.header_offset:info.header_offset + 30]
        if len(local) < 30 or local[:4] != b"PK\x03\x04":
            raise CheckpointError("has no local header where the zip directory points (corrupt or truncated)")
        name_length, extra_length = struct.unpack("<HH", local[26:30])
        start = info.header_offset + 30 + name_length + extra_length
        if start + info.compress_size > len(content):
            raise CheckpointError("runs past the end of the file (truncated)")
        self.raw = memoryview(content)[start:start + info.compress_size]
        self.deflated = info.compress_type == zipfile.ZIP_DEFLATED
        self.inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        self.position, self.pending, self.crc = 0, b"", 0

    def read(self, size: int) -> bytearray:
        if not self.deflated:
            out = bytearray(self.raw[self.position:self.position + size])
            self.position += len(out)
        else:
            out = bytearray()
            while len(out) < size and (self.pending or self.position < len(self.raw)):
                if not self.pending:
                    self.pending = self.raw[self.position:self.position + INFLATE_PIECE]
                    self.position += len(self.pending)
                try:
                    out += self.inflater.decompress(self.pending, size - len(out))
                except zlib.error as error:
                    raise CheckpointError(f"has a corrupt deflate stream ({error})") from None
                self.pending = self.inflater.unconsumed_tail
        self.crc = zlib.crc32(out, self.crc)
        return out

    def at_end(self) -> bool:
        return self.inflater.eof if self.deflated else self.position == len(self.raw)


_KIND_NAMES = {"U": "strings", "S": "bytes", "M": "datetimes", "m": "timedeltas", "c": "complex numbers",
               "V": "raw records"}


def _npy_dtype(header: Any) -> tuple[np.dtype, tuple, bool]:
    """``(dtype, shape, fortran_order)`` of a parsed ``.npy`` header, or why it cannot be loaded."""
    if not (isinstance(header, dict) and set(header) == {"descr", "shape", "fortran_order"}
            and isinstance(header["shape"], tuple) and isinstance(header["fortran_order"], bool)
            and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in header["shape"])):
        raise CheckpointError(f"has a malformed .npy header {str(header)[:100]}")
    if not isinstance(header["descr"], str):
        raise CheckpointError("holds a structured array; only numeric and bool arrays can be loaded")
    try:
        dtype = np.dtype(header["descr"])
    except (TypeError, ValueError):
        raise CheckpointError(f"has an unknown dtype {header['descr'][:40]!r}") from None
    if dtype.hasobject:
        raise CheckpointError("holds pickled Python objects (dtype object); minigrad never unpickles (it could run "
                              "arbitrary code). Only arrays and numbers can be loaded.")
    if dtype.kind not in _ALLOWED_KINDS:
        raise CheckpointError(f"is an array of {_KIND_NAMES.get(dtype.kind, 'non-numbers')} (dtype {dtype}); only "
                              "numeric and bool arrays can be loaded")
    return dtype, header["shape"], header["fortran_order"]


def _read_npy_member(content: bytes, info: zipfile.ZipInfo) -> np.ndarray:
    """One ``.npy`` member as an array; sizes are checked before anything is decompressed or allocated.

    The ``.npy`` header declares ``shape`` and ``dtype``; the zip directory records the member's
    uncompressed size. They must agree before the data is read, and the data is then read (and
    decompressed) up to one byte past the declared size, so a zip bomb stops there.
    """
    if info.flag_bits & 1:
        raise CheckpointError("is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise CheckpointError(f"uses zip compression method {info.compress_type}; numpy writes members stored or deflated")
    reader = _MemberReader(content, info)
    magic = reader.read(8)
    if magic[:6] != b"\x93NUMPY" or len(magic) < 8:
        raise CheckpointError("is not an .npy array (it does not start with numpy's magic string)")
    if magic[6] not in (1, 2, 3):
        raise CheckpointError(f"is an .npy file of unknown version {magic[6]}.{magic[7]}")
    length_field = reader.read(2 if magic[6] == 1 else 4)
    header_length = int.from_bytes(length_field, "little")
    if header_length > MAX_NPY_HEADER:
        raise CheckpointError(f"has an invalid .npy header of {header_length} bytes, over the {MAX_NPY_HEADER}-byte "
                              "limit (a real one is about 120)")
    text = bytes(reader.read(header_length)).decode("utf-8" if magic[6] == 3 else "latin-1", errors="replace")
    try:
        header = ast.literal_eval(text)
    except (SyntaxError, ValueError, TypeError, RecursionError, MemoryError):
        raise CheckpointError(f"has an unreadable .npy header {text[:100]!r}") from None
    dtype, shape, fortran_order = _npy_dtype(header)
    declared = math.prod(shape) * dtype.itemsize
    recorded = info.file_size - (8 + len(length_field) + header_length)
    if recorded != declared:
        raise CheckpointError(f"declares shape {shape} of {dtype} ({declared:,} bytes) but the zip directory records "
                              f"{recorded:,} bytes of data")
    data = reader.read(declared + 1)
    if len(data) != declared or not reader.at_end():
        raise CheckpointError(f"declares {declared:,} bytes of data but its stream holds "
                              f"{'more' if len(data) > declared else 'fewer'}")
    if reader.crc != info.CRC:
        raise CheckpointError("fails its CRC check (its bytes are damaged)")
    return np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran_order else "C")


def _load_npz(path: str, content: bytes) -> dict:
    """The arrays of a minigrad ``.npz`` (or any ``np.savez`` file), keyed without ``.npy``."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            _refuse_foreign_zip(path, archive)
            arrays = {}
            for info in archive.infolist():
                try:
                    arrays[info.filename[:-4]] = _read_npy_member(content, info)
                except CheckpointError as error:
                    raise CheckpointError(f"mg.load: {path!r}: the member {info.filename!r} {error}") from None
                except MemoryError:
                    raise CheckpointError(f"mg.load: {path!r}: not enough memory for the member {info.filename!r} "
                                          f"({info.file_size:,} bytes)") from None
            return arrays
    except (OSError, EOFError, ValueError, zipfile.BadZipFile, zipfile.LargeZipFile) as error:
        if isinstance(error, CheckpointError):
            raise
        raise CheckpointError(f"mg.load: {path!r} is not a valid checkpoint (corrupt or truncated .npz): {error}") from None


def _decode_manifest(path: str, arrays: dict) -> Any:
    """The saved object, rebuilt from the JSON structure record and the arrays it refers to."""
    record = arrays.pop(MANIFEST)
    try:
        if record.dtype != np.uint8 or record.ndim != 1:
            raise CheckpointError(f"it is an array of {record.dtype} and shape {record.shape}, not JSON bytes")
        manifest = json.loads(record.tobytes().decode("utf-8"))
        return _decode(manifest, arrays)
    except RecursionError:
        error = f"it is nested more than {MAX_DEPTH} levels deep"
    except CheckpointError as problem:
        error = str(problem)
    except (UnicodeDecodeError, ValueError) as problem:  # json.JSONDecodeError is a ValueError
        error = f"{type(problem).__name__}: {problem}"
    raise CheckpointError(f"mg.load: {path!r} has a damaged structure record ({MANIFEST}): {error}")


def load(path: str | os.PathLike, map_location=None, *, weights_only: bool = True, mmap=None,
         format: str | None = None, **unused) -> Any:
    """Read a checkpoint: minigrad's ``.npz``, a ``.safetensors`` file, or a PyTorch ``.pt``/``.pth``.

    The format is ``format`` if given (``"npz"`` or ``"safetensors"``), else ``.safetensors`` by
    extension, else found from the content. Never runs pickled code: ``.npz`` members holding
    pickles are refused, and a PyTorch file is read by a restricted unpickler that accepts only
    the tensors, dicts and numbers of a state_dict (tensors come back as numpy arrays). PyTorch's
    ``map_location`` (the CPU) and ``weights_only`` are accepted, so ``torch.load(path,
    weights_only=True)`` reads the same; minigrad only ever loads weights.

    A file that cannot be read raises ``CheckpointError`` naming it and saying what is wrong;
    ``FileNotFoundError`` and ``PermissionError`` are raised as ``open`` raises them.
    """
    if format is not None and format not in FORMATS:
        raise ValueError(f"mg.load: format must be 'npz' or 'safetensors', got {format!r}")
    if map_location is not None and not callable(map_location) and not isinstance(map_location, dict):
        check_device(map_location, "checkpoint")
    path = os.fspath(path)
    content = _read_file(path)
    if format is None and (path.endswith(".safetensors") or _looks_like_safetensors(content)):
        format = "safetensors"
    if format == "safetensors":
        return _load_safetensors(content, path)
    if is_legacy_torch(content):
        raise CheckpointError(
            f"mg.load: {path!r} is in PyTorch's legacy (pre-1.6) format, a bare pickle that minigrad does not "
            "read. Re-save it with a current PyTorch: torch.save(torch.load(path, weights_only=True), new_path)"
        )
    if not content.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise CheckpointError(
            f"mg.load: {path!r} is not a minigrad checkpoint (not an .npz archive); minigrad does not "
            "read pickle-based files, which could run code when loaded"
        )
    try:
        is_torch = _is_torch_zip(content)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as error:
        raise CheckpointError(f"mg.load: {path!r} is not a valid checkpoint (corrupt or truncated zip): {error}") from None
    if is_torch:
        return _load_torch_zip(path, content)
    arrays = _load_npz(path, content)
    return _decode_manifest(path, arrays) if MANIFEST in arrays else arrays
