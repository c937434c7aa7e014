"""``macgates ARGS`` run in the test's own process: :func:`macgates.cli.main` with stdout
and stderr captured, as a subprocess would show them, without a fresh interpreter and
its imports (about a second each, matplotlib's included). What only a process shows
(an uncaught traceback, a terminal, a closed pipe, the umask, which modules a command
imports) is left to the tests that start one."""

import contextlib
import io
import os
from dataclasses import dataclass


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def run(*args, cwd=None) -> Ran:
    """``macgates ARGS`` (in ``cwd`` if given): its exit code, stdout and stderr."""
    from macgates.cli import main

    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([str(a) for a in args])
            except SystemExit as exc:  # argparse's --version and --help
                code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    finally:
        os.chdir(here)
    return Ran(code, out.getvalue(), err.getvalue())
