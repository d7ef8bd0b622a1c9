"""The ``minigrad`` command line: train, evaluate, graph, summary, gradcheck, filters.

    minigrad train                      # LeNet-5 on the embedded Fashion-MNIST subset
    minigrad train --dataset fashion-mnist --epochs 10
    minigrad train --optimizer sgd --scheduler cosine --clip-grad-norm 1.0
    minigrad evaluate runs/lenet5/checkpoint.npz
    minigrad graph lenet5 -o lenet.svg
    minigrad summary alexnet
    minigrad train --model deepconvnet  # the book's chapter 8 network
    minigrad train --model resnet18     # 28x28 images padded to 32x32, gray repeated to 3 channels
    minigrad gradcheck
    minigrad filters runs/lenet5/checkpoint.npz -o filters.png
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

MODELS = ("lenet5", "alexnet", "simpleconvnet", "deepconvnet", "resnet18", "resnet34", "vgg11", "vgg11_bn", "vgg16")
IMAGENET_STYLE = ("resnet18", "resnet34", "vgg11", "vgg11_bn", "vgg16")  # 3-channel models, 32x32 by default
OPTIMIZERS = ("adam", "sgd", "adagrad", "rmsprop")
SCHEDULERS = ("none", "step", "multistep", "cosine", "onecycle", "exponential", "plateau")
DATASETS = ("embedded", "fashion-mnist", "mnist")
VARIANTS = {"lenet5": ("modern", "classic"), "alexnet": ("paper", "torchvision")}
DEFAULT_LR = {"adam": 1e-3, "sgd": 0.05, "adagrad": 1e-2, "rmsprop": 1e-3}
MAX_CLASSES = 10_000  # the CLI's data sets have 10; a larger number in a checkpoint is a mistake or an attack
IMAGE_SIZES = (8, 1024)
# what `train` takes from the command line and stores in the checkpoint's config; --resume compares them
TRAINING_FLAGS = {"dataset": "--dataset", "optimizer": "--optimizer", "lr": "--lr", "momentum": "--momentum",
                  "batch_size": "--batch-size", "seed": "--seed"}
ARCHITECTURE_FLAGS = {"model": "--model", "variant": "--variant", "image_size": "--image-size"}
TRAIN_DEFAULTS = {"model": "lenet5", "dataset": "embedded", "optimizer": "adam", "momentum": 0.9, "batch_size": 64,
                  "seed": 0}


# -- models and data for the command line ------------------------------------------------------------
def model_config(args) -> dict:
    config = {"model": args.model, "variant": getattr(args, "variant", None), "num_classes": 10}
    if args.model == "alexnet":
        variant = config["variant"] or "paper"
        config.update(variant=variant, image_size=getattr(args, "image_size", None) or (227 if variant == "paper" else 224))
    elif args.model in IMAGENET_STYLE:
        config.update(image_size=getattr(args, "image_size", None) or 32)
    else:
        config.update(variant=config["variant"] or ("modern" if args.model == "lenet5" else None), image_size=28)
    return config


def validate_config(config, path) -> dict:
    """The checkpoint ``config`` of ``path`` if every entry the CLI reads has the right type and a
    sensible range; otherwise ``CheckpointError`` naming the key and the file. Runs before anything
    is built, so that ``num_classes=3e7`` is refused instead of allocating a 10 GB layer."""
    from minigrad.serialization import CheckpointError
    from minigrad.training import is_number

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
    if "num_classes" not in config:
        raise CheckpointError(f"{path}: config has no 'num_classes'")
    whole("num_classes", 1, MAX_CLASSES)
    variant = config.get("variant")
    if config["model"] in VARIANTS and variant not in VARIANTS[config["model"]]:
        refuse("variant", f"not a {config['model']} variant ({', '.join(VARIANTS[config['model']])})")
    if variant is not None and not isinstance(variant, str):
        refuse("variant", "not a string")
    if config["model"] == "alexnet" or config["model"] in IMAGENET_STYLE or "image_size" in config:
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


def build_model(config: dict):
    from minigrad import models

    if config["model"] == "lenet5":
        return models.LeNet5(num_classes=config["num_classes"], variant=config["variant"])
    if config["model"] == "alexnet":
        size = config["image_size"]
        return models.AlexNet(num_classes=config["num_classes"], variant=config["variant"],
                              input_size=size if config["variant"] == "paper" else None)
    if config["model"] in IMAGENET_STYLE or config["model"] == "deepconvnet":
        return models.get_model(config["model"], num_classes=config["num_classes"])
    return models.SimpleConvNet(num_classes=config["num_classes"])


def image_transform(config: dict):
    """28x28 greyscale images as the model needs them: three channels for AlexNet (resized),
    ResNet and VGG (zero-padded by 2 to 32x32, the background of the digits and clothes, or
    resized for another ``--image-size``)."""
    from minigrad.data import transforms

    if config["model"] in IMAGENET_STYLE:
        size = config["image_size"]
        fit = transforms.Pad(2) if size == 32 else transforms.Resize(size)
        return transforms.Compose([fit, transforms.RepeatChannels(3)])
    if config["model"] != "alexnet":
        return None
    return transforms.Compose([transforms.Resize(config["image_size"]), transforms.RepeatChannels(3)])


def input_shape(config: dict) -> tuple:
    if config["model"] == "alexnet" or config["model"] in IMAGENET_STYLE:
        return (3, config["image_size"], config["image_size"])
    return (1, 28, 28)


def load_data(name: str, train: bool, config: dict, root=None, download=False, mirrors=None):
    from minigrad.data import get_dataset

    return get_dataset(name, train=train, root=root, download=download, transform=image_transform(config),
                       mirrors=mirrors)


def make_optimizer(name: str, params, lr: float | None, momentum: float):
    from minigrad import optim

    if name == "adam":
        return optim.Adam(params, lr=lr or 1e-3)
    if name == "sgd":
        return optim.SGD(params, lr=lr or 0.05, momentum=momentum)
    if name == "adagrad":
        return optim.Adagrad(params, lr=lr or 1e-2)
    return optim.RMSprop(params, lr=lr or 1e-3, momentum=momentum)


def scheduler_config(args, optimizer, steps_per_epoch: int) -> dict:
    """The schedule the flags ask for, with every default filled in (stored in the checkpoint)."""
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
        return {"name": name, "max_lr": args.max_lr or optimizer.param_groups[0]["lr"],
                "total_steps": epochs * steps_per_epoch}
    if name == "plateau":
        return {"name": name, "factor": 0.1 if args.gamma is None else args.gamma, "patience": args.patience}
    return {"name": "none"}


def make_scheduler(config: dict, optimizer):
    """The scheduler of a ``scheduler_config`` (None for "none"): stepped once per epoch by
    ``fit``, OneCycle after every batch, ReduceLROnPlateau with the test loss."""
    from minigrad.optim import lr_scheduler as S

    name = config["name"]
    if name == "step":
        return S.StepLR(optimizer, step_size=config["step_size"], gamma=config["gamma"])
    if name == "multistep":
        return S.MultiStepLR(optimizer, milestones=config["milestones"], gamma=config["gamma"])
    if name == "exponential":
        return S.ExponentialLR(optimizer, gamma=config["gamma"])
    if name == "cosine":
        return S.CosineAnnealingLR(optimizer, T_max=config["T_max"], eta_min=config["eta_min"])
    if name == "onecycle":
        return S.OneCycleLR(optimizer, max_lr=config["max_lr"], total_steps=config["total_steps"],
                            cycle_momentum="momentum" in optimizer.defaults or "betas" in optimizer.defaults)
    if name == "plateau":
        return S.ReduceLROnPlateau(optimizer, factor=config["factor"], patience=config["patience"])
    return None


def _resumed_training_config(args, out: Path, saved: dict | None) -> dict | None:
    """On --resume: the scheduler and clipping the checkpoint was trained with (they win; a flag
    that asks for something else is an error rather than a silent change of schedule)."""
    if saved is None or "scheduler" not in saved:
        return None
    if args.scheduler is not None and args.scheduler != saved["scheduler"]["name"]:
        raise ValueError(f"the checkpoint in {out} was trained with --scheduler {saved['scheduler']['name']}; "
                         f"--resume cannot switch to --scheduler {args.scheduler}")
    if args.clip_grad_norm is not None and args.clip_grad_norm != saved.get("clip_grad_norm"):
        raise ValueError(f"the checkpoint in {out} was trained with --clip-grad-norm {saved.get('clip_grad_norm')}; "
                         f"--resume cannot change it to {args.clip_grad_norm}")
    return {"scheduler": saved["scheduler"], "clip_grad_norm": saved.get("clip_grad_norm")}


# -- subcommands --------------------------------------------------------------------------------------------
def _read_resume_checkpoint(path: Path) -> dict:
    """The checkpoint that --resume continues, checked before anything is built."""
    import minigrad as mg
    from minigrad.training import check_checkpoint

    state = mg.load(path)
    check_checkpoint(state, path, resume=True)
    validate_config(state.get("config") or {}, path)
    return state


def _train_settings(args, saved: dict | None) -> tuple[dict, list[str]]:
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


def cmd_train(args) -> int:
    import minigrad as mg
    from minigrad.data import DataLoader
    from minigrad.training import CHECKPOINT, fit

    out = Path(args.out or f"runs/{args.model or TRAIN_DEFAULTS['model']}")
    saved_state = None
    if args.resume:
        if not (out / CHECKPOINT).exists():
            raise FileNotFoundError(f"--resume: there is no {CHECKPOINT} in {out} to continue")
        saved_state = _read_resume_checkpoint(out / CHECKPOINT)
        if saved_state["epoch"] >= args.epochs:
            print(f"nothing to train: {out / CHECKPOINT} already holds {saved_state['epoch']} epochs and "
                  f"--epochs is {args.epochs}; pass a larger --epochs to continue")
            return 0
    elif (out / CHECKPOINT).exists() and not args.force:
        raise ValueError(f"{out} already holds a checkpoint; pass --resume to continue it, "
                         f"or --force to start over and overwrite it")
    saved = saved_state.get("config") if saved_state else None
    settings, overridden = _train_settings(args, saved)
    for key, value in settings.items():
        setattr(args, key, value)
    if overridden:
        print("--override: the command line wins over the checkpoint for "
              + ", ".join(f"{TRAINING_FLAGS[key]} ({saved[key]} -> {settings[key]})" for key in overridden), flush=True)
    config = model_config(args)
    config.update({key: settings[key] for key in TRAINING_FLAGS})
    mg.manual_seed(args.seed)
    train_set = load_data(args.dataset, True, config, args.data_root, args.download, args.mirror)
    test_set = load_data(args.dataset, False, config, args.data_root, args.download, args.mirror)
    if args.limit:
        train_set = _limited(train_set, args.limit)
        test_set = _limited(test_set, max(args.limit // 6, 1))
    model = build_model(config)
    optimizer = make_optimizer(args.optimizer, model.parameters(), args.lr, args.momentum)
    train_loader = DataLoader(train_set, args.batch_size, shuffle=True, seed=args.seed)
    training = _resumed_training_config(args, out, saved) or {
        "scheduler": scheduler_config(args, optimizer, len(train_loader)), "clip_grad_norm": args.clip_grad_norm}
    config.update(training)
    schedule = training["scheduler"]
    if schedule["name"] == "onecycle" and args.epochs * len(train_loader) > schedule["total_steps"]:
        raise ValueError(f"--scheduler onecycle was set up for {schedule['total_steps']} steps; "
                         f"{args.epochs} epochs of {len(train_loader)} batches need more")
    scheduler = make_scheduler(schedule, optimizer)
    extras = "".join([f", scheduler {schedule['name']}" if scheduler is not None else "",
                      f", gradient norm clipped to {training['clip_grad_norm']}" if training["clip_grad_norm"] else ""])
    print(f"training {type(model).__name__} ({config['variant'] or 'default'}) on {args.dataset}: "
          f"{len(train_set)} training and {len(test_set)} test images, {args.epochs} epochs, "
          f"batch {args.batch_size}, {args.optimizer}{extras}; output in {out}", flush=True)
    first_conv = next(m for m in model.modules() if isinstance(m, mg.nn.Conv2d))  # ResNet has no .features
    before = first_conv.weight._data.copy()
    history = fit(model, train_loader, optimizer, args.epochs, test_loader=DataLoader(test_set, 256),
                  checkpoint_dir=out, resume=args.resume, scheduler=scheduler, progress=not args.quiet,
                  config=config, verbose=True, clip_grad_norm=training["clip_grad_norm"],
                  resume_optimizer="optimizer" not in overridden, resume_rng="seed" not in overridden,
                  keep_hyperparameters=tuple(key for key in ("lr", "momentum") if key in overridden))
    accuracy = history["test_accuracy"][-1] if history["test_accuracy"] else float("nan")
    if args.plots:
        from minigrad import plot

        plot.save_filter_comparison(before, first_conv.weight._data, out / "filters.png")
        plot.save_history(history, out / "curves.png")
        print(f"plots: {out / 'filters.png'}, {out / 'curves.png'}")
    print(f"checkpoint: {out / 'checkpoint.npz'}; history: {out / 'history.json'}")
    print(f"test accuracy: {accuracy:.4f}")
    return 0


def _limited(dataset, count: int):
    dataset.data, dataset.targets = dataset.data[:count], dataset.targets[:count]
    return dataset


def _load_checkpoint(path: str):
    import minigrad as mg

    from minigrad.training import check_checkpoint

    state = mg.load(path)
    check_checkpoint(state, path)
    config = validate_config(state.get("config") or {}, path)
    model = build_model(config)
    model.load_state_dict(state["model"])
    return model, config, state


def cmd_evaluate(args) -> int:
    from minigrad.data import DataLoader
    from minigrad.training import evaluate

    model, config, state = _load_checkpoint(args.checkpoint)
    dataset = args.dataset or config.get("dataset", "embedded")
    test_set = load_data(dataset, False, config, args.data_root, args.download, args.mirror)
    result = evaluate(model, DataLoader(test_set, args.batch_size))
    print(f"{config['model']} after {state.get('epoch', '?')} epochs on the {dataset} test set "
          f"({len(test_set)} images): loss {result['loss']:.4f}, accuracy {result['accuracy']:.4f}")
    return 0


def cmd_graph(args) -> int:
    import minigrad as mg

    config = model_config(args)
    mg.manual_seed(0)
    model = build_model(config)
    images = mg.randn(args.batch_size, *input_shape(config))
    labels = mg.tensor(np.arange(args.batch_size) % 10)
    images.name, labels.name = "images", "labels"
    loss = mg.nn.functional.cross_entropy(model(images), labels)
    loss.name = "loss"
    if args.grads:
        with mg.autograd.record_grad_norms():
            loss.backward()
    graph = mg.viz.draw_graph(loss, params=model, show_grads=args.grads, collapse_repeats=args.collapse,
                              rankdir=args.rankdir)
    fmt = args.format or Path(args.output).suffix.lstrip(".") or "svg"
    path = mg.viz.save(graph, args.output, format=fmt)
    print(f"wrote {path}")
    return 0


def cmd_summary(args) -> int:
    import minigrad as mg

    config = model_config(args)
    shape = tuple(args.input_size) if args.input_size else input_shape(config)
    print(mg.summary(build_model(config), shape))
    return 0


def cmd_gradcheck(args) -> int:
    from minigrad import selftest

    return 0 if selftest.run(quick=args.quick) else 1


def cmd_filters(args) -> int:
    import minigrad as mg
    from minigrad import plot

    if args.checkpoint:
        model, config, state = _load_checkpoint(args.checkpoint)
        title = f"{config['model']} conv1 filters after {state.get('epoch', '?')} epochs"
    else:
        mg.manual_seed(args.seed)
        config = model_config(args)
        model = build_model(config)
        title = f"{config['model']} conv1 filters, untrained"
    conv = next(m for m in model.modules() if isinstance(m, mg.nn.Conv2d))
    plot.save_filters(conv.weight._data, args.output, title)
    print(f"wrote {args.output} ({conv.weight.shape[0]} filters of {conv.weight.shape[2]}x{conv.weight.shape[3]})")
    return 0


def cmd_export(args) -> int:
    """Build the model as ``train`` would (or load a checkpoint, which says which model it holds)
    and write it as ONNX, traced on zero images of ``--batch-size`` (the file takes any batch)."""
    import numpy as np

    import minigrad as mg

    if args.checkpoint:
        model, config, _ = _load_checkpoint(args.checkpoint)
    else:
        config = model_config(args)
        model = build_model(config)
    example = mg.zeros(args.batch_size, *input_shape(config))
    mg.onnx.export(model, example, args.output)
    print(f"wrote {args.output} ({config['model']}, input {list(np.shape(example))[1:]} with any batch size)")
    return 0


# -- argument parsing --------------------------------------------------------------------------------------------
def _model_options(parser, positional: bool = True) -> None:
    if positional:
        parser.add_argument("model", choices=MODELS, help="the model")
    parser.add_argument("--variant", help="lenet5: modern|classic; alexnet: paper|torchvision")
    parser.add_argument("--image-size", type=int,
                        help="alexnet: input size (default 227 paper, 224 torchvision); resnet*, vgg*: input size "
                             "(default 32: 28x28 images padded by 2)")


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="minigrad", description="minigrad: a small, exact deep-learning framework on numpy")
    commands = main.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a model and print its test accuracy")
    train.add_argument("--model", choices=MODELS, help="default lenet5")
    _model_options(train, positional=False)
    train.add_argument("--dataset", choices=DATASETS,
                       help="default embedded; embedded: the Fashion-MNIST subset shipped with minigrad (offline); fashion-mnist/mnist: the full sets")
    train.add_argument("--data-root", help="directory with the IDX files (also searched: ~/.cache/minigrad, Debian's location)")
    train.add_argument("--download", action="store_true", help="download missing dataset files")
    train.add_argument("--mirror", action="append", metavar="URL",
                       help="base URL to download the dataset files from (repeatable; replaces "
                            "$MINIGRAD_MNIST_MIRRORS / $MINIGRAD_FASHION_MNIST_MIRRORS and the public mirrors)")
    train.add_argument("--epochs", type=int, default=15)
    train.add_argument("--batch-size", type=int, help="default 64")
    train.add_argument("--optimizer", choices=OPTIMIZERS, help="default adam")
    train.add_argument("--lr", type=float, help="learning rate (default: adam 1e-3, sgd 0.05, adagrad 1e-2, rmsprop 1e-3)")
    train.add_argument("--momentum", type=float, help="for sgd and rmsprop (default 0.9)")
    train.add_argument("--scheduler", choices=SCHEDULERS,
                       help="learning-rate schedule, stepped once per epoch (onecycle: per batch; "
                            "plateau: on the test loss); default none")
    train.add_argument("--step-size", type=int, default=5, help="step: decay every N epochs (default 5)")
    train.add_argument("--gamma", type=float,
                       help="step, multistep: decay factor (default 0.1); exponential: per epoch (default 0.9); "
                            "plateau: factor (default 0.1)")
    train.add_argument("--milestones", type=int, nargs="+", metavar="EPOCH",
                       help="multistep: epochs at which to decay (default: half and three quarters of --epochs)")
    train.add_argument("--eta-min", type=float, default=0.0, help="cosine: the final lr (cosine over --epochs)")
    train.add_argument("--max-lr", type=float, help="onecycle: the peak lr (default: the optimizer's lr)")
    train.add_argument("--patience", type=int, default=2, help="plateau: epochs without improvement (default 2)")
    train.add_argument("--clip-grad-norm", type=float, metavar="MAX",
                       help="clip the gradients' total 2-norm to MAX before every step")
    train.add_argument("--seed", type=int, help="default 0")
    train.add_argument("--out", help="output directory (default runs/<model>)")
    train.add_argument("--resume", action="store_true",
                       help="continue from the checkpoint in the output directory, with its settings (model, data, "
                            "optimizer, lr, momentum, batch size, seed, schedule, clipping); a flag that differs is an error")
    train.add_argument("--override", action="store_true",
                       help="with --resume: the command line's optimizer, lr, momentum, batch size, seed and dataset "
                            "win over the checkpoint's")
    train.add_argument("--force", action="store_true",
                       help="start over in an output directory that already holds a checkpoint (overwriting it)")
    train.add_argument("--plots", action="store_true", help="save filter pictures and training curves (needs matplotlib)")
    train.add_argument("--limit", type=int, help="use only the first N training images (quick runs)")
    train.add_argument("--quiet", action="store_true", help="no progress bars (one line per epoch)")
    train.set_defaults(run=cmd_train)

    evaluate = commands.add_parser("evaluate", help="evaluate a checkpoint on a test set")
    evaluate.add_argument("checkpoint")
    evaluate.add_argument("--dataset", choices=DATASETS)
    evaluate.add_argument("--data-root")
    evaluate.add_argument("--download", action="store_true")
    evaluate.add_argument("--mirror", action="append", metavar="URL", help="as for train")
    evaluate.add_argument("--batch-size", type=int, default=256)
    evaluate.set_defaults(run=cmd_evaluate)

    graph = commands.add_parser("graph", help="draw the forward-and-loss graph of a model (Graphviz)")
    _model_options(graph)
    graph.add_argument("-o", "--output", default="graph.svg", help="output file (.svg, .png, .pdf or .dot)")
    graph.add_argument("--format", choices=("svg", "png", "pdf", "dot"))
    graph.add_argument("--grads", action="store_true", help="run backward and show gradient norms")
    graph.add_argument("--collapse", action="store_true", help="fold repeated blocks into one node")
    graph.add_argument("--batch-size", type=int, default=2)
    graph.add_argument("--rankdir", choices=("TB", "LR"), default="TB")
    graph.set_defaults(run=cmd_graph)

    summary = commands.add_parser("summary", help="a table of the model's layers")
    _model_options(summary)
    summary.add_argument("--input-size", type=int, nargs=3, metavar=("C", "H", "W"))
    summary.set_defaults(run=cmd_summary)

    gradcheck = commands.add_parser("gradcheck", help="self-test: gradient checks of every op and layer")
    gradcheck.add_argument("--quick", action="store_true", help="a quarter of the cases")
    gradcheck.set_defaults(run=cmd_gradcheck)

    filters = commands.add_parser("filters", help="a PNG grid of the first-layer filters")
    filters.add_argument("checkpoint", nargs="?", help="a training checkpoint (default: an untrained model)")
    filters.add_argument("--model", choices=MODELS, default="lenet5")
    _model_options(filters, positional=False)
    filters.add_argument("--seed", type=int, default=0)
    filters.add_argument("-o", "--output", default="filters.png")
    filters.set_defaults(run=cmd_filters)

    export = commands.add_parser("export", help="write a model as an ONNX file (for onnxruntime, Netron, ...)")
    _model_options(export)
    export.add_argument("-o", "--output", required=True, help="the .onnx file to write")
    export.add_argument("--checkpoint", help="a training checkpoint (default: the untrained model)")
    export.add_argument("--batch-size", type=int, default=1, help="batch size of the traced example (the file takes any)")
    export.set_defaults(run=cmd_export)
    return main


def main(argv: list[str] | None = None) -> int:
    import minigrad as mg
    from minigrad.data import DatasetNotFoundError, DownloadError, IDXError

    args = parser().parse_args(argv)
    try:
        code = args.run(args)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return code
    except BrokenPipeError:
        # the reader went away (`minigrad summary vgg16 | head -1`): stop quietly, as other tools do;
        # stdout goes to devnull so that Python's final flush does not complain again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a tool killed by a closed pipe
    except (DatasetNotFoundError, DownloadError, IDXError, mg.CheckpointError, mg.viz.GraphvizNotFoundError,
            FileNotFoundError, ImportError, ValueError) as error:
        print(f"minigrad {args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
