"""Accuracy tables and the Figure 5 report: formats scored on operand data.

:func:`accuracy_records` scores formats on each data spec (:func:`macgates.accuracy.data.load`:
a named distribution or a user's tensor file) with one scale rule, and the Lloyd-Max bound;
:func:`accuracy_table` is that as a pandas DataFrame; :func:`accuracy_files` draws the
whitepaper's Figure 5 (bits of accuracy per format, one panel per distribution, the
Lloyd-Max bound as a line) and writes its report.md, in memory.
"""

from __future__ import annotations

import math

from ..accuracy.data import load
from ..accuracy.evaluate import RULES, scores
from ..formats.spec import lookup
from ..support.errors import MacgatesError

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
def design_accuracy(design) -> list[dict]:
    """Each config of ``design`` that has input formats, scored on the design's ``data:``
    (:func:`macgates.design.schema.parse_data`): ``name``, ``gates_per_mac``, ``bits_weights``
    (its weights' format on the weights' data), ``bits_activations``, ``bits`` (the worse of
    the two: what the MAC keeps) and ``front`` (on the Pareto front of gates per MAC against
    ``bits``: no other config is as cheap or cheaper and as accurate or more, strictly in
    one). A block format is scored with its block scales, a mixed-precision config by each
    operand's format. Each (format, operand) is scored once."""
    from ..accuracy.evaluate import operand_scorer
    from .tables import table_records

    spec = design.data
    if not spec:
        return []
    bits = operand_scorer({op: load(spec[op], samples=spec["samples"], seed=spec["seed"])
                           for op in ("weights", "activations")}, spec["scale"])
    out = []
    for cfg, row in zip(design.configs, table_records(design)):
        if cfg.datapath:
            continue  # a hand-built datapath has no input formats
        w = design.format(cfg.weights)
        a = design.format(cfg.activations or cfg.weights)
        bw, ba = bits(w, "weights"), bits(a, "activations")
        out.append({"name": cfg.name, "gates_per_mac": row["gates_per_mac"], "bits_weights": bw,
                    "bits_activations": ba, "bits": min(bw, ba)})
    for r in out:
        r["front"] = not any(o is not r and o["gates_per_mac"] <= r["gates_per_mac"] and o["bits"] >= r["bits"]
                             and (o["gates_per_mac"] < r["gates_per_mac"] or o["bits"] > r["bits"]) for o in out)
    return out


def cost_accuracy_chart(rows: list[dict], title: str = "", unit: str = "gates"):
    """Bits of accuracy (the worse operand's: filled; each operand's: hollow triangles)
    against cost per MAC, the Pareto front joined by a line and named (a matplotlib Figure)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 4.8), layout="constrained")
    ax = fig.add_subplot()
    xs = [float(r["gates_per_mac"]) for r in rows]
    ax.scatter(xs, [r["bits_weights"] for r in rows], marker="^", facecolors="none", edgecolors="0.55",
               label="weights' format on the weights' data")
    ax.scatter(xs, [r["bits_activations"] for r in rows], marker="v", facecolors="none", edgecolors="0.55",
               label="activations' format on the activations' data")
    ax.scatter(xs, [r["bits"] for r in rows], color="#1f4e79", zorder=3, label="the worse of the two")
    front = sorted((r for r in rows if r["front"]), key=lambda r: float(r["gates_per_mac"]))
    ax.plot([float(r["gates_per_mac"]) for r in front], [r["bits"] for r in front], color="#1f4e79",
            linewidth=1, label="Pareto front")
    for r in front:  # (the others are in the report's table)
        ax.annotate(r["name"], (float(r["gates_per_mac"]), r["bits"]), xytext=(5, -3), textcoords="offset points",
                    fontsize=7)
    ax.set_xlabel(("NAND2-equivalent gates" if unit == "gates" else f"area ({unit})") + " per MAC")
    ax.set_ylabel("bits of accuracy: log2(std(x) / RMSE)")
    ax.legend(fontsize=7, loc="lower right", frameon=False)
    if title:
        ax.set_title(title)
    return fig


def cost_accuracy_section(design, files: dict, folder: str) -> list[str]:
    """report.md's "Cost against accuracy" lines for a design with ``data:`` (its chart
    added to ``files``); nothing for one without."""
    from .charts import figure_files
    from .render import render

    rows = design_accuracy(design)
    if not rows:
        return []
    spec = design.data
    files.update(figure_files(cost_accuracy_chart(rows, f"{design.name}: cost against accuracy",
                                                  design.library.units["cost"]), f"{folder}/accuracy"))
    shown = [{"name": r["name"], "gates_per_mac": r["gates_per_mac"], "bits_weights": f"{r['bits_weights']:.2f}",
              "bits_activations": f"{r['bits_activations']:.2f}", "bits": f"{r['bits']:.2f}",
              "pareto": "yes" if r["front"] else ""} for r in rows]
    return ["## Cost against accuracy", "", "![cost against accuracy](accuracy.svg)", "",
            f"*Figure: bits of accuracy, log2(std(x) / RMSE), of each config's formats against its cost per MAC: "
            f"weights on `{spec['weights']}`, activations on `{spec['activations']}` ({spec['samples']:,} samples, "
            f"seed {spec['seed']}, {spec['scale']} scales; block formats their block scales); filled: the worse of "
            "the two operands, what the MAC keeps; the line joins the Pareto front of the worse, whose configs are "
            "named (the table has them all).*", "",
            render(shown, list(shown[0]), "markdown", precision=design.library.precision), ""]
