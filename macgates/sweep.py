"""Design-space sweeps: the cartesian product of formats, accumulators and k.

Every point is costed by the same builders as :func:`macgates.dot`, run on cost-only
sheets (:class:`~macgates.datapath.CostSheet`) stage by stage, each stage cached by its
inputs: the multipliers of a format pair are costed once per k, an accumulator stage
once per distinct block sum, and so on. Invalid combinations (a k larger than a block,
mismatched block scales, ...) are skipped and counted.
"""

from __future__ import annotations

import itertools
import sys
import time
from fractions import Fraction

from .builders import _best, parse_accumulator
from .errors import DatapathError, MacgatesError, whole, shown
from .formats import format as get_format
from .formats import is_known
from .library import Library, as_library, load_library
from .numbers import numeric

COLUMNS = ("weights", "activations", "accumulator", "k", "acc_bits", "gates", "gates_per_mac", "combine")


def _names(values, what: str) -> list:
    if isinstance(values, (str, int)):
        values = [values]
    values = list(values)
    if not values:
        raise DatapathError(f"sweep: {what} is empty")
    return values


def sweep_records(weights, activations=None, accumulators=("fp32",), k=(1,), library: Library | None = None,
                  multiplier="array", progress=None) -> tuple[list[dict], list[str]]:
    """The sweep as plain dicts, and the reasons of the skipped combinations."""
    ws = [get_format(w) for w in _names(weights, "weights")]
    pairs = [(w, w) for w in ws] if activations is None else \
        list(itertools.product(ws, [get_format(a) for a in _names(activations, "activations")]))
    accs = [parse_accumulator(a) for a in _names(accumulators, "accumulators")]
    ks = _names(k, "k")
    for value in ks:
        if not whole(value, 1, sys.maxsize):
            raise DatapathError(f"sweep: k={shown(value)} must be a whole number >= 1")
    library = as_library(library) or load_library()
    memo: dict = {}
    rows, skipped = [], []
    total = len(pairs) * len(accs) * len(ks)
    start = last = time.monotonic()
    done = 0
    for (w, a), acc, kk in itertools.product(pairs, accs, ks):
        done += 1
        try:
            gates, info = _best(w, a, kk, acc, library, multiplier, None, memo)
        except MacgatesError as exc:
            skipped.append(f"{w.name} x {a.name}, {acc}, k={kk}: {exc}")
            continue
        rows.append({"weights": w.name, "activations": a.name, "accumulator": str(acc), "k": kk,
                     "acc_bits": info["acc_bits"], "gates": gates,
                     "gates_per_mac": Fraction(gates, kk) if kk > 1 else gates,
                     "combine": info.get("combine", "")})
        if progress is not None and done % 512 == 0:
            now = time.monotonic()
            if now - start > 1.0 and now - last > 0.2:
                progress(done, total)
                last = now
    if progress is not None and time.monotonic() - start > 1.0:
        progress(total, total)
    return rows, skipped


def sweep(weights, activations=None, accumulators=("fp32",), k=(1,), library: Library | None = None,
          multiplier="array", progress: bool = False):
    """A pandas DataFrame with one row per valid combination (columns ``COLUMNS``;
    ``gates_per_mac`` a float). ``frame.attrs['skipped']`` lists what was skipped."""
    import pandas as pd

    rows, skipped = sweep_records(weights, activations, accumulators, k, library, multiplier,
                                  stderr_progress if progress else None)
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame["gates"] = numeric(r["gates"] for r in rows)
    frame["gates_per_mac"] = [float(r["gates_per_mac"]) for r in rows]
    frame.attrs["skipped"] = skipped
    given = _names(weights, "weights") + (_names(activations, "activations") if activations is not None else [])
    frame.attrs["formats"] = {f.name: f for f in map(get_format, given) if not is_known(f.name)}
    return frame


def stderr_progress(done: int, total: int) -> None:
    """A one-line progress bar on stderr (a line per update when stderr is not a terminal)."""
    width = 30
    filled = width * done // max(total, 1)
    bar = f"[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} configs"
    if sys.stderr.isatty():
        sys.stderr.write("\r" + bar + ("\n" if done == total else ""))
    else:
        sys.stderr.write(bar + "\n")
    sys.stderr.flush()
