"""The bad-input corpus: every file in tests/data/bad/ goes through the CLI and must give
exactly its expected one-line error, exit 2, no traceback, and write nothing.

Each case is ``NAME.err`` (the expected stderr line) with ``NAME.yaml`` (the input; a
liberty file is ``NAME.lib``) and
optionally ``NAME.args`` (the command, default ``table {path}``; ``{out}`` is a fresh
folder that must stay empty). Each case runs under a 10-second time limit and, on Linux,
a 500 MB address-space limit: bad input is refused in bounded time and memory.
"""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # every corpus case through the CLI in a subprocess

BAD = Path(__file__).parent / "data" / "bad"
TIME_LIMIT = 10  # seconds
MEMORY_LIMIT = 500 * 2**20  # bytes of address space


def _limit_memory():
    if sys.platform.startswith("linux"):
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
CASES = sorted(p.stem for p in BAD.glob("*.err"))


def test_corpus_is_large_enough():
    assert len(CASES) >= 90


@pytest.mark.parametrize("name", CASES)
def test_bad_input(name, tmp_path):
    args_file = BAD / f"{name}.args"
    args = args_file.read_text().split() if args_file.exists() else ["table", "{path}"]
    out = tmp_path / "out"
    out.mkdir()
    given = f"{name}.lib" if (BAD / f"{name}.lib").exists() else f"{name}.yaml"
    args = [a.replace("{path}", given).replace("{out}", str(out)) for a in args]
    run = subprocess.run([sys.executable, "-m", "macgates", *args], capture_output=True, text=True,
                         cwd=BAD, timeout=TIME_LIMIT, preexec_fn=_limit_memory)
    expected = (BAD / f"{name}.err").read_text().replace("{out}", str(out))
    assert run.returncode == 2, run.stderr
    assert run.stdout == ""
    assert "Traceback" not in run.stderr
    assert len(run.stderr.splitlines()) == 1
    assert run.stderr == expected
    assert list(out.iterdir()) == []  # nothing written
