"""conv_transpose2d (and the 1-D convolutions), adaptive_max_pool2d, interpolate, pad and
dropout2d: against a naive loop reference and PyTorch (values and gradients), and first and
second derivatives against central differences in float64."""
import itertools
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

import minigrad as mg
from helpers import HAS_TORCH, assert_close, check_op, leaf, needs_torch, rng, to_torch
from minigrad.nn.functional.conv_transpose import conv1d, conv_transpose1d, conv_transpose2d
from minigrad.nn.functional.dropout import dropout2d
from minigrad.nn.functional.pooling import adaptive_max_pool2d
from minigrad.nn.functional.resize import interpolate, pad
from minigrad.nn.modules.conv_transpose import Conv1d, ConvTranspose1d, ConvTranspose2d
from minigrad.nn.modules.dropout import Dropout2d
from minigrad.nn.modules.resize import (
    AdaptiveMaxPool2d, ConstantPad2d, ReflectionPad2d, ReplicationPad2d, Upsample, UpsamplingBilinear2d,
    UpsamplingNearest2d, ZeroPad2d,
)

SETTINGS = settings(max_examples=25, deadline=None)


def naive_conv_transpose2d(x, w, b=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0), groups=1,
                           dilation=(1, 1)):
    """Each input pixel adds ``x * filter`` to the output, ``stride`` apart (from the definition)."""
    n, c_in, h, wd = x.shape
    _, og, kh, kw = w.shape
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = stride, padding, output_padding, dilation
    oh = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    ow = (wd - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    out = np.zeros((n, og * groups, oh, ow))
    per_group = c_in // groups
    for b_, ci, y, z, i, j, o in itertools.product(range(n), range(c_in), range(h), range(wd), range(kh), range(kw), range(og)):
        r, q = y * sh - ph + i * dh, z * sw - pw + j * dw
        if 0 <= r < oh and 0 <= q < ow:
            out[b_, (ci // per_group) * og + o, r, q] += x[b_, ci, y, z] * w[ci, o, i, j]
    return out if b is None else out + np.asarray(b)[None, :, None, None]


# -- conv_transpose2d -----------------------------------------------------------------------------
@st.composite
def transposed_geometry(draw):
    groups = draw(st.sampled_from([1, 2]))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    output_padding = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    size = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    out = [(n - 1) * s - 2 * p + d * (k - 1) + o + 1
           for n, s, p, d, k, o in zip(size, stride, padding, dilation, kernel, output_padding)]
    assume(min(out) > 0)
    return ((draw(st.integers(1, 2)), c_in) + size, (c_in, c_out // groups) + kernel,
            dict(stride=stride, padding=padding, output_padding=output_padding, groups=groups, dilation=dilation))


@SETTINGS
@given(geometry=transposed_geometry(), seed=st.integers(0, 1000))
def test_conv_transpose2d_equals_naive_loops_and_torch(geometry, seed):
    x_shape, w_shape, options = geometry
    g = rng(seed)
    x, w, b = g.standard_normal(x_shape), g.standard_normal(w_shape), g.standard_normal(w_shape[1] * options["groups"])
    out = conv_transpose2d(leaf(x), leaf(w), leaf(b), **options)
    np.testing.assert_allclose(out.data, naive_conv_transpose2d(x, w, b, **options), rtol=1e-10, atol=1e-12)
    if HAS_TORCH:
        import torch

        assert_close(out, torch.nn.functional.conv_transpose2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), **options),
                     rtol=1e-12, atol=1e-13)


TRANSPOSED_GRID = [
    dict(stride=s, padding=p, output_padding=o, groups=g, dilation=d)
    for s, p, o, g, d in itertools.product([1, 2, (3, 1)], [0, 1, (2, 0)], [0, 1], [1, 2], [1, (2, 1)])
    if all(oo < max(ss, dd) for oo, ss, dd in zip(*(v if isinstance(v, tuple) else (v, v) for v in (o, s, d))))
]


@needs_torch
@pytest.mark.parametrize("options", TRANSPOSED_GRID, ids=str)
def test_conv_transpose2d_values_and_gradients_match_torch(options):
    import torch

    g = rng(1)
    groups = options["groups"]
    x, w, b = leaf(g.standard_normal((2, 2 * groups, 4, 3))), leaf(g.standard_normal((2 * groups, 3, 3, 2))), leaf(g.standard_normal(3 * groups))
    out = conv_transpose2d(x, w, b, **options)
    tx, tw, tb = to_torch(x), to_torch(w), to_torch(b)
    expected = torch.nn.functional.conv_transpose2d(tx, tw, tb, **options)
    assert out.shape == tuple(expected.shape)
    assert_close(out, expected, rtol=1e-12, atol=1e-13)
    seed = g.standard_normal(out.shape)
    (out * mg.tensor(seed)).sum().backward()
    (expected * torch.tensor(seed)).sum().backward()
    for mine, theirs in ((x, tx), (w, tw), (b, tb)):
        assert_close(mine.grad, theirs.grad, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("options", [
    dict(stride=2, padding=1, output_padding=1),
    dict(stride=(1, 2), padding=(0, 1), groups=2, dilation=(2, 1)),
    dict(stride=1, output_padding=1, dilation=2),
])
def test_conv_transpose2d_gradcheck_and_gradgradcheck(options):
    g = rng(2)
    check_op(lambda x, w, b: conv_transpose2d(x, w, b, **options),
             g.standard_normal((1, 2, 3, 2)), g.standard_normal((2, 1, 2, 2)), g.standard_normal(2 if options.get("groups") else 1))


def test_conv_transpose2d_is_the_adjoint_of_conv2d():
    """<conv2d(x, w), y> == <x, conv_transpose2d(y, w)> for the same geometry."""
    import minigrad.nn.functional as F

    g = rng(3)
    x, w = leaf(g.standard_normal((2, 3, 7, 6))), leaf(g.standard_normal((4, 3, 3, 2)))
    y = F.conv2d(x, w, stride=2, padding=1, dilation=(1, 2))
    z = leaf(g.standard_normal(y.shape))
    back = conv_transpose2d(z, w, stride=2, padding=1, dilation=(1, 2), output_padding=(0, 1))
    assert back.shape == x.shape
    np.testing.assert_allclose((y * z).sum().item(), (x * back).sum().item(), rtol=1e-12)


def test_conv_transpose2d_errors():
    x, w = mg.ones(1, 2, 3, 3), mg.ones(2, 1, 3, 3)
    with pytest.raises(ValueError, match="output padding must be smaller than either stride or dilation"):
        conv_transpose2d(x, w, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="expects the input to have 2 channels"):
        conv_transpose2d(mg.ones(1, 3, 3, 3), w)
    with pytest.raises(ValueError, match="output size is too small"):
        conv_transpose2d(mg.ones(1, 2, 1, 1), mg.ones(2, 1, 1, 1), padding=1)
    assert conv_transpose2d(mg.ones(2, 3, 3), w).shape == (1, 5, 5)  # unbatched


@needs_torch
def test_conv_transpose2d_module_matches_torch_init_output_size_and_errors():
    import torch

    mg.manual_seed(0)
    layer = ConvTranspose2d(4, 6, (3, 2), stride=2, padding=1, groups=2, dtype=mg.float64)
    reference = torch.nn.ConvTranspose2d(4, 6, (3, 2), stride=2, padding=1, groups=2).double()
    assert layer.weight.shape == tuple(reference.weight.shape) == (4, 3, 3, 2)
    fan_in, _ = torch.nn.init._calculate_fan_in_and_fan_out(reference.weight)
    bound = 1 / np.sqrt(fan_in)
    assert np.abs(layer.weight.detach().numpy()).max() <= bound and np.abs(layer.bias.detach().numpy()).max() <= bound
    assert np.abs(layer.weight.detach().numpy()).max() > 0.8 * bound  # uniform over the whole range
    with torch.no_grad():
        reference.weight.copy_(torch.tensor(layer.weight.detach().numpy()))
        reference.bias.copy_(torch.tensor(layer.bias.detach().numpy()))
    x = rng(4).standard_normal((2, 4, 5, 5))
    for output_size in (None, (10, 9), (9, 8), [2, 6, 10, 8]):
        assert_close(layer(mg.tensor(x), output_size=output_size), reference(torch.tensor(x), output_size=output_size))
    with pytest.raises(ValueError, match="valid sizes range from"):
        layer(mg.tensor(x), output_size=(12, 10))
    assert repr(layer) == repr(reference).replace("ConvTranspose2d", "ConvTranspose2d", 1)


@needs_torch
def test_conv1d_and_conv_transpose1d_match_torch():
    import torch

    g = rng(5)
    x = leaf(g.standard_normal((2, 4, 9)))
    for options in (dict(), dict(stride=2, padding=1, dilation=2, groups=2), dict(padding="same", dilation=2)):
        w = leaf(g.standard_normal((6, 4 // options.get("groups", 1), 3)))
        assert_close(conv1d(x, w, **options), torch.nn.functional.conv1d(to_torch(x), to_torch(w), **options))
    for options in (dict(), dict(stride=3, padding=1, output_padding=2, groups=2)):
        w = leaf(g.standard_normal((4, 3, 3)))
        assert_close(conv_transpose1d(x, w, **options), torch.nn.functional.conv_transpose1d(to_torch(x), to_torch(w), **options))
    check_op(lambda a, b: conv_transpose1d(a, b, stride=2, padding=1, output_padding=1), g.standard_normal((1, 2, 3)), g.standard_normal((2, 1, 3)))
    assert Conv1d(4, 2, 3, padding=1, dtype=mg.float64)(x).shape == (2, 2, 9)
    assert ConvTranspose1d(4, 2, 2, stride=2, dtype=mg.float64)(x, output_size=(19,)).shape == (2, 2, 19)


# -- adaptive_max_pool2d ----------------------------------------------------------------------------
@needs_torch
@pytest.mark.parametrize("output_size", [1, 2, 3, (4, 5), (5, 7), (None, 3), (7, 9)], ids=str)
def test_adaptive_max_pool2d_matches_torch(output_size):
    import torch

    x = leaf(rng(6).standard_normal((2, 3, 5, 7)))
    out, index = adaptive_max_pool2d(x, output_size, return_indices=True)
    tx = to_torch(x)
    expected, expected_index = torch.nn.functional.adaptive_max_pool2d(tx, output_size, return_indices=True)
    assert_close(out, expected)
    np.testing.assert_array_equal(index.data, expected_index.detach().numpy())
    seed = rng(7).standard_normal(out.shape)
    (out * mg.tensor(seed)).sum().backward()
    (expected * torch.tensor(seed)).sum().backward()
    assert_close(x.grad, tx.grad)
    assert_close(AdaptiveMaxPool2d(output_size)(x), torch.nn.AdaptiveMaxPool2d(output_size)(tx))


@needs_torch
def test_adaptive_max_pool2d_ties_nan_and_unbatched_follow_torch():
    import torch

    x = np.zeros((1, 2, 5, 4))
    x[0, 1, 1, 1] = x[0, 1, 1, 2] = np.nan
    out, index = adaptive_max_pool2d(mg.tensor(x), (2, 3), return_indices=True)
    expected, expected_index = torch.nn.functional.adaptive_max_pool2d(torch.tensor(x), (2, 3), return_indices=True)
    np.testing.assert_array_equal(index.data, expected_index.detach().numpy())
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    assert_close(adaptive_max_pool2d(mg.tensor(x[0]), 3), torch.nn.functional.adaptive_max_pool2d(torch.tensor(x[0]), 3))


def test_adaptive_max_pool2d_gradcheck_and_gradgradcheck():
    x = rng(8).permutation(2 * 5 * 6).reshape(1, 2, 5, 6) / 7.0  # distinct values: no ties
    check_op(lambda t: adaptive_max_pool2d(t, (3, 4)), x)


# -- interpolate ------------------------------------------------------------------------------------
RESIZES = [dict(size=(10, 14)), dict(size=(3, 4)), dict(size=(5, 7)), dict(size=(11, 3)), dict(size=1),
           dict(scale_factor=2), dict(scale_factor=(1.7, 0.6)), dict(scale_factor=2.3), dict(scale_factor=0.5),
           dict(scale_factor=3), dict(scale_factor=1.3, recompute_scale_factor=True)]
MODES = [("nearest", None), ("nearest-exact", None), ("bilinear", False), ("bilinear", True)]


@needs_torch
@pytest.mark.parametrize("mode, align_corners", MODES)
@pytest.mark.parametrize("resize", RESIZES, ids=str)
def test_interpolate_values_and_gradients_match_torch(mode, align_corners, resize):
    import torch

    x = leaf(rng(9).standard_normal((2, 3, 5, 7)))
    out = interpolate(x, mode=mode, align_corners=align_corners, **resize)
    tx = to_torch(x)
    expected = torch.nn.functional.interpolate(tx, mode=mode, align_corners=align_corners, **resize)
    assert out.shape == tuple(expected.shape)
    assert_close(out, expected, rtol=1e-13, atol=1e-14)
    if mode.startswith("nearest"):
        np.testing.assert_array_equal(out.data, expected.detach().numpy())  # a copy: exact
    seed = rng(10).standard_normal(out.shape)
    (out * mg.tensor(seed)).sum().backward()
    (expected * torch.tensor(seed)).sum().backward()
    assert_close(x.grad, tx.grad, rtol=1e-12, atol=1e-13)


@needs_torch
@SETTINGS
@given(h=st.integers(1, 9), w=st.integers(1, 9), mode=st.sampled_from(MODES), data=st.data())
def test_interpolate_matches_torch_for_random_sizes_and_scales(h, w, mode, data):
    import torch

    if data.draw(st.booleans(), label="by size"):
        resize = dict(size=(data.draw(st.integers(1, 20)), data.draw(st.integers(1, 20))))
    else:
        factor = (data.draw(st.floats(0.3, 4.0)), data.draw(st.floats(0.3, 4.0)))
        assume(min(np.floor(h * factor[0]), np.floor(w * factor[1])) >= 1)
        resize = dict(scale_factor=factor)
    x = rng(h * 10 + w).standard_normal((1, 2, h, w))
    out = interpolate(mg.tensor(x), mode=mode[0], align_corners=mode[1], **resize)
    expected = torch.nn.functional.interpolate(torch.tensor(x), mode=mode[0], align_corners=mode[1], **resize)
    assert out.shape == tuple(expected.shape)
    assert_close(out, expected, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("mode, align_corners", MODES)
def test_interpolate_gradcheck_and_gradgradcheck(mode, align_corners):
    check_op(lambda t: interpolate(t, size=(5, 3), mode=mode, align_corners=align_corners), rng(11).standard_normal((1, 2, 3, 4)))


@needs_torch
def test_interpolate_3d_input_modules_and_errors():
    import torch

    x = rng(12).standard_normal((2, 3, 6))
    for mode, ac in (("nearest", None), ("linear", False), ("linear", True)):
        assert_close(interpolate(mg.tensor(x), scale_factor=1.5, mode=mode, align_corners=ac),
                     torch.nn.functional.interpolate(torch.tensor(x), scale_factor=1.5, mode=mode, align_corners=ac))
    image = rng(13).standard_normal((1, 2, 4, 5))
    for mine, theirs in ((Upsample(scale_factor=2), torch.nn.Upsample(scale_factor=2)),
                         (Upsample(size=(7, 3), mode="bilinear"), torch.nn.Upsample(size=(7, 3), mode="bilinear")),
                         (UpsamplingNearest2d(size=6), torch.nn.UpsamplingNearest2d(size=6)),
                         (UpsamplingBilinear2d(scale_factor=1.5), torch.nn.UpsamplingBilinear2d(scale_factor=1.5))):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert_close(mine(mg.tensor(image)), theirs(torch.tensor(image)), rtol=1e-13, atol=1e-14)
    t = mg.tensor(image)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        interpolate(t, size=3, scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor"):
        interpolate(t)
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        interpolate(t, size=3, align_corners=True)
    with pytest.raises(NotImplementedError, match="linear mode needs 3D input"):
        interpolate(t, size=3, mode="linear")


# -- pad --------------------------------------------------------------------------------------------
X = np.arange(2 * 3 * 4 * 5, dtype=np.float64).reshape(2, 3, 4, 5) / 7.0
PADS = [
    (X, (1, 2), "constant", 1.5), (X, (-1, 2, 1, -2), "constant", None), (X, (1, 1, 1, 1, 1, 1, 1, 1), "constant", None),
    (X, (1, 2, 0, 3), "reflect", None), (X, (-1, 2, 1, -2), "reflect", None), (X[0], (2, 3), "reflect", None),
    (X, (2, 2, 1, 1), "replicate", None), (X, (-1, 2, 1, -2), "replicate", None), (X[0, 0], (3, 2), "replicate", None),
    (X, (1, 2, 2, 0), "circular", None), (X, (2, 3, 1, 1, 1, 1), "replicate", None), (X, (2, 3, 1, 1, 1, 1), "circular", None),
]


@needs_torch
@pytest.mark.parametrize("array, pads, mode, value", PADS, ids=lambda v: str(v) if not isinstance(v, np.ndarray) else str(v.shape))
def test_pad_values_and_gradients_match_torch(array, pads, mode, value):
    import torch

    x = leaf(array)
    out = pad(x, pads, mode=mode, value=value)
    tx = to_torch(x)
    expected = torch.nn.functional.pad(tx, pads, mode=mode, value=value)
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    seed = rng(14).standard_normal(out.shape)
    (out * mg.tensor(seed)).sum().backward()
    (expected * torch.tensor(seed)).sum().backward()
    assert_close(x.grad, tx.grad)


@pytest.mark.parametrize("pads, mode", [((1, -1, 2, 0), "constant"), ((2, 1, 1, 2), "reflect"), ((3, 1, 2, 2), "replicate"),
                                         ((1, 2, 3, 0), "circular")])
def test_pad_gradcheck_and_gradgradcheck(pads, mode):
    check_op(lambda t: pad(t, pads, mode=mode), rng(15).standard_normal((1, 2, 3, 4)))


@needs_torch
@pytest.mark.parametrize("array, pads, mode, value", [
    (X, (1, 2, 3), "constant", None), (X[0, 0], (1, 1, 1, 1, 1, 1), "constant", None), (X, (-3, -3), "constant", None),
    (X, (5, 0, 0, 0), "reflect", None), (X, (6, 0, 0, 0), "circular", None), (X, (1, 1), "reflect", None),
    (X, (1, 1, 1, 1), "reflect", 1.0),
])
def test_pad_errors_agree_with_torch(array, pads, mode, value):
    import torch

    with pytest.raises((ValueError, RuntimeError, NotImplementedError)):
        torch.nn.functional.pad(torch.tensor(array), pads, mode=mode, value=value)
    with pytest.raises((ValueError, RuntimeError, NotImplementedError)):
        pad(mg.tensor(array), pads, mode=mode, value=value)


@needs_torch
def test_padding_modules_match_torch():
    import torch

    for mine, theirs in ((ZeroPad2d(2), torch.nn.ZeroPad2d(2)), (ZeroPad2d((1, 0, 2, -1)), torch.nn.ZeroPad2d((1, 0, 2, -1))),
                         (ConstantPad2d(1, 3.5), torch.nn.ConstantPad2d(1, 3.5)),
                         (ReflectionPad2d((3, 1, 2, 0)), torch.nn.ReflectionPad2d((3, 1, 2, 0))),
                         (ReplicationPad2d(3), torch.nn.ReplicationPad2d(3))):
        np.testing.assert_array_equal(mine(mg.tensor(X)).data, theirs(torch.tensor(X)).detach().numpy())
        assert repr(mine) == repr(theirs)


# -- dropout2d --------------------------------------------------------------------------------------
def test_dropout2d_zeroes_whole_channels_scales_and_is_reproducible():
    x = leaf(rng(16).standard_normal((8, 16, 3, 3)))
    mg.manual_seed(0)
    y = dropout2d(x, p=0.25)
    mg.manual_seed(0)
    np.testing.assert_array_equal(dropout2d(x, p=0.25).data, y.data)
    values = y.detach().numpy()
    kept, dropped = (values != 0).all(axis=(2, 3)), (values == 0).all(axis=(2, 3))
    assert (kept | dropped).all() and dropped.any() and kept.any()
    np.testing.assert_allclose(values[kept], x.detach().numpy()[kept] / 0.75, rtol=1e-15)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.detach().numpy(), np.broadcast_to((kept / 0.75)[:, :, None, None], x.shape), rtol=1e-15)
    assert dropout2d(x, p=0.5, training=False) is x
    assert (dropout2d(x, p=1.0).detach().numpy() == 0).all()
    with pytest.raises(ValueError, match="between 0 and 1"):
        dropout2d(x, p=1.5)


def test_dropout2d_module_follows_train_and_eval_and_3d_warns():
    layer = Dropout2d(0.5)
    x = mg.ones(4, 6, 2, 2)
    assert (layer(x).detach().numpy() != 1).any()
    layer.eval()
    assert layer(x) is x
    with pytest.warns(UserWarning, match="channel-wise 1D dropout"):
        y = dropout2d(mg.ones(4, 6, 5), p=0.5)
    assert ((y.detach().numpy() == 0).all(-1) | (y.detach().numpy() == 2).all(-1)).all()
    assert repr(Dropout2d(0.3)) == "Dropout2d(p=0.3, inplace=False)"
