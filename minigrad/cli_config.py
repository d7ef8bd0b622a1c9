"""The settings of a command-line run: the choices each flag takes, the ``config`` a training
checkpoint stores (which model, which data, which optimizer and schedule), its validation
before anything is built, and how ``--resume`` reconciles the command line with it.

>>> describe_model("resnet18")
{'model': 'resnet18', 'variant': None, 'num_classes': 10, 'image_size': 32}
>>> validate_config({"model": "lenet5", "num_classes": 3e7}, "c.npz")
Traceback (most recent call last):
...
minigrad.errors.CheckpointError: c.npz: config['num_classes'] = 30000000.0: not a whole number from 1 to 10000
"""
from __future__ import annotations

from pathlib import Path

from minigrad.models import MODELS as MODEL_CONSTRUCTORS, model_spec
from minigrad.serialization import CheckpointError
from minigrad.training import is_number

MODELS = tuple(MODEL_CONSTRUCTORS)
OPTIMIZERS = ("adam", "sgd", "adagrad", "rmsprop")
SCHEDULERS = ("none", "step", "multistep", "cosine", "onecycle", "exponential", "plateau")
DATASETS = ("embedded", "fashion-mnist", "mnist")
DEFAULT_LR = {"adam": 1e-3, "sgd": 0.05, "adagrad": 1e-2, "rmsprop": 1e-3}
MAX_CLASSES = 10_000  # the CLI's data sets have 10; a larger number in a checkpoint is a mistake or an attack
IMAGE_SIZES = (8, 1024)
# what `train` takes from the command line and stores in the checkpoint's config; --resume compares them
TRAINING_FLAGS = {"dataset": "--dataset", "optimizer": "--optimizer", "lr": "--lr", "momentum": "--momentum",
                  "batch_size": "--batch-size", "seed": "--seed"}
ARCHITECTURE_FLAGS = {"model": "--model", "variant": "--variant", "image_size": "--image-size"}
TRAIN_DEFAULTS = {"model": "lenet5", "dataset": "embedded", "optimizer": "adam", "momentum": 0.9, "batch_size": 64,
                  "seed": 0}


# -- the model's description ------------------------------------------------------------------------------
def describe_model(name: str, variant: str | None = None, image_size: int | None = None) -> dict:
    """The config entries that say which model to build for 10 classes: the variant and the input
    size filled in with the model's defaults (``image_size`` only for models that take one)."""
    spec = model_spec(name)
    config = {"model": name, "variant": variant or spec.default_variant, "num_classes": 10}
    config["image_size"] = (image_size or spec.default_image_size(config["variant"])) if spec.resizable \
        else spec.default_image_size()
    return config


def model_config(args) -> dict:
    """``describe_model`` of the flags ``--model``/``MODEL``, ``--variant`` and ``--image-size``."""
    return describe_model(args.model, getattr(args, "variant", None), getattr(args, "image_size", None))


def validate_config(config, path) -> dict:
    """The checkpoint ``config`` of ``path`` if every entry the CLI reads has the right type and a
    sensible range; otherwise ``CheckpointError`` naming the key and the file. Runs before anything
    is built, so that ``num_classes=3e7`` is refused instead of allocating a 10 GB layer."""
    def refuse(key: str, why: str):
        value = repr(config[key]) if len(repr(config[key])) <= 60 else repr(config[key])[:57] + "..."
        raise CheckpointError(f"{path}: config['{key}'] = {value}: {why}")

    def whole(key: str, low: int, high: int | None = None) -> None:
        value = config[key]
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= low and (high is None or value <= high)):
            refuse(key, f"not a whole number from {low} to {high}" if high else f"not a whole number >= {low}")

    if not isinstance(config, dict) or "model" not in config:
        raise CheckpointError(f"{path}: the checkpoint does not say which model it holds (no config['model'])")
    if not isinstance(config["model"], str) or config["model"] not in MODELS:
        refuse("model", f"not a known model ({', '.join(MODELS)})")
    spec = model_spec(config["model"])
    if "num_classes" not in config:
        raise CheckpointError(f"{path}: config has no 'num_classes'")
    whole("num_classes", 1, MAX_CLASSES)
    variant = config.get("variant")
    if spec.variants and variant not in spec.variants:
        refuse("variant", f"not a {config['model']} variant ({', '.join(spec.variants)})")
    if variant is not None and not isinstance(variant, str):
        refuse("variant", "not a string")
    if spec.resizable or "image_size" in config:
        if "image_size" not in config:
            raise CheckpointError(f"{path}: config has no 'image_size' for {config['model']}")
        whole("image_size", *IMAGE_SIZES)
    if "dataset" in config and config["dataset"] not in DATASETS:
        refuse("dataset", f"not a known data set ({', '.join(DATASETS)})")
    if "optimizer" in config and config["optimizer"] not in OPTIMIZERS:
        refuse("optimizer", f"not a known optimizer ({', '.join(OPTIMIZERS)})")
    for key in ("lr", "momentum"):
        if key in config and not (is_number(config[key]) and config[key] >= 0):
            refuse(key, "not a number >= 0")
    if "batch_size" in config:
        whole("batch_size", 1, 1 << 20)
    if "seed" in config:
        whole("seed", 0)
    if config.get("clip_grad_norm") is not None and not (is_number(config["clip_grad_norm"]) and config["clip_grad_norm"] > 0):
        refuse("clip_grad_norm", "not a number > 0")
    if "scheduler" in config:
        schedule = config["scheduler"]
        if not isinstance(schedule, dict) or schedule.get("name") not in SCHEDULERS:
            refuse("scheduler", f"not a schedule (a dict whose 'name' is one of {', '.join(SCHEDULERS)})")
        for key, value in schedule.items():
            values = value if key == "milestones" and isinstance(value, list) else [value]
            if key != "name" and not all(is_number(v) for v in values):
                refuse("scheduler", f"its '{key}' is not a number")
    return config


# -- train: the flags against the checkpoint it resumes ------------------------------------------------------
def train_settings(args, saved: dict | None) -> tuple[dict, list[str]]:
    """The model, data and optimizer settings of a run: the flags given, else (on --resume) the
    checkpoint's, else the defaults. On --resume a flag that differs from the checkpoint is an
    error listing every difference, unless --override (then the flag wins; the second value lists
    what changed). The architecture can never change: the weights would not fit."""
    saved = saved or {}
    asked = {key: getattr(args, key) for key in (*ARCHITECTURE_FLAGS, *TRAINING_FLAGS)}
    differ = [key for key, value in asked.items() if value is not None and key in saved and value != saved[key]]
    lines = [f"  {ARCHITECTURE_FLAGS.get(key) or TRAINING_FLAGS[key]}: {saved[key]} in the checkpoint, "
             f"{asked[key]} on the command line" for key in differ]
    if any(key in ARCHITECTURE_FLAGS for key in differ):
        raise ValueError("--resume cannot change the model (its weights would not fit):\n" + "\n".join(lines))
    if differ and not args.override:
        raise ValueError("the command line differs from the checkpoint it resumes:\n" + "\n".join(lines)
                         + "\n  (drop those flags to continue as stored, or add --override to use the command line's)")
    settings = {key: saved.get(key) if value is None else value for key, value in asked.items()}
    for key, default in TRAIN_DEFAULTS.items():
        settings[key] = default if settings[key] is None else settings[key]
    if "optimizer" in differ and args.lr is None:  # the new optimizer's own default, not the old one's lr
        settings["lr"] = None
    settings["lr"] = settings["lr"] if settings["lr"] is not None else DEFAULT_LR[settings["optimizer"]]
    return settings, differ


def scheduler_config(args, first_lr: float, steps_per_epoch: int) -> dict:
    """The schedule the flags ask for, with every default filled in (stored in the checkpoint);
    ``first_lr`` is the optimizer's learning rate, OneCycle's default peak."""
    name = args.scheduler or "none"
    epochs = args.epochs
    if name == "step":
        return {"name": name, "step_size": args.step_size, "gamma": 0.1 if args.gamma is None else args.gamma}
    if name == "multistep":
        milestones = args.milestones or sorted({max(epochs // 2, 1), max(3 * epochs // 4, 1)})
        return {"name": name, "milestones": list(milestones), "gamma": 0.1 if args.gamma is None else args.gamma}
    if name == "exponential":
        return {"name": name, "gamma": 0.9 if args.gamma is None else args.gamma}
    if name == "cosine":
        return {"name": name, "T_max": epochs, "eta_min": args.eta_min}
    if name == "onecycle":
        return {"name": name, "max_lr": args.max_lr or first_lr, "total_steps": epochs * steps_per_epoch}
    if name == "plateau":
        return {"name": name, "factor": 0.1 if args.gamma is None else args.gamma, "patience": args.patience}
    return {"name": "none"}


def training_config(args, out: Path, saved: dict | None, first_lr: float, steps_per_epoch: int) -> dict:
    """The schedule and the clipping of the run: the flags', or on --resume the checkpoint's (they
    win; a flag that asks for something else is an error rather than a silent change of schedule)."""
    if saved is None or "scheduler" not in saved:
        return {"scheduler": scheduler_config(args, first_lr, steps_per_epoch), "clip_grad_norm": args.clip_grad_norm}
    if args.scheduler is not None and args.scheduler != saved["scheduler"]["name"]:
        raise ValueError(f"the checkpoint in {out} was trained with --scheduler {saved['scheduler']['name']}; "
                         f"--resume cannot switch to --scheduler {args.scheduler}")
    if args.clip_grad_norm is not None and args.clip_grad_norm != saved.get("clip_grad_norm"):
        raise ValueError(f"the checkpoint in {out} was trained with --clip-grad-norm {saved.get('clip_grad_norm')}; "
                         f"--resume cannot change it to {args.clip_grad_norm}")
    return {"scheduler": saved["scheduler"], "clip_grad_norm": saved.get("clip_grad_norm")}
