"""Deciding what each recorded op is drawn as: itself, its composite op (the parts of
``cross_entropy`` are one node), or, with ``collapse_repeats``, a run of repeated blocks
(``(Conv2d → ReLU) ×3``) or a chain of the same op (``Mul ×100000``)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from minigrad.nn.modules.module import Module
from minigrad.viz.reader import GraphReader, format_attributes


@dataclass
class Shown:
    """One op node of the drawing: a recorded op, or several drawn as one."""

    key: Any  # ("o", op) an op, ("c", composite), ("r", first module) a run, ("chain", last op)
    name: str
    details: str  # the attributes, or the first and last module of a run
    modules: tuple


def qualified_names(reader: GraphReader) -> dict[int, str]:
    """The dotted name of every module below the outermost modules the graph went through."""
    roots = {id(op.modules[0]): op.modules[0] for op in reader.ops.values() if op.modules}
    names: dict[int, str] = {}
    for root in roots.values():
        for name, module in root.named_modules():
            names.setdefault(id(module), name)
    return names


def module_label(module: Module, names: dict) -> str:
    """``block.conv: Conv2d(1, 2, kernel_size=(3, 3), ...)``: a module's cluster label."""
    name = names.get(id(module), "")
    layer = module._short_repr()
    return f"{name}: {layer}" if name else layer


def group_ops(reader: GraphReader, collapse_repeats: bool, names: dict) -> dict[int, Shown]:
    """Map every op to the node it is drawn as (composites and repeats share one)."""
    shown: dict[int, Shown] = {}
    by_group: dict[int, Shown] = {}
    for op in reader.ops.values():
        if op.composite is not None:
            group = by_group.get(id(op.composite))
            if group is None:
                text = format_attributes(op.composite.attributes)
                group = by_group[id(op.composite)] = Shown(("c", id(op.composite)), op.composite.name, text, op.modules)
            shown[op.key] = group
        else:
            shown[op.key] = Shown(("o", op.key), op.name, op.attrs, op.modules)
    if collapse_repeats:
        _collapse_module_repeats(reader, shown, names)
        _collapse_op_chains(reader, shown)
    return shown


def _signature(module: Module) -> tuple:
    return (type(module).__name__,) + tuple(_signature(child) for child in module.children())


def _best_run(signatures: list, start: int) -> tuple[int, int]:
    """``(period, repeats)`` of the longest periodic run of signatures from ``start``."""
    best = (1, 1)
    for period in range(1, (len(signatures) - start) // 2 + 1):
        block = signatures[start:start + period]
        repeats = 1
        while signatures[start + repeats * period:start + (repeats + 1) * period] == block:
            repeats += 1
        if repeats > 1 and period * repeats > best[0] * best[1]:
            best = (period, repeats)
    return best


def _collapse_module_repeats(reader: GraphReader, shown: dict, names: dict) -> None:
    """Runs of sibling modules whose layer types repeat with some period become one node."""
    used_modules = {id(m) for op in reader.ops.values() for m in op.modules}
    parents = {id(module): module for op in reader.ops.values() for module in op.modules[:-1]}
    for parent in parents.values():
        children = [(n, c) for n, c in parent.named_children() if id(c) in used_modules]
        signatures = [_signature(c) for _, c in children]
        start = 0
        while start < len(children):
            period, repeats = _best_run(signatures, start)
            if repeats == 1:
                start += 1
                continue
            run = [c for _, c in children[start:start + period * repeats]]
            first, last = names.get(id(run[0]), "?"), names.get(id(run[-1]), "?")
            kinds = " → ".join(type(c).__name__ for c in run[:period])
            kinds = f"({kinds})" if period > 1 else kinds
            node = Shown(("r", id(run[0])), f"{kinds} ×{repeats}", f"{first} … {last}", _path_to(reader, parent))
            members = {id(c) for c in run}
            for op in reader.ops.values():
                if any(id(m) in members for m in op.modules):
                    shown[op.key] = node
            start += period * repeats


def _path_to(reader: GraphReader, module: Module) -> tuple:
    for op in reader.ops.values():
        for depth, m in enumerate(op.modules):
            if m is module:
                return op.modules[:depth + 1]
    return ()


def _collapse_op_chains(reader: GraphReader, shown: dict) -> None:
    """Chains of the same op, each feeding only the next, become one node ``Op ×N``."""
    for op in reader.ops.values():
        if shown[op.key].key[0] != "o":
            continue
        # walk up while the single graph input comes from the same kind of op, used only here
        chain = [op]
        current = op
        while True:
            producers = [reader.tensors[k].producer for k in current.inputs if reader.tensors[k].producer is not None]
            if len(producers) != 1:
                break
            parent = reader.ops.get(producers[0])
            tensor = next(k for k in current.inputs if reader.tensors[k].producer == producers[0])
            if (parent is None or shown[parent.key].key[0] != "o" or parent.name != op.name or parent.attrs != op.attrs
                    or parent.modules != op.modules or len(reader.tensors[tensor].consumers) != 1):
                break
            chain.append(parent)
            current = parent
        if len(chain) > 2:
            merged = Shown(("chain", op.key), f"{op.name} ×{len(chain)}", op.attrs, op.modules)
            for member in chain:
                shown[member.key] = merged
