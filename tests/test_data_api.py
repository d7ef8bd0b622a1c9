"""The data API as a PyTorch user meets it: ``torch.utils.data`` (Dataset, DataLoader, samplers,
default_collate, random_split, Subset, ConcatDataset) and torchvision (MNIST/FashionMNIST over
its folder layout, transforms). Expected values are written by hand or taken from PyTorch
(those tests skip without it)."""
import collections
import gzip
import hashlib

import numpy as np
import pytest

import minigrad as mg
import minigrad.utils.data
from minigrad.data import (
    BatchSampler, ConcatDataset, DataLoader, Dataset, DatasetNotFoundError, EmbeddedFashionMNIST, FashionMNIST,
    IterableDataset, MNIST, RandomSampler, SequentialSampler, Subset, SubsetRandomSampler, TensorDataset,
    WeightedRandomSampler, datasets, default_collate, random_split, transforms, write_idx,
)
from minigrad.data import mnist as mnist_module
from minigrad.generator import DEFAULT_SEED, Generator

Point = collections.namedtuple("Point", "x y")


def values(x):
    """A batch with its Tensors as (dtype name, nested lists), to compare whole structures at once."""
    if isinstance(x, mg.Tensor):
        return ("Tensor", x.dtype.name, x.numpy().tolist())
    if isinstance(x, dict):
        return {key: values(value) for key, value in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(values(v) for v in x) if not hasattr(x, "_fields") else type(x)(*map(values, x))
    return x


def torch_values(x):
    import torch

    if isinstance(x, torch.Tensor):
        return ("Tensor", str(x.dtype).removeprefix("torch."), x.numpy().tolist())
    if isinstance(x, dict):
        return {key: torch_values(value) for key, value in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(torch_values(v) for v in x) if not hasattr(x, "_fields") else type(x)(*map(torch_values, x))
    return x


class Squares(Dataset):
    """What a PyTorch user writes: only __len__ and __getitem__, returning (Tensor, int)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return mg.tensor(np.full((2, 3), i * i, dtype=np.float32)), i


# -- DataLoader over any map-style dataset ---------------------------------------------------------
def test_user_dataset_batches_are_lists_of_stacked_tensors():
    loader = DataLoader(Squares(10), batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert loader.dataset.n == 10 and loader.batch_size == 4 and loader.drop_last is False
    images, labels = batches[0]
    assert type(batches[0]) is list  # torch turns tuple samples into a list of fields
    assert images.shape == (4, 2, 3) and images.dtype == np.float32
    assert labels.dtype == np.int64 and labels.tolist() == [0, 1, 2, 3]
    assert images.numpy()[:, 0, 0].tolist() == [0, 1, 4, 9]
    assert batches[2][1].tolist() == [8, 9]
    dropped = DataLoader(Squares(10), batch_size=4, drop_last=True)
    assert len(dropped) == 2 and [b[1].tolist() for b in dropped] == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_shuffle_is_a_permutation_reproducible_from_a_generator_or_the_global_seed():
    def order(**kwargs):
        return [i for _, labels in DataLoader(Squares(20), batch_size=6, shuffle=True, **kwargs) for i in labels.tolist()]

    first = order(generator=Generator().manual_seed(7))
    assert sorted(first) == list(range(20)) and first != list(range(20))
    assert order(generator=Generator().manual_seed(7)) == first
    assert order(generator=Generator().manual_seed(8)) != first
    mg.manual_seed(3)
    a = order()
    mg.manual_seed(3)
    assert order() == a
    loader = DataLoader(Squares(20), batch_size=20, shuffle=True, generator=Generator().manual_seed(1))
    epochs = [next(iter(loader))[1].tolist() for _ in range(2)]
    assert epochs[0] != epochs[1]  # the generator moves on: a new order each epoch, as in PyTorch


def test_custom_collate_fn_gets_the_list_of_samples():
    seen = []

    def collate(samples):
        seen.append([label for _, label in samples])
        return len(samples)

    assert list(DataLoader(Squares(5), batch_size=2, collate_fn=collate)) == [2, 2, 1]
    assert seen == [[0, 1], [2, 3], [4]]


def test_no_auto_batching_with_batch_size_none():
    samples = list(DataLoader(TensorDataset(np.arange(3) * 2), batch_size=None))
    assert len(samples) == 3 and type(samples[0]) is list and samples[2][0].tolist() == 4
    with pytest.raises(ValueError, match="mutually exclusive with drop_last"):
        DataLoader(Squares(3), batch_size=None, drop_last=True)


@pytest.mark.parametrize("kwargs,message", [
    (dict(sampler=SequentialSampler(range(4)), shuffle=True), "sampler option is mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0, 1]], batch_size=2), "batch_sampler option is mutually exclusive"),
    (dict(batch_sampler=[[0, 1]], drop_last=True), "batch_sampler option is mutually exclusive"),
    (dict(batch_size=0), "batch_size should be a positive integer value, but got batch_size=0"),
    (dict(num_workers=-1), "num_workers option should be non-negative"),
    (dict(prefetch_factor=2), "prefetch_factor option could only be specified in multiprocessing"),
    (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0"),
    (dict(shuffle=True, seed=1, generator=Generator()), "either generator or seed"),
])
def test_conflicting_options_raise_value_error_like_torch(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DataLoader(Squares(4), **kwargs)


def test_sampler_and_batch_sampler_choose_the_indices():
    picked = DataLoader(Squares(10), batch_size=2, sampler=[9, 0, 5])
    assert [b[1].tolist() for b in picked] == [[9, 0], [5]]
    grouped = DataLoader(Squares(10), batch_sampler=[[3, 1, 2], [7]])
    assert [b[1].tolist() for b in grouped] == [[3, 1, 2], [7]] and len(grouped) == 2
    assert isinstance(DataLoader(Squares(3), shuffle=True).sampler, RandomSampler)
    assert isinstance(DataLoader(Squares(3)).batch_sampler, BatchSampler)


def test_num_workers_loads_in_the_main_process_with_a_warning_and_the_same_batches():
    with pytest.warns(UserWarning, match="main process"):
        loader = DataLoader(Squares(7), batch_size=3, num_workers=2, pin_memory=True)
    assert [values(b) for b in loader] == [values(b) for b in DataLoader(Squares(7), batch_size=3)]


def test_the_fast_batch_path_equals_the_sample_by_sample_path(monkeypatch):
    x = np.random.default_rng(0).standard_normal((9, 2, 2)).astype(np.float32)
    tensor_ds = TensorDataset(mg.tensor(x), mg.tensor(np.arange(9)))
    pipeline = transforms.Compose([transforms.ToTensor(), transforms.Pad(1), transforms.Normalize((0.3,), (0.2,))])
    for dataset in (tensor_ds, EmbeddedFashionMNIST(train=False, transform=pipeline),
                    Subset(EmbeddedFashionMNIST(train=False, transform=None), [5, 1, 99, 0])):
        fast = list(DataLoader(dataset, batch_size=4, sampler=[3, 0, 2, 1, 1]))
        slow = list(DataLoader(dataset, batch_size=4, sampler=[3, 0, 2, 1, 1], collate_fn=lambda b: default_collate(b)))
        assert values(fast) == values(slow)
    dataset = EmbeddedFashionMNIST(train=False, transform=pipeline)
    monkeypatch.setattr(EmbeddedFashionMNIST, "__getitem__", lambda self, i: pytest.fail("per-sample access"))
    images, labels = next(iter(DataLoader(dataset, batch_size=16)))
    assert images.shape == (16, 1, 30, 30) and images.dtype == np.float32 and labels.dtype == np.int64


# -- default_collate ----------------------------------------------------------------------------
COLLATE_CASES = {
    "ints": [1, 2, 3],
    "floats": [0.5, 1.5],
    "bools": [True, False],
    "ints and a float": [1, 2.5],
    "strings": ["a", "bc"],
    "uint8 arrays": [np.zeros((2, 2), np.uint8), np.ones((2, 2), np.uint8)],
    "float64 arrays": [np.array([0.5, 1.0]), np.array([2.0, 3.0])],
    "numpy scalars": [np.float32(1.5), np.float32(2.5)],
    "numpy int32 scalars": [np.int32(4), np.int32(5)],
    "tuples": [(np.ones(2, np.float32), 1, "a"), (np.zeros(2, np.float32), 2, "b")],
    "lists": [[1, 2.0], [3, 4.0]],
    "dicts": [{"image": np.ones(1, np.float32), "label": 3, "name": "x"},
              {"image": np.zeros(1, np.float32), "label": 4, "name": "y"}],
    "namedtuples": [Point(1, 2.0), Point(3, 4.0)],
    "nested": [{"pair": (1, [2.0, 3.0])}, {"pair": (4, [5.0, 6.0])}],
}


def test_default_collate_types_without_torch():
    # tuple samples give a list of fields; strings inside them stay a tuple, as in torch
    assert values(default_collate(COLLATE_CASES["tuples"])) == [
        ("Tensor", "float32", [[1.0, 1.0], [0.0, 0.0]]), ("Tensor", "int64", [1, 2]), ("a", "b")]
    assert values(default_collate(COLLATE_CASES["floats"])) == ("Tensor", "float64", [0.5, 1.5])
    assert values(default_collate(COLLATE_CASES["bools"])) == ("Tensor", "bool", [True, False])
    collated = default_collate(COLLATE_CASES["namedtuples"])
    assert type(collated) is Point and collated.x.tolist() == [1, 3] and collated.y.dtype == np.float64
    batch = default_collate([(mg.tensor(np.ones((2, 3), np.float32)), 0)] * 5)
    assert batch[0].shape == (5, 2, 3)


@pytest.mark.parametrize("case", sorted(COLLATE_CASES))
def test_default_collate_matches_torch(case):
    torch = pytest.importorskip("torch")
    from torch.utils.data import default_collate as torch_collate

    assert values(default_collate(COLLATE_CASES[case])) == torch_values(torch_collate(COLLATE_CASES[case]))


def test_default_collate_of_tensors_and_torch_dataloader_over_tensor_dataset_agree():
    torch = pytest.importorskip("torch")
    x, y = np.arange(12, dtype=np.float32).reshape(6, 2), np.arange(6)
    ours = list(DataLoader(TensorDataset(mg.tensor(x), mg.tensor(y)), batch_size=4))
    theirs = list(torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y)),
                                              batch_size=4))
    assert values(ours) == torch_values(theirs)


@pytest.mark.parametrize("batch,error,message", [
    ([mg.zeros(3), mg.zeros(4)], RuntimeError, r"stack expects each tensor to be equal size, but got \[3\] at entry 0 "
                                               r"and \[4\] at entry 1"),
    ([[1, 2], [3]], RuntimeError, "each element in list of batch should be of equal size"),
    ([None, None], TypeError, "batch must contain tensors, numpy arrays, numbers, dicts or lists; found <class 'NoneType'>"),
    ([np.array(["a"])], TypeError, "found <U1"),
])
def test_default_collate_errors(batch, error, message):
    with pytest.raises(error, match=message):
        default_collate(batch)


# -- datasets: TensorDataset, Subset, random_split, ConcatDataset, IterableDataset -------------------------
def test_tensor_dataset_items_are_tuples_of_tensor_rows():
    x, y = mg.tensor(np.arange(6, dtype=np.float32).reshape(3, 2)), mg.tensor(np.array([7, 8, 9]))
    ds = TensorDataset(x, y)
    assert ds.tensors[0] is x and len(ds) == 3
    row, label = ds[-1]
    assert type(ds[0]) is tuple and isinstance(row, mg.Tensor) and row.tolist() == [4.0, 5.0] and int(label) == 9
    with pytest.raises(ValueError, match="Size mismatch between tensors"):
        TensorDataset(mg.zeros(3), mg.zeros(4))


def test_subset_maps_indices_including_negative_ones():
    subset = Subset(Squares(10), [4, 2, 7])
    assert subset.indices == [4, 2, 7] and isinstance(subset.dataset, Squares) and len(subset) == 3
    assert subset[0][1] == 4 and subset[-1][1] == 7
    assert [b[1].tolist() for b in DataLoader(subset, batch_size=2)] == [[4, 2], [7]]


def test_random_split_is_disjoint_complete_and_reproducible():
    parts = random_split(Squares(10), [3, 7], generator=Generator().manual_seed(42))
    assert [len(p) for p in parts] == [3, 7] and all(isinstance(p, Subset) for p in parts)
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    again = random_split(Squares(10), [3, 7], generator=Generator().manual_seed(42))
    assert [p.indices for p in again] == [p.indices for p in parts]
    other = random_split(Squares(10), [3, 7], generator=Generator().manual_seed(43))
    assert [p.indices for p in other] != [p.indices for p in parts]
    # fractions: floor(n * f) each, the remainder handed out round robin from the first split (torch's rule)
    assert [len(p) for p in random_split(range(10), [0.33, 0.33, 0.34])] == [4, 3, 3]
    assert [len(p) for p in random_split(range(10), [0.25] * 4)] == [3, 3, 2, 2]
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        random_split(range(10), [1.5, -0.5])


def test_concat_dataset_indexes_across_boundaries():
    first, second = TensorDataset(np.arange(3)), TensorDataset(np.arange(100, 104))
    both = first + second
    assert isinstance(both, ConcatDataset) and len(both) == 7 and both.cumulative_sizes == [3, 7]
    assert [int(both[i][0]) for i in range(7)] == [0, 1, 2, 100, 101, 102, 103]
    assert int(both[-1][0]) == 103 and int(both[-7][0]) == 0 and int(both[-5][0]) == 2
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        both[-8]
    with pytest.raises(IndexError):
        both[7]
    assert [b[0].tolist() for b in DataLoader(both, batch_size=2, sampler=[2, 3, 6])] == [[2, 100], [103]]


def test_iterable_dataset_is_batched_in_stream_order():
    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(10))

    assert [b.tolist() for b in DataLoader(Stream(), batch_size=4)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert [b.tolist() for b in DataLoader(Stream(), batch_size=4, drop_last=True)] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert [int(b) for b in DataLoader(Stream() + Stream(), batch_size=None)] == list(range(10)) * 2
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(Stream(), shuffle=True)


# -- samplers -------------------------------------------------------------------------------------
def test_samplers():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    order = list(RandomSampler(range(8), generator=Generator().manual_seed(0)))
    assert sorted(order) == list(range(8)) and order == list(RandomSampler(range(8), generator=Generator().manual_seed(0)))
    assert all(type(i) is int for i in order)
    longer = list(RandomSampler(range(3), num_samples=7))  # whole permutations, then part of one
    assert len(longer) == 7 and sorted(longer.count(i) for i in range(3)) == [2, 2, 3]
    drawn = list(RandomSampler(range(3), replacement=True, num_samples=50))
    assert len(drawn) == 50 and set(drawn) == {0, 1, 2}
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, but got num_samples=0"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(TypeError, match="replacement should be a boolean value"):
        RandomSampler(range(3), replacement=1)
    assert sorted(SubsetRandomSampler([5, 9, 11])) == [5, 9, 11]
    weighted = list(WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 2000))
    assert set(weighted) == {1, 3} and 0.72 < weighted.count(3) / 2000 < 0.78
    assert sorted(WeightedRandomSampler([1.0, 1.0, 1.0], 3, replacement=False)) == [0, 1, 2]
    assert list(BatchSampler(range(7), 3, drop_last=False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert len(BatchSampler(range(7), 3, drop_last=True)) == 2 and len(BatchSampler(range(7), 3, False)) == 3
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        BatchSampler(range(3), 0, False)


# -- Generator --------------------------------------------------------------------------------------
def test_generator_api():
    generator = Generator()
    assert generator.initial_seed() == DEFAULT_SEED == 67280421310721  # torch.Generator().initial_seed()
    assert generator.manual_seed(5) is generator and generator.initial_seed() == 5
    state = generator.get_state()
    assert isinstance(state, mg.Tensor) and state.dtype == np.uint8
    first = list(RandomSampler(range(50), generator=generator))
    assert generator.set_state(state) is generator
    assert list(RandomSampler(range(50), generator=generator)) == first
    assert Generator().manual_seed(-1).initial_seed() == 2 ** 64 - 1  # as torch
    seed = generator.seed()
    assert isinstance(seed, int) and generator.initial_seed() == seed
    with pytest.raises(RuntimeError, match="manual_seed expected a long"):
        generator.manual_seed(1.5)


# -- MNIST / FashionMNIST in torchvision's layout -----------------------------------------------------
def _write_split(directory, n, train=True, gz=False, offset=0, only_images=False):
    prefix = "train" if train else "t10k"
    images = (np.arange(n * 28 * 28).reshape(n, 28, 28) * 7 + offset) % 256
    labels = (np.arange(n) * 3 + offset) % 10
    directory.mkdir(parents=True, exist_ok=True)
    suffix = ".gz" if gz else ""
    write_idx(directory / f"{prefix}-images-idx3-ubyte{suffix}", images.astype(np.uint8))
    if not only_images:
        write_idx(directory / f"{prefix}-labels-idx1-ubyte{suffix}", labels.astype(np.uint8))
    return images.astype(np.uint8), labels


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No cache and no Debian copy: only the files a test writes are found."""
    monkeypatch.setattr(mnist_module, "CACHE", tmp_path / "cache")
    monkeypatch.setattr(FashionMNIST, "system_dirs", ())
    monkeypatch.setattr(FashionMNIST, "mirrors", [])
    monkeypatch.setattr(MNIST, "mirrors", [])
    return tmp_path


@pytest.mark.parametrize("gz", [False, True])
def test_fashion_mnist_reads_torchvision_layout_like_torchvision(isolated, gz):
    images, labels = _write_split(isolated / "data" / "FashionMNIST" / "raw", 6, gz=gz)
    _write_split(isolated / "data" / "FashionMNIST" / "raw", 4, train=False, gz=gz, offset=1)
    train = datasets.FashionMNIST(isolated / "data", train=True)
    test = datasets.FashionMNIST(str(isolated / "data"), train=False, download=True)  # present: no download
    assert (len(train), len(test)) == (6, 4)
    image, label = train[4]
    assert isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.shape == (28, 28)
    np.testing.assert_array_equal(image, images[4])
    assert type(label) is int and label == labels[4]
    assert train.data.dtype == np.uint8 and train.data.shape == (6, 28, 28) and isinstance(train.data, mg.Tensor)
    assert train.targets.dtype == np.int64 and train.targets.tolist() == labels.tolist()
    assert train.classes[0] == "T-shirt/top" and train.class_to_idx["Ankle boot"] == 9
    assert MNIST.classes[3] == "3 - three"
    tensor, _ = datasets.FashionMNIST(isolated / "data", transform=transforms.ToTensor())[4]
    assert tensor.shape == (1, 28, 28) and tensor.dtype == np.float32
    np.testing.assert_array_equal(tensor.numpy()[0], images[4].astype(np.float32) / np.float32(255))
    _, shifted = datasets.FashionMNIST(isolated / "data", target_transform=lambda y: y + 100)[4]
    assert shifted == labels[4] + 100
    assert repr(train).splitlines()[:4] == ["Dataset FashionMNIST", "    Number of datapoints: 6",
                                            f"    Root location: {isolated / 'data'}", "    Split: Train"]


def test_plain_idx_folder_and_batches_through_the_dataloader(isolated):
    images, labels = _write_split(isolated / "plain", 5)
    dataset = MNIST(isolated / "plain", transform=transforms.Compose([transforms.ToTensor(),
                                                                      transforms.Normalize((0.5,), (0.5,))]))
    batch_images, batch_labels = next(iter(DataLoader(dataset, batch_size=5)))
    expected = (images.astype(np.float32) / np.float32(255) - np.float32(0.5)) / np.float32(0.5)
    np.testing.assert_array_equal(batch_images.numpy()[:, 0], expected)
    assert batch_labels.tolist() == labels.tolist()


def test_a_folder_missing_one_file_is_an_error_naming_it(isolated, monkeypatch):
    _write_split(isolated / "data" / "FashionMNIST" / "raw", 3, only_images=True)
    _write_split(isolated / "elsewhere", 3)  # a complete copy elsewhere is not mixed in
    monkeypatch.setattr(FashionMNIST, "system_dirs", (str(isolated / "elsewhere"),))
    with pytest.raises(DatasetNotFoundError, match="train-labels-idx1-ubyte") as info:
        FashionMNIST(isolated / "data")
    assert str(isolated / "data" / "FashionMNIST" / "raw") in str(info.value)


def test_download_copies_a_local_system_copy_into_root_without_network(isolated, monkeypatch):
    debian = isolated / "debian"
    images, _ = _write_split(debian, 4, gz=True)
    digests = {path.name.removesuffix(".gz"): {hashlib.sha256(gzip.decompress(path.read_bytes())).hexdigest()}
               for path in debian.iterdir()}
    monkeypatch.setattr(FashionMNIST, "system_dirs", (str(debian),))
    monkeypatch.setattr(FashionMNIST, "checksums", digests)
    dataset = FashionMNIST(isolated / "data", download=True)
    raw = isolated / "data" / "FashionMNIST" / "raw"
    assert sorted(p.name for p in raw.iterdir()) == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    np.testing.assert_array_equal(dataset.data.numpy(), images)


# -- transforms ------------------------------------------------------------------------------------
def test_to_tensor_scales_uint8_and_moves_channels_first():
    grey = np.array([[0, 51], [255, 102]], dtype=np.uint8)
    out = transforms.ToTensor()(grey)
    assert isinstance(out, mg.Tensor) and out.shape == (1, 2, 2) and out.dtype == np.float32
    assert out.numpy().tolist() == [[[0.0, np.float32(51) / np.float32(255)], [1.0, np.float32(102) / np.float32(255)]]]
    rgb = np.arange(18, dtype=np.uint8).reshape(2, 3, 3)  # H, W, C
    chw = transforms.ToTensor()(rgb).numpy()
    assert chw.shape == (3, 2, 3) and chw[2, 1, 0] == np.float32(rgb[1, 0, 2]) / np.float32(255)
    floats = np.full((2, 2), 3.0)  # not uint8: neither rescaled nor converted (torchvision)
    assert transforms.ToTensor()(floats).dtype == np.float64 and transforms.ToTensor()(floats).numpy().max() == 3.0
    assert transforms.ToTensor()(mg.tensor(grey)).numpy().tolist() == out.numpy().tolist()
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional"):
        transforms.ToTensor()(np.zeros((1, 1, 2, 2), np.uint8))
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        transforms.ToTensor()([[1, 2]])


def test_to_tensor_equals_torchvisions_algorithm():
    torch = pytest.importorskip("torch")
    image = np.random.default_rng(1).integers(0, 256, (5, 4, 3), dtype=np.uint8)
    expected = torch.from_numpy(image.transpose(2, 0, 1)).contiguous().to(torch.float32).div(255)
    np.testing.assert_array_equal(transforms.ToTensor()(image).numpy(), expected.numpy())


def test_normalize_by_hand_on_images_and_batches():
    image = mg.tensor(np.array([[[1.0, 0.0], [0.5, 0.25]], [[1.0, 1.0], [1.0, 1.0]]], dtype=np.float32))
    normalize = transforms.Normalize((0.5, 0.25), (0.5, 2.0))
    out = normalize(image)
    assert isinstance(out, mg.Tensor) and out.dtype == np.float32
    assert out.tolist() == [[[1.0, -1.0], [0.0, -0.5]], [[0.375, 0.375], [0.375, 0.375]]]
    batch = mg.stack([image, image * 2])
    assert normalize(batch).numpy()[1].tolist() == normalize(image * 2).tolist()
    assert image.tolist()[0][0] == [1.0, 0.0]  # not in place by default
    same = transforms.Normalize((0.5, 0.25), (0.5, 2.0), inplace=True)(image)
    assert same is image and image.tolist()[0][0] == [1.0, -1.0]
    assert repr(normalize) == "Normalize(mean=(0.5, 0.25), std=(0.5, 2.0))"
    with pytest.raises(TypeError, match="Input tensor should be a float tensor"):
        normalize(np.zeros((2, 2, 2), np.uint8))
    with pytest.raises(ValueError, match="std evaluated to zero"):
        transforms.Normalize(0.0, 0.0)(image)
    with pytest.raises(ValueError, match=r"Expected tensor to be a tensor image of size \(..., C, H, W\)"):
        normalize(mg.zeros(2, 2))


def test_normalize_equals_torchvisions_arithmetic():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(2).random((3, 4, 5), dtype=np.float32)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    expected = torch.from_numpy(x.copy()).sub_(torch.tensor(mean).view(-1, 1, 1)).div_(torch.tensor(std).view(-1, 1, 1))
    np.testing.assert_array_equal(transforms.Normalize(mean, std)(mg.tensor(x)).numpy(), expected.numpy())


def test_random_horizontal_flip():
    x = mg.tensor(np.arange(6, dtype=np.float32).reshape(1, 2, 3))
    assert transforms.RandomHorizontalFlip(p=1.0)(x).tolist() == [[[2.0, 1.0, 0.0], [5.0, 4.0, 3.0]]]
    assert transforms.RandomHorizontalFlip(p=0.0)(x) is x
    flip = transforms.RandomHorizontalFlip()
    mg.manual_seed(0)
    flips = [flip(x).tolist() != x.tolist() for _ in range(400)]
    assert 0.4 < np.mean(flips) < 0.6
    mg.manual_seed(0)
    assert [flip(x).tolist() != x.tolist() for _ in range(400)] == flips
    assert repr(flip) == "RandomHorizontalFlip(p=0.5)"


def _windows(padded, h, w):
    return {padded[i:i + h, j:j + w].tobytes(): (i, j) for i in range(padded.shape[0] - h + 1)
            for j in range(padded.shape[1] - w + 1)}


def test_random_crop_takes_every_window_uniformly_and_reproducibly():
    x = np.arange(16, dtype=np.float32).reshape(4, 4)
    crop = transforms.RandomCrop(2)
    windows = _windows(x, 2, 2)
    mg.manual_seed(1)
    seen = [windows[crop(x).tobytes()] for _ in range(300)]  # each output is one of the 9 windows
    assert set(seen) == {(i, j) for i in range(3) for j in range(3)}
    mg.manual_seed(1)
    assert [windows[crop(x).tobytes()] for _ in range(300)] == seen
    assert repr(crop) == "RandomCrop(size=(2, 2), padding=None)"


def test_random_crop_padding_and_pad_if_needed_by_hand():
    x = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    padded = np.array([[9, 9, 9, 9], [9, 1, 2, 9], [9, 3, 4, 9], [9, 9, 9, 9]], dtype=np.float32)
    crop = transforms.RandomCrop(2, padding=1, fill=9)
    assert all(crop(x).tobytes() in _windows(padded, 2, 2) for _ in range(50))
    assert transforms.RandomCrop(4, padding=1, fill=9)(x).tolist() == padded.tolist()
    # torchvision pads the missing width on both sides, then the missing height on both sides
    small = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32)
    grown = np.zeros((6, 7), np.float32)
    grown[2:4, 2:5] = small
    out = transforms.RandomCrop((4, 5), pad_if_needed=True)(small)
    assert out.shape == (4, 5) and out.tobytes() in _windows(grown, 4, 5)
    tensor_out = transforms.RandomCrop(1)(mg.tensor(np.ones((3, 2, 2), np.float32)))
    assert isinstance(tensor_out, mg.Tensor) and tensor_out.shape == (3, 1, 1)
    with pytest.raises(ValueError, match=r"Required crop size \(3, 3\) is larger than input image size \(2, 2\)"):
        transforms.RandomCrop(3)(x)


def test_pad_modes_by_hand():
    row = np.array([[0, 1, 2]])
    assert transforms.Pad((2, 0, 2, 0), padding_mode="reflect")(row).tolist() == [[2, 1, 0, 1, 2, 1, 0]]
    assert transforms.Pad((2, 0, 2, 0), padding_mode="symmetric")(row).tolist() == [[1, 0, 0, 1, 2, 2, 1]]
    assert transforms.Pad((2, 0, 2, 0), padding_mode="edge")(row).tolist() == [[0, 0, 0, 1, 2, 2, 2]]
    assert transforms.Pad((1, 0), fill=5)(row).tolist() == [[5, 0, 1, 2, 5]]
    assert transforms.Pad((0, 1, 0, 0))(row).tolist() == [[0, 0, 0], [0, 1, 2]]
    assert repr(transforms.Pad(2)) == "Pad(padding=2, fill=0, padding_mode=constant)"
    with pytest.raises(ValueError, match="Padding mode should be either"):
        transforms.Pad(1, padding_mode="wrap")


def test_resize_int_matches_the_shorter_side_with_nearest_neighbours():
    x = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    out = transforms.Resize(4)(x)
    assert out.shape == (4, 8) and out.tolist()[0] == [1, 1, 2, 2, 3, 3, 4, 4] and out.tolist()[3][7] == 8
    assert transforms.Resize((1, 2))(x).tolist() == [[1, 3]]
    with pytest.raises(NotImplementedError, match="nearest"):
        transforms.Resize(4, interpolation="bilinear")


def test_compose_lambda_and_reprs_read_like_torchvision():
    pipeline = transforms.Compose([transforms.ToTensor(), transforms.Lambda(lambda t: t * 2)])
    assert pipeline(np.full((1, 1), 255, np.uint8)).tolist() == [[[2.0]]]
    assert repr(transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])) == (
        "Compose(\n    ToTensor()\n    Normalize(mean=(0.5,), std=(0.5,))\n)")
    assert repr(transforms.Lambda(abs)) == "Lambda()"
    with pytest.raises(TypeError, match="Argument lambd should be callable"):
        transforms.Lambda(3)


def test_random_transforms_in_a_loader_are_reproducible_per_sample():
    augment = transforms.Compose([transforms.RandomCrop(28, padding=4), transforms.RandomHorizontalFlip(),
                                  transforms.ToTensor()])
    dataset = EmbeddedFashionMNIST(train=False, transform=augment)
    mg.manual_seed(5)
    first = next(iter(DataLoader(dataset, batch_size=8)))[0].numpy()
    mg.manual_seed(5)
    again = next(iter(DataLoader(dataset, batch_size=8)))[0].numpy()
    plain = next(iter(DataLoader(EmbeddedFashionMNIST(train=False), batch_size=8)))[0].numpy()
    assert first.shape == (8, 1, 28, 28) and np.array_equal(first, again) and not np.array_equal(first, plain)


# -- minigrad.utils.data and a PyTorch-style script ----------------------------------------------------------------
def test_utils_data_is_the_same_api_under_torchs_path():
    from minigrad.utils.data import DataLoader as UtilsLoader
    from minigrad.utils.data.dataloader import default_collate as utils_collate
    from minigrad.utils.data.sampler import RandomSampler as UtilsSampler

    assert UtilsLoader is DataLoader and utils_collate is default_collate and UtilsSampler is RandomSampler
    assert minigrad.utils.data.random_split is random_split and mg.utils.data.Subset is Subset


def test_a_pytorch_style_training_script_runs():
    import minigrad as torch
    import minigrad.nn as nn
    from minigrad.data import datasets, transforms

    class Pairs(torch.utils.data.Dataset):
        def __init__(self):
            self.x = np.random.default_rng(0).standard_normal((64, 4)).astype(np.float32)

        def __len__(self):
            return len(self.x)

        def __getitem__(self, i):
            return torch.from_numpy(self.x[i]), int(self.x[i, 0] > 0)

    train, val = torch.utils.data.random_split(Pairs(), [0.75, 0.25], generator=Generator().manual_seed(0))
    loader = torch.utils.data.DataLoader(train, batch_size=16, shuffle=True, generator=Generator().manual_seed(0))
    model = nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    for _ in range(5):
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(inputs), targets)
            loss.backward()
            optimizer.step()
    inputs, targets = next(iter(torch.utils.data.DataLoader(val, batch_size=len(val))))
    accuracy = float((model(inputs).argmax(1) == targets).float().mean())
    assert len(val) == 16 and accuracy > 0.8
    images = datasets.EmbeddedFashionMNIST(train=False, transform=transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize((0.2860,), (0.3530,))]))
    first, _ = next(iter(torch.utils.data.DataLoader(images, batch_size=100)))
    assert abs(float(first.mean())) < 0.3 and first.shape == (100, 1, 28, 28)
