"""Reverse-mode automatic differentiation: graph nodes, the backward pass, gradient checks."""
from minigrad.autograd.engine import backward, grad, record_grad_norms, topological_order
from minigrad.autograd.function import Composite, Function, composite, current_scope, scope
from minigrad.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = [
    "Composite", "Function", "backward", "composite", "current_scope", "enable_grad", "grad", "is_grad_enabled",
    "no_grad", "record_grad_norms", "scope", "set_grad_enabled", "topological_order",
]
