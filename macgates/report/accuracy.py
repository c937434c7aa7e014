"""Accuracy tables and the Figure 5 report: formats scored on operand data.

:func:`accuracy_records` scores formats on each data spec (:func:`macgates.accuracy.data.load`:
a named distribution or a user's tensor file) with one scale rule, and the Lloyd-Max bound;
:func:`accuracy_table` is that as a pandas DataFrame; :func:`accuracy_files` draws the
whitepaper's Figure 5 (bits of accuracy per format, one panel per distribution, the
Lloyd-Max bound as a line) and writes its report.md, in memory.
"""

from __future__ import annotations

import math

from ..accuracy.data import load, varying
from ..accuracy.evaluate import scores
from ..accuracy import RULES
from ..formats.spec import lookup
from ..support.errors import DesignError, MacgatesError

# Figure 5: the whitepaper's INT8 and FP8-E2..E5 (App. A), and the OCP FP8 formats, on a
# uniform, a Gaussian and a Student-t distribution, each with its MSE-best scale, and the
# Lloyd-Max bound with as many levels (2^8)
FIGURE5_FORMATS = ("int8", "fp8_e2m5", "fp8_e3m4", "fp8_e4m3", "fp8_e5m2", "float8_e4m3fn", "float8_e5m2")
STUDENT_T_NU = 2  # see docs/accuracy.md, "Figure 5": the tails at which the variance stops being finite
FIGURE5_DATA = ("uniform", "normal", f"student-t:{STUDENT_T_NU}")
FIGURE5_RULE = "mse"
FIGURE5_SAMPLES = 1_000_000  # Student-t's outliers grow with the sample: Figure 5 is drawn at 10^6
COLUMNS = ("data", "format", "scale", "rmse", "sqnr_db", "bits")


def accuracy_records(formats=FIGURE5_FORMATS, data=FIGURE5_DATA, rule: str = "absmax", samples: int = FIGURE5_SAMPLES,
                     seed: int = 0, axis: int | None = None, lloyd_max: int | None = None, own=None) -> list[dict]:
    """Rows (COLUMNS) for each data spec and format; ``formats``: names or Format records
    (``own``: a design's formats by name); ``lloyd_max``: the bound's bits, or None."""
    if rule not in RULES:
        raise MacgatesError(f"scale rule {rule!r}: expected one of {', '.join(RULES)}")
    fmts = [f if not isinstance(f, str) else lookup(f, own or {}) for f in formats]
    rows = []
    for spec in data:
        x = load(spec, samples=samples, seed=seed)
        try:
            rows += [{"data": spec, **r} for r in scores(fmts, x, rule, axis, lloyd_max)]
        except MacgatesError as exc:  # (an axis x does not have, a format the data do not fit)
            raise type(exc)(f"{spec}: {exc}") from None
    return rows


def accuracy_table(formats=FIGURE5_FORMATS, data=FIGURE5_DATA, rule: str = "absmax", samples: int = FIGURE5_SAMPLES,
                   seed: int = 0, axis: int | None = None, lloyd_max: int | None = None):
    """:func:`accuracy_records` as a DataFrame with columns COLUMNS (floats)."""
    import pandas as pd

    return pd.DataFrame(accuracy_records(formats, data, rule, samples, seed, axis, lloyd_max), columns=list(COLUMNS))


def shown_rows(rows: list[dict]) -> list[dict]:
    """Rows for the text formats: rmse to 4 significant digits, sqnr_db and bits to 2
    decimals (csv and json keep the floats)."""
    return [{**r, "rmse": f"{r['rmse']:.4g}", "sqnr_db": f"{r['sqnr_db']:.2f}", "bits": f"{r['bits']:.2f}"}
            for r in rows]


def accuracy_chart(rows: list[dict], title: str = ""):
    """Bits of accuracy per format, one panel per data spec; a ``lloyd-max-*`` row is the
    dashed line of the bound (a matplotlib Figure, no pyplot)."""
    from matplotlib.figure import Figure

    data = list(dict.fromkeys(r["data"] for r in rows))
    fig = Figure(figsize=(4.2 * len(data), 4.4), layout="constrained")
    axes = fig.subplots(1, len(data), sharey=True, squeeze=False)[0]
    finite = [r["bits"] for r in rows if math.isfinite(r["bits"])]
    top = max(finite, default=1.0) or 1.0
    for ax, spec in zip(axes, data):
        mine = [r for r in rows if r["data"] == spec]
        bars = [r for r in mine if not r["format"].startswith("lloyd-max")]
        best = max((r["bits"] for r in bars if math.isfinite(r["bits"])), default=None)
        # an exact quantization (no error: infinite bits) is drawn at the top, a NaN not at all
        heights = [min(r["bits"], top * 1.1) if not math.isnan(r["bits"]) else 0.0 for r in bars]
        drawn = ax.bar(range(len(bars)), heights, 0.7,
                       color=["#1f4e79" if r["bits"] == best else "#8fb3d9" for r in bars])
        ax.bar_label(drawn, labels=[f"{r['bits']:.2f}" for r in bars], padding=2, fontsize=8)
        for r in mine:
            if r["format"].startswith("lloyd-max") and math.isfinite(r["bits"]):
                ax.axhline(r["bits"], linestyle="--", color="0.3", linewidth=1)
                ax.annotate(f"{r['format']} {r['bits']:.2f}", (len(bars) - 0.5, r["bits"]), xytext=(0, 3),
                            textcoords="offset points", ha="right", fontsize=8, color="0.3")
        ax.set_xticks(range(len(bars)), [r["format"] for r in bars], rotation=45, ha="right", fontsize=8)
        ax.set_title(spec)
        ax.set_ylim(0, top * 1.15)
    axes[0].set_ylabel("bits of accuracy: log2(std(x) / RMSE)")
    if title:
        fig.suptitle(title)
    return fig


def _bits(rows, spec, name):
    return next(r["bits"] for r in rows if r["data"] == spec and r["format"] == name)


def _best(rows, spec, names):
    return max(names, key=lambda n: _bits(rows, spec, n))


PAPER = ("int8", "fp8_e2m5", "fp8_e3m4", "fp8_e4m3", "fp8_e5m2")  # the whitepaper's formats (App. A)
CLOSE_SECOND = 0.5  # bits: "a very close second" (the issue: "within a few tenths of a bit")


def statements(rows: list[dict]) -> list[tuple[str, str, bool]]:
    """The whitepaper's statements about Figure 5 (Section 4.1), each with what these rows
    measure and whether it holds: (statement, measured, holds). Needs the rows of
    FIGURE5_DATA with at least the PAPER formats."""
    uniform, normal, student = FIGURE5_DATA
    out = []
    best = _best(rows, uniform, PAPER)
    b = _bits(rows, uniform, "int8")
    out.append(("INT8 is the best on the uniform distribution, with about 8 bits",
                f"best: {best}; int8 {b:.2f} bits", best == "int8" and abs(b - 8) <= 0.1))
    ranked = sorted(PAPER, key=lambda n: -_bits(rows, normal, n))
    e2, i8 = _bits(rows, normal, "fp8_e2m5"), _bits(rows, normal, "int8")
    out.append(("On the Gaussian, FP8-E2 is the best, with INT8 a very close second (checked: second, "
                f"within {CLOSE_SECOND} bits)",
                f"order: {', '.join(ranked[:3])}, ...; fp8_e2m5 {e2:.2f}, int8 {i8:.2f} bits ({e2 - i8:+.2f})",
                ranked[:2] == ["fp8_e2m5", "int8"] and e2 - i8 <= CLOSE_SECOND))
    e5 = _bits(rows, normal, "fp8_e5m2")
    out.append(("FP8-E5 gives only about 4 or 5 bits on the Gaussian", f"fp8_e5m2 {e5:.2f} bits", 4 <= e5 <= 5))
    best = _best(rows, student, PAPER)
    e4 = _bits(rows, student, "fp8_e4m3")
    out.append((f"On the Student-t with significant outliers ({student}), FP8-E4 is the best, with about 5 bits",
                f"best: {best}; fp8_e4m3 {e4:.2f} bits", best == "fp8_e4m3" and abs(e4 - 5) <= 0.5))
    return out


def accuracy_files(rows: list[dict], name: str = "figure5", title: str = "", what: str = "") -> dict:
    """The accuracy report as ``{"<name>/accuracy.png": bytes, ..., "<name>/report.md":
    text}``, in memory: the chart, the table and (for Figure 5's data) the whitepaper's
    statements beside what was measured."""
    from .charts import figure_files
    from .render import render

    files = {f"{name}/{k}": v for k, v in figure_files(accuracy_chart(rows, title), "accuracy").items()}
    md = [f"# {title or name}", "", "Generated by `macgates accuracy`; do not edit by hand.", "",
          "![bits of accuracy](accuracy.svg)", "",
          "*Figure: bits of accuracy, log2(std(x) / RMSE(x - q(x))), of each format on each data; "
          "the darker bar is the best; the dashed line is the Lloyd-Max quantizer of the data with that many "
          "levels: a bound for the formats with per-tensor scales and at most that many values (block and "
          "per-channel scales use more values, and can beat it).*", "",
          render(shown_rows(rows), list(COLUMNS), "markdown")]
    if what:
        md += [what, ""]
    data = {r["data"] for r in rows}
    formats = {r["format"] for r in rows}
    if set(FIGURE5_DATA) <= data and set(PAPER) <= formats:
        md += ["## The whitepaper's statements", "",
               "| statement (Section 4.1, Figure 5) | measured here | holds |", "|---|---|---|"]
        md += [f"| {s} | {m} | {'yes' if ok else 'no'} |" for s, m, ok in statements(rows)]
        md.append("")
    files[f"{name}/report.md"] = "\n".join(md)
    return files


# -- cost against accuracy: a design's configs on its data ------------------------------------
def _operand_data(design) -> dict:
    """The design's two operands' samples, each problem a DesignError naming the design and
    its ``data.OPERAND`` key (a tensor file is read here, not when the design is loaded)."""
    spec = design.data
    samples = {}
    for op in ("weights", "activations"):
        try:
            x = load(spec[op], samples=spec["samples"], seed=spec["seed"], formats=design.formats)
        except MacgatesError as exc:
            raise DesignError(f"{design.origin}: data.{op}: {str(exc).removeprefix('data ')}") from None
        try:
            samples[op] = varying(x, spec["given"][op])
        except MacgatesError as exc:
            raise DesignError(f"{design.origin}: data.{op}: {exc}") from None
    return samples


def design_accuracy(design, records=None) -> list[dict]:
    """Each config of ``design`` that has input formats (a hand-built datapath has none: it
    is left out, see :func:`skipped_configs`), scored on the design's ``data:``
    (:func:`macgates.design.schema.parse_data`): ``name``, ``gates_per_mac`` (the unit's
    cost / K), ``bits_weights`` (its weights' format on the weights' data),
    ``bits_activations``, ``bits`` (the worse of the two: what the MAC keeps; inf where
    both quantize exactly) and ``front`` (on the Pareto front of gates per MAC against
    ``bits``, :func:`macgates.report.charts.pareto_front`: no other config is as cheap or
    cheaper and as accurate or more, strictly in one; configs equal in both are on it or
    off it together). A block format is scored with its block scales, a mixed-precision
    config by each operand's format. Each (format, operand) is scored once. Problems (a
    tensor file, an unsigned format on negative data) raise DesignError naming the design
    and the key or config. ``records``: the design's table_records, if made already."""
    from ..accuracy.evaluate import operand_scorer
    from .tables import table_records

    if not design.data:
        return []
    bits = operand_scorer(_operand_data(design), design.data["scale"])
    out = []
    for i, (cfg, row) in enumerate(zip(design.configs, records or table_records(design))):
        if cfg.datapath:
            continue
        scored = {}
        for op, name in (("weights", cfg.weights), ("activations", cfg.activations or cfg.weights)):
            try:
                scored[op] = bits(design.format(name), op)
            except MacgatesError as exc:
                raise DesignError(f"{design.origin}: configs[{i}] ({cfg.name}): {op} on data.{op}: {exc}") from None
        out.append({"name": cfg.name, "gates_per_mac": row["gates_per_mac"], "bits_weights": scored["weights"],
                    "bits_activations": scored["activations"], "bits": min(scored.values())})
    return _with_front(out)


def _with_front(rows: list[dict]) -> list[dict]:
    """``rows`` (gates_per_mac, bits), each marked ``front``: on the Pareto front of cost
    per MAC against bits (:func:`macgates.report.charts.pareto_front`)."""
    from .charts import pareto_front

    front = pareto_front([(r["gates_per_mac"], r["bits"]) for r in rows])
    for i, r in enumerate(rows):
        r["front"] = i in front
    return rows


def _bits_shown(r: dict) -> dict:
    """A row's three accuracy columns to 2 decimals, for a report's table."""
    return {c: f"{r[c]:.2f}" for c in ("bits_weights", "bits_activations", "bits")}


def skipped_configs(design) -> list[str]:
    """The configs :func:`design_accuracy` leaves out: hand-built datapaths, which have no
    input formats to score."""
    return [cfg.name for cfg in design.configs if cfg.datapath]


FRONT_COLOUR, OFF_COLOUR = "#1f4e79", "#8fb3d9"
LOG_COSTS = 4  # the cost axis is logarithmic when the costs span more than this factor


def cost_accuracy_chart(rows: list[dict], title: str = "", unit: str = "gates"):
    """Bits of accuracy (the worse operand's: filled, darker on the Pareto front; each
    operand's: hollow triangles) against cost per MAC (a logarithmic axis when the costs
    span more than a factor of LOG_COSTS). The front is drawn as a staircase: the most bits
    to be had at a cost, which is only reached at the front's points. A config whose
    formats quantize the data exactly (inf bits) is drawn at the top, named "exact".
    Every config is named (the front's first, darker) when there are at most
    :data:`~macgates.report.charts.LABEL_ALL`, else the front's, without overlapping
    (:func:`macgates.report.labels.place_labels`). Returns a matplotlib Figure."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    from .charts import LABEL_ALL, MAX_LABELS
    from .labels import draw, merge_coincident, place_labels

    fig = Figure(figsize=(9.0, 5.2), layout="constrained")
    ax = fig.add_subplot()
    xs = [float(r["gates_per_mac"]) for r in rows]
    finite = [v for r in rows for v in (r["bits_weights"], r["bits_activations"]) if math.isfinite(v)]
    low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
    exact = high + max(0.08 * (high - low), 0.5)  # where inf is drawn

    def at(values):
        return [exact if v == math.inf else v for v in values]

    ax.scatter(xs, at([r["bits_weights"] for r in rows]), marker="^", s=30, facecolors="none",
               edgecolors="0.6", linewidths=0.8, zorder=2, label="weights' format on the weights' data")
    ax.scatter(xs, at([r["bits_activations"] for r in rows]), marker="v", s=30, facecolors="none",
               edgecolors="0.6", linewidths=0.8, zorder=2, label="activations' format on the activations' data")
    ys = at([r["bits"] for r in rows])
    for on, colour, label in ((True, FRONT_COLOUR, "the worse of the two (what the MAC keeps), on the front"),
                              (False, OFF_COLOUR, "the worse of the two, off the front")):
        mine = [i for i, r in enumerate(rows) if r["front"] == on]
        if mine:
            ax.scatter([xs[i] for i in mine], [ys[i] for i in mine], s=34, color=colour, zorder=3, label=label)
    front = sorted((i for i, r in enumerate(rows) if r["front"]), key=lambda i: (xs[i], ys[i]))
    fx, fy = [xs[i] for i in front], [ys[i] for i in front]
    if front:  # the staircase, on to the axis' end
        ax.plot(fx + [max(xs)], fy + [fy[-1]], color=FRONT_COLOUR, linewidth=1.1, drawstyle="steps-post", zorder=2,
                label="Pareto front: the most bits at that cost or less")
    if any(v == math.inf for v in ys):
        ax.axhline(exact, color="0.8", linewidth=0.6, zorder=1)
    if max(xs) > LOG_COSTS * min(xs) > 0:
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 3.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        log = ", log scale"
    else:
        log = ""
    ax.margins(x=0.05, y=0.08)
    ax.set_xlabel(("NAND2-equivalent gates" if unit == "gates" else f"area ({unit})") + " per MAC" + log)
    ax.set_ylabel("bits of accuracy: log2(std(x) / RMSE)")
    ax.spines[["top", "right"]].set_visible(False)
    fig.legend(loc="outside lower center", ncols=2, fontsize=8, frameon=False)
    if title:
        ax.set_title(title)
    renderer = draw(fig)
    order = sorted(range(len(rows)) if len(rows) <= LABEL_ALL else front, key=lambda i: (not rows[i]["front"], i))
    items = [(i, rows[i]["name"] + (" (exact)" if ys[i] == exact else ""), FRONT_COLOUR if rows[i]["front"] else "0.4")
             for i in order[:MAX_LABELS]]
    px = ax.transData.transform(list(zip(xs, ys))).tolist()
    steps = ax.transData.transform([(x, y) for a, b, y0 in zip(fx, fx[1:] + [max(xs)], fy)
                                    for x, y in ((a, y0), (b, y0))]).tolist()
    rises = ax.transData.transform([(b, y) for b, y in zip(fx[1:], fy[1:])]).tolist()
    segments = [(steps[2 * j], steps[2 * j + 1]) for j in range(len(steps) // 2)]
    segments += [(steps[2 * j + 1], rises[j]) for j in range(len(rises))]
    triangles = ax.transData.transform([(x, y) for r, x in zip(rows, xs)
                                        for y in at([r["bits_weights"], r["bits_activations"]])]).tolist()
    place_labels(fig, ax, renderer, merge_coincident(items, px, xs, ys, 4 * fig.dpi / 72), px + triangles, segments)
    return fig


def _spec_text(spec: dict, op: str) -> str:
    from ..accuracy.data import tensor_path

    return f"`{spec['given'][op]}`" + (" (its values)" if tensor_path(spec[op]) else "")


def cost_accuracy_section(design, files: dict, folder: str, records=None) -> list[str]:
    """report.md's "Cost against accuracy" lines for a design with ``data:`` (its chart
    added to ``files``); nothing for one without."""
    from ..accuracy.data import tensor_path
    from .charts import figure_files
    from .render import render

    rows = design_accuracy(design, records)
    skipped = skipped_configs(design) if design.data else []
    if not rows:
        return ["## Cost against accuracy", "", "No chart: every config is a hand-built datapath, which has no "
                "input formats to score.", ""] if skipped else []
    spec = design.data
    files.update(figure_files(cost_accuracy_chart(rows, f"{design.name}: cost against accuracy",
                                                  design.library.units["cost"]), f"{folder}/accuracy"))
    shown = [{"name": r["name"], "gates_per_mac": r["gates_per_mac"], **_bits_shown(r),
              "pareto": "yes" if r["front"] else ""} for r in rows]
    drawn = [f"{spec['samples']:,} samples, seed {spec['seed']}"] if not all(
        tensor_path(spec[op]) for op in ("weights", "activations")) else []
    notes = []
    if any(r["bits"] == math.inf for r in rows):
        notes.append("inf: the formats quantize the data exactly (no error), drawn at the top.")
    if skipped:
        notes.append(f"Not scored: {', '.join(skipped)} (a hand-built datapath has no input formats).")
    scales = f"{spec['scale']} scales; block formats their block scales"
    return ["## Cost against accuracy", "", "![cost against accuracy](accuracy.svg)", "",
            f"*Figure: bits of accuracy, log2(std(x) / RMSE), of each config's formats against its cost per MAC: "
            f"weights on {_spec_text(spec, 'weights')}, activations on {_spec_text(spec, 'activations')} "
            f"({', '.join([*drawn, scales])}); filled: the worse of the two operands, what the MAC keeps, darker on "
            "the Pareto front; the staircase is the front: the most bits to be had at that cost per MAC or less. "
            "The table has the numbers.*", "",
            render(shown, list(shown[0]), "markdown", precision=design.library.precision), *notes,
            *([""] if notes else []), ""]


def sweep_accuracy_section(points: list[dict], files: dict, folder: str, title: str) -> list[str]:
    """report.md's "Cost against accuracy" of a sweep with the accuracy columns (``points``:
    :func:`macgates.report.charts.pareto_points` of its rows): the chart of
    :func:`cost_accuracy_chart` (added to ``files``) and the table of its Pareto front."""
    from fractions import Fraction

    from .charts import figure_files
    from .render import render
    from .sweeps import ACCURACY_COLUMNS

    rows = _with_front([{"name": p["label"], "gates_per_mac": Fraction(str(p["row"]["gates"])) / p["k"],
                         **{c: float(p["row"][c]) for c in ACCURACY_COLUMNS}} for p in points])
    files.update(figure_files(cost_accuracy_chart(rows, title), f"{folder}/accuracy"))
    table = [{"config": r["name"], "gates_per_mac": r["gates_per_mac"], **_bits_shown(r)}
             for r in sorted((r for r in rows if r["front"]), key=lambda r: (r["gates_per_mac"], -r["bits"]))]
    return ["## Cost against accuracy", "", "![cost against accuracy](accuracy.svg)", "",
            "*Figure: bits of accuracy (the CSV's bits_weights, bits_activations and bits, from `macgates sweep "
            "--data`) against gates per MAC: filled, the worse of the two operands, what the MAC keeps, darker on "
            "the Pareto front over the whole sweep; the staircase is the front: the most bits to be had at that "
            "cost per MAC or less.*", "",
            f"The Pareto front: {len(table)} of {len(rows)} configurations"
            + (" (inf: the formats quantize the data exactly)" if any(r["bits"] == math.inf for r in rows) else "")
            + ".", "", render(table, list(table[0]), "markdown"), ""]
