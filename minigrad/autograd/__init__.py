"""Reverse-mode automatic differentiation: graph nodes, the backward pass, gradient checks."""
from minigrad.autograd.engine import backward, grad, topological_order
from minigrad.autograd.function import Function, current_scope, scope
from minigrad.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = [
    "Function", "backward", "current_scope", "enable_grad", "grad", "is_grad_enabled",
    "no_grad", "scope", "set_grad_enabled", "topological_order",
]
