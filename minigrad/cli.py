"""The ``minigrad`` command line: train, evaluate, graph, summary, gradcheck, filters, export.

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

The settings of a run and their checks are in ``minigrad.cli_config``; the objects built from
them (model, data, optimizer, schedule) in ``minigrad.cli_build``. The models themselves, with
their input shapes, come from the registry ``minigrad.models.model_spec``.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

import minigrad as mg
from minigrad import plot, selftest
from minigrad.cli_build import (
    build_model, first_conv, image_transform, input_shape, limited, load_checkpoint, load_data, make_optimizer,
    make_scheduler, read_checkpoint,
)
from minigrad.cli_config import (
    DATASETS, MODELS, OPTIMIZERS, SCHEDULERS, TRAIN_DEFAULTS, TRAINING_FLAGS, describe_model, model_config,
    train_settings, training_config, validate_config,
)
from minigrad.data import DataLoader, DatasetNotFoundError, DownloadError, IDXError
from minigrad.training import CHECKPOINT, Resume, evaluate, fit


# -- train --------------------------------------------------------------------------------------------------------
def _checkpoint_to_resume(args, out: Path) -> dict | None:
    """With --resume the checkpoint in ``out``, checked; without, None once it is sure that no
    checkpoint would be overwritten by accident."""
    if args.resume:
        if not (out / CHECKPOINT).exists():
            raise FileNotFoundError(f"--resume: there is no {CHECKPOINT} in {out} to continue")
        return read_checkpoint(out / CHECKPOINT, resume=True)
    if (out / CHECKPOINT).exists() and not args.force:
        raise ValueError(f"{out} already holds a checkpoint; pass --resume to continue it, "
                         f"or --force to start over and overwrite it")
    return None


def _resume_options(args, overridden: list[str]):
    """What fit takes back from the checkpoint: all of it, except what --override replaced."""
    if not args.resume:
        return False
    return Resume(optimizer="optimizer" not in overridden, rng="seed" not in overridden,
                  keep_hyperparameters=tuple(key for key in ("lr", "momentum") if key in overridden))


def _datasets(args, settings: dict, config: dict) -> tuple:
    """The training and test sets of the run; with --limit their first images (a sixth as many
    for the test set)."""
    train_set = load_data(settings["dataset"], True, config, args.data_root, args.download, args.mirror)
    test_set = load_data(settings["dataset"], False, config, args.data_root, args.download, args.mirror)
    if args.limit:
        return limited(train_set, args.limit), limited(test_set, max(args.limit // 6, 1))
    return train_set, test_set


def _schedule(args, out: Path, saved: dict | None, optimizer, batches: int) -> tuple[dict, object]:
    """The schedule and clipping to store in the config, and the scheduler that runs the schedule."""
    training = training_config(args, out, saved, optimizer.param_groups[0]["lr"], batches)
    schedule = training["scheduler"]
    if schedule["name"] == "onecycle" and args.epochs * batches > schedule["total_steps"]:
        raise ValueError(f"--scheduler onecycle was set up for {schedule['total_steps']} steps; "
                         f"{args.epochs} epochs of {batches} batches need more")
    return training, make_scheduler(schedule, optimizer)


def cmd_train(args) -> int:
    out = Path(args.out or f"runs/{args.model or TRAIN_DEFAULTS['model']}")
    saved_state = _checkpoint_to_resume(args, out)
    if saved_state is not None and saved_state["epoch"] >= args.epochs:
        print(f"nothing to train: {out / CHECKPOINT} already holds {saved_state['epoch']} epochs and "
              f"--epochs is {args.epochs}; pass a larger --epochs to continue")
        return 0
    saved = saved_state.get("config") if saved_state else None
    settings, overridden = train_settings(args, saved)
    if overridden:
        print("--override: the command line wins over the checkpoint for "
              + ", ".join(f"{TRAINING_FLAGS[key]} ({saved[key]} -> {settings[key]})" for key in overridden), flush=True)
    config = describe_model(settings["model"], settings["variant"], settings["image_size"])
    config.update({key: settings[key] for key in TRAINING_FLAGS})
    mg.manual_seed(settings["seed"])
    train_set, test_set = _datasets(args, settings, config)
    model = build_model(config)
    optimizer = make_optimizer(settings["optimizer"], model.parameters(), settings["lr"], settings["momentum"])
    train_loader = DataLoader(train_set, settings["batch_size"], shuffle=True, seed=settings["seed"])
    training, scheduler = _schedule(args, out, saved, optimizer, len(train_loader))
    config.update(training)
    extras = "".join([f", scheduler {training['scheduler']['name']}" if scheduler is not None else "",
                      f", gradient norm clipped to {training['clip_grad_norm']}" if training["clip_grad_norm"] else ""])
    print(f"training {type(model).__name__} ({config['variant'] or 'default'}) on {settings['dataset']}: "
          f"{len(train_set)} training and {len(test_set)} test images, {args.epochs} epochs, "
          f"batch {settings['batch_size']}, {settings['optimizer']}{extras}; output in {out}", flush=True)
    before = first_conv(model).weight._data.copy() if args.plots else None
    history = fit(model, train_loader, optimizer, args.epochs, test_loader=DataLoader(test_set, 256),
                  checkpoint_dir=out, resume=_resume_options(args, overridden), scheduler=scheduler,
                  progress=not args.quiet, verbose=True, clip_grad_norm=training["clip_grad_norm"],
                  prepare_checkpoint=lambda state: {**state, "config": config})
    if args.plots:
        _save_plots(out, before, first_conv(model).weight._data, history)
    accuracy = history["test_accuracy"][-1] if history["test_accuracy"] else float("nan")
    print(f"checkpoint: {out / 'checkpoint.npz'}; history: {out / 'history.json'}")
    print(f"test accuracy: {accuracy:.4f}")
    return 0


def _save_plots(out: Path, before, after, history: dict) -> None:
    plot.save_filter_comparison(before, after, out / "filters.png")
    plot.save_history(history, out / "curves.png")
    print(f"plots: {out / 'filters.png'}, {out / 'curves.png'}")


# -- the other commands ----------------------------------------------------------------------------------------
def cmd_evaluate(args) -> int:
    model, config, state = load_checkpoint(args.checkpoint)
    dataset = args.dataset or config.get("dataset", "embedded")
    test_set = load_data(dataset, False, config, args.data_root, args.download, args.mirror)
    result = evaluate(model, DataLoader(test_set, args.batch_size))
    print(f"{config['model']} after {state.get('epoch', '?')} epochs on the {dataset} test set "
          f"({len(test_set)} images): loss {result['loss']:.4f}, accuracy {result['accuracy']:.4f}")
    return 0


def cmd_graph(args) -> int:
    config = model_config(args)
    mg.manual_seed(0)
    model = build_model(config)
    images = mg.randn(args.batch_size, *input_shape(config))
    labels = mg.tensor(np.arange(args.batch_size) % 10)
    images.name, labels.name = "images", "labels"
    loss = mg.nn.functional.cross_entropy(model(images), labels)
    loss.name = "loss"
    if args.grads:
        with mg.viz.record_grad_norms():
            loss.backward()
    graph = mg.viz.draw_graph(loss, params=model, show_grads=args.grads, collapse_repeats=args.collapse,
                              rankdir=args.rankdir)
    fmt = args.format or Path(args.output).suffix.lstrip(".") or "svg"
    path = mg.viz.save(graph, args.output, format=fmt)
    print(f"wrote {path}")
    return 0


def cmd_summary(args) -> int:
    config = model_config(args)
    shape = tuple(args.input_size) if args.input_size else input_shape(config)
    print(mg.summary(build_model(config), shape))
    return 0


def cmd_gradcheck(args) -> int:
    return 0 if selftest.run(quick=args.quick) else 1


def cmd_filters(args) -> int:
    if args.checkpoint:
        model, config, state = load_checkpoint(args.checkpoint)
        title = f"{config['model']} conv1 filters after {state.get('epoch', '?')} epochs"
    else:
        mg.manual_seed(args.seed)
        config = model_config(args)
        model = build_model(config)
        title = f"{config['model']} conv1 filters, untrained"
    weight = first_conv(model).weight
    plot.save_filters(weight._data, args.output, title)
    print(f"wrote {args.output} ({weight.shape[0]} filters of {weight.shape[2]}x{weight.shape[3]})")
    return 0


def cmd_export(args) -> int:
    """Build the model as ``train`` would (or load a checkpoint, which says which model it holds)
    and write it as ONNX, traced on zero images of ``--batch-size`` (the file takes any batch)."""
    if args.checkpoint:
        model, config, _ = load_checkpoint(args.checkpoint)
    else:
        config = model_config(args)
        model = build_model(config)
    example = mg.zeros(args.batch_size, *input_shape(config))
    mg.onnx.export(model, example, args.output)
    print(f"wrote {args.output} ({config['model']}, input {list(np.shape(example))[1:]} with any batch size)")
    return 0


# -- argument parsing --------------------------------------------------------------------------------------------
MIRROR_HELP = ("base URL to download the dataset files from (repeatable; replaces "
               "$MINIGRAD_MNIST_MIRRORS / $MINIGRAD_FASHION_MNIST_MIRRORS and the public mirrors)")


def _model_options(parser, positional: bool = True) -> None:
    if positional:
        parser.add_argument("model", choices=MODELS, help="the model")
    parser.add_argument("--variant", help="lenet5: modern|classic; alexnet: paper|torchvision")
    parser.add_argument("--image-size", type=int,
                        help="alexnet: input size (default 227 paper, 224 torchvision); resnet*, vgg*: input size "
                             "(default 32: 28x28 images padded by 2)")


def _data_options(parser, explained: bool) -> None:
    """Where train and evaluate find their data (``explained``: with the full help texts)."""
    parser.add_argument("--data-root", help="directory with the IDX files (also searched: ~/.cache/minigrad, "
                                            "Debian's location)" if explained else None)
    parser.add_argument("--download", action="store_true", help="download missing dataset files" if explained else None)
    parser.add_argument("--mirror", action="append", metavar="URL", help=MIRROR_HELP if explained else "as for train")
    parser.add_argument("--threads", type=_positive_int, metavar="N",
                        help="threads for large matrix products and passes (default: all cores; small ones "
                             "always use one; 1 is fastest next to other CPU-bound work)" if explained else "as for train")


def _positive_int(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return int(text)


def _train_parser(commands) -> None:
    train = commands.add_parser("train", help="train a model and print its test accuracy")
    train.add_argument("--model", choices=MODELS, help="default lenet5")
    _model_options(train, positional=False)
    train.add_argument("--dataset", choices=DATASETS,
                       help="default embedded; embedded: the Fashion-MNIST subset shipped with minigrad (offline); fashion-mnist/mnist: the full sets")
    _data_options(train, explained=True)
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


def _evaluate_parser(commands) -> None:
    evaluate = commands.add_parser("evaluate", help="evaluate a checkpoint on a test set")
    evaluate.add_argument("checkpoint")
    evaluate.add_argument("--dataset", choices=DATASETS)
    _data_options(evaluate, explained=False)
    evaluate.add_argument("--batch-size", type=int, default=256)
    evaluate.set_defaults(run=cmd_evaluate)


def _graph_parser(commands) -> None:
    graph = commands.add_parser("graph", help="draw the forward-and-loss graph of a model (Graphviz)")
    _model_options(graph)
    graph.add_argument("-o", "--output", default="graph.svg", help="output file (.svg, .png, .pdf or .dot)")
    graph.add_argument("--format", choices=("svg", "png", "pdf", "dot"))
    graph.add_argument("--grads", action="store_true", help="run backward and show gradient norms")
    graph.add_argument("--collapse", action="store_true", help="fold repeated blocks into one node")
    graph.add_argument("--batch-size", type=int, default=2)
    graph.add_argument("--rankdir", choices=("TB", "LR"), default="TB")
    graph.set_defaults(run=cmd_graph)


def _summary_parser(commands) -> None:
    summary = commands.add_parser("summary", help="a table of the model's layers")
    _model_options(summary)
    summary.add_argument("--input-size", type=int, nargs=3, metavar=("C", "H", "W"))
    summary.set_defaults(run=cmd_summary)


def _gradcheck_parser(commands) -> None:
    gradcheck = commands.add_parser("gradcheck", help="self-test: gradient checks of every op and layer")
    gradcheck.add_argument("--quick", action="store_true", help="a quarter of the cases")
    gradcheck.set_defaults(run=cmd_gradcheck)


def _filters_parser(commands) -> None:
    filters = commands.add_parser("filters", help="a PNG grid of the first-layer filters")
    filters.add_argument("checkpoint", nargs="?", help="a training checkpoint (default: an untrained model)")
    filters.add_argument("--model", choices=MODELS, default="lenet5")
    _model_options(filters, positional=False)
    filters.add_argument("--seed", type=int, default=0)
    filters.add_argument("-o", "--output", default="filters.png")
    filters.set_defaults(run=cmd_filters)


def _export_parser(commands) -> None:
    export = commands.add_parser("export", help="write a model as an ONNX file (for onnxruntime, Netron, ...)")
    _model_options(export)
    export.add_argument("-o", "--output", required=True, help="the .onnx file to write")
    export.add_argument("--checkpoint", help="a training checkpoint (default: the untrained model)")
    export.add_argument("--batch-size", type=int, default=1, help="batch size of the traced example (the file takes any)")
    export.set_defaults(run=cmd_export)


COMMANDS = (_train_parser, _evaluate_parser, _graph_parser, _summary_parser, _gradcheck_parser, _filters_parser,
            _export_parser)


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="minigrad", description="minigrad: a small, exact deep-learning framework on numpy")
    commands = main.add_subparsers(dest="command", required=True)
    for add_command in COMMANDS:
        add_command(commands)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "threads", None) is not None:
        mg.set_num_threads(args.threads)
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


__all__ = ["build_model", "image_transform", "input_shape", "main", "model_config", "parser", "validate_config"]

if __name__ == "__main__":
    sys.exit(main())
