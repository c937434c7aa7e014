"""The calibrated model against synthesis and static timing: docs/timing.md's tables.

    python benchmarks/model_vs_synth.py [DESIGN[=SYNTH.csv] ...] [--library NAME] [--liberty NAME]

For each design (default: paper_fig3 and modern-formats), the model's area, critical path
and accumulation loop (``macgates table DESIGN --library calibrated-osu018``) beside
synthesis and timing on the liberty file (``macgates synth DESIGN --liberty osu018
--format csv --vectors 0``, run here unless ``=SYNTH.csv`` names that command's output
already made: modern-formats takes minutes). Prints, per design, a markdown table of the
three with each error ((model - synthesis) / synthesis), the worst of each, how many
areas are within 10% and critical paths within 15%, and how many pairs of configs the
model orders as synthesis does (area and critical path), with the cheapest of each.
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import subprocess
import sys


def synthesized(design: str, given: str | None, liberty: str) -> dict:
    if given:
        with open(given, newline="") as f:
            text = f.read()
    else:
        text = subprocess.run([sys.executable, "-m", "macgates", "synth", design, "--liberty", liberty, "--format",
                               "csv", "--vectors", "0"], check=True, capture_output=True, text=True).stdout
    return {r["name"]: r for r in csv.DictReader(io.StringIO(text))}


def compare(design: str, synth: dict, library) -> list[str]:
    from macgates.report.tables import table_records

    out = [f"{design}:", "", "| config | model area (um^2) | synth area (um^2) | area error | model critical (ns) | "
           "critical ns | critical error | model loop (ns) | loop ns | loop error |", "|---|---|---|---|---|---|---|---|---|---|"]
    errors = {"area": [], "critical": [], "loop": []}
    rows = []
    for r in table_records(design, library=library):
        s = synth[r["name"]]
        pairs = {"area": (float(r["gates"]), float(s["area"])), "critical": (float(r["delay"]), float(s["critical_ns"])),
                 "loop": (float(r["loop_delay"]), float(s["loop_ns"]))}
        for what, (model, real) in pairs.items():
            errors[what].append(model / real - 1)
        (a, ra), (d, rd), (lo, rl) = pairs.values()
        rows.append((r["name"], a, ra, d, rd))
        out.append(f"| {r['name']} | {a:.0f} | {ra:.0f} | {a / ra - 1:+.1%} | {d:.3f} | {rd:.3f} | {d / rd - 1:+.1%} | "
                   f"{lo:.3f} | {rl:.3f} | {lo / rl - 1:+.1%} |")
    worst = {what: max(e, key=abs) for what, e in errors.items()}
    n = len(rows)
    out += ["", f"worst area {worst['area']:+.1%}, worst critical {worst['critical']:+.1%}, worst loop "
                f"{worst['loop']:+.1%}; area within 10%: {sum(abs(e) <= 0.10 for e in errors['area'])}/{n}, "
                f"critical within 15%: {sum(abs(e) <= 0.15 for e in errors['critical'])}/{n}"]
    for i, what in ((1, "area"), (3, "critical path")):
        pairs = list(itertools.combinations(rows, 2))
        agree = sum((x[i] < y[i]) == (x[i + 1] < y[i + 1]) for x, y in pairs)
        model = min(rows, key=lambda x: x[i])[0]
        real = min(rows, key=lambda x: x[i + 1])[0]
        out.append(f"{what}: {agree}/{len(pairs)} pairs ordered as synthesis orders them; cheapest: model {model}, "
                   f"synthesis {real}")
    return out + [""]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("designs", nargs="*", default=["paper_fig3", "modern-formats"], metavar="DESIGN[=SYNTH.csv]")
    parser.add_argument("--library", default="calibrated-osu018")
    parser.add_argument("--liberty", default="osu018")
    args = parser.parse_args(argv)
    import macgates

    library = macgates.load_library(args.library)
    for item in args.designs:
        design, _, given = item.partition("=")
        print("\n".join(compare(design, synthesized(design, given or None, args.liberty), library)))


if __name__ == "__main__":
    main()
