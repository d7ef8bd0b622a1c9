"""``mg.summary(model, input_size)``: a layer-by-layer table, like torchinfo's.

For each module it shows the output shape of a forward pass on a zero batch, the number of
parameters the module owns directly, and its multiply-adds: ``N*OH*OW * O * (C/groups)*KH*KW``
for a convolution and ``rows * in_features * out_features`` for a linear layer (0 elsewhere).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from minigrad import creation
from minigrad.autograd.grad_mode import no_grad
from minigrad.nn.modules.conv import Conv2d
from minigrad.nn.modules.linear import Linear
from minigrad.nn.modules.module import Module
from minigrad.tensor import Tensor


@dataclass
class LayerRow:
    name: str
    kind: str
    depth: int
    output_shape: tuple | None
    params: int
    mult_adds: int


@dataclass
class ModelSummary:
    """The rows of the table and the totals; ``str()`` gives the table."""

    model_name: str
    input_size: tuple
    rows: list[LayerRow] = field(default_factory=list)
    total_params: int = 0
    trainable_params: int = 0
    total_mult_adds: int = 0

    def __str__(self) -> str:
        width = 96
        rule, thin = "=" * width, "-" * width
        lines = [rule, f"{'Layer (type)':<46}{'Output Shape':<22}{'Param #':>12}{'Mult-Adds':>16}", rule]
        for row in self.rows:
            label = ("  " * row.depth) + (f"{row.kind}: {row.name}" if row.name else row.kind)
            shape = str(list(row.output_shape)) if row.output_shape is not None else "--"
            params = f"{row.params:,}" if row.params else "--"
            macs = f"{row.mult_adds:,}" if row.mult_adds else "--"
            lines.append(f"{label[:45]:<46}{shape:<22}{params:>12}{macs:>16}")
        lines += [
            rule,
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.total_params - self.trainable_params:,}",
            f"Total mult-adds (M): {self.total_mult_adds / 1e6:,.2f}",
            thin,
            f"Input size: {list(self.input_size)}",
            rule,
        ]
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython
        printer.text(str(self))


def _mult_adds(module: Module, output: Tensor) -> int:
    if isinstance(module, Conv2d):
        positions = int(np.prod(output.shape)) // module.out_channels  # N * OH * OW
        kh, kw = module.kernel_size
        return positions * module.out_channels * (module.in_channels // module.groups) * kh * kw
    if isinstance(module, Linear):
        rows = int(np.prod(output.shape[:-1])) if output.ndim > 1 else 1
        return rows * module.in_features * module.out_features
    return 0


def summary(model: Module, input_size, batch_size: int = 1, dtype=None) -> ModelSummary:
    """Run ``model`` on zeros of shape ``(batch_size, *input_size)`` and tabulate its layers.

    ``input_size`` excludes the batch dimension, e.g. ``(1, 28, 28)``; a full shape with the
    batch (a 4-tuple for image models) is used as it is.

    >>> import minigrad as mg
    >>> print(mg.summary(mg.models.LeNet5(), (1, 28, 28)).total_params)
    61706
    """
    input_size = tuple(input_size)
    shape = input_size if len(input_size) == 4 else (batch_size, *input_size)
    outputs: dict[int, tuple] = {}
    handles = []
    for _, module in model.named_modules():
        def record(m, inputs, output, key=id(module)):
            first = output[0] if isinstance(output, tuple) else output
            outputs[key] = (first.shape, _mult_adds(m, first)) if isinstance(first, Tensor) else (None, 0)
        handles.append(module.register_forward_hook(record))
    was_training = model.training
    try:
        model.eval()
        with no_grad():
            model(creation.zeros(*shape, dtype=dtype))
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()

    result = ModelSummary(type(model).__name__, shape)
    for name, module in model.named_modules():
        depth = name.count(".") + 1 if name else 0
        output_shape, macs = outputs.get(id(module), (None, 0))
        own = sum(p.numel() for p in module.parameters(recurse=False))
        result.rows.append(LayerRow(name, type(module).__name__, depth, output_shape, own, macs))
    result.total_params = sum(p.numel() for p in model.parameters())
    result.trainable_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    result.total_mult_adds = sum(row.mult_adds for row in result.rows)
    return result
