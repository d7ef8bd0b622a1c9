"""MNIST and Fashion-MNIST, read from the IDX files, and the small subset shipped with minigrad.

A sample is ``(image, label)``: a float32 array of shape ``(1, 28, 28)`` scaled to [0, 1] (as
torchvision's ``ToTensor``) and an integer label. ``transform`` is applied to the image.

Where the files are looked for, in order:

1. ``root`` (and ``root/MNIST`` or ``root/FashionMNIST``), when given;
2. ``~/.cache/minigrad/mnist`` or ``~/.cache/minigrad/fashion-mnist``;
3. for Fashion-MNIST, ``/usr/share/datasets/fashion-mnist`` (Debian's ``dataset-fashion-mnist``).

``download=True`` fetches missing files over HTTPS from the usual public mirrors into ``root``
(or the cache directory), checks their SHA-256 digests, and moves each into place only when it
is complete and verified.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
import zlib
from pathlib import Path
from typing import Callable

import numpy as np

from minigrad.data.dataset import Dataset
from minigrad.data.idx import IDXError, read_idx

CACHE = Path(os.environ.get("MINIGRAD_CACHE", Path.home() / ".cache" / "minigrad"))
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


class DatasetNotFoundError(FileNotFoundError):
    """The dataset's files are not where minigrad looked; the message says where and how to get them."""


class DownloadError(RuntimeError):
    """No mirror delivered a file whose checksum matches."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def verify(path: Path, accepted: set[str]) -> bool:
    """True when the file's SHA-256, or that of its gunzipped content, is an accepted digest.

    Both are known because mirrors recompress (Debian's package ships the same images in a
    differently compressed ``.gz``).
    """
    content = path.read_bytes()
    if _sha256(content) in accepted:
        return True
    if content[:2] == b"\x1f\x8b":
        import gzip

        try:
            return _sha256(gzip.decompress(content)) in accepted
        except (OSError, EOFError, zlib.error):
            return False
    return False


def download_file(url: str, destination: Path, accepted: set[str], progress: bool = True, timeout: float = 60) -> None:
    """Fetch ``url`` to ``destination``: stream to a temporary file, check SHA-256, then rename."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".download-", dir=destination.parent)
    try:
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            bar = _progress(total, destination.name) if progress else None
            while True:
                chunk = response.read(1 << 16)
                if not chunk:
                    break
                out.write(chunk)
                if bar is not None:
                    bar.update(len(chunk))
            if bar is not None:
                bar.close()
        if not verify(Path(temporary), accepted):
            raise DownloadError(f"{url}: the SHA-256 checksum does not match (corrupt or tampered download); nothing was kept")
        os.replace(temporary, destination)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def _progress(total, name):
    from tqdm import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, desc=f"downloading {name}", leave=False)


class MNIST(Dataset):
    """The MNIST handwritten digits (60,000 training and 10,000 test images)."""

    name = "MNIST"
    cache_name = "mnist"
    system_dirs: tuple = ()
    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/"]
    # SHA-256 of the canonical .gz files
    checksums = {
        "train-images-idx3-ubyte": {"440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"},
        "train-labels-idx1-ubyte": {"3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"},
        "t10k-images-idx3-ubyte": {"8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"},
        "t10k-labels-idx1-ubyte": {"f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"},
    }
    classes = [str(i) for i in range(10)]

    def __init__(self, root: str | os.PathLike | None = None, train: bool = True, download: bool = False,
                 transform: Callable | None = None, target_transform: Callable | None = None) -> None:
        self.root = Path(root).expanduser() if root is not None else None
        self.train = train
        self.transform, self.target_transform = transform, target_transform
        images_name, labels_name = FILES["train" if train else "test"]
        images_path, labels_path = self._find(images_name), self._find(labels_name)
        if (images_path is None or labels_path is None) and download:
            target = self.root or CACHE / self.cache_name
            images_path = images_path or self._download(images_name, target)
            labels_path = labels_path or self._download(labels_name, target)
        if images_path is None or labels_path is None:
            raise DatasetNotFoundError(self._not_found_message(images_name if images_path is None else labels_name))
        self.data = read_idx(images_path)
        self.targets = read_idx(labels_path).astype(np.int64)
        if self.data.ndim != 3 or self.targets.ndim != 1 or len(self.data) != len(self.targets):
            raise IDXError(f"{images_path}, {labels_path}: images {self.data.shape} and labels {self.targets.shape} do not match")
        self.files = (images_path, labels_path)

    # -- finding and fetching files ------------------------------------------------------------
    def search_dirs(self) -> list[Path]:
        dirs = []
        if self.root is not None:
            dirs += [self.root, self.root / self.name]
        dirs.append(CACHE / self.cache_name)
        dirs += [Path(d) for d in self.system_dirs]
        return dirs

    def _find(self, stem: str) -> Path | None:
        for directory in self.search_dirs():
            for candidate in (directory / f"{stem}.gz", directory / stem):
                if candidate.is_file():
                    return candidate
        return None

    def _download(self, stem: str, directory: Path) -> Path:
        destination = directory / f"{stem}.gz"
        errors = []
        for mirror in self.mirrors:
            url = f"{mirror}{stem}.gz"
            try:
                download_file(url, destination, self.checksums[stem])
                return destination
            except (urllib.error.URLError, OSError, DownloadError) as error:
                errors.append(f"  {url}: {error}")
        raise DownloadError(f"{self.name}: could not download {stem}.gz from any mirror:\n" + "\n".join(errors))

    def _not_found_message(self, stem: str) -> str:
        looked = "\n".join(f"  {d}" for d in self.search_dirs())
        return (
            f"{self.name}: {stem}(.gz) not found. minigrad looked in:\n{looked}\n"
            f"Pass download=True (or `--download` on the command line) to fetch it, or put the IDX files in one "
            f"of these directories.{self._extra_hint()}"
        )

    def _extra_hint(self) -> str:
        return ""

    # -- samples ----------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.targets)

    def _images(self, raw: np.ndarray) -> np.ndarray:
        return (raw.astype(np.float32) / np.float32(255.0))[..., None, :, :]

    def __getitem__(self, index: int):
        image = self._images(self.data[index])
        label = int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label

    def get_batch(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Images ``(B, 1, 28, 28)`` and labels ``(B,)`` by array indexing."""
        if self.target_transform is not None or (self.transform is not None and not getattr(self.transform, "batched", False)):
            return super().get_batch(indices)
        images = self._images(self.data[indices])
        if self.transform is not None:
            images = self.transform(images)
        return images, self.targets[indices]

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"{self.name}({split}, {len(self)} images, from {self.files[0].parent})"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 28x28 greyscale images of clothing in 10 classes (MIT licence)."""

    name = "FashionMNIST"
    cache_name = "fashion-mnist"
    system_dirs = ("/usr/share/datasets/fashion-mnist",)
    mirrors = ["https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
               "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"]
    # SHA-256 of the uncompressed IDX data (the same in every mirror, whatever the compression)
    checksums = {
        "train-images-idx3-ubyte": {"c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"},
        "train-labels-idx1-ubyte": {"bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"},
        "t10k-images-idx3-ubyte": {"5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"},
        "t10k-labels-idx1-ubyte": {"0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"},
    }
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    def _extra_hint(self) -> str:
        return " On Debian or Ubuntu: sudo apt-get install dataset-fashion-mnist"


EMBEDDED = Path(__file__).with_name("embedded") / "fashion_mnist_subset.npz"


class EmbeddedFashionMNIST(MNIST):
    """A real subset of Fashion-MNIST shipped inside the package (6,000 training and 1,000 test
    images, 600 and 100 per class), so that training works offline right after installation.
    Made by ``scripts/make_embedded_dataset.py``; Fashion-MNIST is (c) Zalando SE, MIT licence."""

    name = "EmbeddedFashionMNIST"
    classes = FashionMNIST.classes

    def __init__(self, train: bool = True, transform: Callable | None = None, target_transform: Callable | None = None) -> None:
        self.root, self.train = None, train
        self.transform, self.target_transform = transform, target_transform
        split = "train" if train else "test"
        with np.load(EMBEDDED, allow_pickle=False) as archive:
            self.data = archive[f"{split}_images"]
            self.targets = archive[f"{split}_labels"].astype(np.int64)
        self.files = (EMBEDDED, EMBEDDED)
