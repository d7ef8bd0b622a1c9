"""Hypothesis property tests over random shapes: elementwise, broadcast and reduction ops agree
with numpy forward, and their gradients with central differences."""
import numpy as np
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
from helpers import leaf

SETTINGS = settings(max_examples=25, deadline=None)
floats = st.floats(-3, 3, allow_nan=False, width=64)


def arrays(shape_strategy=hnp.array_shapes(min_dims=0, max_dims=3, max_side=4)):
    return hnp.arrays(np.float64, shape_strategy, elements=floats)


ELEMENTWISE = {
    "exp": (mg.exp, np.exp),
    "tanh": (mg.tanh, np.tanh),
    "sigmoid": (mg.sigmoid, lambda a: 1 / (1 + np.exp(-a))),
    "square": (lambda t: t * t, lambda a: a * a),
    "softplus-ish": (lambda t: (t.exp() + 1).log(), lambda a: np.log(np.exp(a) + 1)),
}


@SETTINGS
@given(x=arrays(), name=st.sampled_from(sorted(ELEMENTWISE)))
def test_elementwise_forward_and_gradient(x, name):
    op, ref = ELEMENTWISE[name]
    t = leaf(x)
    np.testing.assert_allclose(op(t).data, ref(x), rtol=1e-12, atol=1e-12)
    assert mg.gradcheck(op, (t,))


@st.composite
def broadcastable_pair(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    other = tuple(draw(st.sampled_from([1, s])) for s in shape[draw(st.integers(0, len(shape) - 1)):])
    a = draw(hnp.arrays(np.float64, shape, elements=floats))
    b = draw(hnp.arrays(np.float64, other, elements=st.floats(0.5, 3, width=64)))
    return (a, b) if draw(st.booleans()) else (b, a)


@SETTINGS
@given(pair=broadcastable_pair(), op=st.sampled_from(["add", "sub", "mul"]))
def test_broadcast_binary_ops_unbroadcast_gradients(pair, op):
    a, b = pair
    fn = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y}[op]
    ta, tb = leaf(a), leaf(b)
    out = fn(ta, tb)
    np.testing.assert_allclose(out.data, fn(a, b))
    out.sum().backward()
    assert ta.grad.shape == a.shape and tb.grad.shape == b.shape
    assert mg.gradcheck(fn, (leaf(a), leaf(b)))


@SETTINGS
@given(x=arrays(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4)), data=st.data(),
       name=st.sampled_from(["sum", "mean", "amax"]), keepdim=st.booleans())
def test_reductions_over_random_dims(x, data, name, keepdim):
    dims = data.draw(st.lists(st.integers(0, x.ndim - 1), unique=True, min_size=1))
    dims = tuple(sorted(dims))
    ref = {"sum": np.sum, "mean": np.mean, "amax": np.max}[name]
    t = leaf(x)
    out = getattr(t, name)(dims, keepdim=keepdim)
    np.testing.assert_allclose(out.data, ref(x, axis=dims, keepdims=keepdim), rtol=1e-12)
    if name == "amax":
        x = x + np.arange(x.size).reshape(x.shape) * 1e-3  # break ties: amax has a kink there
    assert mg.gradcheck(lambda u: getattr(u, name)(dims, keepdim=keepdim), (leaf(x),))
