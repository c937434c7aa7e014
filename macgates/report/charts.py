"""Charts: Figure-3-style relative bars, gates by category, Pareto fronts, model against synthesis.

:func:`relative_chart`, :func:`breakdown_chart` and :func:`pareto_chart` take DataFrames
(from :func:`macgates.table` and :func:`breakdown_table`), :func:`synthesis_chart` rows,
and return matplotlib Figures a notebook user can restyle; an accumulator, a K and a
category have one colour, hatch or marker in every chart. Also here: the data the charts
draw (:func:`breakdown_table`, :func:`pareto_points`, :func:`pareto_front`,
:func:`group_fronts`) and :func:`figure_files`, which renders a figure as PNG and SVG
deterministically (fixed SVG hash salt, no dates). Figures are made without pyplot,
rendered by the non-interactive Agg and SVG backends, so no window ever opens; the text
on them is measured and placed by macgates.report.labels.
"""

from __future__ import annotations

import hashlib
from fractions import Fraction
from pathlib import Path

from ..datapath.graph import CATEGORIES
from ..files.outputs import write_files
from ..support.counts import decimals_for, fixed, numeric
from ..support.errors import MacgatesError
from .labels import draw, fit, fit_xticks, merge_coincident, place_labels, text_width
from .tables import as_design

PNG_DPI = 200
# -- colours: one meaning each, the same in every chart ------------------------------------
# An accumulator has one colour in every chart macgates draws (the relative and Pareto
# charts of every design and sweep). K is never a colour: bars show it by hatching, Pareto
# points by marker and front line style, each K always the same. Accumulators not listed
# get a colour of their own from OTHER_ACCUMULATOR_COLOURS (none of the listed ones), picked
# by a hash of the name. Categories (the breakdown chart) and the synthesis chart's series
# have pale and grey colours no accumulator has.
ACCUMULATOR_COLOURS = {"kulisch": "#1f4e79", "fp16": "#6aa84f", "bf16": "#8e7cc3", "fp32": "#e69138",
                       "tf32": "#c0504d"}
OTHER_ACCUMULATOR_COLOURS = ("#4bacc6", "#bf9000", "#a64d79", "#45818e", "#7f6000")
CATEGORY_COLOURS = dict(zip(CATEGORIES, ["#9fc5e8", "#f9cb9c", "#b6d7a8", "#d5a6bd", "#ffe599",
                                         "#ea9999", "#d9d9d9"]))
SYNTHESIS_COLOURS = {"model": "#bfbfbf", "calibrated": "#7f7f7f", "synthesis": "#262626"}
# K -> hatch (bars), marker and line style (Pareto charts); K = 1, 2, 4, ..., 128 fixed,
# any other K one of the OTHER_K_* by K modulo their number
K_HATCHES = {1: "", 2: "..", 4: "\\\\", 8: "--", 16: "//", 32: "xx", 64: "++", 128: "oo"}
K_MARKERS = {1: "o", 2: "v", 4: "s", 8: "P", 16: "^", 32: "D", 64: "X", 128: "*"}
K_LINESTYLES = {1: "-", 2: (0, (1, 1)), 4: "--", 8: (0, (3, 1, 1, 1, 1, 1)), 16: ":", 32: "-.",
                64: (0, (5, 1)), 128: (0, (1, 3))}
OTHER_K_HATCHES = ("||", "**", "OO", "\\\\||")
OTHER_K_MARKERS = ("<", ">", "h", "p", "d", "H")
OTHER_K_LINESTYLES = ((0, (3, 3)), (0, (7, 2, 1, 2)), (0, (2, 4)), (0, (9, 3)))


def accumulator_colours(names) -> dict:
    """Accumulator name -> its colour: ACCUMULATOR_COLOURS' for the names it lists; for any
    other, OTHER_ACCUMULATOR_COLOURS[sha256(name) mod 5], or when another of ``names`` has
    that colour already, the next free one (taken in name order, so the same names always
    get the same colours)."""
    out = {n: ACCUMULATOR_COLOURS[n] for n in names if n in ACCUMULATOR_COLOURS}
    taken: set = set()
    for n in sorted(set(names) - set(out)):
        start = int(hashlib.sha256(n.encode()).hexdigest(), 16) % len(OTHER_ACCUMULATOR_COLOURS)
        for step in range(len(OTHER_ACCUMULATOR_COLOURS)):
            colour = OTHER_ACCUMULATOR_COLOURS[(start + step) % len(OTHER_ACCUMULATOR_COLOURS)]
            if colour not in taken:
                break
        else:  # more unlisted accumulators than colours: they repeat
            colour = OTHER_ACCUMULATOR_COLOURS[start]
        taken.add(colour)
        out[n] = colour
    return out


def k_hatch(k: int) -> str:
    return K_HATCHES.get(k, OTHER_K_HATCHES[k % len(OTHER_K_HATCHES)])


def k_marker(k: int) -> str:
    return K_MARKERS.get(k, OTHER_K_MARKERS[k % len(OTHER_K_MARKERS)])


def k_linestyle(k: int):
    return K_LINESTYLES.get(k, OTHER_K_LINESTYLES[k % len(OTHER_K_LINESTYLES)])


# -- data ---------------------------------------------------------------------------------
def breakdown_rows(design) -> tuple[list[dict], list[str]]:
    """Exact whole-unit gates per category, one dict per config (``name``, ``k``, every
    category, ``total``), and the categories some config uses."""
    rows = []
    for cfg in design.configs:
        dp = design.build(cfg)
        cats = dp.by_category()
        rows.append({"name": cfg.name, "k": dp.macs, **{c: cats.get(c, 0) for c in CATEGORIES},
                     "total": dp.gates})
    return rows, [c for c in CATEGORIES if any(r[c] for r in rows)]


def breakdown_columns(rows, used) -> list[str]:
    """``name``, ``k`` when some config is a K-term unit (K > 1), the categories, ``total``."""
    return ["name", *(["k"] if any(r["k"] > 1 for r in rows) else []), *used, "total"]


def breakdown_table(design=None, library=None):
    """Whole-unit gates per category, one row per config: columns ``name``, ``k`` (the
    unit's number of terms; only when some config has K > 1, as in :func:`macgates.table`),
    the categories some config uses, ``total``. Category and total columns are numeric:
    int when every value is whole, else float."""
    design = as_design(design, library)
    return breakdown_frame(*breakdown_rows(design), design.library.precision, design.library.units["cost"])


def cost_label(frame) -> str:
    """What a chart calls its costs: NAND2-equivalent gates, or a library's own unit
    (``frame.attrs['cost_unit']``, as :func:`macgates.table` sets it: um^2 for a library
    calibrated to a liberty file)."""
    unit = frame.attrs.get("cost_unit", "gates")
    return "NAND2-equivalent gates" if unit == "gates" else f"area ({unit})"


def breakdown_frame(rows, used, precision=None, cost_unit: str = "gates"):
    """The DataFrame of :func:`breakdown_table` from :func:`breakdown_rows`
    (``attrs['precision']``: the library's stated precision, for the chart's labels;
    ``attrs['cost_unit']``: its cost unit)."""
    import pandas as pd

    columns = breakdown_columns(rows, used)
    frame = pd.DataFrame({c: [r[c] for r in rows] if c in ("name", "k") else numeric(r[c] for r in rows)
                          for c in columns}, columns=columns)
    frame.attrs["precision"] = precision
    frame.attrs["cost_unit"] = cost_unit
    return frame


def format_group(row) -> str:
    """The group a config's bar stands in: its input formats (``w``, or ``w × a`` when they
    differ), or ``custom`` for a datapath without formats."""
    w, a = row["weights"], row["activations"]
    if not w:
        return "custom"
    return w if w == a else f"{w} × {a}"


def _series(frame) -> tuple[list[str] | None, str | None]:
    """One series label per row and the legend's title: the accumulator, if it tells the
    configs of each group apart; else the accumulator and K, if they do; else (None, None)."""
    groups = [format_group(r) for _, r in frame.iterrows()]
    accs = [str(a) for a in frame["accumulator"]]
    if len(set(zip(groups, accs))) == len(accs):
        return accs, "accumulator"
    if "k" in frame and len(set(zip(groups, accs, frame["k"]))) == len(accs):
        ks = [int(k) for k in frame["k"]]
        if len(set(accs)) == 1:
            return [f"K={k}" for k in ks], "K (terms per unit)"
        return [f"{a}, K={k}" for a, k in zip(accs, ks)], "accumulator, K"
    return None, None


def _spelled_out(row) -> bool:
    """Does the config's name say no more than its formats, accumulator and K (``fp8_e4m3-fp16``,
    ``e4m3fn-k32``, ``int4xint8-fp32-k32``)? Then the group and legend of a Figure-3-style
    chart say all it does; otherwise the chart shows config names."""
    from ..formats.spec import format as get_format

    w, a = str(row["weights"]), str(row["activations"])
    k = int(row["k"]) if "k" in row else 1
    tokens = str(row["name"]).split("-")
    while len(tokens) > 1 and tokens[-1] in (str(row["accumulator"]), f"k{k}"):
        tokens.pop()
    head = "-".join(tokens)

    def names(text, fmt):
        if text == fmt:
            return True
        try:
            return get_format(text).name == fmt
        except MacgatesError:
            return False
    if w == a and names(head, w):
        return True
    return any(head[i] == "x" and names(head[:i], w) and names(head[i + 1:], a) for i in range(len(head)))


# -- chart layout helpers -----------------------------------------------------------------
MAX_WIDTH = 16.0   # inches: the widest chart
COMFORTABLE_WIDTH = 12.0  # inches: wider only to keep labels on fewer lines
BAR_WIDTH = 0.82   # of a bar's slot
GROUP_GAP = 0.7    # slots between two groups of bars (Figure 3)
NAMED_GAP = 0.5    # the same when every bar has its name under it
NAME_SIZE = 9      # pt: config names under bars
GROUP_SIZE = 10    # pt: format names under groups (Figure 3)


def _slot_inches(label_rows, n_slots: float, fixed: float, least: float = 0.38) -> float:
    """Inches per bar slot such that the labels of every row ((labels, spans, size,
    max_lines)) fit unrotated in as few lines as they can while the chart stays within 12
    inches, else within MAX_WIDTH; the narrowest such slot from ``least`` up. ``least`` if
    there is none (the labels then stand upright)."""
    for width in (COMFORTABLE_WIDTH, MAX_WIDTH):
        for lines in range(1, max(row[3] for row in label_rows) + 1):
            slot = least
            while slot <= 1.2 and n_slots * slot + fixed <= width:
                if all(fit(labels, spans, slot * 72, size, min(lines, most)) is not None
                       for labels, spans, size, most in label_rows):
                    return slot
                slot = round(slot + 0.02, 2)
    return least


def _legend_inches(labels, title: str, size: float = 10) -> float:
    """Roughly how wide a legend of ``labels`` under ``title`` is, handles included."""
    return (max(text_width(str(t), size) for t in [*labels, title]) + 45) / 72


def _sectioned_legend(target, entries, **options):
    """A legend on ``target`` (axes or figure) of ``entries`` ((text, handle)); an entry
    without a handle is a section's bold heading."""
    from matplotlib.lines import Line2D

    legend = target.legend([h or Line2D([], [], linestyle="none") for _, h in entries], [t for t, _ in entries],
                           frameon=False, **options)
    for text, (_, handle) in zip(legend.get_texts(), entries):
        if handle is None:
            text.set_fontweight("bold")
    return legend


# -- charts -------------------------------------------------------------------------------
def relative_chart(frame, title: str = "", baseline: str | None = None):
    """Bars of ``relative`` grouped by input format, value labels, a dashed line at 1.0.
    Returns a matplotlib Figure.

    Bars are laid out only for the configs there are: a group is as wide as its members.
    When the accumulator (or K) tells the bars of a group apart and some group has more
    than one, the chart is the whitepaper's Figure 3: formats under the groups, the
    accumulator and K in the legend. Otherwise (configs that differ in another option, or
    one config per format) each bar is labelled with its config name and the formats form
    a second row below. A bar's colour is its accumulator's, the same in every chart
    (:func:`accumulator_colours`); when the configs differ in K, a bar's hatching is its
    K's (:data:`K_HATCHES`), and the y axis says gates per MAC when some K > 1. Labels are
    wrapped at '-', '_' and spaces to fit their room, or stand upright where they cannot,
    so that none overlap; the chart is as wide as its bars need, at most 16 inches."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    if baseline is None:
        ones = frame.index[frame["relative"] == 1.0]
        baseline = frame.loc[ones[0], "name"] if len(ones) else "the baseline"
    rows = [r for _, r in frame.iterrows()]
    group_of = [format_group(r) for r in rows]
    groups = list(dict.fromkeys(group_of))
    members = {g: [i for i, h in enumerate(group_of) if h == g] for g in groups}
    series, _ = _series(frame)
    by_format = (series is not None and any(len(m) > 1 for m in members.values())
                 and all(_spelled_out(r) for r in rows))
    accs = [str(r["accumulator"]) for r in rows]
    ks = [int(r["k"]) if "k" in r else 1 for r in rows]
    acc_order = list(dict.fromkeys(accs))
    k_order = sorted(set(ks)) if len(set(ks)) > 1 else []  # K shown only where it varies
    colours = accumulator_colours(acc_order)
    if by_format:  # accumulator (in legend order), then K, within each group
        for g in groups:
            members[g].sort(key=lambda i: (acc_order.index(accs[i]), ks[i]))
    gap = GROUP_GAP if by_format else NAMED_GAP
    pos, centres, spans, x = {}, [], [], 0.0
    for g in groups:
        centres.append(x + (len(members[g]) - 1) / 2)
        spans.append(len(members[g]) + gap)
        for i in members[g]:
            pos[i] = x
            x += 1
        x += gap
    n_slots = x  # the groups, and half a gap either side of each
    bars = [i for g in groups for i in members[g]]
    names = [str(rows[i]["name"]) for i in bars]
    label_rows = [(groups, spans, GROUP_SIZE, 2)]
    if not by_format:
        label_rows.insert(0, (names, [1] * len(names), NAME_SIZE, 3))
    values = [f"{r['relative']:.2f}" for r in rows]
    value_pt = max(text_width(v, 8) for v in values) + 3  # a value label, with room either side
    legend = [("accumulator (colour)" if k_order else "accumulator", None),
              *((a, Patch(facecolor=colours[a], edgecolor="white")) for a in acc_order)]
    if k_order:
        legend += [("K, terms per unit (hatch)", None),
                   *((f"K={k}", Patch(facecolor="0.45", edgecolor="white", hatch=k_hatch(k)))
                     for k in k_order)]
    fixed = 1.0 + _legend_inches([t for t, _ in legend[1:]], legend[0][0])
    slot = _slot_inches(label_rows, n_slots, fixed, max(0.38, value_pt / 72))
    width = min(MAX_WIDTH, max(5.0, n_slots * slot + fixed))
    upright = (width - fixed) / n_slots * 72 < value_pt  # no room for the values side by side

    fig = Figure(figsize=(width, 4.8), layout="constrained")
    ax = fig.add_subplot()
    for i, row in enumerate(rows):
        drawn = ax.bar([pos[i]], [row["relative"]], BAR_WIDTH, color=colours[accs[i]], edgecolor="white",
                       linewidth=0.5, hatch=k_hatch(ks[i]) if k_order else None)
        ax.bar_label(drawn, labels=[values[i]], padding=2, fontsize=8, rotation=90 if upright else 0)
    ax.axhline(1.0, linestyle="--", color="0.35", linewidth=1, zorder=0)
    ax.set_xlim(-0.5 - gap / 2, n_slots - 0.5 - gap / 2)
    per_mac = any(k > 1 for k in ks)
    ax.set_ylabel(f"{cost_label(frame)}{' per MAC' if per_mac else ''}, relative to {baseline}")
    ax.set_ylim(0, max(frame["relative"]) * (1.2 if upright else 1.1))
    ax.set_title(title)
    if k_order:
        _sectioned_legend(ax, legend, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    else:
        ax.legend([h for _, h in legend[1:]], [t for t, _ in legend[1:]], title=legend[0][0], frameon=False,
                  loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.spines[["top", "right"]].set_visible(False)
    if by_format:
        ax.set_xlabel("input format (weights × activations)")
        tick_rows = [(ax, centres, groups, spans, GROUP_SIZE, 2)]
    else:
        below = ax.secondary_xaxis("bottom")
        below.spines["bottom"].set_visible(False)
        below.set_xlabel("config, grouped by input format (weights × activations)")
        tick_rows = [(ax, [pos[i] for i in bars], names, [1] * len(bars), NAME_SIZE, 3),
                     (below, centres, groups, spans, GROUP_SIZE, 2)]
    fit_xticks(fig, ax, n_slots, tick_rows)
    return fig


def breakdown_chart(frame, title: str = ""):
    """Stacked bars of gates per category, one bar per config, from :func:`breakdown_table`.
    Returns a matplotlib Figure.

    Whole units in NAND2-equivalents; when the frame has a ``k`` column with some K > 1,
    gates per MAC instead: each category and the total divided by the unit's K, so that a
    scalar MAC and a K-term dot-product unit compare (the y-axis and the totals say so)."""
    from matplotlib.figure import Figure

    cats = [c for c in frame.columns if c not in ("name", "k", "total")]
    ks = [int(k) for k in frame["k"]] if "k" in frame else [1] * len(frame)
    per_mac = any(k > 1 for k in ks)
    totals = [Fraction(str(t)) / k for t, k in zip(frame["total"], ks)]  # str: 1234.3, not its binary float
    # per MAC to the whole gate, else exact (the fewest decimals that show every total)
    total_labels = [f"{fixed(t, 0)}/MAC" if per_mac else
                    fixed(t, decimals_for(totals, precision=frame.attrs.get("precision"))) for t in totals]
    total_size = 7 if per_mac else 8
    names = [str(n) for n in frame["name"]]
    n_slots = len(frame) + 0.4
    fixed_in = 1.0 + _legend_inches(cats, "category")
    least = max(0.38, (max(text_width(t, total_size) for t in total_labels) + 6) / 72)
    label_rows = [(names, [1] * len(names), NAME_SIZE, 3)]
    width = min(MAX_WIDTH, max(5.0, n_slots * _slot_inches(label_rows, n_slots, fixed_in, least) + fixed_in))

    fig = Figure(figsize=(width, 5.0), layout="constrained")
    ax = fig.add_subplot()
    x = list(range(len(frame)))
    bottom = [0.0] * len(frame)
    for cat in cats:
        values = [float(v) / k for v, k in zip(frame[cat], ks)]
        ax.bar(x, values, 0.7, bottom=bottom, label=cat, color=CATEGORY_COLOURS.get(cat, "0.5"),
               edgecolor="white", linewidth=0.5)
        bottom = [b + v for b, v in zip(bottom, values)]
    for xi, total, text in zip(x, totals, total_labels):
        ax.annotate(text, (xi, float(total)), xytext=(0, 2), textcoords="offset points",
                    ha="center", va="bottom", fontsize=total_size)
    ax.set_xlim(-0.7, len(frame) - 0.3)
    unit = "gates" if frame.attrs.get("cost_unit", "gates") == "gates" else "area"
    ax.set_ylabel(f"{cost_label(frame)} per MAC (unit {unit} / K)" if per_mac else cost_label(frame))
    ax.set_ylim(0, max(float(t) for t in totals) * 1.12)
    ax.set_title(title)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], title="category", frameon=False,
              loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.spines[["top", "right"]].set_visible(False)
    fit_xticks(fig, ax, n_slots, [(ax, x, names, [1] * len(names), NAME_SIZE, 3)])
    return fig


# -- Pareto fronts --------------------------------------------------------------------------
def _element_range(fmt) -> float:
    """log2(largest / smallest positive value) of one element: for a block-scaled format,
    within one block (what the products and the accumulator see), its scale left out."""
    from math import log2

    return log2(fmt.max_value / fmt.min_positive)


def _scale_range(fmt) -> float:
    """What a block-scaled format's shared scale adds to the range (log2 of the scale's
    max / min positive); 0 for other formats."""
    from math import log2

    return log2(fmt.scale.max_value / fmt.scale.min_positive) if fmt.is_block else 0.0


def pareto_points(frame) -> list[dict]:
    """The rows a Pareto chart places (those with formats: a custom datapath has none), as
    dicts: ``label`` (config name, or for a sweep format-accumulator-k), ``short`` (the
    config name, or for a sweep the format, whose colours and markers show accumulator and
    K), ``cost`` (gates per MAC), ``range`` (per element: :func:`_element_range`),
    ``precision`` (mantissa bits) of the narrower input, ``scale`` (its block scale: None,
    or (scale format name, :func:`_scale_range`)), ``formats`` (weights, activations),
    ``accumulator``, ``k`` and the ``row``. Format names are looked up in
    ``frame.attrs["formats"]`` (a design's own formats, as :func:`macgates.table` and
    :func:`macgates.sweep` record them), then the built-in ones."""
    from ..formats.spec import lookup
    from .sweeps import config_name

    own = frame.attrs.get("formats") or {}
    known: dict = {}

    def get(name):
        if name not in known:
            known[name] = lookup(name, own)
        return known[name]
    out = []
    for _, r in frame.iterrows():
        w, a = r["weights"], r["activations"]
        if not w:
            continue
        fw, fa = get(w), get(a)
        narrow = min((fw, fa), key=_element_range)
        label = r["name"] if "name" in r else config_name({"weights": w, "activations": a,
                                                          "accumulator": r["accumulator"], "k": int(r["k"])})
        out.append({"label": label, "short": label if "name" in r else w if a == w else f"{w} × {a}",
                    "cost": float(r["gates_per_mac"]) if "gates_per_mac" in r else float(r["gates"]),
                    "range": _element_range(narrow), "precision": min(fw.precision_bits, fa.precision_bits),
                    "scale": (narrow.scale.name, _scale_range(narrow)) if narrow.is_block else None,
                    "formats": (w, a), "accumulator": str(r["accumulator"]),
                    "k": int(r["k"]) if "k" in r else 1, "row": r})
    return out


PARETO_FORMATS = 3  # a Pareto chart is drawn when some accumulator and K has this many input formats


def formats_per_group(points: list[dict]) -> int:
    """The most input formats any (accumulator, K) group of :func:`pareto_points` has."""
    groups: dict = {}
    for p in points:
        groups.setdefault((p["accumulator"], p["k"]), set()).add(p["formats"])
    return max((len(f) for f in groups.values()), default=0)


def pareto_worth_drawing(points: list[dict]) -> bool:
    """Whether some (accumulator, K) group of :func:`pareto_points` has configs of at
    least PARETO_FORMATS input formats: fronts are made within such a group, and with two
    formats a front is one line between two points, which the table says as well."""
    return formats_per_group(points) >= PARETO_FORMATS


def pareto_front(points: list[tuple]) -> set:
    """Indices of points no other point beats: as cheap or cheaper and as good or better,
    strictly in one. ``points`` are (cost, quality)."""
    # O(n log n): by cost; a point is beaten by a cheaper one at least as good, or by one
    # as cheap and strictly better. Equal points do not beat each other.
    order = sorted(range(len(points)), key=lambda i: points[i][0])
    front, best, start = set(), None, 0
    while start < len(order):
        end = start
        cost = points[order[start]][0]
        while end < len(order) and points[order[end]][0] == cost:
            end += 1
        same = order[start:end]
        top = max(points[i][1] for i in same)
        for i in same:
            q = points[i][1]
            if q == top and (best is None or q > best):
                front.add(i)
        best = top if best is None else max(best, top)
        start = end
    return front


def group_fronts(points: list[dict], quality: str) -> dict:
    """(accumulator, k) -> the indices of ``points`` on that group's Pareto front (gates per
    MAC against ``quality``), by quality; groups by accumulator as first seen, then k."""
    accs = list(dict.fromkeys(p["accumulator"] for p in points))
    groups: dict = {}
    for i, p in enumerate(points):
        groups.setdefault((p["accumulator"], p["k"]), []).append(i)
    fronts = {}
    for key in sorted(groups, key=lambda g: (accs.index(g[0]), g[1])):
        idx = groups[key]
        front = pareto_front([(points[i]["cost"], points[i][quality]) for i in idx])
        fronts[key] = sorted((idx[j] for j in front), key=lambda i: (points[i][quality], points[i]["cost"]))
    return fronts


def _marker_path(marker: str):
    from matplotlib.markers import MarkerStyle

    style = MarkerStyle(marker)
    return style.get_path().transformed(style.get_transform())


MAX_LABELS = 40       # point labels per panel
LABEL_ALL = 40        # a design with at most this many points has every point labelled
RASTER_POINTS = 400   # more points than this: the cloud is drawn as an image in the SVG


def pareto_chart(frame, title: str = ""):
    """Gates per MAC against dynamic range per element (log2 max/min positive) and against
    precision (mantissa bits) of the narrower input. Takes the DataFrame of
    :func:`macgates.table` or :func:`macgates.sweep`; returns a matplotlib Figure.

    Colour is the accumulator (:func:`accumulator_colours`, as in every chart), the
    marker K (terms per unit; :data:`K_MARKERS`). Pareto fronts are computed within each
    (accumulator, K) group, since a cheaper accumulator or a larger unit would otherwise
    make up every front; each front is a line in its accumulator's colour and its K's
    line style, its points outlined and labelled in that colour. A design's points are
    labelled with their config names, all of them when there are at most 40, else the
    fronts' points; a sweep's are labelled with their format (colour and marker tell the
    rest), only on fronts, each format once per panel, at its cheapest point on a front
    (points of one format share an x). At most 40 labels a panel. Points that sit on top
    of each other share one label. Labels are placed next to their points without
    overlapping each other, markers or front lines (farther ones with a leader line); one
    that fits nowhere is left out. More than 400 points are drawn as an image in an SVG.

    A block-scaled format (MX, NVFP4) is placed at its element's range: the shared scale
    moves whole blocks, but within a block (one dot product of K <= the block) the
    products and the accumulator see the element's range. What the scale adds is in the
    legend. The dynamic-range axis is logarithmic (base 2, symlog so that a range of 0
    can show) when the ranges span more than a factor of 8 (BF16's 8-bit exponent gives
    261 beside INT8's 7). The cost axis starts at 0, or is logarithmic when costs span
    more than a factor of 20."""
    from matplotlib.colors import to_rgba
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    points = pareto_points(frame)
    sweep = "name" not in frame.columns
    accs = list(dict.fromkeys(p["accumulator"] for p in points))
    ks = sorted({p["k"] for p in points})
    colour = accumulator_colours(accs)
    fig = Figure(figsize=(13.0, 6.2), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    ys = [p["cost"] for p in points]
    scales: dict = {}  # block scale -> (its range, the formats that have it)
    for p in points:
        if p["scale"]:
            scales.setdefault(p["scale"][0], (p["scale"][1], []))[1].append(p["short"] if not sweep else
                                                                            " × ".join(dict.fromkeys(p["formats"])))
    labelled = []
    for ax, quality, xlabel in ((axes[0], "range", "dynamic range per element of the narrower input\n"
                                 "log2(max / min positive)"),
                                (axes[1], "precision", "precision of the narrower input, mantissa bits")):
        xs = [p[quality] for p in points]
        fronts = group_fronts(points, quality)
        on_front = set().union(*fronts.values())
        dots = ax.scatter(xs, ys, s=[36 if i in on_front else 20 for i in range(len(points))],
                          c=[to_rgba(colour[p["accumulator"]], 1.0 if i in on_front else 0.45)
                             for i, p in enumerate(points)],
                          edgecolors=["black" if i in on_front else "none" for i in range(len(points))],
                          linewidths=0.6, zorder=3, rasterized=len(points) > RASTER_POINTS)
        dots.set_paths([_marker_path(k_marker(p["k"])) for p in points])
        for (acc, k), idx in fronts.items():
            ax.plot([xs[i] for i in idx], [ys[i] for i in idx], color=colour[acc], linestyle=k_linestyle(k),
                    linewidth=1.3, zorder=2, label=f"_front: {acc}, K={k}")
        if quality == "precision":
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if max(xs) == min(xs):  # one value: an axis a unit either side, not a zoom into nothing
            ax.set_xlim(xs[0] - 1, xs[0] + 1)
        if quality == "range" and max(xs) > 8 * max(min(xs), 1):
            ax.set_xscale("symlog", base=2, linthresh=1, linscale=0.25)
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}" if v >= 0 else ""))
            xlabel += ", log scale"
        if quality == "range" and scales:
            xlabel += "; block scales left out (legend)"
        ax.margins(x=0.06, y=0.07)
        if max(ys) > 20 * min(ys):
            ax.set_yscale("log")
        else:
            ax.set_ylim(bottom=0)
        ax.set_xlabel(xlabel)
        ax.spines[["top", "right"]].set_visible(False)
        if sweep:  # each format once, at its cheapest front point
            cheapest: dict = {}
            for i in sorted(on_front, key=lambda i: (ys[i], i)):
                cheapest.setdefault(points[i]["short"], i)
            order = list(cheapest.values())
        else:
            order = sorted(range(len(points)) if len(points) <= LABEL_ALL else on_front,
                           key=lambda i: (i not in on_front, i))  # the fronts' first
        items = [(i, points[i]["short"], colour[points[i]["accumulator"]] if i in on_front else "0.4")
                 for i in order[:MAX_LABELS]]
        labelled.append((ax, xs, fronts, items))
    axes[0].set_ylabel(f"{cost_label(frame)} per MAC")
    entries = [("accumulator (colour)", None)]
    entries += [(a, Line2D([], [], marker="o", linestyle="none", color=colour[a])) for a in accs]
    if len(ks) > 1:
        entries += [("K, terms per unit (marker)", None)]
        entries += [(f"K={k}", Line2D([], [], marker=k_marker(k), linestyle=k_linestyle(k), color="0.35"))
                    for k in ks]
    entries += [("Pareto front", None),
                ("within each accumulator" + (" and K" if len(ks) > 1 else ""),
                 Line2D([], [], marker="o", color="0.35", markeredgecolor="black"))]
    if scales:
        entries += [("block scale (not on the x axis)", None)]
        for name, (extent, formats) in scales.items():
            entries += [(f"{name} scale: +{extent:.3g}\n{_some(list(dict.fromkeys(formats)), 26)}",
                         Line2D([], [], linestyle="none"))]
    _sectioned_legend(fig, entries, loc="outside right upper", fontsize=9)
    fig.suptitle(title)
    renderer = draw(fig)
    px_per_pt = fig.dpi / 72
    for ax, xs, fronts, items in labelled:
        at = ax.transData.transform(list(zip(xs, ys))).tolist()  # display units
        segments = [(at[i], at[j]) for idx in fronts.values() for i, j in zip(idx, idx[1:])]
        place_labels(fig, ax, renderer, merge_coincident(items, at, xs, ys, 4 * px_per_pt), at, segments)
    return fig


def _some(names: list, width: int) -> str:
    """As many of ``names`` as fit in about ``width`` characters, and how many more."""
    shown = names[:1]
    for n in names[1:]:
        if len(", ".join([*shown, n])) > width:
            break
        shown.append(n)
    return ", ".join(shown) + (f" +{len(names) - len(shown)} more" if len(names) > len(shown) else "")


# -- PNG and SVG ------------------------------------------------------------------------------
def figure_files(fig, stem: str) -> dict:
    """``{stem.png: bytes, stem.svg: bytes}``: the figure as PNG (PNG_DPI) and SVG,
    deterministically (fixed SVG hash salt, no dates), rendered in memory."""
    import io

    import matplotlib

    out = {}
    with matplotlib.rc_context({"svg.hashsalt": "macgates", "svg.fonttype": "path"}):
        for suffix, options in ((".png", {"dpi": PNG_DPI, "metadata": {"Software": None}}),
                                (".svg", {"metadata": {"Date": None}})):
            buffer = io.BytesIO()
            fig.savefig(buffer, format=suffix[1:], **options)
            out[stem + suffix] = buffer.getvalue()
    return out


def save(fig, stem: Path) -> list[Path]:
    """Write ``stem``.png and ``stem``.svg (see :func:`figure_files`)."""
    stem = Path(stem)
    return write_files(stem.parent, figure_files(fig, stem.name))


# -- model against synthesis --------------------------------------------------------------
SYNTHESIS_LABELS = {"model": "App. B model", "calibrated": "calibrated model", "synthesis": "synthesis (Yosys)"}


def synthesis_chart(rows: list[dict], title: str = "", baseline: str = "", per_mac: bool = False):
    """Horizontal grouped bars, a group per config (first at the top), a bar per series
    (``model``, ``calibrated``, ``synthesis``: the keys of ``rows`` besides ``name`` that
    hold numbers, each relative to the baseline per MAC). When the rows also have
    ``<series>_gates`` (gates, per MAC when ``per_mac``), a first panel shows those: the
    model's and the calibrated model's bars labelled with their error against synthesis
    ((model - synthesis) / synthesis), so that an absolute gap the relative values cancel
    shows. Returns a matplotlib Figure."""
    from matplotlib.figure import Figure

    series = [key for key in SYNTHESIS_COLOURS if key in rows[0]]
    absolute = all(f"{key}_gates" in rows[0] for key in series)
    names = [str(r["name"]) for r in rows]
    bar = 0.8 / len(series)
    height = 1.6 + len(rows) * (0.14 * len(series) + 0.1)
    name_in = max(text_width(n, NAME_SIZE) for n in names) / 72
    fig = Figure(figsize=(min(MAX_WIDTH, name_in + (11.0 if absolute else 6.0)), height), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True) if absolute else [fig.add_subplot()]
    panels = [(axes[-1], "", f"relative to {baseline}, per MAC")]
    if absolute:
        panels.insert(0, (axes[0], "_gates",
                          "NAND2-equivalent gates" + (" per MAC (unit gates / K)" if per_mac else "")))
    for ax, suffix, xlabel in panels:
        values = {key: [float(r[key + suffix]) for r in rows] for key in series}
        for j, key in enumerate(series):
            ys = [i + (j - (len(series) - 1) / 2) * bar for i in range(len(rows))]
            drawn = ax.barh(ys, values[key], bar, color=SYNTHESIS_COLOURS[key], edgecolor="white", linewidth=0.5,
                            label=SYNTHESIS_LABELS[key])
            if suffix:
                synth = [Fraction(r["synthesis_gates"]) for r in rows]
                texts = [fixed(Fraction(r[key + suffix]), 0) + ("" if key == "synthesis" else
                         f" ({'+' if Fraction(r[key + suffix]) >= s else '-'}"
                         f"{fixed(abs(Fraction(r[key + suffix]) - s) / s * 100, 1)}%)") for r, s in zip(rows, synth)]
            else:
                texts = [fixed(Fraction(r[key]), 2) for r in rows]
            ax.bar_label(drawn, labels=texts, padding=2, fontsize=7)
        if not suffix:
            ax.axvline(1.0, linestyle="--", color="0.35", linewidth=1, zorder=0)
        ax.set_xlim(0, max(max(v) for v in values.values()) * (1.32 if suffix else 1.15))
        ax.set_xlabel(xlabel)
        ax.spines[["top", "right"]].set_visible(False)
    axes[0].set_yticks(range(len(rows)), names, fontsize=NAME_SIZE)
    axes[0].set_ylim(len(rows) - 0.5, -0.5)  # the first config at the top
    fig.suptitle(title)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=len(series), frameon=False)
    return fig


CLOCK_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h")


def clock_chart(curves: dict, title: str = "", groups: dict | None = None, unit: str = "um^2"):
    """Area against the clock period reached, a line per config: ``curves`` maps a config's
    name to its points (dicts with ``clock_ns``, ``area``, ``critical_ns``, ``met``), one per
    clock it was mapped for (``macgates synth --liberty ... --clock ...``). A filled marker:
    the period meets that clock; hollow: it does not. ``groups``: name -> (accumulator, input
    format): colour by accumulator (as the other charts), marker by format. Returns a
    matplotlib Figure."""
    from matplotlib.figure import Figure

    groups = groups or {}
    colours = accumulator_colours(sorted({groups.get(n, ("", ""))[0] for n in curves}))
    formats = list(dict.fromkeys(groups.get(n, ("", n))[1] for n in curves))
    fig = Figure(figsize=(9.0, 5.6), layout="constrained")
    ax = fig.add_subplot()
    for name, points in curves.items():
        accumulator, fmt = groups.get(name, ("", name))
        points = sorted(points, key=lambda p: p["clock_ns"])
        colour, marker = colours[accumulator], CLOCK_MARKERS[formats.index(fmt) % len(CLOCK_MARKERS)]
        xs, ys = [p["critical_ns"] for p in points], [p["area"] for p in points]
        ax.plot(xs, ys, "-", color=colour, linewidth=1.2, marker=marker, markersize=6, markerfacecolor="white",
                markeredgewidth=1.2, label=name, zorder=2)
        for p, x, y in zip(points, xs, ys):
            if p["met"]:
                ax.plot([x], [y], marker, markersize=6, color=colour, zorder=3)
    ax.set_xlabel("clock period reached (ns): the synthesized netlist's critical path")
    ax.set_ylabel(f"area ({unit})")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.grid(True, color="0.9", linewidth=0.6, zorder=0)
    ax.spines[["top", "right"]].set_visible(False)
    fig.suptitle(title)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside right center", frameon=False, fontsize=8)
    return fig
