"""A small CNN on Fashion-MNIST, written as a PyTorch program: only the imports name minigrad.

Two convolutions (32 and 64 filters of 3x3), max pooling, dropout and two linear layers, trained
with SGD + momentum and a StepLR schedule on normalised images; log-softmax outputs with the
negative log-likelihood loss.

    python examples/pytorch_style/cnn_fashion_mnist.py                    # full data, 2 epochs
    python examples/pytorch_style/cnn_fashion_mnist.py --limit 3000       # a quick run

The images come from ``--root`` (torchvision's layout), or from Debian's
``dataset-fashion-mnist`` package; without either (this example never goes online) from the
Fashion-MNIST subset shipped with minigrad, and the program says so. ``--embedded`` asks for the
subset directly.
"""
import argparse
import os
import time

import minigrad as torch
import minigrad.nn as nn
import minigrad.nn.functional as F
import minigrad.optim as optim
from minigrad.data import datasets, transforms
from minigrad.optim.lr_scheduler import StepLR
from minigrad.utils.data import DataLoader

DEBIAN_COPY = "/usr/share/datasets/fashion-mnist"
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
           "Ankle boot")


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.pool = nn.MaxPool2d(2)
        self.relu = nn.ReLU(inplace=True)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(64 * 5 * 5, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.pool(self.relu(self.conv1(x)))      # 28 -> 26 -> 13
        x = self.pool(self.relu(self.conv2(x)))      # 13 -> 11 -> 5
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def train(args, model, device, train_loader, optimizer, epoch):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(
                epoch, batch_idx * len(data), len(train_loader.dataset),
                100. * batch_idx / len(train_loader), loss.item()))


def test(model, device, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction='sum').item()  # sum up batch loss
            pred = output.argmax(dim=1, keepdim=True)  # get the index of the max log-probability
            correct += pred.eq(target.view_as(pred)).sum().item()

    test_loss /= len(test_loader.dataset)
    print('\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\n'.format(
        test_loss, correct, len(test_loader.dataset),
        100. * correct / len(test_loader.dataset)))
    return correct / len(test_loader.dataset)


def per_class_accuracy(model, device, test_loader):
    """Accuracy for each class, the way the CIFAR-10 tutorial counts it (torch.max on .data)."""
    correct_pred = {classname: 0 for classname in CLASSES}
    total_pred = {classname: 0 for classname in CLASSES}
    model.eval()
    with torch.no_grad():
        for images, labels in test_loader:
            images, labels = images.to(device), labels.to(device)
            outputs = model(images)
            _, predictions = torch.max(outputs.data, 1)
            for label, prediction in zip(labels, predictions):
                if label == prediction:
                    correct_pred[CLASSES[label]] += 1
                total_pred[CLASSES[label]] += 1
    for classname, correct_count in correct_pred.items():
        if total_pred[classname]:
            accuracy = 100 * float(correct_count) / total_pred[classname]
            print(f'Accuracy for class: {classname:11s} is {accuracy:.1f} %')


def fashion_mnist(args, transform):
    """torchvision's ``FashionMNIST`` (training and test sets) when its files are at hand, else
    the subset shipped with minigrad."""
    have_files = os.path.isdir(os.path.join(args.root, "FashionMNIST", "raw")) or os.path.isdir(DEBIAN_COPY)
    if have_files and not args.embedded:
        return (datasets.FashionMNIST(args.root, train=True, download=True, transform=transform),
                datasets.FashionMNIST(args.root, train=False, transform=transform))
    if not args.embedded:
        print(f"Fashion-MNIST is neither in {args.root} nor in {DEBIAN_COPY}: using minigrad's embedded subset")
    return (datasets.EmbeddedFashionMNIST(train=True, transform=transform),
            datasets.EmbeddedFashionMNIST(train=False, transform=transform))


def main():
    parser = argparse.ArgumentParser(description='Fashion-MNIST CNN, PyTorch style')
    parser.add_argument('--batch-size', type=int, default=64, metavar='N')
    parser.add_argument('--test-batch-size', type=int, default=1000, metavar='N')
    parser.add_argument('--epochs', type=int, default=2, metavar='N')
    parser.add_argument('--lr', type=float, default=0.05, metavar='LR')
    parser.add_argument('--momentum', type=float, default=0.9, metavar='M')
    parser.add_argument('--gamma', type=float, default=0.7, metavar='M', help='learning rate step gamma')
    parser.add_argument('--optimizer', choices=['sgd', 'adam'], default='sgd')
    parser.add_argument('--seed', type=int, default=1, metavar='S')
    parser.add_argument('--log-interval', type=int, default=100, metavar='N')
    parser.add_argument('--root', default='../data')
    parser.add_argument('--embedded', action='store_true', help="use the subset shipped with minigrad")
    parser.add_argument('--limit', type=int, default=None, help='train and test on the first LIMIT images only')
    parser.add_argument('--save-model', action='store_true')
    args = parser.parse_args()

    use_cuda = torch.cuda.is_available()
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if use_cuda else "cpu")

    train_kwargs = {'batch_size': args.batch_size, 'shuffle': True}
    test_kwargs = {'batch_size': args.test_batch_size}
    if use_cuda:
        cuda_kwargs = {'num_workers': 1, 'pin_memory': True}
        train_kwargs.update(cuda_kwargs)
        test_kwargs.update(cuda_kwargs)

    transform = transforms.Compose([
        transforms.ToTensor(),
        transforms.Normalize((0.2860,), (0.3530,))
    ])
    dataset1, dataset2 = fashion_mnist(args, transform)
    if args.limit is not None:
        dataset1 = torch.utils.data.Subset(dataset1, list(range(min(args.limit, len(dataset1)))))
        dataset2 = torch.utils.data.Subset(dataset2, list(range(min(args.limit, len(dataset2)))))
    train_loader = torch.utils.data.DataLoader(dataset1, **train_kwargs)
    test_loader = torch.utils.data.DataLoader(dataset2, **test_kwargs)

    model = Net().to(device)
    if args.optimizer == 'sgd':
        optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    else:
        optimizer = optim.Adam(model.parameters(), lr=args.lr)

    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    accuracy = 0.0
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        train(args, model, device, train_loader, optimizer, epoch)
        accuracy = test(model, device, test_loader)
        scheduler.step()
        print(f"epoch {epoch} took {time.perf_counter() - start:.1f} s, "
              f"next lr {scheduler.get_last_lr()[0]:.4f}")

    per_class_accuracy(model, device, test_loader)
    if args.save_model:
        torch.save(model.state_dict(), "fashion_mnist_cnn.pt")
    print(f"test accuracy: {accuracy:.4f}")


if __name__ == '__main__':
    main()
