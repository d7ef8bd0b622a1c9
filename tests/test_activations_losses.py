"""The pointwise activations, the elementwise losses, one_hot and normalize against PyTorch:
values, gradients and gradients of gradients in float64 (at the kinks too), numerical gradient
checks away from the kinks, in-place forms, module configurations and errors."""
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad.nn.functional import elementwise_loss as L
from minigrad.nn.functional import encoding as E
from minigrad.nn.functional import pointwise_activation as A
from minigrad.nn.modules import elementwise_loss as LM
from minigrad.nn.modules import pointwise_activation as AM
from helpers import check_op, needs_torch, rng

torch = pytest.importorskip("torch")
TF = torch.nn.functional

# name, minigrad function, torch function (both take the input first, then the same keywords)
ACTIVATIONS = [
    ("leaky_relu", lambda x: A.leaky_relu(x), lambda x: TF.leaky_relu(x)),
    ("leaky_relu_0.2", lambda x: A.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2)),
    ("leaky_relu_neg", lambda x: A.leaky_relu(x, -0.3), lambda x: TF.leaky_relu(x, -0.3)),
    ("elu", lambda x: A.elu(x), lambda x: TF.elu(x)),
    ("elu_0.5", lambda x: A.elu(x, 0.5), lambda x: TF.elu(x, 0.5)),
    ("gelu", lambda x: A.gelu(x), lambda x: TF.gelu(x)),
    ("gelu_tanh", lambda x: A.gelu(x, approximate="tanh"), lambda x: TF.gelu(x, approximate="tanh")),
    ("silu", A.silu, TF.silu),
    ("softplus", lambda x: A.softplus(x), lambda x: TF.softplus(x)),
    ("softplus_beta", lambda x: A.softplus(x, 2.0, 3.0), lambda x: TF.softplus(x, 2.0, 3.0)),
    ("softplus_neg_beta", lambda x: A.softplus(x, -1.5), lambda x: TF.softplus(x, -1.5)),
    ("hardtanh", lambda x: A.hardtanh(x), lambda x: TF.hardtanh(x)),
    ("hardtanh_bounds", lambda x: A.hardtanh(x, -0.5, 2.0), lambda x: TF.hardtanh(x, -0.5, 2.0)),
    ("logsigmoid", A.logsigmoid, TF.logsigmoid),
]
IDS = [name for name, _, _ in ACTIVATIONS]

# the kinks (0, the hardtanh bounds, the softplus thresholds), values beside them, and extremes
KINKS = np.array([0.0, -0.0, 1.0, -1.0, -0.5, 2.0, 1.5, 10.0, 20.0, -13.333333333333334])
AROUND = np.concatenate([KINKS + 1e-7, KINKS - 1e-7, [-3.7, -0.9, 0.3, 0.7, 4.2]])
EXTREMES = np.array([-1e4, -800.0, -60.0, -30.0, 30.0, 60.0, 800.0, 1e4])


def _torch(array):
    return torch.tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


def _mg(array):
    return mg.tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


def _close(got, want, rtol=1e-12, atol=1e-14):
    want = want.detach().numpy(force=True) if hasattr(want, "detach") else np.asarray(want)
    np.testing.assert_allclose(np.asarray(got.data if isinstance(got, mg.Tensor) else got), want, rtol=rtol, atol=atol)


def _compare(mg_fn, torch_fn, *arrays, seed=0):
    """Values, first derivatives and second derivatives (of a random projection of the first)
    of ``fn(*arrays)`` with respect to every array, minigrad against PyTorch."""
    gen = rng(seed)
    ts, ms = [_torch(a) for a in arrays], [_mg(a) for a in arrays]
    yt, ym = torch_fn(*ts), mg_fn(*ms)
    _close(ym, yt)
    upstream = gen.normal(size=np.shape(yt.detach().numpy()))
    gt = torch.autograd.grad(yt, ts, torch.tensor(upstream), create_graph=True, allow_unused=True)
    gm = mg.autograd.grad(ym, ms, mg.tensor(upstream), create_graph=True, allow_unused=True)
    for a, b in zip(gm, gt):
        if b is None:
            assert a is None or not np.any(a.data)
        else:
            _close(a, b)
    # second derivatives; a gradient that does not depend on the inputs contributes zeros
    probes = [gen.normal(size=np.shape(a)) for a in arrays]
    outputs_t = [(g * torch.tensor(p)).sum() for g, p in zip(gt, probes) if g is not None and g.requires_grad]
    outputs_m = [(g * mg.tensor(p)).sum() for g, p in zip(gm, probes) if g is not None and g.requires_grad]
    ggt = torch.autograd.grad(sum(outputs_t), ts, allow_unused=True) if outputs_t else [None] * len(ts)
    ggm = mg.autograd.grad(sum(outputs_m[1:], outputs_m[0]), ms, allow_unused=True) if outputs_m else [None] * len(ms)
    for a, b, array in zip(ggm, ggt, arrays):
        _close(np.zeros(np.shape(array)) if a is None else a, np.zeros(np.shape(array)) if b is None else b,
               rtol=1e-11, atol=1e-13)


# -- activations --------------------------------------------------------------------------------------
@needs_torch
@pytest.mark.parametrize("name,mg_fn,torch_fn", ACTIVATIONS, ids=IDS)
def test_activation_matches_torch_at_and_around_kinks_and_extremes(name, mg_fn, torch_fn):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warnings for large inputs
        _compare(mg_fn, torch_fn, np.concatenate([KINKS, AROUND, EXTREMES]))


@needs_torch
@pytest.mark.parametrize("name,mg_fn,torch_fn", ACTIVATIONS, ids=IDS)
@pytest.mark.parametrize("shape", [(), (5,), (2, 3, 4)])
def test_activation_gradcheck_and_shapes(name, mg_fn, torch_fn, shape):
    x = rng(1).normal(size=shape) * 3
    x = np.where(np.abs(x) < 0.05, 0.3, x)  # away from the kinks at 0 and the bounds
    x = np.where(np.abs(np.abs(x) - 1) < 0.05, 1.3, x)
    x = np.where(np.abs(x + 0.5) < 0.05, -0.7, x)
    x = np.where(np.abs(x - 1.5) < 0.05, 1.7, x)  # softplus(beta=2, threshold=3)
    check_op(mg_fn, x, reference=lambda a: torch_fn(torch.tensor(a)).numpy())


@needs_torch
@pytest.mark.parametrize("name,mg_fn,torch_fn", ACTIVATIONS, ids=IDS)
def test_activation_keeps_float32(name, mg_fn, torch_fn):
    x = rng(2).normal(size=(3, 4)).astype(np.float32) * 4
    y = mg_fn(mg.tensor(x))
    assert y.dtype == np.float32
    _close(y, torch_fn(torch.tensor(x)), rtol=2e-6, atol=2e-7)


def test_activation_large_inputs_are_finite_and_exact():
    x = mg.tensor([-1e300, -1e5, 1e5, 1e300], dtype=mg.float64, requires_grad=True)
    assert A.softplus(x).tolist() == [0.0, 0.0, 1e5, 1e300]
    assert A.logsigmoid(x).tolist() == [-1e300, -1e5, 0.0, 0.0]
    A.softplus(x).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0, 1.0]


def test_activation_rejects_integers_and_bad_arguments():
    with pytest.raises(NotImplementedError, match="elu"):
        A.elu(mg.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        A.gelu(mg.ones(2), approximate="fast")
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        A.hardtanh(mg.ones(2), 1.0, -1.0)
    with pytest.raises(ValueError, match="must be greater than min_val"):
        AM.Hardtanh(1.0, -1.0)


# -- in place -------------------------------------------------------------------------------------------
INPLACE = [
    ("leaky_relu", lambda x: A.leaky_relu(x, 0.2, inplace=True), lambda x: TF.leaky_relu(x, 0.2, inplace=True)),
    ("leaky_relu_", lambda x: A.leaky_relu_(x, 0.2), lambda x: TF.leaky_relu_(x, 0.2)),
    ("elu", lambda x: A.elu(x, 0.5, inplace=True), lambda x: TF.elu(x, 0.5, inplace=True)),
    ("hardtanh", lambda x: A.hardtanh(x, -0.5, 1.0, inplace=True), lambda x: TF.hardtanh(x, -0.5, 1.0, inplace=True)),
    ("silu", lambda x: A.silu(x, inplace=True), lambda x: TF.silu(x, inplace=True)),
]


@needs_torch
@pytest.mark.parametrize("name,mg_fn,torch_fn", INPLACE, ids=[n for n, _, _ in INPLACE])
def test_inplace_writes_into_the_input_and_differentiates(name, mg_fn, torch_fn):
    values = np.array([-2.0, -0.7, -0.5, 0.0, 0.4, 1.0, 3.0])
    plain = mg.tensor(values)
    out = mg_fn(plain)
    assert out is plain and plain._version == 1
    _close(plain, torch_fn(torch.tensor(values)))
    # through a graph: the input is an intermediate result (a leaf would refuse)
    xt, xm = _torch(values), _mg(values)
    yt, ym = torch_fn(xt * 1.5), mg_fn(xm * 1.5)
    _close(ym, yt)
    (yt * yt).sum().backward()
    (ym * ym).sum().backward()
    _close(xm.grad, xt.grad)


def test_inplace_refuses_leaves_and_negative_slopes():
    leaf = mg.tensor([1.0, -1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        A.leaky_relu(leaf, inplace=True)
    with pytest.raises(RuntimeError, match="negative slope"):
        A.leaky_relu(leaf * 1, -0.5, inplace=True)
    with pytest.raises(RuntimeError, match="negative slope"):
        A.elu(leaf * 1, -0.5, inplace=True)
    assert A.leaky_relu(mg.tensor([-2.0]), -0.5, inplace=True).tolist() == [1.0]  # nothing recorded: allowed


# -- PReLU ------------------------------------------------------------------------------------------------
@needs_torch
@pytest.mark.parametrize("x_shape,w_shape", [((2, 3), (3,)), ((2, 3, 4, 2), (3,)), ((2, 3, 4), (1,)),
                                             ((5,), (1,)), ((), (1,)), ((2, 3), ())])
def test_prelu_matches_torch_with_kinks(x_shape, w_shape):
    gen = rng(3)
    x = gen.normal(size=x_shape)
    if x.size:
        x.reshape(-1)[0] = 0.0
    w = gen.normal(size=w_shape)
    _compare(A.prelu, TF.prelu, x, w)


def test_prelu_gradcheck():
    x = rng(4).normal(size=(2, 3, 2))
    x = np.where(np.abs(x) < 0.05, 0.2, x)
    check_op(A.prelu, x, np.array([0.1, -0.3, 0.7]))


def test_prelu_errors():
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers and input channel size"):
        A.prelu(mg.ones(2, 3), mg.ones(2))
    with pytest.raises(RuntimeError, match="scalar or 1D tensor"):
        A.prelu(mg.ones(2, 3), mg.ones(3, 1))
    with pytest.raises(RuntimeError, match="zero-dim"):
        A.prelu(mg.tensor(1.0), mg.ones(2))


@needs_torch
def test_prelu_module_state_dict_and_training_step():
    layer, reference = AM.PReLU(3, init=0.1), torch.nn.PReLU(3, init=0.1)
    assert list(layer.state_dict()) == list(reference.state_dict()) == ["weight"]
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    _close(layer.weight, reference.weight)
    reference.weight.data = torch.tensor([0.2, -0.1, 0.5])
    layer.load_state_dict({k: v.numpy() for k, v in reference.state_dict().items()})
    x = rng(5).normal(size=(4, 3, 2)).astype(np.float32)
    _close(layer(mg.tensor(x)), reference(torch.tensor(x)), rtol=1e-6, atol=1e-7)
    layer(mg.tensor(x)).sum().backward()
    reference(torch.tensor(x)).sum().backward()
    _close(layer.weight.grad, reference.weight.grad, rtol=1e-5, atol=1e-6)


# -- activation modules -----------------------------------------------------------------------------------
@needs_torch
@pytest.mark.parametrize("make", [
    lambda nn: nn.LeakyReLU(), lambda nn: nn.LeakyReLU(0.2, inplace=True), lambda nn: nn.ELU(alpha=0.5),
    lambda nn: nn.ELU(inplace=True), lambda nn: nn.GELU(), lambda nn: nn.GELU("tanh"), lambda nn: nn.SiLU(),
    lambda nn: nn.SiLU(inplace=True), lambda nn: nn.Softplus(beta=2.0, threshold=5.0), lambda nn: nn.Hardtanh(),
    lambda nn: nn.Hardtanh(-2.0, 3.0, inplace=True), lambda nn: nn.LogSigmoid(), lambda nn: nn.PReLU(4),
])
def test_activation_modules_match_torch(make):
    layer, reference = make(AM), make(torch.nn)
    assert repr(layer) == repr(reference)
    layer.double(), reference.double()
    x = rng(6).normal(size=(2, 4, 3)) * 3
    _close(layer(mg.tensor(x)), reference(torch.tensor(x)))


def test_hardtanh_deprecated_keywords():
    with pytest.warns(FutureWarning, match="min_value"):
        layer = AM.Hardtanh(min_value=-2.0)
    assert layer.min_val == -2.0


# -- losses --------------------------------------------------------------------------------------------------
LOSSES = [
    ("l1", lambda r: (lambda x, y: L.l1_loss(x, y, reduction=r)), lambda r: (lambda x, y: TF.l1_loss(x, y, reduction=r))),
    ("smooth_l1", lambda r: (lambda x, y: L.smooth_l1_loss(x, y, reduction=r)),
     lambda r: (lambda x, y: TF.smooth_l1_loss(x, y, reduction=r))),
    ("smooth_l1_beta", lambda r: (lambda x, y: L.smooth_l1_loss(x, y, reduction=r, beta=0.5)),
     lambda r: (lambda x, y: TF.smooth_l1_loss(x, y, reduction=r, beta=0.5))),
    ("smooth_l1_beta0", lambda r: (lambda x, y: L.smooth_l1_loss(x, y, reduction=r, beta=0.0)),
     lambda r: (lambda x, y: TF.smooth_l1_loss(x, y, reduction=r, beta=0.0))),
    ("huber", lambda r: (lambda x, y: L.huber_loss(x, y, reduction=r)), lambda r: (lambda x, y: TF.huber_loss(x, y, reduction=r))),
    ("huber_delta", lambda r: (lambda x, y: L.huber_loss(x, y, reduction=r, delta=2.5)),
     lambda r: (lambda x, y: TF.huber_loss(x, y, reduction=r, delta=2.5))),
]
REDUCTIONS = ["mean", "sum", "none"]


def _loss_pair(shape, seed, kinks=True):
    gen = rng(seed)
    x, y = gen.normal(size=shape) * 2, gen.normal(size=shape) * 2
    if kinks and x.size >= 4:  # differences exactly at 0 and at the quadratic-linear switches
        flat_x, flat_y = x.reshape(-1), y.reshape(-1)
        flat_x[:4] = flat_y[:4] + np.array([0.0, 1.0, -0.5, 2.5])
    return x, y


@needs_torch
@pytest.mark.parametrize("name,mg_loss,torch_loss", LOSSES, ids=[n for n, _, _ in LOSSES])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(), (6,), (3, 4, 2)])
def test_loss_matches_torch_including_kinks(name, mg_loss, torch_loss, reduction, shape):
    x, y = _loss_pair(shape, seed=7)
    _compare(mg_loss(reduction), torch_loss(reduction), x, y)


@pytest.mark.parametrize("name,mg_loss,torch_loss", LOSSES, ids=[n for n, _, _ in LOSSES])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_loss_gradcheck(name, mg_loss, torch_loss, reduction):
    x, y = _loss_pair((3, 2), seed=8, kinks=False)
    y = np.where(np.abs(np.abs(x - y) - 0.5) < 0.05, y + 0.2, y)
    check_op(mg_loss(reduction), x, y)


@needs_torch
def test_loss_broadcast_warns_like_torch():
    x, y = rng(9).normal(size=(3, 1)), rng(10).normal(size=(3,))
    for mg_fn, torch_fn in [(L.l1_loss, TF.l1_loss), (L.smooth_l1_loss, TF.smooth_l1_loss), (L.huber_loss, TF.huber_loss)]:
        with pytest.warns(UserWarning, match="Using a target size"):
            got = mg_fn(mg.tensor(x), mg.tensor(y))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = torch_fn(torch.tensor(x), torch.tensor(y))
        _close(got, want)


@needs_torch
def test_loss_legacy_arguments_weights_and_errors():
    x, y, w = rng(11).normal(size=(2, 3)), rng(12).normal(size=(2, 3)), rng(13).uniform(size=(2, 3))
    with pytest.warns(UserWarning, match="reduction='sum'"):
        got = L.l1_loss(mg.tensor(x), mg.tensor(y), False)
    _close(got, np.abs(x - y).sum())
    _compare(lambda a, b: L.l1_loss(a, b, weight=mg.tensor(w)), lambda a, b: TF.l1_loss(a, b, weight=torch.tensor(w)), x, y)
    for r in REDUCTIONS:
        _compare(lambda a, b: L.huber_loss(a, b, r, 0.7, mg.tensor(w)),
                 lambda a, b: TF.huber_loss(a, b, r, 0.7, torch.tensor(w)), x, y)
    with pytest.raises(ValueError, match="reduction"):
        L.l1_loss(mg.tensor(x), mg.tensor(y), reduction="average")
    with pytest.raises(RuntimeError, match="negative values for beta"):
        L.smooth_l1_loss(mg.tensor(x), mg.tensor(y), beta=-1.0)
    with pytest.raises(RuntimeError, match="non-positive values for delta"):
        L.huber_loss(mg.tensor(x), mg.tensor(y), delta=0.0)
    with pytest.raises(ValueError, match="Weights and input must have the same size"):
        L.l1_loss(mg.tensor(x), mg.tensor(y), weight=mg.ones(3))


# -- kl_div --------------------------------------------------------------------------------------------------
@needs_torch
@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none", "mean"])
@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 2), ()])
def test_kl_div_matches_torch(reduction, log_target, shape):
    gen = rng(14)
    log_probs = gen.normal(size=shape)
    target = gen.uniform(0.05, 1.0, size=shape)
    if log_target:
        target = np.log(target)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _compare(lambda a, b: L.kl_div(a, b, reduction=reduction, log_target=log_target),
                 lambda a, b: TF.kl_div(a, b, reduction=reduction, log_target=log_target), log_probs, target)


@needs_torch
def test_kl_div_zero_targets_mean_warning_and_broadcast():
    x, t = rng(15).normal(size=(2, 3)), np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])
    xt, xm = _torch(x), _mg(x)
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        got = L.kl_div(xm, mg.tensor(t))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = TF.kl_div(xt, torch.tensor(t))
    _close(got, want)
    got.backward(), want.backward()
    _close(xm.grad, xt.grad)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning for batchmean, nor for broadcasting
        _close(L.kl_div(mg.tensor(x), mg.tensor(t[0]), reduction="batchmean"),
               TF.kl_div(torch.tensor(x), torch.tensor(t[0]), reduction="batchmean"))
    with pytest.raises(ValueError):
        L.kl_div(mg.tensor(x), mg.tensor(t), reduction="avg")


def test_kl_div_gradcheck():
    gen = rng(16)
    check_op(lambda a, b: L.kl_div(a, b, reduction="batchmean"), gen.normal(size=(3, 2)), gen.uniform(0.1, 1, (3, 2)))
    check_op(lambda a, b: L.kl_div(a, b, reduction="sum", log_target=True), gen.normal(size=(3, 2)), gen.normal(size=(3, 2)))


@needs_torch
@pytest.mark.parametrize("make", [
    lambda nn: nn.L1Loss(), lambda nn: nn.L1Loss(reduction="sum"), lambda nn: nn.SmoothL1Loss(beta=0.5),
    lambda nn: nn.HuberLoss(reduction="none", delta=0.3), lambda nn: nn.KLDivLoss(reduction="batchmean"),
    lambda nn: nn.KLDivLoss(reduction="sum", log_target=True),
])
def test_loss_modules_match_torch(make):
    loss, reference = make(LM), make(torch.nn)
    assert repr(loss) == repr(reference) and loss.reduction == reference.reduction
    x, y = _loss_pair((3, 4), seed=17)
    _close(loss(mg.tensor(x), mg.tensor(y)), reference(torch.tensor(x), torch.tensor(y)))


def test_loss_module_legacy_arguments():
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert LM.L1Loss(reduce=False).reduction == "none"


# -- one_hot, normalize --------------------------------------------------------------------------------------
@needs_torch
@pytest.mark.parametrize("labels,num_classes", [([0, 2, 1], -1), ([[1, 0], [3, 3]], 5), (2, 4), ([], 3)])
def test_one_hot_matches_torch(labels, num_classes):
    array = np.array(labels, dtype=np.int64)
    got = E.one_hot(mg.tensor(array), num_classes)
    want = TF.one_hot(torch.tensor(array), num_classes)
    assert got.dtype == np.int64 and got.shape == tuple(want.shape)
    np.testing.assert_array_equal(got.data, want.numpy())


def test_one_hot_errors():
    with pytest.raises(RuntimeError, match="LongTensor"):
        E.one_hot(mg.tensor([1.0]))
    with pytest.raises(RuntimeError, match="LongTensor"):
        E.one_hot(mg.tensor(np.array([1], dtype=np.int32)))
    with pytest.raises(RuntimeError, match="empty tensor"):
        E.one_hot(mg.tensor(np.array([], dtype=np.int64)))
    with pytest.raises(RuntimeError, match="non-negative"):
        E.one_hot(mg.tensor([-1]))
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        E.one_hot(mg.tensor([3]), 3)


@needs_torch
@pytest.mark.parametrize("p,dim", [(2.0, 1), (1.0, 0), (float("inf"), -1), (3.0, 1)])
def test_normalize_matches_torch(p, dim):
    x = rng(18).normal(size=(3, 4, 2))
    _compare(lambda a: E.normalize(a, p=p, dim=dim), lambda a: TF.normalize(a, p=p, dim=dim), x)


@needs_torch
def test_normalize_keeps_zero_vectors_zero():
    x = np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 2.0]])
    xt, xm = _torch(x), _mg(x)
    yt, ym = TF.normalize(xt), E.normalize(xm)
    _close(ym, yt)
    assert ym.tolist()[0] == [0.0, 0.0, 0.0]
    (yt * torch.tensor([[1.0, 2.0, 3.0]])).sum().backward()
    (ym * mg.tensor([[1.0, 2.0, 3.0]], dtype=mg.float64)).sum().backward()
    _close(xm.grad, xt.grad)


def test_normalize_gradcheck():
    check_op(lambda a: E.normalize(a, dim=1), rng(19).normal(size=(2, 3)))
