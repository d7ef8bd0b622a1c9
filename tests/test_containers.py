"""ModuleDict, ParameterList, ParameterDict and Unflatten against PyTorch: the names that
parameters(), named_parameters() and state_dict() give, load_state_dict round trips, and the
dictionary and list behaviour."""
from collections import OrderedDict

import numpy as np
import pytest

import minigrad as mg
from minigrad.nn import Linear, Module, Parameter, ReLU
from minigrad.nn.modules.container import ModuleDict, ParameterDict, ParameterList
from minigrad.nn.modules.flatten import Unflatten

torch = pytest.importorskip("torch")


def _build(nn, containers):
    """The same model in both frameworks: a ModuleDict of layers, a ParameterList and a
    ParameterDict next to an ordinary layer."""
    ModuleDict_, ParameterList_, ParameterDict_ = containers
    zeros = (lambda *s: mg.zeros(*s)) if nn is None else (lambda *s: torch.zeros(*s))
    Linear_ = Linear if nn is None else torch.nn.Linear
    ReLU_ = ReLU if nn is None else torch.nn.ReLU
    Base = Module if nn is None else torch.nn.Module

    class Net(Base):
        def __init__(self):
            super().__init__()
            self.stem = Linear_(3, 4)
            self.heads = ModuleDict_(OrderedDict([("b", Linear_(4, 2)), ("a", ReLU_()), ("c", Linear_(4, 1))]))
            self.scales = ParameterList_([zeros(2), zeros(3, 1)])
            self.extra = ParameterDict_({"gamma": zeros(4), "beta": zeros(1)})

    return Net()


def _pair():
    ours = _build(None, (ModuleDict, ParameterList, ParameterDict))
    theirs = _build(torch.nn, (torch.nn.ModuleDict, torch.nn.ParameterList, torch.nn.ParameterDict))
    return ours, theirs


def test_names_and_shapes_match_torch():
    ours, theirs = _pair()
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [p.shape for p in ours.parameters()] == [tuple(p.shape) for p in theirs.parameters()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]


def test_load_state_dict_round_trip_with_torch():
    ours, theirs = _pair()
    for p in theirs.parameters():
        torch.nn.init.normal_(p)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    for (name, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        np.testing.assert_array_equal(a, b.detach().numpy(), err_msg=name)
    back = _pair()[1]
    back.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in ours.state_dict().items()})
    for a, b in zip(back.parameters(), theirs.parameters()):
        assert torch.equal(a, b)


def test_module_dict_behaves_like_an_ordered_dict():
    heads = ModuleDict({"x": Linear(2, 2)})
    heads["y"] = ReLU()
    heads.update([("z", Linear(2, 1)), ("x", Linear(2, 3))])  # replacing keeps the position
    assert list(heads) == list(heads.keys()) == ["x", "y", "z"] and len(heads) == 3
    assert heads["x"].out_features == 3 and "y" in heads and "w" not in heads
    assert [type(m).__name__ for m in heads.values()] == ["Linear", "ReLU", "Linear"]
    assert [k for k, _ in heads.items()] == ["x", "y", "z"]
    popped = heads.pop("y")
    assert isinstance(popped, ReLU) and list(heads) == ["x", "z"]
    del heads["z"]
    assert list(heads.state_dict()) == ["x.weight", "x.bias"]
    heads.clear()
    assert len(heads) == 0 and list(heads.parameters()) == []
    with pytest.raises(TypeError):
        heads.update(3)
    with pytest.raises(ValueError, match="length 3"):
        heads.update([("a", ReLU(), 1)])
    assert repr(ModuleDict({"act": ReLU()})) == repr(torch.nn.ModuleDict({"act": torch.nn.ReLU()}))


def test_parameter_list_behaves_like_a_list():
    params = ParameterList([mg.zeros(2)])
    assert isinstance(params[0], Parameter) and params[0].requires_grad  # a plain Tensor is wrapped
    params.append(Parameter(mg.ones(3)))
    params += [mg.ones(1)]
    params.extend([mg.zeros(4)])
    assert len(params) == 4 and [tuple(p.shape) for p in params] == [(2,), (3,), (1,), (4,)]
    assert params[-1] is params[3] and len(params[1:3]) == 2 and isinstance(params[1:3], ParameterList)
    params[0] = mg.full((5,), 2.0)
    assert params[0].shape == (5,) and [n for n, _ in params.named_parameters()] == ["0", "1", "2", "3"]
    with pytest.raises(IndexError):
        params[4]
    with pytest.raises(TypeError):
        params.extend(mg.zeros(2))
    with pytest.raises(RuntimeError, match="should not be called"):
        params()
    for count in (1, 2):
        theirs = torch.nn.ParameterList([torch.zeros(2, 3, dtype=torch.float64)] * count)
        ours = ParameterList([mg.zeros(2, 3, dtype=mg.float64)] * count)
        assert repr(ours) == repr(theirs).replace("torch.", "minigrad.")


def test_parameter_dict_behaves_like_a_dict():
    params = ParameterDict({"w": mg.ones(2)})
    params["b"] = mg.zeros(1)
    params.update(OrderedDict([("c", Parameter(mg.ones(3))), ("w", mg.zeros(2))]))
    assert list(params) == list(params.keys()) == ["w", "b", "c"] and len(params) == 3
    assert isinstance(params["b"], Parameter) and "c" in params and "z" not in params
    assert params.get("z") is None and params.setdefault("d", mg.ones(1)).shape == (1,)
    assert list(reversed(params)) == ["d", "c", "b", "w"]
    assert [k for k, _ in params.items()] == ["w", "b", "c", "d"] and len(list(params.values())) == 4
    assert params.popitem()[0] == "d" and params.pop("b").shape == (1,)
    assert list(params.state_dict()) == ["w", "c"] and list(params.copy()) == ["w", "c"]
    assert list(params.fromkeys(["p", "q"], mg.ones(2)).state_dict()) == ["p", "q"]
    assert list(ParameterDict({"z": mg.ones(1), "a": mg.ones(1)})) == ["a", "z"]  # a plain dict: sorted, as torch
    with pytest.raises(TypeError, match="not a string"):
        params[1] = mg.ones(1)
    with pytest.raises(KeyError):
        params["missing"]
    params.clear()
    assert len(params) == 0 and list(params.parameters()) == []


@pytest.mark.parametrize("shape,dim,sizes", [((4, 6), 1, (2, 3)), ((4, 6), -1, (3, -1)), ((6, 5), 0, [2, 3]),
                                             ((2, 12, 3), 1, (2, 2, 3))])
def test_unflatten_matches_torch(shape, dim, sizes):
    x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    ours, theirs = Unflatten(dim, sizes), torch.nn.Unflatten(dim, sizes)
    assert repr(ours) == repr(theirs)
    np.testing.assert_array_equal(ours(mg.tensor(x)).data, theirs(torch.tensor(x)).numpy())
    t = mg.tensor(x, requires_grad=True)
    (ours(t) * 2).sum().backward()
    np.testing.assert_array_equal(t.grad.data, np.full(shape, 2.0))


def test_unflatten_errors():
    with pytest.raises(TypeError, match="tuple of ints"):
        Unflatten(1, 6)
    with pytest.raises(TypeError, match="element of type float at pos 0"):
        Unflatten(1, (2.0, 3))
    with pytest.raises(RuntimeError, match="don't multiply up to the size of dim 1"):
        Unflatten(1, (2, 2))(mg.zeros(2, 5))
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        Unflatten(1, (-1, -1))(mg.zeros(2, 6))
    with pytest.raises(IndexError):
        Unflatten(3, (2, 3))(mg.zeros(2, 6))
