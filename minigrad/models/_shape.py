"""Shape arithmetic shared by the models: the feature size after the convolutional part, and the
checks of an input that only the model can make."""
from __future__ import annotations

from minigrad import creation
from minigrad.autograd.grad_mode import no_grad
from minigrad.errors import ShapeError
from minigrad.nn.modules.module import Module
from minigrad.tensor import Tensor


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


def check_images(x: Tensor, model: str, in_channels: int, input_size: tuple[int, int] | None = None,
                 min_size: int = 0, why: str = "") -> None:
    """What a model checks of its input itself, before its layers see it (the name of the model is
    added by ``Module.__call__``). Each check replaces a confusing error from deep inside:

    * a batch ``(N, C, H, W)``: a single image ``(C, H, W)`` would pass the convolutions and fail
      further on, at a batch norm, or at a linear layer after the flatten from dimension 1;
    * the ``input_size`` the classifier was sized for, which otherwise fails the same way;
    * at least ``min_size`` x ``min_size`` (``why`` says what needs it), which otherwise fails as a
      pooling window larger than its input, layers deep.

    The channel count is the first convolution's to check: ``F.conv2d`` names it.
    """
    if x.ndim != 4:
        hint = "; add the batch dimension with x.unsqueeze(0)" if x.ndim == 3 else ""
        raise ShapeError(f"expected a batch of images (N, {in_channels}, H, W), got shape {x.shape}{hint}")
    h, w = x.shape[2:]
    if input_size is not None and (h, w) != input_size:
        size = h if h == w else (h, w)
        raise ShapeError(f"this model was built for {input_size[0]}x{input_size[1]} inputs, got {h}x{w}; "
                         f"create the model with {model}(input_size={size})")
    if min(h, w) < min_size:
        raise ShapeError(f"an input of size {h}x{w} is too small: {why} need at least {min_size}x{min_size} "
                         "(pad or resize the images)")
