"""The objects a command-line run is made of, built from its ``config`` (see ``cli_config``):
the model and its input, the data sets, the optimizer and the learning-rate schedule, and a
model loaded from a checkpoint.

>>> from minigrad.cli_config import describe_model
>>> config = describe_model("resnet18")
>>> input_shape(config), image_transform(config)
((3, 32, 32), Compose(
    Pad(padding=2, fill=0, padding_mode=constant)
    RepeatChannels(3)
))
>>> first_conv(build_model(describe_model("lenet5"))).weight.shape
(6, 1, 5, 5)
"""
from __future__ import annotations

import os

import minigrad as mg
from minigrad import optim
from minigrad.cli_config import validate_config
from minigrad.data import Subset, get_dataset, transforms
from minigrad.models import model_spec
from minigrad.optim import lr_scheduler
from minigrad.training import check_checkpoint


# -- the model and what it takes ----------------------------------------------------------------------------------
def build_model(config: dict) -> mg.nn.Module:
    return model_spec(config["model"]).build(config["num_classes"], config.get("variant"), config.get("image_size"))


def input_shape(config: dict) -> tuple[int, int, int]:
    return model_spec(config["model"]).input_shape(config.get("image_size"))


def image_transform(config: dict) -> transforms.Compose | None:
    """28x28 greyscale images as the model needs them: for AlexNet resized and repeated to three
    channels; for ResNet and VGG zero-padded by 2 to 32x32, the background of the digits and
    clothes (or resized for another ``--image-size``), and repeated to three channels."""
    steps = model_spec(config["model"]).from_28x28(config.get("image_size"))
    return transforms.Compose([getattr(transforms, name)(argument) for name, argument in steps]) if steps else None


def first_conv(model: mg.nn.Module) -> mg.nn.Conv2d:
    """The first ``Conv2d`` of ``model`` in module order: the layer whose filters look at the image."""
    conv = next((module for module in model.modules() if isinstance(module, mg.nn.Conv2d)), None)
    if conv is None:
        raise ValueError(f"{type(model).__name__} has no Conv2d layer, so it has no filters to show")
    return conv


# -- data ---------------------------------------------------------------------------------------------------------
def load_data(name: str, train: bool, config: dict, root=None, download=False, mirrors=None):
    return get_dataset(name, train=train, root=root, download=download, transform=image_transform(config),
                       mirrors=mirrors)


def limited(dataset, count: int) -> Subset:
    """The first ``count`` samples of ``dataset`` (as ``dataset[:count]`` would count them), which
    stays as it is."""
    return Subset(dataset, range(len(dataset))[:count])


# -- optimizer and schedule -------------------------------------------------------------------------------------
def make_optimizer(name: str, params, lr: float | None, momentum: float) -> optim.Optimizer:
    if name == "adam":
        return optim.Adam(params, lr=lr or 1e-3)
    if name == "sgd":
        return optim.SGD(params, lr=lr or 0.05, momentum=momentum)
    if name == "adagrad":
        return optim.Adagrad(params, lr=lr or 1e-2)
    return optim.RMSprop(params, lr=lr or 1e-3, momentum=momentum)


def make_scheduler(config: dict, optimizer):
    """The scheduler of a ``scheduler_config`` (None for "none"): stepped once per epoch by
    ``fit``, OneCycle after every batch, ReduceLROnPlateau with the test loss."""
    name = config["name"]
    if name == "step":
        return lr_scheduler.StepLR(optimizer, step_size=config["step_size"], gamma=config["gamma"])
    if name == "multistep":
        return lr_scheduler.MultiStepLR(optimizer, milestones=config["milestones"], gamma=config["gamma"])
    if name == "exponential":
        return lr_scheduler.ExponentialLR(optimizer, gamma=config["gamma"])
    if name == "cosine":
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=config["T_max"], eta_min=config["eta_min"])
    if name == "onecycle":
        return lr_scheduler.OneCycleLR(optimizer, max_lr=config["max_lr"], total_steps=config["total_steps"],
                                       cycle_momentum="momentum" in optimizer.defaults or "betas" in optimizer.defaults)
    if name == "plateau":
        return lr_scheduler.ReduceLROnPlateau(optimizer, factor=config["factor"], patience=config["patience"])
    return None


# -- checkpoints --------------------------------------------------------------------------------------------------
def read_checkpoint(path: str | os.PathLike, resume: bool = False) -> dict:
    """The checkpoint at ``path``, its weights and config checked (for ``resume``: everything
    ``fit`` needs too) before anything is built."""
    state = mg.load(path)
    check_checkpoint(state, path, resume=resume)
    validate_config(state.get("config") or {}, path)
    return state


def load_checkpoint(path: str | os.PathLike) -> tuple[mg.nn.Module, dict, dict]:
    """The model a checkpoint holds, its config and the whole checkpoint."""
    state = read_checkpoint(path)
    config = state.get("config") or {}
    model = build_model(config)
    model.load_state_dict(state["model"])
    return model, config, state


__all__ = ["build_model", "first_conv", "image_transform", "input_shape", "limited", "load_checkpoint", "load_data",
           "make_optimizer", "make_scheduler", "read_checkpoint"]
