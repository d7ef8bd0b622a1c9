"""Looking at tensors the PyTorch way: print, f-strings, format, shapes, dtypes, devices.

Everything a PyTorch program prints while it is being written and debugged: whole tensors,
``x.size()``, ``x.dtype``, ``x.device``, ``x.grad_fn``, numbers taken out with ``.item()`` or
formatted straight from 0-d tensors (``f"{loss:.4f}"``), the ``(values, indices)`` of
``x.max(1)``, and an accuracy counted with ``(pred == y).type(torch.float).sum()``.

    python examples/pytorch_style/printing.py
"""
import minigrad as torch
import minigrad.nn as nn
import minigrad.nn.functional as F

torch.manual_seed(0)

# -- whole tensors -------------------------------------------------------------------------------
x = torch.tensor([[1.0, -2.5, 3.25], [0.5, 4.0, -1.0]])
print(x)
print(torch.arange(6))
print(torch.tensor([True, False]))
print(torch.zeros(2, 2, dtype=torch.float64))
print(f"x = {x}")
print("x = {}".format(x))
print("as a list:", x.tolist())

# -- shape, dtype, device ------------------------------------------------------------------------
print(f"Shape of tensor: {x.shape}")
print(f"Datatype of tensor: {x.dtype}")
print(f"Device tensor is stored on: {x.device}")
print(f"size: {x.size()}, rows: {x.size(0)}, columns: {x.size(1)}, last dim: {x.size(-1)}")
print(f"numel: {x.numel()}, ndim: {x.ndim}, dim(): {x.dim()}")
rows, cols = x.shape
print(f"unpacked shape: {rows} x {cols}; transposed: {tuple(x.T.shape)}")
print(x.T)
print(f"is float: {x.is_floating_point()}, dtype is torch.float32: {x.dtype == torch.float32}")
print(f"labels dtype: {torch.tensor([1, 2]).dtype}, is torch.int64: {torch.tensor([1, 2]).dtype == torch.int64}")

# -- 0-d tensors as numbers ----------------------------------------------------------------------
total = x.sum()
print(total)
print(f"sum: {total:.1f}, item: {total.item()}, type: {type(total.item()).__name__}")
print("mean: {:.3f}".format(x.mean()))
print("mean: {}".format(x.mean()))
print("%.2f" % x.max().item())
print(f"as float: {float(total)}, as int: {int(x.max())}, as bool: {bool(total > 0)}")
print(f"round trip: {round(x.mean().item(), 3)}")

# -- autograd state ------------------------------------------------------------------------------
w = torch.ones(3, requires_grad=True)
y = (x * w).sum(dim=1)
loss = y.pow(2).mean()
print(y)
print(loss)
print(f"requires_grad: {y.requires_grad}, is_leaf: {w.is_leaf} / {y.is_leaf}")
print(y.grad_fn)
print(loss.grad_fn)
print(loss.grad_fn.next_functions)
loss.backward()
print(w.grad)
print(f"grad norm: {w.grad.pow(2).sum().sqrt():.4f}")     # w.grad.norm() in PyTorch
print(w.detach())
print(x.detach().numpy())

# -- max over a dimension: values and indices ----------------------------------------------------
values, indices = x.max(1)
print(values, indices)
result = x.max(dim=1)
print(f"values: {result.values}, indices: {result.indices}")
print(f"argmax: {x.argmax(1)}, argmax of all: {x.argmax()}")
_, predicted = torch.max(x.data, 1)
print(predicted)

# -- accuracy ------------------------------------------------------------------------------------
model = nn.Linear(4, 3)
inputs = torch.randn(8, 4)
labels = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
with torch.no_grad():
    logits = model(inputs)
    probs = F.softmax(logits, dim=1)
pred = logits.argmax(1)
print(f"logits: {tuple(logits.shape)}, probabilities sum to {probs.sum(1)}")
print(f"pred: {pred}, labels: {labels}")
correct = (pred == labels).type(torch.float).sum()
print(f"correct: {correct}, as number: {correct.item():.0f}")
accuracy = correct.item() / len(labels)
print(f"Accuracy: {(100 * accuracy):>0.1f}%")
print(f"accuracy: {(pred == labels).float().mean():.3f}")
print(model)
print(f"weight: {model.weight.shape}, bias: {model.bias.shape}")
for name, param in model.named_parameters():
    print(f"Layer: {name} | Size: {param.size()} | Values : {param[:1]} \n")
print(f"test accuracy: {accuracy:.2f}")
