"""Downloads and datasets against hostile input: servers that lie, stall or flood (raw sockets on
127.0.0.1, built here), gzip bombs, IDX headers that overflow, folders missing a file, empty sets.
Every server loop is bounded in count and in time."""
import contextlib
import gzip
import hashlib
import http.server
import socket
import struct
import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from minigrad.data import DatasetNotFoundError, DownloadError, FashionMNIST, IDXError, MNIST, read_idx, write_idx
from minigrad.data import mnist as mnist_module
from minigrad.data.download import download_file, verify

BODY = b"minigrad test payload " * 50
DIGEST = {hashlib.sha256(BODY).hexdigest()}
SERVER_LIFETIME = 20  # seconds: no test server outlives this


def _read_request(conn: socket.socket) -> None:
    request = b""
    while b"\r\n\r\n" not in request and len(request) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            return
        request += chunk


@contextlib.contextmanager
def raw_server(reply):
    """A TCP server on 127.0.0.1 answering every connection with ``reply(conn, stop)``, raw bytes."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def handle(conn):
        with conn:
            conn.settimeout(5)
            try:
                _read_request(conn)
                reply(conn, stop)
            except OSError:  # the client hung up, as it should
                pass

    def serve():
        end = time.monotonic() + SERVER_LIFETIME
        for _ in range(100):  # connections
            while not stop.is_set() and time.monotonic() < end:
                try:
                    conn, _ = listener.accept()
                    break
                except socket.timeout:
                    continue
            else:
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def _drip(data: bytes, every: float):
    """A reply that sends ``data`` one byte at a time, ``every`` seconds apart."""
    def reply(conn, stop):
        for byte in data[:200]:
            if stop.wait(every):
                return
            conn.sendall(bytes([byte]))
    return reply


def _send(data: bytes):
    return lambda conn, stop: conn.sendall(data)


def _headers(*lines: str) -> bytes:
    return ("HTTP/1.1 200 OK\r\nConnection: close\r\n" + "".join(f"{line}\r\n" for line in lines) + "\r\n").encode()


def _flood(conn, stop):
    """An honest server with a huge file: announces 5 GB and streams zeros until the client leaves."""
    conn.sendall(_headers(f"Content-Length: {5 << 30}"))
    zeros = bytes(1 << 16)
    for _ in range(80_000):  # 5 GB at most
        if stop.is_set():
            return
        conn.sendall(zeros)


def _fails(url, tmp_path, match, seconds=5.0, **kwargs):
    """``download_file`` fails with ``match`` within ``seconds`` and leaves nothing behind."""
    destination = tmp_path / "out" / "file.gz"
    start = time.monotonic()
    with pytest.raises(DownloadError, match=match) as info:
        download_file(url + "file.gz", destination, DIGEST, progress=False, **kwargs)
    assert time.monotonic() - start < seconds
    assert url in str(info.value)
    assert not list(destination.parent.iterdir())  # neither the file nor a temporary one


# -- one server, one failure ------------------------------------------------------------------------------
@pytest.mark.parametrize("reply,match", [
    (_send(b"\x00\xffSSH-2.0-garbage\xfe\r\n\r\n" * 3), "not an HTTP reply"),
    (_send(b"\x16\x03\x01\x02\x00" + bytes(range(256))), "not an HTTP reply"),  # no newline, then closes
    (_send(b""), "closed the connection without replying"),
    (_send(_headers() + BODY), "no Content-Length"),
    (_send(_headers("Content-Length: abc") + BODY), "malformed Content-Length: abc"),
    (_send(_headers("Content-Length: -5") + BODY), "malformed Content-Length"),
    (_send(_headers(f"Content-Length: {len(BODY)}", "Content-Length: 3") + BODY), "malformed Content-Length"),
    (_send(_headers(f"Content-Length: {len(BODY) + 10_000}") + BODY), f"ended after {len(BODY)} of"),
    (_send(_headers("Content-Length: 100") + BODY), "checksum does not match"),  # a lie too short
    (_send(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), "HTTP 404"),
])
def test_a_bad_reply_is_a_clear_download_error(tmp_path, reply, match):
    with raw_server(reply) as url:
        _fails(url, tmp_path, match)


def test_a_good_reply_from_the_raw_server_is_kept(tmp_path):
    with raw_server(_send(_headers(f"Content-Length: {len(BODY)}") + BODY)) as url:
        download_file(url + "file.gz", tmp_path / "file.gz", DIGEST, progress=False, max_bytes=len(BODY))
    assert (tmp_path / "file.gz").read_bytes() == BODY


@pytest.mark.parametrize("reply", [
    _drip(_headers(f"Content-Length: {len(BODY)}") + BODY, every=0.05),  # slow body (and headers)
    _drip(b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 200, every=0.05),      # headers that never end
    lambda conn, stop: stop.wait(SERVER_LIFETIME),                       # says nothing at all
], ids=["slow-body", "slow-headers", "silent"])
def test_the_deadline_bounds_the_whole_download_not_each_read(tmp_path, reply):
    with raw_server(reply) as url:  # each byte comes well within the 30 s read timeout
        _fails(url, tmp_path, r"not complete within the deadline of 0\.5 s", seconds=3, timeout=30, deadline=0.5)


def test_a_file_larger_than_its_cap_is_refused_without_reading_it(tmp_path):
    with raw_server(_flood) as url:
        _fails(url, tmp_path, "announces 5368709120 bytes, more than the 1000", max_bytes=1000)


# -- verification: bounded memory -----------------------------------------------------------------------------
def _gzip_bomb(path: Path, megabytes: int) -> Path:
    with gzip.open(path, "wb") as out:  # written in chunks: the test itself stays small too
        for _ in range(megabytes):
            out.write(bytes(1 << 20))
    return path


def test_a_gzip_bomb_is_verified_in_bounded_memory(tmp_path):
    bomb = _gzip_bomb(tmp_path / "bomb.gz", 64)
    assert bomb.stat().st_size < 200_000
    zeros = hashlib.sha256()
    for _ in range(64):
        zeros.update(bytes(1 << 20))
    for max_content, expected in ((1 << 20, False), (None, True)):  # capped: stops early; uncapped: streams
        tracemalloc.start()
        try:
            assert verify(bomb, {zeros.hexdigest()}, max_content=max_content) is expected
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 4 << 20, f"verify used {peak} bytes"


def test_a_downloaded_gzip_bomb_is_rejected_in_bounded_memory(tmp_path, monkeypatch):
    served = tmp_path / "served"
    served.mkdir()
    _gzip_bomb(served / "train-images-idx3-ubyte.gz", 64)
    with local_http(served) as url:
        monkeypatch.setattr(mnist_module, "CACHE", tmp_path / "cache")
        tracemalloc.start()
        try:
            with pytest.raises(DownloadError, match="checksum does not match"):
                MNIST(tmp_path / "data", download=True, mirrors=[url])
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 8 << 20, f"the download used {peak} bytes"


# -- mirrors: fall through, configure -------------------------------------------------------------------------
@contextlib.contextmanager
def local_http(directory: Path):
    """An ordinary HTTP server on 127.0.0.1 serving ``directory``."""
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(directory), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def mnist_mirror(tmp_path, monkeypatch):
    """A served fake MNIST (20 training images) whose digests MNIST accepts; no cache, no other mirror."""
    served = tmp_path / "served"
    served.mkdir()
    rng = np.random.default_rng(0)
    digests = {}
    for stem, array in (("train-images-idx3-ubyte", rng.integers(0, 256, (20, 28, 28), dtype=np.uint8)),
                        ("train-labels-idx1-ubyte", rng.integers(0, 10, 20).astype(np.uint8))):
        write_idx(served / f"{stem}.gz", array)
        digests[stem] = {hashlib.sha256((served / f"{stem}.gz").read_bytes()).hexdigest()}
    monkeypatch.setattr(MNIST, "checksums", digests)
    monkeypatch.setattr(MNIST, "mirrors", [])
    monkeypatch.setattr(mnist_module, "CACHE", tmp_path / "cache")
    monkeypatch.delenv("MINIGRAD_MNIST_MIRRORS", raising=False)
    monkeypatch.delenv("MINIGRAD_DOWNLOAD_DEADLINE", raising=False)
    with local_http(served) as url:
        yield url


def test_bad_mirrors_are_skipped_with_a_message_and_a_good_one_is_used(tmp_path, mnist_mirror, capsys):
    with raw_server(_send(b"garbage\r\n\r\n")) as garbage, \
            raw_server(_send(_headers("Content-Length: 99999999999"))) as huge:
        dataset = MNIST(tmp_path / "data", download=True, mirrors=[garbage, huge, mnist_mirror])
    assert len(dataset) == 20
    err = capsys.readouterr().err
    assert f"{garbage}train-images-idx3-ubyte.gz: not an HTTP reply" in err and "trying the next mirror" in err
    assert f"{huge}train-images-idx3-ubyte.gz: the reply announces 99999999999 bytes" in err


def test_when_every_mirror_fails_the_error_lists_each_reason(tmp_path, mnist_mirror):
    with raw_server(_send(b"garbage\r\n\r\n")) as garbage:
        with pytest.raises(DownloadError) as info:
            MNIST(tmp_path / "data", download=True, mirrors=f"{garbage}, http://127.0.0.1:9/closed")
    message = str(info.value)
    assert "could not download train-images-idx3-ubyte.gz from any mirror" in message
    assert "not an HTTP reply" in message and "127.0.0.1:9/closed/train-images" in message


def test_the_known_file_size_caps_a_download(tmp_path, mnist_mirror, monkeypatch):
    monkeypatch.setattr(MNIST, "sizes", {stem: 10 for stem in mnist_module.SIZES})  # the cap is 10 + margin
    monkeypatch.setattr(mnist_module, "_download_limit", lambda size: size + 20)
    with raw_server(_flood) as flood:
        with pytest.raises(DownloadError, match="announces 5368709120 bytes, more than the 30"):
            MNIST(tmp_path / "data", download=True, mirrors=[flood])


def test_mirrors_from_the_environment_and_the_argument(tmp_path, mnist_mirror, monkeypatch):
    monkeypatch.setenv("MINIGRAD_MNIST_MIRRORS", f"http://127.0.0.1:9/closed,{mnist_mirror.rstrip('/')}")
    assert MNIST.mirror_urls() == ["http://127.0.0.1:9/closed/", mnist_mirror]
    assert len(MNIST(tmp_path / "env", download=True)) == 20
    assert MNIST.mirror_urls(["file:///srv/mnist"]) == ["file:///srv/mnist/"]  # the argument wins
    monkeypatch.setenv("MINIGRAD_FASHION_MNIST_MIRRORS", "ftp://example.invalid/")
    with pytest.raises(ValueError, match=r"\$MINIGRAD_FASHION_MNIST_MIRRORS: 'ftp://example.invalid/' is not an"):
        FashionMNIST(tmp_path / "nothing", download=True)
    with pytest.raises(ValueError, match="mirrors: 'mirror.example' is not an http"):
        MNIST(tmp_path / "nothing", download=True, mirrors=["mirror.example"])


def test_the_deadline_comes_from_the_environment(tmp_path, mnist_mirror, monkeypatch):
    monkeypatch.setenv("MINIGRAD_DOWNLOAD_DEADLINE", "0.5")
    start = time.monotonic()
    with raw_server(_drip(_headers("Content-Length: 1000") + bytes(1000), every=0.05)) as slow:
        with pytest.raises(DownloadError, match=r"deadline of 0\.5 s"):
            MNIST(tmp_path / "data", download=True, mirrors=[slow])
    assert time.monotonic() - start < 3
    monkeypatch.setenv("MINIGRAD_DOWNLOAD_DEADLINE", "soon")
    with pytest.raises(ValueError, match=r"\$MINIGRAD_DOWNLOAD_DEADLINE is 'soon'"):
        MNIST(tmp_path / "data", download=True, mirrors=[mnist_mirror])


# -- IDX headers and dataset folders --------------------------------------------------------------------------
def _idx(path: Path, shape: tuple, data: bytes = b"", gz: bool = False) -> Path:
    content = bytes([0, 0, 0x08, len(shape)]) + struct.pack(f">{len(shape)}I", *shape) + data
    path.write_bytes(gzip.compress(content) if gz else content)
    return path


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("shape", [
    (65536, 65536, 65536, 65536),  # 2**64 bytes: 0 in int64 arithmetic
    (1 << 31, 1 << 31, 4),          # 2**64 again
    (1_000_000, 1_000_000),         # a terabyte
])
def test_idx_sizes_that_overflow_or_exceed_the_file_are_refused_before_allocating(tmp_path, shape, gz):
    path = _idx(tmp_path / "huge-idx-ubyte", shape, gz=gz)  # no data: 2**64 bytes wrap to 0
    with pytest.raises(IDXError, match=r"the header says shape .* but .*truncated or corrupt") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_a_gzipped_idx_bomb_is_read_no_further_than_its_header_says(tmp_path):
    path = tmp_path / "bomb-idx3-ubyte.gz"
    with gzip.open(path, "wb") as out:
        out.write(bytes([0, 0, 0x08, 3]) + struct.pack(">3I", 10, 28, 28))
        for _ in range(64):
            out.write(bytes(1 << 20))
    tracemalloc.start()
    try:
        with pytest.raises(IDXError, match="the file holds more") as info:
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(path) in str(info.value) and peak < 4 << 20


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist_module, "CACHE", tmp_path / "cache")
    monkeypatch.setattr(FashionMNIST, "system_dirs", ())
    return tmp_path


@pytest.mark.parametrize("missing", ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"])
def test_a_missing_file_is_named_and_never_taken_from_another_folder(isolated, monkeypatch, missing):
    complete = isolated / "cache" / "fashion-mnist"  # a complete copy where minigrad also looks
    complete.mkdir(parents=True)
    write_idx(complete / "train-images-idx3-ubyte", np.zeros((2, 28, 28), np.uint8))
    write_idx(complete / "train-labels-idx1-ubyte", np.zeros(2, np.uint8))
    raw = isolated / "data" / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    present = ({"train-images-idx3-ubyte", "train-labels-idx1-ubyte"} - {missing}).pop()
    write_idx(raw / f"{present}.gz", np.zeros((3, 28, 28) if "images" in present else 3, np.uint8))
    write_idx(isolated / "data" / missing, np.zeros((3, 28, 28) if "images" in missing else 3, np.uint8))
    with pytest.raises(DatasetNotFoundError, match=f"has {present}.gz but not {missing}") as info:
        FashionMNIST(isolated / "data")
    assert str(raw) in str(info.value)


@pytest.mark.parametrize("images,labels,match", [
    (np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8), "holds 0 images"),
    (np.zeros((2, 28, 28), np.float32), np.zeros(2, np.uint8), "the pixels are float32"),
    (np.zeros((2, 28, 28), np.uint8), np.array([3, 10], np.uint8), "labels must be integers from 0 to 9"),
    (np.zeros((2, 28, 28), np.uint8), np.zeros(3, np.uint8), "do not match"),
])
def test_a_split_that_cannot_be_trained_on_is_an_error_naming_the_file(isolated, images, labels, match):
    write_idx(isolated / "train-images-idx3-ubyte", images)
    write_idx(isolated / "train-labels-idx1-ubyte", labels)
    with pytest.raises(IDXError, match=match) as info:
        MNIST(isolated)
    assert str(isolated / "train-") in str(info.value)
