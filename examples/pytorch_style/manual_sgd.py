"""Gradient descent by hand, written as a PyTorch program: only the import names minigrad.

1. A line ``y = 3x - 2`` recovered from noisy points with two tensors that require grad and the
   update ``w -= learning_rate * w.grad`` under ``torch.no_grad()``.
2. A cubic fitted to ``cos(x)`` on [-2, 2] by an ``nn.Sequential`` whose parameters are updated
   in a loop over ``model.parameters()``, gradients reset with ``p.grad.zero_()``.
3. A ReLU written as a ``torch.autograd.Function``, checked against ``clamp(min=0)`` and by
   ``torch.autograd.gradcheck``, then trained in a two-layer network.

Nothing is random (the noise is a fixed pattern, the weights start at fixed values), so the
numbers are the same with PyTorch: change the first line to ``import torch`` and compare.

    python examples/pytorch_style/manual_sgd.py [--steps 500]
"""
import argparse

import minigrad as torch
import minigrad.nn as nn

parser = argparse.ArgumentParser(description="gradient descent by hand, PyTorch style")
parser.add_argument("--steps", type=int, default=500, help="gradient steps for each part")
args = parser.parse_args()


# -- 1. a line, with bare tensors ---------------------------------------------------------------
x = torch.linspace(-1, 1, 100)
noise = 0.1 * torch.sin(37 * x)                  # fixed "noise", the same in every framework
y = 3 * x - 2 + noise

w = torch.zeros(1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
learning_rate = 0.1
first_loss = None
for step in range(args.steps):
    y_pred = w * x + b
    loss = (y_pred - y).pow(2).mean()
    if first_loss is None:
        first_loss = loss.item()
    loss.backward()
    with torch.no_grad():
        w -= learning_rate * w.grad
        b -= learning_rate * b.grad
        w.grad = None
        b.grad = None
print(f"line: loss {first_loss:.4f} -> {loss.item():.6f}, w = {w.item():.4f}, b = {b.item():.4f}")
assert loss.item() < first_loss / 100, "the loss should fall"
assert abs(w.item() - 3) < 0.05 and abs(b.item() + 2) < 0.05


# -- 2. a cubic, with nn.Sequential and a loop over model.parameters() --------------------------
x = torch.linspace(-2, 2, 200)
y = torch.cos(x)
powers = torch.tensor([1, 2, 3])
features = x.unsqueeze(-1).pow(powers)           # (200, 3): x, x^2, x^3

model = nn.Sequential(
    nn.Linear(3, 1),
    nn.Flatten(0, 1),
)
nn.init.constant_(model[0].weight, 0.1)
nn.init.zeros_(model[0].bias)
loss_fn = nn.MSELoss(reduction="sum")
learning_rate = 2e-4
losses = []
for step in range(args.steps):
    y_pred = model(features)
    loss = loss_fn(y_pred, y)
    losses.append(loss.item())
    if step % 100 == 99:
        print(f"cubic: step {step + 1:4d}  loss {loss.item():.6f}")
    for p in model.parameters():
        if p.grad is not None:
            p.grad.zero_()
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= learning_rate * p.grad
linear_layer = model[0]
print(f"cubic: y = {linear_layer.bias.item():.4f} {linear_layer.weight[:, 0].item():+.4f} x "
      f"{linear_layer.weight[:, 1].item():+.4f} x^2 {linear_layer.weight[:, 2].item():+.4f} x^3")
print(f"cubic: loss {losses[0]:.4f} -> {losses[-1]:.6f}")
assert losses[-1] < losses[0] / 10, "the loss should fall"


# -- 3. a custom autograd Function -------------------------------------------------------------
class MyReLU(torch.autograd.Function):
    """ReLU with its gradient written by hand."""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


a = torch.linspace(-3, 3, 13, requires_grad=True)
MyReLU.apply(a).sum().backward()
expected = (a >= 0).type(torch.float)          # clamp's gradient is 1 at 0, and so is MyReLU's
print(f"MyReLU: gradient {a.grad.tolist()}")
assert a.grad.equal(expected)
check = torch.linspace(-1.05, 1.05, 8, dtype=torch.double, requires_grad=True)
print(f"MyReLU: gradcheck {torch.autograd.gradcheck(MyReLU.apply, (check,), eps=1e-6, atol=1e-4)}")

# a 1-16-1 network with MyReLU fitted to |x| by hand-written SGD
x = torch.linspace(-1, 1, 64).unsqueeze(1)
y = x.abs()
w1 = torch.linspace(-1, 1, 16).reshape(1, 16).requires_grad_()
b1 = torch.full((16,), 0.05, requires_grad=True)
w2 = torch.full((16, 1), 0.1, requires_grad=True)
learning_rate = 0.05
relu = MyReLU.apply
for step in range(args.steps):
    y_pred = relu(x.mm(w1) + b1).mm(w2)
    loss = (y_pred - y).pow(2).sum()
    if step == 0:
        first_loss = loss.item()
    loss.backward()
    with torch.no_grad():
        for param in (w1, b1, w2):
            param -= learning_rate * param.grad / len(x)
            param.grad.zero_()
print(f"MyReLU network: loss {first_loss:.4f} -> {loss.item():.6f}")
assert loss.item() < first_loss / 10, "the loss should fall"
print(f"final loss: {loss.item():.6f}")
