"""Datasets of your own, written as a PyTorch program: only the imports name minigrad.

1. ``ImageFolderCSV``: a map-style ``Dataset`` over image files listed in a CSV file (the layout
   of most hand-made datasets: ``labels.csv`` with ``file,label`` lines, and the images in a
   folder), with ``transform`` and ``target_transform``. The images here are written first, from
   the Fashion-MNIST subset shipped with minigrad, as ``.npy`` files.
   A one-hot ``target_transform`` built with ``scatter_``; ``random_split`` with a seeded
   ``torch.Generator``; a shuffling ``DataLoader``; a linear classifier trained on the split.
2. ``Sentences``: samples that are dicts holding token sequences of different lengths, batched
   by a ``collate_fn`` that pads them.

    python examples/pytorch_style/custom_dataset.py [--images 1000] [--epochs 5]
"""
import argparse
import csv
import os
import tempfile

import numpy as np

import minigrad as torch
import minigrad.nn as nn
from minigrad.data import datasets, transforms
from minigrad.utils.data import DataLoader, Dataset, random_split


class ImageFolderCSV(Dataset):
    """Images listed in ``annotations_file`` (``file,label`` per line), stored in ``img_dir``."""

    def __init__(self, annotations_file, img_dir, transform=None, target_transform=None):
        with open(annotations_file, newline="") as f:
            self.img_labels = [(row["file"], int(row["label"])) for row in csv.DictReader(f)]
        self.img_dir = img_dir
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return len(self.img_labels)

    def __getitem__(self, idx):
        file, label = self.img_labels[idx]
        image = np.load(os.path.join(self.img_dir, file))      # a uint8 (28, 28) array
        if self.transform:
            image = self.transform(image)
        if self.target_transform:
            label = self.target_transform(label)
        return image, label


def write_image_folder(folder, count):
    """Write ``count`` Fashion-MNIST images as .npy files and their labels in labels.csv."""
    source = datasets.EmbeddedFashionMNIST(train=True, transform=None)    # raw uint8 images
    with open(os.path.join(folder, "labels.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "label"])
        for i in range(count):
            image, label = source[i * len(source) // count]               # spread over all classes
            np.save(os.path.join(folder, f"img_{i:05d}.npy"), image)
            writer.writerow([f"img_{i:05d}.npy", label])
    return source.classes


class Sentences(Dataset):
    """Token sequences of different lengths; label 1 when the sentence has more even tokens."""

    def __init__(self, count, vocabulary=50):
        self.samples = []
        for i in range(count):
            length = 3 + (7 * i) % 9
            tokens = [(i * 31 + j * 17) % vocabulary for j in range(length)]
            label = int(sum(t % 2 == 0 for t in tokens) > length / 2)
            self.samples.append({"tokens": torch.tensor(tokens), "label": label, "id": f"s{i}"})

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, idx):
        return self.samples[idx]


def pad_collate(batch):
    """A batch of dicts to one dict: tokens padded with 0 to the longest sequence, with lengths."""
    lengths = torch.tensor([len(sample["tokens"]) for sample in batch])
    padded = torch.zeros(len(batch), int(lengths.max()), dtype=torch.long)
    for i, sample in enumerate(batch):
        padded[i, :len(sample["tokens"])] = sample["tokens"]
    labels = torch.tensor([sample["label"] for sample in batch])
    return {"tokens": padded, "lengths": lengths, "label": labels, "id": [s["id"] for s in batch]}


def main():
    parser = argparse.ArgumentParser(description="custom datasets, PyTorch style")
    parser.add_argument("--images", type=int, default=1000, help="how many images to write and read back")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    torch.manual_seed(0)

    # -- 1. images listed in a CSV file --------------------------------------------------------
    with tempfile.TemporaryDirectory() as folder:
        classes = write_image_folder(folder, args.images)
        one_hot = transforms.Lambda(lambda y: torch.zeros(10, dtype=torch.float).scatter_(0, torch.tensor(y), value=1))
        dataset = ImageFolderCSV(os.path.join(folder, "labels.csv"), folder,
                                 transform=transforms.ToTensor(), target_transform=one_hot)
        image, target = dataset[0]
        print(f"{len(dataset)} images; the first: {tuple(image.shape)} {image.dtype}, target {target.tolist()} "
              f"({classes[target.argmax()]})")

        train_set, val_set = random_split(dataset, [0.8, 0.2], generator=torch.Generator().manual_seed(42))
        again, _ = random_split(dataset, [0.8, 0.2], generator=torch.Generator().manual_seed(42))
        assert list(train_set.indices) == list(again.indices), "the same seed gives the same split"
        print(f"random_split: {len(train_set)} for training, {len(val_set)} for validation")

        train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
        val_loader = DataLoader(val_set, batch_size=args.batch_size)
        images, targets = next(iter(train_loader))
        print(f"a batch: images {tuple(images.shape)}, targets {tuple(targets.shape)} {targets.dtype}")

        model = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 10))
        loss_fn = nn.CrossEntropyLoss()                   # class probabilities as targets
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        for epoch in range(args.epochs):
            model.train()
            total = 0.0
            for images, targets in train_loader:
                loss = loss_fn(model(images), targets)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item() * len(images)
            model.eval()
            correct = 0
            with torch.no_grad():
                for images, targets in val_loader:
                    correct += (model(images).argmax(1) == targets.argmax(1)).sum().item()
            accuracy = correct / len(val_set)
            print(f"epoch {epoch + 1}: train loss {total / len(train_set):.4f}, validation accuracy {accuracy:.3f}")

    # -- 2. dict samples and a collate_fn ---------------------------------------------------------
    sentences = Sentences(100)
    print(f"a sample: {sentences[1]}")
    loader = DataLoader(sentences, batch_size=8, shuffle=True, collate_fn=pad_collate)
    batch = next(iter(loader))
    print(f"a padded batch: tokens {tuple(batch['tokens'].shape)} {batch['tokens'].dtype}, "
          f"lengths {batch['lengths'].tolist()}, labels {batch['label'].tolist()}, ids {batch['id']}")
    mask = torch.arange(batch["tokens"].size(1)).unsqueeze(0) < batch["lengths"].unsqueeze(1)
    assert (batch["tokens"][~mask] == 0).all(), "padding is zero"
    assert sum(len(b["label"]) for b in loader) == len(sentences)
    default = next(iter(DataLoader(FirstTokens(sentences), batch_size=4)))   # equal lengths: default_collate
    print(f"default_collate of dicts: {sorted(default)} tokens {tuple(default['tokens'].shape)}, "
          f"label {default['label'].tolist()}, id {default['id']}")

    print(f"validation accuracy: {accuracy:.3f}")


class FirstTokens(Dataset):
    """The samples of ``dataset`` cut to their first 3 tokens (so that default_collate can stack them)."""

    def __init__(self, dataset):
        self.dataset = dataset

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, idx):
        sample = dict(self.dataset[idx])
        sample["tokens"] = sample["tokens"][:3]
        return sample


if __name__ == "__main__":
    main()
