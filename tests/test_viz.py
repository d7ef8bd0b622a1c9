"""Graph drawing: nodes and edges match the recorded ops, clusters follow modules, rendering
with and without the `dot` program, deep graphs, collapsing and gradient shading."""
import re
import shutil

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's `dot` is not installed (apt-get install graphviz)")

NODE = re.compile(r'^\s*(n\d+|truncated) \[label=(?:"((?:[^"\\]|\\.)*)"|(\S+))(.*)\]$', re.S)
EDGE = re.compile(r"^\s*(\S+) -> (\S+)")


def parse(graph):
    """Nodes ``{id: (label, attributes, cluster path)}`` and edges ``[(a, b)]`` of a drawing."""
    nodes, edges, clusters = {}, [], []
    text = "".join(graph.body)
    for raw in re.split(r"\n(?=\t)", text):
        line = raw.strip("\n")
        stripped = line.strip()
        if stripped.startswith("subgraph"):
            clusters.append(None)
            continue
        if stripped.startswith("label=") or (stripped.startswith("color=") and "label=" in stripped):
            if clusters and clusters[-1] is None:
                m = re.search(r'label="((?:[^"\\]|\\.)*)"|label=(\S+)', stripped)
                clusters[-1] = (m.group(1) or m.group(2)) if m else ""
            continue
        if stripped == "}":
            if clusters:
                clusters.pop()
            continue
        m = NODE.match(stripped)
        if m:
            label = m.group(2) if m.group(2) is not None else m.group(3)
            nodes[m.group(1)] = (label, m.group(4), tuple(c for c in clusters if c))
            continue
        m = EDGE.match(stripped)
        if m:
            edges.append((m.group(1), m.group(2).rstrip(";")))
    return nodes, edges


def ops(nodes):
    return {k: v for k, v in nodes.items() if "#e8eaf6" in v[1]}


def tensors(nodes, kind_color):
    return {k: v for k, v in nodes.items() if kind_color in v[1]}


def test_small_expression_nodes_and_edges_match_the_recorded_ops():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    w = mg.tensor([3.0, 4.0], requires_grad=True)
    x.name, w.name = "x", "w"
    y = (x * w + x).sum()
    nodes, edges = parse(mg.viz.draw_graph(y))
    op_labels = sorted(v[0].split("\n")[0] for v in ops(nodes).values())
    assert op_labels == ["Add", "Mul", "Sum"]
    inputs = tensors(nodes, "#bbdefb")
    assert sorted(v[0].split("\n")[0] for v in inputs.values()) == ["w", "x"]
    assert len(tensors(nodes, "#f5f5f5")) == 2 and len(tensors(nodes, "#ffe0b2")) == 1  # intermediates, output
    by_label = {v[0].split("\n")[0]: k for k, v in nodes.items()}
    assert (by_label["x"], by_label["Mul"]) in edges and (by_label["x"], by_label["Add"]) in edges
    assert (by_label["w"], by_label["Mul"]) in edges
    assert len(edges) == 8  # x->Mul, w->Mul, Mul->t, t->Add, x->Add, Add->t, t->Sum, Sum->out
    assert "(2,)\nfloat32" in nodes[by_label["x"]][0]


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
    model = Net()
    images = mg.randn(5, 1, 4, 4)
    images.name = "images"
    nodes, edges = parse(mg.viz.draw_graph(model(images), params=model))
    conv = next(v for v in ops(nodes).values() if v[0].startswith("conv2d"))
    assert "stride=(1, 1)" in conv[0] and "padding=(1, 1)" in conv[0]
    assert conv[2] == ("Net", "block: Block", "block.conv: Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))")
    relu = next(v for v in ops(nodes).values() if v[0] == "Relu")
    assert relu[2] == ("Net", "block: Block", "block.act: ReLU()")
    params = {v[0].split("\n")[0]: v for v in tensors(nodes, "#c8e6c9").values()}
    assert set(params) == {"block.conv.weight", "block.conv.bias", "head.weight", "head.bias"}
    assert "(2, 1, 3, 3)\nfloat32" in params["block.conv.weight"][0]
    image = next(v for v in tensors(nodes, "#bbdefb").values())
    assert image[0].startswith("images\n(5, 1, 4, 4)")
    assert any("(5, 2, 4, 4)" in v[0] for v in tensors(nodes, "#f5f5f5").values())


def test_the_same_model_draws_the_same_dot_source_every_time():
    first_model, second_model = Net(), Net()
    first = mg.viz.draw_graph(first_model(mg.randn(5, 1, 4, 4)), params=first_model).source
    second = mg.viz.draw_graph(second_model(mg.randn(5, 1, 4, 4)), params=second_model).source
    assert "subgraph cluster_0" in first and first == second  # clusters are numbered, not named by id()


def test_ops_of_a_composite_are_one_node_and_attributes_are_shown():
    x = mg.randn(2, 3, 8, 8, requires_grad=True)
    out = F.dropout(F.local_response_norm(F.max_pool2d(x, 3, 2), 5), 0.25)
    labels = [v[0] for v in ops(parse(mg.viz.draw_graph(out))[0]).values()]
    assert any(lbl.startswith("MaxPool2d\nkernel=(3, 3), stride=(2, 2)") for lbl in labels)
    assert any(lbl.startswith("LocalResponseNorm\nsize=5") for lbl in labels)
    assert any(lbl.startswith("Dropout\np=0.25") for lbl in labels)
    assert len(labels) == 3


def test_several_outputs_in_one_drawing():
    x = mg.tensor([1.0], requires_grad=True)
    a, b = x * 2, x.exp()
    nodes, _ = parse(mg.viz.draw_graph(a, b))
    assert len(tensors(nodes, "#ffe0b2")) == 2 and len(ops(nodes)) == 2


def test_deep_chain_draws_without_recursion_and_truncates_with_a_note():
    x = mg.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    nodes, _ = parse(mg.viz.draw_graph(y, max_nodes=300))
    assert len([k for k in nodes if k.startswith("n")]) == 300
    assert "more nodes not shown (max_nodes=300)" in nodes["truncated"][0]
    folded, _ = parse(mg.viz.draw_graph(y, collapse_repeats=True))
    assert [v[0].split("\n")[0] for v in ops(folded).values()] == ["Mul ×100000"]


def test_collapse_repeats_folds_identical_blocks():
    model = mg.models.AlexNet()
    model.eval()
    nodes, _ = parse(mg.viz.draw_graph(model(mg.zeros(1, 3, 227, 227)), collapse_repeats=True))
    labels = [v[0] for v in ops(nodes).values()]
    assert "(Conv2d → ReLU → LocalResponseNorm → MaxPool2d) ×2\nfeatures.0 … features.7" in labels
    assert "(Conv2d → ReLU) ×3\nfeatures.8 … features.13" in labels


def test_show_grads_labels_norms_and_shades_edges():
    model = Net()
    loss = F.cross_entropy(model(mg.randn(5, 1, 4, 4)), mg.tensor(np.array([0, 1, 2, 0, 1])))
    with mg.autograd.record_grad_norms():
        loss.backward()
    graph = mg.viz.draw_graph(loss, params=model, show_grads=True)
    nodes, _ = parse(graph)
    weight = next(v for v in nodes.values() if v[0].startswith("head.weight"))
    assert f"|grad| = {np.linalg.norm(model.head.weight.grad.data):.3g}" in weight[0]
    assert sum("|grad| =" in v[0] for v in tensors(nodes, "#f5f5f5").values()) >= 3
    assert "penwidth" in graph.source and "|grad| = 1" in graph.source  # d loss / d loss


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
