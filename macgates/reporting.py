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
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

from .datapath import CATEGORIES
from .errors import MacgatesError, shown
from .numbers import decimals_for, fixed, numeric
from .outputs import write_files
from .render import fixed3, render
from .resources import designs_dir
from .tables import as_design, columns_of, table_records

PNG_DPI = 200
# Fixed colours, so a series or category has the same colour in every report.
PALETTE = ["#1f4e79", "#6aa84f", "#e69138", "#8e7cc3", "#c0504d", "#4bacc6", "#7f7f7f",
           "#bf9000", "#a64d79", "#45818e"]
CATEGORY_COLOURS = dict(zip(CATEGORIES, ["#1f4e79", "#4bacc6", "#6aa84f", "#e69138", "#c0504d",
                                         "#8e7cc3", "#7f7f7f"]))
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
    return _breakdown_frame(*_breakdown_rows(as_design(design, library)))


def _breakdown_frame(rows, used):
    """The DataFrame of :func:`breakdown_table` from :func:`_breakdown_rows`."""
    import pandas as pd

    columns = _breakdown_columns(rows, used)
    return pd.DataFrame({c: [r[c] for r in rows] if c in ("name", "k") else numeric(r[c] for r in rows)
                         for c in columns}, columns=columns)


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


def _colour_key(frame) -> tuple[list[str], str]:
    """What colours bars labelled by config name: the accumulator when configs differ in it,
    else K when they differ in that, else the (one) accumulator."""
    accs = [str(a) for a in frame["accumulator"]]
    if len(set(accs)) == 1 and "k" in frame and frame["k"].nunique() > 1:
        return [f"K={int(k)}" for k in frame["k"]], "K (terms per unit)"
    return accs, "accumulator"


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
    than one, the chart is the whitepaper's Figure 3: formats under the groups, a colour
    per accumulator (or K) in the legend. Otherwise (configs that differ in another
    option, or one config per format) each bar is labelled with its config name, the
    formats form a second row below, and colour is the accumulator (or K). Labels are
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
    series, legend_title = _series(frame)
    by_format = (series is not None and any(len(m) > 1 for m in members.values())
                 and all(_spelled_out(r) for r in rows))
    if not by_format:
        series, legend_title = _colour_key(frame)
    order = list(dict.fromkeys(series))
    if by_format:  # series in legend order within each group
        for g in groups:
            members[g].sort(key=lambda i: order.index(series[i]))
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
    fixed = 1.0 + _legend_inches(order, legend_title)
    slot = _slot_inches(label_rows, n_slots, fixed, max(0.38, value_pt / 72))
    width = min(MAX_WIDTH, max(5.0, n_slots * slot + fixed))
    upright = (width - fixed) / n_slots * 72 < value_pt  # no room for the values side by side

    fig = Figure(figsize=(width, 4.8), layout="constrained")
    ax = fig.add_subplot()
    for i, row in enumerate(rows):
        colour = PALETTE[order.index(series[i]) % len(PALETTE)]
        drawn = ax.bar([pos[i]], [row["relative"]], BAR_WIDTH, color=colour, edgecolor="white", linewidth=0.5)
        ax.bar_label(drawn, labels=[values[i]], padding=2, fontsize=8, rotation=90 if upright else 0)
    ax.axhline(1.0, linestyle="--", color="0.35", linewidth=1, zorder=0)
    ax.set_xlim(-0.5 - gap / 2, n_slots - 0.5 - gap / 2)
    ax.set_ylabel(f"NAND2-equivalent gates, relative to {baseline}")
    ax.set_ylim(0, max(frame["relative"]) * (1.2 if upright else 1.1))
    ax.set_title(title)
    ax.legend([Patch(facecolor=PALETTE[j % len(PALETTE)], edgecolor="white") for j in range(len(order))],
              order, title=legend_title, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
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
    total_labels = [f"{fixed(t, 0)}/MAC" if per_mac else fixed(t, decimals_for(totals)) for t in totals]
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


def _axes_values(frame):
    """Per row: (label, gates per MAC, dynamic range, precision) of the narrower input.
    Format names are looked up in ``frame.attrs["formats"]`` (a design's own formats, as
    :func:`macgates.table` and :func:`macgates.sweep` record them), then the built-in ones."""
    from .formats import lookup

    own = frame.attrs.get("formats") or {}
    out = []
    for _, r in frame.iterrows():
        if not r["weights"]:
            continue  # a custom datapath has no formats to place
        fmts = [lookup(r["weights"], own), lookup(r["activations"], own)]
        per_mac = float(r["gates_per_mac"]) if "gates_per_mac" in r else float(r["gates"])
        label = r["name"] if "name" in r else (
            f"{r['weights']}" + (f"x{r['activations']}" if r["activations"] != r["weights"] else "")
            + f"-{r['accumulator']}-k{r['k']}")
        out.append((label, per_mac, min(f.dynamic_range for f in fmts), min(f.precision_bits for f in fmts)))
    return out


def _pareto_points(frame) -> list[dict]:
    """The rows :func:`_axes_values` places, as dicts: ``label`` (config name, or for a sweep
    format-accumulator-k), ``short`` (the format, for a sweep chart, whose colours and
    markers show accumulator and K), ``cost`` (gates per MAC), ``range``, ``precision``,
    ``accumulator``, ``k`` and the ``row``."""
    rows = [r for _, r in frame.iterrows() if r["weights"]]
    out = []
    for (label, cost, rng, precision), r in zip(_axes_values(frame), rows):
        w, a = r["weights"], r["activations"]
        out.append({"label": label, "short": label if "name" in r else w if a == w else f"{w} × {a}",
                    "cost": cost, "range": rng, "precision": precision,
                    "accumulator": str(r["accumulator"]), "k": int(r["k"]) if "k" in r else 1, "row": r})
    return out


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


MAX_LABELS = 80  # point labels per panel: the fronts' first
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "<", ">"]  # one per K
LINESTYLES = ["-", "--", ":", "-."]                            # the fronts, one per K


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
    the axes and meets no label placed before nor a leader line. Preferred, in this order:

    0. a near offset whose box covers no marker (``markers_px``, display units) and no
       front line (``lines_px``, pairs of display points), keeps clear of other points and
       is nearer its own point than any other;
    1. the same, across front lines;
    2. a far offset, with a thin leader line that crosses no other marker, the box clear of
       other points;
    3. a far offset whose box covers no marker;
    4. any free offset.

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
            leader = ((px, py), ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2))
            if radius >= _NEAR and any(_segment_hits(*leader, other) for other in near_placed):
                return False
            if level == 4:
                return True
            if any(_meets(box, m) for m in boxes):
                return False
            if level == 3:
                return True
            if len(others) and distance(box, *others.T).min() < clear:
                return False  # hard by another point's marker
            if radius >= _NEAR:  # the leader shows whose label it is
                return not any(_segment_hits(*leader, m) for m in other_boxes)
            if level == 0 and any(_segment_hits(p, q, box) for p, q in segments):
                return False
            return not len(others) or distance(box, px, py) + 2 * px_per_pt < distance(box, *others.T).min()

        choice = None
        for rings, level in ((_RINGS[:5], 0), (_RINGS[:5], 1), (_RINGS[5:], 2), (_RINGS[2:], 3), (_RINGS, 4)):
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
                            bbox=dict(boxstyle="square,pad=0.1", facecolor="white", edgecolor="none", alpha=0.7))
        label.set_in_layout(False)
        placed.append(box)
        if arrow:
            leaders.append(((px, py), ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)))
    return left_out


def pareto_chart(frame, title: str = ""):
    """Gates per MAC against dynamic range (log2 max/min positive) and against precision
    (mantissa bits) of the narrower input. Takes the DataFrame of :func:`macgates.table` or
    :func:`macgates.sweep`; returns a matplotlib Figure.

    Colour is the accumulator, the marker K (terms per unit). Pareto fronts are computed
    within each (accumulator, K) group, since a cheaper accumulator or a larger unit would
    otherwise make up every front; each front is a line in its accumulator's colour and
    its K's line style, its points outlined and labelled in that colour. Points are
    labelled (with the config name, or for a sweep the format: colour and marker tell the
    rest) when there are at most 40, else the front points only (at most 80). Labels are placed next to
    their points without overlapping (farther ones with a leader line); one that fits
    nowhere is left out.

    The dynamic-range axis is logarithmic (base 2, symlog so that a range of 0 can show)
    when the ranges span more than a factor of 8: the shared E8M0 scale of the MX formats
    (and BF16's 8-bit exponent) give ranges near 260, which on a linear axis squash every
    other format into its left tenth; on a log axis the narrow formats spread out and the
    gap to the wide ones stays visible."""
    from matplotlib.colors import to_rgba
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    points = _pareto_points(frame)
    accs = list(dict.fromkeys(p["accumulator"] for p in points))
    ks = sorted({p["k"] for p in points})
    colour = {a: PALETTE[i % len(PALETTE)] for i, a in enumerate(accs)}
    marker = {k: MARKERS[i % len(MARKERS)] for i, k in enumerate(ks)}
    style = {k: LINESTYLES[i % len(LINESTYLES)] for i, k in enumerate(ks)}
    fig = Figure(figsize=(13.0, 6.2), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    ys = [p["cost"] for p in points]
    labelled = []
    for ax, quality, xlabel in ((axes[0], "range", "dynamic range of the narrower input, log2(max / min positive)"),
                                (axes[1], "precision", "precision of the narrower input, mantissa bits")):
        xs = [p[quality] for p in points]
        fronts = _group_fronts(points, quality)
        on_front = set().union(*fronts.values())
        dots = ax.scatter(xs, ys, s=[36 if i in on_front else 20 for i in range(len(points))],
                          c=[to_rgba(colour[p["accumulator"]], 1.0 if i in on_front else 0.45)
                             for i, p in enumerate(points)],
                          edgecolors=["black" if i in on_front else "none" for i in range(len(points))],
                          linewidths=0.6, zorder=3)
        dots.set_paths([_marker_path(marker[p["k"]]) for p in points])
        for (acc, k), idx in fronts.items():
            ax.plot([xs[i] for i in idx], [ys[i] for i in idx], color=colour[acc], linestyle=style[k],
                    linewidth=1.3, zorder=2, label=f"_front: {acc}, K={k}")
        if quality == "precision":
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if max(xs) == min(xs):  # one value: an axis a unit either side, not a zoom into nothing
            ax.set_xlim(xs[0] - 1, xs[0] + 1)
        if quality == "range" and max(xs) > 8 * max(min(xs), 1):
            ax.set_xscale("symlog", base=2, linthresh=1, linscale=0.25)
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}" if v >= 0 else ""))
            xlabel += ", log scale"
        if max(ys) > 20 * min(ys):
            ax.set_yscale("log")
        ax.margins(x=0.06, y=0.07)
        ax.set_xlabel(xlabel)
        ax.spines[["top", "right"]].set_visible(False)
        order = sorted(range(len(points)), key=lambda i: (i not in on_front, i))  # the fronts' first
        items = [(points[i]["short"], xs[i], ys[i], colour[points[i]["accumulator"]] if i in on_front else "0.4")
                 for i in order if len(points) <= 40 or i in on_front][:MAX_LABELS]
        labelled.append((ax, xs, fronts, items))
    axes[0].set_ylabel("NAND2-equivalent gates per MAC")
    entries = [("accumulator (colour)", None)]
    entries += [(a, Line2D([], [], marker="o", linestyle="none", color=colour[a])) for a in accs]
    if len(ks) > 1:
        entries += [("K, terms per unit (marker)", None)]
        entries += [(f"K={k}", Line2D([], [], marker=marker[k], linestyle=style[k], color="0.35")) for k in ks]
    entries += [("Pareto front", None),
                ("within each accumulator" + (" and K" if len(ks) > 1 else ""),
                 Line2D([], [], marker="o", color="0.35", markeredgecolor="black"))]
    legend = fig.legend([h or Line2D([], [], linestyle="none") for _, h in entries], [t for t, _ in entries],
                        loc="outside right upper", frameon=False, fontsize=9)
    for text, (_, handle) in zip(legend.get_texts(), entries):
        if handle is None:
            text.set_fontweight("bold")
    fig.suptitle(title)
    renderer = _draw(fig)
    for ax, xs, fronts, items in labelled:
        at = ax.transData.transform(list(zip(xs, ys))).tolist()  # display units
        segments = [(at[i], at[j]) for idx in fronts.values() for i, j in zip(idx, idx[1:])]
        _place_labels(fig, ax, renderer, items, at, segments)
    return fig


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


def findings(rows: list[dict], baseline: str, changed=()) -> list[str]:
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
        out.append(f"For {g}, {best['name']} is the cheapest ({fixed(best[cost], decimals_for([best[cost]]))} "
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
            out.append(f"FP8-E4M3 costs, relative to {baseline}: {'; '.join(parts)}. These use costs that "
                       f"differ from the whitepaper's App. B table ({_names(changed)}), so the whitepaper's "
                       f"{WHITEPAPER['fp16']}x and {WHITEPAPER['fp32']}x (made with its own costs) are not "
                       "compared here.")
    return out


def _names(changed, limit: int = 8) -> str:
    changed = list(changed)
    shown = ", ".join(changed[:limit])
    return shown + (f" and {len(changed) - limit} more" if len(changed) > limit else "")


def _changes(lib, changed) -> str:
    """What differs from the bundled library, with the formulas (shortened)."""
    parts = []
    for name in changed[:12]:
        prim = lib.primitives.get(name)
        text = "removed" if prim is None else f"`{prim.cost_text if len(prim.cost_text) <= 40 else prim.cost_text[:37] + '...'}`"
        parts.append(f"{name} = {text}" + (f" ({prim.source})" if prim is not None and prim.source else ""))
    more = f" and {len(changed) - 12} more" if len(changed) > 12 else ""
    return f"costs differ from the bundled library (whitepaper App. B) in: {'; '.join(parts)}{more}"


def _source_lines(design) -> list[str]:
    from . import __version__
    import matplotlib

    lib = design.library
    digest = hashlib.sha256(repr(sorted((p.name, p.params, p.cost_text)
                                        for p in lib.primitives.values())).encode()).hexdigest()[:12]
    changed = lib.differences()
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
        f"formulas sha256 {digest}; " + (_changes(lib, changed) if changed else
                                         "the bundled library, unchanged (whitepaper App. B costs)"),
        f"- Charts: matplotlib {matplotlib.__version__}, PNG at {PNG_DPI} dpi and SVG.",
    ]
    return lines


def report(design=None, out_dir="reports", library=None, synthesis=None) -> list[Path]:
    """Write a design's report under ``out_dir``/<design>/; returns the written paths."""
    return write_files(out_dir, report_files(design, library, synthesis))


def report_files(design=None, library=None, synthesis=None) -> dict:
    """A design's report as ``{"<design>/relative.png": bytes, ..., "<design>/report.md":
    text}``, made in memory: nothing is written. ``synthesis``: config name -> its row
    of a ``macgates synth`` CSV (:func:`read_synthesis`); with rows for this design's
    configs and its baseline, the report adds a model-against-synthesis chart."""
    design = as_design(design, library)
    rows = table_records(design)
    baseline = next(r["name"] for r in rows if r["relative"] == 1)
    import pandas as pd

    frame = pd.DataFrame(rows, columns=list(columns_of(rows)))
    frame["relative"] = [float(r["relative"]) for r in rows]
    frame.attrs["formats"] = dict(design.formats)
    part_rows, used = _breakdown_rows(design)
    parts = _breakdown_frame(part_rows, used)
    per_mac = "k" in parts.columns  # the chart shows gates per MAC; the table whole units
    folder = slug(design)
    files = figure_files(relative_chart(frame, design.name, baseline), f"{folder}/relative")
    files.update(figure_files(breakdown_chart(parts, f"{design.name}: gates {'per MAC ' if per_mac else ''}"
                                                     "by category"), f"{folder}/breakdown"))
    if len(_axes_values(frame)) >= 2:
        files.update(figure_files(pareto_chart(frame, f"{design.name}: cost against range and precision"),
                                  f"{folder}/pareto"))
    md = [f"# {design.name}", ""]
    if design.description:
        md += [design.description, ""]
    md += ["Generated by `macgates report`; do not edit by hand.", "",
           "![relative area](relative.svg)", "", render(rows, columns_of(rows), "markdown"),
           "## Findings", "", *[f"- {line}" for line in findings(rows, baseline, design.library.differences())], "",
           "## Gates by category", "", "![gates by category](breakdown.svg)", "",
           *(["The chart shows gates per MAC (each unit's gates by category / k); the table "
              "below shows whole units.", ""] if per_mac else []),
           *(["![Pareto](pareto.svg)", ""] if f"{folder}/pareto.svg" in files else []),
           render(part_rows, _breakdown_columns(part_rows, used), "markdown"),
           *_synthesis_section(design, rows, baseline, synthesis or {}, files, folder),
           "## Source of the numbers", "", *_source_lines(design), ""]
    files[f"{folder}/report.md"] = "\n".join(md)
    return files


# -- model against synthesis ------------------------------------------------------------
SYNTH_COLUMNS = ("name", "model_gates", "synth_gates")
SHORT = {"model": "model", "calibrated": "calibrated", "synthesis": "synth"}  # series -> column prefix
MAX_SYNTH_CSV_BYTES = 16 * 1024 * 1024


def read_synthesis(path) -> dict:
    """A ``macgates synth --format csv`` file: config name -> {model_gates, synth_gates}
    (exact numbers)."""
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
        out[line["name"]] = values
    return out


def synthesis_chart(rows: list[dict], title: str = "", baseline: str = ""):
    """Grouped bars per config: each series (``model``, ``calibrated``, ``synthesis``:
    the keys of ``rows`` besides ``name`` that hold numbers) relative to the baseline,
    per MAC. Returns a matplotlib Figure."""
    from matplotlib.figure import Figure

    series = [key for key in ("model", "calibrated", "synthesis") if key in rows[0]]
    labels = {"model": "App. B model", "calibrated": "calibrated model", "synthesis": "synthesis (Yosys)"}
    names = [r["name"] for r in rows]
    width = min(MAX_WIDTH, max(6.0, 0.32 * len(series) * len(rows) + 3.0))
    fig = Figure(figsize=(width, 4.8), layout="constrained")
    ax = fig.add_subplot()
    bar = 0.8 / len(series)
    for j, key in enumerate(series):
        xs = [i + (j - (len(series) - 1) / 2) * bar for i in range(len(rows))]
        drawn = ax.bar(xs, [float(r[key]) for r in rows], bar, color=PALETTE[j], edgecolor="white",
                       linewidth=0.5, label=labels[key])
        if len(rows) * len(series) <= 48:
            ax.bar_label(drawn, labels=[f"{float(r[key]):.2f}" for r in rows], padding=2, fontsize=6.5,
                         rotation=90)
    ax.axhline(1.0, linestyle="--", color="0.35", linewidth=1, zorder=0)
    ax.set_xticks(range(len(rows)), names, rotation=45 if len(rows) > 4 else 0,
                  ha="right" if len(rows) > 4 else "center", fontsize=NAME_SIZE)
    ax.set_xlim(-0.6, len(rows) - 0.4)
    ax.set_ylim(0, max(float(r[k]) for r in rows for k in series) * 1.18)
    ax.set_ylabel(f"relative to {baseline} (per MAC)")
    ax.set_title(title)
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def _synthesis_section(design, rows, baseline, synthesis: dict, files: dict, folder: str) -> list[str]:
    """The report's model-against-synthesis chart and table, when ``synthesis`` has this
    design's baseline and some of its configs; else nothing."""
    # a row is this config's when its model gates are today's (else: another model, or
    # another design's config of that name)
    mine = [r for r in rows if r["name"] in synthesis and synthesis[r["name"]]["model_gates"] == r["gates"]]
    stale = [r["name"] for r in rows if r["name"] in synthesis and r not in mine]
    if baseline not in {r["name"] for r in mine} or len(mine) < 2:
        return []
    from .library import load_library
    from .tables import rel3

    calibrated = None
    if not design.library.differences():  # the bundled App. B library: set the calibrated one beside it
        calibrated = {r["name"]: r for r in table_records(design, library=load_library("calibrated"))}
    base = next(r for r in rows if r["name"] == baseline)
    base_synth = synthesis[baseline]["synth_gates"] / base["k"]
    table, chart = [], []
    for r in mine:
        synth = synthesis[r["name"]]
        row = {"name": r["name"], "model": r["relative"]}
        if calibrated:
            row["calibrated"] = calibrated[r["name"]]["relative"]
        row["synthesis"] = rel3(synth["synth_gates"] / r["k"], base_synth)
        chart.append(row)
        entry = {"name": r["name"], "model_gates": r["gates"]}
        if calibrated:
            entry["calibrated_gates"] = round(Fraction(calibrated[r["name"]]["gates"]), 1)
        entry["synth_gates"] = synth["synth_gates"]
        entry.update({f"{SHORT[k]}_relative": v for k, v in row.items() if k != "name"})
        table.append(entry)
    files.update(figure_files(synthesis_chart(chart, f"{design.name}: model against synthesis", baseline),
                              f"{folder}/synthesis"))
    return ["## Model against synthesis", "",
            "Synthesized gates from `macgates synth` (Yosys, the library's cells table; see "
            "docs/synthesis.md), relative to the baseline per MAC, beside the App. B model"
            + (" and the bundled calibrated library" if calibrated else "") + ".", "",
            "![model against synthesis](synthesis.svg)", "", render(table, list(table[0]), "markdown"),
            *([f"Left out: {_names(stale)} (the CSV's model_gates differ from today's model: another "
               "model or another config of that name; synthesize again).", ""] if stale else [])]


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
    front (gates per MAC against dynamic range, against precision). ``formats``: your own
    formats by name (a design's ``formats``), for a sweep that used them."""
    import pandas as pd

    from .errors import DesignError

    import io

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
        bad = values.isna() | (values < (1 if column == "k" else 0))
        if bad.any():
            row = int(bad.idxmax())
            raise DesignError(f"{path}:{row + 2}: column {column}: {shown(str(frame[column][row]))} is not "
                              f"a {'whole number >= 1' if column == 'k' else 'number >= 0'}")
        frame[column] = values
    for column in ("weights", "activations", "accumulator"):
        if frame[column].isna().any():
            raise DesignError(f"{path}:{int(frame[column].isna().idxmax()) + 2}: column {column} is empty")
    frame = frame.drop_duplicates(subset=["weights", "activations", "accumulator", "k"], ignore_index=True)
    frame.attrs["formats"] = dict(formats or {})
    if frame.empty:
        raise DesignError(f"{path}: no rows")
    points = _pareto_points(frame)
    folder = path.stem
    title = f"Design-space sweep {path.name}: cost against range and precision"
    files = figure_files(pareto_chart(frame, title),
                         f"{folder}/pareto")
    md = [f"# Design-space sweep: {path.name}", "",
          "Generated by `macgates report --sweep`; do not edit by hand.", "",
          f"{len(frame)} configuration{'' if len(frame) == 1 else 's'} from `{path.name}`.", "", "![Pareto](pareto.svg)", "",
          "A Pareto front holds the configurations of one accumulator and one k that no other of "
          "the same accumulator and k beats: as cheap or cheaper per MAC and as good or better, "
          "strictly in one.", ""]
    for quality, title in (("range", "dynamic range"), ("precision", "precision")):
        rows = []
        for (acc, k), front in _group_fronts(points, quality).items():
            for i in front:
                p = points[i]
                value = p[quality]
                rows.append({"config": p["label"], "accumulator": acc, "k": k,
                             "gates_per_mac": Fraction(str(p["row"]["gates"])) / k,
                             title.replace(" ", "_"): round(Fraction(value), 2) if quality == "range" else value})
        md += [f"## Pareto fronts: gates per MAC against {title}, per accumulator and k", "",
               render(rows, list(rows[0]), "markdown")]
    files[f"{folder}/report.md"] = "\n".join(md)
    return write_files(out_dir, files)
