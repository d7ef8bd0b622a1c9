"""Tensor creation, dtype rules, attributes and methods."""
import numpy as np
import pytest

import minigrad as mg


def test_python_data_dtypes_follow_pytorch_and_numpy_keeps_its_own():
    assert mg.tensor([1, 2, 3]).dtype == mg.int64  # torch.tensor infers int64 from ints
    assert mg.tensor(3).dtype == mg.int64
    assert mg.tensor([1, 2.5]).dtype == mg.float32
    assert mg.tensor(2.5).dtype == mg.float32
    assert mg.Tensor([[1.0]]).dtype == mg.float32
    assert mg.Tensor([1, 2]).dtype == mg.float32  # torch.Tensor is the default float type
    assert mg.tensor([True, False]).dtype == mg.bool
    assert mg.tensor(np.arange(3)).dtype == mg.int64
    assert mg.tensor(np.zeros(2, dtype=np.float64)).dtype == mg.float64
    assert mg.tensor([1, 2], dtype=mg.int64).dtype == mg.int64


def test_set_default_dtype_changes_python_data():
    mg.set_default_dtype(mg.float64)
    assert mg.tensor([1.0]).dtype == mg.float64
    assert mg.randn(2).dtype == mg.float64
    with pytest.raises(TypeError):
        mg.set_default_dtype(mg.int64)


def test_tensor_copies_but_Tensor_shares():
    a = np.zeros(3, dtype=np.float32)
    copied, shared = mg.tensor(a), mg.Tensor(a)
    a[0] = 5
    assert copied.data[0] == 0 and shared.data[0] == 5
    t = mg.tensor([1.0])
    assert not np.shares_memory(mg.tensor(t).numpy(), t.numpy())


def test_python_scalars_never_promote_float32():
    x = mg.ones(3)
    for y in (x * 2.5, 2.5 * x, x + 1, x / 3, x - np.float64(0.5), x ** 2.0, 1.5 ** x, np.float64(2) * x):
        assert y.dtype == mg.float32
    assert (mg.tensor(np.arange(3)) * 2.5).dtype == mg.float32
    assert (mg.tensor(np.arange(3)) * 2).dtype == mg.int64
    assert (mg.tensor(np.arange(3)) / 2).dtype == mg.float32


def test_tensor_promotion_follows_pytorch():
    f32, f64 = mg.ones(2), mg.ones(2, dtype=mg.float64)
    ints = mg.tensor(np.arange(2))
    assert (f32 + f64).dtype == mg.float64
    assert (ints + f32).dtype == mg.float32  # numpy would say float64
    assert (f32 + mg.tensor(np.float64(1.0))).dtype == mg.float32  # a 0-d tensor does not promote
    assert (ints + mg.tensor(np.float64(1.5))).dtype == mg.float64  # ...unless of a higher category


def test_numpy_arrays_on_the_left_give_tensors():
    x = mg.ones(2, requires_grad=True)
    y = np.array([1.0, 2.0], dtype=np.float32) * x
    assert isinstance(y, mg.Tensor) and y.requires_grad


@pytest.mark.parametrize("dtype", [mg.int64, mg.int32, mg.bool, mg.uint8])
def test_only_floating_tensors_can_require_grad(dtype):
    with pytest.raises(TypeError, match="floating"):
        mg.tensor(np.zeros(2, dtype=dtype), requires_grad=True)
    t = mg.tensor(np.zeros(2, dtype=dtype))
    with pytest.raises(RuntimeError, match="floating"):
        t.requires_grad_()
    with pytest.raises(RuntimeError):
        t.requires_grad = True


def test_attributes():
    x = mg.randn(2, 3, requires_grad=True)
    y = x * 2
    assert x.shape == (2, 3) and x.ndim == 2 and x.size() == (2, 3) and x.size(1) == 3 and x.size(-1) == 3
    assert x.numel() == 6 and len(x) == 2
    assert x.is_leaf and not y.is_leaf
    assert x.grad_fn is None and y.grad_fn is not None
    constant = mg.ones(2)
    assert isinstance(constant.numpy(), np.ndarray) and np.shares_memory(constant.numpy(), constant.data.numpy())
    with pytest.raises(RuntimeError, match="detach"):  # as PyTorch: x requires grad
        x.numpy()
    assert x.detach().numpy() is x.numpy(force=True) and np.shares_memory(x.data.numpy(), x.numpy(force=True))
    assert mg.tensor([[3.5]]).item() == 3.5
    with pytest.raises(RuntimeError, match="elements"):
        x.item()
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and np.shares_memory(d.numpy(), y.numpy(force=True))
    z = mg.zeros(2).requires_grad_()
    assert z.requires_grad


def test_factories_and_seed():
    assert mg.zeros(2, 3).shape == (2, 3) and mg.zeros((2, 3)).shape == (2, 3)
    assert mg.ones(4).data.sum() == 4
    assert mg.full((2,), 7).dtype == mg.int64 and mg.full((2,), 7.0).dtype == mg.float32
    assert mg.zeros_like(mg.ones(2, dtype=mg.float64)).dtype == mg.float64
    assert mg.ones_like(mg.zeros(3)).data.tolist() == [1, 1, 1]
    assert mg.arange(4).dtype == mg.int64 and mg.arange(0, 1, 0.5).tolist() == [0.0, 0.5]
    assert mg.randn(3, 4).dtype == mg.float32 and mg.rand(5).data.min() >= 0
    mg.manual_seed(3)
    a, b = mg.randn(5), mg.rand(5)
    mg.manual_seed(3)
    assert np.array_equal(a.data, mg.randn(5).data) and np.array_equal(b.data, mg.rand(5).data)
    assert mg.randn(2, requires_grad=True).requires_grad


def test_repr_like_pytorch():
    assert repr(mg.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert "requires_grad=True" in repr(mg.ones(1, requires_grad=True))
    assert "grad_fn=<MulBackward>" in repr(mg.ones(1, requires_grad=True) * 2)
    assert "dtype=minigrad.float64" in repr(mg.ones(1, dtype=mg.float64))


def test_conversions():
    x = mg.tensor([1.5, -2.0], requires_grad=True)
    assert x.double().dtype == mg.float64 and x.long().dtype == mg.int64
    y = x.double() * 2
    y.sum().backward()
    assert x.grad.dtype == mg.float32 and x.grad.tolist() == [2.0, 2.0]
    assert float(mg.tensor(2.0)) == 2.0 and int(mg.tensor(3.0)) == 3


def test_setitem_on_plain_tensor_and_refusal_with_grad():
    t = mg.zeros(3)
    t[1] = 5.0
    assert t.tolist() == [0, 5, 0]
    x = mg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        x[0] = 1.0
    with mg.no_grad():
        x[0] = 1.0
    assert x.data[0] == 1.0


def test_comparisons_are_bool_and_not_differentiable():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for c in (x > 2, x >= 2, x < 2, x <= 2, x == 2, x != 2):
        assert c.dtype == mg.bool and not c.requires_grad
    assert (x > 1.5).tolist() == [False, True, True]
    assert ((x > 1) & (x < 3)).tolist() == [False, True, False]
    assert (~(x > 1)).tolist() == [True, False, False]
