"""Formats scored on operand data (macgates/accuracy/evaluate.py, macgates/report/accuracy.py,
``macgates accuracy``): a hand-worked INT8 case, the Lloyd-Max bound above every format,
the whitepaper's Figure 5 statements, and the CLI."""

import csv
import io
import math

import numpy as np
import pytest

from in_process import run as run_cli
from macgates.accuracy.data import load
from macgates.accuracy.evaluate import lloyd_max_score, score
from macgates.formats.spec import format as get_format
from macgates.report.accuracy import FIGURE5_DATA, accuracy_files, accuracy_records, statements


def test_int8_on_a_uniform_distribution_by_hand():
    # x uniform on [-1, 1]; absmax maps m = max|x| to 127, so the step is m / 127 and the
    # rounding error is uniform on +-step/2: RMSE = step / sqrt(12). std(x) = 1 / sqrt(3):
    # bits = log2((1 / sqrt(3)) / (m / (127 sqrt(12)))) = log2(254 / m), about log2(254) = 7.99.
    x = load("uniform", samples=200_000, seed=1)
    m = float(np.abs(x).max())
    got = score(get_format("int8"), x, "absmax")
    # the sample's std and RMSE are each within ~0.3% (1/sqrt(n) relative); in bits < 0.01
    assert got["bits"] == pytest.approx(math.log2(254 / m), abs=0.01)
    assert got["rmse"] == pytest.approx(m / 127 / math.sqrt(12), rel=0.01)
    assert got["sqnr_db"] == pytest.approx(10 * math.log10((1 / 3) / (m / 127) ** 2 * 12), abs=0.1)
    assert got["format"] == "int8" and got["scale"] == "absmax"


def test_lloyd_max_bounds_every_8_bit_format():
    x = load("normal", samples=50_000, seed=2)
    bound = lloyd_max_score(x, 8)
    assert bound["format"] == "lloyd-max-8"
    for name in ("int8", "fp8_e2m5", "fp8_e4m3", "float8_e4m3fn"):
        assert score(get_format(name), x, "mse")["bits"] <= bound["bits"] + 0.01, name


PAPER = ("int8", "fp8_e2m5", "fp8_e3m4", "fp8_e4m3", "fp8_e5m2")  # the whitepaper's own (App. A)


@pytest.fixture(scope="module")
def figure5():
    """Figure 5's rows for the whitepaper's formats, as `macgates accuracy` makes them
    (MSE scales, 8-bit Lloyd-Max): the uniform and Gaussian at 2 x 10^5 samples (their
    bits settle to 0.01 there), the Student-t at Figure 5's 10^6 (its outliers grow with
    the sample)."""
    uniform, normal, student = FIGURE5_DATA
    return (accuracy_records(PAPER, [uniform, normal], "mse", samples=200_000, lloyd_max=8)
            + accuracy_records(PAPER, [student], "mse"))  # (its bound: 7 Lloyd-Max runs on 10^6, 5 s)


@pytest.mark.slow
def test_figure5_the_whitepapers_statements(figure5):
    """Section 4.1 on Figure 5: INT8 is the best on the uniform distribution, with about 8
    bits; FP8-E2 the best on the Gaussian, INT8 a very close second; FP8-E5 about 4 or 5
    bits on the Gaussian; FP8-E4 the best on the Student-t with outliers, about 5 bits."""
    uniform, normal, student = FIGURE5_DATA
    paper = PAPER

    def bits(data, name):
        return next(r["bits"] for r in figure5 if r["data"] == data and r["format"] == name)

    def best(data):
        return max(paper, key=lambda n: bits(data, n))
    assert best(uniform) == "int8" and abs(bits(uniform, "int8") - 8.0) < 0.1
    assert best(normal) == "fp8_e2m5" and 0 <= bits(normal, "fp8_e2m5") - bits(normal, "int8") < 0.5
    assert 4 < bits(normal, "fp8_e5m2") < 5
    assert best(student) == "fp8_e4m3" and abs(bits(student, "fp8_e4m3") - 5) < 0.5
    # the bound is above every format (on the uniform and the Gaussian here)
    for data in (uniform, normal):
        bound = bits(data, "lloyd-max-8")
        assert all(r["bits"] <= bound + 0.01 for r in figure5 if r["data"] == data), data
    assert all(ok for _, _, ok in statements(figure5))


@pytest.mark.slow
def test_figure5_report_files(figure5):
    files = accuracy_files(figure5, "figure5", "Whitepaper Figure 5")  # (a panel without a bound line too)
    assert set(files) == {"figure5/accuracy.png", "figure5/accuracy.svg", "figure5/report.md"}
    md = files["figure5/report.md"]
    assert "## The whitepaper's statements" in md and md.count("| yes |") == 4


def test_the_cli_prints_a_table_and_a_csv():
    out = run_cli("accuracy", "int8,fp8_e4m3", "--data", "uniform", "--samples", "20000", "--format", "csv")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [r["format"] for r in rows] == ["int8", "fp8_e4m3"]
    assert {r["scale"] for r in rows} == {"absmax"} and {r["data"] for r in rows} == {"uniform"}
    x = load("uniform", samples=20_000, seed=0)
    assert float(rows[0]["bits"]) == pytest.approx(math.log2(254 / float(np.abs(x).max())), abs=0.02)
    text = run_cli("accuracy", "int8", "--data", "normal", "--samples", "1000", "--lloyd-max", "8")
    assert text.returncode == 0 and "lloyd-max-8" in text.stdout


def test_the_cli_refuses_a_bad_rule_and_data():
    out = run_cli("accuracy", "int8", "--data", "uniform", "--scale", "best")
    assert out.returncode == 2 and "invalid choice: 'best'" in out.stderr
    out = run_cli("accuracy", "int9x", "--data", "uniform")
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_the_committed_figure5_report_is_current_on_two_rows():
    """reports/figure5 (``macgates accuracy --out reports``, 30 s) against two of its rows
    made again: its uniform INT8 and its Student-t FP8-E4 (10^6 samples, seed 0, MSE)."""
    from pathlib import Path

    from macgates.report.accuracy import shown_rows

    md = (Path(__file__).resolve().parent.parent / "reports" / "figure5" / "report.md").read_text()
    uniform, _, student = FIGURE5_DATA
    rows = accuracy_records(["int8"], [uniform], "mse") + accuracy_records(["fp8_e4m3"], [student], "mse")
    for r in shown_rows(rows):
        cells = [r["data"], r["format"], r["scale"], r["rmse"], r["sqnr_db"], r["bits"]]
        line = next(line for line in md.splitlines() if line.startswith(f"| {r['data']} ")
                    and f" {r['format']} " in line)
        assert [c.strip() for c in line.strip("|").split("|")] == cells


# -- cost against accuracy: a design's data:, sweep --data --------------------------------------
DESIGN = """macgates: 1
name: w4a8
data: {weights: normal, activations: laplace, samples: 20000}
configs:
  - {name: int8, weights: int8, accumulator: fp32}
  - {name: int4xint8, weights: int4, activations: int8, accumulator: fp32, k: 4}
  - {name: int8-k4, weights: int8, accumulator: fp32, k: 4}
"""


def test_a_designs_data_scores_each_operand_by_its_own_format(tmp_path):
    from macgates.design.schema import load_design
    from macgates.report.accuracy import design_accuracy

    path = tmp_path / "w4a8.yaml"
    path.write_text(DESIGN)
    design = load_design(path)
    assert design.data == {"weights": "normal", "activations": "laplace", "scale": "mse", "samples": 20000, "seed": 0,
                           "given": {"weights": "normal", "activations": "laplace"}}
    rows = {r["name"]: r for r in design_accuracy(design)}
    w, a = load("normal", samples=20000), load("laplace", samples=20000)
    int4_w = score(get_format("int4"), w, "mse")["bits"]
    int8_w, int8_a = score(get_format("int8"), w, "mse")["bits"], score(get_format("int8"), a, "mse")["bits"]
    assert (rows["int4xint8"]["bits_weights"], rows["int4xint8"]["bits_activations"]) == (int4_w, int8_a)
    assert rows["int4xint8"]["bits"] == min(int4_w, int8_a) == int4_w  # 4-bit weights: the worse operand
    assert rows["int8"]["bits"] == min(int8_w, int8_a)
    # the front: int8-k4 is cheaper per MAC than int8 with the same bits, so int8 is off it;
    # int4xint8 (also k = 4) is cheaper still, with fewer bits: on it
    assert rows["int4xint8"]["gates_per_mac"] < rows["int8-k4"]["gates_per_mac"] < rows["int8"]["gates_per_mac"]
    assert (rows["int8"]["front"], rows["int8-k4"]["front"], rows["int4xint8"]["front"]) == (False, True, True)


def test_a_designs_data_in_its_report(tmp_path):
    from macgates.report.markdown import report_files

    path = tmp_path / "w4a8.yaml"
    path.write_text(DESIGN)
    files = report_files(path)
    md = files["w4a8/report.md"]
    assert "## Cost against accuracy" in md and "w4a8/accuracy.svg" in files
    assert "weights on `normal`, activations on `laplace` (20,000 samples, seed 0, mse scales" in md
    assert "## Cost against accuracy" not in report_files([{"name": "a", "weights": "int8",
                                                            "accumulator": "fp32"}])["configs/report.md"]


@pytest.mark.parametrize("data, message", [
    ("{weights: normal}", "data.activations: expected a data spec"),
    ("{weights: normal, activations: normal, scale: best}", "data.scale: expected one of absmax, mse, got 'best'"),
    ("{weights: normal, activations: normal, sampels: 10}", "data: unknown key 'sampels'"),
    ("{weights: normal, activations: normal, samples: 0}", "data.samples: expected a whole number from 1 to"),
    ("normal", "data: expected a mapping with keys weights, activations, scale, samples, seed, got str"),
], ids=["no-activations", "bad-scale", "unknown-key", "no-samples", "not-a-mapping"])
def test_a_designs_data_is_checked(tmp_path, data, message):
    from macgates import DesignError
    from macgates.design.schema import load_design

    path = tmp_path / "d.yaml"
    path.write_text(DESIGN.replace("data: {weights: normal, activations: laplace, samples: 20000}", f"data: {data}"))
    with pytest.raises(DesignError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_design(path)


def test_a_tensor_file_in_a_designs_data_is_beside_the_design(tmp_path):
    from macgates.design.schema import load_design

    np.save(tmp_path / "w.npy", np.linspace(-1, 1, 101))
    path = tmp_path / "d.yaml"
    path.write_text(DESIGN.replace("weights: normal,", "weights: w.npy,"))
    design = load_design(path)
    assert design.data["weights"] == str(tmp_path / "w.npy")
    assert load(design.data["weights"]).shape == (101,)


def test_sweep_data_adds_the_accuracy_columns(tmp_path):
    out = run_cli("sweep", "--weights", "int8,int4", "--activations", "int8", "--data", "uniform",
                  "--out", "-")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert list(rows[0])[-3:] == ["bits_weights", "bits_activations", "bits"]
    x = load("uniform")  # (sweep: 100000 samples, seed 0, MSE scales)
    by_hand = math.log2(254 / float(np.abs(x).max()))  # INT8 on uniform data (the first test)
    int8 = next(r for r in rows if r["weights"] == "int8")
    assert float(int8["bits_weights"]) == pytest.approx(by_hand, abs=0.02) and int8["bits"] == int8["bits_weights"]
    int4 = next(r for r in rows if r["weights"] == "int4")
    assert float(int4["bits"]) == float(int4["bits_weights"]) < float(int4["bits_activations"])
    bad = run_cli("sweep", "--weights", "int8", "--data", "weights=normal", "--out", "-")
    assert bad.returncode == 2 and "give both operands' data" in bad.stderr


def test_format_quantize_and_the_public_table():
    import macgates

    fmt = get_format("fp8_e4m3")
    x = np.array([0.3, -7.2, 1e9, 0.0])
    # the method is the function: 0.3 / 0.5 = 0.6 -> 0.625 (E4M3: 1.010b x 2^-1), x 0.5
    assert fmt.quantize(x, 0.5)[0] == 0.3125
    from macgates.accuracy.quantize import quantize

    assert np.array_equal(fmt.quantize(x, 0.5), quantize(fmt, x, 0.5))
    frame = macgates.accuracy_table(["int8"], ["uniform"], samples=10_000)
    assert list(frame.columns) == ["data", "format", "scale", "rmse", "sqnr_db", "bits"]
    assert frame.loc[0, "format"] == "int8" and frame.loc[0, "bits"] > 7.9
