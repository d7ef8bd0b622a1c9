"""The gradient self-test behind ``minigrad gradcheck``: every op and a miniature of every
layer of the models, checked to first and second order in float64.

Each case is a function and its inputs. Layers are checked as miniatures: the same kind of
layer with the same kernel, stride, padding and so on, but two or three channels and small
images, so that the numerical Jacobian over every element stays cheap.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from minigrad import ops
from minigrad.autograd.gradient_check import gradient_error, second_order_error
from minigrad.nn import functional as F
from minigrad.tensor import Tensor


@dataclass
class Case:
    name: str
    func: Callable
    shapes: tuple
    positive: bool = False
    distinct: bool = False  # values without ties (max pooling, max)


def _tensors(case: Case, rng: np.random.Generator) -> tuple:
    tensors = []
    for shape in case.shapes:
        if case.distinct:  # no ties and no zeros: away from the kinks of max and relu
            size = int(np.prod(shape))
            values = (rng.permutation(size).reshape(shape) - size / 2 + 0.25) / 7.0
        elif case.positive:
            values = rng.uniform(0.5, 2.0, shape)
        else:
            values = rng.standard_normal(shape)
        tensors.append(Tensor(values.astype(np.float64), requires_grad=True))
    return tuple(tensors)


def op_cases() -> list[Case]:
    labels = Tensor(np.array([2, 0, 1]))
    dropout_mask = Tensor((np.random.default_rng(7).random((3, 4)) > 0.5) * 2.0)
    return [
        Case("add (broadcast)", lambda a, b: a + b, ((3, 4), (4,))),
        Case("mul (broadcast)", lambda a, b: a * b, ((3, 1), (1, 4))),
        Case("div", lambda a, b: a / b, ((3, 4), (3, 4)), positive=True),
        Case("pow", lambda a, b: a ** b, ((3, 2), (3, 2)), positive=True),
        Case("matmul (batched)", lambda a, b: a @ b, ((2, 3, 4), (4, 2))),
        Case("neg, sub", lambda a, b: -a - b, ((2, 3), (2, 3))),
        Case("exp", ops.exp, ((3, 4),)),
        Case("log", ops.log, ((3, 4),), positive=True),
        Case("sqrt", ops.sqrt, ((3, 4),), positive=True),
        Case("abs", ops.abs, ((3, 4),), positive=True),
        Case("tanh", ops.tanh, ((3, 4),)),
        Case("sigmoid", ops.sigmoid, ((3, 4),)),
        Case("relu", ops.relu, ((3, 4),), distinct=True),
        Case("clamp", lambda a: a.clamp(-0.3, 0.4), ((3, 4),), distinct=True),
        Case("sum, mean (dims)", lambda a: a.sum((0, 2)) + a.mean(1, keepdim=True).sum(), ((2, 3, 4),)),
        Case("var", lambda a: a.var(1), ((3, 5),)),
        Case("max(dim), amax", lambda a: a.max(1).values + a.amax(0).sum(), ((3, 4),), distinct=True),
        Case("getitem", lambda a: a[[0, 0, 2], 1:], ((3, 4),)),
        Case("reshape, permute", lambda a: a.permute(2, 0, 1).reshape(4, -1), ((2, 3, 4),)),
        Case("cat, stack", lambda a, b: ops.stack([ops.cat([a, b], 1), ops.cat([b, a], 1)]), ((2, 3), (2, 3))),
        Case("where", lambda a, b: ops.where(a > 0, a, b), ((3, 4), (3, 4)), distinct=True),
        Case("softmax", lambda a: F.softmax(a, 1), ((3, 4),)),
        Case("log_softmax", lambda a: F.log_softmax(a, 1), ((3, 4),)),
        Case("conv2d (stride 2, pad 1, dilation 2, groups 2)",
             lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, dilation=2, groups=2), ((1, 4, 6, 6), (2, 2, 2, 2), (2,))),
        Case("unfold", lambda x: F.unfold(x, 2, padding=1, stride=2), ((1, 2, 4, 3),)),
        Case("fold", lambda c: F.fold(c, (3, 4), 2), ((1, 8, 6),)),
        Case("max_pool2d (ceil_mode)", lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True), ((1, 2, 6, 5),), distinct=True),
        Case("avg_pool2d", lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False), ((1, 2, 6, 5),)),
        Case("adaptive_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, (2, 3)), ((1, 2, 5, 4),)),
        Case("linear", F.linear, ((3, 4), (2, 4), (2,))),
        Case("local_response_norm", lambda x: F.local_response_norm(x, 3, 0.2, 0.75, 1.0), ((1, 4, 2, 2),)),
        Case("dropout (fixed mask)", lambda x: x * dropout_mask, ((3, 4),)),
        Case("cross_entropy", lambda x: F.cross_entropy(x, labels), ((3, 4),)),
        Case("nll_loss", lambda x: F.nll_loss(x, labels, reduction="sum"), ((3, 4),)),
        Case("mse_loss", lambda x, y: F.mse_loss(x, y), ((3, 4), (3, 4))),
    ]


def _miniature(module) -> tuple[Callable, tuple] | None:
    """A small float64 copy of a layer, and the shape of an input for it."""
    from minigrad import nn

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
    from minigrad.models import AlexNet, LeNet5, SimpleConvNet

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
            shapes = (shape,) + tuple(p.shape for p in layer.parameters())

            def func(x, *weights, layer=layer):
                return _call_with(layer, weights, x)

            distinct = type(module).__name__ in ("MaxPool2d", "ReLU")
            cases.append(Case(f"{model_name} {name}: {_compact(module)}", func, shapes, distinct=distinct))
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
        return layer(x)
    finally:
        layer._parameters.clear()
        layer._parameters.update(original)


def run(quick: bool = False, out=print) -> bool:
    """Run every case; print a table of the largest errors; True when all are within 1e-6."""
    rng = np.random.default_rng(0)
    cases = op_cases() + layer_cases()
    if quick:
        cases = cases[::4]
    out(f"{'case':<78}{'1st order':>12}{'2nd order':>12}  status")
    out("-" * 110)
    ok = True
    for case in cases:
        inputs = _tensors(case, rng)
        first = gradient_error(case.func, inputs)
        second = second_order_error(case.func, inputs)
        passed = first < 1e-6 and second < 1e-6
        ok &= passed
        out(f"{case.name[:77]:<78}{first:>12.2e}{second:>12.2e}  {'ok' if passed else 'FAIL'}")
    out("-" * 110)
    out(f"{len(cases)} cases, largest |analytical - numerical| of the Jacobians (central differences, eps=1e-6, float64): "
        + ("all below 1e-6" if ok else "SOME ABOVE 1e-6"))
    return ok
