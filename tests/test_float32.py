"""A float32 training step stays float32: every recorded output, saved buffer, gradient and
optimizer state."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.autograd import engine
from minigrad.autograd.function import _SavedOutput


def float_dtypes(values):
    for value in values:
        data = value._data if isinstance(value, (mg.Tensor, _SavedOutput)) else value
        if isinstance(data, np.ndarray) and data.dtype.kind == "f":
            yield data.dtype


@pytest.mark.parametrize("make,shape", [(lambda: mg.models.LeNet5(), (8, 1, 28, 28)),
                                        (lambda: mg.models.AlexNet(num_classes=10, input_size=99), (2, 3, 99, 99)),
                                        (lambda: mg.models.LeNet5(variant="classic"), (8, 1, 28, 28))])
def test_no_float64_anywhere_in_a_float32_step(make, shape, monkeypatch):
    model = make()
    optimizer = mg.optim.Adam(model.parameters(), lr=1e-3)
    seen = []
    original = engine._Pass._run_node

    def checked(self, node, grads):
        seen.extend(float_dtypes(grads))
        seen.extend(float_dtypes(node._saved or ()))
        seen.extend(float_dtypes(node.__dict__.values()))
        original(self, node, grads)

    monkeypatch.setattr(engine._Pass, "_run_node", checked)
    x = mg.randn(*shape)
    logits = model(x)
    loss = F.cross_entropy(logits, mg.tensor(np.arange(shape[0]) % 10))
    nodes = engine.topological_order([loss.grad_fn])
    outputs = [dtype for node in nodes for _, dtype in node._outputs if dtype.kind == "f"]
    loss.backward()
    optimizer.step()
    assert seen and outputs
    assert set(seen) == {np.dtype(np.float32)} and set(outputs) == {np.dtype(np.float32)}
    assert all(p.grad.dtype == np.float32 and p.dtype == np.float32 for p in model.parameters())
    states = [v.dtype for s in optimizer.state.values() for v in s.values() if isinstance(v, np.ndarray)]
    assert set(states) == {np.dtype(np.float32)}


@pytest.mark.parametrize("x_shape,w_shape,kwargs", [((8, 96, 27, 27), (256, 96, 5, 5), dict(padding=2)),
                                                     ((4, 3, 99, 99), (96, 3, 11, 11), dict(stride=4))])
def test_conv_forward_backward_peak_memory_within_twice_the_im2col_buffer(x_shape, w_shape, kwargs):
    import tracemalloc

    x = mg.randn(*x_shape, requires_grad=True)
    w = mg.randn(*w_shape, requires_grad=True)
    out = F.conv2d(x, w, **kwargs)
    grad = mg.ones(*out.shape)
    out_size = out.shape[2] * out.shape[3]
    del out
    column_bytes = w_shape[1] * w_shape[2] * w_shape[3] * x_shape[0] * out_size * 4
    tracemalloc.start()
    try:
        F.conv2d(x, w, **kwargs).backward(grad)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak <= 2 * column_bytes
