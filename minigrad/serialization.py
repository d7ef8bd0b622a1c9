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


def save(obj: Any, path: str | os.PathLike) -> None:
    """Write ``obj`` (nested dicts/lists of arrays, Tensors and numbers) to ``path`` atomically.

    >>> import minigrad as mg, minigrad.nn as nn, tempfile, os
    >>> model = nn.Linear(3, 2)
    >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.npz")
    >>> mg.save({"model": model.state_dict(), "epoch": 1}, path)
    >>> sorted(mg.load(path)["model"]), mg.load(path)["epoch"]
    (['bias', 'weight'], 1)
    """
    arrays: dict = {}
    manifest = _encode(obj, "", arrays)
    text = json.dumps(manifest, allow_nan=True).encode("utf-8")
    arrays[MANIFEST] = np.frombuffer(text, dtype=np.uint8)
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".minigrad-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def _refuse_foreign_zip(path: str, content: bytes) -> None:
    """A zip whose members are not all ``.npy`` arrays (a PyTorch ``.pt``, say) is not ours."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        foreign = [name for name in archive.namelist() if not name.endswith(".npy")]
    if not foreign:
        return
    if any(name.endswith("data.pkl") for name in foreign):
        raise CheckpointError(
            f"mg.load: {path!r} is a PyTorch checkpoint (torch.save's zip format), which minigrad does not "
            "read: its pickle could run code. Convert it where PyTorch is installed: np.savez('weights.npz', "
            "**{k: v.numpy() for k, v in torch.load(path, weights_only=True).items()}), then mg.load('weights.npz')"
        )
    raise CheckpointError(
        f"mg.load: {path!r} is a zip archive but not a minigrad checkpoint (member {foreign[0]!r} is not an array)"
    )


def load(path: str | os.PathLike, map_location=None, *, weights_only: bool = True, mmap=None, **unused) -> Any:
    """Read a checkpoint written by :func:`save` (or any ``.npz`` of plain arrays).

    Never unpickles: archives containing pickled objects raise ``CheckpointError``. PyTorch's
    ``map_location`` (the CPU) and ``weights_only`` are accepted, so ``torch.load(path,
    weights_only=True)`` reads the same; minigrad only ever loads weights.
    """
    if map_location is not None and not callable(map_location) and not isinstance(map_location, dict):
        from minigrad.devices import check_device

        check_device(map_location, "checkpoint")
    path = os.fspath(path)
    try:
        with open(path, "rb") as file:
            content = file.read()
        if not content.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            raise CheckpointError(
                f"mg.load: {path!r} is not a minigrad checkpoint (not an .npz archive); minigrad does not "
                "read pickle-based files such as PyTorch .pt files, which could run code when loaded"
            )
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
