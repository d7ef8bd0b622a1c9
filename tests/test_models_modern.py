"""ResNet-18/34, VGG-11/VGG-11-BN/VGG-16 and the book's DeepConvNet: torchvision's keys and
shapes, outputs and gradients against the same networks written in torch.nn (torchvision itself
is not needed) with copied weights, in float64, in eval and train mode; initialisation; small
inputs; the registry and the command line."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.models import DeepConvNet, get_model, resnet18, resnet34, vgg11, vgg11_bn, vgg16
from helpers import HAS_TORCH, needs_torch

if HAS_TORCH:
    import torch
    import torch.nn as tnn

    # -- torchvision's ResNet and VGG, written out -------------------------------------------------------
    class TorchBasicBlock(tnn.Module):
        def __init__(self, inplanes, planes, stride=1, downsample=None):
            super().__init__()
            self.conv1 = tnn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
            self.bn1 = tnn.BatchNorm2d(planes)
            self.relu = tnn.ReLU(inplace=True)
            self.conv2 = tnn.Conv2d(planes, planes, 3, padding=1, bias=False)
            self.bn2 = tnn.BatchNorm2d(planes)
            self.downsample = downsample

        def forward(self, x):
            identity = x
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            if self.downsample is not None:
                identity = self.downsample(x)
            out += identity
            return self.relu(out)

    class TorchResNet(tnn.Module):
        def __init__(self, layers, num_classes=1000):
            super().__init__()
            self.inplanes = 64
            self.conv1 = tnn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
            self.bn1 = tnn.BatchNorm2d(64)
            self.relu = tnn.ReLU(inplace=True)
            self.maxpool = tnn.MaxPool2d(kernel_size=3, stride=2, padding=1)
            self.layer1 = self._make_layer(64, layers[0])
            self.layer2 = self._make_layer(128, layers[1], 2)
            self.layer3 = self._make_layer(256, layers[2], 2)
            self.layer4 = self._make_layer(512, layers[3], 2)
            self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
            self.fc = tnn.Linear(512, num_classes)

        def _make_layer(self, planes, blocks, stride=1):
            downsample = None
            if stride != 1 or self.inplanes != planes:
                downsample = tnn.Sequential(tnn.Conv2d(self.inplanes, planes, 1, stride=stride, bias=False),
                                            tnn.BatchNorm2d(planes))
            layers = [TorchBasicBlock(self.inplanes, planes, stride, downsample)]
            self.inplanes = planes
            layers += [TorchBasicBlock(planes, planes) for _ in range(1, blocks)]
            return tnn.Sequential(*layers)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(torch.flatten(self.avgpool(x), 1))

    CONFIGS = {"vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
               "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]}

    class TorchVGG(tnn.Module):
        def __init__(self, config, batch_norm=False, num_classes=1000, dropout=0.5):
            super().__init__()
            layers, channels = [], 3
            for v in CONFIGS[config]:
                if v == "M":
                    layers.append(tnn.MaxPool2d(kernel_size=2, stride=2))
                else:
                    layers.append(tnn.Conv2d(channels, v, kernel_size=3, padding=1))
                    layers += [tnn.BatchNorm2d(v), tnn.ReLU(inplace=True)] if batch_norm else [tnn.ReLU(inplace=True)]
                    channels = v
            self.features = tnn.Sequential(*layers)
            self.avgpool = tnn.AdaptiveAvgPool2d((7, 7))
            self.classifier = tnn.Sequential(
                tnn.Linear(512 * 7 * 7, 4096), tnn.ReLU(True), tnn.Dropout(p=dropout),
                tnn.Linear(4096, 4096), tnn.ReLU(True), tnn.Dropout(p=dropout), tnn.Linear(4096, num_classes))

        def forward(self, x):
            return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))

    class TorchDeepConvNet(tnn.Module):  # the book's deep_convnet.py
        def __init__(self):
            super().__init__()
            conv = lambda i, o, p=1: [tnn.Conv2d(i, o, 3, padding=p), tnn.ReLU()]  # noqa: E731
            self.features = tnn.Sequential(*conv(1, 16), *conv(16, 16), tnn.MaxPool2d(2), *conv(16, 32),
                                           *conv(32, 32, 2), tnn.MaxPool2d(2), *conv(32, 64), *conv(64, 64),
                                           tnn.MaxPool2d(2))
            self.classifier = tnn.Sequential(tnn.Flatten(), tnn.Linear(1024, 50), tnn.ReLU(), tnn.Dropout(0.5),
                                             tnn.Linear(50, 10), tnn.Dropout(0.5))

        def forward(self, x):
            return self.classifier(self.features(x))


def count(model):
    return sum(p.numel() for p in model.parameters())


def copy_weights(theirs, ours):
    """torch -> minigrad through the state_dict: the keys must be the same, in the same order."""
    state = theirs.state_dict()
    assert list(ours.state_dict()) == list(state)
    assert all(ours.state_dict()[k].shape == tuple(v.shape) for k, v in state.items())
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in state.items()})


def compare(theirs, ours, shape, train: bool, seed: int = 0):
    """Outputs and every parameter's gradient in float64 (and the running statistics after a
    training-mode pass)."""
    theirs.double().train(train)
    ours.double().train(train)
    x = np.random.default_rng(seed).standard_normal(shape)
    out_t = theirs(torch.tensor(x))
    out_m = ours(mg.tensor(x))
    np.testing.assert_allclose(out_m.data, out_t.detach().numpy(), rtol=1e-8, atol=1e-10)
    weights = np.random.default_rng(seed + 1).standard_normal(out_m.shape)
    (out_t * torch.tensor(weights)).sum().backward()
    (out_m * mg.tensor(weights)).sum().backward()
    for (name, p), (name_t, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert name == name_t
        np.testing.assert_allclose(p.grad.data, q.grad.numpy(), rtol=1e-7, atol=1e-9, err_msg=name)
    for (name, b), (_, c) in zip(ours.named_buffers(), theirs.named_buffers()):
        np.testing.assert_allclose(np.asarray(b.data), c.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)


# -- structure ------------------------------------------------------------------------------------------------
def test_resnet_parameter_counts_and_layout():
    model = resnet18()
    assert count(model) == 11_689_512 and count(resnet34()) == 21_797_672
    assert [n for n, _ in model.named_children()] == ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2",
                                                       "layer3", "layer4", "avgpool", "fc"]
    assert model.layer1[0].downsample is None and model.layer2[0].downsample is not None
    assert model.layer2[0].conv1.stride == (2, 2) and model.layer2[0].downsample[0].stride == (2, 2)
    assert model.relu.inplace and model.layer1[0].relu.inplace
    keys = list(model.state_dict())
    assert keys[:6] == ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
                        "bn1.num_batches_tracked"]
    assert "layer2.0.downsample.1.running_var" in keys and keys[-2:] == ["fc.weight", "fc.bias"]


def test_deepconvnet_is_the_books_network():
    model = DeepConvNet()
    assert count(model) == 123_552
    convs = [m for m in model.features if isinstance(m, mg.nn.Conv2d)]
    assert [(c.out_channels, c.padding) for c in convs] == [(16, (1, 1)), (16, (1, 1)), (32, (1, 1)), (32, (2, 2)),
                                                            (64, (1, 1)), (64, (1, 1))]
    x, shapes = mg.zeros(1, 1, 28, 28), []
    for layer in model.features:
        x = layer(x)
        shapes.append(x.shape[1:])
    assert shapes[4] == (16, 14, 14) and shapes[9] == (32, 8, 8) and shapes[14] == (64, 4, 4)
    assert [type(m).__name__ for m in model.classifier] == ["Flatten", "Linear", "ReLU", "Dropout", "Linear", "Dropout"]


# -- initialisation ------------------------------------------------------------------------------------------------
def test_initialisations_are_torchvisions_and_the_books():
    model = resnet18(num_classes=10)
    conv = model.layer3[0].conv2                       # 256 x 256 x 3 x 3: fan_out = 256 * 9
    assert abs(conv.weight.data.std() / np.sqrt(2 / (256 * 9)) - 1) < 0.01
    assert abs(conv.weight.data.mean()) < 1e-3
    assert all((bn.weight.data == 1).all() and (bn.bias.data == 0).all()
               for bn in model.modules() if type(bn).__name__ == "BatchNorm2d")
    zero = resnet18(zero_init_residual=True)
    assert (zero.layer1[0].bn2.weight.data == 0).all() and (zero.layer1[0].bn1.weight.data == 1).all()
    book = DeepConvNet()
    for layer in [m for m in book.modules() if isinstance(m, (mg.nn.Conv2d, mg.nn.Linear))][1:]:
        fan_in = int(np.prod(layer.weight.shape[1:]))  # He: std sqrt(2 / fan_in), biases 0
        assert abs(layer.weight.data.std() / np.sqrt(2 / fan_in) - 1) < 0.1 and (layer.bias.data == 0).all()


# -- against PyTorch -------------------------------------------------------------------------------------------------
@needs_torch
@pytest.mark.parametrize("train", [False, True], ids=["eval", "train"])
def test_resnet18_matches_pytorch(train):
    torch.manual_seed(0)
    theirs, ours = TorchResNet([2, 2, 2, 2], num_classes=10), resnet18(num_classes=10)
    for m in theirs.modules():  # non-trivial batch-norm parameters and statistics
        if isinstance(m, tnn.BatchNorm2d):
            for t in (m.weight, m.bias, m.running_mean):
                tnn.init.normal_(t, 0, 0.3)
            tnn.init.uniform_(m.running_var, 0.5, 2.0)
    copy_weights(theirs, ours)
    compare(theirs, ours, (3, 3, 32, 32), train)
    if train:
        assert int(ours.bn1.num_batches_tracked.data) == 1


@needs_torch
def test_resnet34_matches_pytorch_on_28x28():
    torch.manual_seed(1)
    theirs, ours = TorchResNet([3, 4, 6, 3], num_classes=5), resnet34(num_classes=5)
    copy_weights(theirs, ours)
    compare(theirs, ours, (2, 3, 28, 28), train=False)


@needs_torch
@pytest.mark.slow
@pytest.mark.parametrize("name,batch_norm", [("vgg11_bn", True)])  # vgg11 is the same without the norms
@pytest.mark.parametrize("train", [False, True], ids=["eval", "train"])
def test_vgg_matches_pytorch(name, batch_norm, train):
    torch.manual_seed(0)
    theirs = TorchVGG("vgg11", batch_norm, num_classes=10, dropout=0.0)   # no dropout: the same random draws are impossible
    ours = get_model(name, num_classes=10, dropout=0.0)
    assert [type(m).__name__ for m in ours.features] == [type(m).__name__ for m in theirs.features]
    assert repr(ours.classifier) == repr(theirs.classifier)
    copy_weights(theirs, ours)
    compare(theirs, ours, (2, 3, 32, 32), train)


@needs_torch
@pytest.mark.slow
def test_vgg16_keys_and_layers_are_torchvisions():
    theirs, ours = TorchVGG("vgg16"), vgg16()
    assert count(ours) == 138_357_544 == sum(p.numel() for p in theirs.parameters())
    assert repr(ours.features) == repr(theirs.features) and repr(ours.classifier) == repr(theirs.classifier)
    assert {k: tuple(v.shape) for k, v in theirs.state_dict().items()} == {k: v.shape for k, v in ours.state_dict().items()}


@needs_torch
@pytest.mark.parametrize("train", [False, True], ids=["eval", "train"])
def test_deepconvnet_matches_pytorch(train):
    theirs, ours = TorchDeepConvNet(), DeepConvNet()
    if train:  # the same network without its (random) dropout
        for model in (theirs, ours):
            for m in model.classifier:
                if type(m).__name__ == "Dropout":
                    m.p = 0.0
    copy_weights(theirs, ours)
    compare(theirs, ours, (4, 1, 28, 28), train)


# -- inputs -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [28, 32, 64])
def test_resnet_takes_small_inputs(size):
    model = resnet18(num_classes=3)
    assert model(mg.randn(2, 3, size, size)).shape == (2, 3)         # train mode: batch statistics
    assert model.eval()(mg.randn(1, 3, size, size)).shape == (1, 3)


def test_vgg_needs_32x32_and_says_so():
    model = vgg11_bn(num_classes=4).eval()
    assert model(mg.zeros(1, 3, 32, 32)).shape == (1, 4)                 # 1x1 after features, 7x7 after avgpool
    with pytest.raises(ValueError, match=r"VGG: an input of size 28x28 is too small: .* at least 32x32"):
        model(mg.zeros(1, 3, 28, 28))
    with pytest.raises(ValueError, match="expected 3 input channels, got 1"):
        resnet18()(mg.zeros(1, 1, 32, 32))


def test_registry_has_the_new_models():
    for name in ("resnet18", "resnet34", "deepconvnet"):
        assert type(get_model(name, num_classes=7)).__name__ in ("ResNet", "DeepConvNet")
    assert get_model("ResNet18", num_classes=7).fc.out_features == 7
    with pytest.raises(ValueError, match="choose one of: .*deepconvnet, resnet18, resnet34, vgg11, vgg11_bn, vgg16"):
        get_model("resnet50")


# -- the command line ------------------------------------------------------------------------------------------------
def test_cli_summary_and_input_handling(capsys):
    from minigrad.cli import image_transform, main, model_config, parser

    assert main(["summary", "resnet18"]) == 0
    text = capsys.readouterr().out
    assert "Total params: 11,181,642" in text and "[1, 512, 1, 1]" in text   # 10 classes, 3x32x32
    assert main(["summary", "deepconvnet"]) == 0
    assert "Total params: 123,552" in capsys.readouterr().out
    config = model_config(parser().parse_args(["train", "--model", "vgg11_bn"]))
    images = np.random.default_rng(0).random((5, 1, 28, 28)).astype(np.float32)
    padded = image_transform(config)(images)
    assert padded.shape == (5, 3, 32, 32) and (padded[:, :, 2:30, 2:30] == images).all() and padded[:, :, :2].sum() == 0


@pytest.mark.parametrize("model", ["deepconvnet", "resnet18"])
def test_cli_trains_the_new_models(model, tmp_path, capsys):
    from minigrad.cli import main

    out = tmp_path / model
    assert main(["train", "--model", model, "--epochs", "1", "--limit", "120", "--batch-size", "32",
                 "--out", str(out), "--quiet"]) == 0
    assert "test accuracy:" in capsys.readouterr().out
    assert main(["evaluate", str(out / "checkpoint.npz")]) == 0


@pytest.mark.slow
def test_cli_trains_vgg11_bn(tmp_path, capsys):
    from minigrad.cli import main

    assert main(["train", "--model", "vgg11_bn", "--epochs", "1", "--limit", "32", "--batch-size", "16",
                 "--out", str(tmp_path / "vgg"), "--quiet"]) == 0
    assert "test accuracy:" in capsys.readouterr().out


def test_cli_graph_collapses_resnet_blocks(tmp_path, capsys):
    pytest.importorskip("graphviz", reason="drawing needs the graphviz package")
    from minigrad.cli import main

    out = tmp_path / "resnet.dot"
    assert main(["graph", "resnet18", "-o", str(out), "--collapse"]) == 0
    source = out.read_text()
    assert "BasicBlock ×2" in source and "layer1.0" in source
