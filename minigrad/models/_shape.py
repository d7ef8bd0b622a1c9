"""Shape arithmetic shared by the models: the feature size after the convolutional part."""
from __future__ import annotations

from minigrad import creation
from minigrad.autograd.grad_mode import no_grad
from minigrad.errors import ShapeError
from minigrad.nn.modules.module import Module


def features_shape(model_name: str, features: Module, in_channels: int, input_size: tuple[int, int]) -> tuple:
    """The output shape of ``features`` for one ``in_channels x H x W`` input, or a clear error
    saying why the input size does not fit the model."""
    try:
        with no_grad():
            return features(creation.zeros(1, in_channels, *input_size)).shape[1:]
    except ShapeError as error:
        raise ShapeError(f"{model_name}: an input of size {input_size[0]}x{input_size[1]} is too small for this model: {error}") from None


def size_pair(size, name: str) -> tuple[int, int]:
    if isinstance(size, int):
        return size, size
    if isinstance(size, (tuple, list)) and len(size) == 2:
        return int(size[0]), int(size[1])
    raise ValueError(f"{name}: input_size must be an int or a pair, got {size!r}")


def check_input(x, in_channels: int, input_size: tuple[int, int] | None, hint: str) -> None:
    """Fail early, and helpfully, on inputs the model was not built for (the model's name is
    added by ``Module.__call__``)."""
    if x.ndim != 4:
        raise ShapeError(f"expected a batch of images (N, {in_channels}, H, W), got shape {x.shape}")
    if x.shape[1] != in_channels:
        raise ShapeError(f"expected {in_channels} input channels, got {x.shape[1]} (input shape {x.shape})")
    if input_size is not None and tuple(x.shape[2:]) != input_size:
        raise ShapeError(
            f"this model was built for {input_size[0]}x{input_size[1]} inputs, got {x.shape[2]}x{x.shape[3]}; {hint}"
        )
