"""Weights in and out: .safetensors files, PyTorch .pt/.pth files, and hostile files refused."""
import os
import pickle
import struct
import zipfile

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn

try:
    import torch
except ImportError:  # the PyTorch-dependent tests skip; the hostile-file tests do not need it
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def assert_same_arrays(got: dict, expected: dict, ordered: bool = True) -> None:
    assert list(got) == list(expected) if ordered else sorted(got) == sorted(expected)
    for key, value in expected.items():
        value = value.detach().numpy() if torch is not None and isinstance(value, torch.Tensor) else np.asarray(value)
        assert isinstance(got[key], np.ndarray) and got[key].dtype == value.dtype, key
        np.testing.assert_array_equal(got[key], value, err_msg=key)


def mlp_minigrad():
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


def mlp_torch():
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))


# ---------------------------------------------------------------- safetensors

def test_safetensors_round_trip_by_extension_and_by_format(tmp_path):
    state = mg.models.LeNet5().state_dict()
    state["steps"] = np.arange(3, dtype=np.int64)
    state["mask"] = np.array([True, False])
    mg.save(state, tmp_path / "m.safetensors")
    assert_same_arrays(mg.load(tmp_path / "m.safetensors"), state, ordered=False)  # safetensors sorts the keys
    mg.save(state, tmp_path / "m.bin", format="safetensors")
    assert (tmp_path / "m.bin").read_bytes() == (tmp_path / "m.safetensors").read_bytes()
    assert_same_arrays(mg.load(tmp_path / "m.bin", format="safetensors"), state, ordered=False)
    assert_same_arrays(mg.load(tmp_path / "m.bin"), state, ordered=False)  # recognised from the content too
    mg.save(state, tmp_path / "m2.safetensors", format="npz")
    assert zipfile.is_zipfile(tmp_path / "m2.safetensors")
    with pytest.raises(ValueError, match="format"):
        mg.save(state, tmp_path / "m.x", format="pt")


def test_safetensors_holds_only_a_flat_dict_of_arrays(tmp_path):
    target = tmp_path / "m.safetensors"
    mg.save({"w": np.ones(2)}, target)
    before = target.read_bytes()
    with pytest.raises(mg.CheckpointError, match=r"'model' is a dict.*\.npz"):
        mg.save({"model": {"w": np.ones(2)}, "epoch": 1}, target)
    with pytest.raises(mg.CheckpointError, match=r"'epoch' is a int.*\.npz"):
        mg.save({"w": np.ones(2), "epoch": 1}, target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]  # no temporary left behind


@needs_torch
def test_safetensors_both_ways_with_pytorch(tmp_path):
    import safetensors.torch

    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    ours, theirs = mlp_minigrad(), mlp_torch()
    mg.save(ours.state_dict(), tmp_path / "ours.safetensors")
    theirs.load_state_dict(safetensors.torch.load_file(tmp_path / "ours.safetensors"))
    np.testing.assert_allclose(theirs(torch.from_numpy(x)).detach().numpy(), ours(mg.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)

    ours, theirs = mlp_minigrad(), mlp_torch()
    safetensors.torch.save_file(theirs.state_dict(), tmp_path / "theirs.safetensors")
    ours.load_state_dict(mg.load(tmp_path / "theirs.safetensors"))
    np.testing.assert_allclose(ours(mg.tensor(x)).detach().numpy(), theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


@needs_torch
def test_safetensors_bfloat16_is_widened_to_float32(tmp_path):
    import safetensors.torch

    values = torch.tensor([1.0, -2.5, 3.140625], dtype=torch.bfloat16)
    safetensors.torch.save_file({"w": values}, tmp_path / "b.safetensors")
    back = mg.load(tmp_path / "b.safetensors")["w"]
    assert back.dtype == np.float32 and back.tolist() == values.float().tolist()


def safetensors_bytes(header: dict, data: bytes) -> bytes:
    import json

    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def test_corrupt_and_hostile_safetensors_files_are_refused(tmp_path):
    mg.save({"w": np.arange(1000, dtype=np.float32)}, tmp_path / "good.safetensors")
    content = (tmp_path / "good.safetensors").read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(content[: len(content) // 2])
    with pytest.raises(mg.CheckpointError, match="cut.safetensors"):
        mg.load(tmp_path / "cut.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"\xff" * 64)
    with pytest.raises(mg.CheckpointError, match="junk.safetensors"):
        mg.load(tmp_path / "junk.safetensors")
    # a header that declares a 4-terabyte tensor backed by 4 bytes: refused, nothing allocated
    huge = safetensors_bytes({"w": {"dtype": "F32", "shape": [10**6, 10**6], "data_offsets": [0, 4]}}, b"\0" * 4)
    (tmp_path / "huge.safetensors").write_bytes(huge)
    with pytest.raises(mg.CheckpointError, match="huge.safetensors"):
        mg.load(tmp_path / "huge.safetensors")
    # offsets past the end of the data
    past = safetensors_bytes({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 4)
    (tmp_path / "past.safetensors").write_bytes(past)
    with pytest.raises(mg.CheckpointError, match="past.safetensors"):
        mg.load(tmp_path / "past.safetensors")
    # a header length of 2**60
    (tmp_path / "len.safetensors").write_bytes(struct.pack("<Q", 2**60) + b"{}")
    with pytest.raises(mg.CheckpointError, match="len.safetensors"):
        mg.load(tmp_path / "len.safetensors")


# ---------------------------------------------------------------- PyTorch files written by torch.save

@needs_torch
def test_torch_save_checkpoint_loads_as_nested_dicts_of_arrays(tmp_path):
    model = mlp_torch()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(2, 4)).sum().backward()
    opt.step()
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    extras = {
        "transposed": base.t(), "sliced": base[1:3, ::2], "int64": torch.arange(5), "bool": torch.tensor([True, False]),
        "half": torch.tensor([0.5, 2.0], dtype=torch.float16), "float64": torch.tensor([1.5], dtype=torch.float64),
        "int8": torch.tensor([-3], dtype=torch.int8), "uint8": torch.tensor([250], dtype=torch.uint8),
        "scalar": torch.tensor(7.0), "empty": torch.zeros(0, 3), "param": torch.nn.Parameter(torch.ones(2)),
        "bf16": torch.tensor([1.0, -0.375], dtype=torch.bfloat16),
    }
    torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3, "extras": extras,
                "shape": torch.Size([2, 3])}, tmp_path / "ckpt.pth")
    back = mg.load(tmp_path / "ckpt.pth")
    assert back["epoch"] == 3 and tuple(back["shape"]) == (2, 3)
    assert_same_arrays(back["model"], model.state_dict())
    assert back["optimizer"]["param_groups"][0]["lr"] == 0.1
    for index, state in opt.state_dict()["state"].items():
        np.testing.assert_array_equal(back["optimizer"]["state"][index]["momentum_buffer"], state["momentum_buffer"].numpy())
    widened = {k: (v.float() if v.dtype == torch.bfloat16 else v.detach()) for k, v in extras.items()}
    assert_same_arrays(back["extras"], widened)
    assert back["extras"]["transposed"].flags.c_contiguous  # copied out of the storage


@needs_torch
def test_alexnet_torchvision_weights_saved_by_pytorch_give_the_same_outputs(tmp_path):
    """The recipe of docs/interop.md: torchvision's AlexNet layout, saved by torch.save."""
    tnn = torch.nn
    torch.manual_seed(0)
    reference = tnn.Module()
    reference.features = tnn.Sequential(
        tnn.Conv2d(3, 64, 11, stride=4, padding=2), tnn.ReLU(), tnn.MaxPool2d(3, 2),
        tnn.Conv2d(64, 192, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(3, 2),
        tnn.Conv2d(192, 384, 3, padding=1), tnn.ReLU(), tnn.Conv2d(384, 256, 3, padding=1), tnn.ReLU(),
        tnn.Conv2d(256, 256, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(3, 2))
    reference.avgpool = tnn.AdaptiveAvgPool2d((6, 6))
    reference.classifier = tnn.Sequential(
        tnn.Dropout(), tnn.Linear(256 * 6 * 6, 4096), tnn.ReLU(), tnn.Dropout(), tnn.Linear(4096, 4096), tnn.ReLU(),
        tnn.Linear(4096, 10))
    reference.eval()
    torch.save(reference.state_dict(), tmp_path / "alexnet.pth")

    model = mg.models.AlexNet(num_classes=10, variant="torchvision")
    model.load_state_dict(mg.load(tmp_path / "alexnet.pth"))
    model.eval()
    x = np.random.default_rng(0).standard_normal((2, 3, 95, 95)).astype(np.float32)
    with torch.no_grad():
        features = reference.avgpool(reference.features(torch.from_numpy(x)))
        expected = reference.classifier(features.flatten(1)).numpy()
    with mg.no_grad():
        got = model(mg.tensor(x)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


@needs_torch
def test_legacy_torch_format_is_refused_with_the_conversion(tmp_path):
    torch.save({"w": torch.ones(2)}, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(mg.CheckpointError, match=r"old\.pt.*legacy.*torch\.save\(torch\.load"):
        mg.load(tmp_path / "old.pt")


# ---------------------------------------------------------------- hand-made PyTorch files (no torch needed)

def pickled(*opcodes: bytes) -> bytes:
    return b"\x80\x02" + b"".join(opcodes) + b"."


def p_str(text: str) -> bytes:
    data = text.encode()
    return b"X" + struct.pack("<I", len(data)) + data


def p_int(n: int) -> bytes:
    data = n.to_bytes((n.bit_length() + 8) // 8, "little", signed=True)
    return b"\x8a" + bytes([len(data)]) + data  # LONG1


def p_tuple(*items: bytes) -> bytes:
    return b"(" + b"".join(items) + b"t"


def p_global(module: str, name: str) -> bytes:
    return b"c" + f"{module}\n{name}\n".encode()


def p_tensor(key: str, storage: str, numel: int, offset: int, size: tuple, stride: tuple) -> bytes:
    """The opcodes torch.save writes for one tensor: _rebuild_tensor_v2(storage, offset, size, stride, ...)."""
    pid = p_tuple(p_str("storage"), p_global("torch", storage), p_str(key), p_str("cpu"), p_int(numel)) + b"Q"
    hooks = p_global("collections", "OrderedDict") + b")R"
    args = p_tuple(pid, p_int(offset), p_tuple(*map(p_int, size)), p_tuple(*map(p_int, stride)), b"\x89", hooks)
    return p_global("torch._utils", "_rebuild_tensor_v2") + args + b"R"


def p_state_dict(**tensors: bytes) -> bytes:
    return pickled(b"}(" + b"".join(p_str(k) + v for k, v in tensors.items()) + b"u")


def write_torch_zip(path, data_pkl: bytes, storages: dict, compression=zipfile.ZIP_STORED) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", data_pkl)
        archive.writestr("archive/byteorder", "little")
        for key, data in storages.items():
            archive.writestr(f"archive/data/{key}", data, compress_type=compression)
        archive.writestr("archive/version", "3\n")


def test_hand_made_torch_file_is_read_with_views(tmp_path):
    storage = np.arange(12, dtype=np.float32)
    data = p_state_dict(w=p_tensor("0", "FloatStorage", 12, 2, (2, 3), (1, 4)),  # a strided view
                        b=p_tensor("0", "FloatStorage", 12, 11, (), ()))  # a 0-d tensor in the same storage
    write_torch_zip(tmp_path / "w.pth", data, {"0": storage.tobytes()})
    back = mg.load(tmp_path / "w.pth")
    np.testing.assert_array_equal(back["w"], [[2, 6, 10], [3, 7, 11]])
    assert back["b"].shape == () and back["b"] == 11.0


class Exploit:
    def __init__(self, function, *args):
        self.call = (function, args)

    def __reduce__(self):
        return self.call


@pytest.mark.parametrize("make_call, refused", [
    (lambda marker: Exploit(os.system, f"touch {marker}"), r"(posix|os)\.system"),
    (lambda marker: Exploit(eval, f"open({str(marker)!r}, 'w')"), r"builtins\.eval"),
    (lambda marker: Exploit(__import__("subprocess").check_call, ["touch", str(marker)]), r"subprocess\.check_call"),
])
def test_pickled_code_in_a_torch_file_is_refused_and_never_runs(tmp_path, make_call, refused):
    marker = tmp_path / "pwned"
    payload = pickle.dumps({"weight": make_call(marker)}, protocol=2, fix_imports=False)
    write_torch_zip(tmp_path / "evil.pth", payload, {})
    with pytest.raises(mg.CheckpointError, match=rf"evil\.pth.*{refused}"):
        mg.load(tmp_path / "evil.pth")
    assert not marker.exists()


def test_allowed_globals_cannot_be_altered_by_a_pickle(tmp_path):
    # BUILD sets attributes on the object below it; on the stand-ins for torch's globals it must fail
    tamper = p_global("torch", "FloatStorage") + b"N}" + p_str("dtype") + p_str("O") + b"s\x86b"
    write_torch_zip(tmp_path / "t.pth", pickled(tamper), {})
    with pytest.raises(mg.CheckpointError, match=r"t\.pth"):
        mg.load(tmp_path / "t.pth")
    write_torch_zip(tmp_path / "ok.pth", p_state_dict(w=p_tensor("0", "FloatStorage", 2, 0, (2,), (1,))),
                    {"0": np.ones(2, np.float32).tobytes()})
    assert mg.load(tmp_path / "ok.pth")["w"].dtype == np.float32


def test_storage_shorter_than_declared_is_refused(tmp_path):
    write_torch_zip(tmp_path / "short.pth", p_state_dict(w=p_tensor("0", "FloatStorage", 12, 0, (12,), (1,))),
                    {"0": np.ones(5, np.float32).tobytes()})
    with pytest.raises(mg.CheckpointError, match=r"short\.pth.*holds 20 bytes but declares 48"):
        mg.load(tmp_path / "short.pth")


@pytest.mark.parametrize("offset, size, stride", [(10, (3,), (1,)), (0, (2, 3), (1, 6)), (2**62, (1,), (1,))])
def test_views_outside_their_storage_are_refused(tmp_path, offset, size, stride):
    write_torch_zip(tmp_path / "oob.pth", p_state_dict(w=p_tensor("0", "FloatStorage", 12, offset, size, stride)),
                    {"0": np.ones(12, np.float32).tobytes()})
    with pytest.raises(mg.CheckpointError, match=r"oob\.pth.*holds only 12"):
        mg.load(tmp_path / "oob.pth")


def test_negative_layouts_are_refused(tmp_path):
    write_torch_zip(tmp_path / "neg.pth", p_state_dict(w=p_tensor("0", "FloatStorage", 12, 4, (2,), (-1,))),
                    {"0": np.ones(12, np.float32).tobytes()})
    with pytest.raises(mg.CheckpointError, match=r"neg\.pth.*malformed layout"):
        mg.load(tmp_path / "neg.pth")


def test_huge_declared_sizes_are_refused_before_allocating(tmp_path):
    # a zip-bomb-like numel: 10**12 floats declared, 8 bytes stored
    write_torch_zip(tmp_path / "bomb.pth", p_state_dict(w=p_tensor("0", "FloatStorage", 10**12, 0, (10**12,), (1,))),
                    {"0": b"\0" * 8})
    with pytest.raises(mg.CheckpointError, match=r"bomb\.pth.*declares 4000000000000"):
        mg.load(tmp_path / "bomb.pth")
    # a compressed member (torch.save never writes one) whose declared size could be anything
    write_torch_zip(tmp_path / "deflated.pth", p_state_dict(w=p_tensor("0", "FloatStorage", 4, 0, (4,), (1,))),
                    {"0": b"\0" * 16}, compression=zipfile.ZIP_DEFLATED)
    with pytest.raises(mg.CheckpointError, match=r"deflated\.pth.*compressed"):
        mg.load(tmp_path / "deflated.pth")


def test_legacy_and_truncated_and_foreign_files_are_refused(tmp_path):
    legacy = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2) + pickle.dumps(1001, protocol=2)
    (tmp_path / "legacy.pt").write_bytes(legacy)
    with pytest.raises(mg.CheckpointError, match=r"legacy\.pt.*legacy.*torch\.save\(torch\.load"):
        mg.load(tmp_path / "legacy.pt")
    write_torch_zip(tmp_path / "full.pth", p_state_dict(w=p_tensor("0", "FloatStorage", 256, 0, (256,), (1,))),
                    {"0": np.ones(256, np.float32).tobytes()})
    content = (tmp_path / "full.pth").read_bytes()
    for cut in (len(content) // 2, len(content) - 10):
        (tmp_path / "cut.pth").write_bytes(content[:cut])
        with pytest.raises(mg.CheckpointError, match=r"cut\.pth"):
            mg.load(tmp_path / "cut.pth")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(mg.CheckpointError, match="not a minigrad checkpoint"):
        mg.load(tmp_path / "other.zip")
    write_torch_zip(tmp_path / "bad.pth", b"\x80\x02garbage", {})
    with pytest.raises(mg.CheckpointError, match=r"bad\.pth.*malformed"):
        mg.load(tmp_path / "bad.pth")
