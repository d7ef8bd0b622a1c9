"""Fetching dataset files: stream to a temporary file, check the SHA-256 digest, then rename.

A file is moved into place only when it is complete and verified, so an interrupted or
tampered download never leaves a half-written file where a dataset would read it. Any URL that
``urllib`` opens works, ``file://`` included (minigrad "downloads" Fashion-MNIST from Debian's
local copy that way when there is one).

A mirror is trusted for nothing but the bytes that pass the checksum, so each download is bounded:

- in time, by ``deadline`` seconds for the whole file (a per-read timeout alone lets a server
  that sends one byte every few seconds keep a download alive for days): when it passes, the
  connection is shut down, which wakes a read blocked on it;
- in size, by ``max_bytes``: a ``Content-Length`` above it is refused before anything is read, and
  so is a reply that is not HTTP or whose ``Content-Length`` is absent, malformed or not kept;
- in memory, when verifying: the file is hashed in chunks, and a gzip file is decompressed in
  chunks too, never past ``max_content`` bytes (a small "gzip bomb" cannot fill the memory).
"""
from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zlib
from pathlib import Path

CHUNK = 1 << 16


class DownloadError(RuntimeError):
    """No mirror delivered a file whose checksum matches."""


# -- verifying --------------------------------------------------------------------------------------
def _digest(chunks) -> tuple[str, int]:
    """SHA-256 and length of a stream of byte chunks."""
    sha, size = hashlib.sha256(), 0
    for chunk in chunks:
        sha.update(chunk)
        size += len(chunk)
    return sha.hexdigest(), size


def _chunks(stream, limit: float = float("inf")):
    """The stream's bytes in chunks, stopping once more than ``limit`` bytes were read."""
    size = 0
    while size <= limit:
        chunk = stream.read(CHUNK)
        if not chunk:
            return
        size += len(chunk)
        yield chunk


def verify(path: Path, accepted: set[str], max_content: int | None = None) -> bool:
    """True when the file's SHA-256, or that of its gunzipped content, is an accepted digest.

    Both are known because mirrors recompress (Debian's package ships the same images in a
    differently compressed ``.gz``). Memory stays bounded: the file is read in chunks, and the
    gunzipped content is hashed as it is decompressed, stopping past ``max_content`` bytes.
    """
    with open(path, "rb") as file:
        if _digest(_chunks(file))[0] in accepted:
            return True
        file.seek(0)
        if file.read(2) != b"\x1f\x8b":
            return False
        file.seek(0)
        limit = float("inf") if max_content is None else max_content
        try:
            with gzip.GzipFile(fileobj=file) as content:
                digest, size = _digest(_chunks(content, limit))
        except (OSError, EOFError, zlib.error):
            return False
        return size <= limit and digest in accepted


# -- the time limit -----------------------------------------------------------------------------------
class Deadline:
    """A time limit for one download. When it passes, the connections it watches are shut down,
    which wakes any read blocked on them (the read then sees the end of the stream)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._handles: list[socket.socket] = []
        self._passed = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    @property
    def passed(self) -> bool:
        return self._passed or time.monotonic() >= self.end

    def remaining(self) -> float:
        return max(self.end - time.monotonic(), 0.001)

    def watch(self, sock: socket.socket) -> socket.socket:
        """Watch ``sock`` through a second handle on the same connection, which stays valid when
        TLS wraps ``sock`` into another object."""
        with self._lock:
            handle = socket.fromfd(sock.fileno(), sock.family, sock.type)
            self._handles.append(handle)
            if self._passed:
                _shut(handle)
        return sock

    def _expire(self) -> None:
        with self._lock:
            self._passed = True
            for handle in self._handles:
                _shut(handle)

    def close(self) -> None:
        self._timer.cancel()
        with self._lock:
            for handle in self._handles:
                handle.close()
            self._handles.clear()


def _shut(handle: socket.socket) -> None:
    try:
        handle.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed by the other side
        pass


class _Watched:
    """Mixed into urllib's HTTP(S) handlers: every connection they open is watched by ``deadline``."""

    def __init__(self, deadline: Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def do_open(self, http_class, request, **kwargs):
        deadline = self.deadline

        class WatchedConnection(http_class):
            def __init__(self, *args, **kw):
                super().__init__(*args, **kw)
                # http.client opens its socket with this attribute; watching from the raw socket on
                # also covers the TLS handshake
                create = self._create_connection
                self._create_connection = lambda *a, **k: deadline.watch(create(*a, **k))

        return super().do_open(WatchedConnection, request, **kwargs)


class _HTTPHandler(_Watched, urllib.request.HTTPHandler):
    pass


class _HTTPSHandler(_Watched, urllib.request.HTTPSHandler):
    pass


# -- downloading ----------------------------------------------------------------------------------------
def _announced_size(response, max_bytes: float) -> int:
    """The reply's ``Content-Length``, refused when absent, malformed, contradictory or too large."""
    values = {value.strip() for value in (response.headers.get_all("Content-Length") or [])}
    if not values:
        raise DownloadError("the reply has no Content-Length, so its size cannot be checked")
    if len(values) > 1 or not next(iter(values)).isdigit():
        raise DownloadError(f"the reply has a malformed Content-Length: {', '.join(sorted(values))}")
    size = int(next(iter(values)))
    if size > max_bytes:
        raise DownloadError(f"the reply announces {size} bytes, more than the {int(max_bytes)} this file can have")
    return size


def _fetch(url: str, out, deadline: Deadline, timeout: float, max_bytes: float, bar_name: str | None) -> None:
    opener = urllib.request.build_opener(_HTTPHandler(deadline), _HTTPSHandler(deadline))
    with opener.open(url, timeout=min(timeout, deadline.remaining())) as response:
        size = _announced_size(response, max_bytes)
        bar = _progress(size, bar_name) if bar_name else None
        received = 0
        # read1 returns what has arrived (read(n) would wait for all n bytes)
        while received < size and not deadline.passed:
            chunk = response.read1(CHUNK)
            if not chunk:
                break
            received += len(chunk)
            if received > max_bytes:
                raise DownloadError(f"more than {int(max_bytes)} bytes arrived; cut off")
            out.write(chunk)
            if bar is not None:
                bar.update(len(chunk))
        if bar is not None:
            bar.close()
        if deadline.passed:
            raise DownloadError(f"not complete within the deadline of {deadline.seconds:g} s")
        if received != size:
            raise DownloadError(f"the reply ended after {received} of the {size} bytes its Content-Length announced")


def _describe(error: BaseException) -> str:
    """A reason for people, for what urllib and http.client raise."""
    if isinstance(error, http.client.RemoteDisconnected):
        return "the server closed the connection without replying"
    if isinstance(error, (http.client.BadStatusLine, http.client.LineTooLong)):
        return f"not an HTTP reply ({error})"
    if isinstance(error, http.client.HTTPException):
        return f"a malformed HTTP reply ({type(error).__name__}: {error})"
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return f"cannot connect ({error.reason})"
    return f"{type(error).__name__}: {error}" if not str(error) else str(error)


def download_file(url: str, destination: Path, accepted: set[str], progress: bool = True, timeout: float = 30,
                  deadline: float = 60, max_bytes: int | None = None, max_content: int | None = None) -> None:
    """Fetch ``url`` to ``destination``: stream to a temporary file, check SHA-256, then rename.

    ``timeout`` bounds each wait for the server, ``deadline`` the whole download (seconds);
    ``max_bytes`` the size of the file fetched, ``max_content`` that of its gunzipped content when
    verifying. Any failure is a ``DownloadError`` naming ``url`` and saying why.
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".download-", dir=destination.parent)
    clock = Deadline(deadline)
    try:
        with os.fdopen(handle, "wb") as out:
            try:
                _fetch(url, out, clock, timeout, float("inf") if max_bytes is None else max_bytes,
                       destination.name if progress else None)
            except DownloadError as error:
                raise DownloadError(f"{url}: {error}") from None
            except (OSError, http.client.HTTPException, ValueError) as error:  # URLError is an OSError
                if clock.passed:
                    raise DownloadError(f"{url}: not complete within the deadline of {deadline:g} s") from None
                raise DownloadError(f"{url}: {_describe(error)}") from None
        if not verify(Path(temporary), accepted, max_content):
            raise DownloadError(f"{url}: the SHA-256 checksum does not match (corrupt or tampered download); nothing was kept")
        os.replace(temporary, destination)
    finally:
        clock.close()
        if os.path.exists(temporary):
            os.remove(temporary)


def _progress(total, name):
    from tqdm import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, desc=f"downloading {name}", leave=False)


__all__ = ["Deadline", "DownloadError", "download_file", "verify"]
