"""Write a new op with mg.autograd.Function: softplus, log(1 + e^x), whose derivative is the
sigmoid. The backward uses Tensor ops, so second derivatives work too.

    python examples/custom_op.py [--quick]
"""
import numpy as np

import minigrad as mg


class Softplus(mg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.logaddexp(0.0, x.data)  # log(1 + e^x) without overflow

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x.sigmoid()


def softplus(x):
    return Softplus.apply(x)


mg.manual_seed(0)
x = mg.randn(5, dtype=mg.float64, requires_grad=True)
y = softplus(x).sum()
y.backward()
print("x:          ", np.round(x.data, 4))
print("softplus(x):", np.round(softplus(x).data, 4))
print("gradient:   ", np.round(x.grad.data, 4), "= sigmoid(x):", np.allclose(x.grad.data, 1 / (1 + np.exp(-x.data))))
print("gradcheck:", mg.gradcheck(softplus, (x,)), " gradgradcheck:", mg.gradgradcheck(softplus, (x,)))

# the op in a small network, trained to fit y = softplus(3x - 1)
data = mg.linspace(-2, 2, 64).reshape(-1, 1)
target = softplus(3 * data - 1).detach()
layer = mg.nn.Linear(1, 1)
optimizer = mg.optim.Adam(layer.parameters(), lr=0.1)
for step in range(300):
    optimizer.zero_grad()
    loss = mg.nn.functional.mse_loss(softplus(layer(data)), target)
    loss.backward()
    optimizer.step()
print(f"fitted weight {layer.weight.item():.3f} (true 3), bias {layer.bias.item():.3f} (true -1), loss {loss.item():.2e}")
