"""Batch, layer and group normalisation: against PyTorch (values, gradients, running statistics,
state_dict, a few SGD steps) and against central differences (first and second derivatives)."""
from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from minigrad.nn.functional.batchnorm import batch_norm, group_norm, layer_norm
from minigrad.nn.modules.batchnorm import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm
from helpers import assert_close, check_op, needs_torch, rng, to_torch

pytestmark = needs_torch

# -- modules against torch -----------------------------------------------------------------------

BN_CASES = [  # module, shape
    ("BatchNorm1d", (6, 3)),
    ("BatchNorm1d", (4, 3, 5)),
    ("BatchNorm2d", (4, 3, 5, 2)),
]
OURS = {"BatchNorm1d": BatchNorm1d, "BatchNorm2d": BatchNorm2d}


def _pair(name: str, channels: int, dtype=np.float64, **kwargs):
    import torch

    ours = OURS[name](channels, dtype=dtype, **kwargs)
    theirs = getattr(torch.nn, name)(channels, dtype=getattr(torch, np.dtype(dtype).name), **kwargs)
    if ours.weight is not None:  # not the ones/zeros defaults, so that the affine part is exercised
        weight, bias = rng(7).standard_normal((2, channels)).astype(dtype)
        ours.weight._data[...] = weight
        ours.bias._data[...] = bias
        with torch.no_grad():
            theirs.weight.copy_(torch.from_numpy(weight))
            theirs.bias.copy_(torch.from_numpy(bias))
    return ours, theirs


def _step(ours, theirs, x: np.ndarray, grad: np.ndarray, rtol: float, atol: float) -> None:
    """One forward and backward of both; outputs and gradients must agree."""
    import torch

    mx, tx = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, want = ours(mx), theirs(tx)
    assert_close(out, want, rtol, atol)
    out.backward(mg.tensor(grad))
    want.backward(torch.from_numpy(grad))
    assert_close(mx.grad, tx.grad, rtol, atol)
    for name, p in ours.named_parameters():
        assert_close(p.grad, getattr(theirs, name).grad, rtol, atol)


def _assert_same_state(ours, theirs, rtol: float = 1e-12, atol: float = 1e-14) -> None:
    ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
    assert list(ours_state) == list(theirs_state)
    for key, value in theirs_state.items():
        got = np.asarray(ours_state[key].data if isinstance(ours_state[key], mg.Tensor) else ours_state[key])
        np.testing.assert_allclose(got, value.numpy(), rtol=rtol, atol=atol, err_msg=key)
        assert got.dtype == value.numpy().dtype, key


@pytest.mark.parametrize("name, shape", BN_CASES)
@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training_steps_then_eval_match_torch(name, shape, momentum, affine):
    ours, theirs = _pair(name, shape[1], momentum=momentum, affine=affine)
    r = rng(1)
    for _ in range(4):  # the running statistics after several steps, including the cumulative average
        x = r.standard_normal(shape) * 3 + 2
        _step(ours, theirs, x, r.standard_normal(shape), 1e-10, 1e-12)
        _assert_same_state(ours, theirs)
    ours.eval(), theirs.eval()
    x = r.standard_normal(shape)
    _step(ours, theirs, x, r.standard_normal(shape), 1e-10, 1e-12)
    _assert_same_state(ours, theirs)  # evaluation leaves the buffers alone


@pytest.mark.parametrize("shape", [(9, 5, 40, 40), (3, 7, 70, 70), (130, 4, 3), (5000, 6), (300, 5, 1), (40, 7, 1, 1)])
def test_batch_norm_in_several_chunks_matches_torch(shape):
    # large enough for the chunked passes (several chunks, an uneven last one), with and without the
    # per-channel numbers spread along the pixels; a mean far from zero tests the two-pass variance
    ours, theirs = _pair("BatchNorm2d" if len(shape) == 4 else "BatchNorm1d", shape[1])
    r = rng(3)
    x = r.standard_normal(shape) * 0.5 + 100.0
    _step(ours, theirs, x, r.standard_normal(shape), 1e-9, 1e-11)
    _assert_same_state(ours, theirs)


@pytest.mark.parametrize("layout", [(1, 2, 3, 0), (1, 0, 2, 3)])
def test_batch_norm_of_a_convolutions_memory_layout_matches_torch(layout):
    # a convolution leaves its output batch-last (stride 1) or channel-major (strided) in memory;
    # batch norm reads the first by channel planes: values, gradients and statistics must not change
    ours, theirs = _pair("BatchNorm2d", 5)
    r = rng(4)
    for shape in [(6, 5, 7, 3), (1, 5, 2, 2), (40, 5, 3, 3)]:
        x, grad = (np.ascontiguousarray(a.transpose(layout)).transpose(np.argsort(layout))
                   for a in (r.standard_normal(shape) * 2 + 1, r.standard_normal(shape)))
        assert not x.flags.c_contiguous or shape[0] == 1  # one sample: both layouts are C order
        _step(ours, theirs, x, grad, 1e-10, 1e-12)
        _assert_same_state(ours, theirs)
    x = np.ascontiguousarray(r.standard_normal((3, 5, 2, 2)).transpose(layout)).transpose(np.argsort(layout))
    w, b = r.standard_normal(5), r.standard_normal(5)
    check_op(lambda x, w, b: batch_norm(x, None, None, w, b, training=True), x, w, b,
             reference=_torch_reference("batch_norm", lambda t: (t[0], None, None, t[1], t[2]), training=True))


@pytest.mark.parametrize("shape, affine, threads", [
    ((9, 5, 40, 40), True, 1),  # planes of 14,400 numbers: several blocks of channels per call
    ((3, 7, 70, 70), False, 1),  # one channel per block; no weight and no bias
    ((16, 8, 64, 64), True, 2),  # large enough to split the channels between two threads
])
def test_batch_norm_by_channel_planes_in_blocks_and_threads_matches_torch(shape, affine, threads):
    ours, theirs = _pair("BatchNorm2d", shape[1], affine=affine)
    r = rng(11)
    x, grad = (np.ascontiguousarray(a.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
               for a in (r.standard_normal(shape) * 0.5 + 100.0, r.standard_normal(shape)))
    before = mg.get_num_threads()
    mg.set_num_threads(threads)
    try:
        _step(ours, theirs, x, grad, 1e-9, 1e-11)
    finally:
        mg.set_num_threads(before)
    _assert_same_state(ours, theirs)


@pytest.mark.parametrize("grad_layout", [(1, 2, 3, 0), (0, 1, 2, 3), (2, 0, 3, 1)])
def test_batch_norm_of_a_batch_last_input_keeps_the_layout_and_takes_any_gradient(grad_layout):
    # a batch-last input gives a batch-last output and input gradient (the next convolution and
    # the convolution's backward read them without a copy), whatever the gradient's own layout
    ours, theirs = _pair("BatchNorm2d", 6)
    r = rng(9)
    shape = (7, 6, 5, 4)
    x = np.ascontiguousarray((r.standard_normal(shape) * 3 + 2).transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    grad = np.ascontiguousarray(r.standard_normal(shape).transpose(grad_layout)).transpose(np.argsort(grad_layout))
    _step(ours, theirs, x, grad, 1e-10, 1e-12)
    _assert_same_state(ours, theirs)
    mx = mg.tensor(x, requires_grad=True)
    out = BatchNorm2d(6, dtype=np.float64)(mx)
    assert out._data.transpose(1, 2, 3, 0).flags.c_contiguous
    out.backward(mg.tensor(grad))
    assert mx.grad._data.transpose(1, 2, 3, 0).flags.c_contiguous


def test_conv_batch_norm_relu_conv_chain_matches_torch():
    # ResNet's pattern: the padded convolution hands batch norm a batch-last input and gets back
    # a gradient cropped out of its padded col2im buffer
    import torch

    r = rng(10)
    x = r.standard_normal((9, 3, 6, 5))
    w1, w2 = r.standard_normal((4, 3, 3, 3)), r.standard_normal((2, 4, 3, 3))
    ours, theirs = _pair("BatchNorm2d", 4)
    mx, mw1, mw2 = (mg.tensor(a, requires_grad=True) for a in (x, w1, w2))
    tx, tw1, tw2 = (torch.tensor(a, requires_grad=True) for a in (x, w1, w2))
    out = mg.nn.functional.conv2d(ours(mg.nn.functional.conv2d(mx, mw1, padding=1)).relu(), mw2, padding=1)
    want = torch.nn.functional.conv2d(theirs(torch.nn.functional.conv2d(tx, tw1, padding=1)).relu(), tw2, padding=1)
    assert_close(out, want, 1e-10, 1e-12)
    (out * out).sum().backward()
    (want * want).sum().backward()
    for got, expected in ((mx, tx), (mw1, tw1), (mw2, tw2), (ours.weight, theirs.weight), (ours.bias, theirs.bias)):
        assert_close(got.grad, expected.grad, 1e-10, 1e-10)
    _assert_same_state(ours, theirs)


@pytest.mark.parametrize("name, shape", BN_CASES)
def test_batch_norm_without_running_stats_uses_batch_stats_in_both_modes(name, shape):
    ours, theirs = _pair(name, shape[1], track_running_stats=False)
    assert ours.running_mean is None and ours.running_var is None and ours.num_batches_tracked is None
    r = rng(2)
    _step(ours, theirs, r.standard_normal(shape), r.standard_normal(shape), 1e-10, 1e-12)
    ours.eval(), theirs.eval()
    _step(ours, theirs, r.standard_normal(shape), r.standard_normal(shape), 1e-10, 1e-12)
    _assert_same_state(ours, theirs)


def _float32_against_float64(name: str, x: np.ndarray, grad: np.ndarray, out_atol: float, weight_tol: tuple,
                             bias_atol: float) -> None:
    """A float32 module against PyTorch's float64 one on the same float32 numbers: values,
    gradients and running statistics must stay within float32 round-off."""
    import torch

    ours, theirs = OURS[name](x.shape[1], dtype=np.float32), getattr(torch.nn, name)(x.shape[1], dtype=torch.float64)
    mx, tx = mg.tensor(x, requires_grad=True), torch.tensor(x.astype(np.float64), requires_grad=True)
    out, want = ours(mx), theirs(tx)
    out.backward(mg.tensor(grad))
    want.backward(torch.tensor(grad.astype(np.float64)))
    np.testing.assert_allclose(out.detach().numpy(), want.detach().numpy(), rtol=1e-5, atol=out_atol)
    np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=weight_tol[0], atol=weight_tol[1])
    np.testing.assert_allclose(ours.bias.grad.numpy(), theirs.bias.grad.numpy(), rtol=1e-5, atol=bias_atol)
    np.testing.assert_allclose(ours.running_mean.numpy(), theirs.running_mean.numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(), rtol=1e-5)


def test_batch_norm1d_float32_without_pixels_is_as_exact_as_float64_allows():
    # (N, C) takes whole-array passes with float64 sums: on a large batch far from zero the
    # float32 results must stay within float32 round-off of PyTorch's float64 ones (PyTorch's
    # own float32 weight gradient is 1.5e-4 off here, ours about 1e-5)
    r = rng(5)
    x = (r.standard_normal((4096, 16)) * 3 + 50).astype(np.float32)
    grad = r.standard_normal(x.shape).astype(np.float32)
    _float32_against_float64("BatchNorm1d", x, grad, out_atol=1e-5, weight_tol=(3e-5, 0.0), bias_atol=1e-4)


def test_batch_norm2d_float32_matches_torch():
    ours, theirs = _pair("BatchNorm2d", 8, dtype=np.float32)
    r = rng(3)
    for _ in range(3):
        x = (r.standard_normal((16, 8, 9, 9)) * 4 + 10).astype(np.float32)
        _step(ours, theirs, x, r.standard_normal(x.shape).astype(np.float32), 1e-4, 1e-5)
    _assert_same_state(ours, theirs, rtol=1e-5, atol=1e-6)
    assert ours(mg.tensor(x)).dtype == mg.float32


@pytest.mark.parametrize("layout", [(0, 1, 2, 3), (1, 2, 3, 0), (1, 0, 2, 3)])
def test_batch_norm2d_float32_far_from_zero_is_as_exact_as_float64_allows(layout):
    # each memory layout (a batch-last input is centred while it is transposed, and x - mean kept
    # for the backward; the others are read as they lie); large enough for several chunks and threads
    r = rng(6)
    shape = (24, 16, 30, 30)
    x, grad = ((np.ascontiguousarray(a.transpose(layout)).transpose(np.argsort(layout))).astype(np.float32)
               for a in (r.standard_normal(shape) * 3 + 50, r.standard_normal(shape)))
    _float32_against_float64("BatchNorm2d", x, grad, out_atol=2e-5, weight_tol=(1e-4, 1e-3), bias_atol=1e-3)


def test_batch_norm_backward_twice_with_retain_graph_matches_torch():
    # the first backward uses (and drops) the x - mean kept by the forward; the second recomputes it
    import torch

    ours, theirs = _pair("BatchNorm2d", 5)
    r = rng(8)
    x = np.ascontiguousarray((r.standard_normal((6, 5, 4, 3)) * 2 + 3).transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    grad = r.standard_normal(x.shape)
    mx, tx = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, want = ours(mx), theirs(tx)
    for retain in (True, False):
        out.backward(mg.tensor(grad), retain_graph=retain)
        want.backward(torch.from_numpy(grad), retain_graph=retain)
        assert_close(mx.grad, tx.grad, 1e-10, 1e-12)
        assert_close(ours.weight.grad, theirs.weight.grad, 1e-10, 1e-12)


def test_batch_norm_updates_buffers_in_place():
    bn = BatchNorm2d(3)
    mean, var, count = bn.running_mean, bn.running_var, bn.num_batches_tracked
    versions = [t._version for t in (mean, var, count)]
    bn(mg.randn(4, 3, 2, 2))
    assert bn.running_mean is mean and bn.running_var is var and bn.num_batches_tracked is count
    assert [t._version for t in (mean, var, count)] == [v + 1 for v in versions]
    assert count.dtype == mg.int64 and int(count.item()) == 1


def test_sgd_three_steps_match_torch():
    import torch

    ours, theirs = _pair("BatchNorm2d", 4)
    opt = mg.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    topt = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    r = rng(4)
    for _ in range(3):
        x = r.standard_normal((5, 4, 3, 3)) + 1
        target = r.standard_normal(x.shape)
        loss = ((ours(mg.tensor(x)) - mg.tensor(target)) ** 2).mean()
        want = ((theirs(torch.from_numpy(x)) - torch.from_numpy(target)) ** 2).mean()
        opt.zero_grad(), topt.zero_grad()
        loss.backward(), want.backward()
        opt.step(), topt.step()
        assert_close(loss, want, 1e-12, 1e-14)
    _assert_same_state(ours, theirs)


@pytest.mark.parametrize("module, args", [
    ("BatchNorm1d", (3,)), ("BatchNorm2d", (3,)), ("LayerNorm", ((4, 5),)), ("LayerNorm", (5,)),
    ("GroupNorm", (2, 6)),
])
@pytest.mark.parametrize("kwargs", [{}, "off"])
def test_state_dict_keys_match_torch(module, args, kwargs):
    import torch

    from minigrad.nn.modules import batchnorm

    if kwargs == "off":
        kwargs = {"BatchNorm1d": dict(affine=False, track_running_stats=False), "BatchNorm2d": dict(bias=False),
                  "LayerNorm": dict(bias=False), "GroupNorm": dict(bias=False)}[module]
    ours = getattr(batchnorm, module)(*args, **kwargs)
    theirs = getattr(torch.nn, module)(*args, **kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert repr(ours) == repr(theirs)


# -- layer norm and group norm against torch -------------------------------------------------------

@pytest.mark.parametrize("shape, normalized_shape, kwargs", [
    ((4, 6), 6, {}), ((2, 3, 5), (5,), {}), ((2, 3, 4, 5), (4, 5), {}),
    ((2, 3, 5), 5, dict(bias=False)), ((2, 3, 5), (3, 5), dict(elementwise_affine=False)),
])
def test_layer_norm_matches_torch(shape, normalized_shape, kwargs):
    import torch

    ours, theirs = LayerNorm(normalized_shape, dtype=np.float64, **kwargs), torch.nn.LayerNorm(normalized_shape, dtype=torch.float64, **kwargs)
    for name, p in ours.named_parameters():
        value = rng(5).standard_normal(p.shape)
        p._data[...] = value
        with torch.no_grad():
            getattr(theirs, name).copy_(torch.from_numpy(value))
    r = rng(6)
    _step(ours, theirs, r.standard_normal(shape) * 2 + 1, r.standard_normal(shape), 1e-10, 1e-12)


@pytest.mark.parametrize("shape, groups, affine", [
    ((2, 6), 3, True), ((2, 6, 5), 2, True), ((3, 6, 4, 3), 3, True), ((3, 6, 4, 3), 1, False), ((2, 4, 3, 3), 4, True),
])
def test_group_norm_matches_torch(shape, groups, affine):
    import torch

    ours, theirs = GroupNorm(groups, shape[1], affine=affine, dtype=np.float64), torch.nn.GroupNorm(groups, shape[1], affine=affine, dtype=torch.float64)
    for name, p in ours.named_parameters():
        value = rng(5).standard_normal(p.shape)
        p._data[...] = value
        with torch.no_grad():
            getattr(theirs, name).copy_(torch.from_numpy(value))
    r = rng(7)
    _step(ours, theirs, r.standard_normal(shape) * 2 + 1, r.standard_normal(shape), 1e-10, 1e-12)


def test_layer_and_group_norm_float32_match_torch():
    import torch
    import torch.nn.functional as TF

    x = (rng(8).standard_normal((8, 6, 7, 7)) * 3 + 5).astype(np.float32)
    w, b = rng(9).standard_normal((2, 6)).astype(np.float32)
    got = group_norm(mg.tensor(x), 3, mg.tensor(w), mg.tensor(b))
    assert got.dtype == mg.float32
    assert_close(got, TF.group_norm(torch.from_numpy(x), 3, torch.from_numpy(w), torch.from_numpy(b)), 1e-4, 1e-5)
    got = layer_norm(mg.tensor(x), (7, 7))
    assert_close(got, TF.layer_norm(torch.from_numpy(x), (7, 7)), 1e-4, 1e-5)


# -- first and second derivatives (float64, central differences) ------------------------------------

def _torch_reference(fn_name, args, **kwargs):
    def reference(*arrays):
        import torch
        import torch.nn.functional as TF

        tensors = [torch.from_numpy(a) for a in arrays]
        return getattr(TF, fn_name)(*args(tensors), **kwargs).numpy()
    return reference


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 5), (3, 2, 3, 2)])
def test_batch_norm_training_gradcheck_and_gradgradcheck(shape):
    r = rng(10)
    x, w, b = r.standard_normal(shape), r.standard_normal(shape[1]), r.standard_normal(shape[1])
    check_op(lambda x, w, b: batch_norm(x, None, None, w, b, training=True), x, w, b,
             reference=_torch_reference("batch_norm", lambda t: (t[0], None, None, t[1], t[2]), training=True))
    check_op(lambda x: batch_norm(x, None, None, training=True, eps=1e-3), x)


def test_batch_norm_eval_gradcheck_and_gradgradcheck():
    r = rng(11)
    x, w, b = r.standard_normal((4, 3, 2, 2)), r.standard_normal(3), r.standard_normal(3)
    mean, var = mg.tensor(r.standard_normal(3)), mg.tensor(r.random(3) + 0.5)
    check_op(lambda x, w, b: batch_norm(x, mean, var, w, b, training=False), x, w, b,
             reference=_torch_reference("batch_norm", lambda t: (t[0], to_torch(mean), to_torch(var), t[1], t[2])))


@pytest.mark.parametrize("shape, normalized_shape", [((3, 4), (4,)), ((2, 3, 4), (3, 4))])
def test_layer_norm_gradcheck_and_gradgradcheck(shape, normalized_shape):
    r = rng(12)
    x, w, b = r.standard_normal(shape), r.standard_normal(normalized_shape), r.standard_normal(normalized_shape)
    check_op(lambda x, w, b: layer_norm(x, normalized_shape, w, b), x, w, b,
             reference=_torch_reference("layer_norm", lambda t: (t[0], normalized_shape, t[1], t[2])))
    check_op(lambda x: layer_norm(x, normalized_shape), x)


@pytest.mark.parametrize("shape, groups", [((2, 4, 3), 2), ((2, 6, 2, 2), 3), ((3, 2), 1)])
def test_group_norm_gradcheck_and_gradgradcheck(shape, groups):
    r = rng(13)
    x, w, b = r.standard_normal(shape), r.standard_normal(shape[1]), r.standard_normal(shape[1])
    check_op(lambda x, w, b: group_norm(x, groups, w, b), x, w, b,
             reference=_torch_reference("group_norm", lambda t: (t[0], groups, t[1], t[2])))
    check_op(lambda x, b: group_norm(x, groups, None, b), x, b)


def test_hand_computed_batch_norm():
    # channel 0 holds 1 and 3: mean 2, biased var 1, unbiased var 2
    mean, var = mg.zeros(1, dtype=mg.float64), mg.ones(1, dtype=mg.float64)
    out = batch_norm(mg.tensor([[1.0], [3.0]], dtype=mg.float64), mean, var, training=True, momentum=0.5, eps=0.0)
    assert out.numpy().ravel().tolist() == [-1.0, 1.0]
    assert mean.numpy().tolist() == [1.0] and var.numpy().tolist() == [1.5]


# -- errors ----------------------------------------------------------------------------------------

def test_errors_as_torch():
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        BatchNorm1d(3)(mg.randn(1, 3))
    BatchNorm1d(3).eval()(mg.randn(1, 3))  # fine with running statistics
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
        BatchNorm2d(3)(mg.randn(2, 3, 4))
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        BatchNorm1d(3)(mg.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"running_mean should contain 3 elements not 4.*\(2, 3, 4, 4\)"):
        BatchNorm2d(4)(mg.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"Given normalized_shape=\[5\], expected input with shape \[\*, 5\]"):
        LayerNorm(5)(mg.randn(2, 4))
    with pytest.raises(ValueError, match="divisible by num_groups"):
        GroupNorm(4, 6)
    with pytest.raises(ValueError, match="divisible by num_groups"):
        group_norm(mg.randn(2, 6, 3), 4)
