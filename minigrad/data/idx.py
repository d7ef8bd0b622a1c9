"""The IDX file format of MNIST and Fashion-MNIST, gzipped or raw.

An IDX file is a header and the array's bytes::

    0x00 0x00 <type> <ndim>        magic number: two zero bytes, the element type, the rank
    <size 0> ... <size ndim-1>     one big-endian uint32 per dimension
    <data>                         prod(sizes) elements, big-endian

The reader checks the magic number, the type code and that the sizes agree with the file's
length, and names the file in every error.
"""
from __future__ import annotations

import gzip
import os
import struct
import zlib

import numpy as np

TYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
         0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
CODES = {dtype.newbyteorder("="): code for code, dtype in TYPES.items()}


class IDXError(ValueError):
    """A file is not a valid IDX file (corrupt, truncated or of another format)."""


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as file:
        content = file.read()
    if content[:2] == b"\x1f\x8b":  # gzip
        try:
            return gzip.decompress(content)
        except (OSError, EOFError, zlib.error) as error:
            raise IDXError(f"{path}: the gzip stream is corrupt or truncated ({error})") from None
    return content


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (``.gz`` or raw) into a native-endian numpy array.

    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "x-idx2-ubyte")
    >>> write_idx(path, np.arange(6, dtype=np.uint8).reshape(2, 3))
    >>> read_idx(path).tolist()
    [[0, 1, 2], [3, 4, 5]]
    """
    path = os.fspath(path)
    content = _read_bytes(path)
    if len(content) < 4:
        raise IDXError(f"{path}: too short to be an IDX file ({len(content)} bytes)")
    zero, code, ndim = content[:2], content[2], content[3]
    if zero != b"\x00\x00" or code not in TYPES:
        raise IDXError(f"{path}: bad magic number {content[:4].hex()} (expected 0000 followed by a type code and a rank)")
    header = 4 + 4 * ndim
    if ndim == 0 or len(content) < header:
        raise IDXError(f"{path}: the header is truncated (rank {ndim}, {len(content)} bytes)")
    shape = struct.unpack(f">{ndim}I", content[4:header])
    dtype = TYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(content) - header != expected:
        raise IDXError(
            f"{path}: the header says shape {shape} ({expected} bytes of data) but the file holds "
            f"{len(content) - header} bytes; the file is truncated or corrupt"
        )
    return np.frombuffer(content, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike, array: np.ndarray, compress: bool | None = None) -> None:
    """Write ``array`` as an IDX file (gzipped when ``path`` ends in ``.gz``)."""
    path = os.fspath(path)
    array = np.asarray(array)
    code = CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        raise ValueError(f"write_idx: unsupported dtype {array.dtype}")
    content = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    content += array.astype(TYPES[code]).tobytes()
    if compress if compress is not None else path.endswith(".gz"):
        content = gzip.compress(content)
    with open(path, "wb") as file:
        file.write(content)
