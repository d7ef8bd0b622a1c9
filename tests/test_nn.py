"""nn.Module: registration, tree walking, modes, state dicts, repr, layer errors, layers."""
import math
from collections import OrderedDict

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from helpers import check_op


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3, padding=1)
        self.scale = nn.Parameter(mg.ones(1))
        self.register_buffer("running", mg.zeros(3))
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.conv(x)) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(3 * 4 * 4, 5))

    def forward(self, x):
        return self.head(self.block(x))


def test_registration_order_and_dotted_names():
    net = Net()
    # PyTorch's order: a module's own parameters, then its children's
    assert [n for n, _ in net.named_parameters()] == [
        "block.scale", "block.conv.weight", "block.conv.bias", "head.2.weight", "head.2.bias"
    ]
    assert [n for n, _ in net.named_modules()] == ["", "block", "block.conv", "block.act", "head", "head.0", "head.1", "head.2"]
    assert [n for n, _ in net.named_children()] == ["block", "head"]
    assert [n for n, _ in net.named_buffers()] == ["block.running"]
    assert len(list(net.parameters())) == 5 and len(list(net.buffers())) == 1


def test_parameters_follow_assignment_order_exactly():
    class Ordered(nn.Module):
        def __init__(self):
            super().__init__()
            self.b = nn.Parameter(mg.zeros(1))
            self.a = nn.Parameter(mg.zeros(2))
            self.z = nn.Linear(1, 1)

    assert [n for n, _ in Ordered().named_parameters()] == ["b", "a", "z.weight", "z.bias"]


def test_state_dict_keys_match_pytorch_convention():
    net = Net()
    state = net.state_dict()
    # the order PyTorch gives the same model: own parameters, own buffers, then children
    assert list(state) == ["block.scale", "block.running", "block.conv.weight", "block.conv.bias", "head.2.weight", "head.2.bias"]
    assert np.shares_memory(state["block.conv.weight"], net.block.conv.weight.detach().numpy())
    assert isinstance(state["head.2.bias"], np.ndarray)


def test_train_eval_switches_every_module_and_dropout():
    net = Net()
    x = mg.ones(4, 2, 4, 4)
    net.eval()
    assert not any(m.training for m in net.modules())
    a, b = net(x), net(x)
    np.testing.assert_array_equal(a.data, b.data)
    net.train()
    assert all(m.training for m in net.modules())
    outs = {net.head[1](mg.ones(100)).numpy().tobytes() for _ in range(3)}
    assert len(outs) > 1


def test_zero_grad_and_apply():
    net = Net()
    net(mg.randn(2, 2, 4, 4)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net" and "Conv2d" in seen


def test_state_dict_round_trip_and_strict_loading():
    a, b = Net(), Net()
    b.load_state_dict(a.state_dict())
    for (name, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    state = dict(a.state_dict())
    del state["head.2.bias"]
    state["extra.weight"] = np.zeros(1)
    with pytest.raises(RuntimeError) as info:
        b.load_state_dict(state)
    assert "missing keys: head.2.bias" in str(info.value) and "unexpected keys: extra.weight" in str(info.value)
    missing, unexpected = b.load_state_dict(state, strict=False)
    assert missing == ["head.2.bias"] and unexpected == ["extra.weight"]
    state["block.conv.weight"] = np.zeros((3, 2, 5, 5))
    with pytest.raises(ValueError, match=r"block.conv.weight: checkpoint has shape \(3, 2, 5, 5\), the model has \(3, 2, 3, 3\)"):
        b.load_state_dict(state, strict=False)  # a shape mismatch always raises


def test_repr_like_pytorch():
    model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(2),
                          nn.Linear(400, 120, bias=False), nn.LocalResponseNorm(5, k=2.0), nn.Dropout())
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))\n"
        "  (1): ReLU(inplace=True)\n"
        "  (2): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n"
        "  (3): Linear(in_features=400, out_features=120, bias=False)\n"
        "  (4): LocalResponseNorm(5, alpha=0.0001, beta=0.75, k=2.0)\n"
        "  (5): Dropout(p=0.5, inplace=False)\n"
        ")"
    )


def test_wrong_input_names_the_failing_layer():
    model = mg.models.AlexNet()
    model.features[0] = nn.Conv2d(3, 64, 11, stride=4)  # the next conv expects 96 channels
    with pytest.raises(ValueError) as info:
        model(mg.zeros(1, 3, 227, 227))
    assert str(info.value).startswith(
        "features.4 (Conv2d(96, 256, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))): expected 96 input channels, got 64"
    )
    with pytest.raises(ValueError, match=r"^head.2 \(Linear\(in_features=48.*expected 48 input features, got 75"):
        Net()(mg.zeros(1, 2, 5, 5))


def test_sequential_and_modulelist():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[0], nn.Linear) and isinstance(seq[-1], nn.Linear)
    assert len(seq[1:]) == 2 and [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Linear"]
    named = nn.Sequential(OrderedDict(conv=nn.Conv2d(1, 1, 1), act=nn.ReLU()))
    assert list(named.state_dict()) == ["conv.weight", "conv.bias"]
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    layers.append(nn.Linear(2, 1))
    assert len(layers) == 4 and len(list(layers.parameters())) == 8
    with pytest.raises(IndexError):
        seq[5]


def test_default_init_matches_pytorch_bounds():
    conv = nn.Conv2d(6, 16, 5)
    bound = 1 / math.sqrt(6 * 25)
    assert np.abs(conv.weight.data).max() <= bound and np.abs(conv.bias.data).max() <= bound
    assert np.abs(conv.weight.data).max() > 0.9 * bound  # fills the range
    lin = nn.Linear(400, 120)
    assert np.abs(lin.weight.data).max() <= 1 / 20 and lin.weight.dtype == mg.float32
    mg.manual_seed(0)
    a = nn.Linear(3, 3).weight.detach().numpy().copy()
    mg.manual_seed(0)
    np.testing.assert_array_equal(a, nn.Linear(3, 3).weight.data)


def test_init_functions():
    w = mg.empty(200, 300)
    nn.init.xavier_uniform_(w)
    assert np.abs(w.data).max() <= math.sqrt(6 / 500)
    nn.init.kaiming_normal_(w, nonlinearity="relu")
    assert abs(w.data.std() - math.sqrt(2 / 300)) < 0.01
    nn.init.xavier_normal_(w)
    assert abs(w.data.std() - math.sqrt(2 / 500)) < 0.01
    nn.init.kaiming_uniform_(w, a=math.sqrt(5))
    assert np.abs(w.data).max() <= 1 / math.sqrt(300)
    nn.init.normal_(w, 2.0, 0.5)
    assert abs(w.data.mean() - 2) < 0.01
    nn.init.uniform_(w, -1, 1)
    assert -1 <= w.data.min() and w.data.max() <= 1
    assert nn.init.zeros_(w).data.sum() == 0 and nn.init.ones_(w).data.sum() == w.numel()
    assert nn.init.constant_(w, 3.0).data.min() == 3.0
    assert nn.init.calculate_gain("relu") == math.sqrt(2)


def test_layers_compute_their_functional_counterparts():
    x = mg.randn(2, 3, 8, 8, dtype=mg.float64)
    F = nn.functional
    assert np.array_equal(nn.MaxPool2d(3, 2, 1)(x).data, F.max_pool2d(x, 3, 2, 1).data)
    assert np.array_equal(nn.AvgPool2d(2)(x).data, F.avg_pool2d(x, 2).data)
    assert nn.AdaptiveAvgPool2d((3, 2))(x).shape == (2, 3, 3, 2)
    assert np.array_equal(nn.LocalResponseNorm(3)(x).data, F.local_response_norm(x, 3).data)
    assert np.array_equal(nn.Softmax(1)(x).data, F.softmax(x, 1).data)
    assert np.array_equal(nn.LogSoftmax(1)(x).data, F.log_softmax(x, 1).data)
    assert np.array_equal(nn.Tanh()(x).data, x.tanh().data) and np.array_equal(nn.Sigmoid()(x).data, x.sigmoid().data)
    assert nn.Flatten()(x).shape == (2, 192) and nn.Flatten(0, 1)(x).shape == (6, 8, 8)
    target = mg.tensor(np.array([1, 0]))
    logits = mg.randn(2, 4, dtype=mg.float64)
    assert nn.CrossEntropyLoss()(logits, target).item() == F.cross_entropy(logits, target).item()
    assert nn.NLLLoss(reduction="sum")(logits, target).item() == F.nll_loss(logits, target, reduction="sum").item()
    assert nn.MSELoss()(logits, logits * 2).item() == F.mse_loss(logits, logits * 2).item()


def test_module_gradients_in_float64():
    conv = nn.Conv2d(2, 3, 3, stride=2, padding=1).double()
    lin = nn.Linear(4, 3).double()
    assert conv.weight.dtype == mg.float64
    x = mg.randn(1, 2, 5, 5, dtype=mg.float64, requires_grad=True)
    assert mg.gradcheck(lambda t, w, b: nn.functional.conv2d(t, w, b, 2, 1), (x, conv.weight, conv.bias))
    check_op(lambda t, w, b: nn.functional.linear(t, w, b), np.random.default_rng(0).standard_normal((3, 4)),
             lin.weight.data, lin.bias.data)


def test_setattr_rules():
    m = nn.Module()
    m.weight = nn.Parameter(mg.zeros(2))
    with pytest.raises(TypeError, match="Parameter or None expected"):
        m.weight = mg.zeros(2)
    m.weight = None
    assert list(m.named_parameters()) == []
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        m.missing
    with pytest.raises(AttributeError, match="before Module.__init__"):
        class Broken(nn.Module):
            def __init__(self):
                self.layer = nn.Linear(1, 1)
        Broken()
