"""MNIST and Fashion-MNIST as torchvision reads them, and the real subset shipped with minigrad.

As in torchvision, ``ds[i]`` is ``(image, label)``: the image is what ``transform`` makes of the
raw picture, and the label an ``int``. torchvision's raw picture is a PIL image; minigrad's is a
uint8 numpy array ``(28, 28)``, which ``transforms.ToTensor()`` turns into a float32 Tensor
``(1, 28, 28)`` in [0, 1]. ``ds.data`` is a uint8 Tensor ``(N, 28, 28)``, ``ds.targets`` an
int64 Tensor, ``ds.classes`` the class names.

Where the IDX files (``train-images-idx3-ubyte`` and its siblings, gzipped or not) are looked
for, in order; the two files of a split must be in one folder:

1. with ``root``: ``root/MNIST/raw`` (torchvision's layout; ``FashionMNIST`` for Fashion-MNIST),
   ``root/MNIST``, ``root``;
2. ``~/.cache/minigrad/mnist`` or ``~/.cache/minigrad/fashion-mnist`` (``$MINIGRAD_CACHE``);
3. for Fashion-MNIST, ``/usr/share/datasets/fashion-mnist`` (Debian's ``dataset-fashion-mnist``).

``download=True`` with the files already there downloads nothing (as torchvision). Otherwise it
fetches them into ``root/MNIST/raw`` (or the cache directory without ``root``) from the first
mirror that delivers them, keeping each file only when its SHA-256 digest is right. The mirrors
are the ``mirrors`` argument, else ``$MINIGRAD_MNIST_MIRRORS`` (``$MINIGRAD_FASHION_MNIST_MIRRORS``),
comma-separated base URLs, else the usual public ones. Each file must arrive within
``$MINIGRAD_DOWNLOAD_DEADLINE`` seconds (60) and may not exceed its known size (see
``download.py``). For Fashion-MNIST, Debian's local copy, when installed, is tried first:
``FashionMNIST(root, download=True)`` then copies it and needs no network.
"""
from __future__ import annotations

import operator
import os
import sys
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from minigrad.data.collate import default_collate
from minigrad.data.dataset import Dataset
from minigrad.data.download import DownloadError, download_file, verify
from minigrad.data.idx import IDXError, read_idx
from minigrad.data.transforms import ToTensor, batch_transform
from minigrad.tensor import Tensor

CACHE = Path(os.environ.get("MINIGRAD_CACHE", Path.home() / ".cache" / "minigrad"))
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
# bytes of each uncompressed IDX file (the same for MNIST and Fashion-MNIST): a header of 4 bytes
# and 4 per dimension, then one byte per pixel or label
SIZES = {
    "train-images-idx3-ubyte": 16 + 60_000 * 28 * 28,
    "train-labels-idx1-ubyte": 8 + 60_000,
    "t10k-images-idx3-ubyte": 16 + 10_000 * 28 * 28,
    "t10k-labels-idx1-ubyte": 8 + 10_000,
}
DEADLINE_VARIABLE = "MINIGRAD_DOWNLOAD_DEADLINE"


class DatasetNotFoundError(FileNotFoundError):
    """The dataset's files are not where minigrad looked; the message says where and how to get them."""


def _array(x) -> np.ndarray:
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def _download_limit(size: int) -> int:
    """The most bytes a download of a file of ``size`` bytes may take: gzip makes a file smaller,
    except incompressible data, which grows by a few bytes per 16 KiB block."""
    return size + size // 100 + (1 << 16)


def _deadline() -> float:
    value = os.environ.get(DEADLINE_VARIABLE, "60")
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise ValueError(f"${DEADLINE_VARIABLE} is {value!r}; expected a positive number of seconds")
    return seconds


def _check_split(images: np.ndarray, labels: np.ndarray, images_path: Path, labels_path: Path, classes: int) -> None:
    """The images and labels of a split make a dataset to train on; else an ``IDXError`` naming the file."""
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise IDXError(f"{images_path}, {labels_path}: images {images.shape} and labels {labels.shape} do not match")
    if len(images) == 0:
        raise IDXError(f"{images_path}: holds 0 images; a dataset needs at least one")
    if images.dtype != np.uint8:
        raise IDXError(f"{images_path}: the pixels are {images.dtype}; MNIST images are uint8 (IDX type 0x08)")
    if labels.dtype.kind not in "iu" or labels.min() < 0 or labels.max() >= classes:
        raise IDXError(f"{labels_path}: the labels must be integers from 0 to {classes - 1} "
                       f"(found {labels.dtype} from {labels.min()} to {labels.max()})")


def _idx_file(directory: Path, stem: str) -> Path | None:
    for candidate in (directory / stem, directory / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    return None


class MNIST(Dataset):
    """The MNIST handwritten digits: 60,000 training and 10,000 test images of 28x28 pixels.

    ``MNIST(root, train=True, transform=None, target_transform=None, download=False)``, as
    torchvision; ``root`` may be left out to use the cache directory. ``mirrors``, minigrad's,
    overrides the base URLs that ``download=True`` tries (a list, or one comma-separated string).
    """

    name = "MNIST"  # the folder under root, as torchvision's class name
    cache_name = "mnist"
    system_dirs: tuple = ()
    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/"]
    mirrors_variable = "MINIGRAD_MNIST_MIRRORS"
    sizes = SIZES
    # SHA-256 of the canonical .gz files
    checksums = {
        "train-images-idx3-ubyte": {"440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"},
        "train-labels-idx1-ubyte": {"3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"},
        "t10k-images-idx3-ubyte": {"8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"},
        "t10k-labels-idx1-ubyte": {"f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"},
    }
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]

    def __init__(self, root: str | os.PathLike | None = None, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False,
                 mirrors: Sequence[str] | str | None = None) -> None:
        self.root = Path(root).expanduser() if root is not None else None
        self.train = train
        self.transform, self.target_transform = transform, target_transform
        stems = FILES["train" if train else "test"]
        target = self._download_dir() if download else None
        paths = self._find(stems, self.search_dirs(download), fill=target)
        if paths is None and download:
            urls = self.mirror_urls(mirrors)
            paths = [_idx_file(target, stem) or self._download(stem, target, urls) for stem in stems]
        if paths is None:
            raise DatasetNotFoundError(self._not_found_message(stems[0]))
        self._load(*paths)

    def _load(self, images_path: Path, labels_path: Path) -> None:
        images, labels = read_idx(images_path), read_idx(labels_path)
        _check_split(images, labels, images_path, labels_path, len(self.classes))
        self.data, self.targets = Tensor._make(images), Tensor._make(labels.astype(np.int64))
        self.files = (images_path, labels_path)

    # -- finding and fetching files ------------------------------------------------------------
    @property
    def raw_folder(self) -> str:
        return str((self.root or CACHE) / self.name / "raw")

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.classes)}

    def search_dirs(self, download: bool = False) -> list[Path]:
        """Where the files are looked for, in order (with ``root`` and ``download``, only under ``root``)."""
        dirs = []
        if self.root is not None:
            dirs += [self.root / self.name / "raw", self.root / self.name, self.root]
        if self.root is None or not download:
            dirs.append(CACHE / self.cache_name)
            dirs += [Path(d) for d in self.system_dirs]
        return dirs

    def _download_dir(self) -> Path:
        return self.root / self.name / "raw" if self.root is not None else CACHE / self.cache_name

    def _find(self, stems: tuple, dirs: list[Path], fill: Path | None) -> list[Path] | None:
        """The split's files from the first folder that has them; a folder with only some of them
        is an error (files of different folders are never mixed), unless it is ``fill``, the
        folder that a download is about to complete."""
        for directory in dirs:
            found = [_idx_file(directory, stem) for stem in stems]
            if all(found):
                return found
            if any(found) and directory != fill:
                missing = next(stem for stem, path in zip(stems, found) if path is None)
                present = next(path for path in found if path is not None)
                raise DatasetNotFoundError(
                    f"{self.name}: {directory} has {present.name} but not {missing}(.gz); the images and labels "
                    f"of a split must come from one folder; put the missing file there")
        return None

    @classmethod
    def mirror_urls(cls, mirrors: Sequence[str] | str | None = None) -> list[str]:
        """The base URLs to download from: ``mirrors`` when given, else the comma-separated list in
        ``$MINIGRAD_MNIST_MIRRORS`` (``mirrors_variable``) when set, else the public ``mirrors``."""
        source = "mirrors"
        if mirrors is None and os.environ.get(cls.mirrors_variable, "").strip():
            source, mirrors = f"${cls.mirrors_variable}", os.environ[cls.mirrors_variable]
        if mirrors is None:
            return list(cls.mirrors)
        urls = [url.strip() for url in (mirrors.split(",") if isinstance(mirrors, str) else mirrors) if url.strip()]
        for url in urls:
            if not url.startswith(("http://", "https://", "file://")):
                raise ValueError(f"{cls.name}: {source}: {url!r} is not an http://, https:// or file:// URL")
        return [url if url.endswith("/") else url + "/" for url in urls]

    def _download(self, stem: str, directory: Path, mirrors: list[str]) -> Path:
        """Fetch ``stem.gz`` from the first mirror that delivers it whole and verified, saying on
        stderr why each one before it failed."""
        destination = directory / f"{stem}.gz"
        local = [Path(d).resolve().as_uri() + "/" for d in self.system_dirs if Path(d).is_dir()]
        errors, bases = [], local + mirrors
        for number, base in enumerate(bases, 1):
            try:
                download_file(f"{base}{stem}.gz", destination, self.checksums[stem], deadline=_deadline(),
                              max_bytes=_download_limit(self.sizes[stem]), max_content=self.sizes[stem])
                return destination
            except (OSError, DownloadError) as error:
                errors.append(f"  {error}")
                if number < len(bases):
                    print(f"{self.name}: {error}; trying the next mirror", file=sys.stderr)
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

    def __getitem__(self, index: int):
        """``(transform(image), target_transform(label))``; the raw image is a uint8 array (28, 28)."""
        index = int(index.item()) if isinstance(index, Tensor) else operator.index(index)
        image, label = _array(self.data)[index].copy(), int(_array(self.targets)[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label

    def get_batch(self, indices) -> list:
        """``default_collate([self[i] for i in indices])``, made with array indexing and one numpy
        operation per transform step when the transform allows (see ``transforms.batch_transform``)."""
        apply = batch_transform(self.transform) if self.target_transform is None else None
        if apply is None:
            return default_collate([self[i] for i in indices])
        indices = np.asarray(indices, dtype=np.int64)
        return [Tensor._make(apply(_array(self.data)[indices])), Tensor._make(_array(self.targets)[indices])]

    def __repr__(self) -> str:
        """As torchvision's: the size, where the files are, the split, the transforms."""
        lines = [f"Number of datapoints: {len(self)}", f"Root location: {self.root or self.files[0].parent}",
                 f"Split: {'Train' if self.train else 'Test'}"]
        if self.transform is not None or self.target_transform is not None:
            lines.append("StandardTransform")
            for head, transform in (("Transform: ", self.transform), ("Target transform: ", self.target_transform)):
                if transform is not None:
                    shown = repr(transform).splitlines()
                    lines.append(head + shown[0])
                    lines += [" " * len(head) + line for line in shown[1:]]
        return f"Dataset {type(self).__name__}\n" + "\n".join("    " + line for line in lines)


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 28x28 greyscale images of clothing in 10 classes (MIT licence).
    Same arguments and samples as ``MNIST``; the files go in ``root/FashionMNIST/raw``."""

    name = "FashionMNIST"
    cache_name = "fashion-mnist"
    system_dirs = ("/usr/share/datasets/fashion-mnist",)
    mirrors = ["https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
               "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"]
    mirrors_variable = "MINIGRAD_FASHION_MNIST_MIRRORS"
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
    Made by ``scripts/make_embedded_dataset.py``; Fashion-MNIST is (c) Zalando SE, MIT licence.

    Samples as ``FashionMNIST``'s, except that ``transform`` defaults to ``ToTensor()``: the
    images are float32 Tensors ``(1, 28, 28)`` in [0, 1], ready to train on (``transform=None``
    gives the raw uint8 arrays).
    """

    name = "EmbeddedFashionMNIST"
    classes = FashionMNIST.classes

    def __init__(self, train: bool = True, transform: Callable | None = ToTensor(),
                 target_transform: Callable | None = None) -> None:
        self.root, self.train = None, train
        self.transform, self.target_transform = transform, target_transform
        split = "train" if train else "test"
        with np.load(EMBEDDED, allow_pickle=False) as archive:
            self.data = Tensor._make(archive[f"{split}_images"])
            self.targets = Tensor._make(archive[f"{split}_labels"].astype(np.int64))
        self.files = (EMBEDDED, EMBEDDED)


__all__ = ["CACHE", "DatasetNotFoundError", "DownloadError", "EmbeddedFashionMNIST", "FashionMNIST", "MNIST",
           "verify"]
