"""Text on charts: measuring it, wrapping it to its room, and placing labels beside points.

:func:`text_width` measures text in the current default font; :func:`fit` wraps labels at
'-', '_' and spaces to the room of their spans; :func:`fit_xticks` sets a chart's tick
labels wrapped to fit, or upright where they cannot; :func:`place_labels` annotates points
so that no two labels overlap each other, the markers or the lines (a greedy search over
offsets on rings around each point), after :func:`merge_coincident` has given points on
one spot one label. Matplotlib is imported inside the functions, never pyplot.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from functools import lru_cache

# -- measuring and wrapping text, fitting tick labels ---------------------------------------
POINT_SIZE = 7     # pt: Pareto point labels


def text_width(text: str, size: float) -> float:
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
            widest = max(text_width(line, size) for line in lines)
            if widest <= limit and (best is None or widest < best[0]):
                best = (widest, lines)
        if best:
            return "\n".join(best[1])
    return None


def fit(labels, spans, unit_pt: float, size: float, max_lines: int) -> list[str] | None:
    """Each label wrapped to its span (in bar slots of ``unit_pt`` points, less a margin),
    or None if one does not fit."""
    out = [_wrap(label, span * unit_pt - 8.0, size, max_lines) for label, span in zip(labels, spans)]
    return None if any(o is None for o in out) else out


def draw(fig):
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


def fit_xticks(fig, ax, n_slots: float, rows) -> None:
    """Set the tick labels of ``rows`` ((axes, ticks, labels, spans, size, max_lines); the
    first on ``ax``, a second one a secondary axis below it), each wrapped to the room of
    its span, measured on the laid-out figure; a row that cannot be wrapped to fit stands
    upright. A second row is put just below the first. Labels taller than an inch in all
    make the figure taller by the excess, so the plot keeps its height."""
    import matplotlib

    def place(rotated: set):
        for n, (a, ticks, labels, spans, size, lines) in enumerate(rows):
            wrapped = None if n in rotated else fit(labels, spans, unit_pt, size, lines)
            if wrapped is None:
                rotated.add(n)
            a.set_xticks(ticks, wrapped or labels, fontsize=size, rotation=90 if n in rotated else 0,
                         ha="center", va="top")
        if len(rows) > 1:  # the second row below the first's tallest label
            renderer = draw(fig)
            tallest = max(t.get_window_extent(renderer).height for t in ax.get_xticklabels())
            gap = matplotlib.rcParams["xtick.major.size"] + matplotlib.rcParams["xtick.major.pad"]
            rows[1][0].tick_params(axis="x", length=0, pad=gap + tallest * 72 / fig.dpi + 4)
        renderer = draw(fig)
        boxes = [t.get_window_extent(renderer).extents for t in _xtick_labels(ax)]
        return any(_meets(p, q) for i, p in enumerate(boxes) for q in boxes[i + 1:])

    draw(fig)
    unit_pt = ax.get_window_extent().width * 72 / fig.dpi / n_slots
    rotated: set = set()
    if place(rotated) and len(rotated) < len(rows):
        place(set(range(len(rows))))
    renderer = fig.canvas.get_renderer()
    tall = sum(max(t.get_window_extent(renderer).height for t in row[0].get_xticklabels()) for row in rows) / fig.dpi
    if tall > 1.0:
        fig.set_figheight(fig.get_figheight() + tall - 1.0)


# -- point labels: a greedy placement -----------------------------------------------------
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


def _distance(box, qx, qy):
    """How far the point(s) (``qx``, ``qy``) are from ``box`` (x0, y0, x1, y1); 0 inside it.
    ``qx`` and ``qy`` may be numpy arrays."""
    import numpy as np

    return np.hypot(np.maximum(np.maximum(box[0] - qx, qx - box[2]), 0),
                    np.maximum(np.maximum(box[1] - qy, qy - box[3]), 0))


@dataclass(frozen=True)
class _Spot:
    """One label's search, in display units: its point (``px``, ``py``), its size ``w`` x
    ``h``, ``px_per_pt``, and what it must keep clear of near the point: the axes'
    ``frame``, the boxes of labels ``placed`` before (by ``gap``), their ``leaders``, the
    front line ``segments``, the markers' ``boxes`` (its own among them), and ``others``,
    the other points (an array of rows x, y), with their ``other_boxes`` (no closer than
    ``clear``)."""

    px: float
    py: float
    w: float
    h: float
    px_per_pt: float
    frame: tuple
    gap: float
    clear: float
    placed: list
    leaders: list
    segments: list
    boxes: list
    others: object
    other_boxes: list

    def candidate(self, radius, dx, dy) -> tuple:
        """The label's box radius points from the point in direction (dx, dy), and its
        horizontal and vertical alignment."""
        w, h = self.w, self.h
        ha = "left" if dx > 0.3 else "right" if dx < -0.3 else "center"
        va = "bottom" if dy > 0.3 else "top" if dy < -0.3 else "center"
        ax_, ay = self.px + radius * dx * self.px_per_pt, self.py + radius * dy * self.px_per_pt
        x0 = ax_ if ha == "left" else ax_ - w if ha == "right" else ax_ - w / 2
        y0 = ay if va == "bottom" else ay - h if va == "top" else ay - h / 2
        return (x0, y0, x0 + w, y0 + h), ha, va

    def free(self, box, radius, level) -> bool:
        """Whether the label may take ``box`` at ``radius`` on preference ``level`` (0-4, as
        :func:`place_labels` lists them)."""
        frame, px, py, others = self.frame, self.px, self.py, self.others
        if not (frame[0] <= box[0] and box[2] <= frame[2] and frame[1] <= box[1] and box[3] <= frame[3]):
            return False
        if any(_meets(box, other, self.gap) for other in self.placed):
            return False
        if any(_segment_hits(p, q, box) for p, q in self.leaders):
            return False
        if level < 4 and any(_segment_hits(p, q, box) for p, q in self.segments):
            return False  # a front line would strike through it
        leader = ((px, py), ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2))
        if radius >= _NEAR and any(_segment_hits(*leader, other) for other in self.placed):
            return False
        if level >= 3:
            return True
        if any(_meets(box, m) for m in self.boxes):
            return False
        if level == 2:
            return True
        if len(others) and _distance(box, *others.T).min() < self.clear:
            return False  # hard by another point's marker
        if radius >= _NEAR:  # the leader shows whose label it is
            return not any(_segment_hits(*leader, m) for m in self.other_boxes)
        return not len(others) or _distance(box, px, py) + 2 * self.px_per_pt < _distance(box, *others.T).min()


def place_labels(fig, ax, renderer, items, markers_px, lines_px=()) -> int:
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
        spot = _Spot(px, py, w, h, px_per_pt, tuple(frame), gap, clear,
                     [b for b in placed if _meets(b, area)],
                     [(p, q) for p, q in leaders if _segment_hits(p, q, area)],
                     [(p, q) for p, q in lines_px if _segment_hits(p, q, area)],
                     [(mx - half, my - half, mx + half, my + half) for mx, my in near.tolist()],
                     others, [(mx - half, my - half, mx + half, my + half) for mx, my in others.tolist()])
        choice = None
        for rings, level in ((_RINGS[:5], 0), (_RINGS[5:], 1), (_RINGS[2:], 2), (_RINGS, 3), (_RINGS, 4)):
            choice = next(((r, d) for r in rings for d in _directions(r)
                           if spot.free(spot.candidate(r, *d)[0], r, level)), None)
            if choice:
                break
        if choice is None:
            left_out += 1
            continue
        radius, (dx, dy) = choice
        box, ha, va = spot.candidate(radius, dx, dy)
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


def merge_coincident(items, at, xs, ys, within: float) -> list:
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
