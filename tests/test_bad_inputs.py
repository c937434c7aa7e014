"""The bad-input corpus: every file in tests/data/bad/ goes through the CLI and must give
exactly its expected one-line error, exit 2, no traceback, and write nothing.

Each case is ``NAME.err`` (the expected stderr line) with ``NAME.yaml`` (the input; a
liberty file is ``NAME.lib``, a tensor ``NAME.npy``, ``.npz`` or ``.csv``) and
optionally ``NAME.args`` (the command, default ``table {path}``; ``{out}`` is a fresh
folder that must stay empty). Each case runs in a process of its own under a 10-second
time limit and, on Linux, a 500 MB address-space limit: bad input is refused in bounded
time and memory. The processes are forks of one server that imported macgates once (per
xdist worker): a case costs a fork, not an interpreter's start and its imports.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # every corpus case through the CLI in a process of its own

BAD = Path(__file__).parent / "data" / "bad"
TIME_LIMIT = 10  # seconds
MEMORY_LIMIT = 500 * 2**20  # bytes of address space


# Reads one case a line ({"args": [...], "cwd": ...}) and answers one a line: `macgates ARGS`
# run as `python -m macgates` runs it (an uncaught exception: its traceback, exit 1) in a
# fork with the memory limit, killed at the time limit (returncode null).
SERVER = r"""
import json, os, resource, signal, sys, tempfile, time, traceback
import macgates.cli, macgates.design.schema, macgates.report.tables, macgates.hw.liberty
limit, time_limit = int(sys.argv[1]), float(sys.argv[2])
for line in sys.stdin:
    case = json.loads(line)
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    pid = os.fork()
    if pid == 0:
        try:
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            os.chdir(case["cwd"])
            if sys.platform.startswith("linux"):
                resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            code = macgates.cli.main(case["args"])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    deadline, status = time.monotonic() + time_limit, None
    while status is None:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = os.waitstatus_to_exitcode(st)
        elif time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            break
        else:
            time.sleep(0.002)
    texts = []
    for f in (out, err):
        f.seek(0)
        texts.append(f.read().decode(errors="replace"))
        f.close()
    print(json.dumps({"returncode": status, "stdout": texts[0], "stderr": texts[1]}), flush=True)
"""


@pytest.fixture(scope="session")
def forked():
    """``run(args, cwd)``: {returncode, stdout, stderr} of ``macgates ARGS`` in a fork of
    the server (returncode None: killed at the time limit). Session-scoped: one server per
    xdist worker, however the worker's tests are interleaved with other modules'."""
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(MEMORY_LIMIT), str(TIME_LIMIT)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def run(args, cwd):
        server.stdin.write(json.dumps({"args": args, "cwd": str(cwd)}) + "\n")
        server.stdin.flush()
        line = server.stdout.readline()
        assert line, "the case server stopped"
        return json.loads(line)

    yield run
    server.stdin.close()
    server.wait(timeout=60)
CASES = sorted(p.stem for p in BAD.glob("*.err"))
INPUTS = (".lib", ".npy", ".npz", ".csv")  # a case's input when not NAME.yaml: a liberty file, a tensor


def test_corpus_is_large_enough():
    assert len(CASES) >= 90


@pytest.mark.parametrize("name", CASES)
def test_bad_input(name, tmp_path, forked):
    args_file = BAD / f"{name}.args"
    args = args_file.read_text().split() if args_file.exists() else ["table", "{path}"]
    out = tmp_path / "out"
    out.mkdir()
    given = next((f"{name}{ext}" for ext in INPUTS if (BAD / f"{name}{ext}").exists()), f"{name}.yaml")
    args = [a.replace("{path}", given).replace("{out}", str(out)) for a in args]
    run = forked(args, BAD)
    expected = (BAD / f"{name}.err").read_text().replace("{out}", str(out))
    assert run["returncode"] is not None, f"not refused within {TIME_LIMIT} s"
    assert run["returncode"] == 2, run["stderr"]
    assert run["stdout"] == ""
    assert "Traceback" not in run["stderr"]
    assert len(run["stderr"].splitlines()) == 1
    assert run["stderr"] == expected
    assert list(out.iterdir()) == []  # nothing written
