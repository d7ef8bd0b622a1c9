"""Every example runs (in its quick mode)."""
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(example, tmp_path):
    if example.name == "visualize_filters.py":
        pytest.importorskip("matplotlib", reason="the pictures need matplotlib (pip install -e '.[plot]')")
    result = subprocess.run([sys.executable, str(example), "--quick"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip()
