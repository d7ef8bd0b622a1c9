"""The op table: every op of minigrad as cases that name the op, its inputs and its references.

One table serves three checks, so that adding an op to all of them is one line:

* ``minigrad gradcheck`` (:mod:`minigrad.selftest`) prints the largest first- and second-order
  errors of the cases marked ``selftest``, next to miniatures of the models' layers;
* the test suite compares each case's forward with its numpy reference and its derivatives with
  central differences in float64 (``mg.gradcheck`` and ``mg.gradgradcheck``);
* where PyTorch is installed, the test suite compares value, gradient and gradient of gradient
  with PyTorch's, for every case that PyTorch has.

The cases live by family: ``arithmetic``, ``reductions``, ``shapes`` and ``nn_ops``; ``case``
says what a case holds. The package is minigrad's own test support, not part of its API (as
PyTorch keeps its op table in ``torch.testing._internal``).

>>> from minigrad._testing import CASES
>>> case = next(c for c in CASES if c.name == "matmul (2, 3), (3, 4)")
>>> mg.gradcheck(case.minigrad_op(), case.minigrad_inputs())
True
"""
from minigrad._testing import arithmetic, nn_ops, reductions, shapes
from minigrad._testing.case import (
    Case, Input, describe, distinct, fixed, function, functional, integers, mask, method, nonzero, normal, positive,
)

CASES: list[Case] = [*arithmetic.CASES, *reductions.CASES, *shapes.CASES, *nn_ops.CASES]

__all__ = [
    "CASES", "Case", "Input", "describe", "distinct", "fixed", "function", "functional", "integers", "mask", "method",
    "nonzero", "normal", "positive",
]
