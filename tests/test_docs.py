"""The documentation's examples run: every ```python block of README.md and docs/*.md (each
file's blocks in order, sharing one namespace), and every docstring example in the package."""
import doctest
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import minigrad

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def python_blocks(path: Path) -> list[str]:
    return BLOCK.findall(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", [p for p in DOCS if python_blocks(p)], ids=lambda p: p.name)
def test_markdown_examples_run(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples may write files
    namespace: dict = {"__name__": f"docs_{path.stem}"}
    for number, block in enumerate(python_blocks(path), 1):
        try:
            exec(compile(block, f"{path.name} block {number}", "exec"), namespace)
        except Exception as error:
            raise AssertionError(f"{path.name}, python block {number} failed: {error!r}\n{block}") from error


def _modules():
    for info in pkgutil.walk_packages(minigrad.__path__, "minigrad."):
        if not info.name.endswith("__main__"):  # importing it runs the command line
            yield info.name


@pytest.mark.parametrize("name", sorted(_modules()))
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    globs = {"np": __import__("numpy"), "mg": minigrad}
    for test in finder.find(module, name, extraglobs=globs):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
