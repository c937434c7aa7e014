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
import warnings
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

from .datapath import CATEGORIES
from .errors import MacgatesError, shown
from .numbers import decimals_for, fixed, numeric, plural
from .outputs import write_files
from .render import fixed3, render
from .resources import designs_dir
from .tables import as_design, columns_of, table_records

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


WHITEPAPER = {"fp16": "1.53", "fp32": "2.83"}  # Figure 3 headline ratios, for comparison


# -- data ---------------------------------------------------------------------------------
def _breakdown_rows(design) -> tuple[list[dict], list[str]]:
    """Exact whole-unit gates per category, one dict per config (``name``, ``k``, every
    category, ``total``), and the categories some config uses."""
    rows = []
    for cfg in design.configs:
        dp = design.build(cfg)
        cats = dp.by_category()
        rows.append({"name": cfg.name, "k": dp.macs, **{c: cats.get(c, 0) for c in CATEGORIES},
                     "total": dp.gates})
    return rows, [c for c in CATEGORIES if any(r[c] for r in rows)]


def _breakdown_columns(rows, used) -> list[str]:
    """``name``, ``k`` when some config is a K-term unit (K > 1), the categories, ``total``."""
    return ["name", *(["k"] if any(r["k"] > 1 for r in rows) else []), *used, "total"]


def breakdown_table(design=None, library=None):
    """Whole-unit gates per category, one row per config: columns ``name``, ``k`` (the
    unit's number of terms; only when some config has K > 1, as in :func:`macgates.table`),
    the categories some config uses, ``total``. Category and total columns are numeric:
    int when every value is whole, else float."""
    design = as_design(design, library)
    return _breakdown_frame(*_breakdown_rows(design), design.library.precision)


def _breakdown_frame(rows, used, precision=None):
    """The DataFrame of :func:`breakdown_table` from :func:`_breakdown_rows`
    (``attrs['precision']``: the library's stated precision, for the chart's labels)."""
    import pandas as pd

    columns = _breakdown_columns(rows, used)
    frame = pd.DataFrame({c: [r[c] for r in rows] if c in ("name", "k") else numeric(r[c] for r in rows)
                          for c in columns}, columns=columns)
    frame.attrs["precision"] = precision
    return frame


def _group(row) -> str:
    w, a = row["weights"], row["activations"]
    if not w:
        return "custom"
    return w if w == a else f"{w} × {a}"


def _series(frame) -> tuple[list[str] | None, str | None]:
    """One series label per row and the legend's title: the accumulator, if it tells the
    configs of each group apart; else the accumulator and K, if they do; else (None, None)."""
    groups = [_group(r) for _, r in frame.iterrows()]
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
    from .formats import format as get_format

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
POINT_SIZE = 7     # pt: Pareto point labels


def _text_width(text: str, size: float) -> float:
    """Width in points of ``text`` (its widest line) in the current default font at ``size`` pt."""
    import matplotlib

    font = (tuple(matplotlib.rcParams["font.family"]), tuple(matplotlib.rcParams["font.sans-serif"]))
    return max(_line_width(line, size, font) for line in text.split("\n"))


@lru_cache(maxsize=8192)
def _line_width(line: str, size: float, font: tuple) -> float:
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    if not line:
        return 0.0
    return text_to_path.get_text_width_height_descent(line, FontProperties(size=size), ismath=False)[0]


def _wrap(label: str, limit: float, size: float, max_lines: int) -> str | None:
    """``label`` broken after '-', '_' and spaces into the fewest lines (at most
    ``max_lines``) no wider than ``limit`` points, the widest line as narrow as it can be;
    None when it cannot be."""
    from itertools import combinations

    tokens = re.findall(r".+?(?:[-_]|\s+|$)", label)
    if not tokens:
        return label
    for n in range(1, min(max_lines, len(tokens)) + 1):
        best = None
        for cuts in combinations(range(1, len(tokens)), n - 1):
            edges = (0, *cuts, len(tokens))
            lines = ["".join(tokens[i:j]).strip() for i, j in zip(edges, edges[1:])]
            widest = max(_text_width(line, size) for line in lines)
            if widest <= limit and (best is None or widest < best[0]):
                best = (widest, lines)
        if best:
            return "\n".join(best[1])
    return None


def _fit(labels, spans, unit_pt: float, size: float, max_lines: int) -> list[str] | None:
    """Each label wrapped to its span (in bar slots of ``unit_pt`` points, less a margin),
    or None if one does not fit."""
    out = [_wrap(label, span * unit_pt - 8.0, size, max_lines) for label, span in zip(labels, spans)]
    return None if any(o is None for o in out) else out


def _slot_inches(label_rows, n_slots: float, fixed: float, least: float = 0.38) -> float:
    """Inches per bar slot such that the labels of every row ((labels, spans, size,
    max_lines)) fit unrotated in as few lines as they can while the chart stays within 12
    inches, else within MAX_WIDTH; the narrowest such slot from ``least`` up. ``least`` if
    there is none (the labels then stand upright)."""
    for width in (COMFORTABLE_WIDTH, MAX_WIDTH):
        for lines in range(1, max(row[3] for row in label_rows) + 1):
            slot = least
            while slot <= 1.2 and n_slots * slot + fixed <= width:
                if all(_fit(labels, spans, slot * 72, size, min(lines, most)) is not None
                       for labels, spans, size, most in label_rows):
                    return slot
                slot = round(slot + 0.02, 2)
    return least


def _legend_inches(labels, title: str, size: float = 10) -> float:
    """Roughly how wide a legend of ``labels`` under ``title`` is, handles included."""
    return (max(_text_width(str(t), size) for t in [*labels, title]) + 45) / 72


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


def _draw(fig):
    """Lay ``fig`` out and draw it on an Agg canvas (attached if need be; never pyplot), so
    that text can be measured; returns the renderer."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    with warnings.catch_warnings():  # a layout on the way may not fit yet; saving warns if the last does not
        warnings.filterwarnings("ignore", "constrained_layout not applied", UserWarning)
        fig.canvas.draw()
    return fig.canvas.get_renderer()


def _xtick_labels(ax) -> list:
    """The x tick labels with text of ``ax`` and of its secondary axes."""
    return [t for a in (ax, *ax.child_axes) for t in a.get_xticklabels() if t.get_visible() and t.get_text()]


def _fit_xticks(fig, ax, n_slots: float, rows) -> None:
    """Set the tick labels of ``rows`` ((axes, ticks, labels, spans, size, max_lines); the
    first on ``ax``, a second one a secondary axis below it), each wrapped to the room of
    its span, measured on the laid-out figure; a row that cannot be wrapped to fit stands
    upright. A second row is put just below the first. Labels taller than an inch in all
    make the figure taller by the excess, so the plot keeps its height."""
    import matplotlib

    def place(rotated: set):
        for n, (a, ticks, labels, spans, size, lines) in enumerate(rows):
            wrapped = None if n in rotated else _fit(labels, spans, unit_pt, size, lines)
            if wrapped is None:
                rotated.add(n)
            a.set_xticks(ticks, wrapped or labels, fontsize=size, rotation=90 if n in rotated else 0,
                         ha="center", va="top")
        if len(rows) > 1:  # the second row below the first's tallest label
            renderer = _draw(fig)
            tallest = max(t.get_window_extent(renderer).height for t in ax.get_xticklabels())
            gap = matplotlib.rcParams["xtick.major.size"] + matplotlib.rcParams["xtick.major.pad"]
            rows[1][0].tick_params(axis="x", length=0, pad=gap + tallest * 72 / fig.dpi + 4)
        renderer = _draw(fig)
        boxes = [t.get_window_extent(renderer).extents for t in _xtick_labels(ax)]
        return any(_meets(p, q) for i, p in enumerate(boxes) for q in boxes[i + 1:])

    _draw(fig)
    unit_pt = ax.get_window_extent().width * 72 / fig.dpi / n_slots
    rotated: set = set()
    if place(rotated) and len(rotated) < len(rows):
        place(set(range(len(rows))))
    renderer = fig.canvas.get_renderer()
    tall = sum(max(t.get_window_extent(renderer).height for t in row[0].get_xticklabels()) for row in rows) / fig.dpi
    if tall > 1.0:
        fig.set_figheight(fig.get_figheight() + tall - 1.0)


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
    group_of = [_group(r) for r in rows]
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
    value_pt = max(_text_width(v, 8) for v in values) + 3  # a value label, with room either side
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
    ax.set_ylabel(f"NAND2-equivalent gates{' per MAC' if per_mac else ''}, relative to {baseline}")
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
    _fit_xticks(fig, ax, n_slots, tick_rows)
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
    least = max(0.38, (max(_text_width(t, total_size) for t in total_labels) + 6) / 72)
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
    ax.set_ylabel("NAND2-equivalent gates per MAC (unit gates / K)" if per_mac else "NAND2-equivalent gates")
    ax.set_ylim(0, max(float(t) for t in totals) * 1.12)
    ax.set_title(title)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], title="category", frameon=False,
              loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.spines[["top", "right"]].set_visible(False)
    _fit_xticks(fig, ax, n_slots, [(ax, x, names, [1] * len(names), NAME_SIZE, 3)])
    return fig


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


def _pareto_points(frame) -> list[dict]:
    """The rows a Pareto chart places (those with formats: a custom datapath has none), as
    dicts: ``label`` (config name, or for a sweep format-accumulator-k), ``short`` (the
    config name, or for a sweep the format, whose colours and markers show accumulator and
    K), ``cost`` (gates per MAC), ``range`` (per element: :func:`_element_range`),
    ``precision`` (mantissa bits) of the narrower input, ``scale`` (its block scale: None,
    or (scale format name, :func:`_scale_range`)), ``formats`` (weights, activations),
    ``accumulator``, ``k`` and the ``row``. Format names are looked up in
    ``frame.attrs["formats"]`` (a design's own formats, as :func:`macgates.table` and
    :func:`macgates.sweep` record them), then the built-in ones."""
    from .formats import lookup
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


def _formats_per_group(points: list[dict]) -> int:
    """The most input formats any (accumulator, K) group of :func:`_pareto_points` has."""
    groups: dict = {}
    for p in points:
        groups.setdefault((p["accumulator"], p["k"]), set()).add(p["formats"])
    return max((len(f) for f in groups.values()), default=0)


def pareto_worth_drawing(points: list[dict]) -> bool:
    """Whether some (accumulator, K) group of :func:`_pareto_points` has configs of at
    least PARETO_FORMATS input formats: fronts are made within such a group, and with two
    formats a front is one line between two points, which the table says as well."""
    return _formats_per_group(points) >= PARETO_FORMATS


def _pareto_missing(points: list[dict]) -> str:
    """Why :func:`pareto_worth_drawing` is False, in a sentence."""
    most = _formats_per_group(points)
    return (f"No Pareto chart: no accumulator and K here has configs of {PARETO_FORMATS} or more input formats "
            f"(at most {most}), and fronts are made within one accumulator and K; a front of "
            f"{'two points' if most == 2 else 'one point' if most == 1 else 'no points'} says no more than the table.")


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


def _group_fronts(points: list[dict], quality: str) -> dict:
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


def _segment_hits(p, q, box) -> bool:
    """Whether the segment p-q meets ``box`` (x0, y0, x1, y1): Liang-Barsky clipping."""
    t0, t1 = 0.0, 1.0
    for start, delta, lo, hi in ((p[0], q[0] - p[0], box[0], box[2]), (p[1], q[1] - p[1], box[1], box[3])):
        if delta == 0:
            if start < lo or start > hi:
                return False
            continue
        a, b = (lo - start) / delta, (hi - start) / delta
        t0, t1 = max(t0, min(a, b)), min(t1, max(a, b))
        if t0 > t1:
            return False
    return True


def _meets(a, b, pad: float = 0.0) -> bool:
    """Whether boxes ``a`` and ``b`` ((x0, y0, x1, y1)) overlap or come closer than ``pad``."""
    return a[0] < b[2] + pad and b[0] < a[2] + pad and a[1] < b[3] + pad and b[1] < a[3] + pad


_RINGS = (3, 7, 12, 18, 25, 33, 42, 53, 66)  # label offsets tried, points from the point
_NEAR = 12                                   # from this offset on, a leader line


def _directions(radius: float) -> list[tuple]:
    """Unit offsets, the four diagonals first; 16 of them on the outer rings."""
    from math import cos, pi, sin

    first = [(1, 1), (1, -1), (-1, 1), (-1, -1), (1, 0), (-1, 0), (0, 1), (0, -1)]
    out = [(x / abs(complex(x, y)), y / abs(complex(x, y))) for x, y in first]
    if radius >= _NEAR:
        out += [(cos(a * pi / 8), sin(a * pi / 8)) for a in (1, 3, 5, 7, 9, 11, 13, 15)]
    return out


def _place_labels(fig, ax, renderer, items, markers_px, lines_px=()) -> int:
    """Annotate ``items`` ((text, x, y, colour), in priority order) next to their points so
    that no two labels overlap. A greedy search: offsets on rings of growing radius around
    the point, each label taking the first, in order of preference, whose box stays inside
    the axes and meets no label placed before, no leader line and no front line
    (``lines_px``, pairs of display points). Preferred, in this order:

    0. a near offset whose box covers no marker (``markers_px``, display units), keeps
       clear of other points and is nearer its own point than any other;
    1. a far offset, with a thin leader line that crosses no other marker, the box clear of
       other points;
    2. a far offset whose box covers no marker;
    3. any free offset;
    4. any offset free but for front lines: the label's box is then opaque, so that the
       line passes behind it rather than through its text.

    Returns how many labels fitted nowhere (they are left out)."""
    import numpy as np
    from matplotlib.text import Text

    px_per_pt = fig.dpi / 72
    frame = ax.get_window_extent(renderer).padded(-2).extents
    markers = np.asarray(markers_px, dtype=float).reshape(-1, 2)
    half = 4 * px_per_pt  # a marker's half size, with a margin
    gap, clear = 1.5 * px_per_pt, 5 * px_per_pt
    placed, leaders, left_out = [], [], 0
    for text, x, y, colour in items:
        px, py = (float(v) for v in ax.transData.transform((x, y)))
        probe = Text(0, 0, text, fontsize=POINT_SIZE)
        probe.set_figure(fig)
        size = probe.get_window_extent(renderer)
        w, h = size.width, size.height
        reach = _RINGS[-1] * px_per_pt + w + h  # nothing farther can meet a candidate
        area = (px - reach, py - reach, px + reach, py + reach)
        near = markers[(abs(markers[:, 0] - px) < reach) & (abs(markers[:, 1] - py) < reach)]
        others = near[np.hypot(near[:, 0] - px, near[:, 1] - py) > half]  # not this point, nor one on it
        boxes = [(mx - half, my - half, mx + half, my + half) for mx, my in near.tolist()]
        other_boxes = [(mx - half, my - half, mx + half, my + half) for mx, my in others.tolist()]
        segments = [(p, q) for p, q in lines_px if _segment_hits(p, q, area)]
        near_placed = [b for b in placed if _meets(b, area)]
        near_leaders = [(p, q) for p, q in leaders if _segment_hits(p, q, area)]

        def candidate(radius, dx, dy):
            ha = "left" if dx > 0.3 else "right" if dx < -0.3 else "center"
            va = "bottom" if dy > 0.3 else "top" if dy < -0.3 else "center"
            ax_, ay = px + radius * dx * px_per_pt, py + radius * dy * px_per_pt
            x0 = ax_ if ha == "left" else ax_ - w if ha == "right" else ax_ - w / 2
            y0 = ay if va == "bottom" else ay - h if va == "top" else ay - h / 2
            return (x0, y0, x0 + w, y0 + h), ha, va

        def distance(box, qx, qy):
            return np.hypot(np.maximum(np.maximum(box[0] - qx, qx - box[2]), 0),
                            np.maximum(np.maximum(box[1] - qy, qy - box[3]), 0))

        def free(box, radius, level):
            if not (frame[0] <= box[0] and box[2] <= frame[2] and frame[1] <= box[1] and box[3] <= frame[3]):
                return False
            if any(_meets(box, other, gap) for other in near_placed):
                return False
            if any(_segment_hits(p, q, box) for p, q in near_leaders):
                return False
            if level < 4 and any(_segment_hits(p, q, box) for p, q in segments):
                return False  # a front line would strike through it
            leader = ((px, py), ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2))
            if radius >= _NEAR and any(_segment_hits(*leader, other) for other in near_placed):
                return False
            if level >= 3:
                return True
            if any(_meets(box, m) for m in boxes):
                return False
            if level == 2:
                return True
            if len(others) and distance(box, *others.T).min() < clear:
                return False  # hard by another point's marker
            if radius >= _NEAR:  # the leader shows whose label it is
                return not any(_segment_hits(*leader, m) for m in other_boxes)
            return not len(others) or distance(box, px, py) + 2 * px_per_pt < distance(box, *others.T).min()

        choice = None
        for rings, level in ((_RINGS[:5], 0), (_RINGS[5:], 1), (_RINGS[2:], 2), (_RINGS, 3), (_RINGS, 4)):
            choice = next(((r, d) for r in rings for d in _directions(r) if free(candidate(r, *d)[0], r, level)),
                          None)
            if choice:
                break
        if choice is None:
            left_out += 1
            continue
        radius, (dx, dy) = choice
        box, ha, va = candidate(radius, dx, dy)
        arrow = dict(arrowstyle="-", color="0.6", linewidth=0.5, shrinkA=0, shrinkB=2) if radius >= _NEAR else None
        label = ax.annotate(text, (x, y), xytext=(radius * dx, radius * dy), textcoords="offset points",
                            ha=ha, va=va, fontsize=POINT_SIZE, color=colour, arrowprops=arrow,
                            bbox=dict(boxstyle="square,pad=0.1", facecolor="white", edgecolor="none",
                                      alpha=1.0 if level == 4 else 0.7), zorder=4 if level == 4 else 3)
        label.set_in_layout(False)
        placed.append(box)
        if arrow:
            leaders.append(((px, py), ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)))
    return left_out


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

    points = _pareto_points(frame)
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
        fronts = _group_fronts(points, quality)
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
    axes[0].set_ylabel("NAND2-equivalent gates per MAC")
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
    renderer = _draw(fig)
    px_per_pt = fig.dpi / 72
    for ax, xs, fronts, items in labelled:
        at = ax.transData.transform(list(zip(xs, ys))).tolist()  # display units
        segments = [(at[i], at[j]) for idx in fronts.values() for i, j in zip(idx, idx[1:])]
        _place_labels(fig, ax, renderer, _merge_coincident(items, at, xs, ys, 4 * px_per_pt), at, segments)
    return fig


def _some(names: list, width: int) -> str:
    """As many of ``names`` as fit in about ``width`` characters, and how many more."""
    shown = names[:1]
    for n in names[1:]:
        if len(", ".join([*shown, n])) > width:
            break
        shown.append(n)
    return ", ".join(shown) + (f" +{len(names) - len(shown)} more" if len(names) > len(shown) else "")


def _merge_coincident(items, at, xs, ys, within: float) -> list:
    """``items`` ((point, text, colour), in priority order) as (text, x, y, colour), those
    whose points are within ``within`` display units of an earlier one's folded into its
    label (one name a line; dark grey when their colours differ): two markers on one spot
    get one label that names both, not two that each seem to name the visible one."""
    out = []
    for i, text, colour in items:
        for entry in out:
            j = entry[0]
            if abs(at[i][0] - at[j][0]) <= within and abs(at[i][1] - at[j][1]) <= within:
                if text not in entry[1]:
                    entry[1].append(text)
                    entry[2] = colour if colour == entry[2] else "0.25"
                break
        else:
            out.append([i, [text], colour])
    return [("\n".join(texts), xs[i], ys[i], c) for i, texts, c in out]


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


# -- the markdown report ------------------------------------------------------------------
def slug(design) -> str:
    if design.path is not None:
        return design.path.stem
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", design.name).strip("_") or "design"


def findings(rows: list[dict], baseline: str, changed=(), precision: int | None = None) -> list[str]:
    """Sentences computed from the table rows. ``changed``: the primitives whose costs
    differ from the bundled (whitepaper App. B) library; with any, the whitepaper's own
    ratios are not set beside these."""
    out = []
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(_group(r), []).append(r)
    for g, members in groups.items():
        if len(members) < 2:
            continue
        per_mac = any(r.get("k", 1) > 1 for r in members)
        cost = "gates_per_mac" if per_mac else "gates"
        best = min(members, key=lambda r: r[cost])
        others = ", ".join(f"{r['name']} {fixed(Fraction(r[cost]) / Fraction(best[cost]), 2)}x"
                           for r in members if r is not best)
        out.append(f"For {g}, {best['name']} is the cheapest ({fixed(best[cost], decimals_for([best[cost]], precision=precision))} "
                   f"gates{' per MAC' if per_mac else ''}); relative to it: {others}.")
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
    from .library import BUNDLED

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
    from . import __version__
    import matplotlib

    if design.path is None:
        where = "a list of configs"
    elif design.path.resolve().parent == designs_dir().resolve():
        where = f"designs/{design.path.name}"  # bundled: the same text wherever installed
    else:
        where = str(design.path)
    return [
        f"- Design: `{where}`" + (f" ({design.description})" if design.description else ""),
        f"- Numbers: macgates {__version__}; each config is a datapath of library components "
        "(see docs/datapaths.md); gates are NAND2 equivalents, C = sum(fan-in - 1) "
        "(whitepaper App. B).",
        *_library_lines(design.library),
        f"- Charts: matplotlib {matplotlib.__version__}, PNG at {PNG_DPI} dpi and SVG.",
    ]


def report(design=None, out_dir="reports", library=None, synthesis=None) -> list[Path]:
    """Write a design's report under ``out_dir``/<design>/; returns the written paths."""
    return write_files(out_dir, report_files(design, library, synthesis))


PER_MAC_NOTE = " per MAC (each unit's gates / K)"


def report_files(design=None, library=None, synthesis=None, notes: list | None = None) -> dict:
    """A design's report as ``{"<design>/relative.png": bytes, ..., "<design>/report.md":
    text}``, made in memory: nothing is written. ``synthesis``: config name -> its row
    of a ``macgates synth`` CSV (:func:`read_synthesis`); with current rows for this
    design's baseline and another config, the report adds a model-against-synthesis
    chart. ``notes``: a list to which a :class:`SynthesisNote` is appended for each reason
    some of ``synthesis``'s rows for this design's configs are not in that chart (the
    report says them too)."""
    design = as_design(design, library)
    rows = table_records(design)
    baseline = next(r["name"] for r in rows if r["relative"] == 1)
    import pandas as pd

    frame = pd.DataFrame(rows, columns=list(columns_of(rows)))
    frame["relative"] = [float(r["relative"]) for r in rows]
    frame.attrs["formats"] = dict(design.formats)
    part_rows, used = _breakdown_rows(design)
    precision = design.library.precision
    parts = _breakdown_frame(part_rows, used, precision)
    per_mac = "k" in parts.columns  # the charts show gates per MAC; the tables whole units
    folder = slug(design)
    files = figure_files(relative_chart(frame, design.name, baseline), f"{folder}/relative")
    files.update(figure_files(breakdown_chart(parts, f"{design.name}: gates {'per MAC ' if per_mac else ''}"
                                                     "by category"), f"{folder}/breakdown"))
    points = _pareto_points(frame)
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
    accumulator_text = "colour: accumulator" + (", hatching: K" if len({r["k"] for r in rows}) > 1 else "")
    md = [f"# {design.name}", ""]
    if design.description:
        md += [design.description, ""]
    md += ["Generated by `macgates report`; do not edit by hand.", "",
           "## Relative area", "", "![relative area](relative.svg)", "",
           f"*Figure: gates{PER_MAC_NOTE if per_mac else ''} of each config relative to "
           f"{baseline}, grouped by input format; {accumulator_text}. The table below has the numbers.*", "",
           render(rows, columns_of(rows), "markdown", precision=precision),
           "## Findings", "", *[f"- {line}" for line in findings(rows, baseline, design.library.differences(), precision)], "",
           "## Gates by category", "", "![gates by category](breakdown.svg)", "",
           "*Figure: gates of each config by category. " + ("The chart shows gates per MAC (each unit's gates "
                                                             "by category / k); the table below shows whole units."
                                                             if per_mac else "The table below has the numbers.")
           + "*", "",
           render(part_rows, _breakdown_columns(part_rows, used), "markdown", precision=precision),
           "## Cost against range and precision", "", *pareto, "",
           *_synthesis_section(design, rows, baseline, synthesis or {}, files, folder,
                               notes if notes is not None else []),
           "## Source of the numbers", "", *_source_lines(design), ""]
    files[f"{folder}/report.md"] = "\n".join(md)
    return files


# -- model against synthesis ------------------------------------------------------------
SYNTH_COLUMNS = ("name", "model_gates", "synth_gates")
SHORT = {"model": "model", "calibrated": "calibrated", "synthesis": "synth"}  # series -> column prefix
MAX_SYNTH_CSV_BYTES = 16 * 1024 * 1024


def read_synthesis(path) -> dict:
    """A ``macgates synth --format csv`` file: config name -> {model_gates, synth_gates}
    (exact numbers) and ``source`` (``path``, for saying where a result came from)."""
    import csv
    import io

    from .errors import DesignError
    from .yamlfile import read_bytes

    raw = read_bytes(path, DesignError, MAX_SYNTH_CSV_BYTES, "a 'macgates synth' CSV")
    try:
        lines = list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DesignError(f"{path}: not a CSV file ({' '.join(str(exc).split())[:80]})") from None
    header = list(lines[0]) if lines else []
    missing = [c for c in SYNTH_COLUMNS if c not in header]
    if missing:
        raise DesignError(f"{path}: missing column '{missing[0]}' (a 'macgates synth' CSV has "
                          f"{', '.join(SYNTH_COLUMNS)}, ...)")
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
    name_in = max(_text_width(n, NAME_SIZE) for n in names) / 72
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
    from .library import load_library

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

    from .errors import DesignError
    from .formats import lookup
    from .yamlfile import read_bytes

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
    for column in ("k", "gates", "gates_per_mac"):
        values = pd.to_numeric(frame[column], errors="coerce")
        if column == "k":
            bad = values.isna() | (values < 1) | (values % 1 != 0)
        else:
            bad = values.isna() | (values < 0) | values.isin([math.inf])
        if bad.any():
            row = int(bad.idxmax())
            raise DesignError(f"{path}:{row + 2}: column {column}: {shown(str(frame[column][row]))} is not "
                              f"a {'whole number >= 1' if column == 'k' else 'finite number >= 0'}")
        frame[column] = values
    for column in ("weights", "activations", "accumulator"):
        if frame[column].isna().any():
            raise DesignError(f"{path}:{int(frame[column].isna().idxmax()) + 2}: column {column} is empty")
    for column in ("weights", "activations"):
        for index, text in frame.drop_duplicates(subset=[column])[column].items():  # each name's first row
            try:
                lookup(text, formats)
            except MacgatesError as exc:
                raise DesignError(f"{path}:{index + 2}: column {column}: {exc}") from None
    from .builders import parse_accumulator

    for index, text in frame.drop_duplicates(subset=["accumulator"])["accumulator"].items():
        try:
            parse_accumulator(text)
        except MacgatesError as exc:
            raise DesignError(f"{path}:{index + 2}: column accumulator: {exc}") from None
    frame = frame.drop_duplicates(subset=["weights", "activations", "accumulator", "k"], ignore_index=True)
    frame.attrs["formats"] = dict(formats or {})
    if frame.empty:
        raise DesignError(f"{path}: no rows")
    points = _pareto_points(frame)
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
        for (acc, k), front in _group_fronts(points, quality).items():
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
    files[f"{folder}/report.md"] = "\n".join(md)
    return write_files(out_dir, files)
