"""Graph drawing: the graph model's nodes and edges match the recorded ops, clusters follow
modules, composites are one node, deep graphs, collapsing and gradient norms; then rendering
with and without the `dot` program."""
import gc
import shutil
import threading
import weakref

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's `dot` is not installed (apt-get install graphviz)")


def names(nodes):
    return sorted(node.name for node in nodes)


def edges(model):
    return {(edge.source, edge.target) for edge in model.edges}


# -- the graph model ----------------------------------------------------------------------------------
def test_small_expression_nodes_and_edges_match_the_recorded_ops():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    w = mg.tensor([3.0, 4.0], requires_grad=True)
    x.name, w.name = "x", "w"
    model = mg.viz.build_graph((x * w + x).sum())
    assert names(model.of_kind("op")) == ["Add", "Mul", "Sum"]
    assert names(model.of_kind("input")) == ["w", "x"]
    assert len(model.of_kind("intermediate")) == 2 and len(model.of_kind("output")) == 1
    assert not model.of_kind("parameter") and model.hidden == 0
    node = {name: model.named(name).id for name in ("x", "w", "Mul", "Add", "Sum", "output")}
    assert {(node["x"], node["Mul"]), (node["w"], node["Mul"]), (node["x"], node["Add"]),
            (node["Sum"], node["output"])} <= edges(model)
    assert len(model.edges) == 8  # x->Mul, w->Mul, Mul->t, t->Add, x->Add, Add->t, t->Sum, Sum->out
    assert {e.kind for e in model.edges if e.source == node["Sum"]} == {"output"}
    assert {e.kind for e in model.edges if e.target == node["Sum"]} == {"input"}
    assert (model.named("x").shape, model.named("x").dtype) == ((2,), "float32")
    assert model.named("x").label == "x\n(2,)\nfloat32"
    assert model.clusters_of(node["Mul"]) == ()  # no module, no cluster


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.conv(x))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.head = nn.Linear(2 * 4 * 4, 3)

    def forward(self, x):
        return self.head(self.block(x).flatten(1))


def test_nested_modules_give_nested_clusters_with_names_shapes_and_parameters():
    net = Net()
    images = mg.randn(5, 1, 4, 4)
    images.name = "images"
    model = mg.viz.build_graph(net(images), params=net)
    conv = model.named("conv2d")
    assert "stride=(1, 1)" in conv.details and "padding=(1, 1)" in conv.details
    assert model.clusters_of(conv.id) == (
        "Net", "block: Block", "block.conv: Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))")
    assert model.clusters_of(model.named("Relu").id) == ("Net", "block: Block", "block.act: ReLU()")
    params = {node.name: node for node in model.of_kind("parameter")}
    assert set(params) == {"block.conv.weight", "block.conv.bias", "head.weight", "head.bias"}
    assert params["block.conv.weight"].shape == (2, 1, 3, 3) and params["block.conv.weight"].dtype == "float32"
    assert model.clusters_of(params["head.weight"].id)[-1].startswith("head: Linear")  # with its layer
    (image,) = model.of_kind("input")
    assert (image.name, image.shape) == ("images", (5, 1, 4, 4))
    assert model.clusters_of(image.id) == ()
    assert (image.id, conv.id) in edges(model)
    assert any(node.shape == (5, 2, 4, 4) for node in model.of_kind("intermediate"))
    flat = mg.viz.build_graph(net(images), group_modules=False)
    assert flat.root.clusters == [] and len(flat.root.nodes) == len(flat.nodes)


def test_ops_of_a_composite_are_one_node_with_its_constant_inputs():
    logits = mg.randn(4, 3, requires_grad=True)
    labels = mg.tensor(np.array([0, 1, 2, 0]))
    labels.name = "labels"
    model = mg.viz.build_graph(F.cross_entropy(logits, labels))
    (op,) = model.of_kind("op")  # log_softmax and the nll inside are not drawn on their own
    assert (op.name, op.details) == ("cross_entropy", "reduction=mean")
    assert names(model.of_kind("input")) == ["input", "labels"]
    assert not model.of_kind("intermediate")  # what passes between the parts stays inside
    assert all((node.id, op.id) in edges(model) for node in model.of_kind("input"))


def test_attributes_of_ops_are_shown():
    x = mg.randn(2, 3, 8, 8, requires_grad=True)
    out = F.dropout(F.local_response_norm(F.max_pool2d(x, 3, 2), 5), 0.25)
    ops = mg.viz.build_graph(out).of_kind("op")
    details = {node.name: node.details for node in ops}
    assert details["MaxPool2d"].startswith("kernel=(3, 3), stride=(2, 2)")
    assert details["LocalResponseNorm"].startswith("size=5")
    assert details["Dropout"].startswith("p=0.25")
    assert len(ops) == 3
    scaled = mg.viz.build_graph(x * 2.0)  # a scalar constant becomes an attribute, not a node
    assert [node.details for node in scaled.of_kind("op")] == ["const=2"] and names(scaled.of_kind("input")) == ["input"]


def test_several_outputs_in_one_drawing():
    x = mg.tensor([1.0], requires_grad=True)
    a, b = x * 2, x.exp()
    model = mg.viz.build_graph(a, b)
    assert names(model.of_kind("output")) == ["output 0", "output 1"] and len(model.of_kind("op")) == 2
    leaf = mg.viz.build_graph(x)  # a leaf on its own
    assert [(node.kind, node.name) for node in leaf.nodes.values()] == [("input", "input")]


def test_deep_chain_draws_without_recursion_and_truncates():
    x = mg.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    model = mg.viz.build_graph(y, max_nodes=300)
    assert len(model.nodes) == 300 and model.hidden == 200_001 - 300 and model.max_nodes == 300
    assert list(model.nodes.values())[0].kind == "output"  # the nodes nearest the outputs are kept
    folded = mg.viz.build_graph(y, collapse_repeats=True)
    assert [node.name for node in folded.of_kind("op")] == ["Mul ×100000"]
    assert [node.details for node in folded.of_kind("op")] == ["const=1"]


def test_collapse_repeats_folds_identical_blocks():
    alexnet = mg.models.AlexNet()
    alexnet.eval()
    model = mg.viz.build_graph(alexnet(mg.zeros(1, 3, 227, 227)), collapse_repeats=True)
    labels = [node.label for node in model.of_kind("op")]
    assert "(Conv2d → ReLU → LocalResponseNorm → MaxPool2d) ×2\nfeatures.0 … features.7" in labels
    assert "(Conv2d → ReLU) ×3\nfeatures.8 … features.13" in labels
    run = model.named("(Conv2d → ReLU) ×3")
    assert model.clusters_of(run.id) == ("AlexNet", "features: Sequential")


def test_clusters_stop_at_a_maximum_depth():
    deep = nn.Linear(2, 2)
    for _ in range(40):
        deep = nn.Sequential(deep)
    model = mg.viz.build_graph(deep(mg.ones(1, 2)).sum())
    linear = model.named("Linear")
    assert len(model.clusters_of(linear.id)) == mg.viz.model.MAX_CLUSTER_DEPTH
    assert model.named(".".join(["0"] * 40) + ".weight").kind == "parameter"


def test_show_grads_gives_norms_of_parameters_and_recorded_intermediates():
    net = Net()
    loss = F.cross_entropy(net(mg.randn(5, 1, 4, 4)), mg.tensor(np.array([0, 1, 2, 0, 1])))
    with mg.viz.record_grad_norms():
        loss.backward()
    model = mg.viz.build_graph(loss, params=net, show_grads=True)
    weight = model.named("head.weight")
    assert weight.grad_norm == pytest.approx(np.linalg.norm(net.head.weight.grad.numpy()))
    assert f"|grad| = {weight.grad_norm:.3g}" in weight.label
    assert sum(node.grad_norm is not None for node in model.of_kind("intermediate")) >= 3
    (out,) = model.of_kind("output")
    assert out.grad_norm == 1.0 and "|grad| = 1" in out.label  # d loss / d loss
    carried = [edge.grad_norm for edge in model.edges if edge.kind == "input"]
    assert any(norm is not None for norm in carried)
    low, high = model.grad_range
    assert low < high
    without = mg.viz.build_graph(loss, params=net)
    assert not without.show_grads and "|grad|" not in without.named("head.weight").label


def test_intermediates_have_no_norm_without_record_grad_norms():
    x = mg.tensor([3.0, 4.0], requires_grad=True)
    y = x * 1.0
    (y * y).sum().backward(retain_graph=True)
    model = mg.viz.build_graph(y, show_grads=True)
    assert model.named("output").grad_norm is None and model.named("output").label.endswith("grad: n/a")
    with mg.viz.record_grad_norms():
        with mg.viz.record_grad_norms():  # nested: still one record per node
            (y * y).sum().backward()
    assert mg.viz.build_graph(y, show_grads=True).named("output").grad_norm == pytest.approx(10.0)
    assert not mg.autograd.hooks.callbacks.backward  # both blocks unregistered


def test_module_labels_are_per_thread():
    """A model running in one thread must not put another thread's ops in its clusters."""
    inside, started, done = threading.Event(), threading.Event(), {}

    class Waits(nn.Module):
        def forward(self, x):
            started.set()
            inside.wait(5)
            return x * 2.0

    def run_model():
        done["out"] = Waits()(mg.ones(1, requires_grad=True))

    thread = threading.Thread(target=run_model)
    thread.start()
    started.wait(5)
    mine = mg.ones(1, requires_grad=True) * 3.0  # recorded here while the other thread is in forward
    inside.set()
    thread.join()
    assert mg.viz.build_graph(mine).root.clusters == []
    theirs = mg.viz.build_graph(done["out"])
    assert [c.label for c in theirs.root.clusters] == ["Waits()"]


def test_drawing_keeps_no_graph_alive():
    x = mg.tensor([1.0], requires_grad=True)
    y = (x * 2.0).exp()
    with mg.viz.record_grad_norms():
        y.backward(retain_graph=True)
    node = weakref.ref(y.grad_fn)
    mg.viz.build_graph(y)
    del y
    gc.collect()
    assert node() is None


def test_outputs_must_be_tensors():
    with pytest.raises(ValueError, match="at least one output"):
        mg.viz.draw_graph()
    with pytest.raises(TypeError, match="must be Tensors, got list"):
        mg.viz.draw_graph([mg.ones(1)])


# -- rendering ----------------------------------------------------------------------------------------
def test_rendering_draws_every_node_edge_cluster_and_the_legend():
    net = Net()
    loss = F.cross_entropy(net(mg.randn(5, 1, 4, 4)), mg.tensor(np.array([0, 1, 2, 0, 1])))
    with mg.viz.record_grad_norms():
        loss.backward()
    model = mg.viz.build_graph(loss, params=net, show_grads=True)
    graph = mg.viz.render(model, rankdir="LR")
    source = graph.source
    assert isinstance(graph, mg.viz.Graph) and "rankdir=LR" in source
    assert all(f"\t{node_id} [label=" in source for node_id in model.nodes)
    assert all(f"{e.source} -> {e.target}" in source for e in model.edges)
    assert source.count("subgraph cluster_") == 1 + 5  # the legend and Net, block, conv, act, head
    assert "penwidth" in source and "legend_grads" in source
    assert mg.viz.draw_graph(loss, params=net, show_grads=True, rankdir="LR").source == source


def test_the_same_model_draws_the_same_dot_source_every_time():
    first_model, second_model = Net(), Net()
    first = mg.viz.draw_graph(first_model(mg.randn(5, 1, 4, 4)), params=first_model).source
    second = mg.viz.draw_graph(second_model(mg.randn(5, 1, 4, 4)), params=second_model).source
    assert "subgraph cluster_0" in first and first == second  # clusters are numbered, not named by id()


def test_left_out_nodes_are_noted():
    x = mg.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(500):
        y = y * 1.0
    source = mg.viz.draw_graph(y, max_nodes=300).source
    assert "n299 [" in source and "n300 [" not in source
    assert "… 701 more nodes not shown (max_nodes=300)" in source


@needs_dot
def test_real_svg_rendered_by_dot(tmp_path):
    model = mg.models.LeNet5()
    graph = mg.viz.draw_graph(model(mg.zeros(2, 1, 28, 28)), params=model)
    path = mg.viz.save(graph, tmp_path / "lenet.svg")
    text = path.read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text and "features.0.weight" in text
    assert (tmp_path / "lenet.dot").exists()
    graph.render(tmp_path / "again", format="pdf")
    assert (tmp_path / "again.pdf").read_bytes().startswith(b"%PDF")


def test_missing_dot_keeps_the_source_and_explains_how_to_install(tmp_path, monkeypatch):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    x = mg.tensor([1.0], requires_grad=True)
    graph = mg.viz.draw_graph(x * 2)
    with pytest.raises(mg.viz.GraphvizNotFoundError) as info:
        mg.viz.save(graph, tmp_path / "g.svg")
    message = str(info.value)
    for hint in ("apt-get install graphviz", "brew install graphviz", "conda install", "graphviz.org/download"):
        assert hint in message
    assert str(tmp_path / "g.dot") in message and (tmp_path / "g.dot").read_text().startswith("digraph")
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        graph.render(tmp_path / "h", format="png")
