"""LeNet-5, AlexNet, SimpleConvNet: shapes, parameter counts, other input sizes, summary, and
outputs against PyTorch with copied weights."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.models import AlexNet, LeNet5, SimpleConvNet, get_model
from helpers import needs_torch


def count(model):
    return sum(p.numel() for p in model.parameters())


def test_parameter_counts():
    assert count(AlexNet()) == 62_378_344
    assert count(AlexNet(variant="torchvision")) == 61_100_840
    assert count(LeNet5()) == 61_706
    assert count(SimpleConvNet()) == 30 * 25 + 30 + 4320 * 100 + 100 + 100 * 10 + 10


@pytest.mark.parametrize("variant", ["modern", "classic"])
@pytest.mark.parametrize("size,channels,classes", [(28, 1, 10), (32, 3, 7), (40, 1, 2)])
def test_lenet_shapes(variant, size, channels, classes):
    model = LeNet5(num_classes=classes, in_channels=channels, variant=variant, input_size=size)
    assert model(mg.zeros(3, channels, size, size)).shape == (3, classes)


def test_lenet_classic_is_the_paper_layout():
    model = LeNet5(variant="classic")
    kinds = [type(m).__name__ for m in model.features]
    assert kinds == ["Conv2d", "Tanh", "AvgPool2d", "Conv2d", "Tanh", "AvgPool2d", "Conv2d", "Tanh"]
    shapes = []
    x = mg.zeros(1, 1, 28, 28)
    for layer in model.features:
        x = layer(x)
        shapes.append(x.shape[1:])
    assert shapes[0] == (6, 28, 28) and shapes[2] == (6, 14, 14) and shapes[5] == (16, 5, 5) and shapes[7] == (120, 1, 1)


@pytest.mark.parametrize("size", [227, 195, 300])
def test_alexnet_paper_other_input_sizes(size):
    model = AlexNet(num_classes=5, input_size=size)
    model.eval()
    assert model(mg.zeros(1, 3, size, size)).shape == (1, 5)


@pytest.mark.parametrize("size", [63, 100, 224])
def test_alexnet_torchvision_takes_any_size(size):
    model = AlexNet(num_classes=3, variant="torchvision").eval()
    assert model(mg.zeros(1, 3, size, size)).shape == (1, 3)


def test_models_explain_inputs_they_cannot_take():
    with pytest.raises(ValueError, match=r"AlexNet: an input of size 60x60 is too small"):
        AlexNet(input_size=60)
    with pytest.raises(ValueError, match=r"LeNet5: this model was built for 28x28 inputs, got 32x32; create the model with LeNet5\(input_size=32\)"):
        LeNet5()(mg.zeros(1, 1, 32, 32))
    with pytest.raises(ValueError, match="expected 1 input channels, got 3"):
        LeNet5()(mg.zeros(1, 3, 28, 28))
    with pytest.raises(ValueError, match="unknown model 'vgg'; choose one of: lenet5, alexnet, simpleconvnet"):
        get_model("vgg")
    with pytest.raises(ValueError, match="variant"):
        AlexNet(variant="caffe")


def test_alexnet_paper_layers():
    model = AlexNet()
    lrn = [m for m in model.features if type(m).__name__ == "LocalResponseNorm"]
    assert len(lrn) == 2 and all((m.size, m.alpha, m.beta, m.k) == (5, 1e-4, 0.75, 2.0) for m in lrn)
    pools = [m for m in model.features if type(m).__name__ == "MaxPool2d"]
    assert len(pools) == 3 and all((m.kernel_size, m.stride) == (3, 2) for m in pools)
    assert [m.p for m in model.classifier if type(m).__name__ == "Dropout"] == [0.5, 0.5]
    assert [m.out_channels for m in model.features if type(m).__name__ == "Conv2d"] == [96, 256, 384, 384, 256]


def test_summary_table():
    info = mg.summary(LeNet5(), (1, 28, 28))
    text = str(info)
    assert "Conv2d: features.0" in text and "[1, 6, 28, 28]" in text and "Total params: 61,706" in text
    conv = next(r for r in info.rows if r.name == "features.0")
    assert conv.params == 156 and conv.mult_adds == 28 * 28 * 6 * 25
    fc = next(r for r in info.rows if r.name == "classifier.1")
    assert fc.mult_adds == 400 * 120
    assert info.total_mult_adds == sum(r.mult_adds for r in info.rows)
    alex = mg.summary(AlexNet(), (3, 227, 227))
    assert alex.total_params == 62_378_344 and alex.rows[0].output_shape == (1, 1000)


@needs_torch
def test_lenet_and_alexnet_match_pytorch_with_copied_weights():
    import torch
    import torch.nn as tnn

    class TorchLeNet(tnn.Module):
        def __init__(self):
            super().__init__()
            self.features = tnn.Sequential(tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2),
                                           tnn.Conv2d(6, 16, 5), tnn.ReLU(), tnn.MaxPool2d(2))
            self.classifier = tnn.Sequential(tnn.Flatten(), tnn.Linear(400, 120), tnn.ReLU(), tnn.Linear(120, 84),
                                             tnn.ReLU(), tnn.Linear(84, 10))

        def forward(self, x):
            return self.classifier(self.features(x))

    class TorchAlexNet(tnn.Module):
        def __init__(self):
            super().__init__()
            lrn = lambda: tnn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)  # noqa: E731
            self.features = tnn.Sequential(
                tnn.Conv2d(3, 96, 11, stride=4), tnn.ReLU(), lrn(), tnn.MaxPool2d(3, 2),
                tnn.Conv2d(96, 256, 5, padding=2), tnn.ReLU(), lrn(), tnn.MaxPool2d(3, 2),
                tnn.Conv2d(256, 384, 3, padding=1), tnn.ReLU(), tnn.Conv2d(384, 384, 3, padding=1), tnn.ReLU(),
                tnn.Conv2d(384, 256, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(3, 2))
            self.classifier = tnn.Sequential(tnn.Linear(9216, 4096), tnn.ReLU(), tnn.Dropout(), tnn.Linear(4096, 4096),
                                             tnn.ReLU(), tnn.Dropout(), tnn.Linear(4096, 1000))

        def forward(self, x):
            return self.classifier(torch.flatten(self.features(x), 1))

    for theirs, ours, shape in [(TorchLeNet(), LeNet5(), (4, 1, 28, 28)), (TorchAlexNet(), AlexNet(), (2, 3, 227, 227))]:
        theirs = theirs.double().eval()
        ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})  # unchanged keys
        ours.double().eval()
        x = np.random.default_rng(0).standard_normal(shape)
        out_t = theirs(torch.tensor(x, requires_grad=True))
        out_m = ours(mg.tensor(x, requires_grad=True))
        np.testing.assert_allclose(out_m.data, out_t.detach().numpy(), rtol=1e-9, atol=1e-11)
        out_t.sum().backward()
        out_m.sum().backward()
        for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            np.testing.assert_allclose(p.grad.data, q.grad.numpy(), rtol=1e-8, atol=1e-10, err_msg=name)


@needs_torch
def test_torchvision_alexnet_keys_and_outputs_match():
    import torch
    import torch.nn as tnn

    class TorchvisionAlexNet(tnn.Module):  # torchvision.models.alexnet, written out
        def __init__(self):
            super().__init__()
            self.features = tnn.Sequential(
                tnn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), tnn.ReLU(inplace=True), tnn.MaxPool2d(kernel_size=3, stride=2),
                tnn.Conv2d(64, 192, kernel_size=5, padding=2), tnn.ReLU(inplace=True), tnn.MaxPool2d(kernel_size=3, stride=2),
                tnn.Conv2d(192, 384, kernel_size=3, padding=1), tnn.ReLU(inplace=True),
                tnn.Conv2d(384, 256, kernel_size=3, padding=1), tnn.ReLU(inplace=True),
                tnn.Conv2d(256, 256, kernel_size=3, padding=1), tnn.ReLU(inplace=True), tnn.MaxPool2d(kernel_size=3, stride=2))
            self.avgpool = tnn.AdaptiveAvgPool2d((6, 6))
            self.classifier = tnn.Sequential(
                tnn.Dropout(p=0.5), tnn.Linear(256 * 6 * 6, 4096), tnn.ReLU(inplace=True),
                tnn.Dropout(p=0.5), tnn.Linear(4096, 4096), tnn.ReLU(inplace=True), tnn.Linear(4096, 1000))

        def forward(self, x):
            return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))

    theirs = TorchvisionAlexNet().eval()
    ours = AlexNet(variant="torchvision").eval()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours.features) == repr(theirs.features) and repr(ours.classifier) == repr(theirs.classifier)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((1, 3, 224, 224)).astype(np.float32)
    np.testing.assert_allclose(ours(mg.tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-3, atol=1e-4)
