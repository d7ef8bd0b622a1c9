"""The optimised array kernels equal simple reference kernels written with loops and np.add.at."""
import itertools

import numpy as np
import pytest

from minigrad.nn.functional._window import make_window
from minigrad._layout import c_order, short_rows
from minigrad.nn.functional.columns import col2im, im2col
from minigrad.nn.functional.normalization import channel_window_sum
from minigrad.nn.functional import pooling
from minigrad.nn.functional.pooling import gather_taps, max_pool_arrays, scatter_taps, spread_taps, sum_taps

R = np.random.default_rng(5)
GEOMETRIES = [((7, 6), (3, 3), (1, 1), (1, 1), (1, 1)), ((9, 8), (3, 2), (2, 3), (0, 1), (1, 1)),
              ((8, 8), (2, 2), (2, 2), (0, 0), (2, 2)), ((11, 11), (5, 5), (4, 4), (2, 2), (1, 1))]


def window(g, ceil=False):
    size, kernel, stride, padding, dilation = g
    return make_window("test", size, kernel, stride, padding, dilation, ceil_mode=ceil)


def reference_positions(w):
    """(k, output row, output column) -> input (row, column) for every tap, by loops."""
    (kh, kw), (oh, ow) = w.kernel, w.output_hw
    top, _, left, _ = w.padding
    for i, j, y, x in itertools.product(range(kh), range(kw), range(oh), range(ow)):
        yield i, j, y, x, y * w.stride[0] + i * w.dilation[0] - top, x * w.stride[1] + j * w.dilation[1] - left


# and two whose rows have stride 1: dilated, and strided along the height only
@pytest.mark.parametrize("g", GEOMETRIES + [((10, 9), (3, 3), (1, 1), (2, 1), (2, 1)), ((12, 9), (3, 3), (2, 1), (1, 1), (1, 1))])
@pytest.mark.parametrize("batch_last", [False, True])
# batch-last col2im: short runs added for all channels at once, long ones per channel, and
# stride-1 rows of 256 numbers or more in planes of 4096 or more (batch 100) added in place
@pytest.mark.parametrize("batch", [2, 40, 100])
def test_im2col_and_col2im_equal_loop_references(g, batch_last, batch):
    w = window(g)
    x = R.standard_normal((batch, 3) + g[0])
    if batch_last:  # the columns ordered (OH, OW, N); compared in the (N, OH, OW) order below
        col = im2col(x, w, batch_last=True).transpose(0, 1, 2, 5, 3, 4)
    else:
        col = im2col(x, w)
    expected = np.zeros_like(col)
    image = np.zeros_like(x)
    gcol = R.standard_normal(col.shape)
    for i, j, y, z, r, c in reference_positions(w):
        if 0 <= r < x.shape[2] and 0 <= c < x.shape[3]:
            expected[:, i, j, :, y, z] = x[:, :, r, c].T
            np.add.at(image, (slice(None), slice(None), r, c), gcol[:, i, j, :, y, z].T)
    np.testing.assert_array_equal(col, expected)
    if batch_last:
        summed = col2im(np.ascontiguousarray(gcol.transpose(0, 1, 2, 4, 5, 3)), w, batch_last=True)
    else:
        summed = col2im(gcol, w)
    np.testing.assert_allclose(summed, image, rtol=1e-12, atol=1e-12)


def test_batch_last_im2col_reads_a_batch_last_input_in_place():
    w = window(GEOMETRIES[0][:1] + ((3, 3), (1, 1), (0, 0), (1, 1)))
    x = np.ascontiguousarray(R.standard_normal((3,) + GEOMETRIES[0][0] + (2,))).transpose(3, 0, 1, 2)  # (N, C, H, W) view
    np.testing.assert_array_equal(im2col(x, w, batch_last=True).transpose(0, 1, 2, 5, 3, 4),
                                  im2col(np.ascontiguousarray(x), w))


@pytest.mark.parametrize("g", GEOMETRIES)
@pytest.mark.parametrize("ceil", [False, True])
@pytest.mark.parametrize("batch_last", [False, True])
@pytest.mark.parametrize("one_channel_blocks", [False, True])  # the forward's taps, copied a block of channels at a time
def test_pooling_kernels_equal_loop_references(g, ceil, batch_last, one_channel_blocks, monkeypatch):
    if any(p > (d * (k - 1) + 1) // 2 for p, k, d in zip(g[3], g[1], g[4])):
        pytest.skip("padding larger than half the kernel is refused by pooling")
    if one_channel_blocks:
        monkeypatch.setattr(pooling, "POOL_BLOCK", 1)
    w = window(g, ceil)
    x = np.round(R.standard_normal((2, 2) + g[0]), 1)  # ties on purpose
    if batch_last:  # as a batch-last convolution leaves it: same values, batch axis last in memory
        x = np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    out, arg = max_pool_arrays(x, w)
    assert np.argsort(out.strides).tolist() == np.argsort(x.strides).tolist()  # the layout is kept
    grad = R.standard_normal(out.shape)  # C-ordered: scatter_taps meets the other layout
    best = np.full(out.shape, -np.inf)
    best_tap = np.zeros(out.shape, dtype=int)
    total = np.zeros(out.shape)
    scattered = np.zeros_like(x)
    for i, j, y, z, r, c in reference_positions(w):
        if 0 <= r < x.shape[2] and 0 <= c < x.shape[3]:
            value = x[:, :, r, c]
            better = value > best[:, :, y, z]  # strict: the first maximum in scan order wins
            best[:, :, y, z] = np.where(better, value, best[:, :, y, z])
            best_tap[:, :, y, z] = np.where(better, i * w.kernel[1] + j, best_tap[:, :, y, z])
            total[:, :, y, z] += value
    np.testing.assert_array_equal(out, best)
    np.testing.assert_array_equal(arg, best_tap)
    for i, j, y, z, r, c in reference_positions(w):
        if 0 <= r < x.shape[2] and 0 <= c < x.shape[3]:
            hit = best_tap[:, :, y, z] == i * w.kernel[1] + j
            scattered[:, :, r, c] += np.where(hit, grad[:, :, y, z], 0)
    np.testing.assert_allclose(scatter_taps(grad, arg, w), scattered, rtol=1e-12)
    gathered = gather_taps(scattered, arg, w)
    assert gathered.shape == out.shape
    np.testing.assert_allclose(sum_taps(x, w), total, rtol=1e-12, atol=1e-12)
    spread = spread_taps(grad, w)
    np.testing.assert_allclose((spread * x).sum(), (grad * sum_taps(x, w)).sum(), rtol=1e-10)  # adjoint


@pytest.mark.parametrize("batch_last", [False, True])
def test_pooling_backward_sums_overlaps_in_pytorchs_order(batch_last):
    # PyTorch's loop visits the outputs of a plane row by row and adds each gradient at its
    # winner; with 3x3 windows at stride 2 a pixel collects up to four gradients, and only the
    # same order of additions gives the same float64 bits
    w = window(((9, 9), (3, 3), (2, 2), (1, 1), (1, 1)))
    x = np.round(R.standard_normal((3, 2, 9, 9)), 0)  # many ties: winners shared by windows
    if batch_last:
        x = np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    out, arg = max_pool_arrays(x, w)
    grad = R.standard_normal(out.shape) * 10.0 ** R.integers(-8, 8, out.shape)  # round-off shows
    expected = np.zeros_like(x)
    (oh, ow), kw = w.output_hw, w.kernel[1]
    for n, c, y, z in itertools.product(range(x.shape[0]), range(x.shape[1]), range(oh), range(ow)):
        i, j = divmod(int(arg[n, c, y, z]), kw)
        expected[n, c, y * 2 + i - 1, z * 2 + j - 1] += grad[n, c, y, z]
    np.testing.assert_array_equal(scatter_taps(grad, arg, w, like=x), expected)


@pytest.mark.parametrize("g", [((8, 8), (2, 2), (2, 2), (0, 0), (1, 1)), ((7, 7), (3, 3), (2, 2), (1, 1), (1, 1))])
def test_pooling_backward_keeps_inf_and_nan_gradients_at_the_winners_only(g):
    w = window(g)  # the first tiles its input exactly, the second has overlapping windows
    x = R.standard_normal((1, 2) + g[0])
    out, arg = max_pool_arrays(x, w)
    grad = R.standard_normal(out.shape)
    grad[0, 0, 0, 0], grad[0, 1, 1, 1] = np.inf, np.nan
    scattered = scatter_taps(grad, arg, w)
    finite_grad = np.where(np.isfinite(grad), grad, 0)
    expected = scatter_taps(finite_grad, arg, w)  # the finite path, checked against loops above
    special = ~np.isfinite(scattered)
    assert special.sum() == 2  # only the two winners: no 0 * inf = NaN anywhere else
    np.testing.assert_array_equal(scattered[~special], expected[~special])


@pytest.mark.parametrize("before,after", [(2, 2), (2, 1), (0, 3), (4, 0)])
def test_channel_window_sum_equals_loop(before, after):
    x = R.standard_normal((2, 5, 3))
    expected = np.zeros_like(x)
    for c in range(5):
        for d in range(c - before, c + after + 1):
            if 0 <= d < 5:
                expected[:, c] += x[:, d]
    np.testing.assert_allclose(channel_window_sum(x, before, after), expected, rtol=1e-12)


@pytest.mark.parametrize("x_shape, w_shape, groups", [((4, 3, 12, 12), (6, 3, 3, 3), 1), ((1, 64, 3, 3), (32, 64, 3, 3), 1),
                                                      ((2, 4, 9, 9), (6, 2, 3, 3), 2)])
def test_conv_weight_gradient_is_contiguous_and_equals_a_loop(x_shape, w_shape, groups):
    # both ways of computing it (more pixels than taps, and fewer), checked against a sum over
    # positions; a non-contiguous weight gradient would cost every optimizer step a transposed copy
    import minigrad as mg
    import minigrad.nn.functional as F

    x, w = R.standard_normal(x_shape), R.standard_normal(w_shape)
    mw = mg.tensor(w, requires_grad=True)
    out = F.conv2d(mg.tensor(x), mw, padding=1, groups=groups)
    g = R.standard_normal(out.shape)
    out.backward(mg.tensor(g))
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    per_group = w_shape[0] // groups
    expected = np.zeros(w_shape)
    for o, c, i, j in itertools.product(*(range(n) for n in w_shape)):
        channel = o // per_group * w_shape[1] + c
        window = padded[:, channel, i:i + out.shape[2], j:j + out.shape[3]]
        expected[o, c, i, j] = (window * g[:, o]).sum()
    assert mw.grad.numpy().flags.c_contiguous
    np.testing.assert_allclose(mw.grad.numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape", [(1, 3, 4, 5), (3, 2, 1, 7), (64, 6, 10, 10), (1000, 2, 3, 3), (0, 2, 3, 3), (4, 0, 2, 2)])
def test_c_order_copies_a_batch_last_array_exactly(shape):
    x = R.standard_normal(shape).astype(np.float32)
    batch_last = np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    out = c_order(batch_last)
    assert out.flags.c_contiguous and out.dtype == x.dtype
    np.testing.assert_array_equal(out, x)
    assert c_order(x) is x  # already in C order: no copy
    channel_major = np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)  # a strided conv's output
    np.testing.assert_array_equal(c_order(channel_major), x)
    np.testing.assert_array_equal(c_order(x[..., ::2]), x[..., ::2])


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", [((12, 3, 8, 8), (5, 3, 3, 3), 2, 1),  # output rows of 4 < 12
                                                               ((9, 4, 5, 6), (2, 4, 1, 1), 2, 0),
                                                               ((6, 2, 7, 7), (3, 2, 3, 3), 3, 1)])
def test_strided_conv_with_rows_shorter_than_the_batch_matches_torch(x_shape, w_shape, stride, padding):
    # such a convolution orders its columns batch last (as stride-1 ones do): its output, all its
    # gradients and the transposed convolution over the same window must not change
    pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch==2.13.0)")
    import torch

    import minigrad as mg
    import minigrad.nn.functional as F
    from minigrad.nn.functional.columns import uses_batch_last

    x, w, b = R.standard_normal(x_shape), R.standard_normal(w_shape), R.standard_normal(w_shape[0])
    ours = [mg.tensor(a, requires_grad=True) for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    out = F.conv2d(*ours, stride=stride, padding=padding)
    want = torch.nn.functional.conv2d(*theirs, stride=stride, padding=padding)
    assert uses_batch_last(window((x_shape[2:], w_shape[2:], (stride,) * 2, (padding,) * 2, (1, 1))), x_shape[0])
    g = R.standard_normal(want.shape)
    out.backward(mg.tensor(g))
    want.backward(torch.from_numpy(g))
    np.testing.assert_allclose(out.detach().numpy(), want.detach().numpy(), rtol=1e-12, atol=1e-12)
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-12, atol=1e-12)
    # the transposed convolution of the output-sized g back to the input size, and its gradients
    mg_g, torch_g = mg.tensor(g, requires_grad=True), torch.tensor(g, requires_grad=True)
    output_padding = _output_padding(x_shape, want.shape, w_shape, stride, padding)
    back = F.conv_transpose2d(mg_g, ours[1], stride=stride, padding=padding, output_padding=output_padding)
    back_want = torch.nn.functional.conv_transpose2d(torch_g, theirs[1], stride=stride, padding=padding,
                                                     output_padding=output_padding)
    np.testing.assert_allclose(back.detach().numpy(), back_want.detach().numpy(), rtol=1e-12, atol=1e-12)
    h = R.standard_normal(back_want.shape)
    back.backward(mg.tensor(h))
    back_want.backward(torch.from_numpy(h))
    np.testing.assert_allclose(mg_g.grad.numpy(), torch_g.grad.numpy(), rtol=1e-12, atol=1e-12)


def _output_padding(x_shape, out_shape, w_shape, stride, padding):
    """The output_padding that makes a transposed convolution return the input's size."""
    return tuple(int(x - ((o - 1) * stride - 2 * padding + k)) for x, o, k in zip(x_shape[2:], out_shape[2:], w_shape[2:]))


def test_strided_batch_last_conv_gradcheck_and_gradgradcheck():
    import minigrad.nn.functional as F
    from helpers import check_op

    check_op(lambda x, w: F.conv2d(x, w, stride=2, padding=1), R.standard_normal((6, 2, 5, 5)), R.standard_normal((3, 2, 3, 3)))


def test_short_rows_shrinks_numpys_buffer_for_this_thread_only_and_restores_it():
    import threading

    default = np.getbufsize()
    seen = {}
    with short_rows(2048):
        seen["inside"] = np.getbufsize()
        other = threading.Thread(target=lambda: seen.setdefault("other thread", np.getbufsize()))
        other.start()
        other.join()
        rows = np.arange(8 * 2048, dtype=np.float32).reshape(8, 2048)
        scaled = rows * np.arange(8, dtype=np.float32)[:, None]  # the passes it is for: same numbers
    assert seen == {"inside": 2048, "other thread": default}
    np.testing.assert_array_equal(scaled, np.arange(8 * 2048, dtype=np.float32).reshape(8, 2048) * np.arange(8)[:, None])
    assert np.getbufsize() == default
    with pytest.raises(ZeroDivisionError), short_rows(300):
        assert np.getbufsize() == 256
        1 / 0
    assert np.getbufsize() == default
    for length in (1, 255, 8192, 10**6):  # outside the range it changes nothing
        with short_rows(length):
            assert np.getbufsize() == default
