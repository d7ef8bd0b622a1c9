"""Image transforms with torchvision's names, arguments and results.

A dataset's raw image is a uint8 ``(H, W)`` (or ``(H, W, C)``) numpy array, minigrad's stand-in
for the PIL image that torchvision's datasets return; ``ToTensor()`` turns it into a float
``(C, H, W)`` Tensor in [0, 1]. The other transforms work on ``(..., C, H, W)`` Tensors (or
numpy arrays, returned as numpy arrays): one image, or, for those marked ``batched = True``,
a whole batch ``(N, C, H, W)`` at once, which is how the datasets build a batch in one numpy
operation (``batch_transform``). Random transforms draw from minigrad's generator, so
``mg.manual_seed`` makes them reproducible. Transforms prepare data: they compute on the arrays,
outside autograd.

>>> image = np.full((2, 2), 255, dtype=np.uint8)            # a raw 2x2 white image
>>> x = Compose([ToTensor(), Normalize((0.5,), (0.5,))])(image)
>>> x.shape, x.dtype, x.tolist()
((1, 2, 2), dtype('float32'), [[[1.0, 1.0], [1.0, 1.0]]])
"""
from __future__ import annotations

import numbers
from typing import Any, Callable, Sequence

import numpy as np

from minigrad import _dtype
from minigrad.generator import numpy_generator
from minigrad.tensor import Tensor


def _array(x: Any) -> np.ndarray:
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def _like(x: Any, array: np.ndarray):
    """``array`` as the same kind of thing as ``x`` (a Tensor for a Tensor, else a numpy array)."""
    return Tensor._make(array) if isinstance(x, Tensor) else array


class Compose:
    """Apply ``transforms`` in order.

    >>> Compose([Lambda(lambda x: x + 1), Lambda(lambda x: x * 10)])(1)
    20
    """

    def __init__(self, transforms: Sequence[Callable]) -> None:
        self.transforms = list(transforms)

    @property
    def batched(self) -> bool:
        return all(getattr(t, "batched", False) for t in self.transforms)

    def __call__(self, x):
        for transform in self.transforms:
            x = transform(x)
        return x

    def __repr__(self) -> str:
        return self.__class__.__name__ + "(" + "".join(f"\n    {t}" for t in self.transforms) + "\n)"


class Lambda:
    """Apply a user function (``Lambda(lambda x: x.repeat(3, 1, 1))``)."""

    def __init__(self, lambd: Callable) -> None:
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, x):
        return self.lambd(x)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class ToTensor:
    """A uint8 image ``(H, W)`` or ``(H, W, C)`` (numpy array, Tensor or PIL image) to a
    ``(C, H, W)`` Tensor of the default float dtype, divided by 255. Images of any other dtype
    are only transposed, not rescaled (as torchvision).

    >>> ToTensor()(np.array([[0, 51], [255, 102]], dtype=np.uint8)).tolist()
    [[[0.0, 0.20000000298023224], [1.0, 0.4000000059604645]]]
    """

    batched = False  # a batch (N, H, W) looks like one (H, W, C) image; datasets use .batch()

    def __call__(self, pic) -> Tensor:
        array = _picture(pic)
        if array.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {array.ndim} dimensions.")
        if array.ndim == 2:
            array = array[:, :, None]
        return Tensor._make(_scale(np.ascontiguousarray(array.transpose(2, 0, 1))))

    def batch(self, images) -> np.ndarray:
        """The same conversion for a stack of images, ``(N, H, W)`` or ``(N, H, W, C)`` to ``(N, C, H, W)``."""
        array = _array(images)
        array = array[:, None] if array.ndim == 3 else array.transpose(0, 3, 1, 2)
        return _scale(np.ascontiguousarray(array))

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


def _picture(pic) -> np.ndarray:
    if isinstance(pic, (Tensor, np.ndarray)):
        return _array(pic)
    if hasattr(pic, "__array_interface__"):  # a PIL image
        return np.asarray(pic)
    raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")


def _scale(array: np.ndarray) -> np.ndarray:
    if array.dtype != np.uint8:
        return array
    dtype = _dtype.get_default_dtype()
    return array.astype(dtype) / dtype.type(255)


class Normalize:
    """``(x - mean[c]) / std[c]`` for each channel ``c`` of a float ``(..., C, H, W)`` image or batch.

    >>> Normalize(0.5, 0.25)(mg.ones(1, 2, 2)).tolist()
    [[[2.0, 2.0], [2.0, 2.0]]]
    """

    batched = True

    def __init__(self, mean, std, inplace: bool = False) -> None:
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, tensor):
        array = _array(tensor)
        if array.dtype.kind != "f":
            raise TypeError(f"Input tensor should be a float tensor. Got {array.dtype}.")
        if array.ndim < 3:
            raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
                             f"{tuple(array.shape)}.")
        mean = np.asarray(self.mean, dtype=array.dtype).reshape(-1, 1, 1)
        std = np.asarray(self.std, dtype=array.dtype).reshape(-1, 1, 1)
        if (std == 0).any():
            raise ValueError(f"std evaluated to zero after conversion to {array.dtype}, leading to division by zero.")
        channels = array.shape[-3]
        if len(mean) not in (1, channels) or len(std) not in (1, channels):
            raise ValueError(f"Normalize: mean has {len(mean)} values and std {len(std)} but the image has "
                             f"{channels} channels (shape {tuple(array.shape)})")
        if self.inplace:
            np.subtract(array, mean, out=array)
            np.divide(array, std, out=array)
            return tensor
        return _like(tensor, (array - mean) / std)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(mean={self.mean}, std={self.std})"


PADDING_MODES = ("constant", "edge", "reflect", "symmetric")


def _padding(padding) -> tuple[int, int, int, int]:
    """torchvision's padding argument as (left, top, right, bottom)."""
    if isinstance(padding, numbers.Integral):
        return (int(padding),) * 4
    padding = tuple(int(p) for p in padding)
    if len(padding) == 1:
        return padding * 4
    if len(padding) == 2:
        return padding * 2
    if len(padding) == 4:
        return padding  # type: ignore[return-value]
    raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")


def _pad(x, padding, fill, padding_mode: str):
    left, top, right, bottom = _padding(padding)
    array = _array(x)
    widths = [(0, 0)] * (array.ndim - 2) + [(top, bottom), (left, right)]
    if padding_mode == "constant":
        return _like(x, np.pad(array, widths, constant_values=fill))
    return _like(x, np.pad(array, widths, mode=padding_mode))


def _check_padding_mode(padding_mode: str) -> None:
    if padding_mode not in PADDING_MODES:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")


class Pad:
    """Pad the last two dimensions (height, width): ``padding`` is an int (all sides), a pair
    (left/right, top/bottom) or four numbers (left, top, right, bottom); ``padding_mode`` is
    ``constant`` (with ``fill``), ``edge``, ``reflect`` or ``symmetric``, as torchvision."""

    batched = True

    def __init__(self, padding, fill: float = 0, padding_mode: str = "constant") -> None:
        _padding(padding)
        _check_padding_mode(padding_mode)
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def __call__(self, x):
        return _pad(x, self.padding, self.fill, self.padding_mode)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode})"


def _size(size, name: str) -> tuple[int, int]:
    if isinstance(size, numbers.Integral):
        return int(size), int(size)
    size = tuple(int(s) for s in size)
    if len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(f"{name}: please provide only two dimensions (h, w) for size, got {size}")
    return size  # type: ignore[return-value]


class Resize:
    """Resize the last two dimensions with nearest-neighbour interpolation: to ``(h, w)``, or for
    an int ``size`` so that the shorter side becomes ``size`` (keeping the aspect ratio, as
    torchvision). torchvision's default interpolation is bilinear; minigrad only has nearest."""

    batched = True

    def __init__(self, size, interpolation="nearest") -> None:
        if str(getattr(interpolation, "value", interpolation)) != "nearest":
            raise NotImplementedError(f"Resize: minigrad only implements nearest-neighbour interpolation, "
                                      f"got interpolation={interpolation!r}")
        if not isinstance(size, numbers.Integral):
            _size(size, "Resize")
        self.size = size

    def _output_size(self, height: int, width: int) -> tuple[int, int]:
        if isinstance(self.size, numbers.Integral) or len(self.size) == 1:
            short = int(self.size if isinstance(self.size, numbers.Integral) else self.size[0])
            if height <= width:
                return short, int(short * width / height)
            return int(short * height / width), short
        return _size(self.size, "Resize")

    def __call__(self, x):
        array = _array(x)
        height, width = array.shape[-2:]
        out_h, out_w = self._output_size(height, width)
        rows = np.arange(out_h) * height // out_h
        cols = np.arange(out_w) * width // out_w
        return _like(x, array[..., rows[:, None], cols[None, :]])

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size}, interpolation=nearest)"


class RepeatChannels:
    """Repeat a single channel ``channels`` times (greyscale to RGB for ImageNet-style models);
    minigrad's own, works on ``(..., 1, H, W)``."""

    batched = True

    def __init__(self, channels: int = 3) -> None:
        self.channels = channels

    def __call__(self, x):
        return _like(x, np.repeat(_array(x), self.channels, axis=-3))

    def __repr__(self) -> str:
        return f"RepeatChannels({self.channels})"


class RandomHorizontalFlip:
    """Mirror the image left to right with probability ``p``."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def __call__(self, x):
        if numpy_generator().random() < self.p:
            return _like(x, _array(x)[..., ::-1].copy())
        return x

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(p={self.p})"


class RandomVerticalFlip(RandomHorizontalFlip):
    """Flip the image upside down with probability ``p``."""

    def __call__(self, x):
        if numpy_generator().random() < self.p:
            return _like(x, _array(x)[..., ::-1, :].copy())
        return x


class RandomCrop:
    """Cut a random ``size`` window (an int for a square, or ``(h, w)``) out of the last two
    dimensions, after padding by ``padding`` (as ``Pad``) and, with ``pad_if_needed``, padding
    an image smaller than ``size`` up to it. Offsets are uniform over every window that fits."""

    def __init__(self, size, padding=None, pad_if_needed: bool = False, fill: float = 0,
                 padding_mode: str = "constant") -> None:
        self.size = _size(size, "RandomCrop")
        if padding is not None:
            _padding(padding)
        _check_padding_mode(padding_mode)
        self.padding, self.pad_if_needed, self.fill, self.padding_mode = padding, pad_if_needed, fill, padding_mode

    @staticmethod
    def get_params(img, output_size: tuple[int, int]) -> tuple[int, int, int, int]:
        """A random window ``(top, left, height, width)`` of ``output_size`` inside ``img``."""
        h, w = _array(img).shape[-2:]
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
        if (h, w) == (th, tw):
            return 0, 0, h, w
        rng = numpy_generator()
        top = int(rng.integers(0, h - th + 1))
        left = int(rng.integers(0, w - tw + 1))
        return top, left, th, tw

    def __call__(self, x):
        if self.padding is not None:
            x = _pad(x, self.padding, self.fill, self.padding_mode)
        height, width = _array(x).shape[-2:]
        if self.pad_if_needed and width < self.size[1]:
            x = _pad(x, (self.size[1] - width, 0), self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            x = _pad(x, (0, self.size[0] - height), self.fill, self.padding_mode)
        top, left, h, w = self.get_params(x, self.size)
        return _like(x, _array(x)[..., top:top + h, left:left + w].copy())

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size}, padding={self.padding})"


def _steps(transform) -> list:
    if transform is None:
        return []
    if isinstance(transform, Compose):
        return [step for t in transform.transforms for step in _steps(t)]
    return [transform]


def batch_transform(transform) -> Callable[[np.ndarray], np.ndarray] | None:
    """``transform`` as one function on a stack of raw images ``(N, H, W[, C])`` giving a numpy
    batch, equal to applying it to each image and stacking; or ``None`` when some step has to see
    the images one at a time (random transforms, ``Lambda``, any other callable). Batchable:
    no transform, or ``ToTensor`` followed by transforms marked ``batched``."""
    steps = _steps(transform)
    first = steps[0].batch if steps and isinstance(steps[0], ToTensor) else None
    rest = steps[1:] if first is not None else steps
    if (rest and first is None) or not all(getattr(step, "batched", False) for step in rest):
        return None

    def apply(images: np.ndarray) -> np.ndarray:
        batch = first(images) if first is not None else images
        for step in rest:
            batch = step(batch)
        return batch

    return apply


__all__ = ["Compose", "Lambda", "Normalize", "Pad", "RandomCrop", "RandomHorizontalFlip", "RandomVerticalFlip",
           "RepeatChannels", "Resize", "ToTensor", "batch_transform"]
