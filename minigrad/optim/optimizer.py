"""``Optimizer``: parameter groups, per-parameter state, ``zero_grad``, state dicts.

Updates follow PyTorch's single-tensor rules operation for operation, so the same start gives
the same trajectory. They work in place on ``p._data``, record no graph, and never allocate a
parameter-sized temporary: the arrays are walked in cache-sized blocks with two small scratch
buffers (a numpy expression like ``p -= lr * g`` would allocate ``lr * g`` in full).
"""
from __future__ import annotations

import copy
import threading
import warnings
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from minigrad._dtype import get_default_dtype
from minigrad.autograd.grad_mode import enable_grad, no_grad
from minigrad.tensor import Tensor
from minigrad.threads import get_num_threads, parallel_for

BLOCK = 1 << 16  # elements per block: two float32 scratch buffers (512 KiB) stay in the L2 cache


# how one parameter is updated (see Optimizer._block_update): update(param, grad, *state) of
# one block, and the parameter's state arrays
BlockUpdate = tuple[Callable[..., None], tuple[np.ndarray, ...]]
_CONTIGUOUS = "optimizer: parameter and state arrays must be C-contiguous (use np.ascontiguousarray)"


def _flat_arrays(param: np.ndarray, grad: np.ndarray, state_arrays: tuple) -> list[np.ndarray]:
    """A parameter, its gradient and its state arrays as flat views (writing to them updates the
    arrays). A non-contiguous gradient (rare: a transposed view) is read through one copy."""
    for array in (param, *state_arrays):
        if not array.flags.c_contiguous:
            raise RuntimeError(_CONTIGUOUS)
    arrays = (param, grad if grad.flags.c_contiguous else np.ascontiguousarray(grad), *state_arrays)
    return [a.reshape(-1) for a in arrays]


def run_blocks(updates: list[tuple[Callable[..., None], list[np.ndarray]]]) -> None:
    """``update(*arrays)`` on matching slices of ``BLOCK`` elements of each parameter's flat
    arrays, for all the parameters of a step at once: the blocks of all of them are shared out
    between the threads (``minigrad.threads.parallel_for``) in pieces of equal size, so that a
    step hands work over once and small parameters do not run alone (SGD on ResNet-18's 62
    parameters: 0.88x the time of sharing each parameter's blocks in turn)."""
    blocks = [(update, arrays, start) for update, arrays in updates for start in range(0, arrays[0].size, BLOCK)]
    if not blocks:
        return
    ends = np.cumsum([min(BLOCK, arrays[0].size - start) for _, arrays, start in blocks])
    pieces = get_num_threads()
    bounds = [0] + [int(np.searchsorted(ends, ends[-1] * k / pieces, side="right")) for k in range(1, pieces)]
    bounds.append(len(blocks))

    def run(first: int, stop: int) -> None:
        for update, arrays, start in blocks[bounds[first]:bounds[stop]]:
            update(*(a[start:start + BLOCK] for a in arrays))

    parallel_for(run, pieces, int(ends[-1]) * max(len(arrays) for _, arrays in updates))


def decayed(param: np.ndarray, grad: np.ndarray, weight_decay: float, out: np.ndarray) -> np.ndarray:
    """``grad + weight_decay * param`` into ``out`` (PyTorch's L2 penalty), or ``grad`` itself."""
    if not weight_decay:
        return grad
    np.multiply(param, weight_decay, out=out)
    out += grad
    return out


def direction(param: np.ndarray, grad: np.ndarray, weight_decay: float, maximize: bool,
              out: np.ndarray) -> np.ndarray:
    """``(-grad if maximize else grad) + weight_decay * param`` into ``out``, or ``grad`` itself
    (then read only): the gradient every update rule starts from."""
    if not maximize:
        return decayed(param, grad, weight_decay, out)
    if not weight_decay:
        return np.negative(grad, out=out)
    np.multiply(param, weight_decay, out=out)
    out -= grad  # weight_decay * p - g, PyTorch's -g + weight_decay * p to the last bit
    return out


def check_hyperparameters(optimizer: str, betas: tuple | None = None, **values: float) -> None:
    """PyTorch's checks: every value non-negative, each beta in [0, 1).

    >>> check_hyperparameters("Adam", lr=-1.0)
    Traceback (most recent call last):
    ...
    ValueError: Adam: invalid learning rate: -1.0
    """
    for name, value in values.items():
        if not 0.0 <= value:
            label = "learning rate" if name == "lr" else f"{name} value"
            raise ValueError(f"{optimizer}: invalid {label}: {value}")
    for index, beta in enumerate(betas or ()):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"{optimizer}: invalid beta parameter at index {index}: {beta} (it must lie in [0, 1))")


def scalar_dtype() -> type:
    """The dtype of PyTorch's scalar optimizer state (NAdam's ``mu_product``): float64 when the
    default dtype is float64, else float32."""
    return np.float64 if get_default_dtype() == np.float64 else np.float32


class Scratch:
    """Two reusable buffers of at most ``BLOCK`` elements per dtype and thread."""

    def __init__(self) -> None:
        self._buffers: dict = {}

    def __call__(self, like: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        key = (threading.get_ident(), like.dtype)  # each thread updating blocks has its own
        buffers = self._buffers.get(key)
        if buffers is None:
            buffers = self._buffers[key] = (np.empty(BLOCK, like.dtype), np.empty(BLOCK, like.dtype))
        n = like.size
        return buffers[0][:n], buffers[1][:n]


class Optimizer:
    """Base class: holds ``param_groups`` (lists of parameters with their hyper-parameters)
    and ``state`` (per-parameter buffers such as momentum)."""

    def __init__(self, params: Iterable, defaults: dict) -> None:
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got {type(params).__name__}")
        self.defaults = defaults
        self.state: dict[Tensor, dict] = {}
        self.param_groups: list[dict] = []
        self._scratch = Scratch()
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own options (``{"params": [...], "lr": 0.1}``);
        options it does not name take the optimizer's defaults. As PyTorch, e.g. to unfreeze
        layers while training::

            optimizer.add_param_group({"params": model.head.parameters(), "lr": 1e-4})
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor (optimize a model's parameters() or a leaf "
                                 "made with requires_grad=True)")
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        if len({id(p) for p in group["params"]}) != len(group["params"]):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                          "in future, this will cause an error", stacklevel=3)
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in existing for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of every parameter (to None by default, as PyTorch)."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad._data[...] = 0

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient, in place and unrecorded. ``closure``, as in
        PyTorch, recomputes the loss (zero_grad, forward, backward) before the update; its loss is
        returned."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            self._update()
        return loss

    def _update(self) -> None:
        """Update every parameter that has a gradient, by its optimizer's rule (``_block_update``),
        all the parameters' blocks together (``run_blocks``). The parameters are checked first, so
        that a step that fails changes no parameter and no state. A parameter listed twice
        (PyTorch warns, and updates it twice) has its second update after its first."""
        for group in self.param_groups:
            if any(p.grad is not None and not p._data.flags.c_contiguous for p in group["params"]):
                raise RuntimeError(_CONTIGUOUS)
        updates, listed = [], set()
        for group in self.param_groups:
            for p in self._params_with_grad(group):
                if id(p) in listed:
                    run_blocks(updates)
                    updates, listed = [], set()
                listed.add(id(p))
                update, state_arrays = self._block_update(p, group)
                updates.append((update, _flat_arrays(p._data, p.grad._data, state_arrays)))
        run_blocks(updates)

    def _block_update(self, p: Tensor, group: dict) -> BlockUpdate:
        """The update rule itself (each optimizer's own), for one parameter ``p`` of ``group``:
        advances its state for this step (step counts and the like; state arrays are created
        here) and returns ``(update, state_arrays)``, where ``update(param, grad, *state)``
        updates one block of the parameter in place, given the same block of its gradient and
        state arrays. It runs after this method has returned for every parameter, maybe on
        another thread, so it must read only values fixed for this parameter's step."""
        raise NotImplementedError

    def _params_with_grad(self, group: dict) -> Iterator[Tensor]:
        """The parameters that have a gradient, each counted as changed in place (its version
        moves on, so a graph that saved it before the step refuses to use the new values)."""
        for p in group["params"]:
            if p.grad is not None:
                if p._vc is None:
                    p._vc = [0]
                p._vc[0] += 1
                yield p

    # -- state dicts --------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """``{"state": {index: {name: array or number}}, "param_groups": [...]}``, as PyTorch,
        with parameters replaced by their index in the order of ``param_groups``."""
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                packed["params"].append(index[id(p)])
            groups.append(packed)
        state = {index[id(p)]: dict(s)
                 for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a ``state_dict`` (also one that went through ``mg.save``/``mg.load``)."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(groups)} parameter groups, the optimizer has {len(self.param_groups)}")
        by_index = {}
        for saved, group in zip(groups, self.param_groups):
            ids = [int(i) for i in np.asarray(saved["params"]).reshape(-1).tolist()]
            if len(ids) != len(group["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't match the size of the optimizer's group")
            by_index.update(zip(ids, group["params"]))
            for key, value in saved.items():
                if key != "params":
                    group[key] = tuple(value) if isinstance(group.get(key), tuple) else copy.deepcopy(value)
        self.state = {}
        for key, values in state_dict["state"].items():
            p = by_index[int(key)]
            self.state[p] = {k: (np.array(v, dtype=p.dtype) if isinstance(v, np.ndarray) and v.shape == p.shape else
                                 (v.item() if isinstance(v, np.ndarray) and v.ndim == 0 else v))
                             for k, v in values.items()}

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines) + "\n)"
