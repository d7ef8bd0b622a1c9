"""``mg.save`` / ``mg.load``: checkpoints as plain ``.npz`` files, never pickle.

A checkpoint is a nested structure of dicts (and lists) whose leaves are arrays, Tensors,
numbers, strings, booleans or None, for example::

    {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3}

Every array is stored as its own ``.npy`` member named by its dotted path
(``model.features.0.weight``). The structure itself (dict keys with their types, numbers,
strings) is stored as JSON in the member ``__minigrad__``, so that ``load`` restores exactly
what was saved, including integer keys and keys that contain dots.

Safety: ``load`` always calls ``np.load(..., allow_pickle=False)``, so an archive that carries a
pickled object (which could run code when unpickled) is refused, not unpickled. ``save`` writes
to a temporary file in the same directory and renames it over the target with ``os.replace``,
so a crash never leaves a half-written checkpoint.

Other formats (see ``docs/interop.md``):

- ``.safetensors`` (by extension or ``format="safetensors"``), read and written with the
  ``safetensors`` package: a flat dict of arrays, the format of the Hugging Face Hub.
- PyTorch's ``torch.save`` zip files (``.pt``/``.pth``) are read by
  :mod:`minigrad.torch_checkpoint`, whose restricted unpickler accepts only what a state_dict
  holds and runs no pickled code. The legacy (pre-1.6) PyTorch format is refused.
"""
from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from typing import Any

import numpy as np

from minigrad.tensor import Tensor

MANIFEST = "__minigrad__"
_ALLOWED_KINDS = "biuf"


class CheckpointError(ValueError):
    """A file is not a readable minigrad checkpoint, or an object cannot be saved."""


def _encode(value: Any, path: str, arrays: dict) -> Any:
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
            items.append([key, _encode(item, f"{path}.{key}" if path else str(key), arrays)])
        return {"dict": items}
    if isinstance(value, (list, tuple)):
        kind = "list" if isinstance(value, list) else "tuple"
        return {kind: [_encode(item, f"{path}.{i}" if path else str(i), arrays) for i, item in enumerate(value)]}
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


def _decode(node: Any, arrays: dict) -> Any:
    if not isinstance(node, dict) or len(node) != 1:
        raise CheckpointError("mg.load: the checkpoint's structure is damaged")
    (kind, body), = node.items()
    if kind == "array":
        return arrays[body]
    if kind == "dict":
        return {key: _decode(item, arrays) for key, item in body}
    if kind == "list":
        return [_decode(item, arrays) for item in body]
    if kind == "tuple":
        return tuple(_decode(item, arrays) for item in body)
    if kind == "value":
        return body
    raise CheckpointError(f"mg.load: unknown entry {kind!r} in the checkpoint's structure")


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


def _write_atomically(path: str, content_writer) -> None:
    """Write through ``content_writer(file)`` to a temporary file, then rename it over ``path``."""
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".minigrad-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "wb") as file:
            content_writer(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
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

    from minigrad.torch_checkpoint import bfloat16_to_float32

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
    from minigrad.torch_checkpoint import read_torch_zip

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return read_torch_zip(archive, len(content))
    except CheckpointError as error:
        raise CheckpointError(f"mg.load: {path!r} (a PyTorch checkpoint): {error}") from None
    except (OSError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError) as error:
        raise CheckpointError(f"mg.load: {path!r} is a corrupt or truncated PyTorch checkpoint: {error}") from None


def _refuse_foreign_zip(path: str, content: bytes) -> None:
    """A zip whose members are not all ``.npy`` arrays (and not a PyTorch checkpoint) is not ours."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        foreign = [name for name in archive.namelist() if not name.endswith(".npy")]
    if foreign:
        raise CheckpointError(
            f"mg.load: {path!r} is a zip archive but not a minigrad checkpoint (member {foreign[0]!r} is not an array)"
        )


def _is_torch_zip(content: bytes) -> bool:
    from minigrad.torch_checkpoint import is_torch_zip

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return is_torch_zip(archive)


def _looks_like_safetensors(content: bytes) -> bool:
    """An 8-byte little-endian header size, then the JSON header."""
    return len(content) > 8 and content[8:9] == b"{"


def load(path: str | os.PathLike, map_location=None, *, weights_only: bool = True, mmap=None,
         format: str | None = None, **unused) -> Any:
    """Read a checkpoint: minigrad's ``.npz``, a ``.safetensors`` file, or a PyTorch ``.pt``/``.pth``.

    The format is ``format`` if given (``"npz"`` or ``"safetensors"``), else ``.safetensors`` by
    extension, else found from the content. Never runs pickled code: ``.npz`` members holding
    pickles are refused, and a PyTorch file is read by a restricted unpickler that accepts only
    the tensors, dicts and numbers of a state_dict (tensors come back as numpy arrays). PyTorch's
    ``map_location`` (the CPU) and ``weights_only`` are accepted, so ``torch.load(path,
    weights_only=True)`` reads the same; minigrad only ever loads weights.
    """
    if format is not None and format not in FORMATS:
        raise ValueError(f"mg.load: format must be 'npz' or 'safetensors', got {format!r}")
    if map_location is not None and not callable(map_location) and not isinstance(map_location, dict):
        from minigrad.devices import check_device

        check_device(map_location, "checkpoint")
    path = os.fspath(path)
    try:
        from minigrad.torch_checkpoint import is_legacy_torch

        with open(path, "rb") as file:
            content = file.read()
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
        if _is_torch_zip(content):
            return _load_torch_zip(path, content)
        _refuse_foreign_zip(path, content)
        archive = np.load(io.BytesIO(content), allow_pickle=False)
        with archive:
            arrays = {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        raise
    except CheckpointError:
        raise
    except ValueError as error:
        if "pickle" in str(error):
            raise CheckpointError(
                f"mg.load: {path!r} contains pickled Python objects; minigrad never unpickles (it could run "
                "arbitrary code). Only arrays and numbers can be loaded."
            ) from None
        raise CheckpointError(f"mg.load: {path!r} is not a valid checkpoint: {error}") from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError) as error:
        raise CheckpointError(f"mg.load: {path!r} is not a valid checkpoint (corrupt or truncated .npz): {error}") from None
    if MANIFEST not in arrays:
        return arrays
    try:
        manifest = json.loads(arrays.pop(MANIFEST).tobytes().decode("utf-8"))
        return _decode(manifest, arrays)
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, ValueError, TypeError) as error:
        raise CheckpointError(f"mg.load: {path!r} has a damaged structure record: {error}") from None
