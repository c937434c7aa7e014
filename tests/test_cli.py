"""The command line, run as a user would: ``python -m macgates`` in a subprocess."""

import csv
import io
import json
import subprocess
import sys

import pytest

import macgates
from by_hand import E4M3_FP16, INT8_KULISCH
from macgates.render import fixed3


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "macgates", *args], capture_output=True,
                          text=True, cwd=cwd)


def test_table_csv():
    out = run("table", "--format", "csv")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert len(rows) == 15
    assert list(rows[0]) == ["name", "weights", "activations", "accumulator", "acc_bits", "gates", "relative"]
    assert [r["acc_bits"] for r in rows if r["accumulator"] == "kulisch"] == ["27", "29", "35", "49", "79"]
    assert rows[0]["relative"] == "1.000"
    api = macgates.table()
    assert [int(r["gates"]) for r in rows] == list(api["gates"])


def test_table_text_and_markdown():
    text = run("table").stdout.splitlines()
    assert text[0].split() == ["name", "weights", "activations", "accumulator", "acc_bits", "gates", "relative"]
    assert len(text) == 2 + 15
    md = run("table", "--format", "markdown").stdout.splitlines()
    assert md[0].startswith("| name") and md[1].startswith("|--") and len(md) == 17
    assert all(line.count("|") == 8 for line in md)


def test_table_json():
    data = json.loads(run("table", "--format", "json").stdout)
    assert data[0] == {"name": "int8-kulisch", "weights": "int8", "activations": "int8",
                       "accumulator": "kulisch", "acc_bits": 27, "gates": 775, "relative": 1.0}


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
    out = run("--debug", "table", "missing.yaml", cwd=tmp_path)
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
    assert by_name["fp16"]["min_positive"] == "2^-24"
    assert "App. A" in by_name["fp8_e4m3"]["defined_in"]


def test_list_primitives_shows_formula_and_source():
    rows = list(csv.DictReader(io.StringIO(run("list", "primitives", "--format", "csv").stdout)))
    adder = next(r for r in rows if r["primitive"] == "adder(n)")
    assert adder["cost"] == "(n-1)*fa + ha" and "App. B" in adder["source"]
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
