"""Hypothesis property tests for the CNN ops: random geometries against the naive loop
references and the output-size formula, and gradients against central differences."""
import numpy as np
from hypothesis import assume, given, settings, strategies as st

import minigrad as mg
import minigrad.nn.functional as F
from helpers import leaf
from reference import naive_avg_pool2d, naive_conv2d, naive_max_pool2d

SETTINGS = settings(max_examples=30, deadline=None)


@st.composite
def conv_geometry(draw):
    groups = draw(st.sampled_from([1, 2]))
    c_in = groups * draw(st.integers(1, 2))
    c_out = groups * draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    h, w = draw(st.integers(3, 8)), draw(st.integers(3, 8))
    assume(dilation[0] * (kh - 1) + 1 <= h + 2 * padding[0] and dilation[1] * (kw - 1) + 1 <= w + 2 * padding[1])
    return (draw(st.integers(1, 2)), c_in, h, w), (c_out, c_in // groups, kh, kw), stride, padding, dilation, groups


@SETTINGS
@given(geometry=conv_geometry(), seed=st.integers(0, 1000))
def test_conv2d_equals_naive_loops_for_random_geometries(geometry, seed):
    x_shape, w_shape, stride, padding, dilation, groups = geometry
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    out = F.conv2d(leaf(x), leaf(w), stride=stride, padding=padding, dilation=dilation, groups=groups)
    for size, k, s, p, d, got in zip(x_shape[2:], w_shape[2:], stride, padding, dilation, out.shape[2:]):
        assert got == (size + 2 * p - d * (k - 1) - 1) // s + 1
    np.testing.assert_allclose(out.data, naive_conv2d(x, w, None, stride, padding, dilation, groups), rtol=1e-10, atol=1e-12)


@SETTINGS
@given(geometry=conv_geometry(), seed=st.integers(0, 1000))
def test_conv2d_gradients_for_random_geometries(geometry, seed):
    x_shape, w_shape, stride, padding, dilation, groups = geometry
    rng = np.random.default_rng(seed)
    x, w = leaf(rng.standard_normal(x_shape)), leaf(rng.standard_normal(w_shape))
    assert mg.gradcheck(lambda a, b: F.conv2d(a, b, stride=stride, padding=padding, dilation=dilation, groups=groups), (x, w))


@st.composite
def pool_geometry(draw):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    h, w = draw(st.integers(k[0], 9)), draw(st.integers(k[1], 9))
    return (1, 2, h, w), k, s, p, draw(st.booleans())


@SETTINGS
@given(geometry=pool_geometry(), seed=st.integers(0, 1000))
def test_pooling_equals_naive_loops_and_has_right_gradients(geometry, seed):
    shape, kernel, stride, padding, ceil_mode = geometry
    rng = np.random.default_rng(seed)
    x = rng.permutation(int(np.prod(shape))).reshape(shape) / 5.0  # distinct: no ties
    got = F.max_pool2d(leaf(x), kernel, stride, padding, ceil_mode=ceil_mode)
    np.testing.assert_array_equal(got.data, naive_max_pool2d(x, kernel, stride, padding, (1, 1), ceil_mode))
    average = F.avg_pool2d(leaf(x), kernel, stride, padding, ceil_mode=ceil_mode)
    np.testing.assert_allclose(average.data, naive_avg_pool2d(x, kernel, stride, padding, ceil_mode), rtol=1e-12)
    assert mg.gradcheck(lambda t: F.max_pool2d(t, kernel, stride, padding, ceil_mode=ceil_mode), (leaf(x),))
    assert mg.gradcheck(lambda t: F.avg_pool2d(t, kernel, stride, padding, ceil_mode=ceil_mode), (leaf(x),))
