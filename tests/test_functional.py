"""The CNN ops of minigrad.nn.functional: forward against naive loops, gradients and second
derivatives against central differences, errors."""
import itertools
import warnings

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from helpers import check_op, leaf, rng
from reference import naive_avg_pool2d, naive_conv2d, naive_lrn, naive_max_pool2d

R = rng(2)

# (input shape, weight shape, stride, padding, dilation, groups)
CONV_CASES = [
    ((1, 2, 5, 5), (3, 2, 3, 3), 1, 0, 1, 1),
    ((2, 2, 6, 5), (2, 2, 2, 3), 2, 1, 1, 1),
    ((1, 1, 7, 7), (2, 1, 3, 3), 3, 2, 1, 1),
    ((1, 2, 8, 9), (2, 2, 2, 2), 4, 3, 1, 1),
    ((1, 2, 7, 6), (2, 2, 3, 2), 1, (1, 2), 2, 1),
    ((1, 4, 5, 6), (4, 2, 3, 3), (2, 1), 1, (2, 1), 2),
    ((2, 4, 4, 4), (4, 1, 2, 2), 1, 0, 1, 4),
    ((1, 3, 6, 4), (3, 3, 1, 1), 1, 0, 1, 1),
    ((1, 1, 3, 3), (1, 1, 3, 3), 1, 0, 1, 1),  # the kernel covers the whole input
]


def _p(v):
    return (v, v) if isinstance(v, int) else v


@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_conv2d_against_naive_loops_and_gradients(case):
    x_shape, w_shape, stride, padding, dilation, groups = case
    x, w, b = R.standard_normal(x_shape), R.standard_normal(w_shape), R.standard_normal(w_shape[0])

    def conv(x, w, b):
        return F.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)

    def reference(x, w, b):
        return naive_conv2d(x, w, b, _p(stride), _p(padding), _p(dilation), groups)

    check_op(conv, x, w, b, reference=reference, gradgrad=x.size <= 60)


def test_conv2d_gradgradcheck_strided_dilated_grouped():
    x, w = R.standard_normal((1, 4, 5, 5)), R.standard_normal((2, 2, 2, 2))
    check_op(lambda x, w: F.conv2d(x, w, stride=2, padding=1, dilation=2, groups=2), x, w)


def test_conv2d_unbatched_and_same_padding():
    x, w = R.standard_normal((2, 5, 6)), R.standard_normal((3, 2, 3, 2))
    out = F.conv2d(leaf(x), leaf(w))
    np.testing.assert_allclose(out.data, naive_conv2d(x[None], w)[0])
    same = F.conv2d(leaf(x[None]), leaf(w), padding="same")
    assert same.shape == (1, 3, 5, 6)
    check_op(lambda x, w: F.conv2d(x, w, padding="same"), x[None], w, gradgrad=False)
    assert F.conv2d(leaf(x[None]), leaf(w), padding="valid").shape == (1, 3, 3, 5)


def test_conv2d_and_linear_refuse_a_bias_of_another_dtype():
    with pytest.raises(mg.errors.DtypeError, match="conv2d: bias is float64 but weight is float32"):
        F.conv2d(mg.randn(1, 1, 3, 3), mg.randn(1, 1, 2, 2), mg.zeros(1, dtype=mg.float64))
    with pytest.raises(mg.errors.DtypeError, match="linear: bias is float64 but weight is float32"):
        F.linear(mg.randn(2, 3), mg.randn(4, 3), mg.zeros(4, dtype=mg.float64))


def test_conv2d_keeps_float32():
    x, w, b = mg.randn(2, 3, 6, 6, requires_grad=True), mg.randn(4, 3, 3, 3, requires_grad=True), mg.randn(4, requires_grad=True)
    out = F.conv2d(x, w, b, padding=1)
    out.sum().backward()
    assert out.dtype == x.grad.dtype == w.grad.dtype == b.grad.dtype == mg.float32


def test_unfold_and_fold_are_adjoint_graph_ops():
    x = R.standard_normal((2, 3, 5, 4))
    cols = F.unfold(leaf(x), (2, 3), padding=1, stride=(2, 1))
    assert cols.shape == (2, 3 * 2 * 3, 3 * 4)
    # <unfold(x), y> == <x, fold(y)>
    y = R.standard_normal(cols.shape)
    folded = F.fold(leaf(y), (5, 4), (2, 3), padding=1, stride=(2, 1))
    np.testing.assert_allclose((cols.data * y).sum(), (x * folded.data).sum())
    check_op(lambda t: F.unfold(t, 2, dilation=2, padding=1), x[:1, :2])
    check_op(lambda t: F.fold(t, (4, 3), 2), R.standard_normal((1, 8, 6)))
    # a column of unfold is a receptive field: unfold + matmul is conv2d
    w = R.standard_normal((4, 3, 2, 3))
    via_unfold = (leaf(w).reshape(4, -1) @ cols).reshape(2, 4, 3, 4)
    np.testing.assert_allclose(via_unfold.data, F.conv2d(leaf(x), leaf(w), padding=1, stride=(2, 1)).data)


def test_fold_of_unfold_counts_window_coverage():
    ones = mg.ones(1, 1, 4, 4, dtype=mg.float64)
    coverage = F.fold(F.unfold(ones, 2, stride=1), (4, 4), 2, stride=1)
    assert coverage[0, 0].tolist() == [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]]


# -- pooling -----------------------------------------------------------------------------------
POOL_CASES = [
    # kernel, stride, padding, dilation, ceil_mode
    (2, None, 0, 1, False), (3, 2, 0, 1, False), (3, 2, 1, 1, False), (3, 2, 1, 1, True),
    ((2, 3), (1, 2), (1, 1), 1, False), (2, 3, 0, 1, True), (3, 1, 1, 2, False), (2, 2, 1, 2, True),
    (3, 4, 1, 1, True),
]


def _distinct(shape):
    """Values without ties, so max pooling has no kinks."""
    return R.permutation(np.arange(int(np.prod(shape)))).reshape(shape) / 7.0


@pytest.mark.parametrize("case", POOL_CASES, ids=str)
def test_max_pool2d_against_naive_loops_and_gradients(case):
    kernel, stride, padding, dilation, ceil_mode = case
    x = _distinct((2, 2, 7, 6))

    def pool(t):
        return F.max_pool2d(t, kernel, stride, padding, dilation, ceil_mode)

    def reference(a):
        return naive_max_pool2d(a, _p(kernel), _p(stride if stride is not None else kernel), _p(padding), _p(dilation), ceil_mode)

    check_op(pool, x, reference=reference)


@pytest.mark.parametrize("case", [c for c in POOL_CASES if c[3] == 1], ids=str)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_against_naive_loops_and_gradients(case, count_include_pad):
    kernel, stride, padding, _, ceil_mode = case
    x = R.standard_normal((2, 2, 7, 6))

    def pool(t):
        return F.avg_pool2d(t, kernel, stride, padding, ceil_mode, count_include_pad)

    def reference(a):
        return naive_avg_pool2d(a, _p(kernel), _p(stride if stride is not None else kernel), _p(padding), ceil_mode, count_include_pad)

    check_op(pool, x, reference=reference)


def test_max_pool2d_return_indices_are_flat_plane_positions():
    x = _distinct((1, 2, 5, 5))
    out, indices = F.max_pool2d(leaf(x), 3, 2, padding=1, return_indices=True)
    assert indices.dtype == mg.int64 and not indices.requires_grad
    flat = x.reshape(1, 2, 25)
    np.testing.assert_array_equal(np.take_along_axis(flat, indices.data.reshape(1, 2, -1), 2).reshape(out.shape), out.data)


def test_max_pool2d_padding_never_wins_and_nan_propagates():
    x = -np.ones((1, 1, 3, 3))
    assert F.max_pool2d(leaf(x), 2, 1, padding=1).data.max() == -1  # zero padding would give 0
    x[0, 0, 1, 1] = np.nan
    assert np.isnan(F.max_pool2d(leaf(x), 3).item())


def test_max_pool2d_tie_gradient_goes_to_the_first_maximum():
    x = leaf(np.ones((1, 1, 2, 2)))
    F.max_pool2d(x, 2).sum().backward()
    assert x.grad[0, 0].tolist() == [[1.0, 0.0], [0.0, 0.0]]


@pytest.mark.parametrize("size", [(1, 1), (2, 3), (3, 2), (4, 5), (5, 4), (None, 2), 3])
def test_adaptive_avg_pool2d(size):
    x = R.standard_normal((1, 2, 5, 4))
    out = F.adaptive_avg_pool2d(leaf(x), size)
    oh, ow = (size, size) if isinstance(size, int) else (size[0] or 5, size[1] or 4)
    expected = np.zeros((1, 2, oh, ow))
    for i in range(oh):
        for j in range(ow):
            r0, r1 = (i * 5) // oh, -(-(i + 1) * 5 // oh)
            c0, c1 = (j * 4) // ow, -(-(j + 1) * 4 // ow)
            expected[..., i, j] = x[..., r0:r1, c0:c1].mean(axis=(-2, -1))
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    check_op(lambda t: F.adaptive_avg_pool2d(t, size), x)


# -- LRN -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7])
@pytest.mark.parametrize("channels", [1, 3, 6])
def test_local_response_norm_against_naive_loops(size, channels):
    x = R.standard_normal((2, channels, 3, 2))
    check_op(lambda t: F.local_response_norm(t, size, alpha=0.3, beta=0.75, k=2.0), x,
             reference=lambda a: naive_lrn(a, size, 0.3, 0.75, 2.0), gradgrad=channels <= 3)


def test_local_response_norm_paper_convention():
    x = R.standard_normal((1, 7, 2, 2))
    paper_alpha, size = 1e-2, 5
    ours = F.local_response_norm(leaf(x), size, alpha=paper_alpha * size, beta=0.75, k=2.0).data
    summed = np.empty_like(x)
    for c in range(7):
        window = x[:, max(0, c - 2):c + 3] ** 2
        summed[:, c] = x[:, c] / (2.0 + paper_alpha * window.sum(1)) ** 0.75
    np.testing.assert_allclose(ours, summed, rtol=1e-12)


def test_local_response_norm_3d_input():
    check_op(lambda t: F.local_response_norm(t, 3), R.standard_normal((2, 4, 5)),
             reference=lambda a: naive_lrn(a[..., None], 3, 1e-4, 0.75, 1.0)[..., 0])


# -- linear, activations, dropout --------------------------------------------------------------------
def test_linear():
    x, w, b = R.standard_normal((4, 3)), R.standard_normal((5, 3)), R.standard_normal(5)
    check_op(F.linear, x, w, b, reference=lambda x, w, b: x @ w.T + b)
    check_op(lambda x, w: F.linear(x, w), R.standard_normal((2, 4, 3)), w, reference=lambda x, w: x @ w.T)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_and_log_softmax(dim):
    x = R.standard_normal((3, 4, 2))
    e = np.exp(x - x.max(dim, keepdims=True))
    check_op(lambda t: F.softmax(t, dim), x, reference=lambda a: e / e.sum(dim, keepdims=True))
    check_op(lambda t: F.log_softmax(t, dim), x, reference=lambda a: np.log(e / e.sum(dim, keepdims=True)))


def test_softmax_is_finite_for_huge_logits():
    for dtype in (mg.float32, mg.float64):
        x = mg.tensor(np.array([[1e5, -1e5, 0.0]]), dtype=dtype)
        assert np.all(np.isfinite(F.log_softmax(x, 1).data[:, 0])) and F.softmax(x, 1)[0, 0].item() == 1.0


def test_dropout_is_inverted_seeded_and_identity_in_eval():
    x = mg.ones(1000, requires_grad=True)
    mg.manual_seed(1)
    y = F.dropout(x, 0.3)
    kept = y.detach().numpy() != 0
    assert set(np.unique(y.data)) == {0.0, np.float32(1 / np.float32(0.7))}
    assert 0.6 < kept.mean() < 0.8
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, y.data)
    mg.manual_seed(1)
    np.testing.assert_array_equal(F.dropout(x, 0.3).data, y.data)
    assert F.dropout(x, 0.3, training=False) is x and F.dropout(x, 0.0) is x
    zeros = F.dropout(x, 1.0)
    assert zeros.data.sum() == 0 and zeros.requires_grad
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(x, 1.5)
    dropped = mg.tensor(np.random.default_rng(0).standard_normal(8), dtype=mg.float64, requires_grad=True)
    mg.manual_seed(5)
    mask_run = F.dropout(dropped, 0.5)
    assert mg.gradgradcheck(lambda t: t * mg.tensor(mask_run.data != 0) * 2.0 * t, (dropped,))


# -- losses -------------------------------------------------------------------------------------------
def _log_softmax(x, axis=1):
    m = x.max(axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis, keepdims=True))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_and_nll(reduction):
    x, t = R.standard_normal((5, 4)), R.integers(0, 4, 5)
    picked = -_log_softmax(x)[np.arange(5), t]
    expected = {"mean": picked.mean(), "sum": picked.sum(), "none": picked}[reduction]
    check_op(lambda a: F.cross_entropy(a, mg.tensor(t), reduction=reduction), x, reference=lambda a: expected)
    check_op(lambda a: F.nll_loss(a, mg.tensor(t), reduction=reduction), x,
             reference=lambda a: {"mean": -a[np.arange(5), t].mean(), "sum": -a[np.arange(5), t].sum(), "none": -a[np.arange(5), t]}[reduction])


def test_cross_entropy_weight_ignore_index_and_spatial_targets():
    x, t = R.standard_normal((6, 3)), np.array([0, 2, -100, 1, 2, 0])
    w = np.array([0.5, 2.0, 1.0])
    logp = _log_softmax(x)
    keep = t != -100
    per = -logp[np.arange(6)[keep], t[keep]] * w[t[keep]]
    check_op(lambda a: F.cross_entropy(a, mg.tensor(t), weight=mg.tensor(w)), x, reference=lambda a: per.sum() / w[t[keep]].sum())
    spatial, labels = R.standard_normal((2, 3, 2, 2)), R.integers(0, 3, (2, 2, 2))
    lp = _log_softmax(spatial)
    expected = -np.take_along_axis(lp, labels[:, None], 1).mean()
    check_op(lambda a: F.cross_entropy(a, mg.tensor(labels)), spatial, reference=lambda a: expected)


def test_cross_entropy_is_exact_for_huge_logits():
    for dtype in (np.float32, np.float64):
        logits = mg.tensor(np.array([[1e5, -1e5, 0.0], [0.0, 1e5, 3.0]], dtype=dtype), requires_grad=True)
        loss = F.cross_entropy(logits, mg.tensor(np.array([1, 2])))
        assert loss.item() == pytest.approx((2e5 + (1e5 - 3)) / 2, rel=1e-7)
        loss.backward()
        assert np.all(np.isfinite(logits.grad.data))


def test_mse_loss():
    x, y = R.standard_normal((3, 4)), R.standard_normal((3, 4))
    check_op(lambda a, b: F.mse_loss(a, b), x, y, reference=lambda a, b: ((a - b) ** 2).mean())
    check_op(lambda a, b: F.mse_loss(a, b, reduction="sum"), x, y, reference=lambda a, b: ((a - b) ** 2).sum())
    with pytest.warns(UserWarning, match="broadcast"):
        F.mse_loss(mg.ones(3, 1), mg.ones(3))


# -- errors ---------------------------------------------------------------------------------------------
def test_conv_errors_name_the_op_the_argument_and_the_shapes():
    x = mg.ones(1, 3, 5, 5)
    with pytest.raises(RuntimeError, match=r"conv2d: input has 3 channels .* weight \(8, 4, 3, 3\)"):
        F.conv2d(x, mg.ones(8, 4, 3, 3))
    with pytest.raises(ValueError, match=r"conv2d: kernel size \(7, 7\) .* larger than the padded input \(5, 5\)"):
        F.conv2d(x, mg.ones(2, 3, 7, 7))
    with pytest.raises(ValueError, match="divisible by groups"):
        F.conv2d(x, mg.ones(5, 1, 3, 3), groups=3)
    with pytest.raises(ValueError, match=r"conv2d: expected a 3-D \(unbatched\) or 4-D .* shape \(5, 5\)"):
        F.conv2d(mg.ones(5, 5), mg.ones(1, 1, 3, 3))
    with pytest.raises(TypeError, match="float64 but weight is float32"):
        F.conv2d(x.double(), mg.ones(2, 3, 3, 3))
    with pytest.raises(ValueError, match="max_pool2d: padding should be at most half"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match=r"max_pool2d: kernel size \(6, 6\)"):
        F.max_pool2d(x, 6)
    with pytest.raises(ValueError, match=r"output size would be \(0, 0\), not positive"):
        F.conv2d(mg.ones(1, 1, 3, 3), mg.ones(1, 1, 2, 2), stride=1, dilation=3)
    with pytest.raises(ValueError, match="linear: input has 4 features"):
        F.linear(mg.ones(2, 4), mg.ones(3, 5))


def test_loss_errors():
    with pytest.raises(IndexError, match=r"target 5 .* out of bounds: labels must be in \[0, 4\)"):
        F.cross_entropy(mg.ones(3, 4), mg.tensor(np.array([0, 5, 1])))
    with pytest.raises(ValueError, match="out of bounds"):
        F.nll_loss(mg.ones(3, 4), mg.tensor(np.array([0, -1, 1])))
    with pytest.raises(TypeError, match="integer class indices"):
        F.nll_loss(mg.ones(3, 4), mg.tensor([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match=r"target shape \(2,\) does not match input shape \(3, 4\)"):
        F.cross_entropy(mg.ones(3, 4), mg.tensor(np.array([0, 1])))
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(mg.ones(2), mg.ones(2), reduction="avg")


def test_output_size_policy():
    x = mg.ones(1, 1, 7, 7)
    assert F.conv2d(x, mg.ones(1, 1, 2, 2), stride=2).shape == (1, 1, 3, 3)  # floor, as PyTorch
    try:
        mg.set_output_size_policy("error")
        with pytest.raises(ValueError, match=r"conv2d: .* size 7, kernel 3, stride 3, padding 0, .* padding=1 tiles it exactly"):
            F.conv2d(x, mg.ones(1, 1, 3, 3), stride=3)
        with pytest.raises(ValueError, match=r"no padding tiles it exactly with stride 2"):
            F.conv2d(x, mg.ones(1, 1, 2, 2), stride=2)
        assert F.conv2d(x, mg.ones(1, 1, 3, 3), stride=2).shape == (1, 1, 3, 3)  # tiles exactly
        mg.set_output_size_policy("warn")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for _ in range(3):
                F.max_pool2d(x, 2)  # the same call site: one warning
        assert len([w for w in caught if "tile" in str(w.message)]) == 1
        assert caught[0].filename == __file__
    finally:
        mg.set_output_size_policy("floor")
    with pytest.raises(ValueError):
        mg.set_output_size_policy("round")


def test_every_conv_configuration_shape_matches_the_formula():
    for h, k, s, p, d in itertools.product([5, 8], [1, 2, 3], [1, 2, 3, 4], [0, 1, 2, 3], [1, 2]):
        eff = d * (k - 1) + 1
        if eff > h + 2 * p:
            continue
        out = F.conv2d(mg.ones(1, 1, h, h), mg.ones(1, 1, k, k), stride=s, padding=p, dilation=d)
        assert out.shape[-1] == (h + 2 * p - d * (k - 1) - 1) // s + 1
