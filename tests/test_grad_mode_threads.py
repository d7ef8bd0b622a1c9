"""Grad mode is per thread, as in PyTorch: ``no_grad`` (as a block, a decorator, or the engine
switching recording off while it runs an op's forward or a backward pass) in one thread must
never change what another thread records.

The threads are put in the worst order on purpose: events make one thread sit inside its
``no_grad`` (or inside an op's forward, or inside a backward) while another records, so the
tests do not depend on luck. Each scenario is a program ``scenario(lib)`` that returns what it
observed; it must observe the expected thing in minigrad, and the same thing in PyTorch when
PyTorch is installed."""
from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import minigrad as mg
from helpers import HAS_TORCH

TIMEOUT = 5.0


def libraries():
    """minigrad, and PyTorch where installed: each scenario runs in both."""
    if HAS_TORCH:
        import torch

        return [mg, torch]
    return [mg]


def wait(event: threading.Event) -> None:
    assert event.wait(TIMEOUT), "a thread did not reach its next step (deadlock or crash)"


def run_threads(*targets) -> list:
    """Run each target in its own thread; return their results; re-raise their exceptions."""
    results, errors = [None] * len(targets), []

    def body(i, target):
        try:
            results[i] = target()
        except BaseException as error:  # noqa: BLE001  (reported in the test's thread)
            errors.append(error)

    threads = [threading.Thread(target=body, args=(i, t), daemon=True) for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT * 4)
        assert not t.is_alive(), "a thread did not finish"
    if errors:
        raise errors[0]
    return results


def leaf(lib, values):
    return lib.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def same_in_torch(scenario, expected):
    """``scenario`` observes ``expected`` in minigrad and in PyTorch (where installed)."""
    for lib in libraries():
        assert scenario(lib) == expected, lib.__name__


# -- a thread starts with recording on, whatever its parent does ---------------------------------------
def _new_thread_under_parent_no_grad(lib):
    with lib.no_grad():
        (child,) = run_threads(lambda: (lib.is_grad_enabled(), (leaf(lib, [1.0]) * 2).requires_grad))
        parent = lib.is_grad_enabled()
    return child, parent, lib.is_grad_enabled()


def test_new_thread_starts_recording_even_under_parent_no_grad():
    same_in_torch(_new_thread_under_parent_no_grad, ((True, True), False, True))


def _set_grad_enabled_does_not_leak(lib):
    turned_off, checked = threading.Event(), threading.Event()
    observed = {}

    def switcher():
        lib.set_grad_enabled(False)  # called as a function: stays off in this thread only
        turned_off.set()
        wait(checked)
        observed["switcher"] = lib.is_grad_enabled(), (leaf(lib, [1.0]) * 2).requires_grad

    def other():
        wait(turned_off)
        observed["other"] = lib.is_grad_enabled(), (leaf(lib, [1.0]) * 2).requires_grad
        checked.set()

    run_threads(switcher, other)
    return observed, lib.is_grad_enabled()


def test_set_grad_enabled_in_one_thread_does_not_leak():
    same_in_torch(_set_grad_enabled_does_not_leak, ({"switcher": (False, False), "other": (True, True)}, True))


# -- training in one thread while others run inference under no_grad ------------------------------------
def _train_while_others_infer(lib, n_inference=3, steps=6):
    """Lockstep: at every step each inference thread is inside its ``no_grad`` block while the
    training thread records a forward pass, backward and update; then the inference threads run
    their forward passes while the training thread waits."""
    w = leaf(lib, np.linspace(-1, 1, 12).reshape(3, 4))
    x = lib.tensor(np.linspace(0, 1, 15).reshape(5, 3))
    inside = [[threading.Event() for _ in range(steps)] for _ in range(n_inference)]
    trained = [threading.Event() for _ in range(steps)]
    recorded = {"train": [], **{f"infer{i}": [] for i in range(n_inference)}}

    def trainer():
        for step in range(steps):
            for i in range(n_inference):
                wait(inside[i][step])
            out = (x @ w).tanh()
            loss = (out * out).mean()
            recorded["train"].append(out.grad_fn is not None and loss.requires_grad)
            loss.backward()
            with lib.no_grad():
                w.sub_(0.1 * w.grad)
            w.grad = None
            recorded["train"].append(lib.is_grad_enabled())
            trained[step].set()

    def inference(i):
        def run():
            for step in range(steps):
                with lib.no_grad():
                    inside[i][step].set()
                    wait(trained[step])
                    y = (x @ w).tanh()
                    recorded[f"infer{i}"].append((y.requires_grad, y.grad_fn is None, lib.is_grad_enabled()))
                recorded[f"infer{i}"].append(lib.is_grad_enabled())
        return run

    run_threads(trainer, *[inference(i) for i in range(n_inference)])
    return recorded


def test_training_thread_records_while_others_infer_under_no_grad():
    steps = 6
    expected = {"train": [True] * (2 * steps),
                **{f"infer{i}": [(False, True, False), True] * steps for i in range(3)}}
    same_in_torch(lambda lib: _train_while_others_infer(lib, 3, steps), expected)


def test_training_thread_records_every_graph_under_heavy_switching():
    """No lockstep: threads switch every few bytecodes; every graph of the training thread
    must be recorded and none of the inference threads'."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        w = leaf(mg, np.linspace(-1, 1, 6).reshape(3, 2))
        x = mg.tensor(np.linspace(0, 1, 12).reshape(4, 3))
        start = threading.Barrier(4, timeout=TIMEOUT)

        def trainer():
            start.wait()
            return sum((x @ w).relu().sum().grad_fn is not None for _ in range(300))

        @mg.no_grad()
        def infer():
            start.wait()
            return sum((x @ w).relu().sum().requires_grad for _ in range(300))

        results = run_threads(trainer, infer, infer, infer)
    finally:
        sys.setswitchinterval(previous)
    assert results == [300, 0, 0, 0]


# -- a decorated function called from several threads at once ----------------------------------------------
def _decorated_from_many_threads(lib, decorator, initial_modes):
    """Every thread sets its own mode, then calls the decorated function; all are inside it at
    once; they leave in the reverse order of arrival. Each thread then reports its mode."""
    k = len(initial_modes)
    inside = threading.Barrier(k, timeout=TIMEOUT)
    arrived, left = [], [threading.Event() for _ in range(k)]
    lock = threading.Lock()
    w = leaf(lib, [1.0, 2.0])

    @decorator
    def work(i):
        with lock:
            arrived.append(i)
        inside.wait()
        position = arrived.index(i)
        if position + 1 < k:
            wait(left[arrived[position + 1]])  # the later arrivals leave first
        recorded = (w * 3).requires_grad
        return recorded, lib.is_grad_enabled()

    def thread(i, mode):
        def run():
            lib.set_grad_enabled(mode)
            inside_result = work(i)
            left[i].set()
            return inside_result, lib.is_grad_enabled()
        return run

    return run_threads(*[thread(i, mode) for i, mode in enumerate(initial_modes)])


MODES = [True, False, True, True, False]


@pytest.mark.parametrize("name, make, inside_mode", [
    ("no_grad", lambda lib: lib.no_grad(), False),
    ("enable_grad", lambda lib: lib.enable_grad(), True),
    ("inference_mode", lambda lib: lib.inference_mode(), False),
    ("set_grad_enabled-False", lambda lib: lib.set_grad_enabled(False), False),
], ids=["no_grad", "enable_grad", "inference_mode", "set_grad_enabled-False"])
def test_decorated_function_called_from_many_threads_at_once(name, make, inside_mode):
    expected = [((inside_mode, inside_mode), mode) for mode in MODES]
    for lib in libraries():
        decorator = make(lib)  # made once, shared by all threads, as a module-level decorator is
        lib.set_grad_enabled(True)  # set_grad_enabled(False) also switches the creating thread off
        assert _decorated_from_many_threads(lib, decorator, MODES) == expected, lib.__name__
        assert lib.is_grad_enabled()


def test_decorated_function_in_a_thread_pool_while_training():
    w = leaf(mg, np.linspace(-1, 1, 6).reshape(3, 2))
    x = mg.tensor(np.linspace(0, 1, 12).reshape(4, 3))

    @mg.no_grad()
    def predict(i):
        return (x * i @ w).relu().requires_grad, mg.is_grad_enabled()

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(predict, i) for i in range(40)]
        recorded = [(x @ w).sum().grad_fn is not None for _ in range(40)]
        results = [f.result(TIMEOUT) for f in futures]
    assert recorded == [True] * 40
    assert results == [(False, False)] * 40
    assert mg.is_grad_enabled()


def _decorated_generator(lib):
    @lib.no_grad()
    def batches():
        w = leaf(lib, [1.0, 2.0])
        for i in range(3):
            yield (w * i).requires_grad, lib.is_grad_enabled()

    return list(batches()), lib.is_grad_enabled()


def test_no_grad_decorates_a_generator_function():
    """PyTorch's decorator wraps each step of a generator, not just the call that creates it."""
    same_in_torch(_decorated_generator, ([(False, False)] * 3, True))


def _decorated_without_parentheses(lib):
    w = leaf(lib, [1.0, 2.0])

    @lib.no_grad
    def quiet():
        return (w * 2).requires_grad, lib.is_grad_enabled()

    @lib.enable_grad
    def loud():
        return (w * 2).requires_grad, lib.is_grad_enabled()

    @lib.inference_mode
    def inferred():
        return (w * 2).requires_grad, lib.is_grad_enabled()

    with lib.no_grad():
        recorded = loud()
    return quiet(), recorded, inferred(), lib.is_grad_enabled()


def test_decorators_work_without_parentheses():
    """``@torch.no_grad`` (no call) decorates too, as do ``enable_grad`` and ``inference_mode``."""
    same_in_torch(_decorated_without_parentheses, ((False, False), (True, True), (False, False), True))


def _nested_decorators(lib):
    @lib.enable_grad()
    def inner():
        return (leaf(lib, [1.0]) * 2).requires_grad, lib.is_grad_enabled()

    @lib.no_grad()
    def outer(depth):
        if depth:
            return [(leaf(lib, [1.0]) * 2).requires_grad, inner()] + outer(depth - 1)
        return [lib.is_grad_enabled()]

    return outer(2), lib.is_grad_enabled()


def test_nested_and_recursive_decorated_calls():
    same_in_torch(_nested_decorators, ([False, (True, True), False, (True, True), False], True))


# -- an op's forward and a backward pass switch recording off in their own thread only ------------------------
def _double_function(lib, in_forward, release):
    """A custom op whose forward (and backward) sits waiting while another thread records."""
    if lib is mg:
        base = mg.autograd.Function
    else:
        import torch

        base = torch.autograd.Function

    class Double(base):
        @staticmethod
        def forward(ctx, x):
            in_forward.set()
            wait(release)
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            in_forward.set()
            wait(release)
            return grad * 2

    return Double


def _record_while_other_thread_is_in_forward(lib):
    in_forward, release = threading.Event(), threading.Event()
    Double = _double_function(lib, in_forward, release)
    w = leaf(lib, [1.0, 2.0])

    def slow():
        out = Double.apply(w)
        return out.grad_fn is not None, lib.is_grad_enabled()

    def meanwhile():
        wait(in_forward)
        try:
            return (w * 3).grad_fn is not None, lib.is_grad_enabled()
        finally:
            release.set()

    return run_threads(slow, meanwhile)


def test_op_forward_in_one_thread_does_not_stop_recording_in_another():
    same_in_torch(_record_while_other_thread_is_in_forward, [(True, True), (True, True)])


def _record_while_other_thread_runs_backward(lib, create_graph):
    in_backward, release = threading.Event(), threading.Event()
    Double = _double_function(lib, threading.Event(), threading.Event())
    w = leaf(lib, [1.0, 2.0])
    seen = {}

    class Slow(Double):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            seen["mode in backward"] = lib.is_grad_enabled()
            in_backward.set()
            wait(release)
            return 2 * x * grad

    def backward():
        (g,) = lib.autograd.grad(Slow.apply(w).sum(), w, create_graph=create_graph)
        return g.tolist(), g.requires_grad, lib.is_grad_enabled()

    def meanwhile():
        wait(in_backward)
        try:
            return (w * 3).grad_fn is not None, lib.is_grad_enabled()
        finally:
            release.set()

    return run_threads(backward, meanwhile), seen


@pytest.mark.parametrize("create_graph", [False, True])
def test_backward_in_one_thread_does_not_stop_recording_in_another(create_graph):
    expected = ([([2.0, 4.0], create_graph, True), (True, True)], {"mode in backward": create_graph})
    same_in_torch(lambda lib: _record_while_other_thread_runs_backward(lib, create_graph), expected)


def _no_grad_thread_while_other_records_with_enable_grad(lib):
    """The reverse direction: a thread under no_grad must keep not recording while another
    thread turns recording on (enable_grad inside its own no_grad)."""
    inside, switched, done = threading.Event(), threading.Event(), threading.Event()

    def quiet():
        with lib.no_grad():
            inside.set()
            wait(switched)
            try:
                return (leaf(lib, [1.0]) * 2).requires_grad, lib.is_grad_enabled()
            finally:
                done.set()

    def switcher():
        with lib.no_grad():
            wait(inside)
            with lib.enable_grad():
                switched.set()
                wait(done)
                return (leaf(lib, [1.0]) * 2).requires_grad, lib.is_grad_enabled()

    return run_threads(quiet, switcher)


def test_enable_grad_in_one_thread_does_not_record_in_another():
    same_in_torch(_no_grad_thread_while_other_records_with_enable_grad, [(False, False), (True, True)])


# -- gradients computed in parallel are right ------------------------------------------------------------------
def test_backward_passes_in_parallel_threads_give_each_thread_its_gradient():
    start = threading.Barrier(4, timeout=TIMEOUT)

    def job(k):
        def run():
            x = leaf(mg, np.arange(1.0, 7.0).reshape(2, 3))
            start.wait()
            for _ in range(20):
                x.grad = None
                (x ** k).sum().backward()
                (g,) = mg.autograd.grad((x ** k).sum(), x, create_graph=True)
                (gg,) = mg.autograd.grad(g.sum(), x)
            return x.grad.numpy().copy(), gg.numpy().copy()
        return run

    results = run_threads(*[job(k) for k in (1, 2, 3, 4)])
    x = np.arange(1.0, 7.0).reshape(2, 3)
    for k, (grad, gradgrad) in zip((1, 2, 3, 4), results):
        np.testing.assert_allclose(grad, k * x ** (k - 1))
        np.testing.assert_allclose(gradgrad, k * (k - 1) * x ** max(k - 2, 0))
