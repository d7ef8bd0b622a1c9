"""Reverse-mode automatic differentiation: graph nodes, the backward pass, gradient checks.

The names PyTorch has in ``torch.autograd`` are here too: ``mg.autograd.grad``,
``mg.autograd.backward``, ``mg.autograd.Function``, ``mg.autograd.gradcheck`` and
``mg.autograd.gradgradcheck``. Tools built on the engine register callbacks in
``minigrad.autograd.hooks``.
"""
from minigrad.autograd import hooks
from minigrad.autograd.engine import backward, grad, topological_order
from minigrad.autograd.function import Function
from minigrad.autograd.grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from minigrad.autograd.gradient_check import GradcheckError, gradcheck, gradgradcheck

__all__ = [
    "Function", "GradcheckError", "backward", "enable_grad", "grad", "gradcheck", "gradgradcheck",
    "inference_mode", "is_grad_enabled", "no_grad", "set_grad_enabled", "topological_order",
]
