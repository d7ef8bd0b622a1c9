"""Bad arguments never crash, hang or mislead: each gets PyTorch's behaviour or a clear error."""
import subprocess
import time

import graphviz
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.errors import ShapeError

try:
    import torch
except ImportError:  # the PyTorch comparisons skip; the rest runs
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed (pip install torch==2.13.0)")


def _logits_and_target():
    logits = mg.tensor([[1.0, 2.0, 0.5], [0.1, 0.2, 3.0]])
    return logits, mg.tensor(np.array([0, 2]))


# -- losses -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(2,), (5,), (3, 1)])
@pytest.mark.parametrize("soft", [False, True])
def test_cross_entropy_weight_of_the_wrong_shape_names_it(shape, soft):
    logits, target = _logits_and_target()
    if soft:
        target = F.softmax(logits, 1).detach()
    with pytest.raises(ShapeError, match=rf"for all 3 classes .* shape: \[{', '.join(map(str, shape))}\]"):
        F.cross_entropy(logits, target, weight=mg.ones(*shape))
    if torch is None:
        return
    with pytest.raises(RuntimeError, match="for all 3 classes"):  # PyTorch agrees
        torch.nn.functional.cross_entropy(torch.tensor(logits._data), torch.tensor(target._data),
                                          weight=torch.ones(*shape))


def test_nll_loss_weight_of_the_wrong_length_names_it():
    logits, target = _logits_and_target()
    with pytest.raises(ShapeError, match=r"nll_loss: weight tensor .* 3 classes .* \[2\]"):
        F.nll_loss(logits, target, weight=mg.ones(2))


@pytest.mark.parametrize("smoothing", [-0.1, 1.5, float("nan")])
def test_label_smoothing_outside_0_1_is_refused(smoothing):
    logits, target = _logits_and_target()
    with pytest.raises(ValueError, match="label_smoothing must be between 0.0 and 1.0"):
        F.cross_entropy(logits, target, label_smoothing=smoothing)


@needs_torch
def test_label_smoothing_at_the_ends_matches_pytorch():
    logits, target = _logits_and_target()
    for smoothing in (0.0, 1.0):
        expected = torch.nn.functional.cross_entropy(torch.tensor(logits._data), torch.tensor(target._data),
                                                     label_smoothing=smoothing)
        np.testing.assert_allclose(F.cross_entropy(logits, target, label_smoothing=smoothing).item(),
                                   expected.item(), rtol=1e-6)


# -- pooling ----------------------------------------------------------------------------------------
def test_avg_pool2d_divisor_override_zero_is_refused():
    x = mg.arange(16.0).reshape(1, 1, 4, 4)
    with pytest.raises(ValueError, match="divisor_override must be not zero"):
        F.avg_pool2d(x, 2, divisor_override=0)
    with pytest.raises(ValueError, match="divisor_override must be not zero"):
        nn.AvgPool2d(2, divisor_override=0)(x)
    with pytest.raises(TypeError, match="divisor_override must be an int"):
        F.avg_pool2d(x, 2, divisor_override=1.5)


@pytest.mark.parametrize("divisor", [3, -1])
def test_avg_pool2d_divisor_override_divides_the_window_sums(divisor):
    x = mg.arange(16.0).reshape(1, 1, 4, 4)
    expected = np.array([[10.0, 18.0], [42.0, 50.0]]) / divisor  # the 2x2 window sums
    np.testing.assert_allclose(F.avg_pool2d(x, 2, divisor_override=divisor)[0, 0]._data, expected, rtol=1e-6)


# -- layers with no inputs ----------------------------------------------------------------------------
def test_linear_with_zero_in_features_works_as_in_pytorch():
    layer = nn.Linear(0, 3)  # PyTorch allows it: an empty weight, a zero bias
    assert layer.weight.shape == (3, 0)
    np.testing.assert_array_equal(layer.bias._data, np.zeros(3))
    out = layer(mg.ones(2, 0))
    np.testing.assert_array_equal(out._data, np.zeros((2, 3)))
    out.sum().backward()
    np.testing.assert_array_equal(layer.bias.grad._data, np.full(3, 2.0))
    assert nn.Linear(3, 0)(mg.ones(2, 3)).shape == (2, 0)


@pytest.mark.parametrize("layer, message", [
    (lambda: nn.Linear(-1, 3), "in_features must be non-negative"),
    (lambda: nn.Linear(2.5, 3), "in_features must be an int"),
    (lambda: nn.Conv2d(-1, 3, 3), "in_channels must be non-negative"),
    (lambda: nn.Conv2d(3, 3, 3, groups=0), "groups must be a positive integer"),
])
def test_bad_layer_sizes_are_named(layer, message):
    with pytest.raises((ValueError, TypeError), match=message):
        layer()


@pytest.mark.parametrize("channels", [(0, 3), (3, 0), (0, 0)])
def test_conv2d_with_zero_channels_builds_as_in_pytorch(channels):
    conv = nn.Conv2d(*channels, 3)
    assert conv.weight.shape == (channels[1], channels[0], 3, 3)
    np.testing.assert_array_equal(conv.bias._data, np.zeros(channels[1]))


# -- random factories -----------------------------------------------------------------------------
def test_random_factories_support_float16():
    mg.manual_seed(0)
    normal = mg.randn(20000, dtype=mg.float16)
    uniform = mg.rand(20000, dtype=mg.float16)
    assert normal.dtype == uniform.dtype == np.float16
    assert abs(float(normal._data.astype(np.float64).std()) - 1) < 0.05
    values = uniform._data.astype(np.float64)
    assert values.min() >= 0 and values.max() < 1  # never rounded up to 1
    assert abs(values.mean() - 0.5) < 0.02
    assert mg.randn(2, dtype=mg.float16, requires_grad=True).requires_grad


@pytest.mark.parametrize("factory", [mg.randn, mg.rand])
def test_random_factories_refuse_integer_dtypes(factory):
    with pytest.raises(TypeError, match="floating-point dtype"):
        factory(2, dtype=mg.int64)


# -- complex operands -----------------------------------------------------------------------------
@pytest.mark.parametrize("op, compute", [
    ("add", lambda x: x + 1j),
    ("mul", lambda x: 1j * x),
    ("add", lambda x: x + np.array([1j, 2j])),
    ("add", lambda x: np.array([1j, 2j]) + x),
    ("matmul", lambda x: x @ np.array([1j, 2j])),
])
def test_a_complex_operand_is_refused_naming_the_op(op, compute):
    x = mg.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match=rf"^{op}: .*complex.*bool, integer or floating-point numbers"):
        compute(x)


@pytest.mark.parametrize("data", [np.array([1j]), np.complex64(1), [1j]])
def test_a_complex_tensor_is_refused(data):
    with pytest.raises(TypeError, match="bool, integer or floating-point numbers"):
        mg.tensor(data)


# -- graph drawing ------------------------------------------------------------------------------------
def test_dot_crashing_says_how_to_draw_a_smaller_graph(monkeypatch, tmp_path):
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    graph = mg.viz.draw_graph((x * x).sum(), max_nodes=None)

    def segfault(cmd, *args, **kwargs):  # what `dot` did on a 100,000-node graph
        raise graphviz.CalledProcessError(-11, cmd, output=b"", stderr=b"")

    monkeypatch.setattr(graphviz.backend.execute, "run_check", segfault)
    for render in (lambda: graph.pipe(format="svg"), lambda: mg.viz.save(graph, tmp_path / "g.svg")):
        with pytest.raises(mg.viz.GraphvizFailedError) as info:
            render()
        message = str(info.value)
        assert "SIGSEGV" in message and "max_nodes=2000" in message
        assert "collapse_repeats=True" in message and "--collapse" in message
    assert (tmp_path / "g.dot").exists()


# -- deep module trees ----------------------------------------------------------------------------
def _nested(depth: int) -> nn.Module:
    model = nn.Linear(2, 2)
    for _ in range(depth):
        model = nn.Sequential(model)
    return model


def test_2000_nested_sequentials_work_everywhere():
    start = time.perf_counter()
    model = _nested(2000)
    inner_name = ".".join(["0"] * 2000)
    assert len(list(model.modules())) == len(dict(model.named_modules())) == 2001
    assert list(model.state_dict()) == [f"{inner_name}.weight", f"{inner_name}.bias"]
    assert len(list(model.parameters())) == 2
    visited = []
    model.apply(visited.append)
    assert visited[0] is _innermost(model) and visited[-1] is model and len(visited) == 2001
    text = repr(model)
    assert text.count("Sequential(") == 2000 and " " * 4000 + "(0): Linear(in_features=2" in text

    x = mg.randn(3, 2)
    out = model(x)
    np.testing.assert_allclose(out._data, _innermost(model)(x)._data)
    assert mg.summary(model, (2,)).total_params == 6
    graph = mg.viz.draw_graph(out.sum())
    assert f"{inner_name}.weight" in graph.source
    assert time.perf_counter() - start < 10


def _innermost(model: nn.Module) -> nn.Module:
    while isinstance(model, nn.Sequential):
        model = model[0]
    return model


def test_nested_sequentials_keep_their_scopes_and_hooks():
    inner = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    model = nn.Sequential(nn.Sequential(inner), nn.Linear(2, 1))
    seen = []
    inner.register_forward_hook(lambda module, inputs, output: seen.append((inputs[0].shape, output.shape)))
    inner.register_forward_hook(lambda module, inputs, output: output * 0)  # a hook may replace the output
    out = model(mg.ones(3, 2))
    assert seen == [((3, 2), (3, 2))]
    np.testing.assert_allclose(out._data, np.broadcast_to(model[1].bias._data, (3, 1)))
    graph = mg.viz.draw_graph(out.sum())
    assert "0.0: Sequential" in graph.source and "0.0.0: Linear" in graph.source


def test_an_error_deep_in_nested_sequentials_names_the_layer_and_restores_scopes():
    from minigrad.nn.scope import current_scope

    model = _nested(50)
    with pytest.raises(ShapeError, match=r"^0(\.0){49} \(Linear\(in_features=2.*expected 2 input features, got 5"):
        model(mg.ones(1, 5))
    assert current_scope() == ()


def test_a_module_inside_itself_is_refused_not_looped():
    model = nn.Sequential(nn.Linear(1, 1))
    model.add_module("self", model)
    with pytest.raises(RuntimeError, match="cycle"):
        repr(model)
    with pytest.raises(RuntimeError, match="cycle"):
        model.apply(lambda m: None)


@pytest.mark.parametrize("call", [lambda x: x ** 1j, lambda x: x.clamp(1j), lambda x: x.clamp(max=2j),
                                  lambda x: x.masked_fill(mg.tensor([True, False]), 1j)],
                         ids=["pow", "clamp-min", "clamp-max", "masked_fill"])
def test_complex_scalars_are_refused_by_every_op_that_takes_a_number(call):
    with pytest.raises(TypeError, match="complex"):
        call(mg.ones(2, requires_grad=True))


def test_an_empty_dataset_is_an_error_not_accuracy_zero():
    from minigrad.data import DataLoader, TensorDataset
    from minigrad.training import evaluate, fit

    model = nn.Linear(3, 2)
    empty = DataLoader(TensorDataset(mg.zeros(0, 3), mg.zeros(0, dtype=mg.int64)), batch_size=4)
    with pytest.raises(ValueError, match="no samples"):
        evaluate(model, empty)
    with pytest.raises(ValueError, match="no samples"):
        fit(model, empty, mg.optim.SGD(model.parameters(), lr=0.1), epochs=1, progress=False)
    too_big = DataLoader(TensorDataset(mg.zeros(3, 3), mg.zeros(3, dtype=mg.int64)), batch_size=4, drop_last=True)
    with pytest.raises(ValueError, match="drop_last"):
        fit(model, too_big, mg.optim.SGD(model.parameters(), lr=0.1), epochs=1, progress=False)


def test_a_convolution_without_channels_says_so_when_called():
    with pytest.raises(ShapeError, match="no channels to convolve"):
        nn.Conv2d(0, 3, 3)(mg.zeros(2, 0, 5, 5))
