"""Crafted and damaged checkpoints never crash, hang, exhaust memory or mislead; saves clean up.

Every bad file is built here, byte by byte where numpy or zipfile would refuse to write it: a
zip archive is a sequence of (local header, member bytes), then a directory of the members, so
a member's recorded sizes, CRC and compression can say whatever a hostile file wants.
"""
import json
import re
import os
import signal
import stat
import struct
import subprocess
import sys
import textwrap
import time
import zlib

import numpy as np
import pytest

import minigrad as mg

STORED, DEFLATED = 0, 8
GB = 1 << 30


def npy_bytes(descr: str = "<f8", shape: tuple = (10,), data: bytes | None = None, version: int = 1,
              header: str | None = None) -> bytes:
    """An .npy file: magic, version, header length, the header dict as text, then the data."""
    text = header if header is not None else repr({"descr": descr, "fortran_order": False, "shape": shape})
    text = text.encode("latin-1") + b"\n"
    length = struct.pack("<H" if version == 1 else "<I", len(text))
    if data is None:
        data = bytes(int(np.prod(shape)) * np.dtype(descr).itemsize)
    return b"\x93NUMPY" + bytes([version, 0]) + length + text + data


def deflate(data: bytes, finish: bool = True) -> bytes:
    """A raw deflate stream (as in a zip member); without ``finish`` it stops after a full flush."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(zlib.Z_FINISH if finish else zlib.Z_FULL_FLUSH)


def member(name: str, content: bytes, method: int = DEFLATED, **lies) -> dict:
    """A zip member holding ``content``; ``raw``, ``file_size``, ``crc`` or ``flags`` override the truth."""
    raw = deflate(content) if method == DEFLATED else content
    return {"name": name, "method": method, "raw": raw, "file_size": len(content), "crc": zlib.crc32(content),
            "flags": 0, **lies}


def zip_bytes(*members: dict) -> bytes:
    """A zip archive written by hand: each member's local header and bytes, the directory, its end.

    A size of 4 GiB or more is written as 0xFFFFFFFF with the true size in a zip64 extra field.
    """
    body, directory = b"", b""
    for m in members:
        name = m["name"].encode()
        size, extra = m["file_size"], b""
        if size >= 2**32:
            size, extra = 0xFFFFFFFF, struct.pack("<HHQ", 1, 8, size)
        fields = (m["crc"], len(m["raw"]), size, len(name), len(extra))
        directory += struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 45, 45, m["flags"], m["method"], 0, 0, *fields,
                                 0, 0, 0, 0, len(body)) + name + extra
        body += struct.pack("<4s5H3I2H", b"PK\x03\x04", 45, m["flags"], m["method"], 0, 0, *fields) + name + extra + m["raw"]
    end = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(members), len(members), len(directory), len(body), 0)
    return body + directory + end


def manifest_member(structure) -> dict:
    """The ``__minigrad__`` structure record: JSON (given as an object or as text) in a uint8 array."""
    text = (structure if isinstance(structure, str) else json.dumps(structure)).encode()
    return member("__minigrad__.npy", npy_bytes("|u1", (len(text),), data=text))


def nested(depth: int) -> str:
    """A structure record of lists nested ``depth`` deep, as JSON text (json.dumps would recurse)."""
    return '{"list": [' * depth + '{"value": 1}' + "]}" * depth


def assert_refused(path, *patterns: str) -> str:
    """``mg.load(path)`` raises CheckpointError naming the file, and matching each pattern."""
    with pytest.raises(mg.CheckpointError) as caught:
        mg.load(path)
    message = str(caught.value)
    assert repr(str(path)) in message, message
    for pattern in patterns:
        assert re.search(pattern, message), f"{pattern!r} not in {message!r}"
    return message


# ---------------------------------------------------------------- damaged files: a clear CheckpointError each

DAMAGED = {
    "corrupt deflate stream": (
        [member("w.npy", npy_bytes(), raw=deflate(npy_bytes()[:128], finish=False) + b"\xff" * 64)],
        [r"'w\.npy' has a corrupt deflate stream"]),
    "manifest that is not an .npy": (
        [member("w.npy", npy_bytes()), member("__minigrad__.npy", b'{"dict": []}')],
        [r"'__minigrad__\.npy' is not an \.npy array"]),
    "manifest of the wrong dtype": (
        [member("__minigrad__.npy", npy_bytes("<f8", (2,)))],
        [r"damaged structure record.*float64"]),
    "manifest nested 5,000 deep": ([manifest_member(nested(5000))], [r"nested more than 100 levels deep"]),
    "manifest nested 150 deep": ([manifest_member(nested(150))], [r"nested more than 100 levels deep"]),
    "manifest value that is a dict": ([manifest_member({"value": {"a": 1}})], [r"damaged structure record.*'value'"]),
    "manifest naming a missing array": ([manifest_member({"array": "w"})], [r"refers to the array 'w'"]),
    "npy header of 20 kB": (
        [member("w.npy", npy_bytes(header="{" + " " * 20_000 + "}"))],
        [r"'w\.npy' has an invalid \.npy header of 20003 bytes, over the 10000-byte limit"]),
    "npy header of 4 GB declared by a version 2 file": (
        [member("w.npy", b"\x93NUMPY\x02\x00" + struct.pack("<I", 2**32 - 1) + b"{")],
        [r"invalid \.npy header of 4294967295 bytes"]),
    "npy header that is not a literal": (
        [member("w.npy", npy_bytes(header="__import__('os').system('true')"))], [r"unreadable \.npy header"]),
    "npy header with a negative shape": ([member("w.npy", npy_bytes(header="{'descr': '<f4', 'fortran_order': False, "
                                                                          "'shape': (-1,)}"))], [r"malformed \.npy header"]),
    "unknown npy version": ([member("w.npy", b"\x93NUMPY\x09\x00" + npy_bytes()[8:])], [r"unknown version 9\.0"]),
    "declared shape of 728 TiB": (
        [member("w.npy", npy_bytes("<f8", (10**7, 10**7), data=bytes(16)))],
        [r"'w\.npy' declares shape \(10000000, 10000000\) of float64 \(800,000,000,000,000 bytes\).*records 16 bytes"]),
    "data shorter than the header and the directory say": (
        [member("w.npy", npy_bytes()[:-8], file_size=len(npy_bytes()))], [r"its stream holds fewer"]),
    "damaged bytes (CRC)": ([member("w.npy", npy_bytes(), crc=1234)], [r"CRC"]),
    "encrypted member": ([member("w.npy", npy_bytes(), flags=1)], [r"'w\.npy' is encrypted"]),
    "bzip2 member": ([member("w.npy", npy_bytes(), method=12)], [r"compression method 12"]),
    "a member twice": ([member("w.npy", npy_bytes()), member("w.npy", npy_bytes())], [r"'w\.npy' appears twice"]),
    "zip that is not a checkpoint": ([member("readme.txt", b"hello")], [r"not a minigrad checkpoint.*'readme\.txt'"]),
}


@pytest.mark.parametrize("case", DAMAGED)
def test_every_damaged_file_names_itself_and_the_damage(tmp_path, case):
    members, patterns = DAMAGED[case]
    (tmp_path / "bad.npz").write_bytes(zip_bytes(*members))
    message = assert_refused(tmp_path / "bad.npz", *patterns)
    assert "pickle" not in message


def test_the_hand_made_zips_are_read_like_numpys_own(tmp_path):
    """The builder above is faithful: honest members load exactly, stored or deflated, any version."""
    weights = np.arange(12, dtype=np.float32).reshape(3, 4)
    fortran = npy_bytes(header="{'descr': '>i2', 'fortran_order': True, 'shape': (2, 3)}",
                        data=np.arange(6, dtype=">i2").tobytes())
    (tmp_path / "ok.npz").write_bytes(zip_bytes(
        member("w.npy", npy_bytes("<f4", (3, 4), weights.tobytes())),
        member("v.npy", npy_bytes("<f4", (3, 4), weights.tobytes(), version=2), method=STORED),
        member("f.npy", fortran), member("empty.npy", npy_bytes("<i8", (0, 5)))))
    back = mg.load(tmp_path / "ok.npz")
    np.testing.assert_array_equal(back["w"], weights)
    np.testing.assert_array_equal(back["v"], weights)
    np.testing.assert_array_equal(back["f"], np.arange(6).reshape(2, 3, order="F"))
    assert back["empty"].shape == (0, 5) and back["w"].flags.writeable


def test_truncated_and_bit_flipped_checkpoints_never_escape_as_other_errors(tmp_path):
    mg.save({"model": {"w": np.linspace(0, 1, 300)}, "epoch": 2}, tmp_path / "good.npz")
    np.savez_compressed(tmp_path / "packed.npz", w=np.linspace(0, 1, 300))
    np.testing.assert_array_equal(mg.load(tmp_path / "packed.npz")["w"], np.linspace(0, 1, 300))
    for name in ("good.npz", "packed.npz"):
        content = (tmp_path / name).read_bytes()
        rng = np.random.default_rng(0)
        for trial in range(150):
            damaged = bytearray(content)
            if trial % 3 == 0:
                damaged = damaged[: rng.integers(1, len(content))]
            else:
                damaged[rng.integers(len(content))] ^= 1 << int(rng.integers(8))
            (tmp_path / "bad.npz").write_bytes(bytes(damaged))
            try:
                mg.load(tmp_path / "bad.npz")  # a flipped bit in a number is undetectable without a checksum
            except mg.CheckpointError as error:
                assert "bad.npz" in str(error)


# ---------------------------------------------------------------- values that are not numbers

@pytest.mark.parametrize("value, kind", [
    (np.array(["conv1.weight"]), "strings"),
    (np.array([b"raw"]), "bytes"),
    (np.array(["2024-01-01"], dtype="datetime64[D]"), "datetimes"),
    (np.array([1 + 2j]), "complex numbers"),
    (np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")]), "structured"),
])
def test_non_numeric_arrays_name_the_key_and_the_file(tmp_path, value, kind):
    np.savez(tmp_path / "state.npz", **{"features.0.weight": np.ones(2), "features.0.bias": value})
    assert_refused(tmp_path / "state.npz", rf"'features\.0\.bias\.npy'.*{kind}")


def test_object_arrays_are_refused_as_pickles_naming_the_key(tmp_path):
    np.savez(tmp_path / "state.npz", **{"fc.weight": np.array([{}, None], dtype=object)})
    assert_refused(tmp_path / "state.npz", r"'fc\.weight\.npy' holds pickled Python objects")


# ---------------------------------------------------------------- memory: nothing past the declared size

LOAD_UNDER_A_MEMORY_LIMIT = textwrap.dedent("""
    import json, resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]), int(sys.argv[1])))
    import minigrad as mg
    results = {}
    for path in sys.argv[2:]:
        try:
            mg.load(path)
            results[path] = "loaded"
        except mg.CheckpointError as error:
            results[path] = "CheckpointError: " + str(error)
        except BaseException as error:  # MemoryError is the failure guarded against
            results[path] = type(error).__name__ + ": " + str(error)
    print(json.dumps(results))
""")


def load_under_a_memory_limit(*paths, limit: int = 3 * GB // 2) -> dict:
    """``mg.load`` each path in a fresh Python whose address space is capped at ``limit`` bytes."""
    pytest.importorskip("resource")
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", LOAD_UNDER_A_MEMORY_LIMIT, str(limit), *map(str, paths)],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    return {os.path.basename(path): message for path, message in json.loads(done.stdout).items()}


def zip_bomb_stream(head: bytes, gigabytes: float) -> bytes:
    """``head`` followed by ``gigabytes`` of zeros as one deflate stream of about a thousandth of that.

    Each full-flush block of a MiB of zeros compresses to the same ~1 kB, so one block repeated
    is a valid stream, built without compressing gigabytes.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    zeros = compressor.compress(bytes(1 << 20)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return first + zeros * int(gigabytes * 1024) + compressor.flush(zlib.Z_FINISH)


def test_zip_bombs_and_huge_declarations_stay_within_the_declared_size(tmp_path):
    small = npy_bytes("<f8", (10,))
    stream = zip_bomb_stream(small, gigabytes=3.9)
    assert len(stream) < 5_000_000  # a 4 MB member that inflates to 3.9 GB
    unpacked = len(small) + int(3.9 * 1024) * (1 << 20)
    # the directory tells the truth, the .npy header declares 80 bytes: refused before inflating
    (tmp_path / "honest_directory.npz").write_bytes(zip_bytes(member("w.npy", small, raw=stream, file_size=unpacked)))
    # directory and header agree on 80 bytes (CRC of those), the stream goes on: inflating stops at 81
    (tmp_path / "lying_directory.npz").write_bytes(zip_bytes(member("w.npy", small, raw=stream)))
    # header and directory both declare the 3.9 GB: inflated honestly until memory runs out, then refused
    big = npy_bytes("|u1", (unpacked - len(small),), data=b"")
    (tmp_path / "honest_bomb.npz").write_bytes(zip_bytes(member(
        "w.npy", big, raw=zip_bomb_stream(big, gigabytes=3.9), file_size=len(big) + unpacked - len(small), crc=0)))
    # a shape of 728 TiB, with and without a directory that agrees
    huge = npy_bytes("<f8", (10**7, 10**7), data=bytes(64))
    (tmp_path / "tebibytes.npz").write_bytes(zip_bytes(member("w.npy", huge)))
    (tmp_path / "tebibytes_agreed.npz").write_bytes(zip_bytes(member("w.npy", huge, file_size=len(huge) - 64 + 8 * 10**14)))
    results = load_under_a_memory_limit(*sorted(tmp_path.iterdir()))
    assert all(message.startswith("CheckpointError") for message in results.values()), results
    assert "declares shape (10,) of float64 (80 bytes) but the zip directory records" in results["honest_directory.npz"]
    assert "its stream holds more" in results["lying_directory.npz"]
    assert "not enough memory for the member 'w.npy'" in results["honest_bomb.npz"]
    assert "800,000,000,000,000 bytes" in results["tebibytes.npz"]
    assert "its stream holds fewer" in results["tebibytes_agreed.npz"]


def test_endless_files_are_refused_without_reading_them(tmp_path):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)  # no writer: a plain open() would block forever
    results = load_under_a_memory_limit("/dev/zero", "/dev/urandom", fifo, tmp_path)
    for name in ("zero", "urandom", "pipe.npz"):
        assert "a device, pipe or socket, not a regular file" in results[name], results
    assert "is a directory, not a regular file" in results[tmp_path.name]
    (tmp_path / "empty.npz").write_bytes(b"")
    assert_refused(tmp_path / "empty.npz", "not an .npz archive")


# ---------------------------------------------------------------- saving: stale temporaries, file modes, nesting

KILLED_WRITE = textwrap.dedent("""
    import os, signal, sys
    import numpy as np
    import minigrad as mg

    def killed_half_way(file, **arrays):
        file.write(b"PK half a checkpoint")
        file.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    np.savez = killed_half_way
    mg.save({"epoch": 2}, sys.argv[1])
""")


def temporaries(directory) -> list:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(".minigrad-"))


def age(path, seconds: float) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past), follow_symlinks=False)


def test_temporaries_of_killed_writes_are_removed_by_the_next_save(tmp_path):
    target = tmp_path / "ckpt.npz"
    mg.save({"epoch": 1}, target)
    killed = subprocess.run([sys.executable, "-c", KILLED_WRITE, str(target)], capture_output=True)
    assert killed.returncode == -signal.SIGKILL
    (left_behind,) = temporaries(tmp_path)
    assert mg.load(target)["epoch"] == 1  # the old checkpoint is intact
    mg.save({"epoch": 2}, target)
    assert temporaries(tmp_path) == [left_behind]  # a minute has not passed: it may be a live writer's
    age(tmp_path / left_behind, 120)
    mg.save({"epoch": 3}, target)
    assert temporaries(tmp_path) == [] and mg.load(target)["epoch"] == 3


def test_only_unlocked_stale_minigrad_temporaries_are_removed(tmp_path):
    fcntl = pytest.importorskip("fcntl")
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    for name in (".minigrad-live.tmp", ".minigrad-dead.tmp", "notes.tmp", ".minigrad-notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / ".minigrad-link.tmp").symlink_to(outside)
    for path in tmp_path.iterdir():
        age(path, 3600)
    with open(tmp_path / ".minigrad-live.tmp", "rb") as writer:
        fcntl.flock(writer, fcntl.LOCK_EX)  # a writer that is alive (paused, or slow) holds its lock
        mg.save({"epoch": 1}, tmp_path / "ckpt.npz")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".minigrad-link.tmp", ".minigrad-live.tmp", ".minigrad-notes.txt", "ckpt.npz", "notes.tmp", "outside.txt"]
    assert outside.read_text() == "keep"


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077])
def test_saved_files_follow_the_umask_like_numpys(tmp_path, umask):
    previous = os.umask(umask)
    try:
        np.savez(tmp_path / "numpy.npz", w=np.ones(2))
        mg.save({"w": np.ones(2)}, tmp_path / "minigrad.npz")
        mg.save({"w": np.ones(2)}, tmp_path / "minigrad.safetensors")
    finally:
        os.umask(previous)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
    assert modes == dict.fromkeys(["numpy.npz", "minigrad.npz", "minigrad.safetensors"], 0o666 & ~umask)


def test_nesting_is_capped_alike_when_saving_and_loading(tmp_path):
    deep = 1
    for _ in range(100):
        deep = [deep]
    mg.save({"deep": deep[0]}, tmp_path / "ok.npz")  # 100 levels in all
    back = mg.load(tmp_path / "ok.npz")["deep"]
    for _ in range(99):
        back = back[0]
    assert back == 1
    with pytest.raises(mg.CheckpointError, match="nested more than 100 levels deep"):
        mg.save({"deep": deep}, tmp_path / "deep.npz")
    assert not (tmp_path / "deep.npz").exists()


@pytest.mark.parametrize("bad", ["abc", np.array(["0.25"]), None, np.array([1 + 2j]),
                                 np.array(["2020-01-01"], dtype="datetime64[D]"), {"x": 1}],
                         ids=["str", "str-array", "None", "complex", "datetime", "dict"])
def test_load_state_dict_refuses_values_that_are_not_numbers_and_changes_nothing(bad):
    model = mg.nn.Linear(2, 1)
    before = model.weight.detach().numpy().copy()
    with pytest.raises(RuntimeError, match=r"bias: the state_dict holds a .* not an array of numbers"):
        model.load_state_dict({"weight": np.full((1, 2), 7.0), "bias": bad})
    assert np.array_equal(model.weight.detach().numpy(), before)  # all or nothing
