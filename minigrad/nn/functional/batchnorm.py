"""Batch, layer and group normalisation: one normalising core, three ways of grouping.

All three compute, over a group of ``M`` values that share their statistics::

    mean = sum(x) / M          var = sum((x - mean)^2) / M          (biased)
    xhat = (x - mean) / sqrt(var + eps)
    out  = xhat * weight + bias

and differ only in which values form a group (and in which axes ``weight`` varies along):

=============  =====================================  ===========================
op             statistics over                        weight / bias per
=============  =====================================  ===========================
batch_norm     N and the spatial axes (per channel)   channel
layer_norm     the last ``len(normalized_shape)``     element of normalized_shape
group_norm     channels of a group and spatial axes   channel
=============  =====================================  ===========================

``Normalize`` is one graph node for the whole formula (forward in numpy, no chain of small
ops). Its backward is the node ``NormalizeBackward``, with the standard fused gradient, with
``h = grad * weight`` and means ``<.>`` over the group::

    grad_x      = (h - <h> - xhat * <h * xhat>) / sqrt(var + eps)
    grad_weight = sum(grad * xhat)         grad_bias = sum(grad)

``NormalizeBackward`` has its own backward, written with Tensor ops, so gradients of
gradients work (``create_graph=True``, ``gradgradcheck``).
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from minigrad._layout import c_order, is_batch_last, short_rows
from minigrad.autograd.function import Function
from minigrad.errors import ShapeError
from minigrad.ops.inplace import bump
from minigrad.tensor import Tensor
from minigrad.threads import get_num_threads, parallel_for


class _Grouping:
    """How a normalisation sees its input: ``x`` viewed as ``shape``, statistics over ``axes``
    of that view, weight viewed as ``param_shape`` (1 where it is broadcast)."""

    def __init__(self, shape: tuple, axes: tuple, param_shape: tuple) -> None:
        self.shape, self.axes, self.param_shape = shape, axes, param_shape
        self.param_axes = tuple(i for i, n in enumerate(param_shape) if n == 1)  # weight is broadcast along these
        self.count = int(np.prod([shape[a] for a in axes]))
        self.same_axes = self.param_axes == axes  # batch norm: the weight is constant over each group

    def __repr__(self) -> str:
        return f"group(shape={self.shape}, axes={self.axes})"


def _sum(a: np.ndarray, b: np.ndarray | None, axes: tuple) -> np.ndarray:
    """``sum(a)`` or ``sum(a * b)`` over ``axes``, keeping dimensions, without a temporary the
    size of ``a``. When the last axis is summed, each row is summed by einsum in ``a``'s dtype
    and the row sums are added in float64 (PyTorch accumulates float32 statistics in double)."""
    last = a.ndim - 1
    if last not in axes:
        return (a if b is None else a * b).sum(axis=axes, keepdims=True)
    rows = np.einsum("...i->...", a) if b is None else np.einsum("...i,...i->...", a, b)
    return _total(rows, tuple(i for i in axes if i != last))


def _total(rows: np.ndarray, axes: tuple) -> np.ndarray:
    """Row sums added over ``axes`` in float64, back in their dtype, with the summed last axis."""
    return rows.sum(axis=axes, keepdims=True, dtype=np.float64).astype(rows.dtype, copy=False)[..., None]


def _param(weight: Tensor | None, grouping: _Grouping) -> np.ndarray | None:
    return None if weight is None else weight._data.reshape(grouping.param_shape)


def _by_group(function: Callable[[tuple], None], grouping: _Grouping) -> None:
    """``function(index)`` over the whole view, or, for batch norm, over blocks of channels
    shared between threads: each channel has its own statistics, so the blocks are independent
    and the result is the same to the bit."""
    if not grouping.same_axes:
        function((slice(None),) * len(grouping.shape))
        return
    n, c, rest = grouping.shape
    parallel_for(lambda start, stop: function((slice(None), slice(start, stop), slice(None))), c, 4 * n * c * rest)


def _part(param: np.ndarray | None, index: tuple) -> np.ndarray | None:
    """A weight's part for the block ``index`` of the view (all of it where it is broadcast)."""
    if param is None:
        return None
    return param[tuple(part if size > 1 else slice(None) for part, size in zip(index, param.shape))]


CHUNK = 1 << 16  # numbers per chunk of samples and thread: a chunk's temporaries stay in the cache


def _sample_chunks(shape: tuple) -> list[slice]:
    """Slices of whole samples along the first axis, about ``CHUNK`` numbers each, times the
    thread count: threads that share the passes also share Python's lock between numpy calls,
    and twice the chunk on two threads took 0.90-0.95x the time (batch norm on (64, 64, 32, 32))."""
    step = max(1, CHUNK * get_num_threads() // max(1, int(np.prod(shape[1:]))))
    return [slice(start, start + step) for start in range(0, shape[0], step)]


# numpy's passes are about three times slower when an operand is broadcast along the innermost
# axis (a per-channel number against each channel's pixels) than when it is broadcast along an
# outer axis only (measured in docs/performance.md). So batch norm's per-channel numbers are
# first spread along the pixels, ``(1, C, 1)`` -> ``(1, C, HW)``, and its passes broadcast them
# along the samples only. That costs one pass over a single sample per number: worth it from a
# few samples on.
def _spread(values: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Per-channel ``values`` ``(1, C, 1)``, spread along the last axis of ``like`` ``(N, C, HW)``."""
    if like.shape[0] < 4:
        return values
    return np.repeat(values, like.shape[2], axis=2)


def _centred_sums(xv: np.ndarray, mean: np.ndarray, g: np.ndarray | None, chunks: list[slice]):
    """Batch norm's sums over the batch and spatial axes, one chunk of samples at a time (``x -
    mean`` is never stored whole): ``sum((x - mean)^2)`` when ``g`` is None, else ``sum(g)`` and
    ``sum((x - mean) * g)``, reading each chunk of ``g`` once. ``mean`` as :func:`_spread` gives it."""
    buffer = np.empty(xv[chunks[0]].shape, xv.dtype)
    rows = np.empty(xv.shape[:-1], xv.dtype)
    g_rows = None if g is None else np.empty(xv.shape[:-1], xv.dtype)
    for part in chunks:
        centred = np.subtract(xv[part], mean, out=buffer[:len(rows[part])])
        if g is None:
            rows[part] = np.einsum("...i,...i->...", centred, centred)
        else:
            g_rows[part] = np.einsum("...i->...", g[part])
            rows[part] = np.einsum("...i,...i->...", centred, g[part])
    if g is None:
        return _total(rows, (0,))
    return _total(g_rows, (0,)), _total(rows, (0,))


def _normalize_pixelless(xv, w, b, grouping: _Grouping, eps: float, out, mean, var, invstd) -> None:
    """Batch norm of an input without pixels (``(N, C)``, or 1x1 maps as in ResNet's last
    layer): nothing to spread along or to chunk by, so whole-array passes, with the sums in
    float64; from (32, 512) to (8192, 256) they took 0.7-1.0x the time of the chunked passes."""
    count = grouping.count
    mean[...] = xv.sum((0, 2), keepdims=True, dtype=np.float64) / count
    centred = np.subtract(xv, mean, out=out)
    var[...] = np.einsum("nci,nci->c", centred, centred, dtype=np.float64)[:, None] / count
    invstd[...] = 1.0 / np.sqrt(var + np.asarray(eps, dtype=var.dtype))
    np.multiply(centred, invstd if w is None else invstd * w, out=out)
    if b is not None:
        out += b


def _normalize_into(xv, w, b, grouping: _Grouping, eps: float, out, mean, var, invstd) -> None:
    """The forward of :class:`Normalize` for layer and group norm, into the given arrays."""
    mean[...] = _sum(xv, None, grouping.axes) / grouping.count
    centred = np.subtract(xv, mean, out=out)
    var[...] = _sum(centred, centred, grouping.axes) / grouping.count
    invstd[...] = 1.0 / np.sqrt(var + np.asarray(eps, dtype=var.dtype))
    out *= invstd
    if w is not None:
        out *= w
    if b is not None:
        out += b


def _batch_norm_into(x: np.ndarray, w, b, channels: slice, count: int, eps: float, out, mean, var, invstd) -> None:
    """Batch norm's forward for a block of channels of a C-order input, ``out`` ``(N, C, HW)``:
    three passes over ``x`` (mean, variance, output), a chunk of samples at a time, so that
    ``x - mean`` is never stored whole (the backward recomputes it, as PyTorch does)."""
    whole = (slice(None), channels, slice(None))
    chunks = _sample_chunks((out.shape[0], channels.stop - channels.start, out.shape[2]))
    xv = x.reshape(out.shape)[whole]
    mean[whole] = _sum(xv, None, (0, 2)) / count
    # two passes: the centred values give a variance without the cancellation of E[x^2] - E[x]^2
    var[whole] = _centred_sums(xv, _spread(mean[whole], xv), None, chunks) / count
    invstd[whole] = 1.0 / np.sqrt(var[whole] + np.asarray(eps, dtype=var.dtype))
    alpha = invstd[whole] if w is None else invstd[whole] * w
    # as PyTorch: out = x * alpha + beta, one factor and one term per channel
    beta = -(mean[whole] * alpha) if b is None else b - mean[whole] * alpha
    alpha, beta = _spread(alpha, out), _spread(beta, out)
    for part in chunks:
        target = np.multiply(xv[part], alpha, out=out[whole][part])
        target += beta


# -- batch norm of a convolution's output, by channel planes -------------------------------------
# A stride-1 convolution leaves its output with the batch axis last in memory: ``(C, H, W, N)``
# behind the ``(N, C, H, W)`` view, so each channel's numbers are one contiguous plane. Batch
# norm then reads and writes the planes as they lie: no transposed copy, and its output (and
# its input gradient) keep the layout for the relu, the next convolution's im2col and the
# convolution's backward, which read it without a copy (``minigrad.nn.functional.columns``).
def _planes(a: np.ndarray) -> np.ndarray:
    """``a`` ``(N, C, H, W)`` as ``(C, H, W, N)``, a view (contiguous for a batch-last array)."""
    return a.transpose(1, 2, 3, 0)


def _plane_blocks(channels: slice, plane: int) -> list[slice]:
    """Blocks of whole channels of about ``CHUNK`` numbers each, at least one channel: a block's
    passes run one after the other while it stays in the cache."""
    step = max(1, CHUNK // plane)
    return [slice(start, min(start + step, channels.stop)) for start in range(channels.start, channels.stop, step)]


def _per_plane(values: np.ndarray) -> np.ndarray:
    """Per-channel numbers ``(c,)`` shaped to broadcast against planes ``(c, H, W, N)``."""
    return values[:, None, None, None]


def _plane_totals(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """``sum(a)`` or ``sum(a * b)`` per plane of ``a`` ``(c, H, W, N)``: each row of the batch
    summed in ``a``'s dtype, the row sums added in float64 (PyTorch sums float32 in double)."""
    return _sum(a, b, (1, 2, 3)).reshape(-1)


def _batch_norm_planes(x: np.ndarray, w, b, channels: slice, count: int, eps: float, out, centred, mean, var,
                       invstd) -> None:
    """Batch norm's forward for a block of channels of ``x`` given as planes ``(C, H, W, N)``:
    ``centred = x - mean`` (kept for the backward, which then takes two passes fewer), the
    variance from it, and ``out = centred * alpha + bias`` with ``alpha = invstd * weight``,
    into ``out`` and ``centred``, planes too."""
    with short_rows(x[0].size):
        for block in _plane_blocks(channels, x[0].size):
            mean_block = _plane_totals(x[block]) / count
            centred_block = np.subtract(x[block], _per_plane(mean_block), out=centred[block])
            var_block = _plane_totals(centred_block, centred_block) / count
            invstd_block = 1.0 / np.sqrt(var_block + np.asarray(eps, dtype=var_block.dtype))
            mean[0, block, 0], var[0, block, 0], invstd[0, block, 0] = mean_block, var_block, invstd_block
            alpha = invstd_block if w is None else invstd_block * w[0, block, 0]
            target = np.multiply(centred_block, _per_plane(alpha), out=out[block])
            if b is not None:
                target += _per_plane(b[0, block, 0])


def _gradients_planes(g: np.ndarray, centred: np.ndarray, invstd, w, m: int, channels: slice, grad_x, grad_weight,
                      grad_bias) -> None:
    """The batch-norm gradients for a block of channels, everything as planes ``(C, H, W, N)``
    (``centred`` as :func:`_batch_norm_planes` kept it), by the formulas of the module
    docstring: ``<h>`` and ``<h xhat>`` are ``grad_bias`` and ``grad_weight`` times ``w / M``."""
    with short_rows(centred[0].size):
        for block in _plane_blocks(channels, centred[0].size):
            g_block, centred_block = g[block], centred[block]
            invstd_block = invstd[0, block, 0]
            grad_bias_block = _plane_totals(g_block)
            grad_weight_block = _plane_totals(centred_block, g_block) * invstd_block
            grad_bias[0, block, 0], grad_weight[0, block, 0] = grad_bias_block, grad_weight_block
            scale = invstd_block if w is None else invstd_block * w[0, block, 0]
            coefficient = -(grad_weight_block * invstd_block / m)
            target = np.multiply(centred_block, _per_plane(coefficient), out=grad_x[block])
            target += g_block
            target -= _per_plane(grad_bias_block / m)
            target *= _per_plane(scale)


def _rows(a: np.ndarray, grouping: _Grouping) -> np.ndarray:
    """For batch norm, ``a`` with each sample's pixels contiguous, copied into C order when they
    are not: the sample-chunked passes read rows of pixels. A batch-last input with pixels goes by
    channel planes instead; what comes here is an input without pixels (1x1 maps), another
    layout, or a second backward (``retain_graph``), which recomputes from ``x``."""
    if grouping.same_axes and a.ndim > 2 and a.strides[-1] != a.itemsize:
        return c_order(a)
    return a


class Normalize(Function):
    """``(out, mean, var)``: the normalised and affine-transformed input, and the statistics
    (biased ``var``) of each group, kept in the view's shape. ``mean`` and ``var`` are for the
    running statistics only: no gradient flows back through them."""

    materialize_grads = False

    @staticmethod
    def forward(ctx, x, weight, bias, grouping, eps):
        stats_shape = tuple(1 if i in grouping.axes else n for i, n in enumerate(grouping.shape))
        dtype = x._data.dtype
        mean, var, invstd = (np.empty(stats_shape, dtype) for _ in range(3))
        w, b = _param(weight, grouping), _param(bias, grouping)
        centred = None
        if grouping.same_axes and grouping.shape[2] > 1 and is_batch_last(x._data):  # a convolution's output
            planes = _planes(x._data)
            out, centred = np.empty(planes.shape, dtype), np.empty(planes.shape, dtype)

            def normalize(index: tuple) -> None:
                _batch_norm_planes(planes, w, b, index[1], grouping.count, eps, out, centred, mean, var, invstd)
        elif grouping.same_axes and grouping.shape[2] > 1:  # batch norm over pixels
            out = np.empty(grouping.shape, dtype)

            def normalize(index: tuple) -> None:
                _batch_norm_into(x._data, _part(w, index), _part(b, index), index[1], grouping.count, eps,
                                 out, mean, var, invstd)
        else:
            xv = _rows(x._data, grouping).reshape(grouping.shape)
            out = np.empty(grouping.shape, dtype)

            def normalize(index: tuple) -> None:
                into = _normalize_pixelless if grouping.same_axes else _normalize_into
                into(xv[index], _part(w, index), _part(b, index), grouping, eps,
                     out[index], mean[index], var[index], invstd[index])

        _by_group(normalize, grouping)
        ctx.save_for_backward(x, weight)
        ctx.mean, ctx.invstd = mean, invstd
        ctx.centred = centred  # x - mean as planes, or None: the backward recomputes it, as PyTorch does
        ctx.bias_shape = None if bias is None else bias.shape
        output = out.transpose(3, 0, 1, 2) if centred is not None else out.reshape(x._data.shape)
        return output, mean, var

    @staticmethod
    def backward(ctx, grad, grad_mean, grad_var):
        x, weight = ctx.saved_tensors
        grad_x, grad_weight, grad_bias = NormalizeBackward.apply(grad, x, weight, ctx.mean, ctx.invstd,
                                                                 grouping=ctx.grouping, eps=ctx.eps, centred=ctx.centred)
        ctx.centred = None
        if ctx.needs_input_grad[2]:
            grad_bias = grad_bias.reshape(ctx.bias_shape)
        return grad_x, grad_weight if weight is not None else None, grad_bias if ctx.needs_input_grad[2] else None


def _gradients_pixelless(g, xv, mean, invstd, w, m: int, grad_x, grad_weight, grad_bias) -> None:
    """The batch-norm gradients of an input without pixels (see :func:`_normalize_pixelless`)."""
    grad_bias[...] = g.sum((0, 2), keepdims=True, dtype=np.float64)
    centred = np.subtract(xv, mean, out=grad_x)
    grad_weight[...] = np.einsum("nci,nci->c", centred, g, dtype=np.float64)[:, None] * invstd
    centred *= -(grad_weight * invstd / m)
    centred += g
    centred -= grad_bias / m
    centred *= invstd if w is None else invstd * w


def _gradients_into(g, xv, mean, invstd, w, grouping: _Grouping, grad_x, grad_weight, grad_bias) -> None:
    """The forward of :class:`NormalizeBackward` on one block of groups, into the given arrays."""
    m = grouping.count
    if grouping.same_axes and xv.shape[2] == 1:
        _gradients_pixelless(g, xv, mean, invstd, w, m, grad_x, grad_weight, grad_bias)
        return
    if grouping.same_axes:
        # batch norm: <h> and <h xhat> are grad_bias and grad_weight, times w / M
        chunks = _sample_chunks(xv.shape)
        spread_mean = _spread(mean, xv)
        grad_bias[...], centred_g = _centred_sums(xv, spread_mean, g, chunks)
        grad_weight[...] = centred_g * invstd
        scale = invstd if w is None else invstd * w
        coefficient, shift = -(grad_weight * invstd / m), grad_bias / m
        coefficient, shift, scale = (_spread(v, xv) for v in (coefficient, shift, scale))
        for part in chunks:
            out = np.subtract(xv[part], spread_mean, out=grad_x[part])
            out *= coefficient
            out += g[part]
            out -= shift
            out *= scale
        return
    grad_bias[...] = _sum(g, None, grouping.param_axes)
    xhat = np.subtract(xv, mean)
    xhat *= invstd
    grad_weight[...] = _sum(g, xhat, grouping.param_axes)
    h = g if w is None else g * w
    np.subtract(h, _sum(h, None, grouping.axes) / m, out=grad_x)
    grad_x -= xhat * (_sum(h, xhat, grouping.axes) / m)
    grad_x *= invstd


class NormalizeBackward(Function):
    """``(grad_x, grad_weight, grad_bias)`` of ``Normalize`` from the gradient of its output
    (the formulas in the module docstring); ``grad_weight`` and ``grad_bias`` have the shape of
    a weight, whether or not there is one."""

    @staticmethod
    def forward(ctx, grad, x, weight, mean, invstd, grouping, eps, centred=None):
        w = _param(weight, grouping)
        param_shape = tuple(1 if i in grouping.param_axes else n for i, n in enumerate(grouping.shape))
        dtype = grad._data.dtype
        grad_weight, grad_bias = np.empty(param_shape, dtype), np.empty(param_shape, dtype)
        if centred is not None:  # the forward's planes (x - mean of a batch-last input)
            g = _planes(grad._data)
            if g.strides[-1] != g.itemsize:  # a gradient in another layout: one copy into planes
                g = np.ascontiguousarray(g)
            grad_x = np.empty(centred.shape, dtype)

            def gradients(index: tuple) -> None:
                _gradients_planes(g, centred, invstd, w, grouping.count, index[1], grad_x, grad_weight, grad_bias)
        else:
            g = _rows(grad._data, grouping).reshape(grouping.shape)
            xv = _rows(x._data, grouping).reshape(grouping.shape)
            grad_x = np.empty(grouping.shape, dtype)

            def gradients(index: tuple) -> None:
                params = tuple(part if size > 1 else slice(None) for part, size in zip(index, param_shape))
                _gradients_into(g[index], xv[index], mean[index], invstd[index], _part(w, index), grouping,
                                grad_x[index], grad_weight[params], grad_bias[params])

        _by_group(gradients, grouping)
        ctx.save_for_backward(grad, x, weight)
        weight_shape = weight.shape if weight is not None else tuple(n for n in grouping.param_shape if n != 1) or (1,)
        grad_x = grad_x.transpose(3, 0, 1, 2) if centred is not None else grad_x.reshape(x._data.shape)
        return grad_x, grad_weight.reshape(weight_shape), grad_bias.reshape(weight_shape)

    @staticmethod
    def backward(ctx, gg_x, gg_weight, gg_bias):
        grad, x, weight = ctx.saved_tensors
        grouping, eps = ctx.grouping, ctx.eps
        axes, m = grouping.axes, grouping.count
        # recompute the statistics with Tensor ops, so that this backward is differentiable too
        xv = x.reshape(grouping.shape)
        centred = xv - xv.mean(axes, keepdim=True)
        invstd = ((centred * centred).mean(axes, keepdim=True) + eps) ** -0.5
        xhat = centred * invstd
        g = grad.reshape(grouping.shape)
        w = None if weight is None else weight.reshape(grouping.param_shape)
        ggx = gg_x.reshape(grouping.shape)
        ggw = gg_weight.reshape(grouping.param_shape)
        ggb = gg_bias.reshape(grouping.param_shape)

        def project(v):  # the derivative of xhat: v -> (v - <v> - xhat <v xhat>) * invstd, self-adjoint
            return (v - v.mean(axes, keepdim=True) - xhat * (v * xhat).mean(axes, keepdim=True)) * invstd

        h = g if w is None else g * w
        p_ggx = project(ggx)
        grad_grad = (p_ggx if w is None else p_ggx * w) + ggw * xhat + ggb
        # through xhat: sum(ggw * g * xhat) and the xhat factors of grad_x; through invstd: grad_x / invstd
        mean_hx = (h * xhat).mean(axes, keepdim=True)
        through_xhat = ggw * g - invstd * (ggx * mean_hx + h * (ggx * xhat).mean(axes, keepdim=True))
        through_invstd = (ggx * (h - h.mean(axes, keepdim=True) - xhat * mean_hx)).sum(axes, keepdim=True)
        grad_x = project(through_xhat) - xhat * (invstd * invstd * through_invstd / m)
        grad_weight = None
        if weight is not None:
            grad_weight = (g * p_ggx).sum(grouping.param_axes, keepdim=True).reshape(weight.shape)
        return grad_grad.reshape(grad.shape), grad_x.reshape(x.shape), grad_weight


def _normalize(input: Tensor, weight: Tensor | None, bias: Tensor | None, grouping: _Grouping, eps: float):
    return Normalize.apply(input, weight, bias, grouping=grouping, eps=eps)


# -- batch norm ------------------------------------------------------------------------------------
def _check_param(op: str, name: str, t: Tensor | None, channels: int, input: Tensor) -> None:
    if t is not None and t.numel() != channels:
        raise ShapeError(f"{op}: {name} should contain {channels} elements not {t.numel()} "
                         f"(input shape {input.shape} has {channels} channels, {name} shape {t.shape})")


def _update_running(running: Tensor | None, batch_value: np.ndarray, momentum: float) -> None:
    """``running = (1 - momentum) * running + momentum * batch_value``, in place."""
    if running is None:
        return
    data = running._data
    data *= 1 - momentum
    data += (momentum * batch_value.reshape(data.shape)).astype(data.dtype, copy=False)
    bump(running)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel of ``input`` ``(N, C, *)`` over the batch and spatial axes.

    Training: with the batch's mean and biased variance, and, when running statistics are
    given, update them in place: ``running = (1 - momentum) * running + momentum * batch``, the
    variance unbiased (``* M / (M - 1)``, ``M = N * prod(*)``). Evaluation: with the running
    statistics, ``(x - running_mean) / sqrt(running_var + eps) * weight + bias``.

    >>> import minigrad as mg
    >>> from minigrad.nn.functional.batchnorm import batch_norm
    >>> x = mg.tensor([[1.0], [3.0]])
    >>> batch_norm(x, None, None, training=True, eps=0.0)._data.ravel().tolist()
    [-1.0, 1.0]
    """
    if input.ndim < 2:
        raise ShapeError(f"batch_norm: expected an input of shape (N, C, *) with 2 or more dimensions, got shape {input.shape}")
    channels = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        _check_param("batch_norm", name, t, channels, input)
    if not training:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var must be given when training=False")
        return _batch_norm_eval(input, running_mean, running_var, weight, bias, eps)
    per_channel = input.numel() // channels
    if per_channel == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.shape}")
    grouping = _grouping("batch_norm", input.shape)
    out, mean, var = _normalize(input, weight, bias, grouping, eps)
    _update_running(running_mean, mean._data, momentum)
    _update_running(running_var, var._data * (per_channel / (per_channel - 1)), momentum)
    return out


_GROUPINGS: dict = {}


def _grouping(kind: str, shape: tuple, *args) -> _Grouping:
    """The (cached) grouping of a normalisation for an input shape."""
    key = (kind, shape, args)
    grouping = _GROUPINGS.get(key)
    if grouping is None:
        if kind == "batch_norm":
            n, c = shape[0], shape[1]
            view = (n, c, int(np.prod(shape[2:])))
            grouping = _Grouping(view, (0, 2), (1, c, 1))
        elif kind == "layer_norm":
            (k,) = args
            grouping = _Grouping(shape, tuple(range(len(shape) - k, len(shape))), (1,) * (len(shape) - k) + shape[len(shape) - k:])
        else:  # group_norm
            (groups,) = args
            n, c = shape[0], shape[1]
            view = (n, groups, c // groups, int(np.prod(shape[2:])))
            grouping = _Grouping(view, (2, 3), (1, groups, c // groups, 1))
        if len(_GROUPINGS) > 256:
            _GROUPINGS.clear()
        _GROUPINGS[key] = grouping
    return grouping


def _batch_norm_eval(input, running_mean, running_var, weight, bias, eps) -> Tensor:
    """``input * scale + shift`` with ``scale = weight / sqrt(running_var + eps)`` and
    ``shift = bias - running_mean * scale``, as PyTorch computes it."""
    view = (1, input.shape[1]) + (1,) * (input.ndim - 2)
    invstd = 1.0 / np.sqrt(running_var._data + np.asarray(eps, dtype=running_var.dtype))
    scale = Tensor._make(invstd) if weight is None else weight * Tensor._make(invstd)
    shift = -(Tensor._make(running_mean._data) * scale)
    if bias is not None:
        shift = bias + shift
    return input * scale.reshape(view) + shift.reshape(view)


# -- layer norm and group norm ---------------------------------------------------------------------
def layer_norm(input: Tensor, normalized_shape: int | Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise each sample over its last ``len(normalized_shape)`` dimensions, which must be
    ``normalized_shape``; ``weight`` and ``bias`` have shape ``normalized_shape``.

    >>> import minigrad as mg
    >>> from minigrad.nn.functional.batchnorm import layer_norm
    >>> layer_norm(mg.tensor([[1.0, 3.0]]), (2,), eps=0.0)._data.tolist()
    [[-1.0, 1.0]]
    """
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    k = len(normalized_shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != normalized_shape:
        raise ShapeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                         f"[*, {', '.join(map(str, normalized_shape))}], but got input of size {list(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != normalized_shape:
            raise ShapeError(f"layer_norm: expected {name} of shape {normalized_shape}, got {t.shape}")
    out, _, _ = _normalize(input, weight, bias, _grouping("layer_norm", tuple(input.shape), k), eps)
    return out


def check_num_groups(op: str, num_groups: int, channels: int, input_shape: tuple | None = None) -> None:
    """``num_groups`` divides the channels into equal groups (``nn.GroupNorm`` checks its
    ``num_channels`` once in ``__init__``, ``group_norm`` the input's at every call)."""
    if num_groups <= 0 or channels % num_groups:
        what = f"num_channels ({channels})" if input_shape is None else \
            f"the input's {channels} channels (input shape {list(input_shape)})"
        raise ShapeError(f"{op}: {what} must be divisible by num_groups ({num_groups})")


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Split the channels of ``input`` ``(N, C, *)`` into ``num_groups`` groups and normalise
    each sample's group over its channels and spatial axes; ``weight`` and ``bias`` ``(C,)``.

    >>> import minigrad as mg
    >>> from minigrad.nn.functional.batchnorm import group_norm
    >>> group_norm(mg.tensor([[1.0, 3.0]]), 1, eps=0.0)._data.tolist()
    [[-1.0, 1.0]]
    """
    if input.ndim < 2:
        raise ShapeError(f"group_norm: expected an input of shape (N, C, *), got shape {input.shape}")
    channels = input.shape[1]
    check_num_groups("group_norm", num_groups, channels, input.shape)
    for name, t in (("weight", weight), ("bias", bias)):
        _check_param("group_norm", name, t, channels, input)
    out, _, _ = _normalize(input, weight, bias, _grouping("group_norm", tuple(input.shape), num_groups), eps)
    return out
