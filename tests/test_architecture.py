"""The layers of the package, checked on the source with ``ast`` (nothing is imported).

Bottom to top (docs/architecture.md):

    core     _dtype, errors, devices, _memory, _openblas, _layout, threads, generator, random,
             tensor, creation, autograd/, ops/
    nn       nn/, optim/
    models   models/
    the rest data/, training, cli*, viz/, onnx, serialization, torch_checkpoint, summary, plot,
             selftest, _testing/, utils/, the package's __init__ (and any new module not listed)

A module imports from its own layer and the layers below it. Within the core, the autograd engine
imports neither the Tensor class nor the ops: ``minigrad.tensor`` hands them over once with
``bind_tensor``, and that is the only import cycle of the package. Imports of minigrad are at
the top of their file, except at the end of ``minigrad/tensor.py``, where the cycle is closed.
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Callable, NamedTuple

PACKAGE = Path(__file__).resolve().parents[1] / "minigrad"

CORE = {"_dtype", "errors", "devices", "_memory", "_openblas", "_layout", "threads", "generator", "random",
        "tensor", "creation", "autograd", "ops"}
NN = {"nn", "optim"}
MODELS = {"models"}
LAYER_NAMES = ["core", "nn", "models", "the rest"]
CYCLE_CLOSED_IN = "minigrad.tensor"


def layer(module: str) -> int:
    """0 core, 1 nn, 2 models, 3 the rest; the package itself (``import minigrad``) is the rest."""
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else ""
    if top in CORE:
        return 0
    if top in NN:
        return 1
    if top in MODELS:
        return 2
    return 3


def is_cli(module: str) -> bool:
    return module.split(".")[-1].startswith("cli") and module.count(".") == 1


class Rule(NamedTuple):
    text: str
    broken: Callable[[str, str], bool]  # (importer, imported) -> True when the import breaks the rule


RULES = [
    Rule("a module imports only from its own layer and those below it (core -> nn, optim -> models -> the rest)",
         lambda importer, imported: layer(imported) > layer(importer)),
    Rule("the command line's modules (cli*.py) are imported by each other and by minigrad/__main__.py only",
         lambda importer, imported: is_cli(imported) and not is_cli(importer) and importer != "minigrad.__main__"),
    Rule("the autograd engine imports neither the Tensor class nor the ops: minigrad.tensor hands them over "
         "with bind_tensor",
         lambda importer, imported: importer.startswith("minigrad.autograd")
         and imported.split(".")[:2] in (["minigrad", "tensor"], ["minigrad", "ops"], ["minigrad", "creation"])),
]


class Import(NamedTuple):
    line: int
    text: str  # as written, e.g. "from minigrad.nn import Module"
    modules: list  # the minigrad modules it reads (dotted names)
    at_top: bool  # a module-level statement before the first def or class


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(name: str) -> str:
    """The longest prefix of ``name`` that is a module or package of minigrad."""
    parts = name.split(".")
    for end in range(len(parts), 1, -1):
        candidate = PACKAGE.parent.joinpath(*parts[:end])
        if candidate.with_suffix(".py").exists() or (candidate / "__init__.py").exists():
            return ".".join(parts[:end])
    return parts[0]


def imports(source: str, module: str, is_package: bool) -> list[Import]:
    """Every import of minigrad in ``source``, the code of ``module``."""
    tree = ast.parse(source)
    top_level, seen_definition = set(), False
    for statement in tree.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            seen_definition = True
        elif not seen_definition:
            top_level.update(id(node) for node in ast.walk(statement))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                package = package[:len(package) - node.level + 1]
                base = ".".join(package + ([base] if base else []))
            names = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        modules = sorted({_resolve(name) for name in names if name.split(".")[0] == "minigrad"})
        if modules:
            text = " ".join((ast.get_source_segment(source, node) or "").split())
            found.append(Import(node.lineno, text, modules, id(node) in top_level))
    return found


def violations(path: Path, source: str | None = None) -> list[str]:
    """What is wrong with the imports of the file ``path``, one message each."""
    source = path.read_text(encoding="utf-8") if source is None else source
    module = module_name(path)
    where = path.relative_to(PACKAGE.parent)
    found = []
    for statement in imports(source, module, path.name == "__init__.py"):
        for imported in statement.modules:
            if imported == module:
                continue
            for rule in RULES:
                if rule.broken(module, imported):
                    found.append(f"{where}:{statement.line}: `{statement.text}` ({LAYER_NAMES[layer(module)]}) reads "
                                 f"{imported} ({LAYER_NAMES[layer(imported)]}), but {rule.text}")
        if not statement.at_top and module != CYCLE_CLOSED_IN:
            found.append(f"{where}:{statement.line}: `{statement.text}` is not at the top of the file, but imports of "
                         f"minigrad are top-of-file imports towards lower layers (the one import cycle is closed at "
                         f"the end of minigrad/tensor.py; see docs/architecture.md)")
    return found


def test_every_module_imports_only_from_its_layer_and_below():
    found = [message for path in sorted(PACKAGE.rglob("*.py")) for message in violations(path)]
    assert not found, "\n".join(found)


def test_the_rules_catch_what_they_forbid():
    ops, autograd, nn, models = (PACKAGE / "ops" / "new.py", PACKAGE / "autograd" / "new.py",
                                 PACKAGE / "nn" / "new.py", PACKAGE / "models" / "new.py")
    upward = violations(ops, "from minigrad.nn.modules.module import Module\n")
    assert len(upward) == 1 and "minigrad/ops/new.py:1: `from minigrad.nn.modules.module import Module`" in upward[0]
    assert "its own layer and those below it" in upward[0]
    assert violations(nn, "from minigrad import viz\n") and violations(nn, "from ..training import fit\n")
    assert violations(models, "import minigrad.data\n") and violations(models, "from minigrad import cli_build\n")
    assert any("command line" in m for m in violations(PACKAGE / "training_new.py", "from minigrad import cli\n"))
    assert any("bind_tensor" in m for m in violations(autograd, "from minigrad.tensor import Tensor\n"))
    assert any("not at the top" in m for m in violations(nn, "def f():\n    from minigrad import ops\n"))
    assert any("not at the top" in m for m in violations(nn, "def f():\n    pass\n\n\nfrom minigrad import ops\n"))
    assert not violations(nn, "from minigrad.ops import relu\nfrom . import init\nimport numpy as np\n")
    assert not violations(models, "from minigrad import nn\nimport minigrad.nn.functional as F\n")
    assert not violations(PACKAGE / "__main__.py", "from minigrad.cli import main\n")
