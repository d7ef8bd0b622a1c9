"""The names and idioms a PyTorch program uses around its model: dtypes of new tensors, devices,
formatting, ``type``, the ``torch.autograd`` namespace, custom Functions in both of PyTorch's
styles, hook rules, top-level function forms. Compared with PyTorch where it is installed."""
import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F

try:
    import torch
except ImportError:  # the comparisons below skip; the rest runs
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed (pip install torch==2.13.0)")


@pytest.mark.parametrize("data", [[0, 1, 2], [True, False], 3, [1, 2.5], 2.5, [[1, 2], [3, 4]], [], True, [-1]])
@needs_torch
def test_tensor_infers_dtypes_as_torch_tensor(data):
    ours, theirs = mg.tensor(data), torch.tensor(data)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    assert ours.shape == tuple(theirs.shape)


def test_integer_labels_work_where_tutorials_use_them():
    logits = mg.randn(3, 4, requires_grad=True)
    loss = F.cross_entropy(logits, mg.tensor([0, 1, 3]))
    loss.backward()
    assert logits.grad.shape == (3, 4)
    assert mg.arange(5)[mg.tensor([0, 2])].tolist() == [0, 2]
    assert ["a", "b", "c"][mg.tensor(2)] == "c"  # __index__ on a 0-d integer tensor
    with pytest.raises(TypeError, match="integer tensors of a single element"):
        ["a", "b"][mg.tensor(1.0)]


def test_devices_are_the_cpu_and_cuda_says_why_not():
    device = mg.device("cuda" if mg.cuda.is_available() else "cpu")
    assert device == mg.device("cpu") == "cpu" and repr(device) == "device(type='cpu')"
    assert mg.device("cpu:0").index == 0 and str(mg.device("cuda", 1)) == "cuda:1"
    assert not mg.accelerator.is_available() and mg.accelerator.current_accelerator() is None
    assert not mg.backends.mps.is_available() and mg.cuda.device_count() == 0
    x = mg.ones(2, 3)
    assert x.device.type == "cpu" and x.to(device) is x and x.cpu() is x and x.to("cpu") is x
    assert x.to(device, mg.float64).dtype == mg.float64 and x.to(dtype=mg.int64).dtype == mg.int64
    assert x.to(mg.zeros(1, dtype=mg.float64)).dtype == mg.float64
    assert mg.zeros(2, device="cpu").device == device and mg.tensor([1.0], device=device).device == "cpu"
    for move in (lambda: x.to("cuda"), lambda: x.cuda(), lambda: mg.zeros(2, device="cuda"), lambda: x.to("cuda:0")):
        with pytest.raises(RuntimeError, match="CPU only"):
            move()
    model = nn.Linear(3, 2)
    assert model.to(device) is model and model.cpu() is model
    assert model.to(device, mg.float64).weight.dtype == mg.float64
    with pytest.raises(RuntimeError, match="CPU only"):
        model.to("cuda")
    with pytest.raises(RuntimeError, match="Invalid device string"):
        mg.device("cuda:x")


def test_to_and_type_convert_with_gradients():
    x = mg.tensor([1.5, -2.0], requires_grad=True)
    y = x.to(mg.float64) * 3
    y.sum().backward()
    assert y.dtype == mg.float64 and x.grad.dtype == mg.float32 and x.grad.tolist() == [3.0, 3.0]
    assert x.type() == "minigrad.FloatTensor" and mg.tensor([1]).type() == "minigrad.LongTensor"
    assert x.detach().type(mg.int64).tolist() == [1, -2] and x.type("torch.DoubleTensor").dtype == mg.float64
    assert (mg.tensor([1, 2]) == mg.tensor([1, 3])).type(mg.float).sum().item() == 1.0
    assert mg.tensor([1, 2]).type_as(x).dtype == mg.float32


@needs_torch
@pytest.mark.parametrize("value", [0.5, 2.25, -1.0, 1e-7, 123456789.0])
@pytest.mark.parametrize("spec", ["", ".1f", ">7f", ".3e", "8.2f"])
def test_zero_dim_tensors_format_as_torch(value, spec):
    ours, theirs = mg.tensor(value), torch.tensor(value)
    assert format(ours, spec) == format(theirs, spec)
    assert "{}".format(ours) == "{}".format(theirs)
    assert f"{mg.tensor(3):>5d}" == f"{torch.tensor(3):>5d}"


@needs_torch
@pytest.mark.parametrize("values", [
    [0.5], 0.5, [1.0, 2.0], [0.1234567, 12.5], [1e-5, 1.0], [1e9, 1.0], [float("nan"), 1.5],
    [[1.5, 2.0], [3.0, 4.0]], [-0.5, 2.25], [1, 2, 3], [True, False], [float("inf"), -1.0],
])
def test_tensors_print_as_torch(values):
    ours, theirs = repr(mg.tensor(values)), repr(torch.tensor(values))
    assert ours == theirs


def test_format_of_a_non_scalar_tensor_is_its_repr():
    t = mg.tensor([1.0, 2.0])
    assert "{}".format(t) == repr(t) == "tensor([1., 2.])"
    with pytest.raises(TypeError):
        format(t, ".2f")


@needs_torch
def test_relu_gradient_at_nan_matches_torch():
    values = [float("nan"), -1.0, 0.0, 2.0]
    ours = mg.tensor(values, requires_grad=True)
    theirs = torch.tensor(values, requires_grad=True)
    mg.relu(ours).sum().backward()
    torch.relu(theirs).sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())
    ours.grad = None
    F.relu(ours * 1, inplace=True).sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


def test_autograd_namespace_is_torch_autograd():
    x = mg.randn(4, dtype=mg.float64, requires_grad=True)
    assert callable(mg.autograd.gradcheck) and callable(mg.autograd.gradgradcheck)
    assert mg.autograd.gradcheck(lambda t: (t * t).sin(), (x,))
    assert mg.autograd.gradgradcheck(lambda t: (t * t).cos(), (x,))
    (g,) = mg.autograd.grad((x ** 3).sum(), x)
    np.testing.assert_allclose(g.numpy(), 3 * x.detach().numpy() ** 2)
    assert issubclass(mg.autograd.Function, object) and mg.autograd.Function is mg.autograd.function.Function


class ClampReLU(mg.autograd.Function):
    """A custom op written exactly as PyTorch's tutorial writes one."""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


class MulWithSetupContext(mg.autograd.Function):
    """PyTorch 2's style: forward without ctx, setup_context saves."""

    @staticmethod
    def forward(x, y):
        return x * y

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        return grad * y, grad * x


def test_custom_functions_in_both_pytorch_styles_pass_gradcheck():
    mg.manual_seed(0)
    x = mg.randn(6, dtype=mg.float64, requires_grad=True)
    y = mg.randn(6, dtype=mg.float64, requires_grad=True)
    assert mg.autograd.gradcheck(ClampReLU.apply, (x,))
    assert mg.autograd.gradcheck(MulWithSetupContext.apply, (x, y))
    assert mg.autograd.gradgradcheck(MulWithSetupContext.apply, (x, y))
    out = ClampReLU.apply(x)
    assert out.grad_fn is not None and (out.detach().numpy() >= 0).all()


def test_a_custom_function_sees_inplace_changes_of_what_it_saved():
    x = mg.randn(3, dtype=mg.float64, requires_grad=True)
    h = x * 2
    out = ClampReLU.apply(h)
    with mg.no_grad():
        h.mul_(-1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_hooks_may_not_change_the_gradients_shape():
    x = mg.randn(3, requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g.sum())
    with pytest.raises(RuntimeError, match="has changed the size of value"):
        y.sum().backward()
    leaf = mg.randn(2, requires_grad=True)
    leaf.register_hook(lambda g: mg.ones(3))
    with pytest.raises(RuntimeError, match="has changed the size of value"):
        (leaf * 1).sum().backward()
    ok = mg.randn(2, requires_grad=True)
    ok.register_hook(lambda g: g * 10)
    (ok * 1).sum().backward()
    assert ok.grad.tolist() == [10.0, 10.0]


@needs_torch
def test_top_level_function_forms_match_torch():
    a_np = np.arange(6, dtype=np.float64).reshape(2, 3) - 2.5
    b_np = np.linspace(0.5, 3, 6).reshape(2, 3)
    a, b = mg.tensor(a_np), mg.tensor(b_np)
    ta, tb = torch.tensor(a_np), torch.tensor(b_np)
    cases = [
        (mg.add(a, b, alpha=2), torch.add(ta, tb, alpha=2)),
        (mg.sub(a, b, alpha=0.5), torch.sub(ta, tb, alpha=0.5)),
        (mg.mul(a, b), torch.mul(ta, tb)),
        (mg.div(a, b), torch.div(ta, tb)),
        (mg.div(a, b, rounding_mode="floor"), torch.div(ta, tb, rounding_mode="floor")),
        (mg.div(a, b, rounding_mode="trunc"), torch.div(ta, tb, rounding_mode="trunc")),
        (mg.div(mg.tensor([-7, 7, 5]), 2, rounding_mode="trunc"), torch.div(torch.tensor([-7, 7, 5]), 2, rounding_mode="trunc")),
        (mg.div(mg.tensor([-7, 7, 5]), 2, rounding_mode="floor"), torch.div(torch.tensor([-7, 7, 5]), 2, rounding_mode="floor")),
        (mg.mm(a, b.t()), torch.mm(ta, tb.t())),
        (mg.matmul(a, b.T), torch.matmul(ta, tb.T)),
        (mg.flatten(a), torch.flatten(ta)),
        (mg.cat((a, b), 1), torch.cat((ta, tb), 1)),
        (mg.cat([a, b], dim=0), torch.cat([ta, tb], dim=0)),
        (mg.sin(a), torch.sin(ta)),
        (mg.cos(a), torch.cos(ta)),
        (a.masked_fill(a > 0, -1.0), ta.masked_fill(ta > 0, -1.0)),
        (mg.zeros(3, 4, dtype=mg.float64).scatter_(1, mg.tensor([[0], [3], [1]]), 2.0),
         torch.zeros(3, 4, dtype=torch.float64).scatter_(1, torch.tensor([[0], [3], [1]]), 2.0)),
        (mg.zeros(10).scatter_(0, mg.tensor(3), value=1), torch.zeros(10).scatter_(0, torch.tensor(3), value=1)),
        (a.view_as(b.t().contiguous().reshape(3, 2)), ta.view_as(tb.t().contiguous().reshape(3, 2))),
        (a.eq(a.clamp(max=0)), ta.eq(ta.clamp(max=0))),
        (a.ge(0), ta.ge(0)),
    ]
    for ours, theirs in cases:
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-14)
    values, indices = a.max(1)
    tvalues, tindices = ta.max(1)
    assert values.tolist() == tvalues.tolist() and indices.tolist() == tindices.tolist()
    named = mg.max(a, dim=1)
    assert named.values.tolist() == tvalues.tolist() and named.indices.tolist() == tindices.tolist()


def test_out_arguments_write_into_the_given_tensor():
    a, b = mg.ones(2, 3), mg.ones(3, 4)
    out = mg.empty(2, 4)
    result = mg.matmul(a, b, out=out)
    assert result is out and out.tolist() == [[3.0] * 4] * 2 and out._version == 1
    small = mg.empty(1)
    mg.add(mg.ones(2), 1, out=small)  # resized, as PyTorch does
    assert small.tolist() == [2.0, 2.0]
    w = mg.ones(3, 4, requires_grad=True)
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        mg.matmul(a, w, out=mg.empty(2, 4))


def test_scatter_is_differentiable():
    mg.manual_seed(1)
    x = mg.randn(3, 5, dtype=mg.float64, requires_grad=True)
    src = mg.randn(2, 5, dtype=mg.float64, requires_grad=True)
    index = mg.tensor([[0, 1, 2, 0, 0], [2, 0, 0, 1, 2]])
    assert mg.gradcheck(lambda t, s: t.scatter(0, index, s), (x, src))
    assert mg.gradgradcheck(lambda t, s: t.scatter(0, index, s) * t, (x, src))


def test_random_factories_take_torch_arguments():
    g = mg.Generator().manual_seed(3)
    a = mg.randn(2, 3, generator=g)
    b = mg.randn(2, 3, generator=mg.Generator().manual_seed(3))
    assert np.array_equal(a.numpy(), b.numpy())
    assert mg.rand_like(a).shape == (2, 3) and mg.randn_like(a, dtype=mg.float64).dtype == mg.float64
    assert mg.randint(10, size=(4,)).dtype == mg.int64 and 0 <= mg.randint(10, (1,)).item() < 10
    assert sorted(mg.randperm(5).tolist()) == [0, 1, 2, 3, 4]
    filled = mg.empty(1000).uniform_(-2, 2)
    assert -2 <= filled.min().item() and filled.max().item() < 2
    normal = mg.zeros(10000, dtype=mg.float64).normal_(1.0, 0.5)
    assert abs(normal.mean().item() - 1.0) < 0.05 and abs(normal.std().item() - 0.5) < 0.05
    labels = mg.empty(100, dtype=mg.int64).random_(5)
    assert labels.dtype == mg.int64 and set(labels.tolist()) <= set(range(5))


def test_load_takes_torch_keyword_arguments(tmp_path):
    model = nn.Linear(3, 2)
    path = tmp_path / "model.pth"
    mg.save(model.state_dict(), path)
    restored = nn.Linear(3, 2)
    restored.load_state_dict(mg.load(path, weights_only=True, map_location="cpu"))
    assert np.array_equal(restored.weight.detach().numpy(), model.weight.detach().numpy())
    with pytest.raises(RuntimeError, match="CPU only"):
        mg.load(path, map_location="cuda:0")
    with pytest.raises(mg.CheckpointError, match="state_dict"):
        mg.save(model, tmp_path / "whole.pth")


def test_sin_and_the_polynomial_fit_of_the_pytorch_examples():
    # "Learning PyTorch with examples": fit sin(x) with a cubic, updating leaves by hand
    mg.manual_seed(0)
    x = mg.linspace(-math.pi, math.pi, 2000, dtype=mg.float32)
    y = mg.sin(x)
    a, b, c, d = (mg.randn((), requires_grad=True) for _ in range(4))
    first = None
    for _ in range(300):
        loss = (a + b * x + c * x ** 2 + d * x ** 3 - y).pow(2).sum()
        first = first if first is not None else loss.item()
        loss.backward()
        with mg.no_grad():
            for p in (a, b, c, d):
                p -= 1e-6 * p.grad
                p.grad = None
    assert loss.item() < 0.1 * first
    assert a._version == 300  # every update was recorded in the leaf's version counter


@needs_torch
@pytest.mark.parametrize("name, options", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.05)),
                                           ("Adadelta", dict(lr=1.0)), ("RMSprop", dict(lr=0.01))])
def test_optimizer_step_with_a_closure_matches_torch(name, options):
    start = np.array([1.0, -2.0, 0.5])
    trajectories = []
    for lib in (mg, torch):
        w = lib.tensor(start, requires_grad=True)
        optimizer = getattr(lib.optim, name)([w], **options)

        def closure():
            optimizer.zero_grad()
            loss = ((w - 1) ** 2 * lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)).sum()
            loss.backward()
            return loss

        losses = [optimizer.step(closure).item() for _ in range(5)]
        trajectories.append((losses, w.detach().numpy().copy()))
    np.testing.assert_allclose(trajectories[0][0], trajectories[1][0], rtol=1e-12)
    np.testing.assert_allclose(trajectories[0][1], trajectories[1][1], rtol=1e-12)
