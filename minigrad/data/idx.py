"""The IDX file format of MNIST and Fashion-MNIST, gzipped or raw.

An IDX file is a header and the array's bytes::

    0x00 0x00 <type> <ndim>        magic number: two zero bytes, the element type, the rank
    <size 0> ... <size ndim-1>     one big-endian uint32 per dimension
    <data>                         prod(sizes) elements, big-endian

The reader checks the magic number, the type code and that the sizes agree with the file's
length before it allocates anything, and names the file in every error.
"""
from __future__ import annotations

import gzip
import math
import os
import struct
import zlib

import numpy as np

TYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
         0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
CODES = {dtype.newbyteorder("="): code for code, dtype in TYPES.items()}


class IDXError(ValueError):
    """A file is not a valid IDX file (corrupt, truncated or of another format)."""


# deflate compresses at most about 1032:1, so a gzip file of n bytes holds less than this times n
MAX_GZIP_RATIO = 1100


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (``.gz`` or raw) into a native-endian numpy array.

    The header is checked before any memory is allocated for the data: the sizes' product is
    computed with Python integers (it cannot overflow) and compared with the file's size, so a
    corrupt header is an ``IDXError`` naming the file, never a huge allocation. A gzipped file is
    decompressed in chunks and never past the size its header declares.

    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "x-idx2-ubyte")
    >>> write_idx(path, np.arange(6, dtype=np.uint8).reshape(2, 3))
    >>> read_idx(path).tolist()
    [[0, 1, 2], [3, 4, 5]]
    """
    path = os.fspath(path)
    with open(path, "rb") as file:
        file_size = os.fstat(file.fileno()).st_size
        if file.read(2) != b"\x1f\x8b":
            file.seek(0)
            return _read(file, path, file_size, gzipped=False)
        file.seek(0)
        try:
            with gzip.GzipFile(fileobj=file) as content:
                return _read(content, path, file_size, gzipped=True)
        except (OSError, EOFError, zlib.error) as error:
            raise IDXError(f"{path}: the gzip stream is corrupt or truncated ({error})") from None


def _read(stream, path: str, file_size: int, gzipped: bool) -> np.ndarray:
    magic = stream.read(4)
    if len(magic) < 4:
        raise IDXError(f"{path}: too short to be an IDX file ({len(magic)} bytes)")
    zero, code, ndim = magic[:2], magic[2], magic[3]
    if zero != b"\x00\x00" or code not in TYPES:
        raise IDXError(f"{path}: bad magic number {magic.hex()} (expected 0000 followed by a type code and a rank)")
    sizes = stream.read(4 * ndim)
    if ndim == 0 or len(sizes) < 4 * ndim:
        raise IDXError(f"{path}: the header is truncated (rank {ndim}, {4 + len(sizes)} bytes)")
    shape = struct.unpack(f">{ndim}I", sizes)
    dtype = TYPES[code]
    expected = math.prod(shape) * dtype.itemsize
    header = 4 + 4 * ndim
    if not gzipped and file_size - header != expected:
        raise _size_error(path, shape, expected, f"the file holds {file_size - header} bytes")
    if gzipped and expected > MAX_GZIP_RATIO * file_size:
        raise _size_error(path, shape, expected, f"a gzip file of {file_size} bytes cannot hold that much")
    data = np.empty(expected, dtype=np.uint8)
    view, filled = memoryview(data), 0
    while filled < expected:
        count = stream.readinto(view[filled:filled + (1 << 20)])
        if not count:
            raise _size_error(path, shape, expected, f"the file holds only {filled} bytes")
        filled += count
    if stream.read(1):
        raise _size_error(path, shape, expected, "the file holds more")
    return data.view(dtype).reshape(shape).astype(dtype.newbyteorder("="))


def _size_error(path: str, shape: tuple, expected: int, but: str) -> IDXError:
    return IDXError(f"{path}: the header says shape {shape} ({expected} bytes of data) but {but}; "
                    f"the file is truncated or corrupt")


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
