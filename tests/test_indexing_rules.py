"""Where indexing puts the dimensions: PyTorch's rule, not numpy's.

PyTorch applies the integers of an index first (each removes its dimension, as ``select``),
together with slices, ``None`` and ``...``; the index arrays and boolean masks then act on what
is left. numpy treats an integer next to index arrays as one more index array, which moves the
result's dimensions: ``x[1, :, idx]`` on a (4, 5, 6) tensor is (5, len(idx)) in PyTorch but
(len(idx), 5) in numpy.

Each case below gives the index and the shape PyTorch gives (written by hand from the rule, so
the table is checked without PyTorch too); with PyTorch installed, values, gradients, second
derivatives and ``t[index] = value`` are compared as well, and Hypothesis draws more indices."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad as mg
from helpers import HAS_TORCH, needs_torch
from test_inplace import run_both

SHAPE = (4, 5, 6, 5)
X = np.random.default_rng(2).standard_normal(SHAPE)
S = slice(None)


def T(lib, values, dtype=None):
    """An index tensor of ``lib`` (int64 for integers, bool for masks)."""
    array = np.array(values)
    return lib.tensor(array.astype(dtype or (np.bool_ if array.dtype == bool else np.int64)))


MASK5 = [True, False, True, True, False]
MASK6 = [True, False, True, True, False, False]
MASK56 = np.zeros((5, 6), dtype=bool)
MASK56[[0, 2, 4, 1], [1, 3, 5, 0]] = True
MASK65 = np.zeros((6, 5), dtype=bool)
MASK65[[0, 2, 4], [1, 3, 4]] = True

#: name: (index built for a library, the shape PyTorch gives on a (4, 5, 6, 5) tensor)
CASES = {
    # one index array, no integers: numpy and PyTorch agree
    "array": (lambda lib: ([1, 3, 0],), (3, 5, 6, 5)),
    "slice-array": (lambda lib: (S, [1, 3, 0]), (4, 3, 6, 5)),
    "array-tensor-last": (lambda lib: (..., T(lib, [4, 0])), (4, 5, 6, 2)),
    "array-2d": (lambda lib: (S, S, T(lib, [[0, 1], [2, 3]])), (4, 5, 2, 2, 5)),
    "negative-array": (lambda lib: (S, [-1, 0, -3]), (4, 3, 6, 5)),
    "duplicates": (lambda lib: ([0, 0, 3, 0],), (4, 5, 6, 5)),
    # integers next to index arrays: the integer goes first
    "brief": (lambda lib: (1, S, slice(1, 5, 2), T(lib, [0, 2, 4])), (5, 2, 3)),
    "int-slice-array": (lambda lib: (1, S, [1, 3, 0]), (5, 3, 5)),
    "slice-array-slice-int": (lambda lib: (S, [1, 3, 0], S, 1), (4, 3, 6)),
    "slice-int-slice-array": (lambda lib: (S, 1, S, [1, 3, 0]), (4, 6, 3)),
    "negative-ints-array": (lambda lib: (-1, S, -2, [1, 3, 0]), (5, 3)),
    "int-array-adjacent": (lambda lib: (1, [1, 3, 0]), (3, 6, 5)),
    "array-int-adjacent": (lambda lib: ([1, 3, 0], 2), (3, 6, 5)),
    "array-slice-int": (lambda lib: ([1, 3, 0], S, 1), (3, 5, 5)),
    "int-slice-two-arrays": (lambda lib: (1, S, [0, 2], [4, 1]), (5, 2)),
    "int-array-slice-array": (lambda lib: (1, [0, 2], S, [4, 1]), (2, 6)),
    "array-int-array": (lambda lib: ([0, 2], 1, [4, 1]), (2, 5)),
    "three-ints-array": (lambda lib: (1, 2, 3, [0, 0, 4]), (3,)),
    "int-negative-array": (lambda lib: (1, S, [-1, 0, -3]), (5, 3, 5)),
    "int-array-2d": (lambda lib: (1, S, T(lib, [[0, 1], [2, 3]])), (5, 2, 2, 5)),
    "broadcast-arrays-int": (lambda lib: (T(lib, [[0], [2]]), 1, [1, 3, 4]), (2, 3, 5)),
    "broadcast-arrays-slice-int": (lambda lib: (T(lib, [[0], [2]]), S, 1, [1, 3, 4]), (2, 3, 5)),
    "0d-tensor-as-int": (lambda lib: (T(lib, 1), S, [0, 1]), (5, 2, 5)),
    "0d-tensor-next-to-array": (lambda lib: (S, T(lib, 1), [0, 1]), (4, 2, 5)),
    # None and Ellipsis
    "none-int-slice-array": (lambda lib: (None, 1, S, [1, 3, 0]), (1, 5, 3, 5)),
    "int-none-array": (lambda lib: (1, None, [1, 3, 0]), (1, 3, 6, 5)),
    "slice-int-none-int-array": (lambda lib: (S, 1, None, 2, [1, 3, 0]), (4, 1, 3)),
    "int-ellipsis-array": (lambda lib: (1, ..., [1, 3, 0]), (5, 6, 3)),
    "ellipsis-int-array": (lambda lib: (..., 1, [1, 3, 0]), (4, 5, 3)),
    "array-ellipsis-int": (lambda lib: ([1, 3, 0], ..., 1), (3, 5, 6)),
    "none-none-ellipsis-int": (lambda lib: (None, ..., None, 2), (1, 4, 5, 6, 1)),
    "int-none-ellipsis-none-array": (lambda lib: (2, None, ..., None, [0, 4]), (1, 5, 6, 1, 2)),
    # boolean masks
    "mask": (lambda lib: (S, T(lib, MASK5)), (4, 3, 6, 5)),
    "int-mask": (lambda lib: (1, T(lib, MASK5)), (3, 6, 5)),
    "slice-mask-slice-int": (lambda lib: (S, T(lib, MASK5), S, 1), (4, 3, 6)),
    "int-mask-int": (lambda lib: (2, T(lib, MASK5), 1), (3, 5)),
    "int-mask-2d": (lambda lib: (1, T(lib, MASK56)), (4, 5)),
    "int-slice-mask-2d": (lambda lib: (1, S, T(lib, MASK65)), (5, 3)),
    "array-int-none-mask": (lambda lib: ([1, 3, 0], 2, None, T(lib, MASK6)), (3, 1, 5)),
    "mask-full-shape": (lambda lib: (T(lib, X > 1.5),), (int((X > 1.5).sum()),)),
    "mask-ellipsis-int": (lambda lib: (T(lib, [True, False, False, True]), ..., 3), (2, 5, 6)),
    # boolean scalars: a new dimension of size 1 (True) or 0 (False), advanced like a mask
    "true-alone": (lambda lib: (True,), (1, 4, 5, 6, 5)),
    "true-int": (lambda lib: (True, 1), (1, 5, 6, 5)),
    "true-int-array": (lambda lib: (True, 1, [1, 3, 0]), (3, 6, 5)),
    "int-true-array": (lambda lib: (1, True, [1, 3, 0]), (3, 6, 5)),
    "slice-false": (lambda lib: (S, False), (4, 0, 5, 6, 5)),
}

#: name: (index, whether PyTorch's result is a view that writes through to the tensor)
VIEW_CASES = {
    "int": (lambda lib: (1,), True),
    "ints-to-0d": (lambda lib: (1, 2, 3, 4), True),
    "negative-ints-to-0d": (lambda lib: (-1, -2, -3, -4), True),
    "int-to-0d-1d-tensor": (lambda lib: (2,), True),
    "0d-tensor": (lambda lib: (T(lib, 1),), True),
    "0d-tensors-to-0d": (lambda lib: (T(lib, 1), T(lib, 2), T(lib, 3), T(lib, 4)), True),
    "slices-none-ellipsis": (lambda lib: (None, slice(1, 3), ..., slice(None, None, 2)), True),
    "ellipsis-int": (lambda lib: (..., 2), True),
    "list": (lambda lib: ([1, 2],), False),
    "mask": (lambda lib: (T(lib, [True, False, True, False]),), False),
    "int-and-list": (lambda lib: (1, S, [0, 2]), False),
}


@pytest.mark.parametrize("name", VIEW_CASES)
def test_basic_indexing_gives_a_view(name):
    make, is_view = VIEW_CASES[name]
    shape = (5,) if name == "int-to-0d-1d-tensor" else SHAPE
    x = mg.zeros(shape)
    x[make(mg)].add_(1)
    assert bool((x.numpy() != 0).any()) == is_view
    if HAS_TORCH:
        import torch

        t = torch.zeros(shape)
        t[make(torch)].add_(1)
        np.testing.assert_array_equal(x.numpy(), t.numpy())


ERROR_CASES = {
    "int-out-of-range": (lambda lib: (1, 7), IndexError),
    "negative-int-out-of-range": (lambda lib: (-5,), IndexError),
    "array-out-of-range": (lambda lib: (1, [0, 7]), IndexError),
    "array-negative-out-of-range": (lambda lib: (S, S, [-7]), IndexError),
    "too-many-indices": (lambda lib: (1, 2, 3, 4, 0), IndexError),
    "mask-wrong-length": (lambda lib: (T(lib, [True, False, True]),), IndexError),
    "arrays-do-not-broadcast": (lambda lib: ([0, 1], S, [0, 1, 2]), IndexError),
    "int-and-arrays-do-not-broadcast": (lambda lib: (1, [0, 1], [0, 1, 2]), IndexError),
}


@pytest.mark.parametrize("name", CASES)
def test_result_shape_follows_pytorch(name):
    make, shape = CASES[name]
    assert mg.tensor(X)[make(mg)].shape == shape


@needs_torch
def test_the_shape_table_is_pytorch():
    import torch

    for name, (make, shape) in CASES.items():
        assert tuple(torch.tensor(X)[make(torch)].shape) == shape, name


@needs_torch
@pytest.mark.parametrize("name", CASES)
def test_values_and_gradients_match_torch(name):
    make, _ = CASES[name]
    run_both(lambda lib, x: x[make(lib)] ** 3 * 0.5, X)


@needs_torch
@pytest.mark.parametrize("name", CASES)
def test_setitem_values_match_torch(name):
    """``t[index] = value`` (nothing recorded) writes where PyTorch writes."""
    import torch

    make, shape = CASES[name]
    value = np.arange(1.0, 1.0 + int(np.prod(shape))).reshape(shape)
    results = []
    for lib in (mg, torch):
        t = lib.tensor(X.copy())
        t[make(lib)] = lib.tensor(value)
        results.append(np.array(t.numpy()))
    if name == "duplicates":  # which write wins at a repeated position is unspecified
        results = [r[1:] for r in results]
    np.testing.assert_array_equal(results[0], results[1])


@needs_torch
@pytest.mark.parametrize("name", [n for n in CASES if n != "duplicates"])
def test_recorded_setitem_matches_torch(name):
    """``y[index] = value`` on a tensor in the graph: values and gradients for y's input and
    for the value."""
    make, shape = CASES[name]
    value = np.random.default_rng(4).standard_normal(shape)

    def program(lib, x, v):
        y = x * 1
        y[make(lib)] = v * v
        return y * x

    run_both(program, X, value)


GRADCHECK_CASES = ["brief", "slice-int-slice-array", "array-int-array", "int-slice-mask-2d", "int-ellipsis-array",
                   "true-int-array"]


@pytest.mark.parametrize("name", GRADCHECK_CASES)
def test_recorded_setitem_gradients_are_numerically_right(name):
    """Without PyTorch: the same program on a small tensor, against central differences."""
    make, shape = CASES[name]
    x = mg.tensor(X, requires_grad=True)
    with mg.no_grad():
        region = (x * 1)[make(mg)]
    assert region.shape == shape
    value = mg.tensor(np.random.default_rng(4).standard_normal(shape), requires_grad=True)

    def program(x, v):
        y = x * 1
        y[make(mg)] = v * v
        return (y * x).sum((0, 3))  # a small output keeps the Jacobian small

    assert mg.gradcheck(program, (x, value))


@needs_torch
@pytest.mark.parametrize("name", ERROR_CASES)
def test_invalid_indices_raise_like_torch(name):
    import torch

    make, error = ERROR_CASES[name]
    with pytest.raises(error):
        torch.tensor(X)[make(torch)]
    with pytest.raises(error):
        mg.tensor(X)[make(mg)]


@pytest.mark.parametrize("name", ERROR_CASES)
def test_invalid_indices_raise(name):
    make, error = ERROR_CASES[name]
    with pytest.raises(error):
        mg.tensor(X)[make(mg)]


# -- more indices, drawn by Hypothesis --------------------------------------------------------------------------
SMALL = (3, 4, 5, 2)
XS = np.random.default_rng(8).standard_normal(SMALL)


@st.composite
def indices(draw):
    """A valid index for a (3, 4, 5, 2) tensor: per dimension an int (maybe negative, maybe a
    0-d tensor), a slice, an index list or a mask, with None inserted and maybe an Ellipsis.
    Index lists all have one length and masks that many True values, so they broadcast."""
    length = draw(st.integers(1, 3))
    parts = []
    for size in SMALL[:draw(st.integers(1, len(SMALL)))]:
        kind = draw(st.sampled_from(["int", "0d", "slice", "full", "list", "mask"]))
        if kind in ("int", "0d"):
            i = draw(st.integers(-size, size - 1))
            parts.append(("0d", i) if kind == "0d" else ("int", i))
        elif kind == "slice":
            start, stop = draw(st.integers(-size, size)), draw(st.integers(-size, size))
            parts.append(("slice", slice(start, stop, draw(st.integers(1, 3)))))
        elif kind == "full":
            parts.append(("slice", S))
        elif kind == "list":
            parts.append(("list", draw(st.lists(st.integers(-size, size - 1), min_size=length, max_size=length))))
        elif length <= size:
            chosen = draw(st.lists(st.integers(0, size - 1), min_size=length, max_size=length, unique=True))
            parts.append(("mask", [i in chosen for i in range(size)]))
        else:
            parts.append(("slice", S))
    if draw(st.booleans()):
        if len(parts) < len(SMALL):  # the Ellipsis stands for the dimensions not indexed
            parts.append(("ellipsis", ...))
        else:  # the Ellipsis replaces a run of full slices, possibly empty
            at = draw(st.integers(0, len(parts)))
            end = at
            while end < len(parts) and parts[end] == ("slice", S):
                end += 1
            parts[at:end] = [("ellipsis", ...)]
    for _ in range(draw(st.integers(0, 2))):
        parts.insert(draw(st.integers(0, len(parts))), ("none", None))
    return parts


def build(lib, parts) -> tuple:
    out = []
    for kind, value in parts:
        if kind == "0d":
            out.append(T(lib, value))
        elif kind == "mask":
            out.append(T(lib, value, np.bool_))
        else:
            out.append(value)
    return tuple(out)


@needs_torch
@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(indices())
def test_drawn_indices_match_torch(parts):
    import torch

    ref = torch.tensor(XS, requires_grad=True)
    out_ref = ref[build(torch, parts)]
    x = mg.tensor(XS, requires_grad=True)
    out = x[build(mg, parts)]
    assert out.shape == tuple(out_ref.shape), parts
    np.testing.assert_array_equal(out.detach().numpy(), out_ref.detach().numpy())
    seed = np.random.default_rng(1).standard_normal(out.shape)
    (out * mg.tensor(seed)).sum().backward()
    (out_ref * torch.tensor(seed)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), ref.grad.numpy(), rtol=1e-12, atol=1e-14)


def _writes_each_position_once(parts) -> bool:
    """Which write wins at a position written twice is unspecified: such indices are skipped."""
    import torch

    positions = torch.arange(float(np.prod(SMALL))).reshape(SMALL)[build(torch, parts)]
    return positions.unique().numel() == positions.numel()


@needs_torch
@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(indices())
def test_drawn_indices_setitem_matches_torch(parts):
    import torch

    if not _writes_each_position_once(parts):
        return
    shape = tuple(torch.tensor(XS)[build(torch, parts)].shape)
    value = np.arange(1.0, 1.0 + int(np.prod(shape))).reshape(shape)
    plain, plain_ref = mg.tensor(XS.copy()), torch.tensor(XS.copy())
    plain[build(mg, parts)] = mg.tensor(value)
    plain_ref[build(torch, parts)] = torch.tensor(value)
    np.testing.assert_array_equal(plain.numpy(), plain_ref.numpy())


@needs_torch
@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(indices())
def test_drawn_indices_recorded_setitem_matches_torch(parts):
    import torch

    if not _writes_each_position_once(parts):
        return
    shape = tuple(torch.tensor(XS)[build(torch, parts)].shape)
    run_both(_setitem_program(parts), XS, np.random.default_rng(3).standard_normal(shape))


def _setitem_program(parts):
    def program(lib, x, v):
        y = x * 1
        y[build(lib, parts)] = v * v
        return y * x
    return program
