"""List the PyTorch names that minigrad has, namespace by namespace, read from the code.

    python scripts/torch_names.py              # print the list (Markdown)
    python scripts/torch_names.py --write      # rewrite the list in docs/pytorch.md
    python scripts/torch_names.py --check      # exit 1 when docs/pytorch.md's list is out of date
    python scripts/torch_names.py --compare    # with PyTorch installed: names that differ from torch's

The list is what ``import minigrad`` offers: for each namespace (``torch`` is ``minigrad``,
``torch.nn`` is ``minigrad.nn``, ``torchvision.transforms`` is ``minigrad.data.transforms``, ...)
its public names, without the modules that merely hold code and without names imported from
elsewhere (``typing``, ``numpy``). ``docs/pytorch.md`` keeps it between the marker comments
``<!-- names:start -->`` and ``<!-- names:end -->``; ``tests/test_pytorch_style.py`` fails when
that copy and the code disagree.
"""
from __future__ import annotations

import __future__
import argparse
import importlib
import inspect
import sys
import textwrap
import types
from pathlib import Path

import numpy as np

DOC = Path(__file__).resolve().parents[1] / "docs" / "pytorch.md"
START, END = "<!-- names:start -->", "<!-- names:end -->"

#: (PyTorch's name, minigrad's module path) for every namespace listed
NAMESPACES = [
    ("torch", "minigrad"),
    ("torch.nn", "minigrad.nn"),
    ("torch.nn.functional", "minigrad.nn.functional"),
    ("torch.nn.init", "minigrad.nn.init"),
    ("torch.optim", "minigrad.optim"),
    ("torch.optim.lr_scheduler", "minigrad.optim.lr_scheduler"),
    ("torch.autograd", "minigrad.autograd"),
    ("torch.utils.data", "minigrad.utils.data"),
    ("torch.cuda", "minigrad.cuda"),
    ("torch.accelerator", "minigrad.accelerator"),
    ("torchvision.datasets", "minigrad.data.datasets"),
    ("torchvision.transforms", "minigrad.data.transforms"),
]

#: Python operators, by the method that implements them
OPERATORS = {
    "__add__": "+", "__sub__": "-", "__mul__": "*", "__truediv__": "/", "__floordiv__": "//",
    "__mod__": "%", "__pow__": "**", "__matmul__": "@", "__neg__": "unary -", "__pos__": "unary +",
    "__abs__": "abs()", "__invert__": "~", "__and__": "&", "__or__": "|", "__xor__": "^",
    "__lt__": "<", "__le__": "<=", "__gt__": ">", "__ge__": ">=", "__eq__": "==", "__ne__": "!=",
    "__iadd__": "+=", "__isub__": "-=", "__imul__": "*=", "__itruediv__": "/=",
    "__getitem__": "t[i]", "__setitem__": "t[i] = v", "__len__": "len()", "__iter__": "iter()",
    "__float__": "float()", "__int__": "int()", "__bool__": "bool()", "__index__": "index",
    "__format__": "format()", "__array__": "numpy.asarray()",
}


def _resolve(path: str):
    """The module (or namespace object) at a dotted path such as ``minigrad.cuda``."""
    try:
        return importlib.import_module(path)
    except ModuleNotFoundError:
        parent, _, name = path.rpartition(".")
        return getattr(importlib.import_module(parent), name)


def _home(namespace) -> str:
    """The package whose names count as the namespace's own (when it has no ``__all__``): the
    namespace itself when it is a package, else the package around it (``minigrad.nn`` for
    ``minigrad.nn.init``)."""
    name = namespace.__name__
    return name if hasattr(namespace, "__path__") else name.rpartition(".")[0]


def _kind(value, home: str) -> str | None:
    """``function``, ``class``, ``dtype``, ``namespace`` or ``value``; None for a name that is not
    listed: a module that merely holds code, or something imported from outside ``home``
    (``numpy``, ``typing.Any``, ``minigrad.tensor.Tensor`` inside ``minigrad.nn.init``)."""
    if isinstance(value, types.ModuleType):
        if not value.__name__.startswith("minigrad"):
            return None
        # a namespace object (minigrad.cuda) or a subpackage; plain files of code are left out
        return "namespace" if getattr(value, "__file__", None) is None or hasattr(value, "__path__") else None
    if isinstance(value, np.dtype):
        return "dtype"
    if isinstance(value, __future__._Feature):
        return None
    if inspect.isclass(value) or callable(value):
        module = getattr(value, "__module__", None) or ""
        if module != home and not module.startswith(home + "."):
            return None
        return "class" if inspect.isclass(value) else "function"
    return "value"


def public_names(namespace) -> dict[str, list[str]]:
    """The public names of a namespace, grouped by kind, each group sorted."""
    names = getattr(namespace, "__all__", None)
    home = "minigrad" if names else _home(namespace)  # an __all__ says which imported names are public
    names = names or [n for n in dir(namespace) if not n.startswith("_")]
    groups: dict[str, list[str]] = {}
    for name in names:
        kind = _kind(getattr(namespace, name), home)
        if kind is not None:
            groups.setdefault(kind, []).append(name)
    return {kind: sorted(group, key=str.lower) for kind, group in sorted(groups.items())}


def tensor_names() -> dict[str, list[str]]:
    """``torch.Tensor``'s methods, attributes and Python operators."""
    from minigrad import Tensor

    groups: dict[str, list[str]] = {"methods": [], "attributes": [], "operators": []}
    for name in dir(Tensor):
        if name.startswith("_"):
            continue
        member = inspect.getattr_static(Tensor, name)
        callable_member = isinstance(member, (staticmethod, classmethod)) or inspect.isfunction(member)
        groups["methods" if callable_member else "attributes"].append(name)
    groups["operators"] = [symbol for method, symbol in OPERATORS.items() if hasattr(Tensor, method)
                           and getattr(Tensor, method) is not getattr(object, method, None)]
    return groups


def _code_list(names: list[str]) -> str:
    return "\n".join(textwrap.wrap(", ".join(f"`{n}`" for n in names), width=100, break_on_hyphens=False))


def render() -> str:
    """The Markdown list that docs/pytorch.md holds between the markers."""
    import minigrad

    lines = [f"<!-- generated by scripts/torch_names.py from minigrad {minigrad.__version__}; "
             "do not edit by hand: run `python scripts/torch_names.py --write` -->", ""]
    sections = [("torch", "minigrad", public_names(minigrad)), ("torch.Tensor", "minigrad.Tensor", tensor_names())]
    sections += [(torch_name, path, public_names(_resolve(path))) for torch_name, path in NAMESPACES[1:]]
    for torch_name, path, groups in sections:
        count = sum(len(group) for kind, group in groups.items() if kind != "operators")
        lines += [f"### `{torch_name}` ({count} names, in `{path}`)", ""]
        for kind, group in groups.items():
            if group:
                lines += [f"**{kind}**: " + _code_list(group), ""]
    return "\n".join(lines).rstrip() + "\n"


def doc_section(text: str) -> str:
    """What docs/pytorch.md holds between the markers."""
    if START not in text or END not in text:
        raise SystemExit(f"{DOC}: the markers {START} and {END} are missing")
    return text.split(START, 1)[1].split(END, 1)[0].strip("\n") + "\n"


def write() -> bool:
    """Rewrite the list in docs/pytorch.md; True when it changed."""
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    new = f"{head}{START}\n{render()}{END}{tail}"
    if new == text:
        return False
    DOC.write_text(new, encoding="utf-8")
    return True


def compare() -> None:
    """Print, per namespace, the names minigrad has that PyTorch (and torchvision) lack."""
    for torch_name, path in [("torch", "minigrad"), *NAMESPACES[1:]]:
        try:
            reference = _resolve(torch_name)
        except ImportError:
            print(f"{torch_name}: not installed")
            continue
        ours = {n for group in public_names(_resolve(path)).values() for n in group}
        extra = sorted(n for n in ours if not hasattr(reference, n))
        print(f"{torch_name}: {len(ours)} names; not in {torch_name}: {', '.join(extra) or '-'}")
    import torch
    from minigrad import Tensor

    ours = {n for n in dir(Tensor) if not n.startswith("_")}
    print(f"torch.Tensor: not in torch.Tensor: {', '.join(sorted(n for n in ours if not hasattr(torch.Tensor, n)))}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true", help=f"rewrite the list in {DOC.name}")
    action.add_argument("--check", action="store_true", help=f"exit 1 when {DOC.name} is out of date")
    action.add_argument("--compare", action="store_true", help="names that PyTorch does not have")
    args = parser.parse_args(argv)
    if args.write:
        print(f"{DOC}: {'updated' if write() else 'already up to date'}")
    elif args.check:
        if doc_section(DOC.read_text(encoding="utf-8")) != render():
            print(f"{DOC} is out of date: run `python scripts/torch_names.py --write`", file=sys.stderr)
            return 1
        print(f"{DOC}: up to date")
    elif args.compare:
        compare()
    else:
        sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
