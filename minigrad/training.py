"""A small training helper: ``fit`` and ``evaluate`` (a helper, not a framework).

``fit`` runs the usual loop (forward, loss, backward, step) for some epochs with a progress bar
showing the running loss and accuracy, evaluates on a test loader after each epoch, writes a
checkpoint (model, optimizer, epoch, history, random state) and ``history.json`` each epoch,
and can resume from that checkpoint with exactly the result of an uninterrupted run.
``check_checkpoint`` refuses, naming the file and the key, a checkpoint that resume cannot use.

>>> import minigrad as mg
>>> from minigrad.data import DataLoader, TensorDataset
>>> import numpy as np
>>> _ = mg.manual_seed(0)
>>> x = np.random.default_rng(0).standard_normal((64, 4)).astype(np.float32)
>>> y = (x[:, 0] > 0).astype(np.int64)
>>> model = mg.nn.Linear(4, 2)
>>> history = fit(model, DataLoader(TensorDataset(x, y), 16, shuffle=True), mg.optim.SGD(model.parameters(), lr=0.5),
...               epochs=3, progress=False)
>>> history["train_accuracy"][-1] > 0.8
True
"""
from __future__ import annotations

import json
import math
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from tqdm import tqdm

from minigrad import random as mg_random
from minigrad.autograd.grad_mode import no_grad
from minigrad.nn import functional as F
from minigrad.nn.utils import clip_grad_norm_
from minigrad.optim.lr_scheduler import OneCycleLR, ReduceLROnPlateau
from minigrad.serialization import CheckpointError, load, save
from minigrad.tensor import Tensor

CHECKPOINT = "checkpoint.npz"
HISTORY = "history.json"


def evaluate(model, loader, loss_fn: Callable = F.cross_entropy) -> dict:
    """Mean loss and accuracy of ``model`` over ``loader``, in evaluation mode and without a graph."""
    was_training = model.training
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    try:
        with no_grad():
            for images, labels in loader:
                logits = model(images)
                total_loss += float(loss_fn(logits, labels, reduction="sum").item())
                correct += int((logits._data.argmax(1) == labels._data).sum())
                count += len(labels._data)
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("evaluate: the loader gave no samples (an empty dataset?); there is no accuracy to report")
    return {"loss": total_loss / count, "accuracy": correct / count}


def _write_json(path: Path, value) -> None:
    """Write ``value`` as JSON to a temporary file and rename it into place: a reader (or a kill)
    sees the old file or the new one, never half of one."""
    handle, temporary = tempfile.mkstemp(prefix=".history-", dir=path.parent)
    try:
        with os.fdopen(handle, "w") as file:
            json.dump(value, file, indent=2)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# -- what a checkpoint must hold ----------------------------------------------------------------------
def is_number(value) -> bool:
    """A finite real number (a bool is not one: ``True`` as a learning rate is a mistake)."""
    return (isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
            and math.isfinite(float(value)))


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_weights(weights, path, where: str) -> None:
    if not isinstance(weights, dict):
        raise CheckpointError(f"{path}: '{where}' is a {type(weights).__name__}, not a dict of arrays")
    for key, value in weights.items():
        array = value._data if isinstance(value, Tensor) else value
        if not isinstance(array, (np.ndarray, np.generic)) or array.dtype.kind not in "biuf":
            kind = f"array of dtype {array.dtype}" if isinstance(array, (np.ndarray, np.generic)) else type(value).__name__
            raise CheckpointError(f"{path}: weight '{where}.{key}' is a {kind} ({_short(value)}), not an array of numbers")


def _check_optimizer(optimizer, path) -> None:
    if not isinstance(optimizer, dict) or not isinstance(optimizer.get("param_groups"), list) \
            or not isinstance(optimizer.get("state"), dict) or not optimizer["param_groups"]:
        raise CheckpointError(f"{path}: 'optimizer' is not an optimizer state_dict "
                              "(a dict with 'state' and a non-empty list 'param_groups')")
    indices = set()
    for number, group in enumerate(optimizer["param_groups"]):
        where = f"optimizer.param_groups.{number}"
        params = group.get("params") if isinstance(group, dict) else None
        if not isinstance(params, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in params):
            raise CheckpointError(f"{path}: '{where}' has no list of parameter indices 'params'")
        indices.update(params)
        for key in ("lr", "momentum", "weight_decay", "eps", "alpha", "dampening"):
            if key in group and not (is_number(group[key]) and group[key] >= 0):
                raise CheckpointError(f"{path}: '{where}.{key}' is {_short(group[key])}, not a number >= 0")
        if "lr" not in group:
            raise CheckpointError(f"{path}: '{where}' has no learning rate 'lr'")
    for index, values in optimizer["state"].items():
        if index not in indices:
            raise CheckpointError(f"{path}: 'optimizer.state' has an entry for parameter {_short(index)}, "
                                  f"which no parameter group holds (indices 0..{max(indices, default=-1)})")
        if not isinstance(values, dict):
            raise CheckpointError(f"{path}: 'optimizer.state.{index}' is a {type(values).__name__}, not a dict")
        for key, value in values.items():
            if not (is_number(value) or isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in "biuf"):
                raise CheckpointError(f"{path}: 'optimizer.state.{index}.{key}' is {_short(value)}, not a number or an array")


def _check_rng(rng, path) -> None:
    trial = type(mg_random.default_generator().bit_generator)()
    try:
        trial.state = rng
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError) as error:
        raise CheckpointError(f"{path}: 'rng' is not a random state of minigrad's "
                              f"{type(trial).__name__} generator ({error})") from None


def check_checkpoint(state, path, resume: bool = False) -> None:
    """Raise ``CheckpointError`` naming ``path`` and the key when ``state`` (a loaded checkpoint)
    is not one that ``fit`` wrote: the model's weights must be numeric arrays, and for ``resume``
    the optimizer state (its indices, its learning rates), the epoch, a history of that many
    epochs and the random state must be well formed. Nothing is built or changed."""
    if not isinstance(state, dict) or "model" not in state:
        raise CheckpointError(f"{path}: not a training checkpoint (no 'model' entry)")
    _check_weights(state["model"], path, "model")
    if not resume:
        return
    for key in ("optimizer", "epoch", "history", "rng"):
        if key not in state:
            raise CheckpointError(f"{path}: the checkpoint has no '{key}' entry, so training cannot resume from it")
    _check_optimizer(state["optimizer"], path)
    epoch = state["epoch"]
    if not (isinstance(epoch, int) and not isinstance(epoch, bool) and epoch >= 0):
        raise CheckpointError(f"{path}: 'epoch' is {_short(epoch)}, not a whole number >= 0")
    history = state["history"]
    if not isinstance(history, dict) or not all(isinstance(v, list) for v in history.values()):
        raise CheckpointError(f"{path}: 'history' is not a dict of per-epoch lists")
    if history.get("epoch") != list(range(1, epoch + 1)) or any(len(v) != epoch for v in history.values()):
        raise CheckpointError(f"{path}: 'history' does not hold the {epoch} epochs that 'epoch' says were trained")
    _check_rng(state["rng"], path)
    if "scheduler" in state and not isinstance(state["scheduler"], dict):
        raise CheckpointError(f"{path}: 'scheduler' is a {type(state['scheduler']).__name__}, not a scheduler state_dict")


@dataclass(frozen=True)
class Resume:
    """What ``fit(..., resume=Resume(...))`` takes back from the checkpoint besides the model, the
    epoch, the history and the scheduler (``resume=True`` is ``Resume()``: everything).

    ``optimizer=False`` keeps the optimizer as it is (a new optimizer type: Adam's state means
    nothing to SGD); ``rng=False`` keeps the current random state (a new seed);
    ``keep_hyperparameters`` (e.g. ``("lr",)``) names param-group values that keep the
    optimizer's current value instead of the checkpoint's.
    """

    optimizer: bool = True
    rng: bool = True
    keep_hyperparameters: tuple[str, ...] = ()


def fit(model, train_loader, optimizer, epochs: int, loss_fn: Callable = F.cross_entropy, test_loader=None,
        checkpoint_dir: str | os.PathLike | None = None, resume: bool | Resume = False, scheduler=None,
        progress: bool = True, verbose: bool | None = None, clip_grad_norm: float | None = None,
        prepare_checkpoint: Callable[[dict], dict] | None = None) -> dict:
    """Train ``model`` and return the history: per epoch ``train_loss``, ``train_accuracy``,
    ``test_loss``, ``test_accuracy`` (when ``test_loader`` is given) and ``seconds``.

    With ``checkpoint_dir``, the state after every epoch goes to ``checkpoint.npz`` there and the
    history to ``history.json`` (after the checkpoint, each file renamed into place, so the two
    agree; resume trusts only the checkpoint's history and rewrites ``history.json`` from it).
    ``prepare_checkpoint(state)``, when given, returns what is saved in place of ``state``: the
    caller's own entries next to fit's (the command line adds its settings as ``config``).
    ``resume=True`` continues from that checkpoint (checked with ``check_checkpoint`` first); with
    ``epochs`` no more than the epochs it holds there is nothing to train and its history is
    returned. A ``Resume`` instead of ``True`` leaves the optimizer, the random state or some
    hyperparameters as they are. ``progress`` shows a progress bar per epoch; ``verbose``
    (default: as ``progress``) prints a line per epoch.

    ``scheduler`` is stepped once per epoch, except ``OneCycleLR`` (after every batch: its
    schedule counts optimizer steps) and ``ReduceLROnPlateau`` (``step`` with the epoch's test
    loss, or its training loss without a test loader); its state is saved and resumed.
    ``clip_grad_norm`` clips the gradients' total 2-norm to that value before every step.
    """
    verbose = progress if verbose is None else verbose
    history: dict = {"epoch": [], "train_loss": [], "train_accuracy": [], "seconds": []}
    if test_loader is not None:
        history.update(test_loss=[], test_accuracy=[])
    start = 0
    directory = Path(checkpoint_dir) if checkpoint_dir is not None else None
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
    if resume:
        what = resume if isinstance(resume, Resume) else Resume()
        history, start = _resume(directory, model, optimizer, scheduler, what)

    for epoch in range(start, epochs):
        began = time.perf_counter()
        if hasattr(train_loader, "set_epoch"):
            train_loader.set_epoch(epoch)
        batch_scheduler = scheduler if isinstance(scheduler, OneCycleLR) else None
        loss, accuracy = _train_epoch(model, train_loader, optimizer, loss_fn, epoch, epochs, progress,
                                      clip_grad_norm, batch_scheduler)
        history["epoch"].append(epoch + 1)
        history["train_loss"].append(loss)
        history["train_accuracy"].append(accuracy)
        if test_loader is not None:
            result = evaluate(model, test_loader, loss_fn)
            history["test_loss"].append(result["loss"])
            history["test_accuracy"].append(result["accuracy"])
        if isinstance(scheduler, ReduceLROnPlateau):
            scheduler.step(history["test_loss"][-1] if test_loader is not None else loss)
        elif scheduler is not None and batch_scheduler is None:
            scheduler.step()
        history["seconds"].append(time.perf_counter() - began)
        if verbose:
            print(_epoch_line(history, epochs, tested=test_loader is not None), flush=True)
        if directory is not None:
            state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch + 1,
                     "history": history, "rng": mg_random.get_rng_state()}
            if scheduler is not None:
                state["scheduler"] = scheduler.state_dict()
            if prepare_checkpoint is not None:
                state = prepare_checkpoint(state)
            save(state, directory / CHECKPOINT)  # first: resume reads the history from here
            _write_json(directory / HISTORY, history)
    return history


def _resume(directory: Path | None, model, optimizer, scheduler, resume: Resume) -> tuple[dict, int]:
    """Load the checkpoint in ``directory`` into the objects; return its history and epoch."""
    if directory is None or not (directory / CHECKPOINT).exists():
        raise FileNotFoundError(f"fit: resume=True but there is no {CHECKPOINT} in {directory}")
    state = load(directory / CHECKPOINT)
    check_checkpoint(state, directory / CHECKPOINT, resume=True)
    model.load_state_dict(state["model"])
    if resume.optimizer:
        kept = [{key: group[key] for key in resume.keep_hyperparameters if key in group}
                for group in optimizer.param_groups]
        optimizer.load_state_dict(state["optimizer"])
        for group, values in zip(optimizer.param_groups, kept):
            group.update(values)
    if scheduler is not None and "scheduler" in state:
        scheduler.load_state_dict(state["scheduler"])
    if resume.rng:
        mg_random.set_rng_state(state["rng"])
    _write_json(directory / HISTORY, state["history"])  # in step with the checkpoint, whatever a kill left there
    return state["history"], int(state["epoch"])


def _epoch_line(history: dict, epochs: int, tested: bool) -> str:
    line = (f"epoch {history['epoch'][-1]}/{epochs}: train loss {history['train_loss'][-1]:.4f}, "
            f"accuracy {history['train_accuracy'][-1]:.4f}")
    if tested:
        line += f"; test loss {history['test_loss'][-1]:.4f}, accuracy {history['test_accuracy'][-1]:.4f}"
    return line + f" ({history['seconds'][-1]:.1f} s)"


def _train_epoch(model, loader, optimizer, loss_fn, epoch: int, epochs: int, progress: bool,
                 clip_grad_norm: float | None = None, batch_scheduler=None) -> tuple[float, float]:
    model.train()
    bar = None
    if progress:
        bar = tqdm(total=len(loader), desc=f"epoch {epoch + 1}/{epochs}", unit="batch", leave=False, dynamic_ncols=True)
    total_loss, correct, count = 0.0, 0, 0
    for images, labels in loader:
        optimizer.zero_grad()
        logits = model(images)
        loss = loss_fn(logits, labels)
        loss.backward()
        if clip_grad_norm is not None:
            clip_grad_norm_(model.parameters(), clip_grad_norm)
        optimizer.step()
        if batch_scheduler is not None:
            batch_scheduler.step()
        batch = len(labels._data)
        total_loss += float(loss.item()) * batch
        correct += int((logits._data.argmax(1) == labels._data).sum())
        count += batch
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{total_loss / count:.4f}", acc=f"{correct / count:.4f}", refresh=False)
    if bar is not None:
        bar.refresh()  # show the epoch's final running loss and accuracy
        bar.close()
    if count == 0:
        raise ValueError("fit: the training loader gave no samples (an empty dataset, or drop_last with a batch "
                         "larger than the dataset); nothing was trained")
    return total_loss / count, correct / count


__all__ = ["Resume", "check_checkpoint", "evaluate", "fit", "is_number"]
