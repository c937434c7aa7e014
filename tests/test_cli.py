"""The command line: ``macgates.cli.main`` run in this process with stdout and stderr
captured (tests/in_process.py), and in a subprocess (``python -m macgates``) where only a
process shows it: tracebacks, a terminal, a closed pipe, the umask, the imports."""

import csv
import io
import json
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

import macgates
from appendix_b import FA, FF
from by_hand import E4M3_FP16, INT8_KULISCH
from in_process import run
from macgates.report.render import fixed3

pytestmark = pytest.mark.slow  # the CLI, some of it in subprocesses

REPO = Path(__file__).resolve().parent.parent


def run_process(*args, cwd=None):
    """``python -m macgates ARGS`` in a subprocess."""
    return subprocess.run([sys.executable, "-m", "macgates", *args], capture_output=True,
                          text=True, cwd=cwd)


def test_table_csv():
    out = run("table", "--format", "csv")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert len(rows) == 15
    assert list(rows[0]) == ["name", "weights", "activations", "accumulator", "acc_bits", "gates", "relative",
                             "delay", "loop_delay", "area_delay"]  # the model's timing after the gate counts
    assert [r["acc_bits"] for r in rows if r["accumulator"] == "kulisch"] == ["27", "29", "35", "49", "79"]
    assert rows[0]["relative"] == "1.000"
    api = macgates.table()
    assert [int(r["gates"]) for r in rows] == list(api["gates"])


def test_table_text_and_markdown():
    text = run("table").stdout.splitlines()
    assert text[0].split() == ["name", "weights", "activations", "accumulator", "acc_bits", "gates", "relative",
                               "delay", "loop_delay", "area_delay"]
    assert len(text) == 2 + 15
    md = run("table", "--format", "markdown").stdout.splitlines()
    assert md[0].startswith("| name") and md[1].startswith("|--") and len(md) == 17
    assert all(line.count("|") == 11 for line in md)


def test_table_json():
    data = json.loads(run("table", "--format", "json").stdout)
    # int8-kulisch: pp_bits 1 + pp_reduce(8, 8) 52 + adder(27) 54 + the register 4 (tests/test_delay.py)
    assert data[0] == {"name": "int8-kulisch", "weights": "int8", "activations": "int8",
                       "accumulator": "kulisch", "acc_bits": 27, "gates": 775, "relative": 1.0,
                       "delay": 111, "loop_delay": 54 + 4, "area_delay": 775 * 111}


def test_table_does_not_import_matplotlib_or_networkx():
    code = ("import sys; from macgates.cli import main; main(['table']); "
            "print('matplotlib' in sys.modules, 'networkx' in sys.modules, file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stderr.strip() == "False False"


def test_design_and_library_arguments(tmp_path):
    design = tmp_path / "d.yaml"
    design.write_text("macgates: 1\nname: two\nconfigs:\n"
                      "  - {name: a, weights: int8}\n  - {name: b, weights: e4m3, accumulator: fp16}\n")
    lib = tmp_path / "lib.yaml"
    bundled = macgates.load_library()
    # a copy of the bundled library with a 4-gate flip-flop
    lines = ["version: 1", "primitives:"]
    for p in bundled.primitives.values():
        cost = "4" if p.name == "ff" else p.cost_text
        params = f"params: [{', '.join(p.params)}], " if p.params else ""
        lines.append(f"  {p.name}: {{{params}cost: \"{cost}\", source: copied}}")
    lib.write_text("\n".join(lines) + "\n")
    out = run("table", str(design), "--library", str(lib), "--format", "csv", "--baseline", "b")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert rows[0]["gates"] == str(INT8_KULISCH - 27 * 2)  # 27 flip-flops, 2 gates cheaper each
    assert rows[1]["relative"] == "1.000"


ERRORS = [
    (["table", "missing.yaml"], "macgates: error: missing.yaml: no such file"),
    (["table", "--baseline", "int9-kulisch"], "baseline 'int9-kulisch' is not a config (valid: "),
    (["table", "--format", "xml"], "macgates: error: argument --format: invalid choice: 'xml'"),
    (["tabel"], "macgates: error: argument COMMAND: invalid choice: 'tabel'"),
    (["table", "--library", "nolib.yaml"], "macgates: error: nolib.yaml: no such file"),
]


@pytest.mark.parametrize("args,message", ERRORS, ids=["missing-design", "baseline", "format",
                                                      "command", "missing-library"])
def test_errors_are_one_line_exit_2(tmp_path, args, message):
    out = run(*args, cwd=tmp_path)
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.splitlines()
    assert len(lines) == 1, out.stderr
    assert message in lines[0]
    assert "Traceback" not in out.stderr


def test_debug_shows_traceback(tmp_path):
    out = run_process("--debug", "table", "missing.yaml", cwd=tmp_path)
    assert out.returncode != 0
    assert "Traceback" in out.stderr and "DesignError" in out.stderr


def test_version():
    out = run("--version")
    assert out.stdout.strip() == f"macgates {macgates.__version__}"


# -- list ---------------------------------------------------------------------------------
def test_list_formats():
    out = run("list", "formats", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    by_name = {r["name"]: r for r in rows}
    assert {"int8", "fp8_e4m3", "fp16", "bf16", "fp32"} <= set(by_name)
    assert by_name["fp8_e4m3"]["max"] == "240"  # 1.875 * 2^(15-8)
    assert float(by_name["fp16"]["min_positive"]) == 2.0 ** -24  # CSV and JSON: numbers
    assert "App. A" in by_name["fp8_e4m3"]["defined_in"]
    assert [n for n in by_name if n.startswith("int")] == [f"int{b}" for b in range(2, 33)]  # every width works
    data = {r["name"]: r for r in json.loads(run("list", "formats", "--format", "json").stdout)}
    assert data["fp16"]["min_positive"] == 2.0 ** -24 and data["fp16"]["max"] == 65504  # (2 - 2^-10) * 2^15
    assert data["mxfp4"]["max"] == 6  # the element's: 1.5 * 2^2
    text = run("list", "formats").stdout
    assert re.search(r"^fp16 .* 65504 +2\^-24 ", text, re.M)  # the text keeps powers of two


def test_list_primitives_shows_formula_and_source():
    rows = list(csv.DictReader(io.StringIO(run("list", "primitives", "--format", "csv").stdout)))
    adder = next(r for r in rows if r["primitive"] == "adder(n)")
    assert adder["cost"] == "(n-1)*fa + ha" and "App. B" in adder["source"]
    assert adder["delay"] == "xor2 + (n - 1)*aoi21"  # its delay formula, beside the cost
    assert len(rows) == len(macgates.load_library().primitives)


def test_list_designs():
    rows = list(csv.DictReader(io.StringIO(run("list", "designs", "--format", "csv").stdout)))
    assert {r["design"] for r in rows} >= {"paper_fig3", "cheap_fa", "booth_vs_array", "custom_datapath"}


# -- show ---------------------------------------------------------------------------------
def test_show_text_has_widths_and_subtotals():
    out = run("show", "fp8_e4m3-fp16").stdout
    assert out.startswith(f"fp8_e4m3-fp16: fp8_e4m3 -> fp16 (16-bit accumulator, array multiplier): {E4M3_FP16} gates")
    assert "shift_right_logical(n=13, k=13)" in out
    lines = {line.split()[0]: line.split()[1] for line in out.splitlines() if line[:1].isalpha()}
    dp = macgates.mac("fp8_e4m3", accumulator="fp16")
    for category, gates in dp.by_category().items():
        assert lines[category] == str(gates)
    assert lines["total"] == str(dp.gates)


def test_show_adhoc_spec_and_json():
    data = json.loads(run("show", "fp8_e4m3xfp8_e5m2-kulisch", "--format", "json").stdout)
    assert data["info"]["weights"] == "fp8_e4m3" and data["info"]["activations"] == "fp8_e5m2"
    assert data["gates"] == macgates.mac("fp8_e4m3", "fp8_e5m2").gates
    assert {"from": "acc_reg", "to": "acc_add", "width": data["info"]["acc_bits"]} in data["signals"]


def test_show_design_needs_config_for_graph(tmp_path):
    out = run("show", "paper_fig3", "--graph", str(tmp_path / "g.dot"))
    assert out.returncode == 2
    assert out.stderr.startswith("macgates: error: --graph needs one datapath: pick one with --config")
    assert not (tmp_path / "g.dot").exists()


@pytest.mark.parametrize("suffix", [".graphml", ".dot", ".json"])
def test_graph_export(tmp_path, suffix):
    import networkx as nx

    path = tmp_path / f"g{suffix}"
    out = run("show", "paper_fig3", "--config", "fp8_e4m3-kulisch", "--graph", str(path))
    assert out.returncode == 0, out.stderr
    dp = macgates.mac("fp8_e4m3")
    text = path.read_text()
    if suffix == ".graphml":
        g = nx.read_graphml(path)
    elif suffix == ".json":
        g = nx.node_link_graph(json.loads(text), edges="links")
    else:
        assert text.startswith('digraph "fp8_e4m3-kulisch" {')
        assert '"acc_reg" -> "acc_add" [label="49", style=dashed];' in text
        return
    assert set(dp.components) <= set(g.nodes)
    assert g.has_edge("acc_reg", "acc_add") and int(g.edges["acc_reg", "acc_add"]["width"]) == 49
    assert sum(int(d.get("cost", 0)) for _, d in g.nodes(data=True)) == dp.gates


# -- sweep --------------------------------------------------------------------------------
def test_sweep_cli_writes_csv(tmp_path):
    out = tmp_path / "s.csv"
    run_ = run("sweep", "--weights", "int8,nvfp4", "--accumulators", "kulisch,fp32", "--k", "1,32",
               "--out", str(out))
    assert run_.returncode == 0, run_.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == 6  # 2 x 2 x 2, less nvfp4 at k = 32 with either accumulator
    assert run_.stderr.splitlines() == [
        f"macgates: wrote {out}: 6 configurations; 2 of 8 combinations skipped as invalid",
        "macgates: skipped 2 invalid combinations:",
        *(f"  nvfp4 x nvfp4, {acc}, k=32: k=32 does not divide nvfp4's block of 16: a dot product "
          "spanning several scale blocks is not modelled" for acc in ("kulisch", "fp32"))]
    row = next(r for r in rows if r["weights"] == "int8" and r["k"] == "32" and r["accumulator"] == "fp32")
    dp = macgates.dot("int8", k=32, accumulator="fp32")
    assert int(row["gates"]) == dp.gates
    assert row["gates_per_mac"] == fixed3(dp.gates_per_mac)  # the column has 3 decimals
    assert all(len(r["gates_per_mac"].partition(".")[2]) == 3 for r in rows)


# -- a user's first hour (issue 9) -----------------------------------------------------------
# Fractional cell costs: a 4.5-gate flip-flop (App. B: 2 MUX2 = 6), a 6-gate full adder
# (2 HA + OR2 = 7) and a 2-gate XOR2 (3). int8-kulisch has 27 flip-flops, 49 + 26 full
# adders (array reduction and accumulator adder) and no XOR2.

CELLS = {"fa": "6", "xor2": "2", "ff": "4.5"}
INT8_KULISCH_CELLS = INT8_KULISCH - (49 + 26) * (FA - 6) - 27 * (FF - Fraction(9, 2))  # 646.5


@pytest.fixture
def cells(tmp_path):
    """A design with fractional overrides, and a partial library extending the bundled one."""
    design = tmp_path / "mycells.yaml"
    design.write_text("macgates: 1\nname: mycells\nlibrary_overrides: {fa: \"6\", xor2: \"2\", ff: \"4.5\"}\n"
                      "configs:\n  - {name: int8-kulisch, weights: int8}\n"
                      "  - {name: e4m3-fp16, weights: fp8_e4m3, accumulator: fp16}\n"
                      "  - {name: e4m3-fp32-k4, weights: float8_e4m3fn, accumulator: fp32, k: 4}\n")
    lib = tmp_path / "cells.yaml"
    lib.write_text("version: 1\nextends: default\nprimitives:\n"
                   + "".join(f"  {n}: {{cost: \"{c}\", source: my cells}}\n" for n, c in CELLS.items()))
    return design, lib


FRACTIONAL_RUNS = {
    "table-design": ["table", "{design}"],
    "table-library": ["table", "--library", "{lib}"],
    "table-cost": ["table", "--cost", "fa=6", "--cost", "xor2=2", "--cost", "ff=4.5"],
    "show-design": ["show", "{design}", "--config", "int8-kulisch"],
    "show-library": ["show", "int8-kulisch", "--library", "{lib}"],
    "show-cost-k": ["show", "float8_e4m3fn-fp32-k4", "--cost", "ff=4.5"],
    "list-primitives": ["list", "primitives", "--library", "{lib}"],
}


@pytest.mark.parametrize("fmt", ["text", "csv", "markdown", "latex", "json"])
@pytest.mark.parametrize("name", list(FRACTIONAL_RUNS))
def test_fractional_costs_everywhere(cells, name, fmt, tmp_path):
    args = [a.format(design=cells[0], lib=cells[1]) for a in FRACTIONAL_RUNS[name]]
    out = run(*args, "--format", fmt)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    if name != "list-primitives":  # formulas are text; every number is shown as a number
        assert not re.search(r"\d/\d", out.stdout), out.stdout
    if fmt == "json":
        json.loads(out.stdout)


def test_fractional_costs_values(cells):
    rows = list(csv.DictReader(io.StringIO(run("table", str(cells[0]), "--format", "csv").stdout)))
    # gates and gates per MAC share one number of decimals: the most any figure needs
    # (646.5 needs 1; the k = 4 unit's per-MAC figure, a multiple of 1/8 with the 4.5-gate
    # flip-flops, may need up to 3)
    lib = macgates.load_library().with_overrides(CELLS)
    unit = macgates.dot("float8_e4m3fn", k=4, accumulator="fp32", library=lib)
    places = next(p for p in range(4) if (Fraction(unit.gates_per_mac) * 10 ** p).denominator == 1)
    assert places >= 1 and Fraction(rows[2]["gates_per_mac"]) == unit.gates_per_mac
    assert rows[0]["gates"] == f"{float(INT8_KULISCH_CELLS):.{places}f}"
    assert all(len(r[c].partition(".")[2]) == places for r in rows for c in ("gates", "gates_per_mac"))
    lib_rows = list(csv.DictReader(io.StringIO(run("table", "--library", str(cells[1]), "--format", "csv").stdout)))
    assert Fraction(lib_rows[0]["gates"]) == Fraction(rows[0]["gates"])  # extends: default + three costs = the overrides
    data = json.loads(run("show", str(cells[0]), "--config", "int8-kulisch", "--format", "json").stdout)
    assert data["gates"] == float(INT8_KULISCH_CELLS)
    assert data["by_category"]["register"] == 27 * 4.5
    text = run("show", str(cells[0]), "--config", "int8-kulisch").stdout
    assert f"{float(INT8_KULISCH_CELLS)} gates" in text.splitlines()[0]
    share = Fraction(27 * 9, 2) / INT8_KULISCH_CELLS * 100
    assert re.search(rf"^register\s+121\.5\s+{float(share):.1f}%$", text, re.M)


def test_fractional_costs_in_sweep_and_report(cells, tmp_path):
    out = run("sweep", "--weights", "int8", "--k", "1,3", "--cost", "ff=4.5", "--out", "-")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    lib = macgates.load_library().with_overrides({"ff": "4.5"})
    for row, k in zip(rows, (1, 3)):
        assert Fraction(row["gates"]) == macgates.dot("int8", k=k, accumulator="fp32", library=lib).gates
    assert not any("/" in v for r in rows for v in r.values())
    rep = run("report", str(cells[0]), "--out", str(tmp_path / "rep"))
    assert rep.returncode == 0, rep.stderr
    md = (tmp_path / "rep" / "mycells" / "report.md").read_text()
    assert not re.search(r"\d/\d", md)
    assert re.search(rf"^\| int8-kulisch .*\|\s+{float(INT8_KULISCH_CELLS)} \|", md, re.M)


@pytest.mark.parametrize("command", ["table", "report"])
def test_bundled_design_names(command, tmp_path):
    # (a report of the smallest bundled design: the name is found the same way)
    args = ([command, "modern-formats"] if command == "table" else [command, "custom_datapath", "--out", str(tmp_path)])
    out = run(*args, cwd=tmp_path)  # no designs/ folder here
    assert out.returncode == 0, out.stderr
    if command == "table":
        assert len(out.stdout.splitlines()) == 2 + len(macgates.load_design("modern-formats").configs)
    else:
        assert (tmp_path / "custom_datapath" / "report.md").exists()


def test_unknown_design_name_lists_bundled(tmp_path):
    out = run("report", "modern_formats", "--out", str(tmp_path / "r"), cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.startswith("macgates: error: 'modern_formats': no such file or bundled design "
                                 "(valid: booth_vs_array, ")
    assert not (tmp_path / "r").exists()


def test_sweep_all_invalid_is_an_error(tmp_path):
    out = run("sweep", "--weights", "int8", "--k", "5000", "--out", str(tmp_path / "s.csv"))
    assert out.returncode == 2
    assert out.stderr == ("macgates: error: sweep: the only combination is invalid: int8 x int8, fp32, "
                          "k=5000: k=5000 must be a whole number from 1 to 2048\n")
    assert not (tmp_path / "s.csv").exists()
    two = run("sweep", "--weights", "nvfp4", "--k", "32,64", "--out", str(tmp_path / "s.csv"))
    assert two.returncode == 2 and "all 2 combinations are invalid; the first: nvfp4" in two.stderr


def test_sweep_to_stdout_and_plurals(tmp_path):
    out = run("sweep", "--weights", "int8", "--out", "-", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "weights,activations,accumulator,k,acc_bits,gates,gates_per_mac,combine,delay,loop_delay,area_delay"
    assert len(out.stdout.splitlines()) == 2
    assert list(tmp_path.iterdir()) == []  # no file named '-'
    one = run("sweep", "--weights", "int8", "--out", str(tmp_path / "one.csv"))
    assert one.stderr == f"macgates: wrote {tmp_path / 'one.csv'}: 1 configuration\n"


@pytest.mark.parametrize("args,first_line", [
    (["show", "fp8_e4m3-fp16", "--k", "4"], "fp8_e4m3-fp16-k4: fp8_e4m3 -> fp16 (16-bit accumulator, array "
                                            "multiplier, 4-term dot product, "),
    (["show", "mxfp4-fp32-k32"], "mxfp4-fp32-k32: mxfp4 -> fp32 (32-bit accumulator, array multiplier, "
                                 "32-term dot product, "),
    (["show", "modern-formats", "--config", "int8-k1", "--k", "8"], "int8-k8: int8 -> fp32 (32-bit "
                                                                    "accumulator, array multiplier, 8-term"),
], ids=["show-k", "name-suffix", "design-config-k"])
def test_show_takes_k(args, first_line):
    out = run(*args)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(first_line)


def test_k_suffix_and_option_agree():
    unit = macgates.dot("mxfp4", k=32, accumulator="fp32")
    for args in (["show", "mxfp4-fp32-k32", "--format", "json"],
                 ["show", "mxfp4-fp32", "--k", "32", "--format", "json"]):
        assert json.loads(run(*args).stdout)["gates"] == unit.gates
    rows = list(csv.DictReader(io.StringIO(run("table", "mxfp4-fp32", "--k", "32", "--format", "csv").stdout)))
    assert [int(r["gates"]) for r in rows] == [unit.gates] and rows[0]["k"] == "32"


@pytest.mark.parametrize("args,message", [
    (["show", "nvfp4-fp32", "--k", "32"], "config nvfp4-fp32: k=32 does not divide nvfp4's block of 16"),
    (["show", "int8-kulisch", "--k", "0"], "argument --k: '0' is not a whole number from 1 to 999999"),
    (["table", "--k", "1,²"], "argument --k: '1,²' is not a whole number"),
], ids=["block", "zero", "superscript"])
def test_k_errors(args, message):
    out = run(*args)
    assert out.returncode == 2 and message in out.stderr and len(out.stderr.splitlines()) == 1


@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o077, 0o600)], ids=["022", "077"])
def test_graph_file_follows_umask_and_is_announced(tmp_path, umask, mode):
    path = tmp_path / "g.dot"
    out = subprocess.run([sys.executable, "-c", f"import os, sys; os.umask({umask}); "
                          "from macgates.cli import main; sys.exit(main(sys.argv[1:]))",
                          "show", "fp8_e4m3-fp16", "--graph", str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert path.stat().st_mode & 0o777 == mode
    assert out.stderr == f"macgates: wrote {path}\n"
    csv_path = tmp_path / "s.csv"
    subprocess.run([sys.executable, "-c", f"import os, sys; os.umask({umask}); "
                    "from macgates.cli import main; sys.exit(main(sys.argv[1:]))",
                    "sweep", "--weights", "int8", "--out", str(csv_path)], check=True, capture_output=True)
    assert csv_path.stat().st_mode & 0o777 == mode


def test_list_primitives_fits_a_terminal():
    text = run("list", "primitives").stdout
    assert max(len(line) for line in text.splitlines()) <= 200
    assert "..." in text  # long formulas are shortened in text ...
    rows = list(csv.DictReader(io.StringIO(run("list", "primitives", "--format", "csv").stdout)))
    lib = macgates.load_library()
    assert {r["cost"] for r in rows} == {p.cost_text for p in lib.primitives.values()}  # ... not in csv


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_before_or_after_the_subcommand(tmp_path, where):
    args = ["--debug", "table", "missing.yaml"] if where == "before" else ["table", "missing.yaml", "--debug"]
    out = run_process(*args, cwd=tmp_path)
    assert "Traceback" in out.stderr and "DesignError" in out.stderr


def test_list_formats_says_which_standard():
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(run("list", "formats", "--format", "csv").stdout))}
    assert rows["fp8_e4m3"]["standard"] == "whitepaper" and rows["fp8_e4m3"]["max"] == "240"
    assert rows["float8_e4m3fn"]["standard"] == "OCP OFP8" and rows["float8_e4m3fn"]["max"] == "448"
    assert "e4m3fn" in rows["float8_e4m3fn"]["also"].split(", ")
    assert rows["fp16"]["standard"] == "IEEE 754" and rows["mxfp4"]["standard"] == "OCP MX"


def test_cost_option_reaches_every_subcommand():
    # fa = 6: every config gets cheaper by its number of full adders; int8-kulisch has 49 + 26
    want = INT8_KULISCH - 75 * (FA - 6)
    table = list(csv.DictReader(io.StringIO(run("table", "--cost", "fa=6", "--format", "csv").stdout)))
    assert int(table[0]["gates"]) == want
    assert json.loads(run("show", "int8-kulisch", "--cost", "fa=6", "--format", "json").stdout)["gates"] == want
    sweep = run("sweep", "--weights", "int8", "--accumulators", "kulisch", "--cost", "fa=6", "--out", "-")
    assert int(list(csv.DictReader(io.StringIO(sweep.stdout)))[0]["gates"]) == want
    # report: tests/test_reporting.py::test_report_with_other_costs_does_not_claim_the_whitepaper[cost-option]


@pytest.mark.parametrize("args,message", [
    (["table", "--cost", "fa"], "macgates: error: --cost 'fa': expected NAME=EXPR, e.g. fa=6 or ff=4.5"),
    (["table", "--cost", "fx=6"], "macgates: error: --cost.fx: unknown primitive (valid: "),
    (["table", "--cost", "fa=__import__('os')"], "macgates: error: --cost.fa: "),
    (["table", "--cost", "fa=6", "--cost", "fa=5"], "macgates: error: --cost: 'fa' given twice"),
], ids=["no-equals", "unknown", "not-a-formula", "twice"])
def test_cost_errors(args, message):
    out = run(*args)
    assert out.returncode == 2 and out.stderr.startswith(message) and len(out.stderr.splitlines()) == 1


def test_user_formats_on_the_command_line(tmp_path):
    design = tmp_path / "mine.yaml"
    design.write_text("macgates: 1\nname: mine\nformats:\n"
                      "  nvint4: {kind: int, bits: 4, block_size: 16, scale: ue4m3}\n"
                      "configs:\n  - {name: nvint4-k16, weights: nvint4, accumulator: fp32, k: 16}\n"
                      "  - {name: int4-k16, weights: int4, accumulator: fp32, k: 16}\n")
    loaded = macgates.load_design(design)
    want = loaded.build(loaded.configs[0]).gates
    shown = json.loads(run("show", str(design), "--config", "nvint4-k16", "--format", "json").stdout)
    assert shown["gates"] == want and shown["info"]["weights"] == "nvint4"
    sweep = run("sweep", "--weights", "nvint4,int4", "--k", "16", "--formats-file", str(design), "--out", "-")
    assert sweep.returncode == 0, sweep.stderr
    rows = list(csv.DictReader(io.StringIO(sweep.stdout)))
    assert [(r["weights"], int(r["gates"])) for r in rows][0] == ("nvint4", want)
    listed = {r["name"]: r for r in csv.DictReader(io.StringIO(
        run("list", "formats", str(design), "--format", "csv").stdout))}
    assert listed["nvint4"]["standard"] == "user-defined" and listed["nvint4"]["block"] == "16 x ue4m3"
    assert listed["nvint4"]["defined_in"] == f"{design}: formats.nvint4"
    unknown = run("sweep", "--weights", "nvint4", "--out", "-")
    assert unknown.returncode == 2 and unknown.stderr.startswith("macgates: error: --weights: unknown format 'nvint4'")
    # reports place the user's formats on the Pareto chart: the design's, or --formats-file for a sweep
    (tmp_path / "grid.csv").write_text(sweep.stdout)
    for args in ([str(design)], ["--sweep", str(tmp_path / "grid.csv"), "--formats-file", str(design)]):
        rep = run("report", *args, "--out", str(tmp_path / "rep"))
        assert rep.returncode == 0, rep.stderr
    assert "2 configurations from `grid.csv`" in (tmp_path / "rep" / "grid" / "report.md").read_text()
    # (nvint4 is int4 elements in blocks: the same range per element and precision as int4,
    # dearer, so on no front.) Without --formats-file its name is unknown
    bare = run("report", "--sweep", str(tmp_path / "grid.csv"), "--out", str(tmp_path / "rep2"))
    assert bare.returncode == 2
    assert bare.stderr.startswith(f"macgates: error: {tmp_path / 'grid.csv'}:2: column weights: unknown format 'nvint4'")
    assert macgates.pareto_chart(macgates.table(design)).axes  # the API frame knows the formats too


def test_sweep_grid_limit_and_option(tmp_path):
    names = ",".join(["int8"] * 1001)
    out = run("sweep", "--weights", names, "--activations", names, "--out", str(tmp_path / "s.csv"))
    assert out.returncode == 2 and out.stderr == (
        "macgates: error: sweep: 1,002,001 combinations is more than the limit of 1,000,000 (raise it with "
        "--max-configs N, or max_configs=N)\n")
    assert list(tmp_path.iterdir()) == []
    small = run("sweep", "--weights", "int4,int8", "--max-configs", "1", "--out", "-")
    assert small.returncode == 2 and "2 combinations is more than the limit of 1 " in small.stderr


# -- a user's second hour (issue 18) ----------------------------------------------------------
def test_a_bundled_design_is_found_by_its_declared_name():
    listed = list(csv.DictReader(io.StringIO(run("list", "designs", "--format", "csv").stdout)))
    assert any(r["name"] != r["design"] for r in listed)  # booth-vs-array is booth_vs_array.yaml
    for row in listed:
        by_name, by_file = run("table", row["name"], "--format", "csv"), run("table", row["design"], "--format", "csv")
        assert by_name.returncode == 0, by_name.stderr
        assert by_name.stdout == by_file.stdout
    assert macgates.load_design("booth-vs-array").path.name == "booth_vs_array.yaml"


def test_text_tables_say_which_library_and_overrides_made_them(tmp_path):
    plain = run("table").stdout
    assert "library:" not in plain and "override:" not in plain  # the bundled App. B library, unchanged
    out = run("table", "--library", "calibrated", "--cost", "ff=4.5", "--cost", "fa=6").stdout.splitlines()
    assert out[-3].startswith("library: macgates-calibrated (bundled 'calibrated')")
    assert out[-2:] == ["override: ff = 4.5 (--cost)", "override: fa = 6 (--cost)"]  # each in full, a line each
    shown = run("show", "cheap_fa", "--config", "int8-kulisch").stdout.splitlines()
    assert shown[-2] == "library: macgates-default (bundled 'default': whitepaper App. B costs)"
    assert shown[-1] == "override: fa = 6 (library_overrides)"
    names = sorted(default_costs := macgates.load_library().primitives)[:30]  # 30 overrides: none cut off
    many = [a for n in names for a in ("--cost", f"{n}={default_costs[n].cost_text}")]
    lines = run("table", *many).stdout.splitlines()[-len(names):]
    assert lines == [f"override: {n} = {default_costs[n].cost_text} (--cost)" for n in names]
    edited = tmp_path / "component_library.yaml"  # a user's file of the bundled file's name: not bundled
    edited.write_text((REPO / "component_library.yaml").read_text().replace('name: macgates-default', 'name: mine'))
    below = run("table", "--library", str(edited)).stdout.splitlines()[-1]
    assert below == f"library: mine ({edited}): the same costs as the bundled App. B library"
    assert "library:" not in run("table", "--library", "calibrated", "--format", "csv").stdout  # text only


def test_library_repr_names_it():
    default = macgates.load_library()
    assert repr(default) == f"<Library macgates-default (component_library.yaml): {len(default.primitives)} primitives>"
    lib = macgates.load_library("calibrated").with_overrides({"ff": "4.5"}, origin="--cost")
    assert repr(lib).startswith("<Library macgates-calibrated (calibrated_library.yaml): ")
    assert repr(lib).endswith(", 1 override>")
    assert lib.provenance()[-1] == "override: ff = 4.5 (--cost)"


def _stderr_on_a_terminal(*args) -> str:
    """What ``macgates ARGS`` writes to stderr when stderr is a terminal (a pty)."""
    import os
    import pty

    leader, follower = pty.openpty()
    try:
        proc = subprocess.run([sys.executable, "-m", "macgates", *args], stdout=subprocess.PIPE,
                              stderr=follower, timeout=300)
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal's other end is closed: all read
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
    assert proc.returncode == 0
    return b"".join(chunks).decode(errors="replace")


@pytest.mark.parametrize("args,bar", [
    (["report", "custom_datapath"], "macgates report"),
    (["verify", "paper_fig3", "--vectors", "2", "--length", "2"], "macgates verify"),
    (["sweep", "--weights", "int8,fp8_e4m3", "--out", "-"], "macgates sweep"),
], ids=["report", "verify", "sweep"])
def test_progress_on_a_terminal_only(args, bar, tmp_path):
    pytest.importorskip("tqdm")
    if args[0] == "report":
        args = [*args, "--out", str(tmp_path / "r")]
    assert bar in _stderr_on_a_terminal(*args)
    piped = run(*args)  # stderr not a terminal (in_process: a StringIO, like a pipe): no bar
    assert piped.returncode == 0 and bar not in piped.stderr and "\r" not in piped.stderr


@pytest.mark.parametrize("args,message", [
    (["list", "designs", "--cost", "fa=6"], "list designs: --cost applies only to 'list primitives'"),
    (["list", "formats", "--library", "calibrated"], "list formats: --library applies only to 'list primitives'"),
    (["report", "--sweep", "s.csv", "--cost", "fa=6"], "report --sweep: --cost does not apply"),
    (["report", "--sweep", "s.csv", "--synth", "x.csv"], "report --sweep: --synth does not apply"),
    (["report", "paper_fig3", "--formats-file", "x.yaml"], "report: --formats-file applies only with --sweep"),
    (["verify", "int8-kulisch", "--slack", "--vectors", "3"], "verify --slack: --vectors does not apply"),
    (["calibrate", "int8-kulisch", "--cost", "fa=6"], "unrecognized arguments: --cost"),
], ids=["list-designs-cost", "list-formats-library", "sweep-report-cost", "sweep-report-synth",
        "formats-file-without-sweep", "slack-vectors", "calibrate-cost"])
def test_an_option_without_effect_is_refused(args, message, tmp_path):
    out = run(*args, cwd=tmp_path)
    assert out.returncode == 2 and message in out.stderr and out.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_a_typed_config_names_its_part_not_configs0():
    out = run("table", "int8-fp99")
    assert out.returncode == 2
    assert out.stderr.startswith("macgates: error: int8-fp99: accumulator: unknown accumulator 'fp99'")
    assert "configs[0]" not in out.stderr and "any float format" in out.stderr
    pair = run("table", "int4-int8")  # int8 taken as the accumulator: say how to write W x A
    assert pair.returncode == 2 and "write int4xint8-ACCUMULATOR (e.g. int4xint8-kulisch)" in pair.stderr
    assert "int4-kulisch:8" in pair.stderr
    assert run("table", "int4xint8-kulisch").returncode == 0


@pytest.mark.parametrize("acc", ["fp8_e4m3", "tf32", "fp16:subnormals"])
def test_any_float_format_accumulates(acc):
    out = run("table", f"int8-{acc}", "--format", "csv")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[1].split(",")[3] == acc


def _latex_rows(text: str) -> list[list[str]]:
    """The cells of each booktabs tabular row (between \\midrule and \\bottomrule)."""
    rows, inside = [], False
    for line in text.splitlines():
        if line == "\\midrule":
            inside = True
        elif line == "\\bottomrule":
            inside = False
        elif inside:
            assert line.endswith(" \\\\")
            rows.append(line[:-3].split(" & "))
    return rows


def test_latex_tables_for_papers():
    out = run("table", "--format", "latex").stdout
    assert out.startswith("\\begin{tabular}{llllrrrrrr}\n\\toprule\n")  # text left, numbers right
    assert "\\usepackage" not in out and out.rstrip().endswith("\\end{tabular}")
    rows = _latex_rows(out)
    assert rows[0][:7] == ["int8-kulisch", "int8", "int8", "kulisch", "27", str(INT8_KULISCH), "1.000"]
    assert rows[10][0] == "fp8\\_e4m3-fp16" and rows[10][5] == str(E4M3_FP16)  # _ escaped
    assert rows[10][6] == fixed3(Fraction(E4M3_FP16, INT8_KULISCH))
    shown = run("show", "fp8_e4m3-fp16", "--format", "latex").stdout
    assert shown.startswith("% fp8_e4m3-fp16: fp8_e4m3 -> fp16 ")  # a comment: nothing to escape
    assert shown.count("\\begin{tabular}") == 2  # components, then categories
    total = _latex_rows(shown.split("\\end{tabular}")[1])[-1]
    assert total == ["total", str(E4M3_FP16), "100.0\\%"]
    listed = run("list", "designs", "--format", "latex")
    assert listed.returncode == 0 and "\\toprule" in listed.stdout


def test_show_in_markdown():
    out = run("show", "int8-kulisch", "--format", "markdown").stdout
    assert out.startswith(f"### int8-kulisch: int8 -> kulisch (27-bit accumulator, array multiplier): {INT8_KULISCH} gates\n")
    tables = [block.strip() for block in out.split("\n\n") if block.strip().startswith("|")]
    assert len(tables) == 2
    assert [c.strip() for c in tables[1].splitlines()[-1].split("|")[1:4]] == ["total", str(INT8_KULISCH), "100.0%"]


def test_api_modules_are_modules_and_reachable():
    import importlib
    import types

    for name in ("verify", "synth", "rtl"):  # reachable from `import macgates`, imported on first use
        module = getattr(macgates, name)  # (their old names: macgates.MOVED)
        assert isinstance(module, types.ModuleType) and module.__name__ == f"macgates.{macgates.MOVED[name]}"
    assert macgates.verify.verify and macgates.rtl.emit and macgates.synth.synthesize
    for name in ("dotproduct", "tables", "sweeps"):  # `import macgates.dot as m` gave the function
        assert isinstance(importlib.import_module(f"macgates.{name}"), types.ModuleType)
    for name in ("dot", "table", "sweep", "mac"):  # the functions keep their names, and no module shadows them
        assert callable(getattr(macgates, name)) and not isinstance(getattr(macgates, name), types.ModuleType)
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module(f"macgates.{name}")
    dp = macgates.Datapath("mine")  # a name, not a library
    assert dp.name == "mine" and dp.library is macgates.load_library()
    import inspect
    assert "synthesis" in inspect.signature(macgates.report).parameters


def test_k_on_a_design_keeps_one_config_per_name_and_renames_the_baseline():
    out = run("table", "modern-formats", "--k", "16", "--format", "csv")
    assert out.returncode == 0, out.stderr
    names = [line.split(",")[0] for line in out.stdout.splitlines()[1:]]
    assert len(names) == len(set(names)) and "int8-k16" in names  # int8-k1, -k16 and -k32 are one unit now
    header = out.stdout.splitlines()[0].split(",")
    rows = {line.split(",")[0]: dict(zip(header, line.split(","))) for line in out.stdout.splitlines()[1:]}
    assert rows["int8-k16"]["relative"] == "1.000"  # the design's baseline int8-k1, as a 16-term unit
    chosen = run("table", "paper_fig3", "--k", "4", "--baseline", "int8-fp16", "--format", "csv")
    assert chosen.returncode == 0, chosen.stderr
    lines = chosen.stdout.splitlines()
    picked = [dict(zip(lines[0].split(","), line.split(","))) for line in lines[1:]]
    assert [r["relative"] for r in picked if r["name"] == "int8-fp16-k4"] == ["1.000"]


def test_old_positional_datapath_calls_are_refused():
    lib = macgates.load_library()
    with pytest.raises(macgates.DatapathError, match="the name must be a string, got Library"):
        macgates.Datapath(lib)
    with pytest.raises(macgates.DatapathError, match="components must be a dict, got str"):
        macgates.Datapath(lib.name, "mine")


@pytest.mark.parametrize("args", [("sweep", "--weights", "int8,fp8_e4m3,int4", "--accumulators", "kulisch,fp16,fp32",
                                   "--k", "1,2,4,8,16,32", "--out", "-"),
                                  ("list", "primitives")], ids=["streamed", "written-at-the-end"])
def test_a_reader_that_stops_early_is_not_an_error(args):
    # `macgates sweep ... --out - | head -0`: the pipe is closed before anything is written
    proc = subprocess.Popen([sys.executable, "-m", "macgates", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0 and err == "", err
