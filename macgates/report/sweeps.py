"""Design-space sweeps: the cartesian product of formats, accumulators and k.

Every point is costed by the same builders as :func:`macgates.dot`, run on cost-only
sheets (:class:`~macgates.datapath.graph.CostSheet`) stage by stage, each stage cached by its
inputs: the multipliers of a format pair are costed once per k, an accumulator stage
once per distinct block sum, and so on. Invalid combinations (a k larger than a block,
mismatched block scales, ...) are skipped and counted.
"""

from __future__ import annotations

import itertools
import sys
import time
from fractions import Fraction

from ..datapath.builders import cheapest_unit, parse_accumulator
from ..datapath.timing import UNKNOWN, area_delay
from ..formats.spec import Format, is_known
from ..formats.spec import format as get_format
from ..library.primitives import Library, as_library, load_library
from ..support.counts import numeric
from ..support.errors import DatapathError, MacgatesError, shown, whole

COLUMNS = ("weights", "activations", "accumulator", "k", "acc_bits", "gates", "gates_per_mac", "combine",
           "delay", "loop_delay", "area_delay")
ACCURACY_COLUMNS = ("bits_weights", "bits_activations", "bits")  # what sweep --data adds (and report --sweep reads)


def _names(values, what: str) -> list:
    if isinstance(values, dict):
        raise DatapathError(f"sweep: {what}: expected a name or a list of names, got a mapping")
    if isinstance(values, (str, bytes, int, Format)) or not hasattr(values, "__iter__"):
        values = [values]
    values = list(values)
    if len(values) > MAX_CONFIGS:
        raise DatapathError(f"sweep: {what}: {len(values):,} items is more than {MAX_CONFIGS:,}")
    if not values:
        raise DatapathError(f"sweep: {what} is empty")
    return values


MAX_CONFIGS = 1_000_000  # largest grid a sweep takes by default (raise with max_configs)
MAX_REASONS = 1000  # skipped combinations whose reasons are kept (all are counted)


class Skipped:
    """The combinations a sweep skipped: how many, and the reasons of the first MAX_REASONS."""

    def __init__(self):
        self.count = 0
        self.reasons: list[str] = []

    def add(self, reason: str) -> None:
        self.count += 1
        if len(self.reasons) < MAX_REASONS:
            self.reasons.append(reason)


def sweep_rows(weights, activations=None, accumulators=("fp32",), k=(1,), library: Library | None = None,
               multiplier="array", progress=None, skipped: Skipped | None = None,
               max_configs: int = MAX_CONFIGS):
    """The sweep's rows as plain dicts, one at a time (memory stays flat however large the
    grid). The grid is counted before anything is built: more than ``max_configs``
    combinations is an error. Skipped combinations go to ``skipped``."""
    ws = [get_format(w) for w in _names(weights, "weights")]
    acts = None if activations is None else [get_format(a) for a in _names(activations, "activations")]
    accs = [parse_accumulator(a) for a in _names(accumulators, "accumulators")]
    ks = _names(k, "k")
    for value in ks:
        if not whole(value, 1, sys.maxsize):
            raise DatapathError(f"sweep: k={shown(value)} must be a whole number >= 1")
    total = len(ws) * (1 if acts is None else len(acts)) * len(accs) * len(ks)
    if total > max_configs:
        raise DatapathError(f"sweep: {total:,} combinations is more than the limit of {max_configs:,} "
                            "(raise it with --max-configs N, or max_configs=N)")
    library = as_library(library) or load_library()
    skipped = Skipped() if skipped is None else skipped
    return _rows(ws, acts, accs, ks, library, multiplier, progress, skipped, total)


def _rows(ws, acts, accs, ks, library, multiplier, progress, skipped, total):
    pairs = ((w, w) for w in ws) if acts is None else itertools.product(ws, acts)
    memo: dict = {}
    start = last = time.monotonic()
    done = 0
    for (w, a) in pairs:
        for acc, kk in itertools.product(accs, ks):
            done += 1
            try:
                gates, info = cheapest_unit(w, a, kk, acc, library, multiplier, None, memo)
            except MacgatesError as exc:
                skipped.add(f"{w.name} x {a.name}, {acc}, k={kk}: {exc}")
                continue
            per_mac = Fraction(gates, kk) if kk > 1 else gates
            delay, loop = info["delay"], info["loop_delay"]
            yield {"weights": w.name, "activations": a.name, "accumulator": str(acc), "k": kk,
                   "acc_bits": info["acc_bits"], "gates": gates, "gates_per_mac": per_mac,
                   "combine": info.get("combine", ""), "delay": UNKNOWN if delay is None else delay,
                   "loop_delay": UNKNOWN if delay is None else loop,
                   "area_delay": UNKNOWN if delay is None else area_delay(per_mac, delay), "adder": acc.adder}
            if progress is not None and done % 512 == 0:
                now = time.monotonic()
                if now - start > 1.0 and now - last > 0.2:
                    progress(done, total)
                    last = now
    if progress is not None and time.monotonic() - start > 1.0:
        progress(total, total)


def sweep_records(weights, activations=None, accumulators=("fp32",), k=(1,), library: Library | None = None,
                  multiplier="array", progress=None, max_configs: int = MAX_CONFIGS) -> tuple[list[dict], list[str]]:
    """The sweep as a list of plain dicts, and the reasons of the skipped combinations."""
    skipped = Skipped()
    rows = list(sweep_rows(weights, activations, accumulators, k, library, multiplier, progress, skipped,
                           max_configs))
    return rows, skipped.reasons


def config_name(row: dict) -> str:
    """A sweep row's config as the command line spells it: WEIGHTS[xACTIVATIONS]-ACCUMULATOR[-ADDER][-kN]
    (an accumulator object with its own adder style gives the -ADDER)."""
    from ..library.adders import with_adder

    pair = row["weights"] if row["weights"] == row["activations"] else f"{row['weights']}x{row['activations']}"
    return with_adder(f"{pair}-{row['accumulator']}", row.get("adder", "ripple")) + \
        (f"-k{row['k']}" if row["k"] > 1 else "")


def sweep(weights, activations=None, accumulators=("fp32",), k=(1,), library: Library | None = None,
          multiplier="array", progress: bool = False, max_configs: int = MAX_CONFIGS,
          baseline: str | None = None):
    """A pandas DataFrame with one row per valid combination: ``name`` (the config as
    the command line spells it), the columns ``COLUMNS`` and ``relative`` (gates per MAC
    over the ``baseline`` row's, default the first; ``frame.attrs['baseline']``), so the
    table's charts take it (``macgates.relative_chart(frame)``); ``gates_per_mac`` and
    ``relative`` are floats. ``frame.attrs['skipped']`` lists what was skipped (the first
    1,000 reasons). A grid of more than ``max_configs`` combinations is an error.
    ``progress``: a bar on stderr while it runs (when stderr is a terminal)."""
    import pandas as pd

    from ..support.errors import did_you_mean
    from ..support.progress import counter

    with counter("sweep", force=progress) as bar:
        rows, skipped = sweep_records(weights, activations, accumulators, k, library, multiplier,
                                      bar.to, max_configs)
    names = [config_name(r) for r in rows]
    base = baseline if baseline is not None else (names[0] if names else None)
    if base is not None and base not in names:
        raise DatapathError(f"sweep: baseline {shown(base)} is not a config of the sweep ({did_you_mean(names)})")
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame.insert(0, "name", names)
    frame["gates"] = numeric(r["gates"] for r in rows)
    frame["gates_per_mac"] = [float(r["gates_per_mac"]) for r in rows]
    if rows:
        per_mac = Fraction(rows[names.index(base)]["gates_per_mac"])
        frame["relative"] = [float(Fraction(r["gates_per_mac"]) / per_mac) if per_mac else float("nan")
                             for r in rows]
    else:
        frame["relative"] = []
    frame.attrs["baseline"] = base
    frame.attrs["skipped"] = skipped
    given = _names(weights, "weights") + (_names(activations, "activations") if activations is not None else [])
    frame.attrs["formats"] = {f.name: f for f in map(get_format, given) if not is_known(f.name)}
    return frame
