"""Fashion-MNIST quickstart, written as a PyTorch program: only the imports name minigrad.

A multilayer perceptron (784-512-512-10) trained with SGD, tested after every epoch, saved to
``model.pth``, loaded back and asked for one prediction. With PyTorch and torchvision installed,
the same program runs after changing its imports (``minigrad`` to ``torch``, ``minigrad.data`` to
``torchvision``).

    python examples/pytorch_style/fashion_mnist_quickstart.py                # full data, 1 epoch
    python examples/pytorch_style/fashion_mnist_quickstart.py --limit 2000 --lr 0.05   # quick

The default learning rate, 1e-3, is the tutorial's: about 45% test accuracy after one epoch.

The images come from ``--root`` (torchvision's layout, ``root/FashionMNIST/raw``);
``download=True`` copies Debian's ``dataset-fashion-mnist`` files there when they are installed.
This example never goes online: without either, it uses the Fashion-MNIST subset that ships
with minigrad (6,000 training and 1,000 test images), and says so.
"""
import argparse
import os

import minigrad as torch
from minigrad import nn
from minigrad.data import datasets
from minigrad.data.transforms import ToTensor
from minigrad.utils.data import DataLoader, Subset

DEBIAN_COPY = "/usr/share/datasets/fashion-mnist"


def fashion_mnist(root):
    """torchvision's ``FashionMNIST`` (training and test sets) when its files are under ``root``
    or installed by Debian, else the subset shipped with minigrad (so that the example runs offline)."""
    if os.path.isdir(os.path.join(root, "FashionMNIST", "raw")) or os.path.isdir(DEBIAN_COPY):
        return (datasets.FashionMNIST(root=root, train=True, download=True, transform=ToTensor()),
                datasets.FashionMNIST(root=root, train=False, download=True, transform=ToTensor()))
    print(f"Fashion-MNIST is neither in {root} nor in {DEBIAN_COPY}: using minigrad's embedded subset")
    return (datasets.EmbeddedFashionMNIST(train=True, transform=ToTensor()),
            datasets.EmbeddedFashionMNIST(train=False, transform=ToTensor()))


parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--root", default="data", help="dataset folder (torchvision's layout)")
parser.add_argument("--epochs", type=int, default=1)
parser.add_argument("--limit", type=int, default=None, help="train and test on the first LIMIT images only")
parser.add_argument("--batch-size", type=int, default=64)
parser.add_argument("--lr", type=float, default=1e-3)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
torch.manual_seed(args.seed)

training_data, test_data = fashion_mnist(args.root)
if args.limit is not None:
    training_data = Subset(training_data, range(min(args.limit, len(training_data))))
    test_data = Subset(test_data, range(min(args.limit, len(test_data))))

train_dataloader = DataLoader(training_data, batch_size=args.batch_size, shuffle=True)
test_dataloader = DataLoader(test_data, batch_size=args.batch_size)

for X, y in test_dataloader:
    print(f"Shape of X [N, C, H, W]: {X.shape}")
    print(f"Shape of y: {y.shape} {y.dtype}")
    break

device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
print(f"Using {device} device")


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10),
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


model = NeuralNetwork().to(device)
print(model)

loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)


def train(dataloader, model, loss_fn, optimizer):
    size = len(dataloader.dataset)
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        X, y = X.to(device), y.to(device)

        # Compute prediction error
        pred = model(X)
        loss = loss_fn(pred, y)

        # Backpropagation
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

        if batch % 100 == 0:
            loss, current = loss.item(), (batch + 1) * len(X)
            print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")


def test(dataloader, model, loss_fn):
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            X, y = X.to(device), y.to(device)
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    test_loss /= num_batches
    correct /= size
    print(f"Test Error: \n Accuracy: {(100*correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")
    return correct


for t in range(args.epochs):
    print(f"Epoch {t+1}\n-------------------------------")
    train(train_dataloader, model, loss_fn, optimizer)
    accuracy = test(test_dataloader, model, loss_fn)
print("Done!")

torch.save(model.state_dict(), "model.pth")
print("Saved PyTorch Model State to model.pth")

model = NeuralNetwork().to(device)
model.load_state_dict(torch.load("model.pth", weights_only=True))

classes = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]

model.eval()
x, y = test_data[0][0], test_data[0][1]
with torch.no_grad():
    x = x.to(device)
    pred = model(x)
    predicted, actual = classes[pred[0].argmax(0)], classes[y]
    print(f'Predicted: "{predicted}", Actual: "{actual}"')

# the reloaded model gives the trained model's accuracy
print(f"test accuracy: {test(test_dataloader, model, loss_fn):.4f}")
