"""Reports: deterministic output, committed reports not stale, charts usable from Python."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

import macgates
from macgates.design import bundled_designs

REPO = Path(__file__).resolve().parent.parent
REPORTS = REPO / "reports"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """All bundled designs' reports, regenerated the way `macgates report` does: with the
    synthesis results kept beside them (reports/<design>/synthesis.csv)."""
    import shutil

    out = tmp_path_factory.mktemp("reports")
    for csv in REPORTS.glob("*/synthesis.csv"):
        (out / csv.parent.name).mkdir()
        shutil.copy(csv, out / csv.parent.name / csv.name)
    run = subprocess.run([sys.executable, "-m", "macgates", "report", "--out", str(out)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return out


def test_report_writes_charts_and_markdown(fresh):
    for stem in bundled_designs():
        folder = fresh / stem
        names = sorted(p.name for p in folder.iterdir())
        charts = ["breakdown.png", "breakdown.svg", "relative.png", "relative.svg", "report.md"]
        if "synthesis.csv" in names:  # results kept beside the report: a chart of them
            charts += ["synthesis.csv", "synthesis.png", "synthesis.svg"]
            assert "![model against synthesis](synthesis.svg)" in (folder / "report.md").read_text()
        assert names in (sorted(charts), sorted(charts + ["pareto.png", "pareto.svg"]))
        if "pareto.svg" in names:
            assert "![Pareto](pareto.svg)" in (folder / "report.md").read_text()
    index = (fresh / "index.md").read_text()
    for stem in bundled_designs():
        assert f"]({stem}/report.md)" in index


def test_png_resolution(fresh):
    from PIL import Image

    for png in fresh.glob("*/*.png"):
        dpi = Image.open(png).info["dpi"]
        assert min(dpi) >= 150, png


def test_deterministic(tmp_path):
    a = macgates.report(None, tmp_path / "a")
    b = macgates.report(None, tmp_path / "b")
    for pa, pb in zip(a, b):
        assert pa.name == pb.name
        assert pa.read_bytes() == pb.read_bytes(), pa.name
    svg = next(p for p in a if p.name == "relative.svg").read_text()
    assert "<dc:date>" not in svg


def _chart_version(markdown: str) -> str:
    return re.search(r"Charts: matplotlib (\S+),", markdown).group(1)


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


def test_report_never_uses_pyplot_and_table_never_matplotlib(tmp_path):
    code = ("import sys, macgates; macgates.report(None, sys.argv[1]); "
            "print('matplotlib.pyplot' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


def test_readme_shows_the_figure3_chart():
    readme = (REPO / "README.md").read_text()
    assert "](reports/paper_fig3/relative.png)" in readme


def test_pareto_front_and_chart():
    from macgates.reporting import pareto_front

    # (cost, quality): (1, 1) and (2, 3) are on the front, (3, 2) is beaten by (2, 3)
    assert pareto_front([(1, 1), (2, 3), (3, 2)]) == {0, 1}
    frame = macgates.table(REPO / "designs" / "modern-formats.yaml")
    fig = macgates.pareto_chart(frame, "modern")
    left, right = fig.axes
    assert left.get_ylabel() == "NAND2-equivalent gates per MAC"
    assert "dynamic range" in left.get_xlabel() and "mantissa bits" in right.get_xlabel()
    assert len(left.texts) == len(frame)  # every point labelled


def test_pareto_chart_takes_a_sweep():
    frame = macgates.sweep(["int4", "int8", "fp8_e4m3"], accumulators=["fp32"], k=[1, 32])
    fig = macgates.pareto_chart(frame)
    assert len(fig.axes[0].collections[0].get_offsets()) == len(frame)


def test_sweep_report(tmp_path):
    csv_path = tmp_path / "grid.csv"
    sweep = subprocess.run([sys.executable, "-m", "macgates", "sweep", "--weights", "int4,int8,fp4_e2m1,bf16",
                            "--accumulators", "fp32", "--k", "1,32", "--out", str(csv_path)],
                           capture_output=True, text=True)
    assert sweep.returncode == 0, sweep.stderr
    out = subprocess.run([sys.executable, "-m", "macgates", "report", "--sweep", str(csv_path), "--out",
                          str(tmp_path / "rep")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    text = (tmp_path / "rep" / "grid" / "report.md").read_text()
    assert "8 configurations from `grid.csv`." in text
    # int4 at k = 32 is the cheapest per MAC of all: on both fronts
    assert text.count("| int4-fp32-k32 ") == 2
    assert (tmp_path / "rep" / "grid" / "pareto.svg").exists()


def test_sweep_report_of_a_non_sweep_file(tmp_path):
    bad = tmp_path / "x.csv"
    bad.write_text("a,b\n1,2\n")
    out = subprocess.run([sys.executable, "-m", "macgates", "report", "--sweep", str(bad), "--out",
                          str(tmp_path / "rep")], capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr == (f"macgates: error: {bad}: missing column 'weights' (a 'macgates sweep' CSV has "
                          "weights, activations, accumulator, k, gates, gates_per_mac)\n")
    assert not (tmp_path / "rep").exists()


@pytest.mark.parametrize("how", ["design-overrides", "cost-option"])
def test_report_with_other_costs_does_not_claim_the_whitepaper(tmp_path, how):
    args = ["cheap_fa"] if how == "design-overrides" else ["paper_fig3", "--cost", "fa=6"]
    run = subprocess.run([sys.executable, "-m", "macgates", "report", *args, "--out", str(tmp_path)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    text = (tmp_path / args[0] / "report.md").read_text()
    assert "(whitepaper 1.53x)" not in text and "(whitepaper 2.83x)" not in text
    assert "differ from the whitepaper's App. B table (fa), so the whitepaper's 1.53x and 2.83x" in text
    assert "costs differ from the bundled library (whitepaper App. B) in: fa = `6`" in text


def test_report_with_bundled_costs_compares_to_the_whitepaper(fresh):
    text = (fresh / "paper_fig3" / "report.md").read_text()
    assert "(whitepaper 1.53x)" in text
    assert "the bundled library, unchanged (whitepaper App. B costs)" in text


def test_report_with_a_bad_design_writes_nothing(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("macgates: 1\nname: bad\nconfigs:\n  - {name: a, weights: int99}\n")
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "macgates", "report", "paper_fig3", str(bad), "--out", str(out)],
                         capture_output=True, text=True)
    assert run.returncode == 2 and "unknown format 'int99'" in run.stderr
    assert not out.exists()  # paper_fig3's report was not written either


def test_report_that_fails_half_way_leaves_nothing_new(tmp_path):
    out = tmp_path / "out"
    (out / "paper_fig3" / "report.md").mkdir(parents=True)  # the last file cannot be written
    run = subprocess.run([sys.executable, "-m", "macgates", "report", "paper_fig3", "--out", str(out)],
                         capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr == f"macgates: error: {out / 'paper_fig3' / 'report.md'}: cannot write (Is a directory)\n"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == ["paper_fig3", "paper_fig3/report.md"]


def _synth_csv(path, rows):
    path.write_text("name,model_gates,synth_gates,ratio,ffs,model_relative,synth_relative\n"
                    + "".join(f"{n},{m},{s},1,1,1,1\n" for n, m, s in rows))
    return path


def test_a_synthesis_csv_adds_a_chart_and_a_table(tmp_path):
    t = {r["name"]: r["gates"] for r in macgates.table_records()}
    csv = _synth_csv(tmp_path / "s.csv", [("int8-kulisch", t["int8-kulisch"], 1000),
                                          ("fp8_e4m3-fp16", t["fp8_e4m3-fp16"], 1250),
                                          ("fp8_e5m2-fp16", t["fp8_e5m2-fp16"] + 1, 900)])  # another model's
    run = subprocess.run([sys.executable, "-m", "macgates", "report", "paper_fig3", "--out", str(tmp_path / "r"),
                          "--synth", str(csv)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    md = (tmp_path / "r" / "paper_fig3" / "report.md").read_text()
    assert "![model against synthesis](synthesis.svg)" in md and (tmp_path / "r" / "paper_fig3" / "synthesis.png").exists()
    assert "| fp8_e4m3-fp16 |" in md.split("## Model against synthesis")[1]
    assert "1.250" in md  # 1250 / 1000: relative to the baseline, per MAC
    assert "Left out: fp8_e5m2-fp16" in md


def test_synthesis_chart_has_a_bar_per_series_and_config():
    from macgates.reporting import synthesis_chart

    rows = [{"name": "a", "model": 1, "calibrated": 1, "synthesis": 1},
            {"name": "b", "model": 1.5, "calibrated": 1.4, "synthesis": 1.2}]
    fig = synthesis_chart(rows, "t", "a")
    ax = fig.axes[0]
    assert len(ax.patches) == 6
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["App. B model", "calibrated model",
                                                                    "synthesis (Yosys)"]


@pytest.mark.parametrize("text,message", [
    ("name,model_gates\nx,1\n", "missing column 'synth_gates'"),
    ("name,model_gates,synth_gates\nx,1,abc\n", "s.csv:2: column synth_gates: 'abc' is not a number"),
    ("name,model_gates,synth_gates\nx,1,0\n", "s.csv:2: column synth_gates: 0 is not a number > 0"),
], ids=["missing_column", "not_a_number", "zero"])
def test_bad_synthesis_csv(tmp_path, text, message):
    from macgates.errors import DesignError
    from macgates.reporting import read_synthesis

    (tmp_path / "s.csv").write_text(text)
    with pytest.raises(DesignError, match=re.escape(message)):
        read_synthesis(tmp_path / "s.csv")
