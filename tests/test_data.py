"""IDX files, MNIST/Fashion-MNIST lookup and download (against a local HTTP server), the
embedded subset, the DataLoader and transforms."""
import gzip
import hashlib
import http.server
import threading
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from minigrad.data import (DataLoader, DatasetNotFoundError, DownloadError, EmbeddedFashionMNIST, FashionMNIST,
                           IDXError, MNIST, TensorDataset, read_idx, transforms, write_idx)
from minigrad.data import mnist as mnist_module

DEBIAN = Path("/usr/share/datasets/fashion-mnist")


def test_idx_round_trip_raw_and_gzipped(tmp_path):
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    for name in ("a-idx3-ubyte", "a-idx3-ubyte.gz"):
        write_idx(tmp_path / name, array)
        np.testing.assert_array_equal(read_idx(tmp_path / name), array)
    floats = np.linspace(0, 1, 5).astype(np.float32)
    write_idx(tmp_path / "f", floats)
    np.testing.assert_array_equal(read_idx(tmp_path / "f"), floats)


@pytest.mark.parametrize("damage,message", [
    (lambda b: b"\x01\x02" + b[2:], "bad magic number"),
    (lambda b: b[:2] + b"\x42" + b[3:], "bad magic number"),
    (lambda b: b[:-5], "truncated or corrupt"),
    (lambda b: b + b"extra", "truncated or corrupt"),
    (lambda b: b[:6], "header is truncated"),
])
def test_idx_errors_name_the_file(tmp_path, damage, message):
    path = tmp_path / "bad-idx3-ubyte"
    write_idx(path, np.zeros((2, 3, 3), dtype=np.uint8))
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(IDXError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_truncated_gzip_is_reported(tmp_path):
    path = tmp_path / "x-idx1-ubyte.gz"
    write_idx(path, np.zeros(1000, dtype=np.uint8))
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(IDXError, match="gzip stream is corrupt or truncated"):
        read_idx(path)


def _fake_mnist(directory: Path, n: int = 20, gz: bool = True) -> dict:
    rng = np.random.default_rng(0)
    directory.mkdir(parents=True, exist_ok=True)
    digests = {}
    for images, labels, count in (("train-images-idx3-ubyte", "train-labels-idx1-ubyte", n),
                                  ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", n // 2)):
        for stem, array in ((images, rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)),
                            (labels, rng.integers(0, 10, count).astype(np.uint8))):
            path = directory / (stem + (".gz" if gz else ""))
            write_idx(path, array)
            digests[stem] = {hashlib.sha256(path.read_bytes()).hexdigest()}
    return digests


def test_dataset_reads_root_with_torchvision_conventions(tmp_path):
    _fake_mnist(tmp_path / "MNIST" / "raw", gz=False)
    train, test = MNIST(tmp_path), MNIST(tmp_path, train=False)
    assert len(train) == 20 and len(test) == 10
    image, label = train[3]  # torchvision's raw picture (a PIL image there, a uint8 array here) and an int
    assert isinstance(image, np.ndarray) and image.shape == (28, 28) and image.dtype == np.uint8
    assert isinstance(label, int) and label == int(train.targets[3])
    tensor, _ = MNIST(tmp_path, transform=transforms.ToTensor())[3]
    assert isinstance(tensor, mg.Tensor) and tensor.shape == (1, 28, 28) and tensor.dtype == np.float32
    np.testing.assert_allclose(tensor.numpy()[0], train.data.numpy()[3] / 255.0, rtol=1e-6)


def test_missing_dataset_says_where_it_looked_and_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist_module, "CACHE", tmp_path / "cache")
    with pytest.raises(DatasetNotFoundError) as info:
        MNIST(tmp_path / "nowhere")
    message = str(info.value)
    assert "nowhere" in message and "cache" in message and "download=True" in message
    monkeypatch.setattr(FashionMNIST, "system_dirs", (str(tmp_path / "debian"),))
    with pytest.raises(DatasetNotFoundError, match="apt-get install dataset-fashion-mnist"):
        FashionMNIST(tmp_path / "nowhere")


@pytest.fixture
def http_server(tmp_path):
    """A local HTTP server on 127.0.0.1 serving tmp_path/served."""
    served = tmp_path / "served"
    served.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(served), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_download_verifies_checksums_and_writes_atomically(http_server, tmp_path, monkeypatch):
    served, url = http_server
    digests = _fake_mnist(served)
    monkeypatch.setattr(MNIST, "mirrors", ["http://127.0.0.1:9/unreachable/", url])
    monkeypatch.setattr(MNIST, "checksums", digests)
    monkeypatch.setattr(mnist_module, "CACHE", tmp_path / "cache")
    root = tmp_path / "data"
    dataset = MNIST(root, download=True)
    assert len(dataset) == 20
    raw = root / "MNIST" / "raw"  # torchvision's layout
    assert sorted(p.name for p in raw.iterdir()) == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    np.testing.assert_array_equal(dataset.data.numpy(), read_idx(served / "train-images-idx3-ubyte.gz"))
    monkeypatch.setattr(MNIST, "mirrors", [])  # present files: download=True fetches nothing
    assert len(MNIST(root, download=True)) == 20


def test_corrupted_download_is_rejected_and_nothing_is_kept(http_server, tmp_path, monkeypatch):
    served, url = http_server
    digests = _fake_mnist(served)
    data = bytearray((served / "t10k-images-idx3-ubyte.gz").read_bytes())
    data[-10] ^= 0xFF  # one flipped byte
    (served / "t10k-images-idx3-ubyte.gz").write_bytes(bytes(data))
    monkeypatch.setattr(MNIST, "mirrors", [url])
    monkeypatch.setattr(MNIST, "checksums", digests)
    monkeypatch.setattr(mnist_module, "CACHE", tmp_path / "cache")
    with pytest.raises(DownloadError, match="checksum does not match"):
        MNIST(tmp_path / "data", train=False, download=True)
    raw = tmp_path / "data" / "MNIST" / "raw"
    assert not (raw / "t10k-images-idx3-ubyte.gz").exists()
    assert not [p for p in raw.iterdir() if p.name.startswith(".download")]


def test_checksum_of_recompressed_files_is_accepted(tmp_path):
    raw = b"\x00\x00\x08\x01\x00\x00\x00\x03abc"
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(raw, compresslevel=1))
    assert mnist_module.verify(path, {hashlib.sha256(raw).hexdigest()})
    assert not mnist_module.verify(path, {"0" * 64})


@pytest.mark.skipif(not DEBIAN.exists(), reason="Debian's dataset-fashion-mnist is not installed")
def test_real_fashion_mnist_from_debian_passes_the_checksums():
    train = FashionMNIST(train=True)
    assert len(train) == 60_000 and train.data.shape == (60_000, 28, 28)
    assert np.bincount(train.targets).tolist() == [6000] * 10
    for path in train.files:
        stem = path.name.replace(".gz", "")
        assert mnist_module.verify(path, FashionMNIST.checksums[stem])


def test_embedded_subset_is_real_balanced_fashion_mnist():
    train, test = EmbeddedFashionMNIST(), EmbeddedFashionMNIST(train=False)
    assert (len(train), len(test)) == (6000, 1000)
    assert np.bincount(train.targets).tolist() == [600] * 10 and np.bincount(test.targets).tolist() == [100] * 10
    assert train.data.dtype == np.uint8
    if DEBIAN.exists():  # every embedded image is a Fashion-MNIST image with its label
        full = FashionMNIST(train=True)
        lookup = {image.tobytes(): label for image, label in zip(full.data.numpy(), full.targets.numpy())}
        assert all(lookup.get(image.tobytes()) == label
                   for image, label in zip(train.data.numpy()[:300], train.targets.numpy()[:300]))


def test_dataloader_batches_shuffles_reproducibly_and_drops_last():
    x, y = np.arange(10, dtype=np.float32)[:, None], np.arange(10)
    loader = DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True, seed=3)
    first = [b.numpy().ravel().tolist() for b, _ in loader]
    second = [b.numpy().ravel().tolist() for b, _ in loader]
    assert sorted(sum(first, [])) == list(range(10)) and first != second  # a new order every epoch
    again = DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True, seed=3)
    assert [b.numpy().ravel().tolist() for b, _ in again] == first
    again.set_epoch(1)
    assert [b.numpy().ravel().tolist() for b, _ in again] == second
    dropped = DataLoader(TensorDataset(x, y), batch_size=4, drop_last=True)
    assert len(dropped) == 2 and [len(b) for b, _ in dropped] == [4, 4]
    images, labels = next(iter(DataLoader(EmbeddedFashionMNIST(), batch_size=8)))
    assert isinstance(images, mg.Tensor) and images.shape == (8, 1, 28, 28) and images.dtype == mg.float32
    assert labels.dtype == mg.int64


def test_dataloader_builds_batches_without_per_sample_calls(monkeypatch):
    dataset = EmbeddedFashionMNIST()
    monkeypatch.setattr(type(dataset), "__getitem__", lambda self, i: pytest.fail("per-sample access"))
    for _ in zip(range(3), DataLoader(dataset, batch_size=64, shuffle=True)):
        pass


def test_transforms_work_on_one_image_and_on_batches():
    batch = np.ones((4, 1, 28, 28), dtype=np.float32)
    normalize = transforms.Normalize(0.5, 0.25)
    assert normalize(batch).shape == batch.shape and float(normalize(batch)[0, 0, 0, 0]) == 2.0
    assert normalize(batch[0]).shape == (1, 28, 28)
    pad = transforms.Pad(2)
    assert pad(batch).shape == (4, 1, 32, 32) and pad(batch[0]).shape == (1, 32, 32) and pad(batch)[0, 0, 0, 0] == 0
    both = transforms.Compose([pad, normalize])
    assert both.batched and both(batch).dtype == np.float32
    assert transforms.Resize(56)(batch).shape == (4, 1, 56, 56)
    assert transforms.RepeatChannels(3)(batch).shape == (4, 3, 28, 28)
    dataset = EmbeddedFashionMNIST(transform=transforms.Compose([transforms.ToTensor(), both]))
    images, _ = dataset.get_batch(np.arange(5))
    np.testing.assert_array_equal(images.numpy()[2], dataset[2][0].numpy())  # batch path == per-sample path
    unbatched = EmbeddedFashionMNIST(transform=lambda image: image * 2)  # a plain per-sample callable
    np.testing.assert_array_equal(unbatched.get_batch(np.arange(2))[0].numpy()[1], unbatched[1][0])
