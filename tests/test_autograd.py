"""The autograd engine: accumulation, retain_grad, freed graphs, grad modes, autograd.grad,
custom Functions, higher-order gradients, deep graphs and memory."""
import gc
import time
import weakref

import numpy as np
import pytest

import minigrad as mg
from helpers import leaf


def test_gradients_accumulate_on_leaves_across_backward_calls():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    (3 * x).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]


def test_fan_out_sums_gradients_and_leaf_grads_do_not_alias():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.data *= 10
    assert b.grad.tolist() == [1.0, 1.0]
    x = leaf([2.0])
    y = x * x + x  # x used three times
    y.backward()
    assert x.grad.tolist() == [5.0]


def test_non_leaf_grad_is_kept_only_with_retain_grad():
    x = leaf([1.0, 2.0])
    y = x * 3
    z = y * y
    y.retain_grad()
    z.sum().backward()
    assert y.grad.tolist() == [6.0, 12.0] and y.retains_grad
    assert z.grad is None and not z.is_leaf


def test_backward_of_non_scalar_needs_gradient():
    x = leaf([1.0, 2.0])
    y = x * 2
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        y.backward()
    y.backward(mg.tensor([1.0, 10.0], dtype=mg.float64))
    assert x.grad.tolist() == [2.0, 20.0]
    with pytest.raises(RuntimeError, match="shape"):
        (x * 2).backward(mg.ones(3, dtype=mg.float64))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        mg.ones(1).backward()


def test_second_backward_through_freed_graph_explains_retain_graph():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()
    z = (x.exp() * x).sum()
    z.backward(retain_graph=True)
    z.backward()  # allowed: the graph was retained


def test_saved_buffers_are_freed_after_backward():
    x = leaf(np.ones(4))
    y = x.exp()
    node = y.grad_fn
    y.sum().backward()
    assert node._saved is None and node._freed


def test_no_grad_and_enable_grad_as_context_and_decorator():
    x = leaf([1.0])
    with mg.no_grad():
        assert not mg.is_grad_enabled()
        y = x * 2
        with mg.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None and z.requires_grad
    assert mg.is_grad_enabled()

    @mg.no_grad()
    def evaluate(t):
        return t * 2

    @mg.enable_grad()
    def train(t):
        return t * 2

    assert not evaluate(x).requires_grad
    with mg.no_grad():
        assert train(x).requires_grad
    with mg.set_grad_enabled(False):
        assert not (x * 1).requires_grad
    assert mg.is_grad_enabled()


def test_autograd_grad_returns_tuple_and_leaves_grad_untouched():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    y = (x * w).sum()
    gx, gw = mg.autograd.grad(y, (x, w))
    assert gx.tolist() == [3.0, 4.0] and gw.tolist() == [1.0, 2.0]
    assert x.grad is None and w.grad is None
    u = leaf([1.0])
    with pytest.raises(RuntimeError, match="allow_unused"):
        mg.autograd.grad((x * 2).sum(), (x, u))
    assert mg.autograd.grad((x * 2).sum(), (x, u), allow_unused=True)[1] is None


def test_autograd_grad_with_respect_to_intermediate():
    x = leaf([1.0, 2.0])
    h = x * x
    y = (h * 3).sum()
    (gh,) = mg.autograd.grad(y, h)
    assert gh.tolist() == [3.0, 3.0]


def test_higher_order_gradients():
    x = leaf([0.5, -1.0])
    y = (x ** 4).sum()
    (g1,) = mg.autograd.grad(y, x, create_graph=True)
    (g2,) = mg.autograd.grad(g1.sum(), x, create_graph=True)
    (g3,) = mg.autograd.grad(g2.sum(), x)
    np.testing.assert_allclose(g1.data, 4 * x.data ** 3)
    np.testing.assert_allclose(g2.data, 12 * x.data ** 2)
    np.testing.assert_allclose(g3.data, 24 * x.data)


def test_create_graph_backward_makes_differentiable_grad():
    x = leaf([2.0])
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    gradient_penalty = (x.grad ** 2).sum()
    x.grad = None
    gradient_penalty.backward()
    # d/dx (3x^2)^2 = 36 x^3
    assert x.grad.tolist() == [36 * 8.0]


class Cube(mg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.data ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x


class WrongCube(Cube):
    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 2 * x * x


class ScaledExp(mg.autograd.Function):
    """Saves its own output and takes a non-Tensor argument."""

    @staticmethod
    def forward(ctx, x, scale):
        y = np.exp(x.data) * scale
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y, None


def test_custom_function_passes_gradcheck_and_gradgradcheck():
    x = leaf(np.random.default_rng(0).standard_normal(4))
    assert mg.gradcheck(Cube.apply, (x,))
    assert mg.gradgradcheck(Cube.apply, (x,))
    assert mg.gradcheck(lambda t: ScaledExp.apply(t, 2.0), (x,))
    assert mg.gradgradcheck(lambda t: ScaledExp.apply(t, 2.0), (x,))
    y = Cube.apply(x)
    assert y.grad_fn.name() == "Cube" and y.grad_fn.next_functions[0][0] is x


def test_custom_function_with_wrong_backward_fails_gradcheck():
    x = leaf([0.5, 1.5])
    with pytest.raises(mg.GradcheckError, match="Jacobian mismatch"):
        mg.gradcheck(WrongCube.apply, (x,))
    assert mg.gradcheck(WrongCube.apply, (x,), raise_exception=False) is False


def test_saved_output_does_not_create_a_reference_cycle():
    x = leaf(np.ones(3))
    gc.disable()
    try:
        y = ScaledExp.apply(x, 1.0)
        node = weakref.ref(y.grad_fn)
        del y
        assert node() is None  # freed by reference counting alone, no cycle
    finally:
        gc.enable()


def test_graph_of_a_training_step_is_freed_without_the_cycle_collector():
    w = leaf(np.ones((3, 3)))
    gc.disable()
    try:
        refs = []
        for _ in range(3):
            loss = ((leaf(np.ones((2, 3)), False) @ w).relu().sigmoid() ** 2).mean()
            refs.append(weakref.ref(loss.grad_fn))
            loss.backward()
            del loss
        assert all(r() is None for r in refs)
    finally:
        gc.enable()


def test_100k_op_chain_backpropagates_quickly_without_recursion_error():
    x = mg.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    start = time.perf_counter()
    y.backward()
    assert x.grad.tolist() == [1.0]
    assert time.perf_counter() - start < 30


def test_hooks_can_inspect_and_replace_gradients():
    x = leaf([1.0, 2.0])
    seen = []
    h = x * 2
    h.register_hook(lambda g: seen.append(g.tolist()))
    handle = x.register_hook(lambda g: g * 10)
    h.sum().backward()
    assert seen == [[1.0, 1.0]] and x.grad.tolist() == [20.0, 20.0]
    handle.remove()
    x.grad = None
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_backward_ignores_inputs_without_grad_and_keeps_float32():
    x = mg.randn(4, 3, requires_grad=True)
    c = mg.randn(4, 3)
    (x * c).sum().backward()
    assert c.grad is None and x.grad.dtype == mg.float32


# -- the engine's extension points ----------------------------------------------------------------
def test_record_callbacks_see_each_node_with_its_inputs_and_outputs():
    from minigrad.autograd.hooks import callbacks, on_record

    x, c = leaf([1.0, 2.0]), leaf([3.0, 4.0], requires_grad=False)
    seen = []
    before = callbacks.record
    with on_record(lambda node, inputs, outputs: seen.append((node, inputs, outputs))):
        y = x * c
        with mg.no_grad():
            x * 2  # not recorded: no callback
        c * 2  # needs no grad: not recorded either
        a, b = x.max(0)
    assert callbacks.record == before
    (node, inputs, outputs), (max_node, _, max_outputs) = seen
    assert node is y.grad_fn and inputs[0] is x and inputs[1] is c and outputs == (y,)
    assert max_node is a.grad_fn and max_outputs[0] is a and max_outputs[1] is b
    x * c
    assert len(seen) == 2  # removed


def test_backward_callbacks_get_the_complete_gradient_of_each_node_output():
    from minigrad.autograd.hooks import on_backward

    x = leaf([1.0, 2.0])
    y = x * 3
    z = y * y + y  # y's gradient arrives from two uses: 2 y + 1
    seen = {}
    handle = on_backward(lambda node, grads: seen.setdefault(node, grads))
    try:
        z.sum().backward()
    finally:
        handle.remove()
    handle.remove()  # twice is harmless
    (grad_y,) = seen[y.grad_fn]
    assert grad_y.tolist() == [7.0, 13.0]
    assert set(seen) >= {z.grad_fn, y.grad_fn}
    x.grad = None
    (x * 3).sum().backward()
    assert len(seen) == 4  # z's Add and Mul, y's Mul, the Sum: nothing after remove()


def test_engine_has_no_drawing_or_module_state():
    node = (leaf([1.0]) * 2).grad_fn
    assert isinstance(node, mg.autograd.Function)
    assert not {"_scope", "_constants", "_grad_norms"} & set(mg.autograd.Function.__slots__)
    for name in ("scope", "current_scope", "Composite", "composite"):
        assert name not in mg.autograd.__all__
