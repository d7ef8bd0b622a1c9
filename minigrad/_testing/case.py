"""One op case: a function, the inputs it is checked on, and what to check it against.

An op is written once for minigrad and PyTorch: ``op`` takes the library as its first argument,
so that ``lambda lib, x, w: lib.nn.functional.conv2d(x, w, stride=2)`` runs as minigrad when
called with ``minigrad`` and as PyTorch when called with ``torch``. minigrad follows PyTorch's
API, and the table leans on that instead of spelling every op twice; where the spellings differ,
``torch=`` gives PyTorch's own. Nothing here imports torch: the library comes in as an argument.

>>> case = Case("add", lambda lib, a, b: a + b, normal(3, 4), normal(4), numpy=np.add)
>>> [t.shape for t in case.minigrad_inputs()]
[(3, 4), (4,)]
"""
from __future__ import annotations

import functools
import zlib
from typing import Callable, Sequence

import numpy as np

import minigrad


class Input:
    """How to draw one input of a case: its shape and the kind of values it holds.

    The kinds keep ops away from points where they have no derivative (relu at 0, a tie inside a
    max), where a central difference and a backward pass disagree for no fault of either.
    """

    def __init__(self, shape: Sequence[int], kind: str, requires_grad: bool = True, high: int = 0,
                 avoid: Sequence[float] = (), values: np.ndarray | None = None) -> None:
        self.shape, self.kind, self.high, self.avoid, self.values = tuple(shape), kind, high, tuple(avoid), values
        self.requires_grad = requires_grad and kind in ("normal", "positive", "nonzero", "distinct")

    def __repr__(self) -> str:
        return f"{self.kind}{self.shape}"


def normal(*shape: int, requires_grad: bool = True) -> Input:
    """Standard normal values."""
    return Input(shape, "normal", requires_grad)


def positive(*shape: int, requires_grad: bool = True) -> Input:
    """Uniform in [0.5, 2): inside the domain of log, sqrt, division and powers."""
    return Input(shape, "positive", requires_grad)


def nonzero(*shape: int, avoid: Sequence[float] = ()) -> Input:
    """|x| uniform in [0.2, 1.5) with a random sign, and at least 0.05 away from each point of
    ``avoid`` (the bounds of a clamp): off the kinks of relu, abs and clamp."""
    return Input(shape, "nonzero", avoid=avoid)


def distinct(*shape: int) -> Input:
    """Values on a grid of step 1/7, none equal to another value of any distinct input of the
    same case, none within 1/28 of 0: max, max pooling, maximum and where need no ties."""
    return Input(shape, "distinct")


def integers(*shape: int, high: int) -> Input:
    """int64 values in [0, high): class labels, gather indices. Never requires grad."""
    return Input(shape, "integers", high=high)


def mask(*shape: int) -> Input:
    """A random bool tensor (about half True). Never requires grad."""
    return Input(shape, "mask")


def fixed(values) -> Input:
    """These exact values (labels with ignored entries, class weights...). Never requires grad."""
    values = np.asarray(values)
    return Input(values.shape, "fixed", values=values)


def _draw(spec: Input, rng: np.random.Generator) -> np.ndarray:
    if spec.kind == "normal":
        return rng.standard_normal(spec.shape)
    if spec.kind == "positive":
        return rng.uniform(0.5, 2.0, spec.shape)
    if spec.kind == "nonzero":
        values = np.zeros(spec.shape)
        redraw = np.ones(spec.shape, dtype=bool)
        while redraw.any():
            values[redraw] = rng.uniform(0.2, 1.5, redraw.sum()) * rng.choice([-1.0, 1.0], redraw.sum())
            redraw = np.zeros(spec.shape, dtype=bool)
            for point in spec.avoid:
                redraw |= np.abs(values - point) < 0.05
        return values
    if spec.kind == "integers":
        return rng.integers(0, spec.high, spec.shape)
    if spec.kind == "mask":
        return rng.random(spec.shape) < 0.5
    if spec.kind == "fixed":
        return spec.values.copy()
    raise ValueError(f"unknown input kind {spec.kind!r}")


class Case:
    """One entry of the op table.

    * ``name``: what is checked, unique in the table; it also seeds the inputs' generator;
    * ``op(lib, *inputs)``: the op, written against the library ``lib`` (``minigrad`` or ``torch``);
      it may return a tuple (values and indices), whose floating outputs are differentiated;
    * ``inputs``: one :class:`Input` per argument after ``lib``;
    * ``numpy``: a reference for the forward on numpy arrays, independent of both frameworks;
    * ``torch``: ``True`` when ``op`` run with ``torch`` is PyTorch's equivalent, a function
      ``(torch, *inputs)`` where PyTorch spells it differently, ``False`` where it has no equivalent;
    * ``numerical``: check first derivatives against central differences (``mg.gradcheck``);
      ``False`` for inputs too large for an element-by-element Jacobian, checked against PyTorch;
    * ``second_order``: check gradients of gradients too (``mg.gradgradcheck``, PyTorch's double
      backward);
    * ``selftest``: also one of the rows printed by ``minigrad gradcheck``.
    """

    def __init__(self, name: str, op: Callable, *inputs: Input, numpy: Callable | None = None,
                 torch: bool | Callable = True, numerical: bool = True, second_order: bool = True,
                 selftest: bool = False) -> None:
        self.name, self.op, self.inputs, self.numpy = name, op, inputs, numpy
        self.torch, self.numerical, self.second_order, self.selftest = torch, numerical, second_order, selftest

    def __repr__(self) -> str:
        return self.name

    def minigrad_op(self) -> Callable:
        return functools.partial(self.op, minigrad)

    def torch_op(self, torch) -> Callable | None:
        """The PyTorch equivalent as a function of the inputs, or None."""
        if self.torch is False:
            return None
        return functools.partial(self.op if self.torch is True else self.torch, torch)

    def arrays(self) -> list[np.ndarray]:
        """The inputs as numpy arrays, the same on every call (the generator is seeded by the name)."""
        rng = np.random.default_rng(zlib.crc32(self.name.encode()))
        arrays = [None if spec.kind == "distinct" else _draw(spec, rng) for spec in self.inputs]
        sizes = [int(np.prod(spec.shape)) for spec in self.inputs if spec.kind == "distinct"]
        grid = (rng.permutation(sum(sizes)) - sum(sizes) / 2 + 0.25) / 7.0
        pieces = iter(np.split(grid, np.cumsum(sizes)[:-1]) if sizes else [])
        return [next(pieces).reshape(spec.shape) if a is None else a for a, spec in zip(arrays, self.inputs)]

    def minigrad_inputs(self, arrays: list[np.ndarray] | None = None) -> tuple:
        """The inputs as minigrad tensors: float64 leaves that require grad, other kinds without."""
        arrays = self.arrays() if arrays is None else arrays
        return tuple(minigrad.tensor(a, requires_grad=spec.requires_grad) for a, spec in zip(arrays, self.inputs))


# -- ops named by a path, for the cases where both libraries take the same call --------------------
def function(name: str, *args, **kwargs) -> Callable:
    """``lib.<name>(*inputs, *args, **kwargs)``, e.g. ``function("maximum")``."""
    return lambda lib, *inputs: getattr(lib, name)(*inputs, *args, **kwargs)


def functional(name: str, *args, **kwargs) -> Callable:
    """``lib.nn.functional.<name>(*inputs, *args, **kwargs)``, e.g. ``functional("conv2d", stride=2)``."""
    return lambda lib, *inputs: getattr(lib.nn.functional, name)(*inputs, *args, **kwargs)


def method(name: str, *args, **kwargs) -> Callable:
    """``x.<name>(*args, **kwargs)`` on the first input, e.g. ``method("var", 1, keepdim=True)``."""
    return lambda lib, x: getattr(x, name)(*args, **kwargs)


def describe(**kwargs) -> str:
    """``stride=2, padding=1``: keyword arguments as they read in a case's name."""
    return ", ".join(f"{key}={value!r}" for key, value in kwargs.items())
