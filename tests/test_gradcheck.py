"""mg.gradcheck and mg.gradgradcheck: what they report and when."""
import numpy as np
import pytest

import minigrad as mg
from helpers import leaf


class Square(mg.autograd.Function):
    """x**2 whose backward forgets a factor for element 1 (a planted bug)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.data ** 2

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        scale = mg.tensor(np.array([2.0, 1.0, 2.0]))
        return grad * x * scale


def test_failure_names_input_element_values_and_tolerance():
    x = leaf([1.0, 3.0, -2.0])
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(lambda c, t: Square.apply(t) * c, (mg.ones(3, dtype=mg.float64), x))
    message = str(info.value)
    assert "input 1" in message and "input element (1,)" in message
    assert "numerical:  6" in message and "analytical: 3" in message
    assert "atol + rtol" in message


def test_raise_exception_false_returns_false():
    assert mg.gradcheck(Square.apply, (leaf([1.0, 3.0, -2.0]),), raise_exception=False) is False


def test_float32_inputs_warn():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="float64"):
        assert mg.gradcheck(lambda t: t * 2, (x,), eps=1e-2, atol=1e-3, rtol=1e-3)


def test_kinks_are_reported():
    x = leaf([0.0, 1.0])
    with pytest.raises(mg.GradcheckError, match="kink"):
        mg.gradcheck(lambda t: t.relu(), (x,))
    tie = leaf([[2.0, 2.0, 1.0]])
    with pytest.raises(mg.GradcheckError, match="kink"):
        mg.gradcheck(lambda t: t.max(1).values, (tie,))


def test_a_genuine_error_is_not_called_a_kink():
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(Square.apply, (leaf([1.0, 3.0, -2.0]),))
    assert "kink" not in str(info.value)


def test_gradgradcheck_catches_a_wrong_double_backward():
    class BadDoubleBackward(mg.autograd.Function):
        # the first derivative is right, but it is computed on raw arrays, so it has no
        # gradient of its own: the second derivative comes out as zero
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.data ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * mg.tensor(3 * x.data ** 2)

    x = leaf([0.5, 1.5])
    assert mg.gradcheck(BadDoubleBackward.apply, (x,))
    assert not mg.gradgradcheck(BadDoubleBackward.apply, (x,), raise_exception=False)


def test_gradcheck_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="requires grad"):
        mg.gradcheck(lambda t: t * 2, (leaf([1.0], requires_grad=False),))


def test_multiple_outputs_and_non_tensor_inputs():
    x, y = leaf([1.0, 2.0]), leaf([3.0])
    assert mg.gradcheck(lambda a, k, b: (a * b * k, (a + b).exp()), (x, 2.5, y))
    assert mg.gradgradcheck(lambda a, b: (a * b * a, (a + b).exp()), (x, y))
