"""The models by name, and what it takes to feed each one 28x28 greyscale images (MNIST,
Fashion-MNIST): its input shape, its variants, its default input size, and how a 28x28 image
becomes that input. ``get_model`` builds a model by name; the command line builds every model
through ``model_spec``.

>>> spec = model_spec("resnet18")
>>> spec.input_shape(spec.default_image_size())
(3, 32, 32)
>>> spec.from_28x28(32)                 # zero padding of 2 on each side, then three channels
(('Pad', 2), ('RepeatChannels', 3))
>>> model_spec("lenet5").build(num_classes=10, variant="classic").variant
'classic'
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

from minigrad.models.alexnet import AlexNet
from minigrad.models.deepconvnet import DeepConvNet
from minigrad.models.lenet import LeNet5
from minigrad.models.resnet import resnet18, resnet34
from minigrad.models.simpleconvnet import SimpleConvNet
from minigrad.models.vgg import vgg11, vgg11_bn, vgg16
from minigrad.nn.modules.module import Module

NATIVE_SIZE = 28  # MNIST and Fashion-MNIST


def _no_options(variant: str | None, image_size: int) -> dict:
    return {}


@dataclass(frozen=True)
class ModelSpec:
    """One model of the registry.

    ``constructor(num_classes=..., **options(variant, image_size))`` builds it. ``variants`` are
    the names its ``variant`` takes, the first being the default. ``image_size`` is the default
    side of its square input, one number or one per variant; ``resizable`` says whether a caller
    may choose another (models that are not take 28x28 images as they are). ``pads_to_32``: a
    28x28 image reaches a 32x32 input by zero padding, the background of the digits and clothes,
    rather than by resizing.
    """

    constructor: Callable[..., Module]
    in_channels: int = 1
    variants: tuple[str, ...] = ()
    image_size: int | Mapping[str, int] = NATIVE_SIZE
    resizable: bool = False
    pads_to_32: bool = False
    options: Callable[[str | None, int], dict] = _no_options

    @property
    def default_variant(self) -> str | None:
        return self.variants[0] if self.variants else None

    def default_image_size(self, variant: str | None = None) -> int:
        if isinstance(self.image_size, Mapping):  # an unknown variant is the constructor's to refuse
            return self.image_size.get(variant, self.image_size[self.default_variant])
        return self.image_size

    def build(self, num_classes: int = 10, variant: str | None = None, image_size: int | None = None) -> Module:
        """The model for ``num_classes`` classes (``variant`` and ``image_size``: the defaults when None)."""
        variant = variant or self.default_variant
        size = image_size or self.default_image_size(variant)
        return self.constructor(num_classes=num_classes, **self.options(variant, size))

    def input_shape(self, image_size: int | None = None) -> tuple[int, int, int]:
        """``(channels, height, width)`` of one input image (``image_size``: for a resizable model)."""
        size = image_size if self.resizable and image_size else self.default_image_size()
        return (self.in_channels, size, size)

    def from_28x28(self, image_size: int) -> tuple[tuple[str, int], ...]:
        """The steps that turn a ``1x28x28`` image into this model's input of side ``image_size``,
        as ``(name of the transform in minigrad.data.transforms, its argument)``; none for a model
        that takes 28x28 greyscale images."""
        if not self.resizable:
            return ()
        fit = ("Pad", (32 - NATIVE_SIZE) // 2) if self.pads_to_32 and image_size == 32 else ("Resize", image_size)
        return (fit, ("RepeatChannels", self.in_channels)) if self.in_channels > 1 else (fit,)


def _lenet_options(variant: str | None, image_size: int) -> dict:
    return {"variant": variant}


def _alexnet_options(variant: str | None, image_size: int) -> dict:
    # the paper's variant checks its input size; torchvision's adapts to any with its average pool
    return {"variant": variant, "input_size": image_size if variant == "paper" else None}


def _imagenet_style(constructor: Callable[..., Module]) -> ModelSpec:
    """torchvision's 3-channel models: 32x32 (VGG's smallest) unless the caller picks a size."""
    return ModelSpec(constructor, in_channels=3, image_size=32, resizable=True, pads_to_32=True)


SPECS: dict[str, ModelSpec] = {
    "lenet5": ModelSpec(LeNet5, variants=("modern", "classic"), options=_lenet_options),
    "alexnet": ModelSpec(AlexNet, in_channels=3, variants=("paper", "torchvision"),
                         image_size={"paper": 227, "torchvision": 224}, resizable=True, options=_alexnet_options),
    "simpleconvnet": ModelSpec(SimpleConvNet),
    "deepconvnet": ModelSpec(DeepConvNet),
    "resnet18": _imagenet_style(resnet18),
    "resnet34": _imagenet_style(resnet34),
    "vgg11": _imagenet_style(vgg11),
    "vgg11_bn": _imagenet_style(vgg11_bn),
    "vgg16": _imagenet_style(vgg16),
}
MODELS: dict[str, Callable[..., Module]] = {name: spec.constructor for name, spec in SPECS.items()}


def model_spec(name: str) -> ModelSpec:
    """The registry's entry for ``name`` (any case); ``ValueError`` listing the names otherwise."""
    try:
        return SPECS[name.lower()]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(SPECS)}") from None


def get_model(name: str, **kwargs) -> Module:
    """A model by its command-line name (``lenet5``, ``alexnet``, ``simpleconvnet``, ``deepconvnet``,
    ``resnet18``, ``resnet34``, ``vgg11``, ``vgg11_bn``, ``vgg16``), built with ``kwargs``.

    >>> get_model("resnet18", num_classes=10).fc.out_features
    10
    """
    return model_spec(name).constructor(**kwargs)


__all__ = ["MODELS", "ModelSpec", "SPECS", "get_model", "model_spec"]
