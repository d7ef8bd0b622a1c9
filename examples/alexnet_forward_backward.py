"""AlexNet (the 2012 paper's layout) on a batch of random 227x227 images: the shape after each
layer, then the time of a forward pass, a backward pass and an SGD step.

    python examples/alexnet_forward_backward.py            # batch 8
    python examples/alexnet_forward_backward.py --quick    # batch 1
"""
import argparse
import time

import minigrad as mg
import minigrad.nn.functional as F

parser = argparse.ArgumentParser()
parser.add_argument("--quick", action="store_true")
args = parser.parse_args()
batch = 1 if args.quick else 8

mg.manual_seed(0)
model = mg.models.AlexNet()
x = mg.randn(batch, 3, 227, 227)
labels = mg.randint(0, 1000, (batch,))

print(f"{'layer':<60}output shape")
with mg.no_grad():
    h = x
    for name, layer in model.features.named_children():
        h = layer(h)
        print(f"features.{name:<3}{layer!r:<51}{h.shape}")
    h = h.flatten(1)
    model.eval()
    for name, layer in model.classifier.named_children():
        h = layer(h)
        print(f"classifier.{name:<2}{layer!r:<50}{h.shape}")
    model.train()
print(f"parameters: {sum(p.numel() for p in model.parameters()):,}")

optimizer = mg.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
start = time.perf_counter()
loss = F.cross_entropy(model(x), labels)
forward = time.perf_counter()
loss.backward()
backward = time.perf_counter()
optimizer.step()
step = time.perf_counter()
print(f"batch {batch}: forward {1000 * (forward - start):.0f} ms, backward {1000 * (backward - forward):.0f} ms, "
      f"SGD step {1000 * (step - backward):.0f} ms (loss {loss.item():.3f})")
