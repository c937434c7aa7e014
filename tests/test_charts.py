"""Charts as a reviewer reads them: bars only where there are configs, labels that say what
they show and never overlap, per-MAC breakdowns of dot-product units, Pareto charts whose
colours, markers and fronts follow accumulator and K, and a sweep report with a plain title
and right-aligned numbers."""

import math
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text

import macgates
from macgates.support.counts import fixed
from macgates.formats.spec import format as get_format
from macgates.report.charts import pareto_front
from macgates.report.markdown import sweep_report

pytestmark = pytest.mark.slow  # charts drawn and laid out (matplotlib)

REPO = Path(__file__).resolve().parent.parent
DESIGNS = sorted((REPO / "designs").glob("*.yaml"))
# a user's mixed-precision design: one config per format pair, names in their own words
W4A8 = [{"name": f"{kind}w{w}a{a}-fp32", "weights": fmt[w], "activations": fmt[a], "accumulator": "fp32"}
        for kind, fmt in (("", {4: "int4", 8: "int8"}), ("fp-", {4: "fp4_e2m1", 8: "float8_e4m3fn"}))
        for w, a in ((4, 8), (8, 8), (4, 4))]
SWEEP = (["int4", "int8", "fp4_e2m1", "float8_e4m3fn", "bf16"], ["bf16", "fp32"], [1, 32])
CHART_DESIGNS = [*(p.stem for p in DESIGNS), "w4a8"]


def design(which):
    return W4A8 if which == "w4a8" else REPO / "designs" / f"{which}.yaml"


def drawn(fig):
    """The renderer of ``fig`` drawn on an Agg canvas."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def overlaps(artists, renderer, extent=None):
    """Pairs of texts (by their text) whose window extents overlap."""
    extent = extent or (lambda a: a.get_window_extent(renderer))
    boxes = [(a.get_text(), extent(a)) for a in artists]
    return [(p, q) for i, (p, a) in enumerate(boxes) for q, b in boxes[i + 1:] if a.overlaps(b)]


def xtick_labels(ax):
    """All x tick labels with text, of ``ax`` and of its secondary axes (a second row)."""
    return [t for a in (ax, *ax.child_axes) for t in a.get_xticklabels() if t.get_visible() and t.get_text()]


def flat(text):
    return "".join(text.split())


def format_group(row):
    return row["weights"] if row["weights"] == row["activations"] else f"{row['weights']} × {row['activations']}"


# -- relative_chart ---------------------------------------------------------------------
@pytest.mark.parametrize("which", CHART_DESIGNS)
def test_relative_chart_tick_labels_do_not_overlap(which):
    fig = macgates.relative_chart(macgates.table(design(which)), which)
    renderer = drawn(fig)
    labels = xtick_labels(fig.axes[0])
    assert labels
    assert overlaps(labels, renderer) == []
    assert overlaps(fig.axes[0].texts, renderer) == []  # the values on the bars


def test_relative_chart_value_labels_do_not_overlap():
    """45 configs in 15 formats: bars too narrow for their values side by side."""
    formats = ["int2", "int4", "int8", "int16", "fp4_e2m1", "fp6_e2m3", "fp6_e3m2", "float8_e4m3fn", "float8_e5m2",
               "fp16", "bf16", "fp8_e2m5", "fp8_e3m4", "fp8_e4m3", "fp8_e5m2"]
    configs = [{"name": f"{w}-{a}", "weights": w, "accumulator": a} for w in formats for a in ("kulisch", "fp16", "fp32")]
    fig = macgates.relative_chart(macgates.table(configs))
    renderer = drawn(fig)
    ax = fig.axes[0]
    assert fig.get_figwidth() <= 16
    assert overlaps(ax.texts, renderer) == []
    assert overlaps(xtick_labels(ax), renderer) == []
    top = ax.get_window_extent(renderer).y1
    assert all(t.get_window_extent(renderer).y1 <= top for t in ax.texts)


@pytest.mark.parametrize("which", CHART_DESIGNS)
def test_relative_chart_has_no_empty_slots(which):
    """Bars of a format sit side by side, one pitch apart; formats one (smaller than a bar's
    pitch) gap apart: no slot is left for a config that does not exist."""
    frame = macgates.table(design(which))
    ax = macgates.relative_chart(frame).axes[0]
    bars = ax.patches
    assert len(bars) == len(frame)
    placed = sorted(zip((b.get_x() + b.get_width() / 2 for b in bars),
                        (format_group(r) if r["weights"] else "custom" for _, r in frame.iterrows())))
    runs = [g for i, (_, g) in enumerate(placed) if i == 0 or placed[i - 1][1] != g]
    assert len(runs) == len(set(runs)), "a format's bars are not together"
    within = [b[0] - a[0] for a, b in zip(placed, placed[1:]) if a[1] == b[1]]
    between = [b[0] - a[0] for a, b in zip(placed, placed[1:]) if a[1] != b[1]]
    pitch = within[0] if within else 1.0
    assert all(d == pytest.approx(pitch) for d in within)
    assert all(pitch < d < 2 * pitch for d in between)
    assert len({round(d, 9) for d in between}) <= 1


@pytest.mark.parametrize("which", CHART_DESIGNS)
def test_relative_chart_is_not_mostly_empty(which):
    fig = macgates.relative_chart(macgates.table(design(which)))
    ax = fig.axes[0]
    assert fig.get_figwidth() <= 16
    left, right = ax.get_xlim()
    assert sum(b.get_width() for b in ax.patches) / (right - left) >= 0.5  # was 0.32 for modern-formats


def test_relative_chart_keeps_figure3():
    fig = macgates.relative_chart(macgates.table())
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["int8", "fp8_e2m5", "fp8_e3m4", "fp8_e4m3", "fp8_e5m2"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["kulisch", "fp16", "fp32"]
    assert ax.get_xlabel() == "input format (weights × activations)"
    colours = [b.get_facecolor() for b in sorted(ax.patches, key=lambda b: b.get_x())]
    assert colours[:3] == colours[3:6] == colours[12:15]  # kulisch, fp16, fp32 in every group
    assert len(set(colours[:3])) == 3


@pytest.mark.parametrize("which", ["w4a8", "fp_accumulator_choices", "booth_vs_array"])
def test_relative_chart_names_configs_the_formats_do_not_tell_apart(which):
    """One config per format (W4A8), or configs of a format that differ in more than the
    accumulator: every bar is labelled with its config name, the formats in a row below."""
    frame = macgates.table(design(which))
    fig = macgates.relative_chart(frame)
    ax = fig.axes[0]
    drawn(fig)
    names = [flat(t.get_text()) for t in ax.get_xticklabels()]
    assert sorted(names) == sorted(flat(n) for n in frame["name"])
    (below,) = ax.child_axes
    groups = list(dict.fromkeys(format_group(r) for _, r in frame.iterrows()))
    assert [flat(t.get_text()) for t in below.get_xticklabels()] == [flat(g) for g in groups]
    assert "input format" in below.get_xlabel()
    lowest_name = min(t.get_window_extent().y0 for t in ax.get_xticklabels())
    assert all(t.get_window_extent().y1 < lowest_name for t in below.get_xticklabels())


def test_relative_chart_of_dot_units_has_k_in_its_legend():
    ax = macgates.relative_chart(macgates.table(design("modern-formats"))).axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "accumulator (colour)", "fp32", "K, terms per unit (hatch)", "K=1", "K=16", "K=32"]


# -- breakdown_table / breakdown_chart ----------------------------------------------------
def test_breakdown_table_of_dot_units_has_k_after_name():
    parts = macgates.breakdown_table(design("modern-formats"))
    frame = macgates.table(design("modern-formats"))
    assert list(parts.columns[:2]) == ["name", "k"]
    assert list(parts["k"]) == list(frame["k"])
    assert list(parts["total"]) == list(frame["gates"])  # whole units
    assert (parts.drop(columns=["name", "k", "total"]).sum(axis=1) == parts["total"]).all()


def test_breakdown_table_of_scalar_macs_has_no_k():
    assert "k" not in macgates.breakdown_table().columns


@pytest.mark.parametrize("fa", ["6", "6.5"], ids=["whole-costs", "half-gate-costs"])
def test_breakdown_table_columns_are_numeric(fa):
    import pandas as pd

    parts = macgates.breakdown_table(library=macgates.load_library().with_overrides({"fa": fa}))
    numbers = parts.drop(columns=["name"])
    assert all(pd.api.types.is_numeric_dtype(numbers[c]) for c in numbers)
    whole = fa == "6"
    assert all(pd.api.types.is_integer_dtype(numbers[c]) for c in numbers) == whole
    if not whole:
        assert pd.api.types.is_float_dtype(numbers["total"])
        assert (numbers.drop(columns=["total"]).sum(axis=1) == numbers["total"]).all()


def test_breakdown_chart_of_dot_units_is_per_mac():
    parts = macgates.breakdown_table(design("modern-formats"))
    ax = macgates.breakdown_chart(parts).axes[0]
    assert "per MAC" in ax.get_ylabel()
    heights: dict = {}
    for bar in ax.patches:
        x = round(bar.get_x() + bar.get_width() / 2)
        heights[x] = heights.get(x, 0.0) + bar.get_height()
    per_mac = [t / k for t, k in zip(parts["total"], parts["k"])]
    assert [heights[i] for i in range(len(parts))] == pytest.approx(per_mac)
    totals = [t.get_text() for t in ax.texts]
    assert totals == [f"{round(Fraction(int(t), int(k)))}/MAC" for t, k in zip(parts["total"], parts["k"])]
    assert "int8-k32" in [t.get_text() for t in ax.get_xticklabels()]
    unit = macgates.dot("int8", k=32, accumulator="fp32")
    assert totals[2] == f"{round(Fraction(unit.gates, 32))}/MAC"  # per MAC, not the unit's gates


def test_breakdown_chart_of_scalar_macs_is_whole_units():
    parts = macgates.breakdown_table()
    ax = macgates.breakdown_chart(parts).axes[0]
    assert ax.get_ylabel() == "NAND2-equivalent gates"
    assert [t.get_text() for t in ax.texts] == [str(t) for t in parts["total"]]


def test_breakdown_chart_total_labels_are_decimals():
    lib = macgates.load_library().with_overrides({"ff": "4.5"})
    ax = macgates.breakdown_chart(macgates.breakdown_table(library=lib)).axes[0]
    assert all("/" not in t.get_text() for t in ax.texts)
    assert any(t.get_text().endswith(".5") for t in ax.texts)


@pytest.mark.parametrize("which", CHART_DESIGNS[:-1])
def test_breakdown_chart_labels_do_not_overlap(which):
    fig = macgates.breakdown_chart(macgates.breakdown_table(design(which)))
    renderer = drawn(fig)
    ax = fig.axes[0]
    assert fig.get_figwidth() <= 16
    assert overlaps(xtick_labels(ax), renderer) == []
    assert overlaps(ax.texts, renderer) == []  # the totals


# -- pareto_chart -------------------------------------------------------------------------
def sweep_frame():
    weights, accumulators, k = SWEEP
    return macgates.sweep(weights, accumulators=accumulators, k=k)


def pareto_frame(which):
    return sweep_frame() if which == "sweep" else macgates.table(design(which))


def label_extent(renderer):
    return lambda a: Text.get_window_extent(a, renderer)  # the text, without a leader line


@pytest.mark.parametrize("which", ["paper_fig3", "modern-formats", "sweep", "fp_accumulator_choices",
                                   "booth_vs_array"])
def test_pareto_labels_do_not_overlap(which):
    fig = macgates.pareto_chart(pareto_frame(which))
    renderer = drawn(fig)
    labels = [t for ax in fig.axes for t in ax.texts]
    assert labels
    assert overlaps(labels, renderer, label_extent(renderer)) == []
    for ax in fig.axes:
        frame_box = ax.get_window_extent(renderer)
        for t in ax.texts:
            box = Text.get_window_extent(t, renderer)
            assert frame_box.x0 <= box.x0 and box.x1 <= frame_box.x1, t.get_text()


def test_pareto_labels_every_point_of_figure3():
    fig = macgates.pareto_chart(macgates.table())
    for ax in fig.axes:
        assert sorted(n for t in ax.texts for n in t.get_text().split("\n")) == sorted(macgates.table()["name"])


def test_pareto_range_axis_spreads_the_narrow_formats():
    """MX formats (E8M0 scale) and BF16 span ~260 bits of range; the others (3 to 33) must
    not be squashed into a sliver at the left of the axis."""
    frame = macgates.table(design("modern-formats"))
    fig = macgates.pareto_chart(frame)
    drawn(fig)
    ax = fig.axes[0]
    xs = [x for x, _ in ax.collections[0].get_offsets()]
    narrow = [ax.transData.transform((x, 0))[0] for x in xs if x < 100]
    wide = [ax.transData.transform((x, 0))[0] for x in xs if x >= 100]
    assert len(narrow) >= 10 and wide
    assert (max(narrow) - min(narrow)) / ax.get_window_extent().width >= 0.35
    assert "log" in ax.get_xlabel()


def test_pareto_sweep_colours_by_accumulator_and_marks_by_k():
    frame = sweep_frame()
    fig = macgates.pareto_chart(frame)
    dots = fig.axes[0].collections[0]
    assert len(dots.get_offsets()) == len(frame)
    colours = [tuple(c[:3]) for c in dots.get_facecolors()]
    by_acc: dict = {}
    for acc, colour in zip(frame["accumulator"], colours):
        by_acc.setdefault(acc, set()).add(colour)
    assert all(len(c) == 1 for c in by_acc.values())
    assert len(set().union(*by_acc.values())) == 2
    paths = [tuple(map(tuple, p.vertices.round(6))) for p in dots.get_paths()]
    by_k: dict = {}
    for k, path in zip(frame["k"], paths):
        by_k.setdefault(k, set()).add(path)
    assert all(len(p) == 1 for p in by_k.values())
    assert len(set().union(*by_k.values())) == 2
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert {"bf16", "fp32", "K=1", "K=32"} <= set(legend)


@pytest.mark.parametrize("axis, quality", [(0, "range"), (1, "precision")], ids=["range-axis", "precision-axis"])
def test_pareto_sweep_fronts_are_per_accumulator_and_k(axis, quality):
    frame = sweep_frame()
    ax = macgates.pareto_chart(frame).axes[axis]
    fronts = {line.get_label(): sorted(map(tuple, line.get_xydata().tolist()))
              for line in ax.lines if line.get_label().startswith("_front")}
    expected = {}
    for (acc, k), group in frame.groupby(["accumulator", "k"], sort=False):
        pts = []
        for _, r in group.iterrows():
            fmt = get_format(r["weights"])
            pts.append(((fmt.dynamic_range if quality == "range" else fmt.precision_bits), float(r["gates_per_mac"])))
        front = pareto_front([(cost, q) for q, cost in pts])
        expected[f"_front: {acc}, K={k}"] = sorted(pts[i] for i in front)
    assert fronts.keys() == expected.keys()
    for key in expected:
        assert len(fronts[key]) == len(expected[key]), key
        for got, want in zip(fronts[key], expected[key]):
            assert got == pytest.approx(want), key
    # the FP32, K = 1 front exists although BF16 or K = 32 points beat all of it
    assert len(fronts["_front: fp32, K=1"]) >= 2


def test_pareto_large_sweep_labels_front_points_only():
    frame = macgates.sweep(["int4", "int8", "fp4_e2m1", "fp6_e2m3", "fp6_e3m2", "float8_e4m3fn", "float8_e5m2",
                            "fp16", "bf16"], accumulators=["bf16", "fp32", "kulisch"], k=[1, 16, 32])
    assert len(frame) > 40
    fig = macgates.pareto_chart(frame)
    renderer = drawn(fig)
    for ax in fig.axes:
        front_xy = {tuple(xy) for line in ax.lines if line.get_label().startswith("_front")
                    for xy in line.get_xydata().tolist()}
        assert ax.texts
        assert all(tuple(t.xy) in front_xy for t in ax.texts)
    assert overlaps([t for ax in fig.axes for t in ax.texts], renderer, label_extent(renderer)) == []


# -- sweep_report ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sweep_markdown(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sweep")
    csv_path = folder / "sweep.csv"
    weights, accumulators, k = SWEEP
    run = subprocess.run([sys.executable, "-m", "macgates", "sweep", "--weights", ",".join(weights),
                          "--accumulators", ",".join(accumulators), "--k", ",".join(map(str, k)),
                          "--out", str(csv_path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    sweep_report(csv_path, folder / "out")
    return (folder / "out" / "sweep" / "report.md").read_text()


def test_sweep_report_title(sweep_markdown):
    assert sweep_markdown.splitlines()[0] == "# Design-space sweep: sweep.csv"
    assert "# Sweep sweep" not in sweep_markdown


def tables(markdown):
    """Each markdown table as (header cells, rule cells, rows of cells)."""
    out, lines = [], markdown.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("|") and i + 1 < len(lines) and lines[i + 1].startswith("|-"):
            cells = lambda s: [c.strip() for c in s.strip("|").split("|")]  # noqa: E731
            rows = []
            for row in lines[i + 2:]:
                if not row.startswith("|"):
                    break
                rows.append(cells(row))
            out.append((cells(line), cells(lines[i + 1]), rows))
    return out


def test_sweep_report_right_aligns_numbers(sweep_markdown):
    found = tables(sweep_markdown)
    assert len(found) == 2
    for header, rule, _ in found:
        align = dict(zip(header, rule))
        for column in header:
            numeric = column in ("k", "gates_per_mac", "element_range", "scale_range", "precision")
            assert align[column].endswith(":") == numeric, column


def test_sweep_report_lists_a_front_per_accumulator_and_k(sweep_markdown):
    for header, _, rows in tables(sweep_markdown):
        assert header[:4] == ["config", "accumulator", "k", "gates_per_mac"]
        assert {(r[1], r[2]) for r in rows} == {("bf16", "1"), ("bf16", "32"), ("fp32", "1"), ("fp32", "32")}
    range_rows = {r[0]: r for r in tables(sweep_markdown)[0][2]}
    fp4 = macgates.mac("fp4_e2m1", accumulator="fp32").gates
    # FP32, K = 1 front; FP4's range is log2(6 / 2^-1) = log2(12)
    assert range_rows["fp4_e2m1-fp32"][1:] == ["fp32", "1", f"{fp4}.000", f"{math.log2(12):.2f}"]
    int4 = macgates.dot("int4", k=32, accumulator="bf16").gates
    assert range_rows["int4-bf16-k32"][3] == fixed(Fraction(int4, 32), 3)  # the column's 3 decimals


def test_charts_are_deterministic(tmp_path):
    # (a design's charts: test_reporting compares every bundled report's SVGs, made in
    # another process, with the committed ones, and paper_fig3's every byte in this one)
    from macgates.report.charts import save

    frame = pareto_frame("sweep")
    for name, chart in {"pareto": macgates.pareto_chart}.items():
        first, second = (save(chart(frame), tmp_path / f"{name}-{n}")[1].read_bytes() for n in (1, 2))
        assert first == second, name


def test_relative_chart_uses_a_users_config_names():
    # accumulators tell the int4 x int8 bars apart, but the names say more (w4a8, w8a8)
    frame = macgates.table([{"name": "w8a8-fp32", "weights": "int8", "accumulator": "fp32"},
                            {"name": "w4a8-fp32", "weights": "int4", "activations": "int8", "accumulator": "fp32"},
                            {"name": "w4a8-kulisch", "weights": "int4", "activations": "int8"}])
    fig = macgates.relative_chart(frame)
    labels = [t.get_text().replace("\n", "") for t in fig.axes[0].get_xticklabels()]
    assert labels == ["w8a8-fp32", "w4a8-fp32", "w4a8-kulisch"]
    # names that only spell out format, accumulator and K keep the Figure 3 look
    fig3 = macgates.relative_chart(macgates.table("modern-formats"))
    assert "int8-k16" not in [t.get_text() for t in fig3.axes[0].get_xticklabels()]


def test_pareto_front_matches_the_definition():
    import random

    def brute(points):
        return {i for i, (c, q) in enumerate(points)
                if not any(c2 <= c and q2 >= q and (c2 < c or q2 > q) for j, (c2, q2) in enumerate(points) if j != i)}

    rng = random.Random(9)
    for _ in range(200):
        points = [(rng.randint(0, 6), rng.randint(0, 6)) for _ in range(rng.randint(0, 25))]
        assert pareto_front(points) == brute(points), points


def test_pareto_front_of_100000_points():
    points = [(i % 1000, (i * 7919) % 1000) for i in range(100_000)]  # every cost 100 times
    front = pareto_front(points)
    best = {}
    for c, q in points:
        best[c] = max(best.get(c, -1), q)
    want = set()
    running = -1
    for c in sorted(best):  # the staircase: a cost's best quality beats every cheaper one
        if best[c] > running:
            want.add((c, best[c]))
        running = max(running, best[c])
    assert {points[i] for i in front} == want
    assert len(pareto_front([(5, 5)] * 20_000)) == 20_000  # equal points do not beat each other


def test_sweep_report_of_repeated_rows(tmp_path):
    rows = "int8,int8,fp32,1,32,2583,2583,\n" * 20_000
    csv_path = tmp_path / "same.csv"
    csv_path.write_text("weights,activations,accumulator,k,acc_bits,gates,gates_per_mac,combine\n" + rows)
    paths = sweep_report(csv_path, tmp_path / "rep")
    text = next(p for p in paths if p.name == "report.md").read_text()
    assert "1 configuration from `same.csv`" in text  # 20,000 copies of one configuration


# -- issue 18: per-MAC axes, one colour per accumulator, Pareto charts that mean something --
def test_relative_chart_of_dot_units_says_per_mac():
    ax = macgates.relative_chart(macgates.table(design("modern-formats"))).axes[0]
    assert ax.get_ylabel() == "NAND2-equivalent gates per MAC, relative to int8-k1"
    scalar = macgates.relative_chart(macgates.table()).axes[0]
    assert scalar.get_ylabel() == "NAND2-equivalent gates, relative to int8-kulisch"


def bar_colours(ax, frame):
    """accumulator -> the set of face colours of its bars (bars are drawn in frame order)."""
    from matplotlib.colors import to_hex

    out: dict = {}
    for acc, bar in zip(frame["accumulator"], ax.patches):
        out.setdefault(acc, set()).add(to_hex(bar.get_facecolor()))
    return out


def point_colours(ax, frame):
    from matplotlib.colors import to_hex

    out: dict = {}
    for acc, c in zip(frame["accumulator"], ax.collections[0].get_facecolors()):
        out.setdefault(acc, set()).add(to_hex(c[:3]))  # alpha tells front from cloud, not the colour
    return out


def test_an_accumulator_has_one_colour_in_every_chart():
    """paper_fig3 (kulisch, fp16, fp32), a user's design (fp32 first, then kulisch: the order
    that gave fp32 paper_fig3's kulisch colour), modern-formats (fp32 only, three K) and a
    sweep (bf16, fp32): the relative and Pareto charts give each accumulator one colour,
    the same in all of them."""
    mine = [{"name": "w8-fp32", "weights": "int8", "accumulator": "fp32"},
            {"name": "w8-kulisch", "weights": "int8", "accumulator": "kulisch"},
            {"name": "w4-fp32", "weights": "int4", "accumulator": "fp32"},
            {"name": "e4m3-fp32", "weights": "fp8_e4m3", "accumulator": "fp32"}]
    seen: dict = {}
    for which in (design("paper_fig3"), mine, design("modern-formats")):
        frame = macgates.table(which)
        for colours in (bar_colours(macgates.relative_chart(frame).axes[0], frame),
                        point_colours(macgates.pareto_chart(frame).axes[0], frame)):
            for acc, found in colours.items():
                assert len(found) == 1, acc
                seen.setdefault(acc, set()).update(found)
    frame = sweep_frame()
    for acc, found in point_colours(macgates.pareto_chart(frame).axes[0], frame).items():
        seen.setdefault(acc, set()).update(found)
    assert {acc: len(c) for acc, c in seen.items()} == {"kulisch": 1, "fp16": 1, "fp32": 1, "bf16": 1}
    assert len({c for found in seen.values() for c in found}) == 4  # four accumulators, four colours


def test_k_is_never_a_colour():
    """modern-formats has one accumulator and three K: its bars all have fp32's colour, K is
    their hatching (one hatch per K), and no K colour can be taken for an accumulator's."""
    from matplotlib.colors import to_hex

    from macgates.report.charts import ACCUMULATOR_COLOURS, CATEGORY_COLOURS, OTHER_ACCUMULATOR_COLOURS

    frame = macgates.table(design("modern-formats"))
    ax = macgates.relative_chart(frame).axes[0]
    assert {to_hex(b.get_facecolor()) for b in ax.patches} == {ACCUMULATOR_COLOURS["fp32"]}
    hatches: dict = {}
    for k, bar in zip(frame["k"], ax.patches):
        hatches.setdefault(int(k), set()).add(bar.get_hatch())
    assert all(len(h) == 1 for h in hatches.values()) and len({h for s in hatches.values() for h in s}) == 3
    accumulator_colours = {*ACCUMULATOR_COLOURS.values(), *OTHER_ACCUMULATOR_COLOURS}
    assert len(accumulator_colours) == len(ACCUMULATOR_COLOURS) + len(OTHER_ACCUMULATOR_COLOURS)
    assert not accumulator_colours & set(CATEGORY_COLOURS.values())  # nor is a category


def test_unlisted_accumulators_get_colours_of_their_own():
    from macgates.report.charts import ACCUMULATOR_COLOURS, OTHER_ACCUMULATOR_COLOURS, accumulator_colours

    import hashlib

    def slot(name):  # the documented pick: sha256 of the name, modulo the spare colours
        return int(hashlib.sha256(name.encode()).hexdigest(), 16) % len(OTHER_ACCUMULATOR_COLOURS)
    names = ["kulisch:32", "fp8_e4m3", "custom:mine", "fp32:subnormals", "kulisch:40", "fp8_e5m2"]
    apart = [n for i, n in enumerate(names) if slot(n) not in {slot(m) for m in names[:i]}]  # no two share one
    assert len(apart) >= 2
    alone = {n: accumulator_colours([n, "fp32"])[n] for n in names}
    together = accumulator_colours(["fp32", *reversed(apart)])
    assert together["fp32"] == ACCUMULATOR_COLOURS["fp32"]
    assert all(together[n] == alone[n] == OTHER_ACCUMULATOR_COLOURS[slot(n)] for n in apart)
    crowd = accumulator_colours(names)  # some share a pick: the later (by name) takes the next free colour
    assert len({crowd[n] for n in names}) == min(len(names), len(OTHER_ACCUMULATOR_COLOURS))
    assert {crowd[n] for n in names} <= set(OTHER_ACCUMULATOR_COLOURS)


# (which bundled designs' reports have a Pareto chart, and that modern-formats' says its
# breakdown chart is per MAC: tests/test_reporting.py, on its reports of every bundled design)


def label_boxes(fig, renderer):
    return [(t, Text.get_window_extent(t, renderer)) for ax in fig.axes for t in ax.texts]


def segment_meets(p, q, box):
    """Does segment p-q cross the box (sampled finely: enough for a test)?"""
    return any(box.contains(p[0] + (q[0] - p[0]) * s / 400, p[1] + (q[1] - p[1]) * s / 400) for s in range(401))


@pytest.mark.parametrize("which", ["paper_fig3", "modern-formats", "sweep"])
def test_pareto_front_lines_do_not_strike_through_labels(which):
    """A label a front line crosses has an opaque box (the line passes behind it); in
    Figure 3 and the sweep no line crosses a label at all."""
    fig = macgates.pareto_chart(pareto_frame(which))
    renderer = drawn(fig)
    crossed = []
    for ax in fig.axes:
        lines = [ax.transData.transform(line.get_xydata()) for line in ax.lines
                 if line.get_label().startswith("_front")]
        for t in ax.texts:
            box = Text.get_window_extent(t, renderer)
            if any(segment_meets(p, q, box) for xy in lines for p, q in zip(xy, xy[1:])):
                crossed.append(t)
                assert t.get_bbox_patch().get_alpha() == 1.0, t.get_text()
                assert t.get_zorder() > max(line.get_zorder() for line in ax.lines)
    if which != "modern-formats":
        assert crossed == []


def test_pareto_points_on_one_spot_share_a_label():
    """fp8_e4m3-kulisch (1162 gates) and fp8_e4m3-fp16 (1152) have one range (17.9): in the
    range panel their markers are a pixel apart; one label names both."""
    ax = macgates.pareto_chart(macgates.table()).axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert any(set(t.split("\n")) == {"fp8_e4m3-kulisch", "fp8_e4m3-fp16"} for t in texts), texts
    assert "fp8_e4m3-fp16" not in texts


def test_pareto_cost_axis_starts_at_zero():
    for ax in macgates.pareto_chart(macgates.table()).axes:
        assert ax.get_ylim()[0] == 0


def test_pareto_places_block_formats_at_their_element_range():
    """mxfp4 is fp4_e2m1 (max 6, min positive 2^-1) with an E8M0 scale (2^-127 .. 2^127): it
    goes at log2(6 / 0.5) = log2(12), and the legend says the scale adds log2(2^254) = 254."""
    frame = macgates.table(design("modern-formats"))
    fig = macgates.pareto_chart(frame)
    left = fig.axes[0]
    xs = dict(zip(frame["name"], (x for x, _ in left.collections[0].get_offsets())))
    assert xs["mxfp4-k32"] == pytest.approx(math.log2(12)) == pytest.approx(xs["fp4-k32"])
    assert xs["nvfp4-k16"] == pytest.approx(math.log2(12))
    assert xs["mxint8-k32"] == pytest.approx(math.log2(127))  # int8 elements: 127 / 1
    assert xs["bf16-k1"] == pytest.approx(math.log2(2**128 * (1 - 2**-8)) + 133)  # max (2 - 2^-7) 2^127, min 2^-133
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "e8m0 scale: +254" in [t.split("\n")[0] for t in legend]
    assert "ue4m3 scale: +17.8" in [t.split("\n")[0] for t in legend]  # log2(448 / 2^-9) = 17.81
    assert "per element" in left.get_xlabel() and "block scales left out" in left.get_xlabel()


def test_pareto_of_a_large_sweep_labels_few_fronts_points_and_rasterizes_the_cloud():
    formats = ["int4", "int8", "fp4_e2m1", "fp6_e2m3", "fp6_e3m2", "float8_e4m3fn", "float8_e5m2", "fp16", "bf16",
               "mxfp4", "mxfp8_e4m3"]
    frame = macgates.sweep(formats, formats, accumulators=["kulisch", "fp16", "bf16", "fp32"], k=[1, 32])
    assert len(frame) > 400
    fig = macgates.pareto_chart(frame)
    renderer = drawn(fig)
    for ax in fig.axes:
        assert ax.collections[0].get_rasterized()
        texts = [t.get_text() for t in ax.texts]
        assert 0 < len(texts) <= 40
        names = [n for t in texts for n in t.split("\n")]
        assert len(names) == len(set(names))  # each format once a panel
        front_xy = {tuple(xy) for line in ax.lines if line.get_label().startswith("_front")
                    for xy in line.get_xydata().tolist()}
        assert all(tuple(t.xy) in front_xy for t in ax.texts)
    assert overlaps([t for ax in fig.axes for t in ax.texts], renderer, label_extent(renderer)) == []


# -- issue 18: the synthesis chart shows absolute gates -------------------------------------
def test_synthesis_chart_shows_absolute_gates_and_the_models_error():
    """int8-kulisch: model 775, synthesis 982 ((775 - 982) / 982 = -21.08%); fp8_e4m3-fp16:
    model 1152, synthesis 1188 (-3.03%): relative to the baseline both models look close
    (1.486 against 1.210), the absolute gap shows only in gates."""
    from macgates.report.charts import synthesis_chart

    rows = [{"name": "int8-kulisch", "model": 1, "synthesis": 1, "model_gates": 775, "synthesis_gates": 982},
            {"name": "fp8_e4m3-fp16", "model": Fraction(1152, 775), "synthesis": Fraction(1188, 982),
             "model_gates": 1152, "synthesis_gates": 1188}]
    fig = synthesis_chart(rows, "t", "int8-kulisch")
    gates, relative = fig.axes
    assert gates.get_xlabel() == "NAND2-equivalent gates"
    assert relative.get_xlabel() == "relative to int8-kulisch, per MAC"
    labels = [t.get_text() for t in gates.texts]
    assert labels == ["775 (-21.1%)", "1152 (-3.0%)", "982", "1188"]
    assert [t.get_text() for t in relative.texts] == ["1.00", "1.49", "1.00", "1.21"]
    for t in [*gates.texts, *relative.texts]:
        assert t.get_rotation() == 0 and t.get_fontsize() >= 7
    renderer = drawn(fig)
    assert overlaps([*gates.texts, *relative.texts], renderer) == []
