"""Progress of long runs on stderr: a tqdm bar while a terminal watches, nothing otherwise.

Runs that can pass a few seconds (synthesis, verification, calibration, reports, sweeps)
go through :func:`steps`. It shows a bar only when progress is on (the command line turns
it on; an API user may call :func:`enable`), stderr is a terminal and tqdm is installed:
never in files, pipes or tests. :func:`note` says a one-off thing (Yosys being prepared
for its first run) when progress is on, terminal or not.
"""

from __future__ import annotations

import contextlib
import sys
import threading

_state = {"on": False}


def enable(on: bool = True) -> None:
    """Show progress on stderr (when it is a terminal) from now on; ``False`` stops it."""
    _state["on"] = bool(on)


def _bars(force: bool = False) -> bool:
    if not (_state["on"] or force):
        return False
    try:
        if not sys.stderr.isatty():
            return False
        import tqdm  # noqa: F401
    except (ImportError, AttributeError, ValueError):  # no tqdm, or stderr closed or replaced
        return False
    return True


def _shape() -> dict:
    """The terminal's size for tqdm (80 x 24 where it says 0 x 0, as a fresh
    pseudo-terminal does: tqdm would then draw nothing)."""
    import shutil

    size = shutil.get_terminal_size()
    return {"ncols": size.columns or 80, "nrows": size.lines or 24}


def _bar(desc: str, total: int | None, unit: str, iterable=None, **options):
    """A tqdm bar on stderr as every bar here is made (call only when :func:`_bars`)."""
    from tqdm import tqdm

    return tqdm(iterable, desc=f"macgates {desc}", total=total, unit=f" {unit}", leave=False, file=sys.stderr,
                mininterval=0.5, **_shape(), **options)


def steps(iterable, desc: str, total: int | None = None, unit: str = "config"):
    """``iterable``, with a bar counting its items when one is shown (see the module)."""
    if not _bars():
        return iterable
    if total is None:
        try:
            total = len(iterable)
        except TypeError:
            total = None
    return _bar(desc, total, unit, iterable)


class _Counter:
    """A bar advanced by hand, for loops that are not one iterable: :meth:`update` adds
    to it, :meth:`to` (a ``progress(done, total)`` callback) sets it."""

    def __init__(self, bar):
        self.bar = bar

    def update(self, n: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def to(self, done: int, total: int | None = None) -> None:
        if self.bar is not None:
            if total is not None and total != self.bar.total:
                self.bar.total = total
            self.bar.update(done - self.bar.n)


@contextlib.contextmanager
def counter(desc: str, total: int | None = None, unit: str = "config", force: bool = False):
    """A bar to advance by hand (nothing shown unless :func:`steps` would; ``force``:
    also when progress is off, for an API call that asked for it)."""
    if not _bars(force):
        yield _Counter(None)
        return
    bar = _bar(desc, total, unit)
    try:
        yield _Counter(bar)
    finally:
        bar.close()


@contextlib.contextmanager
def waiting(desc: str):
    """A bar counting seconds while one long call runs (a Yosys run has no steps to count)."""
    if not _bars():
        yield
        return
    bar = _bar(desc, None, "s", bar_format="{desc}: {elapsed}")
    done = threading.Event()

    def tick():
        while not done.wait(1.0):
            bar.update(0)
            bar.refresh()
    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        bar.close()


def note(text: str) -> None:
    """One line on stderr when progress is on (terminal or not)."""
    if _state["on"]:
        print(f"macgates: {text}", file=sys.stderr, flush=True)
