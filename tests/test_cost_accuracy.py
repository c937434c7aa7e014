"""Cost against accuracy (macgates/report/accuracy.py: design_accuracy, cost_accuracy_chart,
cost_accuracy_section; a design's ``data:``; ``sweep --data``): the Pareto front's ties,
block scales, k > 1, a design's own formats, exact quantization, hand-built datapaths, the
errors. Expected values are reasoned out in the comments, not read off the program."""

import csv
import io
import math
from fractions import Fraction

import numpy as np
import pytest

from in_process import run as run_cli
from macgates import DesignError
from macgates.design.schema import load_design
from macgates.report.accuracy import cost_accuracy_chart, cost_accuracy_section, design_accuracy

HEAD = "macgates: 1\nname: d\n"


def _design(tmp_path, text):
    path = tmp_path / "d.yaml"
    path.write_text(HEAD + text)
    return load_design(path)


def test_the_front_keeps_equal_configs_together_and_drops_an_equal_one_that_costs_more(tmp_path):
    # same data for both operands, so a config's bits are those of its narrower format:
    # a and b are one config twice (same cost, same bits: neither beats the other);
    # w8a4 has int4's bits (the worse operand) at more cost than c (int8 x int4 multiplies
    # more than int4 x int4): c beats it. a, b (more bits) and c (cheapest) are the front.
    design = _design(tmp_path, """data: {weights: normal, activations: normal, samples: 4000}
configs:
  - {name: a, weights: int8, accumulator: fp32}
  - {name: b, weights: int8, accumulator: fp32}
  - {name: c, weights: int4, accumulator: fp32}
  - {name: w8a4, weights: int8, activations: int4, accumulator: fp32}
""")
    rows = {r["name"]: r for r in design_accuracy(design)}
    assert rows["w8a4"]["bits"] == rows["c"]["bits"] == rows["w8a4"]["bits_activations"] < rows["w8a4"]["bits_weights"]
    assert rows["c"]["gates_per_mac"] < rows["w8a4"]["gates_per_mac"] < rows["a"]["gates_per_mac"]
    assert rows["a"]["gates_per_mac"] == rows["b"]["gates_per_mac"] and rows["a"]["bits"] == rows["b"]["bits"]
    assert {n for n, r in rows.items() if r["front"]} == {"a", "b", "c"}
    for r in rows.values():
        assert r["bits"] == min(r["bits_weights"], r["bits_activations"])


def test_a_dot_unit_is_costed_per_mac_and_scored_by_its_formats(tmp_path):
    design = _design(tmp_path, """data: {weights: normal, activations: laplace, samples: 4000}
configs:
  - {name: k1, weights: int8, accumulator: fp32}
  - {name: k3, weights: int8, accumulator: fp32, k: 3}
""")
    rows = {r["name"]: r for r in design_accuracy(design)}
    unit = design.build(design.config("k3")).gates  # the whole 3-term unit
    assert rows["k3"]["gates_per_mac"] == Fraction(unit) / 3
    # K changes the cost, not the formats: the same bits; k3 is cheaper per MAC, so k1 is off the front
    assert (rows["k3"]["bits_weights"], rows["k3"]["bits_activations"]) == (rows["k1"]["bits_weights"],
                                                                            rows["k1"]["bits_activations"])
    assert (rows["k1"]["front"], rows["k3"]["front"]) == (False, True)


def test_a_block_format_is_scored_with_its_block_scales(tmp_path):
    # two blocks of 32 integers with largest magnitude 127, the second 2^20 times the first.
    # MXINT8 (OCP MX v1.0, 6.3): each block's scale is 2^(floor(log2 127) - 6) = 2^0 times
    # the block's power of two, so every value is an INT8 element times its block's scale:
    # exact, inf bits. Per-tensor INT8 fits the large block, and the small one rounds to 0.
    block = np.array([(-1) ** i * (127 - 5 * i) for i in range(32)], dtype=float)
    np.save(tmp_path / "w.npy", np.concatenate([block, block * 2.0**20]))
    design = _design(tmp_path, """data: {weights: w.npy, activations: w.npy}
configs:
  - {name: mx, weights: mxint8, accumulator: fp32, k: 32}
  - {name: i8, weights: int8, accumulator: fp32, k: 32}
""")
    rows = {r["name"]: r for r in design_accuracy(design)}
    assert rows["mx"]["bits"] == math.inf
    assert math.isfinite(rows["i8"]["bits"])
    files = {}
    md = "\n".join(cost_accuracy_section(design, files, "d"))
    assert "inf: the formats quantize the data exactly" in md
    assert "weights on `w.npy` (its values), activations on `w.npy` (its values) (mse scales" in md  # no samples


def test_a_designs_own_format_and_its_codes(tmp_path):
    # codes:myfp draws values of myfp itself: myfp with scale 1 is exact, so the MSE-best
    # scale is exact too (inf bits); int8 (steps of max/127) cannot hit myfp's 0.0625 and 14
    design = _design(tmp_path, """formats:
  myfp: {kind: float, exp_bits: 3, man_bits: 2}
data: {weights: "codes:myfp", activations: "codes:myfp", samples: 2000}
configs:
  - {name: mine, weights: myfp, accumulator: fp32}
  - {name: i8, weights: int8, accumulator: fp32}
""")
    rows = {r["name"]: r for r in design_accuracy(design)}
    assert rows["mine"]["bits"] == math.inf and math.isfinite(rows["i8"]["bits"])


def test_a_hand_built_datapath_is_left_out_and_said_so(tmp_path):
    design = _design(tmp_path, """data: {weights: normal, activations: normal, samples: 2000}
configs:
  - {name: a, weights: int4, accumulator: fp32}
  - {name: mine, datapath: dp}
datapaths:
  dp:
    components:
      r: {primitive: register, n: 8, category: register}
    connections: []
""")
    assert [r["name"] for r in design_accuracy(design)] == ["a"]
    md = "\n".join(cost_accuracy_section(design, {}, "d"))
    assert "Not scored: mine (a hand-built datapath has no input formats)." in md


@pytest.mark.parametrize("data, message", [
    ("{weights: normall, activations: normal}", "data.weights: 'normall': unknown distribution 'normall' (valid:"),
    ('{weights: normal, activations: "student-t:0"}', "data.activations: 'student-t:0': NU must be > 0, got 0"),
    ('{weights: "codes:nope", activations: normal}', "data.weights: 'codes:nope': unknown format 'nope'"),
], ids=["unknown-distribution", "bad-parameter", "unknown-codes-format"])
def test_a_bad_distribution_is_refused_when_the_design_is_loaded(tmp_path, data, message):
    with pytest.raises(DesignError) as err:
        _design(tmp_path, f"data: {data}\nconfigs:\n  - {{name: a, weights: int8, accumulator: fp32}}\n")
    assert str(err.value).startswith(f"{tmp_path / 'd.yaml'}: {message}")


def test_tensor_files_are_read_for_the_report_with_the_design_and_key_named(tmp_path):
    np.save(tmp_path / "same.npy", np.full(10, 3.0))
    design = _design(tmp_path, "data: {weights: w.npy, activations: normal}\n"
                     "configs:\n  - {name: a, weights: int8, accumulator: fp32}\n")  # loads: read later
    with pytest.raises(DesignError, match=r"d\.yaml: data\.weights: .*w\.npy: no such file"):
        design_accuracy(design)
    design = _design(tmp_path, "data: {weights: normal, activations: same.npy}\n"
                     "configs:\n  - {name: a, weights: int8, accumulator: fp32}\n")
    # std 0: bits of accuracy, log2(std / RMSE), mean nothing
    with pytest.raises(DesignError, match=r"data\.activations: 'same\.npy': all 10 values are 3: bits of accuracy"):
        design_accuracy(design)


def test_an_unsigned_format_on_negative_data_names_the_config(tmp_path):
    design = _design(tmp_path, """formats:
  ufp: {kind: float, exp_bits: 3, man_bits: 2, signed: false}
data: {weights: normal, activations: half-normal, samples: 1000}
configs:
  - {name: a, weights: int8, accumulator: fp32}
  - {name: u, weights: ufp, accumulator: fp32}
""")
    with pytest.raises(DesignError, match=r"configs\[1\] \(u\): weights on data\.weights: ufp is unsigned"):
        design_accuracy(design)


def _rows(*points):
    return [{"name": n, "gates_per_mac": Fraction(g), "bits_weights": bw, "bits_activations": ba,
             "bits": min(bw, ba), "front": f} for n, g, bw, ba, f in points]


def test_the_chart_draws_an_exact_config_at_the_top_and_a_log_cost_axis():
    rows = _rows(("cheap", 100, 3.0, 3.5, True), ("exact", 300, math.inf, math.inf, True),
                 ("dear", 900, 5.0, 5.0, False))  # 900 > 4 x 100: a log axis
    fig = cost_accuracy_chart(rows, "t")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    drawn = np.concatenate([c.get_offsets() for c in ax.collections])
    assert np.isfinite(drawn).all() and drawn[:, 1].max() > 5.0  # inf above the highest finite point
    labels = {t.get_text() for t in ax.texts}
    assert {"cheap", "exact (exact)", "dear"} <= labels
    front = ax.lines[0]
    assert front.get_drawstyle() == "steps-post"
    assert "area (um^2) per MAC" in cost_accuracy_chart(_rows(("a", 10, 1.0, 2.0, True)), unit="um^2").axes[0] \
        .get_xlabel()


def test_sweep_data_per_operand_tensor_files_and_errors(tmp_path):
    np.save(tmp_path / "w.npy", np.arange(-127.0, 128.0))  # INT8 itself, at the absmax scale 1: exact
    out = run_cli("sweep", "--weights", "int8", "--activations", "int8,int4", "--data", "weights=w.npy",
                  "--data", "activations=normal", "--out", "-", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [r["bits_weights"] for r in rows] == ["inf", "inf"]
    assert [r["bits"] for r in rows] == [r["bits_activations"] for r in rows]  # the finite operand
    for args, message in [(["--data", "normall"], "--data: 'normall': unknown distribution"),
                          (["--data", "nope.npy"], "--data: nope.npy: no such file"),
                          (["--weights", "ue4m3", "--data", "normal"],
                           "--data: weights 'normal': ue4m3 is unsigned"),
                          (["--format", "json", "--data", "normal"], "unrecognized arguments: --format json"),
                          (["--data", "weights=normal", "--data", "laplace"],
                           "--data: the weights' data given twice ('normal' and 'laplace')")]:
        bad = run_cli("sweep", *(["--weights", "int8"] if "--weights" not in args else []), *args,
                      "--out", str(tmp_path / "x.csv"), cwd=tmp_path)
        assert bad.returncode == 2 and message in bad.stderr and len(bad.stderr.splitlines()) == 1, bad.stderr
        assert not (tmp_path / "x.csv").exists()


def test_sweep_data_settings(tmp_path):
    # int8 with the absmax scale on uniform data: 254 steps over the range, log2(254) = 7.989
    # bits (metrics' docstring), up to the sample's own spread; the MSE scale is never worse
    def bits(*options):
        out = run_cli("sweep", "--weights", "int8", "--accumulators", "fp32", "--data", "uniform", *options,
                      "--out", "-", cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        return float(next(csv.DictReader(io.StringIO(out.stdout)))["bits"])

    absmax = bits("--scale", "absmax", "--samples", "200000", "--seed", "1")
    assert absmax == pytest.approx(math.log2(254), abs=0.01)
    assert bits("--samples", "200000", "--seed", "1") >= absmax
    assert bits("--scale", "absmax", "--samples", "200000", "--seed", "2") != absmax  # another draw
    for option, value in (("--samples", "1000"), ("--seed", "3"), ("--scale", "mse")):
        bad = run_cli("sweep", "--weights", "int8", option, value, "--out", str(tmp_path / "x.csv"), cwd=tmp_path)
        assert bad.returncode == 2 and bad.stderr == f"macgates: error: sweep: {option} applies only with --data\n"
        assert not (tmp_path / "x.csv").exists()
    np.save(tmp_path / "c.npy", np.full(50, 2.0))  # constant data: no spread to measure bits against
    bad = run_cli("sweep", "--weights", "int8", "--data", "c.npy", "--out", str(tmp_path / "x.csv"), cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr == ("macgates: error: --data: 'c.npy': all 50 values are 2: bits of "
                                                  "accuracy, log2(std(x) / RMSE), need data that varies\n")
    np.save(tmp_path / "w.npy", np.linspace(-1, 1, 100))  # a tensor file is not drawn: --samples has no effect
    bad = run_cli("sweep", "--weights", "int8", "--data", "w.npy", "--samples", "1000", "--out", str(tmp_path / "x.csv"),
                  cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr == ("macgates: error: sweep: --samples applies only to data drawn from a "
                                                  "distribution; both operands' --data are tensor files\n")
    assert not (tmp_path / "x.csv").exists()


SWEEP_HEAD = "weights,activations,accumulator,k,gates,gates_per_mac,bits_weights,bits_activations,bits\n"


def test_a_sweeps_accuracy_columns_chart_and_front_in_its_report(tmp_path):
    # int4 (50 gates, 3 bits) and int8 (100, 5) are on the front; fp8_e4m3 costs more than
    # int8 for fewer bits (120, 4), and int8 x int8 at k = 2 costs 180 / 2 = 90 per MAC for
    # the same 5 bits as int8 at 100: it takes int8-kulisch's place
    csv_path = tmp_path / "s.csv"
    csv_path.write_text(SWEEP_HEAD + "int4,int4,kulisch,1,50,50,3.0,3.5,3.0\nint8,int8,kulisch,1,100,100,5.5,5.0,5.0\n"
                        "fp8_e4m3,fp8_e4m3,kulisch,1,120,120,4.0,4.5,4.0\nint8,int8,kulisch,2,180,90,5.5,5.0,5.0\n")
    out = run_cli("report", "--sweep", str(csv_path), "--out", str(tmp_path / "r"))
    assert out.returncode == 0, out.stderr
    md = (tmp_path / "r" / "s" / "report.md").read_text()
    assert "![cost against accuracy](accuracy.svg)" in md and (tmp_path / "r" / "s" / "accuracy.png").is_file()
    section = md.split("## Cost against accuracy")[1]
    assert "The Pareto front: 2 of 4 configurations." in section
    table = [line.split("|")[1].strip() for line in section.splitlines() if line.startswith("| ")][1:]
    assert table == ["int4-kulisch", "int8-kulisch-k2"]


@pytest.mark.parametrize("head,row,message", [
    ("weights,activations,accumulator,k,gates,gates_per_mac,bits\n", "int8,int8,kulisch,1,100,100,5.0\n",
     "s.csv: has column 'bits' but not 'bits_weights'"),
    (SWEEP_HEAD, "int8,int8,kulisch,1,100,100,5.5,x,5.0\n", "s.csv:2: column bits_activations: 'x' is not a number "
     "of bits (a finite number, or inf)"),
    (SWEEP_HEAD, "int8,int8,kulisch,1,100,100,,5.0,5.0\n", "s.csv:2: column bits_weights: is empty: expected a "
     "number of bits (a finite number, or inf)"),
    (SWEEP_HEAD, "int8,int8,kulisch,1,100,100,6.81,6.81,inf\n", "s.csv:2: column bits: inf is not the lower of "
     "bits_weights and bits_activations (6.81)"),
], ids=["a-column-missing", "not-a-number", "empty", "bits-not-the-lower"])
def test_a_sweeps_bad_accuracy_columns(tmp_path, head, row, message):
    (tmp_path / "s.csv").write_text(head + row)
    out = run_cli("report", "--sweep", str(tmp_path / "s.csv"), "--out", str(tmp_path / "r"))
    assert out.returncode == 2 and message in out.stderr and len(out.stderr.splitlines()) == 1, out.stderr
    assert not (tmp_path / "r").exists()
