"""A small training helper: ``fit`` and ``evaluate`` (a helper, not a framework).

``fit`` runs the usual loop (forward, loss, backward, step) for some epochs with a progress bar
showing the running loss and accuracy, evaluates on a test loader after each epoch, writes a
checkpoint (model, optimizer, epoch, history, random state) and ``history.json`` each epoch,
and can resume from that checkpoint with exactly the result of an uninterrupted run.

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
import os
import tempfile
from pathlib import Path
from typing import Callable

from minigrad import random as mg_random
from minigrad.autograd.grad_mode import no_grad
from minigrad.nn import functional as F
from minigrad.nn.utils import clip_grad_norm_
from minigrad.serialization import load, save

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
    return {"loss": total_loss / max(count, 1), "accuracy": correct / max(count, 1)}


def _write_json(path: Path, value) -> None:
    handle, temporary = tempfile.mkstemp(prefix=".history-", dir=path.parent)
    with os.fdopen(handle, "w") as file:
        json.dump(value, file, indent=2)
    os.replace(temporary, path)


def fit(model, train_loader, optimizer, epochs: int, loss_fn: Callable = F.cross_entropy, test_loader=None,
        checkpoint_dir: str | os.PathLike | None = None, resume: bool = False, scheduler=None,
        progress: bool = True, config: dict | None = None, verbose: bool | None = None,
        clip_grad_norm: float | None = None) -> dict:
    """Train ``model`` and return the history: per epoch ``train_loss``, ``train_accuracy``,
    ``test_loss``, ``test_accuracy`` (when ``test_loader`` is given) and ``seconds``.

    With ``checkpoint_dir``, the state after every epoch goes to ``checkpoint.npz`` there and the
    history to ``history.json``; ``resume=True`` continues from that checkpoint. ``config`` is
    stored in the checkpoint (the CLI keeps the model's description there). ``progress`` shows
    a progress bar per epoch; ``verbose`` (default: as ``progress``) prints a line per epoch.

    ``scheduler`` is stepped once per epoch, except ``OneCycleLR`` (after every batch: its
    schedule counts optimizer steps) and ``ReduceLROnPlateau`` (``step`` with the epoch's test
    loss, or its training loss without a test loader); its state is saved and resumed.
    ``clip_grad_norm`` clips the gradients' total 2-norm to that value before every step.
    """
    from minigrad.optim.lr_scheduler import OneCycleLR, ReduceLROnPlateau

    import time

    verbose = progress if verbose is None else verbose
    history: dict = {"epoch": [], "train_loss": [], "train_accuracy": [], "seconds": []}
    if test_loader is not None:
        history.update(test_loss=[], test_accuracy=[])
    start = 0
    directory = Path(checkpoint_dir) if checkpoint_dir is not None else None
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
    if resume:
        if directory is None or not (directory / CHECKPOINT).exists():
            raise FileNotFoundError(f"fit: resume=True but there is no {CHECKPOINT} in {directory}")
        state = load(directory / CHECKPOINT)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if scheduler is not None and "scheduler" in state:
            scheduler.load_state_dict(state["scheduler"])
        mg_random.set_rng_state(state["rng"])
        history = state["history"]
        start = int(state["epoch"])

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
            line = f"epoch {epoch + 1}/{epochs}: train loss {loss:.4f}, accuracy {accuracy:.4f}"
            if test_loader is not None:
                line += f"; test loss {history['test_loss'][-1]:.4f}, accuracy {history['test_accuracy'][-1]:.4f}"
            print(line + f" ({history['seconds'][-1]:.1f} s)", flush=True)
        if directory is not None:
            state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch + 1,
                     "history": history, "rng": mg_random.get_rng_state(), "config": config or {}}
            if scheduler is not None:
                state["scheduler"] = scheduler.state_dict()
            save(state, directory / CHECKPOINT)
            _write_json(directory / HISTORY, history)
    return history


def _train_epoch(model, loader, optimizer, loss_fn, epoch: int, epochs: int, progress: bool,
                 clip_grad_norm: float | None = None, batch_scheduler=None) -> tuple[float, float]:
    model.train()
    bar = None
    if progress:
        from tqdm import tqdm

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
    return total_loss / max(count, 1), correct / max(count, 1)


__all__ = ["evaluate", "fit"]
