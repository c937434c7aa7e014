"""Reports: deterministic output, committed reports not stale, charts usable from Python."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

import macgates
from appendix_b import FA
from by_hand import INT8_KULISCH
from in_process import run as run_cli
from macgates.design.schema import bundled_designs
from macgates.support.counts import fixed

pytestmark = pytest.mark.slow  # whole reports (matplotlib)

# The tests that read `fresh` run on one xdist worker (pyproject: --dist loadgroup), so that
# it is made once, not once per worker; it is session-scoped: that worker may run other
# modules' tests between them, which would end a module-scoped fixture and make it again
FRESH = pytest.mark.xdist_group("fresh-reports")

REPO = Path(__file__).resolve().parent.parent
REPORTS = REPO / "reports"


@pytest.fixture(scope="session")
def fresh_run(tmp_path_factory):
    """All bundled designs' reports, regenerated the way `macgates report` does, in a
    process of their own: with the synthesis results kept beside them
    (reports/<design>/synthesis.csv). (the folder, the process's last line of stdout:
    whether matplotlib.pyplot was imported)"""
    import shutil

    out = tmp_path_factory.mktemp("reports")
    for csv in REPORTS.glob("*/synthesis.csv"):
        (out / csv.parent.name).mkdir()
        shutil.copy(csv, out / csv.parent.name / csv.name)
    code = ("import sys; from macgates.cli import main; code = main(sys.argv[1:]); "
            "print('matplotlib.pyplot' in sys.modules); sys.exit(code)")
    run = subprocess.run([sys.executable, "-c", code, "report", "--out", str(out)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return out, run.stdout.splitlines()[-1]


@pytest.fixture
def fresh(fresh_run):
    return fresh_run[0]


@FRESH
def test_report_writes_charts_and_markdown(fresh):
    for stem in bundled_designs():
        folder = fresh / stem
        names = sorted(p.name for p in folder.iterdir())
        charts = ["breakdown.png", "breakdown.svg", "relative.png", "relative.svg", "report.md"]
        if "synthesis.csv" in names:  # results kept beside the report: a chart of them
            charts += ["synthesis.csv", "synthesis.png", "synthesis.svg"]
        if "## Cost against accuracy" in (folder / "report.md").read_text():  # a design with data:
            charts += ["accuracy.png", "accuracy.svg"]
            assert "![model against synthesis](synthesis.svg)" in (folder / "report.md").read_text()
        assert names in (sorted(charts), sorted(charts + ["pareto.png", "pareto.svg"]))
        if "pareto.svg" in names:
            assert "![Pareto](pareto.svg)" in (folder / "report.md").read_text()
    index = (fresh / "index.md").read_text()
    for stem in bundled_designs():
        assert f"]({stem}/report.md)" in index


@FRESH
def test_png_resolution(fresh):
    from PIL import Image

    for png in fresh.glob("*/*.png"):
        dpi = Image.open(png).info["dpi"]
        assert min(dpi) >= 150, png


@FRESH
def test_deterministic(fresh, tmp_path):
    """paper_fig3's report made again, in this process, has the bytes of `fresh`'s (made
    in another process)."""
    import shutil

    (tmp_path / "paper_fig3").mkdir()
    shutil.copy(REPORTS / "paper_fig3" / "synthesis.csv", tmp_path / "paper_fig3" / "synthesis.csv")
    assert run_cli("report", "paper_fig3", "--out", tmp_path).returncode == 0
    again = sorted((tmp_path / "paper_fig3").iterdir())
    assert [p.name for p in again] == sorted(p.name for p in (fresh / "paper_fig3").iterdir())
    for path in again:
        assert path.read_bytes() == (fresh / "paper_fig3" / path.name).read_bytes(), path.name
    assert "<dc:date>" not in (tmp_path / "paper_fig3" / "relative.svg").read_text()


def _chart_version(markdown: str) -> str:
    return re.search(r"Charts: matplotlib (\S+),", markdown).group(1)


@FRESH
def test_committed_reports_are_current(fresh):
    """Fails when reports/ is stale: run `macgates report` and commit the result."""
    import matplotlib

    assert (REPORTS / "index.md").read_text() == (fresh / "index.md").read_text()
    for stem in bundled_designs():
        committed = (REPORTS / stem / "report.md").read_text()
        assert (fresh / stem / "report.md").read_text() == committed, f"reports/{stem} is stale"
        if _chart_version(committed) != matplotlib.__version__:
            continue  # another matplotlib draws other bytes; the markdown above compared the numbers
        for svg in (fresh / stem).glob("*.svg"):
            assert svg.read_bytes() == (REPORTS / stem / svg.name).read_bytes(), \
                f"reports/{stem}/{svg.name} is stale"


@FRESH
def test_findings_are_computed_from_the_data(fresh):
    text = (fresh / "paper_fig3" / "report.md").read_text()
    t = macgates.table()
    rel = dict(zip(t["name"], t["relative"]))
    assert (f"with an FP16 accumulator {rel['fp8_e4m3-fp16']:.3f}x (whitepaper 1.53x); "
            f"with an FP32 accumulator {rel['fp8_e4m3-fp32']:.3f}x (whitepaper 2.83x)") in text
    assert "For fp8_e5m2, fp8_e5m2-fp16 is the cheapest" in text
    assert "For int8, int8-kulisch is the cheapest (775 gates)" in text


def test_charts_from_the_table_frame():
    frame = macgates.table()
    fig = macgates.relative_chart(frame, "Figure 3")
    ax = fig.axes[0]
    assert len(ax.patches) == 15  # one bar per config
    assert [t.get_text() for t in ax.get_xticklabels()] == ["int8", "fp8_e2m5", "fp8_e3m4", "fp8_e4m3", "fp8_e5m2"]
    assert ax.get_ylabel() == "NAND2-equivalent gates, relative to int8-kulisch"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["kulisch", "fp16", "fp32"]
    parts = macgates.breakdown_table()
    assert list(parts["total"]) == list(frame["gates"])
    assert (parts.drop(columns=["name", "total"]).sum(axis=1) == parts["total"]).all()
    fig2 = macgates.breakdown_chart(parts)
    assert len(fig2.axes[0].patches) == 15 * (len(parts.columns) - 2)


@FRESH
def test_report_never_uses_pyplot(fresh_run):
    """(every bundled design's charts, synthesis charts included; that `table` imports no
    matplotlib at all: tests/test_cli.py)"""
    assert fresh_run[1] == "False"


def test_readme_shows_the_figure3_chart():
    readme = (REPO / "README.md").read_text()
    assert "](reports/paper_fig3/relative.png)" in readme


def test_pareto_front_and_chart():
    from macgates.report.charts import pareto_front

    # (cost, quality): (1, 1) and (2, 3) are on the front, (3, 2) is beaten by (2, 3)
    assert pareto_front([(1, 1), (2, 3), (3, 2)]) == {0, 1}
    frame = macgates.table(REPO / "designs" / "modern-formats.yaml")
    fig = macgates.pareto_chart(frame, "modern")
    left, right = fig.axes
    assert left.get_ylabel() == "NAND2-equivalent gates per MAC"
    assert "dynamic range" in left.get_xlabel() and "mantissa bits" in right.get_xlabel()
    # every point labelled; points on one spot share a label, a name a line
    assert sorted(n for t in left.texts for n in t.get_text().split("\n")) == sorted(frame["name"])


def test_pareto_chart_takes_a_sweep():
    frame = macgates.sweep(["int4", "int8", "fp8_e4m3"], accumulators=["fp32"], k=[1, 32])
    fig = macgates.pareto_chart(frame)
    assert len(fig.axes[0].collections[0].get_offsets()) == len(frame)


def test_sweep_report(tmp_path):
    csv_path = tmp_path / "grid.csv"
    sweep = run_cli("sweep", "--weights", "int4,int8,fp4_e2m1,bf16", "--accumulators", "fp32", "--k", "1,32",
                    "--out", csv_path)
    assert sweep.returncode == 0, sweep.stderr
    out = run_cli("report", "--sweep", csv_path, "--out", tmp_path / "rep")
    assert out.returncode == 0, out.stderr
    text = (tmp_path / "rep" / "grid" / "report.md").read_text()
    assert "8 configurations from `grid.csv`." in text
    # int4 at k = 32 is the cheapest per MAC of all: on both fronts
    assert text.count("| int4-fp32-k32 ") == 2
    assert (tmp_path / "rep" / "grid" / "pareto.svg").exists()


def test_sweep_report_of_a_non_sweep_file(tmp_path):
    bad = tmp_path / "x.csv"
    bad.write_text("a,b\n1,2\n")
    out = run_cli("report", "--sweep", bad, "--out", tmp_path / "rep")
    assert out.returncode == 2
    assert out.stderr == (f"macgates: error: {bad}: missing column 'weights' (a 'macgates sweep' CSV has "
                          "weights, activations, accumulator, k, gates, gates_per_mac)\n")
    assert not (tmp_path / "rep").exists()


@pytest.mark.usefixtures("unrendered")
@pytest.mark.parametrize("how", ["design-overrides", "cost-option"])
def test_report_with_other_costs_does_not_claim_the_whitepaper(tmp_path, how):
    args = ["cheap_fa"] if how == "design-overrides" else ["paper_fig3", "--cost", "fa=6"]
    run = run_cli("report", *args, "--out", tmp_path)
    assert run.returncode == 0, run.stderr
    text = (tmp_path / args[0] / "report.md").read_text()
    # fa = 6 (either way): int8-kulisch, with 49 + 26 full adders, is cheaper by 75 x (FA - 6)
    assert f"int8-kulisch is the cheapest ({INT8_KULISCH - 75 * (FA - 6)} gates)" in text
    assert "(whitepaper 1.53x)" not in text and "(whitepaper 2.83x)" not in text
    assert "differ from the whitepaper's App. B table (fa), so the whitepaper's 1.53x and 2.83x" in text
    origin = "the design's `library_overrides`" if how == "design-overrides" else "`--cost`"
    assert f"\n- Overrides applied on top of it:\n  - `fa` = `6` (from {origin})\n" in text


@FRESH
@pytest.mark.parametrize("stem, drawn", [("paper_fig3", True), ("modern-formats", True), ("cheap_fa", True),
                                         ("booth_vs_array", False), ("fp_accumulator_choices", False),
                                         ("custom_datapath", False)])
def test_pareto_chart_only_where_three_formats_share_an_accumulator_and_k(fresh, stem, drawn):
    """booth_vs_array: two formats per accumulator (int8, int16 | fp8_e2m5, bf16);
    fp_accumulator_choices: fp8_e4m3 alone under fp16 and fp32; custom_datapath: int8 and
    a hand-built datapath: a front there is at most two points. (from tests/test_charts.py:
    `fresh` has every bundled design's report)"""
    assert (fresh / stem / "pareto.svg").exists() == drawn
    md = (fresh / stem / "report.md").read_text()
    assert ("![Pareto](pareto.svg)" in md) == drawn
    assert ("No Pareto chart:" in md) == (not drawn)


@FRESH
def test_report_says_its_breakdown_chart_is_per_mac(fresh):
    text = (fresh / "modern-formats" / "report.md").read_text()
    assert "The chart shows gates per MAC" in text
    table = text[text.index("## Gates by category"):]
    header = next(line for line in table.splitlines() if line.startswith("| name"))
    assert [c.strip() for c in header.strip("|").split("|")][:3] == ["name", "k", "multiplier"]
    row = next(line for line in table.splitlines() if line.startswith("| int8-k32 "))
    cells = [c.strip() for c in row.strip("|").split("|")]
    unit = macgates.dot("int8", k=32, accumulator="fp32")  # the table is whole units, with k
    assert cells[1] == "32" and cells[-1] == str(unit.gates)
    assert cells[2] == str(unit.by_category()["multiplier"])


@FRESH
def test_report_with_bundled_costs_compares_to_the_whitepaper(fresh):
    text = (fresh / "paper_fig3" / "report.md").read_text()
    assert "(whitepaper 1.53x)" in text
    assert "the bundled library, unchanged (whitepaper App. B costs)" in text


def test_report_with_a_bad_design_writes_nothing(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("macgates: 1\nname: bad\nconfigs:\n  - {name: a, weights: int99}\n")
    out = tmp_path / "out"
    run = run_cli("report", "paper_fig3", bad, "--out", out)
    assert run.returncode == 2 and "unknown format 'int99'" in run.stderr
    assert not out.exists()  # paper_fig3's report was not written either


def test_report_that_fails_half_way_leaves_nothing_new(tmp_path):
    out = tmp_path / "out"  # (the smallest bundled design: its charts come before report.md too)
    (out / "custom_datapath" / "report.md").mkdir(parents=True)  # the last file cannot be written
    run = run_cli("report", "custom_datapath", "--out", out)
    assert run.returncode == 2
    assert run.stderr == f"macgates: error: {out / 'custom_datapath' / 'report.md'}: cannot write (Is a directory)\n"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == ["custom_datapath",
                                                                             "custom_datapath/report.md"]


def _synth_csv(path, rows):
    path.write_text("name,model_gates,synth_gates,ratio,ffs,model_relative,synth_relative\n"
                    + "".join(f"{n},{m},{s},1,1,1,1\n" for n, m, s in rows))
    return path


@pytest.mark.usefixtures("unrendered")
def test_a_synthesis_csv_adds_a_chart_and_a_table(tmp_path):
    t = {r["name"]: r["gates"] for r in macgates.table_records()}
    csv = _synth_csv(tmp_path / "s.csv", [("int8-kulisch", t["int8-kulisch"], 1000),
                                          ("fp8_e4m3-fp16", t["fp8_e4m3-fp16"], 1250),
                                          ("fp8_e5m2-fp16", t["fp8_e5m2-fp16"] + 1, 900)])  # another model's
    run = run_cli("report", "paper_fig3", "--out", tmp_path / "r", "--synth", csv)
    assert run.returncode == 0, run.stderr
    md = (tmp_path / "r" / "paper_fig3" / "report.md").read_text()
    assert "![model against synthesis](synthesis.svg)" in md and (tmp_path / "r" / "paper_fig3" / "synthesis.png").exists()
    assert "| fp8_e4m3-fp16 |" in md.split("## Model against synthesis")[1]
    assert "1.250" in md  # 1250 / 1000: relative to the baseline, per MAC
    assert "- `s.csv`: 1 row (fp8_e5m2-fp16): left out: model_gates in the CSV are not today's" in md


def test_synthesis_chart_has_a_bar_per_series_and_config():
    from macgates.report.charts import synthesis_chart

    rows = [{"name": "a", "model": 1, "calibrated": 1, "synthesis": 1},
            {"name": "b", "model": 1.5, "calibrated": 1.4, "synthesis": 1.2}]
    fig = synthesis_chart(rows, "t", "a")
    ax = fig.axes[0]
    assert len(ax.patches) == 6
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["App. B model", "calibrated model",
                                                                   "synthesis (Yosys)"]


@pytest.mark.parametrize("text,message", [
    ("name,model_gates\nx,1\n", "missing column 'synth_gates'"),
    ("name,model_gates,synth_gates\nx,1,abc\n", "s.csv:2: column synth_gates: 'abc' is not a number"),
    ("name,model_gates,synth_gates\nx,1,0\n", "s.csv:2: column synth_gates: 0 is not a number > 0"),
], ids=["missing_column", "not_a_number", "zero"])
def test_bad_synthesis_csv(tmp_path, text, message):
    from macgates.support.errors import DesignError
    from macgates.report.markdown import read_synthesis

    (tmp_path / "s.csv").write_text(text)
    with pytest.raises(DesignError, match=re.escape(message)):
        read_synthesis(tmp_path / "s.csv")


# -- issue 18: synthesis results that are not used are said to be, and why -------------------
@pytest.fixture
def unrendered(monkeypatch):
    """Charts built but not rendered to PNG and SVG (placeholder bytes under the same
    names), for tests of what a report says: rendering is most of a report's time, and
    the rendered charts are test_committed_reports_are_current's and test_charts'."""
    import importlib

    def placeholders(fig, stem):
        return {f"{stem}.png": b"(not rendered)", f"{stem}.svg": b"(not rendered)"}

    for module in ("macgates.report.charts", "macgates.report.markdown"):
        monkeypatch.setattr(importlib.import_module(module), "figure_files", placeholders)


def _report(tmp_path, *args):
    return run_cli("report", *args, "--out", tmp_path / "r")


def _fig3_synth_csv(path):
    """paper_fig3's synthesis results (the committed ones: made with the bundled library)."""
    import shutil

    shutil.copy(REPORTS / "paper_fig3" / "synthesis.csv", path)
    return path


@pytest.mark.usefixtures("unrendered")
@pytest.mark.parametrize("how", ["cost", "library"])
def test_report_says_why_given_results_are_not_used(tmp_path, how):
    """--cost fa=6 or --library calibrated change every config's model gates: the CSV's
    model_gates (775 for int8-kulisch: App. B) are not today's, so no row is used."""
    csv = _fig3_synth_csv(tmp_path / "s.csv")
    option = ["--cost", "fa=6"] if how == "cost" else ["--library", "calibrated"]
    run = _report(tmp_path, "paper_fig3", *option, "--synth", str(csv))
    assert run.returncode == 0, run.stderr
    today = macgates.table_records(REPO / "designs" / "paper_fig3.yaml",
                                   library=(macgates.load_library().with_overrides({"fa": "6"}) if how == "cost"
                                            else macgates.load_library("calibrated")))[0]["gates"]
    lines = run.stderr.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"macgates: paper-fig3: {csv}: 15 rows (int8-kulisch, int8-fp16, ")
    assert "left out: model_gates in the CSV are not today's model gates (int8-kulisch: 775 there, " in lines[0]
    assert f" {fixed(today, 0 if how == 'cost' else 1)} now)" in lines[0]  # a calibrated figure: 1 decimal
    assert lines[1] == (f"macgates: paper-fig3: {csv}: not used: no model-against-synthesis chart: the baseline "
                        "int8-kulisch's result is left out (above), and the chart is relative to it")
    md = (tmp_path / "r" / "paper_fig3" / "report.md").read_text()
    section = md.split("## Model against synthesis\n")[1].split("\n## ")[0]
    assert "No chart:" in section and "- `s.csv`: 15 rows (int8-kulisch" in section
    assert "the baseline int8-kulisch's result is left out" in section
    assert not (tmp_path / "r" / "paper_fig3" / "synthesis.svg").exists()


@pytest.mark.usefixtures("unrendered")
def test_report_says_why_one_matching_row_makes_no_chart(tmp_path):
    csv = _synth_csv(tmp_path / "s.csv", [("int8-kulisch", 775, 982), ("no-such-config", 10, 12)])
    run = _report(tmp_path, "paper_fig3", "--synth", str(csv))
    assert run.returncode == 0, run.stderr
    assert run.stderr.splitlines() == [
        f"macgates: paper-fig3: {csv}: 1 row (int8-kulisch): not used: no model-against-synthesis chart: only "
        "the baseline int8-kulisch has a current result; the chart needs one more config",
        f"macgates: {csv}: 1 row (no-such-config): not used: no config of that name in paper-fig3"]
    md = (tmp_path / "r" / "paper_fig3" / "report.md").read_text()
    assert "- `s.csv`: 1 row (int8-kulisch): not used: no model-against-synthesis chart: only the baseline" in md


@pytest.mark.usefixtures("unrendered")
def test_report_warns_of_some_given_rows_left_out(tmp_path):
    t = {r["name"]: r["gates"] for r in macgates.table_records()}
    csv = _synth_csv(tmp_path / "s.csv", [("int8-kulisch", t["int8-kulisch"], 1000),
                                          ("int8-fp16", t["int8-fp16"], 2000),
                                          ("int8-fp32", t["int8-fp32"] - 1, 3000)])
    run = _report(tmp_path, "paper_fig3", "--synth", str(csv))
    assert run.returncode == 0, run.stderr
    assert run.stderr.startswith(f"macgates: paper-fig3: {csv}: 1 row (int8-fp32): left out: model_gates in the "
                                 f"CSV are not today's model gates (int8-fp32: {t['int8-fp32'] - 1} there, "
                                 f"{t['int8-fp32']} now)")
    assert len(run.stderr.splitlines()) == 1
    assert (tmp_path / "r" / "paper_fig3" / "synthesis.svg").exists()  # the two current rows are drawn


@pytest.mark.usefixtures("unrendered")
def test_results_found_beside_a_report_are_explained_in_it_only(tmp_path):
    """reports/<design>/synthesis.csv is read without being asked for: a report made with
    other costs says why it is not used, stderr does not."""
    (tmp_path / "r" / "paper_fig3").mkdir(parents=True)
    _fig3_synth_csv(tmp_path / "r" / "paper_fig3" / "synthesis.csv")
    run = _report(tmp_path, "paper_fig3", "--cost", "fa=6")
    assert run.returncode == 0 and run.stderr == ""
    md = (tmp_path / "r" / "paper_fig3" / "report.md").read_text()
    assert "- `synthesis.csv`: 15 rows (int8-kulisch, " in md and "left out: model_gates in the CSV" in md


# -- issue 18: which library, and every override on a line of its own ------------------------
def _source_section(md):
    return md.split("## Source of the numbers\n")[1]


@pytest.mark.usefixtures("unrendered")
def test_report_names_a_wholesale_library_and_lists_overrides(tmp_path):
    run = _report(tmp_path, "paper_fig3", "--library", "calibrated", "--cost", "fa=6", "--cost", "ff=4.5")
    assert run.returncode == 0, run.stderr
    source = _source_section((tmp_path / "r" / "paper_fig3" / "report.md").read_text())
    lines = source.strip().splitlines()
    assert all(len(line) < 400 for line in lines)
    library = next(line for line in lines if line.startswith("- Primitive library:"))
    assert library.startswith("- Primitive library: `macgates-calibrated`, the bundled calibrated library "
                              "(`--library calibrated`, file calibrated_library.yaml)")
    assert "adder_cin" not in source  # its 37 differing formulas are in the file, not here
    assert "- Overrides applied on top of it:" in lines
    assert "  - `fa` = `6` (from `--cost`)" in lines and "  - `ff` = `4.5` (from `--cost`)" in lines


@pytest.mark.usefixtures("unrendered")
def test_report_lists_a_users_library_changes_and_every_override(tmp_path):
    lib = tmp_path / "cells.yaml"
    lib.write_text("version: 1\nname: my-cells\nextends: default\nprimitives:\n"
                   "  ha: {cost: '4', source: my cell library}\n  nand3: {cost: '2', source: my cell library}\n")
    mine = tmp_path / "mine.yaml"
    mine.write_text("macgates: 1\nname: mine\nlibrary: cells.yaml\nlibrary_overrides: {fa: '6'}\nconfigs:\n"
                    + "".join(f"  - {{name: {w}, weights: {w}}}\n" for w in ("int8", "int4", "fp8_e4m3")))
    run = _report(tmp_path, str(mine), "--cost", "and2=2")
    assert run.returncode == 0, run.stderr
    lines = _source_section((tmp_path / "r" / "mine" / "report.md").read_text()).splitlines()
    assert f"- Primitive library: `my-cells` from `{lib}`" in next(x for x in lines if x.startswith("- Primitive"))
    assert "  - `ha`: `4` (my cell library)" in lines and "  - `nand3`: `2` (my cell library)" in lines
    assert "  - `fa` = `6` (from the design's `library_overrides`)" in lines
    assert "  - `and2` = `2` (from `--cost`)" in lines


# -- issue 18: every image under its own heading, with a caption ------------------------------
def _images_have_headings_and_captions(md):
    lines = md.splitlines()
    images = [i for i, line in enumerate(lines) if line.startswith("![")]
    assert images
    headings = []
    for i in images:
        before = [line for line in lines[:i] if line.strip()]
        assert before[-1].startswith("## "), lines[i]  # the heading right above it
        headings.append(before[-1])
        after = [line for line in lines[i + 1:] if line.strip()]
        assert after[0].startswith("*Figure: ") and after[0].endswith("*"), lines[i]
    assert len(set(headings)) == len(headings)  # one image a heading


@FRESH
def test_every_report_image_has_a_heading_and_a_caption(fresh, tmp_path):
    for stem in bundled_designs():
        _images_have_headings_and_captions((fresh / stem / "report.md").read_text())
    csv_path = tmp_path / "grid.csv"
    run = run_cli("sweep", "--weights", "int4,int8,fp4_e2m1", "--out", csv_path)
    assert run.returncode == 0, run.stderr
    from macgates.report.markdown import sweep_report

    sweep_report(csv_path, tmp_path / "rep")
    _images_have_headings_and_captions((tmp_path / "rep" / "grid" / "report.md").read_text())


@pytest.mark.usefixtures("unrendered")
def test_report_says_which_of_two_given_csvs_it_used(tmp_path):
    t = {r["name"]: r["gates"] for r in macgates.table_records()}
    rows = [("int8-kulisch", t["int8-kulisch"], 1000), ("int8-fp16", t["int8-fp16"], 2000)]
    first = _synth_csv(tmp_path / "first.csv", rows)
    second = _synth_csv(tmp_path / "second.csv", rows[1:])
    run = _report(tmp_path, "paper_fig3", "--synth", str(first), "--synth", str(second))
    assert run.returncode == 0, run.stderr
    assert run.stderr == f"macgates: {first}: 1 row (int8-fp16): not used: {second} has results for them too, given after it\n"


CLOCK_CSV = ("name,area,critical_ns,clock_ns,met\n"
             "int8-kulisch,23448,5.316,2.000,no\n"
             "int8-kulisch,18918,7.062,8.000,yes\n"
             "fp8_e4m3-fp16,32881,10.954,2.000,no\n"
             "fp8_e4m3-fp16,29885,12.359,8.000,no\n"
             "not-a-config-here,1,1,1,yes\n")


@pytest.mark.usefixtures("unrendered")
def test_a_clock_csv_gives_the_area_against_the_clock(tmp_path):
    path = tmp_path / "clock.csv"
    path.write_text(CLOCK_CSV)
    run = _report(tmp_path, "paper_fig3", "--synth", str(path))
    assert run.returncode == 0, run.stderr
    folder = tmp_path / "r" / "paper_fig3"
    md = (folder / "report.md").read_text()
    assert (folder / "clock.svg").is_file() and (folder / "clock.png").is_file()
    assert "## Area against the clock" in md and "![area against the clock](clock.svg)" in md
    # one row per config of this design, the CSV's numbers, the unmet clocks marked
    assert "| int8-kulisch | 23448, 5.316 ns (not met) | 18918, 7.062 ns |" in md
    assert "| fp8_e4m3-fp16 | 32881, 10.954 ns (not met) | 29885, 12.359 ns (not met) |" in md
    assert "not-a-config-here" not in md
    _images_have_headings_and_captions(md)


@pytest.mark.usefixtures("unrendered")
def test_the_api_report_takes_clock_curves(tmp_path):
    from macgates.report.markdown import read_clock_curves

    path = tmp_path / "clock.csv"
    path.write_text(CLOCK_CSV)
    written = macgates.report("paper_fig3", tmp_path / "r", curves=read_clock_curves(path))
    assert tmp_path / "r" / "paper_fig3" / "clock.svg" in written
    md = (tmp_path / "r" / "paper_fig3" / "report.md").read_text()
    assert "| int8-kulisch | 23448, 5.316 ns (not met) | 18918, 7.062 ns |" in md  # the CSV's own numbers


@pytest.mark.usefixtures("unrendered")
@pytest.mark.parametrize("text,message", [
    ("name,area,critical_ns,clock_ns,met\nx,1,1,2,maybe\n", "clock.csv:2: column met: 'maybe': expected yes or no"),
    ("name,area,critical_ns,clock_ns,met\nx,-1,1,2,yes\n", "clock.csv:2: column area: '-1' is not a number > 0"),
    ("name,area,critical_ns,clock_ns,met\nx,1,inf,2,yes\n", "clock.csv:2: column critical_ns: 'inf' is not a number > 0"),
    ("name,area,clock_ns,met\nx,1,2,yes\n", "clock.csv: missing column 'critical_ns'"),
], ids=["met", "negative", "infinite", "missing"])
def test_a_bad_clock_csv_is_one_line(tmp_path, text, message):
    path = tmp_path / "clock.csv"
    path.write_text(text)
    run = _report(tmp_path, "paper_fig3", "--synth", str(path))
    assert run.returncode == 2 and run.stderr.count("\n") == 1 and message in run.stderr, run.stderr
    assert not (tmp_path / "r").exists()


@pytest.mark.slow
def test_a_report_in_um2_says_so():
    """A library calibrated to a liberty file states its costs in um^2: the report's words,
    captions and axes say area (um^2), never NAND2-equivalent gates."""
    from macgates.report.markdown import report_files

    configs = [{"name": "int8-kulisch", "weights": "int8", "accumulator": "kulisch"},
               {"name": "int8-fp16", "weights": "int8", "accumulator": "fp16"}]
    files = report_files(configs, library="calibrated-osu018")
    md = next(v for k, v in files.items() if k.endswith("report.md"))
    cheapest = macgates.table(configs, library="calibrated-osu018")["gates"].min()
    assert f"cheapest ({cheapest:.1f} um^2)" in md
    assert "costs are in um^2 and delays in ns" in md and "gates are NAND2 equivalents" not in md
    assert "*Figure: area (um^2) of each config relative to" in md
    svg = next(v for k, v in files.items() if k.endswith("breakdown.svg"))
    svg = svg.decode() if isinstance(svg, bytes) else svg
    assert "NAND2-equivalent" not in svg
