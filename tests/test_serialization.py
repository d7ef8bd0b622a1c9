"""mg.save / mg.load: round trips, atomic writes, refusal of pickles and unsupported objects."""
import os
import pickle
import zipfile

import numpy as np
import pytest

import minigrad as mg


def test_round_trip_of_a_training_checkpoint(tmp_path):
    model = mg.models.LeNet5()
    opt = mg.optim.Adam(model.parameters(), lr=1e-3)
    model(mg.randn(2, 1, 28, 28)).sum().backward()
    opt.step()
    checkpoint = {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3, "rng": mg.get_rng_state(),
                  "note": "lenet", "best": None, "history": [0.5, 0.25], "betas": (0.9, 0.999)}
    mg.save(checkpoint, tmp_path / "ckpt.npz")
    back = mg.load(tmp_path / "ckpt.npz")
    assert back["epoch"] == 3 and back["note"] == "lenet" and back["best"] is None
    assert back["history"] == [0.5, 0.25] and back["betas"] == (0.9, 0.999)
    assert back["rng"] == checkpoint["rng"]  # 128-bit integers survive
    assert list(back["model"]) == list(model.state_dict())  # keys with dots, in order
    for key, value in model.state_dict().items():
        assert back["model"][key].dtype == value.dtype
        np.testing.assert_array_equal(back["model"][key], value)
    assert set(back["optimizer"]["state"]) == set(range(10))  # integer keys stay integers


def test_flattened_to_dotted_member_names(tmp_path):
    mg.save({"model": {"features.0.weight": np.ones(2)}, "epoch": 1}, tmp_path / "c.npz")
    with zipfile.ZipFile(tmp_path / "c.npz") as archive:
        assert "model.features.0.weight.npy" in archive.namelist()


def test_plain_npz_loads_as_flat_dict(tmp_path):
    np.savez(tmp_path / "plain.npz", a=np.arange(3), b=np.ones(2))
    back = mg.load(tmp_path / "plain.npz")
    assert sorted(back) == ["a", "b"]


def test_pickled_payload_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    payload = np.empty(1, dtype=object)
    payload[0] = Exploit()
    np.savez(tmp_path / "evil.npz", weights=payload)
    with pytest.raises(mg.CheckpointError, match="pickled"):
        mg.load(tmp_path / "evil.npz")
    (tmp_path / "evil.pt").write_bytes(pickle.dumps(Exploit()))
    with pytest.raises(mg.CheckpointError, match="not an .npz archive"):
        mg.load(tmp_path / "evil.pt")
    assert not marker.exists()


def test_corrupt_and_truncated_files_raise_clear_errors(tmp_path):
    mg.save({"w": np.arange(1000.0)}, tmp_path / "good.npz")
    data = (tmp_path / "good.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(mg.CheckpointError, match="cut.npz"):
        mg.load(tmp_path / "cut.npz")
    with pytest.raises(FileNotFoundError):
        mg.load(tmp_path / "missing.npz")


def test_unsupported_objects_raise_and_nothing_is_written(tmp_path):
    target = tmp_path / "ckpt.npz"
    mg.save({"epoch": 1}, target)
    before = target.read_bytes()
    with pytest.raises(mg.CheckpointError, match="model.layer of type object"):
        mg.save({"model": {"layer": object()}}, target)
    with pytest.raises(mg.CheckpointError, match="dtype object"):
        mg.save({"x": np.array([{}], dtype=object)}, target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.npz"]  # no temporary left behind


def test_a_crash_during_the_write_leaves_the_old_checkpoint(tmp_path, monkeypatch):
    target = tmp_path / "ckpt.npz"
    mg.save({"epoch": 1}, target)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        mg.save({"epoch": 2}, target)
    monkeypatch.undo()
    assert mg.load(target)["epoch"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.npz"]


def test_tensors_are_saved_as_arrays(tmp_path):
    mg.save({"t": mg.tensor([1.0, 2.0])}, tmp_path / "t.npz")
    back = mg.load(tmp_path / "t.npz")["t"]
    assert isinstance(back, np.ndarray) and back.dtype == np.float32 and back.tolist() == [1.0, 2.0]
