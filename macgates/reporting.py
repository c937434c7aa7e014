"""Reports: Figure-3-style charts and a markdown page per design.

:func:`relative_chart` and :func:`breakdown_chart` take DataFrames (from
:func:`macgates.table` and :func:`breakdown_table`) and return matplotlib Figures a
notebook user can restyle. :func:`report` writes a design's charts (PNG and SVG) and its
``report.md``. Output is deterministic: the same input gives byte-identical SVG and
markdown (fixed SVG hash salt, no dates). Figures are made without pyplot, rendered by
the non-interactive Agg and SVG backends, so no window ever opens.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from .datapath import CATEGORIES
from .render import fixed3, render
from .resources import designs_dir
from .table import as_design, columns_of, rel3, table_records

PNG_DPI = 200
# Fixed colours, so a series or category has the same colour in every report.
PALETTE = ["#1f4e79", "#6aa84f", "#e69138", "#8e7cc3", "#c0504d", "#4bacc6", "#7f7f7f",
           "#bf9000", "#a64d79", "#45818e"]
CATEGORY_COLOURS = dict(zip(CATEGORIES, ["#1f4e79", "#4bacc6", "#6aa84f", "#e69138", "#c0504d",
                                         "#8e7cc3", "#7f7f7f"]))
WHITEPAPER = {"fp16": "1.53", "fp32": "2.83"}  # Figure 3 headline ratios, for comparison


# -- data ---------------------------------------------------------------------------------
def breakdown_table(design=None, library=None):
    """Gates per category, one row per config: columns ``name``, the categories, ``total``."""
    import pandas as pd

    design = as_design(design, library)
    rows = []
    for cfg in design.configs:
        dp = design.build(cfg)
        cats = dp.by_category()
        rows.append({"name": cfg.name, **{c: cats.get(c, 0) for c in CATEGORIES}, "total": dp.gates})
    frame = pd.DataFrame(rows, columns=["name", *CATEGORIES, "total"])
    used = [c for c in CATEGORIES if frame[c].any()]
    return frame[["name", *used, "total"]]


def _group(row) -> str:
    w, a = row["weights"], row["activations"]
    if not w:
        return "custom"
    return w if w == a else f"{w} × {a}"


def _series(frame) -> list[str]:
    """One series label per row: the accumulator, unless two configs of a group share it;
    then the config name, less the group's format prefix."""
    groups = [_group(r) for _, r in frame.iterrows()]
    accs = list(frame["accumulator"])
    if len(set(zip(groups, accs))) == len(accs):
        return accs
    if "k" in frame and len(set(zip(groups, accs, frame["k"]))) == len(accs):
        label = (lambda acc, k: f"K={k}") if len(set(accs)) == 1 else (lambda acc, k: f"{acc}, K={k}")
        return [label(acc, k) for acc, k in zip(accs, frame["k"])]
    out = []
    for name, w in zip(frame["name"], frame["weights"]):
        out.append(name[len(w) + 1:] if w and name.startswith(w + "-") else name)
    return out


# -- charts -------------------------------------------------------------------------------
def relative_chart(frame, title: str = "", baseline: str | None = None):
    """Grouped bars of ``relative`` (Figure 3 style): a group per input format, a colour
    per accumulator, value labels, a dashed line at 1.0. Returns a matplotlib Figure."""
    from matplotlib.figure import Figure

    if baseline is None:
        ones = frame.index[frame["relative"] == 1.0]
        baseline = frame.loc[ones[0], "name"] if len(ones) else "the baseline"
    groups = list(dict.fromkeys(_group(r) for _, r in frame.iterrows()))
    series = _series(frame)
    order = list(dict.fromkeys(series))
    slots = {g: [s for s, gg in zip(series, (_group(r) for _, r in frame.iterrows())) if gg == g]
             for g in groups}
    per_group = max(len(v) for v in slots.values())
    width = 0.8 / per_group
    fig = Figure(figsize=(min(16.0, max(6.0, (0.45 * per_group + 0.5) * len(groups) + 3.0)), 4.8),
                 layout="constrained")
    ax = fig.add_subplot()
    handled = set()
    for (_, row), s, g in zip(frame.iterrows(), series, (_group(r) for _, r in frame.iterrows())):
        gi, members = groups.index(g), slots[g]
        x = gi + width * (members.index(s) - (len(members) - 1) / 2)  # centred in its group
        label = None if s in handled else s
        handled.add(s)
        bars = ax.bar([x], [row["relative"]], width * 0.92, color=PALETTE[order.index(s) % len(PALETTE)],
                      label=label, edgecolor="white", linewidth=0.5)
        ax.bar_label(bars, labels=[f"{row['relative']:.2f}"], padding=2, fontsize=8)
    ax.axhline(1.0, linestyle="--", color="0.35", linewidth=1, zorder=0)
    ax.set_xticks(range(len(groups)), groups, rotation=30 if len(groups) > 8 else 0,
                  ha="right" if len(groups) > 8 else "center", rotation_mode="anchor")
    ax.set_xlabel("input format (weights × activations)")
    ax.set_ylabel(f"NAND2-equivalent gates, relative to {baseline}")
    ax.set_ylim(0, max(frame["relative"]) * 1.1)
    ax.set_title(title)
    ax.legend(title="accumulator" if order == list(dict.fromkeys(frame["accumulator"])) else
              "unit" if order[0].startswith(("K=", frame["accumulator"].iloc[0] + ", K=")) else "config",
              frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def breakdown_chart(frame, title: str = ""):
    """Stacked bars of gates per category (absolute NAND2-equivalents), one bar per
    config, from :func:`breakdown_table`. Returns a matplotlib Figure."""
    from matplotlib.figure import Figure

    cats = [c for c in frame.columns if c not in ("name", "total")]
    fig = Figure(figsize=(max(6.0, 0.75 * len(frame) + 2.5), 5.0), layout="constrained")
    ax = fig.add_subplot()
    x = range(len(frame))
    bottom = [0.0] * len(frame)
    for cat in cats:
        values = [float(v) for v in frame[cat]]
        ax.bar(x, values, 0.7, bottom=bottom, label=cat, color=CATEGORY_COLOURS.get(cat, "0.5"),
               edgecolor="white", linewidth=0.5)
        bottom = [b + v for b, v in zip(bottom, values)]
    for xi, total in zip(x, frame["total"]):
        ax.annotate(f"{total}", (xi, float(total)), xytext=(0, 2), textcoords="offset points",
                    ha="center", va="bottom", fontsize=8)
    ax.set_xticks(list(x), list(frame["name"]), rotation=35, ha="right", rotation_mode="anchor")
    ax.set_ylabel("NAND2-equivalent gates")
    ax.set_ylim(0, max(float(t) for t in frame["total"]) * 1.12)
    ax.set_title(title)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], title="category", frameon=False,
              loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def _axes_values(frame):
    """Per row: (label, gates per MAC, dynamic range, precision) of the narrower input."""
    from .formats import format as get_format

    out = []
    for _, r in frame.iterrows():
        if not r["weights"]:
            continue  # a custom datapath has no formats to place
        fmts = [get_format(r["weights"]), get_format(r["activations"])]
        per_mac = float(r["gates_per_mac"]) if "gates_per_mac" in r else float(r["gates"])
        label = r["name"] if "name" in r else (
            f"{r['weights']}" + (f"x{r['activations']}" if r["activations"] != r["weights"] else "")
            + f"-{r['accumulator']}-k{r['k']}")
        out.append((label, per_mac, min(f.dynamic_range for f in fmts), min(f.precision_bits for f in fmts)))
    return out


def pareto_front(points: list[tuple]) -> set:
    """Indices of points no other point beats: as cheap or cheaper and as good or better,
    strictly in one. ``points`` are (cost, quality)."""
    front = set()
    for i, (c, q) in enumerate(points):
        if not any((c2 <= c and q2 >= q) and (c2 < c or q2 > q) for j, (c2, q2) in enumerate(points) if j != i):
            front.add(i)
    return front


def pareto_chart(frame, title: str = ""):
    """Gates per MAC against dynamic range (log2 max/min positive) and against precision
    (mantissa bits), the Pareto front highlighted, points labelled. Takes the DataFrame of
    :func:`macgates.table` or :func:`macgates.sweep`; returns a matplotlib Figure."""
    from matplotlib.figure import Figure

    values = _axes_values(frame)
    fig = Figure(figsize=(12.0, 5.0), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    for ax, index, xlabel in ((axes[0], 2, "dynamic range of the narrower input, log2(max / min positive)"),
                              (axes[1], 3, "precision of the narrower input, mantissa bits")):
        pts = [(v[1], v[index]) for v in values]
        front = pareto_front(pts)
        xs = [p[1] for p in pts]
        ys = [p[0] for p in pts]
        ax.scatter(xs, ys, s=18, color="0.6", zorder=2, label="configs")
        best = sorted((pts[i][1], pts[i][0]) for i in front)
        ax.plot([b[0] for b in best], [b[1] for b in best], color=PALETTE[2], linewidth=1.5,
                marker="o", markersize=6, zorder=3, label="Pareto front")
        for i, v in enumerate(values):  # every point when few, else the front's
            if len(values) <= 40 or i in front:
                ax.annotate(v[0], (xs[i], ys[i]), xytext=(3, 3), textcoords="offset points", fontsize=6,
                            color="black" if i in front else "0.45")
        if max(ys) > 20 * min(ys):
            ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.spines[["top", "right"]].set_visible(False)
    axes[0].set_ylabel("NAND2-equivalent gates per MAC")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False)
    fig.suptitle(title)
    return fig


def save(fig, stem: Path) -> list[Path]:
    """Write ``stem``.png (PNG_DPI) and ``stem``.svg, deterministically."""
    import matplotlib

    paths = [stem.with_suffix(".png"), stem.with_suffix(".svg")]
    with matplotlib.rc_context({"svg.hashsalt": "macgates", "svg.fonttype": "path"}):
        fig.savefig(paths[0], dpi=PNG_DPI, metadata={"Software": None})
        fig.savefig(paths[1], metadata={"Date": None})
    return paths


# -- the markdown report ------------------------------------------------------------------
def slug(design) -> str:
    if design.path is not None:
        return design.path.stem
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", design.name).strip("_") or "design"


def findings(rows: list[dict], baseline: str) -> list[str]:
    """Sentences computed from the table rows."""
    out = []
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(_group(r), []).append(r)
    for g, members in groups.items():
        if len(members) < 2:
            continue
        best = min(members, key=lambda r: r["gates"])
        others = ", ".join(f"{r['name']} {float(rel3(r['gates'], best['gates'])):.2f}x"
                           for r in members if r is not best)
        out.append(f"For {g}, {best['name']} is the cheapest ({best['gates']} gates); "
                   f"relative to it: {others}.")
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
        if e4:
            parts = [f"with an {acc.upper()} accumulator {fixed3(r['relative'])}x (whitepaper {WHITEPAPER[acc]}x)"
                     for acc, r in sorted(e4.items())]
            out.append(f"FP8-E4M3 costs, relative to {baseline}: {'; '.join(parts)}.")
    return out


def _source_lines(design) -> list[str]:
    from . import __version__
    import matplotlib

    lib = design.library
    digest = hashlib.sha256(repr(sorted((p.name, p.params, p.cost_text)
                                        for p in lib.primitives.values())).encode()).hexdigest()[:12]
    overridden = sorted(p.name for p in lib.primitives.values() if p.source.startswith("override in"))
    if design.path is None:
        where = "a list of configs"
    elif design.path.resolve().parent == designs_dir().resolve():
        where = f"designs/{design.path.name}"  # bundled: the same text wherever installed
    else:
        where = str(design.path)
    lines = [
        f"- Design: `{where}`" + (f" ({design.description})" if design.description else ""),
        f"- Numbers: macgates {__version__}; each config is a datapath of library components "
        "(see docs/datapaths.md); gates are NAND2 equivalents, C = sum(fan-in - 1) "
        "(whitepaper App. B).",
        f"- Primitive library: {lib.name or 'unnamed'} (schema version {lib.version}), "
        f"formulas sha256 {digest}" + (f"; overridden here: {', '.join(overridden)}" if overridden else ""),
        f"- Charts: matplotlib {matplotlib.__version__}, PNG at {PNG_DPI} dpi and SVG.",
    ]
    return lines


def report(design=None, out_dir="reports", library=None) -> list[Path]:
    """Write a design's report under ``out_dir``/<design>/; returns the written paths."""
    design = as_design(design, library)
    rows = table_records(design)
    baseline = next(r["name"] for r in rows if r["relative"] == 1)
    import pandas as pd

    frame = pd.DataFrame(rows, columns=list(columns_of(rows)))
    frame["relative"] = [float(r["relative"]) for r in rows]
    parts = breakdown_table(design)
    folder = Path(out_dir) / slug(design)
    folder.mkdir(parents=True, exist_ok=True)
    written = save(relative_chart(frame, design.name, baseline), folder / "relative")
    written += save(breakdown_chart(parts, f"{design.name}: gates by category"), folder / "breakdown")
    if len(_axes_values(frame)) >= 2:
        written += save(pareto_chart(frame, f"{design.name}: cost against range and precision"),
                        folder / "pareto")
    part_rows = parts.to_dict("records")
    md = [f"# {design.name}", ""]
    if design.description:
        md += [design.description, ""]
    md += ["Generated by `macgates report`; do not edit by hand.", "",
           "![relative area](relative.svg)", "", render(rows, columns_of(rows), "markdown"),
           "## Findings", "", *[f"- {line}" for line in findings(rows, baseline)], "",
           "## Gates by category", "", "![gates by category](breakdown.svg)", "",
           *(["![Pareto](pareto.svg)", ""] if any(p.name == "pareto.svg" for p in written) else []),
           render(part_rows, list(parts.columns), "markdown"),
           "## Source of the numbers", "", *_source_lines(design), ""]
    path = folder / "report.md"
    path.write_text("\n".join(md))
    return [*written, path]


def write_index(out_dir, designs) -> Path:
    """``out_dir``/index.md linking each design's report."""
    lines = ["# macgates reports", "", "Generated by `macgates report`; do not edit by hand.", "",
             "| design | configs | description |", "|---|---:|---|"]
    for d in designs:
        lines.append(f"| [{d.name}]({slug(d)}/report.md) | {len(d.configs)} | {d.description} |")
    path = Path(out_dir) / "index.md"
    path.write_text("\n".join(lines) + "\n")
    return path


SWEEP_COLUMNS = ("weights", "activations", "accumulator", "k", "gates", "gates_per_mac")


def sweep_report(csv_path, out_dir="reports") -> list[Path]:
    """A Pareto report of a ``macgates sweep`` CSV: pareto.png/.svg and report.md listing
    the configurations on the two Pareto fronts."""
    import pandas as pd

    from .errors import DesignError

    path = Path(csv_path)
    try:
        frame = pd.read_csv(path, dtype={"weights": str, "activations": str, "accumulator": str})
    except FileNotFoundError:
        raise DesignError(f"{path}: no such file") from None
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DesignError(f"{path}: not a CSV file ({' '.join(str(exc).split())[:80]})") from None
    missing = [c for c in SWEEP_COLUMNS if c not in frame.columns]
    if missing:
        raise DesignError(f"{path}: missing column '{missing[0]}' (a 'macgates sweep' CSV has "
                          f"{', '.join(SWEEP_COLUMNS)})")
    if frame.empty:
        raise DesignError(f"{path}: no rows")
    values = _axes_values(frame)
    folder = Path(out_dir) / path.stem
    folder.mkdir(parents=True, exist_ok=True)
    written = save(pareto_chart(frame, f"{path.stem}: cost against range and precision"), folder / "pareto")
    md = [f"# Sweep {path.stem}", "", "Generated by `macgates report --sweep`; do not edit by hand.", "",
          f"{len(frame)} configurations from `{path.name}`.", "", "![Pareto](pareto.svg)", ""]
    for index, title in ((2, "dynamic range"), (3, "precision")):
        front = sorted(pareto_front([(v[1], v[index]) for v in values]), key=lambda i: values[i][index])
        rows = [{"config": values[i][0], "gates_per_mac": f"{values[i][1]:.3f}",
                 title.replace(" ", "_"): f"{values[i][index]:.2f}" if index == 2 else values[i][index]}
                for i in front]
        md += [f"## Pareto front: gates per MAC against {title}", "",
               render(rows, list(rows[0]), "markdown")]
    report_path = folder / "report.md"
    report_path.write_text("\n".join(md))
    return [*written, report_path]
