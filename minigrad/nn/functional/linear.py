"""``linear``: ``input @ weight.T + bias`` as one graph node, whose backward is two matrix
products and a sum."""
from __future__ import annotations

import numpy as np

from minigrad.autograd.function import Function
from minigrad.errors import ShapeError
from minigrad.nn.functional._checks import check_weight_and_bias
from minigrad.ops.arithmetic import MatMul
from minigrad.tensor import Tensor
from minigrad.threads import matmul


class Linear(Function):
    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        if x.ndim == 2 and x.shape[0] < weight.shape[0]:
            # fewer samples than output features (AlexNet's batch of 8 against 4096 features):
            # OpenBLAS computes (W @ x.T).T in 0.45-0.9x the time of x @ W.T, so take that and
            # copy it back into rows (docs/performance.md)
            out = np.empty((x.shape[0], weight.shape[0]), dtype=np.result_type(x._data, weight._data))
            columns = matmul(weight._data, x._data.T).T
            if bias is None:
                np.copyto(out, columns)
            else:
                np.add(columns, bias._data, out=out)
            return out
        out = matmul(x._data, weight._data.T)  # BLAS reads the transposed weight in place
        if bias is not None:
            out += bias._data
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        # a batch of matrices: its rows are the samples
        rows = grad if grad.ndim == 2 else grad.reshape(-1, grad.shape[-1])
        grad_x = MatMul.apply(grad, weight) if need_x else None
        # (out, N) @ (N, in): the weight gradient comes out contiguous, like the weight
        grad_w = MatMul.apply(rows.mT, x if x.ndim == 2 else x.reshape(-1, x.shape[-1])) if need_w else None
        grad_b = rows.sum(0) if need_b else None
        return grad_x, grad_w, grad_b


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``; ``weight`` is ``(out_features, in_features)``.

    >>> import minigrad as mg, minigrad.nn.functional as F
    >>> F.linear(mg.ones(2, 3), mg.ones(4, 3), mg.zeros(4)).shape
    (2, 4)
    """
    if weight.ndim != 2:
        raise ShapeError(f"linear: weight must be 2-D (out_features, in_features), got shape {weight.shape}")
    features, expected = (input.shape[-1] if input.ndim else 0), weight.shape[1]
    if input.ndim == 0 or features != expected:
        # the first words are also nn.Linear's message: "head.2 (Linear(...)): expected 48 input features, got 75"
        raise ShapeError(
            f"expected {expected} input features, got {features} (linear: input has {features} features but "
            f"weight {weight.shape} expects {expected}; the input {input.shape} should be (*, {expected}))"
        )
    check_weight_and_bias("linear", input, weight, bias, weight.shape[0])
    if input.ndim == 1:
        return Linear.apply(input.unsqueeze(0), weight, bias).squeeze(0)
    return Linear.apply(input, weight, bias)
