"""ONNX export: each model is written, checked by onnx, and run by onnxruntime at two batch
sizes (the batch dimension is dynamic) against minigrad's own forward pass."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def export_and_compare(model, item_shape, tmp_path, batches=(2, 3), op_types=None, name="model.onnx"):
    """Export on a batch of ``batches[0]``, then compare onnxruntime with minigrad at every
    batch size (within 1e-5 of the output's scale); returns the loaded ONNX model."""
    path = tmp_path / name
    mg.onnx.export(model, mg.randn(batches[0], *item_shape), path)
    loaded = onnx.load(path)
    onnx.checker.check_model(loaded)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    model.eval()
    for batch in batches:
        x = mg.randn(batch, *item_shape)
        expected = model(x)._data
        (got,) = session.run(None, {"input": x._data})
        assert got.shape == expected.shape
        scale = max(1.0, float(np.abs(expected).max()))
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5 * scale)
    if op_types is not None:
        assert [node.op_type for node in loaded.graph.node] == op_types
    return loaded


def initializer_names(proto) -> set:
    return {i.name for i in proto.graph.initializer}


LENET_MODERN = ["Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm", "Relu", "Gemm"]
LENET_CLASSIC = ["Conv", "Tanh", "AveragePool", "Conv", "Tanh", "AveragePool", "Conv", "Tanh", "Flatten", "Gemm",
                 "Tanh", "Gemm"]
ALEXNET_PAPER = ["Conv", "Relu", "LRN", "MaxPool", "Conv", "Relu", "LRN", "MaxPool"] + ["Conv", "Relu"] * 3 + [
    "MaxPool", "Flatten", "Gemm", "Relu", "Gemm", "Relu", "Gemm"]


@pytest.mark.parametrize("variant, op_types", [("modern", LENET_MODERN), ("classic", LENET_CLASSIC)])
def test_lenet5(variant, op_types, tmp_path):
    model = mg.models.LeNet5(variant=variant)
    proto = export_and_compare(model, (1, 28, 28), tmp_path, op_types=op_types)
    assert initializer_names(proto) == set(model.state_dict())


def test_simpleconvnet(tmp_path):
    model = mg.models.SimpleConvNet()
    proto = export_and_compare(model, (1, 28, 28), tmp_path,
                               op_types=["Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm"])
    assert initializer_names(proto) == set(model.state_dict())
    dims = [d.dim_param or d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["batch", 1, 28, 28]
    assert [d.dim_param or d.dim_value for d in proto.graph.output[0].type.tensor_type.shape.dim] == ["batch", 10]


def test_alexnet_paper(tmp_path):
    model = mg.models.AlexNet(num_classes=10, input_size=67)  # the smallest input the paper's layers allow
    proto = export_and_compare(model, (3, 67, 67), tmp_path, batches=(1, 2), op_types=ALEXNET_PAPER)
    assert initializer_names(proto) == set(model.state_dict())
    lrn = next(node for node in proto.graph.node if node.op_type == "LRN")
    attributes = {a.name: onnx.helper.get_attribute_value(a) for a in lrn.attribute}
    assert attributes == pytest.approx({"size": 5, "alpha": 1e-4, "beta": 0.75, "bias": 2.0})


def test_alexnet_torchvision_adaptive_pool(tmp_path):
    # at 100x100 the features are 2x2, which 6x6 adaptive pooling cannot divide: constant matmuls
    model = mg.models.AlexNet(variant="torchvision", num_classes=10)
    proto = export_and_compare(model, (3, 100, 100), tmp_path, batches=(1, 2))
    params = set(model.state_dict())
    assert params <= initializer_names(proto)
    assert all(name.startswith("avgpool.constant") for name in initializer_names(proto) - params)
    assert [n.op_type for n in proto.graph.node][12:17] == ["MaxPool", "MatMul", "MatMul", "Div", "Flatten"]


def test_lrn_matches_onnx_convention(tmp_path):
    # alpha large enough that a wrong convention (alpha vs alpha / size) would show
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(7, 7, 1)

        def forward(self, x):
            return F.local_response_norm(self.conv(x), size=3, alpha=2.0, beta=0.75, k=1.5)

    export_and_compare(Net(), (7, 4, 4), tmp_path, op_types=["Conv", "LRN"])


def test_pooling_and_conv_options(tmp_path):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(4, 6, 3, stride=2, padding=(1, 2), dilation=(1, 2), groups=2)

        def forward(self, x):
            x = F.max_pool2d(self.conv(x), 3, stride=2, padding=1, ceil_mode=True)
            # 4x4 -> 3x3: the last windows overhang the padding, and PyTorch does not count the overhang
            a = F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True)
            b = F.avg_pool2d(a, 3, stride=1, padding=1, count_include_pad=False)
            c = F.avg_pool2d(b, 3, stride=1, padding=1, divisor_override=2)
            return F.adaptive_avg_pool2d(c, 1).flatten(1)

    export_and_compare(Net(), (4, 13, 11), tmp_path,
                       op_types=["Conv", "MaxPool", "AveragePool", "Mul", "AveragePool", "AveragePool", "Mul",
                                 "GlobalAveragePool", "Flatten"])


def test_elementwise_shape_and_constants(tmp_path):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(6, 5)

        def forward(self, x):
            x = (x * 2.0 - 1.0) / 4.0 + 0.5           # preprocessing of the input alone is recorded too
            x = x.permute(0, 2, 1)                      # (N, 6, 3)... then a 3-D linear: MatMul + Add
            y = self.fc(x.permute(0, 2, 1).reshape(-1, 3, 6))
            y = y.sigmoid() + y.tanh() * y.exp() - y.relu()
            y = y.reshape(y.shape[0], 5, 3)             # Reshape to (0, 5, 3): the batch stays dynamic
            return F.log_softmax(y.flatten(1), dim=1) + F.softmax(y, dim=-1).reshape(-1, 15)

    proto = export_and_compare(Net(), (3, 6), tmp_path)
    ops = {node.op_type for node in proto.graph.node}
    assert {"Transpose", "MatMul", "Add", "Sub", "Mul", "Div", "Sigmoid", "Tanh", "Exp", "Relu", "LogSoftmax",
            "Softmax", "Reshape"} <= ops


def test_unsupported_op_names_it(tmp_path):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            return self.fc(x).cumsum(1)

    with pytest.raises(mg.onnx.ExportError, match=r"'Cumsum'.*supported ops: .*Convolution"):
        mg.onnx.export(Net(), mg.randn(2, 4), tmp_path / "net.onnx")
    assert not (tmp_path / "net.onnx").exists()


def test_even_lrn_size_is_refused(tmp_path):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(4, 4, 1)

        def forward(self, x):
            return F.local_response_norm(self.conv(x), size=4)

    with pytest.raises(mg.onnx.ExportError, match="even size"):
        mg.onnx.export(Net(), mg.randn(1, 4, 2, 2), tmp_path / "net.onnx")


def test_model_and_input_are_left_as_they_were(tmp_path):
    model = mg.models.LeNet5()
    model.train()
    x = mg.randn(2, 1, 28, 28)
    mg.onnx.export(model, x, tmp_path / "lenet.onnx", input_names=["images"], output_names=["logits"],
                   dynamic_batch=False)
    assert model.training and not x.requires_grad and x.grad_fn is None
    proto = onnx.load(tmp_path / "lenet.onnx")
    assert [i.name for i in proto.graph.input] == ["images"] and [o.name for o in proto.graph.output] == ["logits"]
    assert [d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim] == [2, 1, 28, 28]


def test_alexnet_torchvision_at_224(tmp_path):
    model = mg.models.AlexNet(variant="torchvision", num_classes=10)  # 6x6 features: no pooling node at all
    proto = export_and_compare(model, (3, 224, 224), tmp_path, batches=(1, 2))
    assert initializer_names(proto) == set(model.state_dict())
    assert "MatMul" not in {node.op_type for node in proto.graph.node}


def test_export_model_from_a_checkpoint(tmp_path):
    # what `minigrad export MODEL -o FILE --checkpoint CKPT` runs
    model = mg.models.LeNet5()
    config = {"model": "lenet5", "variant": "modern", "num_classes": 10, "image_size": 28}
    mg.save({"model": model.state_dict(), "config": config}, tmp_path / "checkpoint.npz")
    path = tmp_path / "lenet.onnx"
    from minigrad import cli

    assert cli.main(["export", "lenet5", "-o", str(path), "--batch-size", "2", "--checkpoint", str(tmp_path / "checkpoint.npz")]) == 0
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = mg.randn(3, 1, 28, 28)
    model.eval()
    np.testing.assert_allclose(session.run(None, {"input": x._data})[0], model(x)._data, rtol=1e-5, atol=1e-6)


def test_nodes_are_named_after_their_modules_and_the_export_unregisters_itself(tmp_path):
    from minigrad.autograd.hooks import callbacks

    before = callbacks.record
    proto = mg.onnx.to_onnx(mg.models.LeNet5(), mg.randn(2, 1, 28, 28))
    assert [node.name for node in proto.graph.node][:4] == [
        "features.0/Conv", "features.1/Relu", "features.2/MaxPool", "features.3/Conv"]
    assert callbacks.record == before
    with pytest.raises(mg.onnx.ExportError):
        mg.onnx.export(nn.Sequential(nn.Linear(4, 4), nn.Softplus()), mg.randn(2, 4), tmp_path / "net.onnx")
    assert callbacks.record == before
