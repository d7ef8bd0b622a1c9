"""Cases of ``nn.functional``: softmax, convolution, im2col, pooling, linear, local response
normalisation, dropout and the losses.

The small cases come first: checked against central differences and shown by ``minigrad
gradcheck``. The larger ones after them cover the combinations of arguments, against PyTorch.
"""
from minigrad._testing.case import (
    Case, describe, distinct, fixed, functional, integers, mask, method, normal, positive,
)

CONV = [
    dict(stride=1, padding=0), dict(stride=2, padding=1), dict(stride=3, padding=2, dilation=2),
    dict(stride=(2, 1), padding=(0, 1), groups=2), dict(stride=(1, 2), padding=1, groups=2),
    dict(padding="same", dilation=2), dict(stride=4, padding=3),
]
POOL = [
    dict(kernel_size=2), dict(kernel_size=3, stride=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=(2, 3), stride=(2, 1), padding=(1, 1)), dict(kernel_size=3, stride=3, ceil_mode=True),
]
# the same (4, 3, 9, 10) input reached through a view, so that the op sees the memory layout of a
# batch-last convolution output, a strided slice or a flipped one (PyTorch has no negative steps)
LAYOUTS = {  # name: (shape, minigrad's view, PyTorch's)
    "batch-last": ((3, 9, 10, 4), lambda x: x.permute(3, 0, 1, 2), lambda x: x.permute(3, 0, 1, 2)),
    "strided": ((4, 3, 18, 10), lambda x: x[:, :, ::2], lambda x: x[:, :, ::2]),
    "flipped": ((4, 3, 9, 10), lambda x: x[:, :, ::-1], lambda x: x.flip(2)),
}
REDUCTIONS = ["mean", "sum", "none"]
SPATIAL_TARGET = [[0, 2, 1, 3, 2], [1, 3, 0, 1, 1], [3, 0, 2, 2, 0]]  # class 2, the ignored one, in every row


def _layout_cases(layout: str) -> list[Case]:
    shape, ours, theirs = LAYOUTS[layout]
    cases = [
        Case(f"conv2d, {layout} input, {describe(**kwargs)}",
             lambda lib, x, w, kwargs=kwargs: lib.nn.functional.conv2d(ours(x), w, **kwargs),
             normal(*shape), normal(5, 3, 3, 3), numerical=False, second_order=False,
             torch=lambda torch, x, w, kwargs=kwargs: torch.nn.functional.conv2d(theirs(x), w, **kwargs))
        for kwargs in (dict(padding=1), dict(stride=2), dict(padding=(0, 2), dilation=2))
    ]
    cases.append(Case(f"max_pool2d, {layout} input",
                      lambda lib, x: lib.nn.functional.max_pool2d(ours(x), 3, 2, 1, ceil_mode=True),
                      normal(*shape), numerical=False,
                      torch=lambda torch, x: torch.nn.functional.max_pool2d(theirs(x), 3, 2, 1, ceil_mode=True)))
    return cases


def _loss_cases(reduction: str) -> list[Case]:
    def loss(name, **kwargs):
        return functional(name, reduction=reduction, **kwargs)

    def weighted(name, **kwargs):
        return lambda lib, x, t, w: getattr(lib.nn.functional, name)(x, t, weight=w, reduction=reduction, **kwargs)

    weight, weight_of_4 = positive(5, requires_grad=False), positive(4, requires_grad=False)
    return [
        Case(f"cross_entropy, {reduction}", loss("cross_entropy"), normal(6, 5), integers(6, high=5), numerical=False),
        Case(f"nll_loss, {reduction}", loss("nll_loss"), normal(6, 5), integers(6, high=5), numerical=False),
        Case(f"mse_loss, {reduction}", loss("mse_loss"), normal(3, 4), normal(3, 4), numerical=False),
        Case(f"cross_entropy, weight, label_smoothing, {reduction}", weighted("cross_entropy", label_smoothing=0.1),
             normal(6, 5), integers(6, high=5), weight, numerical=False),
        # ignored targets, and a spatial target (N, d) for (N, C, d) logits
        Case(f"cross_entropy, ignore_index, {reduction}", loss("cross_entropy", ignore_index=2),
             normal(3, 4, 5), fixed(SPATIAL_TARGET), numerical=False),
        Case(f"cross_entropy, ignore_index, weight, {reduction}", weighted("cross_entropy", ignore_index=2),
             normal(3, 4, 5), fixed(SPATIAL_TARGET), weight_of_4, numerical=False),
        Case(f"nll_loss, ignore_index, {reduction}", loss("nll_loss", ignore_index=2),
             normal(5, 4), fixed(SPATIAL_TARGET[0]), numerical=False),
        Case(f"nll_loss, ignore_index, weight, {reduction}", weighted("nll_loss", ignore_index=2),
             normal(5, 4), fixed(SPATIAL_TARGET[0]), weight_of_4, numerical=False),
        # nothing to average: every target ignored (PyTorch: nan loss for the mean, zero
        # gradients), and a class of weight 0 that is the only one present (nan from 0 / 0)
        Case(f"cross_entropy, every target ignored, {reduction}", loss("cross_entropy"),
             normal(3, 4), fixed([-100, -100, -100]), numerical=False, second_order=False),
        Case(f"cross_entropy, only a class of weight 0, {reduction}", weighted("cross_entropy"),
             normal(3, 4), fixed([-100, 1, -100]), fixed([1.0, 0.0, 1.0, 1.0]), numerical=False, second_order=False),
    ]


CASES = [
    Case("softmax", functional("softmax", 1), normal(3, 4), selftest=True),
    Case("log_softmax", functional("log_softmax", 1), normal(3, 4), selftest=True),
    Case("softmax (method)", method("softmax", 1), normal(3, 5)),
    Case("log_softmax (method), dim 0", method("log_softmax", 0), normal(3, 5)),
    Case("conv2d (stride 2, pad 1, dilation 2, groups 2)",
         functional("conv2d", stride=2, padding=1, dilation=2, groups=2),
         normal(1, 4, 6, 6), normal(2, 2, 2, 2), normal(2), selftest=True),
    Case("unfold", functional("unfold", 2, padding=1, stride=2), normal(1, 2, 4, 3), selftest=True),
    Case("fold", functional("fold", (3, 4), 2), normal(1, 8, 6), selftest=True),
    Case("max_pool2d (ceil_mode)", functional("max_pool2d", 3, 2, 1, ceil_mode=True), distinct(1, 2, 6, 5),
         selftest=True),
    Case("avg_pool2d", functional("avg_pool2d", 3, 2, 1, count_include_pad=False), normal(1, 2, 6, 5), selftest=True),
    Case("adaptive_avg_pool2d", functional("adaptive_avg_pool2d", (2, 3)), normal(1, 2, 5, 4), selftest=True),
    Case("linear", functional("linear"), normal(3, 4), normal(2, 4), normal(2), selftest=True),
    Case("local_response_norm", functional("local_response_norm", 3, 0.2, 0.75, 1.0), normal(1, 4, 2, 2),
         selftest=True),
    Case("dropout (fixed mask)", lambda lib, x, keep: x * keep / 0.5, normal(3, 4), mask(3, 4),
         numpy=lambda x, keep: x * keep / 0.5, selftest=True),
    Case("cross_entropy", functional("cross_entropy"), normal(3, 4), integers(3, high=4), selftest=True),
    Case("nll_loss", functional("nll_loss", reduction="sum"), normal(3, 4), integers(3, high=4), selftest=True),
    Case("mse_loss", functional("mse_loss"), normal(3, 4), normal(3, 4), selftest=True),
    # against PyTorch alone
    *(Case(f"conv2d {describe(**kwargs)}", functional("conv2d", **kwargs),
           normal(2, 4, 9, 8), normal(6, 4 // kwargs.get("groups", 1), 3, 2), normal(6), numerical=False)
      for kwargs in CONV),
    *(case for layout in LAYOUTS for case in _layout_cases(layout)),
    *(Case(f"max_pool2d {describe(**kwargs)}", functional("max_pool2d", return_indices=True, **kwargs),
           distinct(2, 3, 9, 8), numerical=False)
      for kwargs in POOL + [dict(kernel_size=3, stride=1, padding=1, dilation=2)]),
    *(Case(f"avg_pool2d {describe(**kwargs, count_include_pad=include)}",
           functional("avg_pool2d", count_include_pad=include, **kwargs), normal(2, 3, 9, 8), numerical=False)
      for kwargs in POOL for include in (True, False)),
    *(Case(f"adaptive_avg_pool2d {size}", functional("adaptive_avg_pool2d", size), normal(2, 3, 9, 8),
           numerical=False)
      for size in [(1, 1), (3, 3), (4, 5), (6, 6)]),
    *(Case(f"local_response_norm size={size}, {channels} channels",
           functional("local_response_norm", size, 1e-2, 0.75, 2.0), normal(2, channels, 4, 3), numerical=False)
      for size, channels in [(5, 8), (4, 8), (5, 3), (2, 1), (7, 4)]),
    *(case for reduction in REDUCTIONS for case in _loss_cases(reduction)),
    Case("linear, (4, 3) input", functional("linear"), normal(4, 3), normal(5, 3), normal(5), numerical=False),
    Case("unfold kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=2",
         functional("unfold", (2, 3), dilation=(1, 2), padding=1, stride=2), normal(2, 3, 7, 8), numerical=False),
    Case("fold output_size=(5, 6), kernel_size=2, stride=(1, 2), padding=1",
         functional("fold", (5, 6), 2, stride=(1, 2), padding=1), normal(2, 12, 6 * 4), numerical=False),
]
