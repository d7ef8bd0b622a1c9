"""In-place operations against PyTorch: values, gradients, gradients of gradients, version
counters, views, ``t[i] = v``, ``+=``, the leaf rules, optimizer steps between forward and
backward, and the ``x.data`` idioms.

Most cases are *programs* ``program(lib, *leaves)`` written once and run twice, with
``lib = minigrad`` and ``lib = torch`` on the same float64 leaves (``run_both``): both must
raise (the same error, by its key phrase and version numbers) or both must give the same
output, the same gradients for a random output gradient, and the same gradients of
``sum(grad**2)`` (second derivatives). Programs that need no PyTorch to be checked (numerical
gradients, hand-computed values) run without it."""
from __future__ import annotations

import re

import numpy as np
import pytest

import minigrad as mg
from helpers import HAS_TORCH, needs_torch

R = np.random.default_rng(11)

#: the part of an error message that says what went wrong, most specific first
KEY_PHRASES = (
    "modified by an inplace operation",
    "leaf Variable that requires grad is being used in an in-place operation",
    "has changed the size of value",
    "doesn't match the broadcast shape",
    "can't be cast to the desired output type",
    "shape mismatch",
    "trying to backward through the graph a second time",
    "created in no_grad mode",
)
VERSIONS = re.compile(r"is at version (\d+); expected version (\d+)")


def key_phrase(error: BaseException) -> str | None:
    return next((p for p in KEY_PHRASES if p in str(error)), None)


def run_program(lib, program, arrays, seed_rng):
    """Run ``program`` on float64 leaves of ``lib``; return (output, gradients, second
    derivatives), each as numpy arrays (None for "no gradient"), or the exception raised."""
    leaves = [lib.tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    try:
        out = program(lib, *leaves)
        if not leaves:
            return np.array(out.detach().numpy(), copy=True), [], []
        seed = lib.tensor(seed_rng(out.shape))
        grads = lib.autograd.grad(out, leaves, seed, create_graph=True, allow_unused=True)
        terms = [(g * g).sum() for g in grads if g is not None and g.requires_grad]
        second = (lib.autograd.grad(sum(terms), leaves, allow_unused=True) if terms else [None] * len(leaves))
    except (RuntimeError, IndexError, TypeError, ValueError) as error:
        return error

    def arr(t, like):
        return np.zeros_like(like) if t is None else np.array(t.detach().numpy(), copy=True)

    return (np.array(out.detach().numpy(), copy=True), [arr(g, a) for g, a in zip(grads, arrays)],
            [arr(g, a) for g, a in zip(second, arrays)])


def run_both(program, *arrays, rtol=1e-10, atol=1e-12, versions=True):
    """The same program in minigrad and in PyTorch: same error, or same values and derivatives."""
    import torch

    def seed_rng(shape):
        return np.random.default_rng(5).standard_normal(shape)

    ours = run_program(mg, program, arrays, seed_rng)
    theirs = run_program(torch, program, arrays, seed_rng)
    if isinstance(theirs, BaseException):
        assert isinstance(ours, BaseException), f"PyTorch raises {theirs!r}; minigrad does not"
        assert isinstance(ours, type(theirs)) or key_phrase(theirs), (
            f"minigrad raises {type(ours).__name__}, PyTorch {type(theirs).__name__}\nminigrad: {ours}\nPyTorch: {theirs}")
        if key_phrase(theirs):
            assert key_phrase(ours) == key_phrase(theirs), f"minigrad: {ours}\nPyTorch: {theirs}"
        if versions and VERSIONS.search(str(theirs)):
            assert VERSIONS.search(str(ours)).groups() == VERSIONS.search(str(theirs)).groups(), (
                f"minigrad: {ours}\nPyTorch: {theirs}")
        return
    if isinstance(ours, BaseException):
        raise AssertionError(f"minigrad raises but PyTorch does not: {ours!r}") from ours
    (out, grads, second), (ref, ref_grads, ref_second) = ours, theirs
    assert out.shape == ref.shape and out.dtype == ref.dtype
    np.testing.assert_allclose(out, ref, rtol=rtol, atol=atol, err_msg="output")
    for i, (a, b) in enumerate(zip(grads, ref_grads)):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"gradient of input {i}")
    for i, (a, b) in enumerate(zip(second, ref_second)):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"second derivative, input {i}")


def n(*shape):
    return R.standard_normal(shape)


def pos(*shape):
    return R.uniform(0.5, 2.0, shape)


def idx(lib, values):
    return lib.tensor(np.array(values, dtype=np.int64))


def F(lib):
    return lib.nn.functional


X, W, ROW, POS = n(3, 4), n(3, 4), n(4), pos(3, 4)


def _setitem(t, index, value):
    t[index] = value
    return t


def _iadd(t, v):
    t += v
    return t


def _isub(t, v):
    t -= v
    return t


def _imul(t, v):
    t *= v
    return t


def _idiv(t, v):
    t /= v
    return t


# -- in-place ops on non-leaf tensors: (program, inputs) ---------------------------------------------
INPLACE_PROGRAMS = {
    "add_": (lambda lib, x, w: (x * 1).add_(w), [X, W]),
    "add_-alpha": (lambda lib, x, w: (x.exp()).add_(w, alpha=-2.5) * x, [X, W]),
    "sub_-broadcast": (lambda lib, x, r: (x * 2).sub_(r) * x, [X, ROW]),
    "sub_-alpha": (lambda lib, x, w: (x * 2).sub_(w, alpha=3) ** 2, [X, W]),
    "mul_-tensor": (lambda lib, x, w: (x * 1).mul_(w) * x, [X, W]),
    "mul_-number": (lambda lib, x: (x * x).mul_(3.5), [X]),
    "mul_-broadcast": (lambda lib, x, r: (x + 1).mul_(r).mul_(x), [X, ROW]),
    "div_-tensor": (lambda lib, x, w: (x * x).div_(w), [X, POS]),
    "div_-number": (lambda lib, x: (x * x).div_(-4.0) * x, [X]),
    "div_-floor": (lambda lib, x: (x * 3).div_(2, rounding_mode="floor"), [X]),
    "mul_-0d-tensor": (lambda lib, x, w: (x * 1).mul_(w.sum()) * x, [X, W]),
    "pow_-number": (lambda lib, x: (x * x + 1).pow_(2.5), [X]),
    "pow_-tensor": (lambda lib, x, w: (x * 1).pow_(w), [POS, W]),
    "zero_": (lambda lib, x, w: (x * w).zero_() + x * x, [X, W]),
    "fill_-number": (lambda lib, x: (x * 1).fill_(3.0) * x, [X]),
    "fill_-0d-tensor": (lambda lib, x, w: (x * 1).fill_((w * w).sum()) * x, [X, W]),
    "clamp_": (lambda lib, x, w: (x * 2).clamp_(-0.5, 0.7) * w, [X, W]),
    "clamp_-min": (lambda lib, x: (x * x * x).clamp_(min=0.1) * x, [X]),
    "clamp_-max": (lambda lib, x: (x * x * x).clamp_(max=0.1) * x, [X]),
    "clamp_-tensor-min": (lambda lib, x, w: (x * 1).clamp_(min=w) * x, [X, W]),
    "copy_-broadcast": (lambda lib, x, r: (x * 1).copy_(r * r) * x, [X, ROW]),
    "copy_-same-shape": (lambda lib, x, w: (x * 1).copy_(w.tanh()) * x, [X, W]),
    "neg_": (lambda lib, x, w: (x * w).neg_() * x, [X, W]),
    "exp_": (lambda lib, x, w: (x * w).exp_() * x, [X, W]),
    "relu_": (lambda lib, x, w: (x * w).relu_() * x, [X, W]),
    "F.relu-inplace": (lambda lib, x, w: F(lib).relu(x * w, inplace=True) * x, [X, W]),
    "nn.ReLU-inplace": (lambda lib, x, w: lib.nn.ReLU(inplace=True)(x * w) * x, [X, W]),
    "masked_fill_-number": (lambda lib, x, w: (x * w).masked_fill_(x.detach() > 0, 0.5) * x, [X, W]),
    "masked_fill_-0d-tensor": (lambda lib, x, w: (x * 1).masked_fill_(x.detach() > 0, w.sum()) * x, [X, W]),
    "masked_fill_-broadcast-mask": (lambda lib, x, r: (x * 1).masked_fill_(r.detach() > 0, 2.0) * x, [X, ROW]),
    "scatter_-src": (lambda lib, x, w: (x * 1).scatter_(1, idx(lib, [[0, 3], [1, 2], [2, 0]]), w * w) * x, [X, n(3, 2)]),
    "scatter_-number": (lambda lib, x: (x * x).scatter_(0, idx(lib, [[2, 0, 1, 2]]), 2.0) * x, [X]),
    "+=": (lambda lib, x, w: _iadd(x * 1, w * w), [X, W]),
    "-=": (lambda lib, x, w: _isub(x * 1, w * x), [X, W]),
    "*=": (lambda lib, x, w: _imul(x * 1, w) * x, [X, W]),
    "/=": (lambda lib, x, w: _idiv(x * x, w), [X, POS]),
    "+=-number-chain": (lambda lib, x: _idiv(_imul(_isub(_iadd(x * x, 1), 0.5), 3), 2) * x, [X]),
    "+=-broadcast": (lambda lib, x, r: _iadd(x * 1, r) * x, [X, ROW]),
    "0d-tensor": (lambda lib, x: _iadd((x * x).sum().mul_(2), 1) * x, [X]),
    "chained-returns-self": (lambda lib, x, w: (x * 1).mul_(w).add_(x).clamp_(-1, 1).exp_() * x, [X, W]),
    "pow_-then-pow_": (lambda lib, x: (x * x + 1).pow_(2).pow_(0.5) * x, [X]),
    "add_-self": (lambda lib, x: (x * 1).add_(x * 1) * x, [X]),
    "mul_-self": (lambda lib, x: _mul_self(x * 1), [X]),
    "add_-own-transpose": (lambda lib, x: (x @ x.t()).add_((x @ x.t()).t() * 2), [X]),
    "into-plain-tensor-add_": (lambda lib, x, w: lib.zeros((3, 4), dtype=lib.float64).add_(x * w) * x, [X, W]),
    "into-plain-tensor-mul_": (lambda lib, x: lib.ones((3, 4), dtype=lib.float64).mul_(x).mul_(x), [X]),
    "into-plain-tensor-copy_": (lambda lib, x: lib.zeros((2, 3, 4), dtype=lib.float64).copy_(x) * x, [X]),
    "copy_-into-float32": (lambda lib, x: lib.zeros((3, 4)).copy_(x).double() * x, [X]),
    "dropout-p0-inplace": (lambda lib, x: F(lib).dropout(x * 1, p=0.0, inplace=True) * x, [X]),
    "dropout-eval-inplace": (lambda lib, x: F(lib).dropout(x * 1, p=0.5, training=False, inplace=True) * x, [X]),
}

# -- t[index] = value -----------------------------------------------------------------------------------
SETITEM_PROGRAMS = {
    "row-from-row": (lambda lib, x: _setitem(x * 1, 0, (x * 1)[1] * 3) * x, [X]),
    "brief-1d": (lambda lib, x: _setitem(x * 1, 0, (x * 1)[1] * 3), [n(5)]),
    "element-1d": (lambda lib, x, w: _setitem(x * 1, 2, w[0] * w[1]) * x, [n(4), n(3)]),
    "element-2d": (lambda lib, x, w: _setitem(x * 1, (1, 2), w[0, 0] * 5) * x, [X, W]),
    "element-negative": (lambda lib, x, w: _setitem(x * 1, (-1, -2), w.sum()) * x, [X, W]),
    "number-element": (lambda lib, x: _setitem(x * x, (0, 1), 7.0) * x, [X]),
    "number-row": (lambda lib, x: _setitem(x * x, 1, -2.0) * x, [X]),
    "column": (lambda lib, x, w: _setitem(x * 1, (slice(None), 1), w[:, 0] * w[:, 2]) * x, [X, W]),
    "broadcast-row": (lambda lib, x, w: _setitem(x * 1, slice(1, None), w[0] * 2) * x, [X, W]),
    "broadcast-leading-1": (lambda lib, x, w: _setitem(x * 1, 1, (w[:1] * 2)) * x, [X, W]),
    "step-slices": (lambda lib, x, w: _setitem(x * 1, (slice(None, None, 2), slice(1, None, 2)),
                                              w[::2, ::2] * 4) * x, [X, W]),
    "ellipsis": (lambda lib, x, w: _setitem(x * 1, (Ellipsis, 2), w[..., 1].exp()) * x, [X, W]),
    "none": (lambda lib, x, w: _setitem(x * 1, (None, 1), w[0] * 3) * x, [X, W]),
    "int-array": (lambda lib, x, w: _setitem(x * 1, [0, 2], w[:2] * 2) * x, [X, W]),
    "int-tensor": (lambda lib, x, w: _setitem(x * 1, idx(lib, [2, 0]), w[:2] * 2) * x, [X, W]),
    "int-and-array": (lambda lib, x, w: _setitem(x * 1, (1, [0, 3]), w[0, :2] * w[1, :2]) * x, [X, W]),
    "array-and-int": (lambda lib, x, w: _setitem(x * 1, ([0, 2], 3), w[1, :2] * 3) * x, [X, W]),
    "slice-int-array-3d": (lambda lib, x, w: _setitem((x * 1).reshape(3, 2, 2), (slice(None), 1, [1, 0]),
                                                      w[:, :2] * 2) * 1, [X, W]),
    "two-arrays": (lambda lib, x, w: _setitem(x * 1, ([0, 2, 1], [3, 0, 1]), w[0, :3] * 3) * x, [X, W]),
    "mask": (lambda lib, x, w: _setitem(x * 1, x.detach() > 0, 0.0) * w, [X, W]),
    "mask-tensor-value": (lambda lib, x, w: _setitem(x * 1, x.detach() > 0, w[x.detach() > 0] * 2) * x, [X, W]),
    "row-mask": (lambda lib, x, w: _setitem(x * 1, lib.tensor([True, False, True]), w[1] * w[2]) * x, [X, W]),
    "int-then-mask": (lambda lib, x, w: _setitem(x * 1, (1, lib.tensor([True, False, False, True])),
                                                 w[0, :2] * 3) * x, [X, W]),
    "into-plain-tensor": (lambda lib, x: _setitem(lib.zeros((3, 4), dtype=lib.float64), 1, x[0] * x[2]) * x, [X]),
    "into-plain-element": (lambda lib, x: _setitem(lib.zeros(3, dtype=lib.float64), 1, x[0] * 2) * 1, [n(3)]),
    "twice-same-region": (lambda lib, x, w: _setitem(_setitem(x * 1, 0, w[0]), 0, w[1] * w[0]) * x, [X, W]),
    "+=-on-row": (lambda lib, x, w: _iadd_at(x * 1, 0, w[0]) * x, [X, W]),
    "*=-on-column": (lambda lib, x, w: _imul_at(x * 1, (slice(None), 1), w[:, 1]) * x, [X, W]),
    "+=-on-element": (lambda lib, x, w: _iadd_at(x * 1, (1, 2), w[0, 0]) * x, [X, W]),
    "+=-on-advanced": (lambda lib, x, w: _iadd_at(x * 1, [0, 2], w[:2]) * x, [X, W]),
    "*=-on-mask": (lambda lib, x, w: _imul_at(x * 1, x.detach() > 0, 3.0) * w, [X, W]),
    "int-value-into-float": (lambda lib, x: _setitem(x * 1, 0, lib.tensor([1, 2, 3, 4])) * x, [X]),
    "empty-mask": (lambda lib, x, w: _setitem(x * 1, x.detach() > 100, w.sum()) * x, [X, W]),
    "value-reads-own-region": (lambda lib, x: _value_reads_own_region(x), [X]),
}

def _mul_self(y):
    y.mul_(y)
    return y


def _iadd_at(t, index, value):
    t[index] += value
    return t


def _imul_at(t, index, value):
    t[index] *= value
    return t


def _value_reads_own_region(x):
    y = x * x
    y[1] = y[1] * y[2]
    return y * x


# -- in-place ops on views, and views that go stale ----------------------------------------------------
def _view_then_base(lib, x, w):
    y = x * 1
    v = y[0]
    v.mul_(w[0])
    return y


def _stale_view(lib, x, w):
    y = x * 1
    v = y[1]
    y.mul_(w)
    return v * 2


def _stale_transpose(lib, x, w):
    y = x * 1
    v = y.t()
    y[0] = w[0] * 5
    return v.exp()


def _two_views(lib, x, w):
    y = x * 1
    a, b = y[0], y[:, 0]
    a.mul_(2)
    b.add_(w[:, 0])
    return y + a * b[0] + b.sum()


def _view_chain(lib, x, w):
    y = x * 1
    y[1:][:, 2:].zero_()
    y.t()[0][1:] *= w[1:, 0]
    return y * x


def _reshape_views(lib, x, w):
    y = x * 1
    y.view(-1)[2:7].mul_(3)
    v = y.reshape(12)
    v[::5] += w.reshape(12)[::5]
    return y * x


def _permute_view(lib, x):
    y = (x * 1).reshape(3, 2, 2)
    y.permute(2, 0, 1)[1].exp_()
    return y


def _view_of_stale_view(lib, x, w):
    y = x * 1
    v = y[1:]
    y.add_(w)
    return v[0] * v[1]


def _element_view(lib, x, w):
    y = x * 1
    y[1, 2].mul_(w[0, 0])
    y[0][1].add_(w[1, 1])
    return y * x


def _element_view_1d(lib, x, w):
    y = x * 1
    y[2].mul_(w[0])
    return y


def _relu_on_view(lib, x, w):
    y = x * w
    F(lib).relu(y[:, 1:], inplace=True)
    return y * x


def _view_used_before_and_after(lib, x, w):
    y = x * 1
    v = y[0]
    before = v * v
    v.mul_(w[0])
    return before + v + y[0]


def _stale_view_is_output(lib, x):
    y = (x * 1).reshape(3, 2, 2)
    y[1].exp_()
    return y


def _stale_view_is_output_via_op(lib, x):
    y = (x * 1).reshape(3, 2, 2)
    y[1].exp_()
    return y * 1


def _view_of_plain_tensor(lib, x, w):
    a = lib.zeros((3, 4), dtype=lib.float64)
    a[0].add_(x[0] * w[0])
    a.t()[1].mul_(x[:, 1])
    return a * 1


def _view_made_under_no_grad(lib, x):
    y = x * 1
    with lib.no_grad():
        v = y[0]
    v.mul_(2)
    return y


VIEW_PROGRAMS = {
    "view-of-plain-tensor": (_view_of_plain_tensor, [X, W]),
    "view-made-under-no-grad": (_view_made_under_no_grad, [X]),
    "stale-view-is-output": (_stale_view_is_output, [X]),
    "stale-view-is-output-via-op": (_stale_view_is_output_via_op, [X]),
    "view-then-base": (_view_then_base, [X, W]),
    "stale-view": (_stale_view, [X, W]),
    "stale-transpose": (_stale_transpose, [X, W]),
    "two-views": (_two_views, [X, W]),
    "view-chain": (_view_chain, [X, W]),
    "reshape-views": (_reshape_views, [X, W]),
    "permute-view": (_permute_view, [X]),
    "view-of-stale-view": (_view_of_stale_view, [X, W]),
    "element-view": (_element_view, [X, W]),
    "element-view-1d": (_element_view_1d, [n(4), n(2)]),
    "relu-on-view": (_relu_on_view, [X, W]),
    "view-used-before-and-after": (_view_used_before_and_after, [X, W]),
}


# -- saved values changed before backward: which raise and which do not ----------------------------------
def _modify(make, change):
    """A program: ``a = x * 1``, ``out = make(lib, a, x)``, then ``change(a)``, return out."""
    def program(lib, x):
        a = x * 1
        out = make(lib, a, x)
        change(a)
        return out
    return program


SAVED_PROGRAMS = {
    # the saved tensor is modified: PyTorch raises
    "exp-output": (lambda lib, x: _stale_output(x.exp()), [X]),
    "sigmoid-output": (lambda lib, x: _stale_output(x.sigmoid()), [X]),
    "tanh-output-then-mul_": (lambda lib, x, w: x.tanh().mul_(w), [X, W]),
    "relu-output-then-relu_": (lambda lib, x: x.relu().relu_(), [X]),
    "exp_-then-add_": (lambda lib, x: _then_add((x * 1).exp_()), [X]),
    "exp-then-exp_": (lambda lib, x: x.exp().exp_(), [X]),
    "mul-input": (_modify(lambda lib, a, x: a * x, lambda a: a.add_(1)), [X]),
    "matmul-input": (_modify(lambda lib, a, x: a @ x.t(), lambda a: a.mul_(2)), [X]),
    "pow-input": (_modify(lambda lib, a, x: a ** 3, lambda a: a.zero_()), [X]),
    "view-of-saved-modified": (_modify(lambda lib, a, x: a * a, lambda a: a[0].zero_()), [X]),
    "element-view-of-saved-modified": (_modify(lambda lib, a, x: a * a, lambda a: a[0, 1].zero_()), [X]),
    "saved-view-base-modified": (_modify(lambda lib, a, x: a[0] * a[0], lambda a: a.add_(1)), [X]),
    "setitem-on-saved": (_modify(lambda lib, a, x: a * a, lambda a: _setitem(a, 1, 0.0)), [X]),
    "detach-zero_-on-saved": (_modify(lambda lib, a, x: a * a, lambda a: a.detach().zero_()), [X]),
    "+=-on-saved": (_modify(lambda lib, a, x: a * a, lambda a: _iadd(a, 1)), [X]),
    # nothing saved is modified, or the change goes around autograd: PyTorch does not raise
    "add-input": (_modify(lambda lib, a, x: (a + x) * x, lambda a: a.mul_(2)), [X]),
    "mul-by-number-input": (_modify(lambda lib, a, x: a * 2, lambda a: a.add_(1)), [X]),
    "sum-input": (_modify(lambda lib, a, x: a.sum() * x, lambda a: a.mul_(2)), [X]),
    "clone-then-modify-original": (_modify(lambda lib, a, x: a.clone() * a.clone(), lambda a: a.add_(1)), [X]),
    "data-zero_-on-saved": (_modify(lambda lib, a, x: a * a, lambda a: a.data.zero_()), [X]),
    "data-mul_-on-saved": (_modify(lambda lib, a, x: a * a * x, lambda a: a.data.mul_(3)), [X]),
    "plain-saved-input": (lambda lib, x: _plain_saved_input(lib, x), [X]),
    "no-grad-change-then-use": (lambda lib, x: _no_grad_change_then_use(lib, x), [X]),
    "modified-under-no-grad-not-saved": (_modify(lambda lib, a, x: a.sum(0) * x, lambda a: _no_grad_add(a)), [X]),
}


def _plain_saved_input(lib, x):
    a = lib.tensor(np.array(X))
    out = x * a
    a.add_(1)
    return out


def _no_grad_change_then_use(lib, x):
    y = x * 2
    with lib.no_grad():
        y.add_(1)
    return y * y


def _stale_output(y):
    y.add_(1)
    return y


def _then_add(y):
    y.add_(1)
    return y


def _no_grad_add(a):
    lib = mg if isinstance(a, mg.Tensor) else __import__("torch")
    with lib.no_grad():
        a.add_(1)


def _output_modified_under_no_grad(lib, x):
    y = x.exp()
    with lib.no_grad():
        y.mul_(2)
    return y


# -- the leaf rules --------------------------------------------------------------------------------------
LEAF_PROGRAMS = {
    "leaf-add_": (lambda lib, w: w.add_(1), [X]),
    "leaf-+=": (lambda lib, w: _iadd(w, 1), [X]),
    "leaf-setitem": (lambda lib, w: _setitem(w, 0, 1.0), [X]),
    "leaf-setitem-element": (lambda lib, w: _setitem(w, (0, 1), 1.0), [X]),
    "leaf-zero_": (lambda lib, w: w.zero_(), [X]),
    "leaf-relu_": (lambda lib, w: w.relu_(), [X]),
    "leaf-F.relu-inplace": (lambda lib, w: F(lib).relu(w, inplace=True), [X]),
    "leaf-view-mul_": (lambda lib, w: w.view(12).mul_(2), [X]),
    "leaf-row-mul_": (lambda lib, w: w[0].mul_(2), [X]),
    "leaf-element-mul_": (lambda lib, w: w[0, 1].mul_(2), [X]),
    "leaf-1d-element-add_": (lambda lib, w: w[1].add_(2), [n(3)]),
    "leaf-transpose-zero_": (lambda lib, w: w.t().zero_(), [X]),
    "leaf-detach-then-used": (lambda lib, w: _detach_modify_after_use(w), [X]),
    "leaf-data-then-used": (lambda lib, w: _data_modify_after_use(w), [X]),
    "leaf-no-grad-then-used": (lambda lib, w: _no_grad_modify_then_use(lib, w), [X]),
    "leaf-no-grad-after-use": (lambda lib, w: _no_grad_modify_after_use(lib, w), [X]),
}


def _detach_modify_after_use(w):
    y = w * w
    w.detach().add_(1)
    return y


def _data_modify_after_use(w):
    y = w * w
    w.data.add_(1)
    return y * w


def _no_grad_modify_then_use(lib, w):
    with lib.no_grad():
        w.mul_(2)
        w[0] = 1.0
    return w * w


def _no_grad_modify_after_use(lib, w):
    y = w * w
    with lib.no_grad():
        w -= 0.1 * w
    return y


# -- errors that need no gradient --------------------------------------------------------------------------
ERROR_PROGRAMS = {
    "int-+=-float": lambda lib: _iadd(lib.tensor([1, 2]), 0.5),
    "int-add_-float-tensor": lambda lib: lib.tensor([1, 2]).add_(lib.tensor([0.5, 1.0])),
    "float-mul_-int": lambda lib: lib.tensor([1.0, 2.0]).mul_(lib.tensor([2, 3])),
    "bool-+=-int": lambda lib: _iadd(lib.tensor([True, False]), lib.tensor([1, 2])),
    "broadcast-grows-output": lambda lib: lib.zeros(3).add_(lib.ones((2, 3))),
    "broadcast-grows-output-+=": lambda lib: _iadd(lib.zeros(1, 3), lib.ones((2, 3))),
    "broadcast-grows-output-recorded": lambda lib: (lib.zeros(3, requires_grad=True) * 1).mul_(lib.ones((2, 3))),
    "setitem-shape-mismatch": lambda lib: _setitem(lib.zeros((3, 4)), 0, lib.ones(3)),
    "setitem-shape-mismatch-recorded": lambda lib: _setitem(lib.zeros((3, 4), requires_grad=True) * 1, 0, lib.ones(3)),
    "write-into-expanded": lambda lib: lib.zeros(1, 3).expand(2, 3).add_(1),
    "int-/=-int": lambda lib: _idiv(lib.tensor([4, 6]), 2),
    "int-setitem-float-truncates": lambda lib: _setitem(lib.tensor([4, 6]), 0, 2.7),
    "int-+=-int": lambda lib: _iadd(lib.tensor([4, 6]), lib.tensor([1, 2])),
    "float32-+=-float64": lambda lib: _iadd(lib.zeros(2), lib.ones(2, dtype=lib.float64) / 3),
}


@needs_torch
@pytest.mark.parametrize("name", INPLACE_PROGRAMS)
def test_inplace_op_matches_torch(name):
    program, arrays = INPLACE_PROGRAMS[name]
    run_both(program, *arrays)


@needs_torch
@pytest.mark.parametrize("name", SETITEM_PROGRAMS)
def test_setitem_matches_torch(name):
    program, arrays = SETITEM_PROGRAMS[name]
    run_both(program, *arrays)


@needs_torch
@pytest.mark.parametrize("name", VIEW_PROGRAMS)
def test_inplace_on_view_matches_torch(name):
    program, arrays = VIEW_PROGRAMS[name]
    run_both(program, *arrays)


@needs_torch
@pytest.mark.parametrize("name", SAVED_PROGRAMS)
def test_modified_saved_tensor_matches_torch(name):
    program, arrays = SAVED_PROGRAMS[name]
    run_both(program, *arrays)


def test_var_does_not_need_its_input_after_the_forward():
    # PyTorch's var saves its input and refuses a backward after `a.sub_(1)`; minigrad's var
    # keeps only the deviations it computed, so the gradient is still exact (and is checked).
    x = mg.tensor(X, requires_grad=True)
    a = x * 1
    v = a.var(1)
    with mg.no_grad():
        a.sub_(1)
    v.sum().backward()
    n = X.shape[1]
    np.testing.assert_allclose(x.grad.numpy(), 2 * (X - X.mean(1, keepdims=True)) / (n - 1), rtol=1e-12)


@needs_torch
def test_output_modified_under_no_grad_matches_torch():
    run_both(_output_modified_under_no_grad, X)


@needs_torch
@pytest.mark.parametrize("name", LEAF_PROGRAMS)
def test_leaf_rules_match_torch(name):
    program, arrays = LEAF_PROGRAMS[name]
    run_both(program, *arrays)


@needs_torch
@pytest.mark.parametrize("name", ERROR_PROGRAMS)
def test_dtype_and_shape_rules_match_torch(name):
    run_both(ERROR_PROGRAMS[name])


# -- numerical gradients (no PyTorch needed) -----------------------------------------------------------
def _brief_example(x):
    y = x * 1
    y[0] = y[1] * 3
    y.mul_(x)
    return y


def _views_and_setitem(x, w):
    y = x * 1
    y.t()[1].mul_(w[:, 0])
    y[1:, ::2] = w[:2, 1:3] * x[0, :2]
    y.view(-1)[::5].exp_()
    return y * w


def _stale_view_fn(x, w):
    y = x.tanh() * 1
    v = y[:, 1]
    y.mul_(w)
    y[0] = w[1] * w[2]
    return v * y[:, 2]


def _everything(x, w):
    y = x * 1
    y += w
    y *= x
    y.clamp_(-1.0, 1.5).pow_(2)
    y[[0, 2], 1:3] = w[0, :2] * x[1, 3]
    y.masked_fill_(w.detach() > 1.0, 0.25)
    y.scatter_(1, mg.tensor(np.array([[3], [0], [1]])), x[:, :1] ** 3)
    return y.relu_() + x


def _inplace_on_plain(x, w):
    a = mg.zeros((3, 4), dtype=mg.float64)
    a[1] = x[0] * w[2]
    a.add_(w)
    a.t()[2].mul_(x[:, 0])
    return a


GRADCHECK_CASES = {
    "brief-example": (_brief_example, [n(4)]),
    "brief-example-2d": (_brief_example, [n(3, 2)]),
    "views-and-setitem": (_views_and_setitem, [X, W]),
    "stale-view": (_stale_view_fn, [X, W]),
    "everything": (_everything, [X, W]),
    "inplace-on-plain-tensor": (_inplace_on_plain, [X, W]),
    "div_-pow_": (lambda x, w: (x * x + 1).div_(w).pow_(w), [X, POS]),
    "copy_-fill_": (lambda x, w: (x * 1).copy_(w[0]).add_(x) * (x * 1).fill_(w.sum()), [X, W]),
}


@pytest.mark.parametrize("name", GRADCHECK_CASES)
def test_inplace_gradients_are_numerically_right(name):
    f, arrays = GRADCHECK_CASES[name]
    inputs = tuple(mg.tensor(np.array(a), requires_grad=True) for a in arrays)
    assert mg.gradcheck(f, inputs)
    assert mg.gradgradcheck(f, inputs)


def test_random_fills_cut_the_old_value_from_the_graph():
    x = mg.tensor(n(3, 4), requires_grad=True)
    for fill in (lambda y: y.uniform_(-1, 1), lambda y: y.normal_(2.0, 0.5)):
        y = x * 3  # multiplying by a number saves nothing that the fill could spoil
        fill(y)
        assert y.grad_fn is not None
        (grad,) = mg.autograd.grad((y * x).sum(), x)
        np.testing.assert_array_equal(grad.numpy(), y.detach().numpy())  # d(y*x)/dx = y: no path through y


# -- hand-computed values (no PyTorch needed) --------------------------------------------------------
def test_setitem_gradient_by_hand():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    y[0] = y[1] * 3  # y = [3 x1, x1, x2]
    y.mul_(x)        # y = [3 x0 x1, x1^2, x2^2]
    y.sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), [6.0, 4.0, 9.0])
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 3.0 + 4.0, 6.0])


def test_view_writes_reach_the_root_by_hand():
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]])
    x.t().mul_(2)[0].add_(1)
    x.reshape(4)[1:3].zero_()
    x.view(-1)[::3] -= 7
    x[1, 1].mul_(10)
    x[0][1] += 100
    v = mg.tensor([1.0, 2.0])
    v[0].add_(5)
    np.testing.assert_allclose(x.numpy(), [[-4.0, 100.0], [0.0, 10.0]])
    np.testing.assert_allclose(v.numpy(), [6.0, 2.0])


# -- version counters ---------------------------------------------------------------------------------------
def _version_trace(lib):
    x = lib.zeros((2, 3))
    view, detached, data, clone = x[0], x.detach(), x.data, x.clone()
    trace = [x._version]
    for change in (lambda: x.add_(1), lambda: _iadd(x, 1), lambda: _setitem(x, 0, 2.0),
                   lambda: _setitem(x, (1, 2), 2.0), lambda: view.mul_(2), lambda: detached.zero_(),
                   lambda: data.add_(1), lambda: clone.add_(1), lambda: x.t().fill_(1), lambda: x.copy_(clone),
                   lambda: x.relu_(), lambda: x.clamp_(0, 1), lambda: x.exp_(),
                   lambda: x.masked_fill_(x > 0, 1.0), lambda: x.uniform_(), lambda: x.normal_(),
                   lambda: _setitem(x, x > 0, 0.0), lambda: _setitem(x, [0, 1], 4.0),
                   lambda: x.scatter_(1, idx(lib, [[0], [1]]), 3.0), lambda: F(lib).relu(x, inplace=True), lambda: x[1][2].neg_()):
        change()
        trace.append((x._version, view._version, detached._version, data._version, clone._version))
    return trace


@needs_torch
def test_version_counters_match_torch():
    import torch

    ours, theirs = _version_trace(mg), _version_trace(torch)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        assert a == b, f"after change {step}: minigrad (x, view, detach, data, clone) versions {a}, PyTorch {b}"


def test_versions_by_hand():
    x = mg.zeros(3)
    assert x._version == 0
    x.add_(1)
    x += 1
    x[0] = 5.0
    assert x._version == 3
    assert x.detach()._version == 3 and x[1:]._version == 3
    assert x.data._version == 0 and (x + 1)._version == 0 and x.clone()._version == 0


def _optimizer_versions(lib, make):
    w = lib.tensor([1.0, -2.0], requires_grad=True)
    opt = make(lib, w)
    versions = []
    for _ in range(3):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
        versions.append(w._version)
    return versions


OPTIMIZERS = {
    "SGD": lambda lib, w: lib.optim.SGD([w], lr=0.1),
    "SGD-momentum": lambda lib, w: lib.optim.SGD([w], lr=0.1, momentum=0.9),
    "Adam": lambda lib, w: lib.optim.Adam([w], lr=0.1),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_step_bumps_the_version(name):
    versions = _optimizer_versions(mg, OPTIMIZERS[name])
    assert versions[0] >= 1 and versions[0] < versions[1] < versions[2], versions


# -- optimizer steps between forward and backward ---------------------------------------------------------
def _step_between_forward_and_backward(lib, make, x):
    w1 = lib.tensor(np.linspace(-1, 1, 12).reshape(3, 4), requires_grad=True)
    w2 = lib.tensor(np.linspace(0.5, -0.5, 8).reshape(4, 2), requires_grad=True)
    opt = make(lib, w1, w2)
    ((x @ w1).tanh() @ w2).sum().backward()  # every parameter has a gradient: step() moves them all
    loss = ((x @ w1).tanh() @ w2).pow(2).sum()
    opt.step()
    loss.backward()  # w2 was saved by the second matmul: it has changed since


STEP_OPTIMIZERS = {
    "SGD": lambda lib, *ps: lib.optim.SGD(ps, lr=0.1),
    "SGD-momentum": lambda lib, *ps: lib.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    "Adam": lambda lib, *ps: lib.optim.Adam(ps, lr=0.01),
}


@pytest.mark.parametrize("name", STEP_OPTIMIZERS)
def test_optimizer_step_between_forward_and_backward_raises(name):
    x = mg.tensor(n(5, 3))
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        _step_between_forward_and_backward(mg, STEP_OPTIMIZERS[name], x)


@needs_torch
@pytest.mark.parametrize("name", STEP_OPTIMIZERS)
def test_optimizer_step_between_forward_and_backward_matches_torch(name):
    import torch

    x = n(5, 3)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        _step_between_forward_and_backward(torch, STEP_OPTIMIZERS[name], torch.tensor(x))
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        _step_between_forward_and_backward(mg, STEP_OPTIMIZERS[name], mg.tensor(x))


def _manual_training(lib, x, target):
    """Three steps of plain SGD written with in-place updates under no_grad, and an optimizer."""
    w = lib.tensor(np.linspace(-1, 1, 6).reshape(3, 2), requires_grad=True)
    b = lib.zeros(2, dtype=lib.float64, requires_grad=True)
    v = lib.tensor(np.linspace(1, 2, 6).reshape(3, 2), requires_grad=True)
    opt = lib.optim.Adam([v], lr=0.05)
    for _ in range(3):
        out = F(lib).relu(x @ w + b, inplace=False) + x @ v
        loss = ((out - target) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        with lib.no_grad():
            w -= 0.1 * w.grad
            b.sub_(b.grad, alpha=0.1)
        w.grad.zero_()
        b.grad.zero_()
    return [t.detach().numpy().copy() for t in (w, b, v)] + [w.is_leaf, b.is_leaf, w.requires_grad]


@needs_torch
def test_manual_updates_under_no_grad_match_torch():
    import torch

    x, target = n(4, 3), n(4, 2)
    ours = _manual_training(mg, mg.tensor(x), mg.tensor(target))
    theirs = _manual_training(torch, torch.tensor(x), torch.tensor(target))
    for a, b in zip(ours[:3], theirs[:3]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert ours[3:] == theirs[3:] == [True, True, True]


# -- x.data ---------------------------------------------------------------------------------------------------
def _data_idioms(lib, x):
    w = lib.tensor(np.linspace(-1, 1, 12).reshape(3, 4), requires_grad=True)
    out = x @ w
    _, predicted = lib.max(out.data, 1)
    values = out.data.numpy().copy()
    w.data.mul_(2)
    w.data[0].zero_()
    w.data[:, 1] = 5.0
    before = w._version
    out2 = (x @ w).sum()
    out2.backward()
    return dict(predicted=predicted.numpy().copy(), predicted_dtype=str(predicted.dtype).split(".")[-1],
                values=values, w=w.detach().numpy().copy(), grad=w.grad.numpy().copy(), version=w._version - before,
                leaf=w.is_leaf, requires_grad=w.requires_grad, data_requires_grad=out.data.requires_grad,
                data_is_leaf=out.data.is_leaf, data_version=w.data._version)


@needs_torch
def test_data_idioms_match_torch():
    import torch

    x = n(5, 3)
    ours, theirs = _data_idioms(mg, mg.tensor(x)), _data_idioms(torch, torch.tensor(x))
    assert ours.keys() == theirs.keys()
    for key in ours:
        if isinstance(ours[key], np.ndarray):
            np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-12, err_msg=key)
        else:
            assert ours[key] == theirs[key], key


def test_data_is_a_detached_tensor_sharing_memory():
    p = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    d = p.data
    assert isinstance(d, mg.Tensor) and d is not p
    assert not d.requires_grad and d.grad_fn is None
    d.zero_()
    np.testing.assert_array_equal(p.detach().numpy(), [0.0, 0.0, 0.0])
    assert p.is_leaf and p.requires_grad and p._version == 0
    (p * p).sum().backward()
    np.testing.assert_array_equal(p.grad.numpy(), [0.0, 0.0, 0.0])


def test_data_assignment_replaces_the_values():
    p = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    p.data = mg.tensor([4.0, 5.0])
    assert p.shape == (2,) and p.requires_grad and p.is_leaf
    (p * p).sum().backward()
    np.testing.assert_array_equal(p.grad.numpy(), [8.0, 10.0])


def test_data_numpy_is_the_array_itself():
    p = mg.tensor([1.0, 2.0], requires_grad=True)
    array = p.data.numpy()
    assert isinstance(array, np.ndarray)
    array[0] = 9.0
    assert p.detach().numpy()[0] == 9.0
    with pytest.raises(RuntimeError, match="requires grad"):
        p.numpy()


# -- which results are views (writes reach the base) and which are copies ------------------------------
WRITES_THROUGH = {
    "unsqueeze": (lambda x: x.unsqueeze(0), True),
    "unsqueeze-squeeze": (lambda x: x.unsqueeze(1).squeeze(1), True),
    "flatten": (lambda x: x.flatten(), True),
    "view-as": (lambda x: x.view_as(x), True),
    "mT": (lambda x: x.mT, True),
    "T": (lambda x: x.T, True),
    "iterated-row": (lambda x: list(x)[1], True),
    "contiguous": (lambda x: x.contiguous(), True),
    "transpose-contiguous": (lambda x: x.t().contiguous(), False),  # a copy: t() is not contiguous
    "transpose-reshape": (lambda x: x.t().reshape(6), False),
    "transpose-flatten": (lambda x: x.t().flatten(), False),
    "clone": (lambda x: x.clone(), False),
    "index-list": (lambda x: x[[0, 1]], False),
}


@pytest.mark.parametrize("name", WRITES_THROUGH)
def test_inplace_through_views_and_copies(name):
    make, is_view = WRITES_THROUGH[name]
    x = mg.zeros((2, 3))
    make(x).add_(1)
    assert bool(x.numpy().any()) == is_view
    if HAS_TORCH:
        import torch

        t = torch.zeros((2, 3))
        make(t).add_(1)
        np.testing.assert_array_equal(x.numpy(), t.numpy())


def _retained_through_inplace(lib, x):
    y = x * 1
    y.retain_grad()
    y.mul_(3)
    (y * y).sum().backward()
    return y.grad.numpy().copy(), x.grad.numpy().copy()


@needs_torch
def test_retain_grad_follows_the_tensor_through_inplace_ops():
    """PyTorch: the retained gradient is the one of the tensor's current value."""
    import torch

    ours = _retained_through_inplace(mg, mg.tensor(X, requires_grad=True))
    theirs = _retained_through_inplace(torch, torch.tensor(X, requires_grad=True))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_allclose(ours[0], 2 * 3 * X)  # d(sum y^2)/dy with y = 3x


# -- in-place modules really write into their input ------------------------------------------------------------
def test_inplace_activations_modify_the_input():
    x = mg.tensor([[-1.0, 2.0, -3.0, 4.0]])
    y = mg.nn.functional.relu(x, inplace=True)
    assert y is x
    np.testing.assert_array_equal(x.numpy(), [[0.0, 2.0, 0.0, 4.0]])
    z = mg.tensor([[-1.0, 2.0]])
    mg.nn.ReLU(inplace=True)(z)
    np.testing.assert_array_equal(z.numpy(), [[0.0, 2.0]])
    d = mg.ones((50, 40))
    out = mg.nn.functional.dropout(d, p=0.5, training=True, inplace=True)
    assert out is d
    assert set(np.unique(d.numpy())) == {0.0, 2.0}
    assert 0.4 < (d.numpy() == 0).mean() < 0.6


@needs_torch
def test_sequential_with_inplace_relu_matches_torch():
    import torch

    x, w1, b1, w2 = n(5, 3), n(4, 3), n(4), n(2, 4)

    def program(lib, x, w1, b1, w2):
        hidden = F(lib).linear(x, w1, b1)
        relu = lib.nn.ReLU(inplace=True)
        out = F(lib).linear(relu(hidden), w2)
        return relu(out * 1) + hidden

    run_both(program, x, w1, b1, w2)


# -- the rest of the change: hooks, relu at NaN, tensor() dtypes ---------------------------------------------
HOOK_PROGRAMS = {
    "leaf-hook-changes-size": (lambda lib, x: _hooked(x, lambda g: g.sum(0)) * 2, [X]),
    "node-hook-changes-size": (lambda lib, x: _hooked(x * 2, lambda g: g[:1]) * 3, [X]),
    "node-hook-keeps-size": (lambda lib, x: _hooked(x * 2, lambda g: g * 3) * x, [X]),
    "hook-then-inplace": (lambda lib, x: _hooked(x * 2, lambda g: g * 3).mul_(x), [X]),
}


def _hooked(t, hook):
    t.register_hook(hook)
    return t


@needs_torch
@pytest.mark.parametrize("name", HOOK_PROGRAMS)
def test_hooks_match_torch(name):
    program, arrays = HOOK_PROGRAMS[name]
    run_both(program, *arrays)


@needs_torch
@pytest.mark.parametrize("inplace", [False, True])
def test_relu_gradient_at_nan_matches_torch(inplace):
    values = np.array([np.nan, -1.0, 0.0, 2.0])

    def program(lib, x):
        return (x * 1).relu_() if inplace else x.relu()

    import torch

    grads = []
    for lib in (mg, torch):
        x = lib.tensor(values, requires_grad=True)
        program(lib, x).backward(lib.ones(4, dtype=lib.float64))
        grads.append(x.grad.detach().numpy())
    np.testing.assert_array_equal(grads[0], grads[1])
    np.testing.assert_array_equal(grads[0], [1.0, 0.0, 0.0, 1.0])


@pytest.mark.parametrize("data, dtype", [([0, 1], "int64"), ([True], "bool"), (3, "int64"), (3.5, "float32"),
                                         ([[1, 2], [3, 4]], "int64"), ([1, 2.5], "float32"), (True, "bool")])
def test_tensor_infers_torch_dtypes(data, dtype):
    assert mg.tensor(data).dtype == np.dtype(dtype)
    if HAS_TORCH:
        import torch

        assert str(torch.tensor(data).dtype) == "torch." + dtype


RETURNS_SELF = {
    "add_": lambda t: t.add_(1), "sub_": lambda t: t.sub_(t, alpha=0.5), "mul_": lambda t: t.mul_(2),
    "div_": lambda t: t.div_(2), "pow_": lambda t: t.pow_(2), "zero_": lambda t: t.zero_(),
    "fill_": lambda t: t.fill_(1), "clamp_": lambda t: t.clamp_(0, 1), "copy_": lambda t: t.copy_(t * 2),
    "neg_": lambda t: t.neg_(), "exp_": lambda t: t.exp_(), "relu_": lambda t: t.relu_(),
    "masked_fill_": lambda t: t.masked_fill_(t > 0, 1.0), "uniform_": lambda t: t.uniform_(),
    "normal_": lambda t: t.normal_(), "scatter_": lambda t: t.scatter_(0, mg.tensor([[0, 1]]), 2.0),
    "F.relu": lambda t: mg.nn.functional.relu(t, inplace=True),
}


@pytest.mark.parametrize("name", RETURNS_SELF)
@pytest.mark.parametrize("recorded", [False, True])
def test_inplace_ops_return_the_tensor_itself_and_bump_its_version_once(name, recorded):
    x = mg.tensor(n(3, 2), requires_grad=recorded)
    t = x * 1
    before = t._version
    assert RETURNS_SELF[name](t) is t
    assert t._version == before + 1
    assert t.requires_grad == recorded and (t.grad_fn is not None) == recorded
