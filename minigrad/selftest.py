"""The gradient self-test behind ``minigrad gradcheck``: every op and a miniature of every
layer of the models, checked to first and second order in float64.

The ops are the cases of the op table (:mod:`minigrad._testing`) marked ``selftest``; the test
suite checks the whole table against numpy, central differences and PyTorch. Layers are checked
as miniatures: the same kind of layer with the same kernel, stride, padding and so on, but two or
three channels and small images, so that the numerical Jacobian over every element stays cheap.
"""
from __future__ import annotations

from typing import Callable

from minigrad import nn
from minigrad._testing import CASES, Case, distinct, normal
from minigrad.autograd.gradient_check import gradient_error, second_order_error
from minigrad.models import AlexNet, LeNet5, SimpleConvNet


def op_cases() -> list[Case]:
    """The cases of the op table that the self-test shows: about one for each op."""
    return [case for case in CASES if case.selftest]


def _miniature(module) -> tuple[Callable, tuple] | None:
    """A small float64 copy of a layer, and the shape of an input for it."""
    if isinstance(module, nn.Conv2d):
        groups = module.groups if module.groups in (1, 2) else 1
        layer = nn.Conv2d(2 * groups, 2 * groups, module.kernel_size, module.stride, module.padding, module.dilation, groups).double()
        eff = [d * (k - 1) + 1 for k, d in zip(module.kernel_size, module.dilation)]
        size = max(eff) + max(module.stride) + 1
        return layer, (1, 2 * groups, size, size)
    if isinstance(module, nn.Linear):
        return nn.Linear(4, 3).double(), (2, 4)
    if isinstance(module, nn.MaxPool2d):
        return module, (1, 2, 7, 7)
    if isinstance(module, nn.AvgPool2d):
        return module, (1, 2, 6, 6)
    if isinstance(module, nn.AdaptiveAvgPool2d):
        return module, (1, 2, 7, 7)
    if isinstance(module, nn.LocalResponseNorm):
        scaled = nn.LocalResponseNorm(module.size, alpha=module.alpha * 1000, beta=module.beta, k=module.k)
        return scaled, (1, 4, 2, 2)
    if isinstance(module, (nn.ReLU, nn.Tanh, nn.Sigmoid)):
        return module, (2, 5)
    return None


def layer_cases() -> list[Case]:
    models = {
        "lenet5": LeNet5(), "lenet5 classic": LeNet5(variant="classic"), "alexnet": AlexNet(),
        "alexnet torchvision": AlexNet(variant="torchvision"), "simpleconvnet": SimpleConvNet(),
    }
    cases, seen = [], set()
    for model_name, model in models.items():
        for name, module in model.named_modules():
            mini = _miniature(module)
            if mini is None:
                continue
            layer, shape = mini
            key = repr(layer)
            if key in seen:
                continue
            seen.add(key)
            kind = distinct if type(module).__name__ in ("MaxPool2d", "ReLU") else normal
            inputs = (kind(*shape),) + tuple(normal(*p.shape) for p in layer.parameters())

            def func(lib, x, *weights, layer=layer):
                return _call_with(layer, weights, x)

            cases.append(Case(f"{model_name} {name}: {_compact(module)}", func, *inputs, torch=False, selftest=True))
    return cases


def _compact(module) -> str:
    text = f"{type(module).__name__}({module.extra_repr()})"
    for long, short in (("kernel_size=", "k="), ("stride=", "s="), ("padding=", "p="), ("dilation=", "d="),
                        ("in_features=", "in="), ("out_features=", "out="), (", ceil_mode=False", ""),
                        (", bias=True", ""), ("output_size=", "")):
        text = text.replace(long, short)
    return text


def _call_with(layer, weights, x):
    """Call ``layer`` with its parameters replaced by ``weights`` (so they are checked inputs)."""
    original = dict(layer._parameters)
    try:
        names = [name for name, p in original.items() if p is not None]
        layer._parameters.update(zip(names, weights))
        # an in-place layer (AlexNet's ReLU) works on a copy: the checked input must keep its values
        return layer(x.clone() if getattr(layer, "inplace", False) else x)
    finally:
        layer._parameters.clear()
        layer._parameters.update(original)


def run(quick: bool = False, out=print) -> bool:
    """Run every case; print a table of the largest errors; True when all are within 1e-6."""
    cases = op_cases() + layer_cases()
    if quick:
        cases = cases[::4]
    out(f"{'case':<78}{'1st order':>12}{'2nd order':>12}  status")
    out("-" * 110)
    ok = True
    for case in cases:
        func, inputs = case.minigrad_op(), case.minigrad_inputs()
        first = gradient_error(func, inputs)
        second = second_order_error(func, inputs)
        passed = first < 1e-6 and second < 1e-6
        ok &= passed
        out(f"{case.name[:77]:<78}{first:>12.2e}{second:>12.2e}  {'ok' if passed else 'FAIL'}")
    out("-" * 110)
    out(f"{len(cases)} cases, largest |analytical - numerical| of the Jacobians (central differences, eps=1e-6, float64): "
        + ("all below 1e-6" if ok else "SOME ABOVE 1e-6"))
    return ok
