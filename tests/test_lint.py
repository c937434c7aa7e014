"""`ruff check` over the package, the tests and the benchmarks: pyflakes and bugbear
(the rules in pyproject.toml's [tool.ruff.lint]); ruff is in the test extra."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(importlib.util.find_spec("ruff") is None, reason="ruff is not installed (pip install '.[test]')")
def test_ruff_finds_nothing():
    out = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "macgates", "tests", "benchmarks"],
                         capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
