"""Reports: a markdown page per design, the index of them, and a sweep's Pareto report.

:func:`report` writes a design's charts (PNG and SVG, drawn by macgates.report.charts) and its
``report.md``: the tables, :func:`findings` computed from them, and where the numbers come
from; with ``macgates synth`` results (:func:`read_synthesis`), a model-against-synthesis
section. :func:`index_text` links the reports; :func:`sweep_report` makes a report of a
``macgates sweep`` CSV. Output is deterministic: the same input gives byte-identical SVG
and markdown (no dates).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from ..files.outputs import write_files
from ..files.resources import designs_dir
from ..support.counts import decimals_for, fixed, plural
from ..support.errors import MacgatesError, shown
from .accuracy import cost_accuracy_section, sweep_accuracy_section
from .sweeps import ACCURACY_COLUMNS
from .charts import (
    PARETO_FORMATS,
    PNG_DPI,
    breakdown_chart,
    breakdown_columns,
    breakdown_frame,
    breakdown_rows,
    figure_files,
    format_group,
    formats_per_group,
    group_fronts,
    pareto_chart,
    pareto_points,
    pareto_worth_drawing,
    relative_chart,
    synthesis_chart,
)
from .render import fixed3, render
from .tables import as_design, columns_of, table_records

# -- the markdown report ------------------------------------------------------------------
WHITEPAPER = {"fp16": "1.53", "fp32": "2.83"}  # Figure 3 headline ratios, for comparison


def _pareto_missing(points: list[dict]) -> str:
    """Why :func:`pareto_worth_drawing` is False, in a sentence."""
    most = formats_per_group(points)
    return (f"No Pareto chart: no accumulator and K here has configs of {PARETO_FORMATS} or more input formats "
            f"(at most {most}), and fronts are made within one accumulator and K; a front of "
            f"{'two points' if most == 2 else 'one point' if most == 1 else 'no points'} says no more than the table.")


def slug(design) -> str:
    if design.path is not None:
        return design.path.stem
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", design.name).strip("_") or "design"


def findings(rows: list[dict], baseline: str, changed=(), precision: int | None = None,
             unit: str = "gates") -> list[str]:
    """Sentences computed from the table rows. ``changed``: the primitives whose costs
    differ from the bundled (whitepaper App. B) library; with any, the whitepaper's own
    ratios are not set beside these. ``unit``: the library's cost unit (gates, um^2)."""
    out = []
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(format_group(r), []).append(r)
    for g, members in groups.items():
        if len(members) < 2:
            continue
        per_mac = any(r.get("k", 1) > 1 for r in members)
        cost = "gates_per_mac" if per_mac else "gates"
        best = min(members, key=lambda r: r[cost])
        others = ", ".join(f"{r['name']} {fixed(Fraction(r[cost]) / Fraction(best[cost]), 2)}x"
                           for r in members if r is not best)
        out.append(f"For {g}, {best['name']} is the cheapest ({fixed(best[cost], decimals_for([best[cost]], precision=precision))} "
                   f"{unit}{' per MAC' if per_mac else ''}); relative to it: {others}.")
    rest = [r for r in rows if r["name"] != baseline]
    if rest:
        lo = min(rest, key=lambda r: r["relative"])
        hi = max(rest, key=lambda r: r["relative"])
        out.append(f"Relative to {baseline}, the other configs range from {fixed3(lo['relative'])}x "
                   f"({lo['name']}) to {fixed3(hi['relative'])}x ({hi['name']}).")
    base = next(r for r in rows if r["name"] == baseline)
    if (base["weights"], base["accumulator"]) == ("int8", "kulisch"):
        e4 = {r["accumulator"]: r for r in rows
              if (r["weights"], r["activations"]) == ("fp8_e4m3", "fp8_e4m3") and r["accumulator"] in WHITEPAPER}
        if e4 and not changed:
            parts = [f"with an {acc.upper()} accumulator {fixed3(r['relative'])}x (whitepaper {WHITEPAPER[acc]}x)"
                     for acc, r in sorted(e4.items())]
            out.append(f"FP8-E4M3 costs, relative to {baseline}: {'; '.join(parts)}.")
        elif e4:
            parts = [f"with an {acc.upper()} accumulator {fixed3(r['relative'])}x" for acc, r in sorted(e4.items())]
            which = _names(changed) if len(changed) <= 8 else (f"{len(changed)} primitives: see Source of "
                                                               "the numbers")
            out.append(f"FP8-E4M3 costs, relative to {baseline}: {'; '.join(parts)}. These use costs that "
                       f"differ from the whitepaper's App. B table ({which}), so the whitepaper's "
                       f"{WHITEPAPER['fp16']}x and {WHITEPAPER['fp32']}x (made with its own costs) are not "
                       "compared here.")
    return out


def _names(changed, limit: int = 8) -> str:
    changed = list(changed)
    shown = ", ".join(changed[:limit])
    return shown + (f" and {len(changed) - limit} more" if len(changed) > limit else "")


OVERRIDE_FROM = {"--cost": "`--cost`", "library_overrides": "the design's `library_overrides`"}
MAX_LISTED = 12  # a library's own differences from App. B listed one by one; more: counted


def _overrides(lib) -> dict:
    """Primitive -> where its override came from (``--cost``, ``library_overrides``), for the
    primitives :meth:`Library.with_overrides` replaced (``Library.overrides``); the last
    override of a primitive is the one that counts."""
    return {name: origin for name, _, origin in lib.overrides}


def _library_lines(lib) -> list[str]:
    """report.md's lines on the primitive library: which library (a bundled one by name and
    file; another by name and origin, with its differences from App. B one by one, or
    counted when there are more than MAX_LISTED), then each override applied on top of
    it, on its own line, in full."""
    from ..library.primitives import BUNDLED

    digest = hashlib.sha256(repr(sorted((p.name, p.params, p.cost_text)
                                        for p in lib.primitives.values())).encode()).hexdigest()[:12]
    overrides = _overrides(lib)
    origin = lib.file  # the file the library came from, before any override
    base = lib.bundled  # loaded as a bundled library (by name), or None
    own = [n for n in lib.differences() if n not in overrides]  # the base library's own differences
    version = f"schema version {lib.version}, formulas{' with the overrides' if overrides else ''} sha256 {digest}"
    if base == "default":
        lines = [f"- Primitive library: `{lib.name}`, the bundled library"
                 + (" (whitepaper App. B costs)" if overrides else ", unchanged (whitepaper App. B costs)")
                 + f"; {version}."]
    elif base is not None:
        lines = [f"- Primitive library: `{lib.name}`, the bundled {base} library (`--library {base}`, file "
                 f"{BUNDLED[base]}); {version}.",
                 f"  - {lib.description} (see docs/synthesis.md); {len(own)} of its {len(lib.primitives)} "
                 f"primitives' formulas differ from the whitepaper's App. B (listed in {BUNDLED[base]})."]
    else:
        lines = [f"- Primitive library: `{lib.name or 'unnamed'}` from `{origin}`"
                 + (f" ({lib.description})" if lib.description else "") + f"; {version}."]
        if len(own) > MAX_LISTED:
            lines[0] = lines[0][:-1] + (f"; {len(own)} of its {len(lib.primitives)} primitives differ from the "
                                        f"whitepaper's App. B (listed in `{origin}`).")
        elif own:
            lines[0] = lines[0][:-1] + "; it differs from the whitepaper's App. B in:"
            for name in own:
                prim = lib.primitives.get(name)
                lines.append(f"  - `{name}`: " + ("removed" if prim is None else f"`{prim.cost_text}`"
                                                   + (f" ({prim.source})" if prim.source else "")))
        else:
            lines[0] = lines[0][:-1] + "; its costs are the whitepaper's App. B costs."
    if overrides:
        lines.append("- Overrides applied on top of it:")
        for name, where in overrides.items():
            lines.append(f"  - `{name}` = `{lib.primitives[name].cost_text}` (from {OVERRIDE_FROM.get(where, where)})")
    return lines


def _source_lines(design) -> list[str]:
    import matplotlib

    from .. import __version__

    if design.path is None:
        where = "a list of configs"
    elif design.path.resolve().parent == designs_dir().resolve():
        where = f"designs/{design.path.name}"  # bundled: the same text wherever installed
    else:
        where = str(design.path)
    return [
        f"- Design: `{where}`" + (f" ({design.description})" if design.description else ""),
        f"- Numbers: macgates {__version__}; each config is a datapath of library components "
        + ("(see docs/datapaths.md); gates are NAND2 equivalents, C = sum(fan-in - 1) (whitepaper App. B)."
           if design.library.units["cost"] == "gates" else
           f"(see docs/datapaths.md); costs are in {design.library.units['cost']} and delays in "
           f"{design.library.units['delay']}, the library's units (the column `gates` holds them), not "
           "NAND2 equivalents."),
        *_library_lines(design.library),
        f"- Charts: matplotlib {matplotlib.__version__}, PNG at {PNG_DPI} dpi and SVG.",
    ]


def report(design=None, out_dir="reports", library=None, synthesis=None, curves=None) -> list[Path]:
    """Write a design's report under ``out_dir``/<design>/; returns the written paths
    (``synthesis``, ``curves``: as :func:`report_files` takes them)."""
    return write_files(out_dir, report_files(design, library, synthesis, curves=curves))


PER_MAC_NOTE = " per MAC (each unit's gates / K)"


def report_files(design=None, library=None, synthesis=None, notes: list | None = None, curves=None) -> dict:
    """A design's report as ``{"<design>/relative.png": bytes, ..., "<design>/report.md":
    text}``, made in memory: nothing is written. ``synthesis``: config name -> its row
    of a ``macgates synth`` CSV (:func:`read_synthesis`); with current rows for this
    design's baseline and another config, the report adds a model-against-synthesis
    chart. ``notes``: a list to which a :class:`SynthesisNote` is appended for each reason
    some of ``synthesis``'s rows for this design's configs are not in that chart (the
    report says them too). ``curves``: config name -> its points of a ``macgates synth
    --liberty ... --clock`` CSV (:func:`read_clock_curves`): the report adds the area
    against the clock period of this design's configs among them."""
    design = as_design(design, library)
    rows = table_records(design)
    baseline = next(r["name"] for r in rows if r["relative"] == 1)
    import pandas as pd

    frame = pd.DataFrame(rows, columns=list(columns_of(rows)))
    frame["relative"] = [float(r["relative"]) for r in rows]
    frame.attrs["formats"] = dict(design.formats)
    frame.attrs["cost_unit"] = design.library.units["cost"]
    part_rows, used = breakdown_rows(design)
    precision = design.library.precision
    parts = breakdown_frame(part_rows, used, precision, design.library.units["cost"])
    per_mac = "k" in parts.columns  # the charts show gates per MAC; the tables whole units
    folder = slug(design)
    files = figure_files(relative_chart(frame, design.name, baseline), f"{folder}/relative")
    files.update(figure_files(breakdown_chart(parts, f"{design.name}: {'gates' if design.library.units['cost'] == 'gates' else 'area'} {'per MAC ' if per_mac else ''}"
                                                     "by category"), f"{folder}/breakdown"))
    points = pareto_points(frame)
    if pareto_worth_drawing(points):
        files.update(figure_files(pareto_chart(frame, f"{design.name}: cost against range and precision"),
                                  f"{folder}/pareto"))
        pareto = ["![Pareto](pareto.svg)", "",
                  "*Figure: gates per MAC of each config against the dynamic range per element (left) and "
                  "the precision (right) of its narrower input; colour: accumulator"
                  + (", marker: K" if len({p["k"] for p in points}) > 1 else "") + ". A line joins the Pareto "
                  "front of each accumulator" + (" and K" if len({p["k"] for p in points}) > 1 else "")
                  + ": the configs no other of them beats (as cheap or cheaper and as good or better, strictly in "
                  "one)." + (" A block-scaled format sits at its element's range; what its scale adds is in the "
                             "legend." if any(p["scale"] for p in points) else "") + "*"]
    else:
        pareto = [_pareto_missing(points) if points else
                  "No Pareto chart: no config here has input formats to place (custom datapaths only)."]
    unit = design.library.units["cost"]
    what = "gates" if unit == "gates" else f"area ({unit})"  # what the charts show
    accumulator_text = "colour: accumulator" + (", hatching: K" if len({r["k"] for r in rows}) > 1 else "")
    md = [f"# {design.name}", ""]
    if design.description:
        md += [design.description, ""]
    md += ["Generated by `macgates report`; do not edit by hand.", "",
           "## Relative area", "", "![relative area](relative.svg)", "",
           f"*Figure: {what}{PER_MAC_NOTE if per_mac else ''} of each config relative to "
           f"{baseline}, grouped by input format; {accumulator_text}. The table below has the numbers.*", "",
           render(rows, columns_of(rows), "markdown", precision=precision),
           "## Findings", "", *[f"- {line}" for line in findings(rows, baseline, design.library.differences(), precision,
                                                               design.library.units["cost"])], "",
           "## Gates by category", "", "![gates by category](breakdown.svg)", "",
           f"*Figure: {what} of each config by category. " + ("The chart shows gates per MAC (each unit's gates "
                                                             "by category / k); the table below shows whole units."
                                                             if per_mac else "The table below has the numbers.")
           + "*", "",
           render(part_rows, breakdown_columns(part_rows, used), "markdown", precision=precision),
           "## Cost against range and precision", "", *pareto, "",
           *cost_accuracy_section(design, files, folder, rows),
           *_synthesis_section(design, rows, baseline, synthesis or {}, files, folder,
                               notes if notes is not None else []),
           *_clock_section(design, curves or {}, files, folder),
           "## Source of the numbers", "", *_source_lines(design), ""]
    files[f"{folder}/report.md"] = "\n".join(md)
    return files


# -- area against the clock ---------------------------------------------------------------
CLOCK_CSV_COLUMNS = ("name", "clock_ns", "area", "critical_ns", "met")


def _synth_csv_lines(path, required: tuple, what: str) -> list[dict]:
    """The rows of a ``macgates synth --format csv`` file (bounded, UTF-8), refusing one
    without the ``required`` columns (``what`` names the kind of file in the message)."""
    import csv
    import io

    from ..files.yamlfile import read_bytes
    from ..support.errors import DesignError

    raw = read_bytes(path, DesignError, MAX_SYNTH_CSV_BYTES, "a 'macgates synth' CSV")
    try:
        lines = list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DesignError(f"{path}: not a CSV file ({' '.join(str(exc).split())[:80]})") from None
    header = list(lines[0]) if lines else []
    missing = [c for c in required if c not in header]
    if missing:
        raise DesignError(f"{path}: missing column '{missing[0]}' ({what} has {', '.join(required)}, ...)")
    return lines


def is_clock_csv(path) -> bool:
    """Is ``path`` a ``macgates synth --liberty ... --clock`` CSV (it has a clock_ns column)?"""
    from ..files.yamlfile import read_bytes
    from ..support.errors import DesignError

    head = read_bytes(path, DesignError, MAX_SYNTH_CSV_BYTES, "a 'macgates synth' CSV")[:4096]
    return b"clock_ns" in head.split(b"\n", 1)[0]


def read_clock_curves(path) -> dict:
    """A ``macgates synth --liberty ... --clock ... --format csv`` file: config name -> its
    points, each {clock_ns, area, critical_ns (floats > 0), met (bool)}, in clock order."""
    import math

    from ..support.errors import DesignError

    lines = _synth_csv_lines(path, CLOCK_CSV_COLUMNS, "a 'macgates synth --liberty ... --clock' CSV")
    out: dict = {}
    for i, line in enumerate(lines):
        point = {}
        for column in ("clock_ns", "area", "critical_ns"):
            try:
                value = float(line[column] or "x")
            except ValueError:
                value = float("nan")
            if not (math.isfinite(value) and value > 0):
                raise DesignError(f"{path}:{i + 2}: column {column}: {shown(line[column] or '')} is not a number > 0")
            point[column] = value
        if line["met"] not in ("yes", "no"):
            raise DesignError(f"{path}:{i + 2}: column met: {shown(line['met'] or '')}: expected yes or no")
        point["met"] = line["met"] == "yes"
        out.setdefault(line["name"], []).append(point)
    return {name: sorted(points, key=lambda p: p["clock_ns"]) for name, points in out.items()}


def _clock_section(design, curves: dict, files: dict, folder: str) -> list:
    """The area-against-clock chart and table of this design's configs in ``curves``."""
    mine = {c.name: curves[c.name] for c in design.configs if c.name in curves}
    if not mine:
        return []
    from .charts import clock_chart

    groups = {c.name: (str(c.accumulator), c.weights if not c.activations or c.activations == c.weights
                       else f"{c.weights}x{c.activations}") for c in design.configs if c.name in mine}
    files.update(figure_files(clock_chart(mine, f"{design.name}: area against the clock period", groups),
                              f"{folder}/clock"))
    clocks = sorted({p["clock_ns"] for points in mine.values() for p in points})
    head = "| config | " + " | ".join(f"{c:g} ns" for c in clocks) + " |"
    table = [head, "|---|" + "---|" * len(clocks)]
    for name, points in mine.items():
        at = {p["clock_ns"]: p for p in points}
        table.append(f"| {name} | " + " | ".join(
            (f"{at[c]['area']:.0f}, {at[c]['critical_ns']:.3f} ns" + ("" if at[c]["met"] else " (not met)"))
            if c in at else "" for c in clocks) + " |")
    return ["## Area against the clock", "", "![area against the clock](clock.svg)", "",
            "*Figure: the area of each config mapped for each clock period (a delay target for ABC), against "
            "the period its netlist reaches (the timing engine's critical path); colour: accumulator, marker: "
            "input format; filled: the clock is met, hollow: not. The table has the numbers: area, period.*",
            "", *table, ""]


# -- model against synthesis ------------------------------------------------------------
SYNTH_COLUMNS = ("name", "model_gates", "synth_gates")
SHORT = {"model": "model", "calibrated": "calibrated", "synthesis": "synth"}  # series -> column prefix
MAX_SYNTH_CSV_BYTES = 16 * 1024 * 1024


def read_synthesis(path) -> dict:
    """A ``macgates synth --format csv`` file: config name -> {model_gates, synth_gates}
    (exact numbers) and ``source`` (``path``, for saying where a result came from)."""
    from ..support.errors import DesignError

    lines = _synth_csv_lines(path, SYNTH_COLUMNS, "a 'macgates synth' CSV")
    out = {}
    for i, line in enumerate(lines):
        values = {}
        for column in SYNTH_COLUMNS[1:]:
            try:
                values[column] = Fraction(line[column] or "x")
            except (ValueError, ZeroDivisionError):
                raise DesignError(f"{path}:{i + 2}: column {column}: {shown(line[column] or '')} is not a "
                                  "number") from None
            if values[column] <= 0:
                raise DesignError(f"{path}:{i + 2}: column {column}: {line[column]} is not a number > 0")
        out[line["name"]] = {**values, "source": str(path)}
    return out


@dataclass(frozen=True)
class SynthesisNote:
    """Why synthesis results for a design's configs are not (all) in its report's
    model-against-synthesis chart: ``names``, rows of ``sources`` (the CSVs they came
    from), are left out, or the chart is not drawn, for ``reason``."""

    design: str
    sources: tuple
    names: tuple
    reason: str

    def text(self, sources: str) -> str:
        """``sources: N rows (names): reason``."""
        rows = f": {plural(len(self.names), 'row')} ({_names(self.names)})" if self.names else ""
        return f"{sources}{rows}: {self.reason}"

    def __str__(self) -> str:
        return f"{self.design + ': ' if self.design else ''}" + self.text(", ".join(self.sources))


def unmatched_synthesis(synthesis: dict, designs) -> list[SynthesisNote]:
    """A note per CSV of ``synthesis`` (:func:`read_synthesis` rows) with rows that name
    no config of ``designs``: they are used by none of their reports."""
    configs = {c.name for d in designs for c in d.configs}
    out = []
    for source in dict.fromkeys(str(row.get("source", "the synthesis results")) for row in synthesis.values()):
        strays = tuple(n for n, row in synthesis.items() if str(row.get("source")) == source and n not in configs)
        if strays:
            out.append(SynthesisNote("", (source,), strays, "not used: no config of that name in "
                                     + _names([d.name for d in designs])))
    return out


def _synthesis_use(design, rows, baseline, synthesis: dict) -> tuple[list[dict], list[SynthesisNote]]:
    """The config rows whose synthesis results the chart shows ([] when it is not drawn)
    and a note for each reason some of ``synthesis``'s rows for this design's configs are
    not shown. A result is a config's when its model_gates are today's model gates (else
    it was made with another library or costs, or is another config of that name); the
    chart needs the baseline's and one more."""
    matched = [r for r in rows if r["name"] in synthesis]
    if not matched:
        return [], []

    def source(r):
        return str(synthesis[r["name"]].get("source", "the synthesis results"))
    current = [r for r in matched if synthesis[r["name"]]["model_gates"] == r["gates"]]
    stale = [r for r in matched if r not in current]
    notes = []
    for src in dict.fromkeys(source(r) for r in stale):
        theirs = [r for r in stale if source(r) == src]
        first = theirs[0]
        notes.append(SynthesisNote(
            design.name, (src,), tuple(r["name"] for r in theirs),
            f"left out: model_gates in the CSV are not today's model gates ({first['name']}: "
            f"{fixed(synthesis[first['name']]['model_gates'], decimals_for([synthesis[first['name']]['model_gates']]))}"
            f" there, {fixed(first['gates'], decimals_for([first['gates']], precision=design.library.precision))} now):"
            " synthesized with another library "
            "or other costs (--library, --cost, library_overrides), or another config of that name; run "
            "'macgates synth' again with this report's library and costs"))
    names = {r["name"] for r in current}
    if baseline in names and len(current) >= 2:
        return current, notes
    if baseline not in names:
        cause = (f"the baseline {baseline}'s result is left out (above)" if baseline in {r["name"] for r in stale}
                 else f"there is no result for the baseline {baseline}") + ", and the chart is relative to it"
    else:
        cause = f"only the baseline {baseline} has a current result; the chart needs one more config"
    notes.append(SynthesisNote(design.name, tuple(dict.fromkeys(source(r) for r in matched)),
                               tuple(r["name"] for r in current),
                               f"not used: no model-against-synthesis chart: {cause}"))
    return [], notes


def _synthesis_section(design, rows, baseline, synthesis: dict, files: dict, folder: str,
                       notes: list) -> list[str]:
    """The report's model-against-synthesis chart and table, when ``synthesis`` has
    current results for this design's baseline and some other config (:func:`_synthesis_use`);
    why some or all of its results for this design's configs are not shown, appended to
    ``notes`` and said in the section; nothing when it has none for them."""
    mine, found = _synthesis_use(design, rows, baseline, synthesis)
    notes.extend(found)
    said = [f"- {_md_note(n)}" for n in found]
    if not mine:
        return ["## Model against synthesis", "", "No chart: the synthesis results given for this design's "
                "configs cannot be set beside today's model:", "", *said, ""] if found else []
    from ..library.primitives import load_library

    calibrated = None
    if not design.library.differences():  # the bundled App. B library: set the calibrated one beside it
        calibrated = {r["name"]: r for r in table_records(design, library=load_library("calibrated"))}
    base = next(r for r in rows if r["name"] == baseline)
    base_synth = synthesis[baseline]["synth_gates"] / base["k"]
    per_mac = any(r["k"] > 1 for r in rows)
    table, chart = [], []
    for r in mine:
        synth = synthesis[r["name"]]["synth_gates"]
        row = {"name": r["name"], "model": r["relative"]}
        gates = {"model_gates": Fraction(r["gates"]) / r["k"]}
        if calibrated:
            row["calibrated"] = calibrated[r["name"]]["relative"]
            gates["calibrated_gates"] = Fraction(calibrated[r["name"]]["gates"]) / r["k"]
        row["synthesis"] = Fraction(synth / r["k"]) / base_synth
        gates["synthesis_gates"] = synth / r["k"]
        chart.append({**row, **gates})
        entry = {"name": r["name"], "model_gates": r["gates"]}
        if calibrated:
            entry["calibrated_gates"] = round(Fraction(calibrated[r["name"]]["gates"]), 1)
        entry["synth_gates"] = synth
        entry.update({f"{SHORT[k]}_relative": v for k, v in row.items() if k != "name"})
        for key in ("model", "calibrated") if calibrated else ("model",):
            error = (gates[f"{key}_gates"] - gates["synthesis_gates"]) / gates["synthesis_gates"] * 100
            entry[f"{key}_error"] = f"{'+' if error >= 0 else '-'}{fixed(abs(error), 1)}%"
        table.append(entry)
    files.update(figure_files(synthesis_chart(chart, f"{design.name}: model against synthesis", baseline, per_mac),
                              f"{folder}/synthesis"))
    sources = ", ".join(dict.fromkeys(_md_source(synthesis[r["name"]]) for r in mine))
    return ["## Model against synthesis", "",
            "![model against synthesis](synthesis.svg)", "",
            f"*Figure: synthesized gates from `macgates synth` ({sources}; Yosys, the library's cells table; see "
            "docs/synthesis.md) beside the App. B model" + (" and the bundled calibrated library" if calibrated else "")
            + f": left, gates{' per MAC' if per_mac else ''} of each config, the models' bars labelled with their "
            f"error against synthesis ((model - synthesis) / synthesis); right, the same relative to {baseline}, "
            "per MAC.*", "",
            render(table, list(table[0]), "markdown", precision=design.library.precision), *([*said, ""] if said else [])]


def _md_source(row) -> str:
    return f"`{Path(str(row.get('source', 'the synthesis results'))).name}`"


def _md_note(note: SynthesisNote) -> str:
    """A note for report.md: the CSVs by file name (the report is the same wherever it is made)."""
    return note.text(", ".join(f"`{Path(s).name}`" for s in note.sources)) + "."


def index_text(designs) -> str:
    """index.md linking each design's report."""
    lines = ["# macgates reports", "", "Generated by `macgates report`; do not edit by hand.", "",
             "| design | configs | description |", "|---|---:|---|"]
    for d in designs:
        lines.append(f"| [{d.name}]({slug(d)}/report.md) | {len(d.configs)} | {d.description} |")
    return "\n".join(lines) + "\n"


MAX_SWEEP_CSV_BYTES = 256 * 1024 * 1024
SWEEP_COLUMNS = ("weights", "activations", "accumulator", "k", "gates", "gates_per_mac")


def sweep_report(csv_path, out_dir="reports", formats=None) -> list[Path]:
    """A Pareto report of a ``macgates sweep`` CSV: pareto.png/.svg and report.md listing
    the configurations on the Pareto fronts of each (accumulator, k) group, one table per
    front (gates per MAC against dynamic range per element, against precision). The chart
    is drawn when some accumulator and k has configurations of at least three input
    formats (:func:`pareto_worth_drawing`); the report says why when it is not.
    ``formats``: your own formats by name (a design's ``formats``), for a sweep that used
    them."""
    import io
    import math

    import pandas as pd

    from ..files.yamlfile import read_bytes
    from ..formats.spec import lookup
    from ..support.errors import DesignError

    path = Path(csv_path)
    raw = read_bytes(path, DesignError, MAX_SWEEP_CSV_BYTES, "a 'macgates sweep' CSV")
    try:
        frame = pd.read_csv(io.BytesIO(raw), dtype={"weights": str, "activations": str, "accumulator": str})
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DesignError(f"{path}: not a CSV file ({' '.join(str(exc).split())[:80]})") from None
    missing = [c for c in SWEEP_COLUMNS if c not in frame.columns]
    if missing:
        raise DesignError(f"{path}: missing column '{missing[0]}' (a 'macgates sweep' CSV has "
                          f"{', '.join(SWEEP_COLUMNS)})")
    _numbers(frame, path, "k", lambda v: (v < 1) | (v % 1 != 0), "a whole number >= 1")
    for column in ("gates", "gates_per_mac"):
        _numbers(frame, path, column, lambda v: (v < 0) | v.isin([math.inf]), "a finite number >= 0")
    for column in ("weights", "activations", "accumulator"):
        if frame[column].isna().any():
            raise DesignError(f"{path}:{int(frame[column].isna().idxmax()) + 2}: column {column} is empty")
    for column in ("weights", "activations"):
        for index, text in frame.drop_duplicates(subset=[column])[column].items():  # each name's first row
            try:
                lookup(text, formats)
            except MacgatesError as exc:
                raise DesignError(f"{path}:{index + 2}: column {column}: {exc}") from None
    from ..datapath.builders import parse_accumulator

    for index, text in frame.drop_duplicates(subset=["accumulator"])["accumulator"].items():
        try:
            parse_accumulator(text)
        except MacgatesError as exc:
            raise DesignError(f"{path}:{index + 2}: column accumulator: {exc}") from None
    accuracy = _sweep_accuracy_columns(frame, path)
    frame = frame.drop_duplicates(subset=["weights", "activations", "accumulator", "k"], ignore_index=True)
    frame.attrs["formats"] = dict(formats or {})
    if frame.empty:
        raise DesignError(f"{path}: no rows")
    points = pareto_points(frame)
    folder = path.stem
    files = {}
    md = [f"# Design-space sweep: {path.name}", "",
          "Generated by `macgates report --sweep`; do not edit by hand.", "",
          f"{len(frame)} configuration{'' if len(frame) == 1 else 's'} from `{path.name}`.", "",
          "## Cost against range and precision", ""]
    if pareto_worth_drawing(points):
        title = f"Design-space sweep {path.name}: cost against range and precision"
        files.update(figure_files(pareto_chart(frame, title), f"{folder}/pareto"))
        md += ["![Pareto](pareto.svg)", "",
               "*Figure: gates per MAC of each configuration against the dynamic range per element (left) "
               "and the precision (right) of its narrower input; colour: accumulator, marker: K. A line joins "
               "the Pareto front of each accumulator and k; each format is named once a panel, at its "
               "cheapest point on a front (a format's points share an x).*", ""]
    else:
        md += [_pareto_missing(points), ""]
    md += ["A Pareto front holds the configurations of one accumulator and one k that no other of "
           "the same accumulator and k beats: as cheap or cheaper per MAC and as good or better, "
           "strictly in one.", ""]
    scaled = any(p["scale"] for p in points)
    for quality, title in (("range", "dynamic range per element"), ("precision", "precision")):
        rows = []
        for (acc, k), front in group_fronts(points, quality).items():
            for i in front:
                p = points[i]
                row = {"config": p["label"], "accumulator": acc, "k": k,
                       "gates_per_mac": Fraction(str(p["row"]["gates"])) / k}
                if quality == "range":
                    row["element_range"] = round(Fraction(p["range"]), 2)
                    if scaled:
                        row["scale_range"] = round(Fraction(p["scale"][1]), 2) if p["scale"] else 0
                else:
                    row["precision"] = p["precision"]
                rows.append(row)
        md += [f"## Pareto fronts: gates per MAC against {title}, per accumulator and k", "",
               *(["element_range: log2(max / min positive) of one element of the narrower input (for a "
                  "block-scaled format, within a block); scale_range: what its shared block scale adds (0: none).", ""]
                 if quality == "range" and scaled else []),
               render(rows, list(rows[0]), "markdown")]
    if accuracy:
        md += sweep_accuracy_section(points, files, folder, f"Design-space sweep {path.name}: cost against accuracy")
    files[f"{folder}/report.md"] = "\n".join(md)
    return write_files(out_dir, files)


def _numbers(frame, path, column: str, bad, expected: str) -> None:
    """``frame[column]`` made numbers in place; a cell that is not one, or that ``bad``
    (a function of the numeric column, giving a mask) marks, is a DesignError naming its
    line: "'x' is not EXPECTED", or "is empty: expected EXPECTED"."""
    import pandas as pd

    from ..support.errors import DesignError

    values = pd.to_numeric(frame[column], errors="coerce")
    wrong = values.isna() | bad(values)
    if wrong.any():
        row = int(wrong.idxmax())
        cell = frame[column][row]
        what = "is empty: expected" if pd.isna(cell) else f"{shown(str(cell))} is not"
        raise DesignError(f"{path}:{row + 2}: column {column}: {what} {expected}")
    frame[column] = values


def _sweep_accuracy_columns(frame, path) -> bool:
    """Whether the sweep CSV has sweep --data's accuracy columns (all or none), each made
    numbers (``inf``: exact) in place; a cell that is not one is a DesignError naming its line."""
    import math

    from ..support.errors import DesignError

    present = [c for c in ACCURACY_COLUMNS if c in frame.columns]
    if not present:
        return False
    if len(present) != len(ACCURACY_COLUMNS):
        missing = next(c for c in ACCURACY_COLUMNS if c not in present)
        raise DesignError(f"{path}: has column '{present[0]}' but not '{missing}' ('macgates sweep --data' "
                          f"writes {', '.join(ACCURACY_COLUMNS)})")
    for column in ACCURACY_COLUMNS:
        _numbers(frame, path, column, lambda v: v.isin([-math.inf]), "a number of bits (a finite number, or inf)")
    lower = frame[["bits_weights", "bits_activations"]].min(axis=1)
    wrong = frame["bits"] != lower
    if wrong.any():  # (what sweep --data writes: the worse operand's)
        row = int(wrong.idxmax())
        raise DesignError(f"{path}:{row + 2}: column bits: {frame['bits'][row]:g} is not the lower of bits_weights "
                          f"and bits_activations ({lower[row]:g})")
    return True

