"""Threads: the thread-count API, the per-product BLAS policy, and the passes that are split
between threads, which must give exactly the results of the same pass on one thread."""
from __future__ import annotations

import multiprocessing
import os
import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import threads


def blas_threads() -> int:
    return max(info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas")


@pytest.fixture
def restore_threads():
    before = mg.get_num_threads()
    yield
    mg.set_num_threads(before)


@pytest.fixture
def split_everything(monkeypatch, restore_threads):
    """Every pass large enough to split, into three pieces (more than this machine may have cores)."""
    monkeypatch.setattr(threads, "PARALLEL_ELEMENTS", 1)
    mg.set_num_threads(3)


def run_serial_and_split(monkeypatch, compute):
    """``compute()`` with every pass on one thread, then with every pass split."""
    before = mg.get_num_threads()
    try:
        mg.set_num_threads(1)
        serial = compute()
        monkeypatch.setattr(threads, "PARALLEL_ELEMENTS", 1)
        mg.set_num_threads(3)
        split = compute()
    finally:
        monkeypatch.undo()
        mg.set_num_threads(before)
    return serial, split


def assert_identical(serial, split):
    assert len(serial) == len(split)
    for a, b in zip(serial, split):
        np.testing.assert_array_equal(a, b, strict=True)


# -- the API -----------------------------------------------------------------------------------------
def test_set_num_threads_round_trip(restore_threads):
    mg.set_num_threads(1)
    assert mg.get_num_threads() == 1
    mg.set_num_threads(2)
    assert mg.get_num_threads() == 2


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True, None])
def test_set_num_threads_refuses_what_is_not_a_positive_count(bad, restore_threads):
    before = mg.get_num_threads()
    with pytest.raises(ValueError, match="set_num_threads: expected a positive whole number"):
        mg.set_num_threads(bad)
    assert mg.get_num_threads() == before


# -- the BLAS policy ---------------------------------------------------------------------------------
needs_two_cores = pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="OpenBLAS caps its threads at the cores: needs 2")


@needs_two_cores
def test_small_products_run_on_one_blas_thread_and_large_ones_on_all(monkeypatch, restore_threads):
    mg.set_num_threads(2)
    small = np.ones((8, 8), np.float32)
    threads.matmul(small, small)
    assert blas_threads() == 1
    monkeypatch.setattr(threads, "PARALLEL_WORK", 8 * 8 * 8)
    threads.matmul(small, small)
    assert blas_threads() == 2
    mg.set_num_threads(1)
    threads.matmul(small, small)
    assert blas_threads() == 1


@needs_two_cores
def test_product_work_counts_the_broadcast_batch(monkeypatch, restore_threads):
    mg.set_num_threads(2)
    monkeypatch.setattr(threads, "PARALLEL_WORK", 4 * 3 * 5 * 100)
    a, stack = np.ones((4, 3)), np.ones((100, 3, 5))
    np.testing.assert_array_equal(threads.matmul(a, stack), np.matmul(a, stack))
    assert blas_threads() == 2  # 100 products of (4, 3) @ (3, 5)
    threads.matmul(a, stack[:99])
    assert blas_threads() == 1


def test_lenet_training_keeps_blas_on_one_thread(restore_threads):
    mg.set_num_threads(2)
    model = mg.models.LeNet5()
    optimizer = mg.optim.Adam(model.parameters())
    loss = F.cross_entropy(model(mg.randn(64, 1, 28, 28)), mg.tensor(np.arange(64) % 10))
    loss.backward()
    optimizer.step()
    assert blas_threads() == 1


@pytest.mark.parametrize("a_shape, b_shape", [
    ((6, 25), (25, 50176)),  # LeNet-5's first convolution: an uneven last block
    ((1, 8, 9), (1, 9, 4 * 4096)),  # a stack of one, as a convolution with groups=1 multiplies
    ((3, 4, 7), (7, 20000)),  # a batch of few-row matrices against one wide matrix
    ((2, 1, 5), (1, 5, 16385)),  # broadcast batch axes on both sides, one column past a block
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_thin_wide_products_by_column_blocks_equal_numpys(a_shape, b_shape, dtype):
    r = np.random.default_rng(0)
    a, b = r.standard_normal(a_shape).astype(dtype), r.standard_normal(b_shape).astype(dtype)
    got, want = threads.matmul(a, b), np.matmul(a, b)
    assert got.shape == want.shape and got.dtype == want.dtype
    # each block is a product of the same rows and columns: equal up to BLAS's own blocking
    np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == np.float32 else 1e-13, atol=1e-5 if dtype == np.float32 else 1e-12)


# -- parallel_for ------------------------------------------------------------------------------------
def test_parallel_for_covers_the_range_once(split_everything):
    seen = np.zeros(10, int)
    names = set()

    def mark(start, stop):
        seen[start:stop] += 1
        names.add(threading.current_thread().name)

    threads.parallel_for(mark, 10, elements=10)
    np.testing.assert_array_equal(seen, np.ones(10, int))
    assert len(names) > 1


def test_parallel_for_raises_what_a_piece_raised(split_everything):
    def fail_late(start, stop):
        if stop == 10:
            raise ValueError("piece failed")

    with pytest.raises(ValueError, match="piece failed"):
        threads.parallel_for(fail_late, 10, elements=10)


def _pool_in_child(queue):
    x = mg.tensor(np.random.default_rng(0).standard_normal((2, 4, 9, 9)).astype(np.float32))
    queue.put(F.max_pool2d(x, 3, 2).numpy().sum())


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_a_forked_child_can_split_passes(split_everything):
    x = mg.tensor(np.ones((2, 4, 9, 9), np.float32))
    F.max_pool2d(x, 3, 2)  # the parent's pool threads now exist
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_pool_in_child, args=(queue,))
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0, "the forked child hung or failed"
    assert np.isfinite(queue.get(timeout=5))


# -- split passes give the one-thread results --------------------------------------------------------
def _values(shape, seed, special=False):
    values = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    if special:
        values.flat[::7] = -np.inf
        values.flat[3::11] = np.nan
        values.flat[5::13] = 0.0
    return values


@pytest.mark.parametrize("layout", [(0, 1, 2, 3), (1, 2, 3, 0)])
def test_leaf_gradient_accumulation_and_ones_split(monkeypatch, layout):
    # a leaf's .grad gets the next backward's gradient added in place, by blocks on several
    # threads; ones() is filled the same way: the results of one thread, in either memory layout
    x0, g0 = _values((6, 5, 4, 3), 5), _values((6, 5, 4, 3), 6)

    def compute():
        x = mg.tensor(np.ascontiguousarray(x0.transpose(layout)).transpose(np.argsort(layout)), requires_grad=True)
        held = x.grad
        for scale in (1.0, 2.0, -0.5):
            (x * scale).backward(mg.tensor(g0))
            held = x.grad if held is None else held
        assert x.grad is held  # accumulated in place, not replaced
        return x.grad.numpy(), mg.ones(7, 3, 5).numpy(), mg.ones_like(x, dtype=mg.int64).numpy()

    serial, split = run_serial_and_split(monkeypatch, compute)
    assert_identical(serial, split)
    np.testing.assert_allclose(serial[0], 2.5 * g0, rtol=1e-6)
    assert (serial[1] == 1).all() and serial[2].dtype == np.int64 and (serial[2] == 1).all()


@pytest.mark.parametrize("special", [False, True])
@pytest.mark.parametrize("kwargs", [dict(kernel_size=3, stride=2), dict(kernel_size=2),
                                    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)])
def test_max_pool2d_split_by_channel(monkeypatch, kwargs, special):
    x0, g0 = _values((2, 5, 11, 11), 1, special), _values((2, 5, 11, 11), 2)

    def compute():
        # the input laid out batch-last in memory, as a stride-1 convolution leaves it
        x = mg.tensor(np.ascontiguousarray(x0.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2), requires_grad=True)
        out, indices = F.max_pool2d(x, return_indices=True, **kwargs)
        out.backward(mg.tensor(g0[..., :out.shape[2], :out.shape[3]]))
        return out.detach().numpy(), indices.numpy(), x.grad.numpy()

    assert_identical(*run_serial_and_split(monkeypatch, compute))


@pytest.mark.parametrize("kwargs", [dict(), dict(stride=2, padding=1), dict(padding=2, dilation=2, groups=3)])
def test_conv2d_im2col_and_col2im_split(monkeypatch, kwargs):
    x0, w0 = _values((4, 6, 9, 9), 3), _values((6, 6 // kwargs.get("groups", 1), 3, 3), 4)

    def compute():
        x, w = mg.tensor(x0, requires_grad=True), mg.tensor(w0, requires_grad=True)
        out = F.conv2d(x, w, **kwargs)
        out.backward(mg.tensor(_values(out.shape, 5)))
        return out.detach().numpy(), x.grad.numpy(), w.grad.numpy()

    assert_identical(*run_serial_and_split(monkeypatch, compute))


def test_relu_split(monkeypatch):
    x0, g0 = _values((3, 4, 10, 10), 6, special=True), _values((3, 4, 10, 10), 7, special=True)

    def compute():
        x = mg.tensor(x0.transpose(0, 2, 1, 3), requires_grad=True)  # not C-contiguous
        out = F.relu(x)
        out.backward(mg.tensor(g0.transpose(0, 2, 1, 3)))
        return out.detach().numpy(), x.grad.numpy()

    assert_identical(*run_serial_and_split(monkeypatch, compute))


@pytest.mark.parametrize("make", [
    lambda p: mg.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-2),
    lambda p: mg.optim.Adam(p, lr=1e-2, amsgrad=True), lambda p: mg.optim.AdamW(p, lr=1e-2),
    lambda p: mg.optim.Adagrad(p, lr=0.1), lambda p: mg.optim.RMSprop(p, lr=1e-2, momentum=0.5, centered=True),
    lambda p: mg.optim.Adamax(p), lambda p: mg.optim.NAdam(p), lambda p: mg.optim.RAdam(p),
    lambda p: mg.optim.Adadelta(p),
], ids=["sgd", "adam", "adamw", "adagrad", "rmsprop", "adamax", "nadam", "radam", "adadelta"])
def test_optimizer_blocks_split(monkeypatch, make):
    from minigrad.optim import optimizer

    monkeypatch.setattr(optimizer, "BLOCK", 64)  # a few hundred blocks per parameter
    p0 = _values((300, 70), 8)

    def compute():
        p = mg.tensor(p0, requires_grad=True)
        opt = make([p])
        for seed in range(3):
            p.grad = mg.tensor(_values(p0.shape, 10 + seed))
            opt.step()
        return (p.detach().numpy(),)

    assert_identical(*run_serial_and_split(monkeypatch, compute))


@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_split_by_channel(monkeypatch, affine):
    x0, g0 = _values((4, 6, 5, 5), 11), _values((4, 6, 5, 5), 12)

    def compute():
        mg.manual_seed(0)
        layer = mg.nn.BatchNorm2d(6, affine=affine)
        if affine:
            layer.weight.data.copy_(mg.tensor(_values((6,), 13)))
        x = mg.tensor(x0, requires_grad=True)
        out = layer(x)
        out.backward(mg.tensor(g0))
        grads = (layer.weight.grad.numpy(), layer.bias.grad.numpy()) if affine else ()
        return (out.detach().numpy(), x.grad.numpy(), layer.running_mean.numpy(), layer.running_var.numpy(), *grads)

    assert_identical(*run_serial_and_split(monkeypatch, compute))


# -- the command line and OpenBLAS's idle threads ----------------------------------------------------
def test_cli_threads_option_sets_the_thread_count(tmp_path, restore_threads):
    from minigrad.cli import main

    mg.set_num_threads(2)
    out = tmp_path / "run"
    assert main(["train", "--threads", "1", "--epochs", "1", "--limit", "128", "--quiet", "--out", str(out)]) == 0
    assert mg.get_num_threads() == 1


@pytest.mark.parametrize("bad", ["0", "-2", "two", "1.5"])
def test_cli_threads_option_refuses_what_is_not_a_positive_count(bad, capsys):
    from minigrad.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--threads", bad, "--epochs", "1"])
    assert exit_info.value.code == 2
    assert f"argument --threads: expected a positive whole number, got '{bad}'" in capsys.readouterr().err


def _timeout_seen(code: str, env_value: str | None) -> str:
    import os
    import subprocess
    import sys

    env = {key: value for key, value in os.environ.items() if key != "OPENBLAS_THREAD_TIMEOUT"}
    if env_value is not None:
        env["OPENBLAS_THREAD_TIMEOUT"] = env_value
    result = subprocess.run([sys.executable, "-c", code + "; import os; print(os.environ.get('OPENBLAS_THREAD_TIMEOUT'))"],
                            env=env, capture_output=True, text=True, check=True)
    return result.stdout.strip()


def test_openblas_threads_sleep_at_once_when_minigrad_comes_before_numpy():
    assert _timeout_seen("import minigrad", None) == "4"
    assert _timeout_seen("import minigrad", "20") == "20"  # the user's choice is kept
    assert _timeout_seen("import numpy, minigrad", None) == "None"  # too late to matter: left alone


def test_relu_backward_of_a_batch_last_gradient_against_a_c_order_output():
    # a gradient and a saved output in different memory orders: the values must be the plain
    # masked product
    x = _values((6, 5, 4, 3), 7, special=True)
    g = _values((6, 5, 4, 3), 8)
    y = mg.tensor(x, requires_grad=True)
    out = F.relu(y)
    batch_last = np.ascontiguousarray(g.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    out.backward(mg.tensor(batch_last))
    want = np.where(np.maximum(x, 0) != 0, g, 0)  # NaN inputs pass their gradient, as in PyTorch
    np.testing.assert_array_equal(y.grad.numpy(), want)
