"""Verilog emitted from the component graph (macgates/hw/rtl.py): traced ranges and widths,
the top module's ports, every builder's datapaths emitted, and (where Icarus Verilog is
installed) the emitted Verilog simulated against the datapath itself."""

import json
import re
import shutil
import subprocess

import pytest

from macgates import DatapathError
from macgates.design.names import resolve
from macgates.support.bits import signed_bits
from macgates.hw.rtl import Body, emit, ident, literal
from macgates.hw.synth import sequences


@pytest.mark.parametrize("lo, hi, bits", [
    (0, 0, 1), (0, 1, 2), (-1, 0, 1), (-2, 1, 2), (0, 255, 9), (-128, 127, 8), (-129, 0, 9), (5, 5, 4),
], ids=lambda v: str(v))
def test_signed_bits_is_the_smallest_twos_complement_word(lo, hi, bits):
    assert signed_bits(lo, hi) == bits
    assert -(1 << (bits - 1)) <= lo and hi < (1 << (bits - 1))  # it holds them
    assert bits == 1 or not (-(1 << (bits - 2)) <= lo and hi < (1 << (bits - 2)))  # one bit less does not


def test_literals_are_sized_and_signed():
    assert literal(5) == "4'sh5"
    assert literal(-1) == "1'sh1"
    assert literal(255, 9) == "9'shff"


def traced(lo, hi, name="x", body=None):
    from macgates.hw.rtl import Traced

    return Traced(body or Body(), name, lo, hi)


def test_traced_ranges_follow_the_integers():
    body = Body()
    x, s, bit = traced(0, 255, "x", body), traced(0, 3, "s", body), traced(0, 1, "b", body)
    assert ((x + 3).lo, (x + 3).hi) == (3, 258)
    assert ((x & 0xF).lo, (x & 0xF).hi) == (0, 15)
    assert ((x - 300).lo, (x - 300).hi) == (-300, -45)
    assert ((x << s).lo, (x << s).hi) == (0, 255 << 3)
    assert ((1 << s).lo, (1 << s).hi) == (1, 8)
    neg = traced(-8, 7, "n", body)
    assert ((neg >> 1).lo, (neg >> 1).hi) == (-4, 3)
    assert ((x > neg).lo, (x > neg).hi) == (0, 1)
    picked = bit.select(x, 7)
    assert (picked.lo, picked.hi) == (0, 255)
    assert body.lines[-1] == "  wire signed [8:0] t%d = b[0] ? 4'sh7 : x;" % (body.count - 1)
    x * bit  # a bit times a value is a select, not a multiply
    assert "b[0] ? x : " in body.lines[-1] and "*" not in body.lines[-1]
    assert x & 255 is x  # a mask that keeps every bit is a wire


def test_a_behaviour_that_branches_cannot_be_emitted():
    with pytest.raises(DatapathError, match="branch-free"):
        bool(traced(0, 1) > 0)


def test_identifiers_are_verilog_safe():
    assert ident("fp8_e4m3-fp16") == "fp8_e4m3_fp16"
    assert ident("9lives") == "n_9lives"


def build(name, config=None):
    design, configs = resolve(name, config)
    return design.build(configs[0])


def test_top_module_ports_of_a_scalar_mac():
    rtl = emit(build("fp8_e4m3-fp16"))
    assert rtl.ports == {"w": ("input", 8), "a": ("input", 8), "acc": ("output", 16)}
    top = rtl.modules[rtl.top]
    assert top.splitlines()[1].startswith("module mac_fp8_e4m3_fp16 (input clk, input rst, input [7:0] w,")
    assert rtl.latency == 0


def test_dot_units_have_k_lanes_side_by_side_and_block_formats_their_scales():
    rtl = emit(build("mxfp4-fp32-k32"))
    assert rtl.ports["w"] == ("input", 4 * 32) and rtl.ports["a"] == ("input", 4 * 32)
    assert rtl.ports["w_scale"] == ("input", 8) and rtl.ports["a_scale"] == ("input", 8)
    top = rtl.modules[rtl.top]
    assert " u_sum_tree (" in top  # one adder tree, taking the 32 lanes
    assert all(f" u_pp_bits_{lane} (" in top for lane in range(32)) or all(
        f"_{lane} (" in top for lane in range(32))


def test_a_kulisch_accumulator_with_special_values_outputs_its_flags():
    dp = build("float8_e4m3fn-kulisch")
    rtl = emit(dp)
    assert rtl.ports["acc"] == ("output", dp.info["acc_bits"])
    assert rtl.state == [("acc", 0, dp.info["acc_bits"]), ("flags", dp.info["acc_bits"], 1)]


def test_a_product_pipe_is_a_register_without_reset_and_one_cycle_of_latency():
    rtl = emit(build("fp8_e4m3-kulisch"))
    assert rtl.latency == 1
    assert "u_product_pipe (.clk(clk), .rst(1'b0)" in rtl.modules[rtl.top]


def test_one_module_per_distinct_component():
    dp = build("fp8_e4m3-fp32")
    rtl = emit(dp)
    instances = [line for line in rtl.modules[rtl.top].splitlines() if " u_" in line]
    assert len(instances) == len(dp.components)
    assert len(rtl.modules) - 1 <= len(dp.components)  # identical components share one module


def module_names(verilog):
    return re.findall(r"^module (\w+) ", verilog, re.M)


def test_module_names_are_unique_per_design():
    """Two datapaths with components in common (pp_bits_n8_m8, or_reduce_n8, ...) define
    no module of the same name: each is prefixed with its top module's name."""
    rtls = [emit(build(name)) for name in ("int8-kulisch", "int8-fp16")]
    names = [set(module_names(r.verilog)) for r in rtls]
    assert names[0].isdisjoint(names[1])
    for rtl, found in zip(rtls, names):
        assert found == set(rtl.modules) and module_names(rtl.modules[rtl.top]) == [rtl.top]
        assert all(n.startswith(rtl.top + "__") for n in found - {rtl.top})
    assert rtls[0].top == "mac_int8_kulisch" and "mac_int8_kulisch__pp_bits_n8_m8" in names[0]
    assert "mac_int8_fp16__pp_bits_n8_m8" in names[1]  # the same component, its own module


def test_the_top_module_takes_a_given_name():
    rtl = emit(build("int8-kulisch"), top="my-mac")
    assert rtl.top == "my_mac" and module_names(rtl.modules["my_mac"]) == ["my_mac"]
    assert all(n.startswith("my_mac__") for n in rtl.modules if n != "my_mac")


def test_two_datapaths_read_into_one_yosys_run():
    from macgates.hw.synth import SynthesisError, run_yosys, yosys_command

    try:
        yosys_command()
    except SynthesisError:
        pytest.skip("Yosys is not installed (pip install 'macgates[synth]')")
    rtls = [emit(build(name)) for name in ("int8-kulisch", "int8-fp16", "int4xint8-fp32-k4")]
    files = {f"{r.top}.v": r.verilog for r in rtls}
    script = f"read_verilog {' '.join(files)}\nhierarchy -check\nproc\nwrite_json all.json\n"
    data = json.loads(run_yosys(script, files, ["all.json"])["all.json"])  # (was: Re-definition of module)
    assert set(data["modules"]) == set().union(*(r.modules for r in rtls))


@pytest.mark.parametrize("name", ["int8-kulisch", "fp8_e5m2-fp16:subnormals", "int4xint8-fp32-k4",
                                  "nvfp4-fp32-k16", "mxint8-kulisch-k4", "bfloat16-fp32",
                                  "float8_e5m2xmxfp4-fp16-k4"])
def test_every_kind_of_datapath_can_be_emitted(name):
    dp = build(name)
    rtl = emit(dp)
    assert rtl.verilog.count("endmodule") == len(rtl.modules)


def test_the_booth_and_two_shifter_styles_can_be_emitted():
    design, configs = resolve("booth_vs_array")
    for cfg in configs:
        emit(design.build(cfg))
    design, configs = resolve("fp_accumulator_choices")
    for cfg in configs:
        emit(design.build(cfg))


@pytest.mark.skipif(shutil.which("iverilog") is None,
                    reason="Icarus Verilog (iverilog) is not on PATH: the emitted Verilog is checked through "
                           "Yosys and the gate netlist instead (tests/test_synth.py)")
@pytest.mark.parametrize("name", ["int8-kulisch", "fp8_e4m3-fp16", "fp8_e4m3-kulisch"])
def test_icarus_simulates_the_emitted_verilog_like_the_datapath(name, tmp_path):
    from macgates.run.simulate import Runner

    dp = build(name)
    rtl = emit(dp)
    cycles = sequences(dp, 1, 40, seed=3)
    lines = [f"module tb; reg clk = 0, rst = 1; reg [{rtl.ports['w'][1] - 1}:0] w; "
             f"reg [{rtl.ports['a'][1] - 1}:0] a; wire [{rtl.ports['acc'][1] - 1}:0] acc;",
             f"{rtl.top} dut (.clk(clk), .rst(rst), .w(w), .a(a), .acc(acc));", "initial begin"]
    for t, cycle in enumerate(cycles):
        lines.append(f"  w = {cycle['w'][0]}; a = {cycle['a'][0]}; rst = {int(t == 0)}; #1 clk = 1; #1 clk = 0; "
                     '$display("%0d", acc);')
    lines += ["end", "endmodule"]
    (tmp_path / "dp.v").write_text(rtl.verilog + "\n".join(lines))
    subprocess.run(["iverilog", "-o", str(tmp_path / "sim"), str(tmp_path / "dp.v")], check=True)
    got = [int(v) for v in subprocess.run(["vvp", str(tmp_path / "sim")], capture_output=True, text=True,
                                          check=True).stdout.split()]
    runner, acc, expected = Runner(dp), 0, []
    for t in range(1, len(cycles)):
        c = cycles[t - rtl.latency]
        acc = runner.step(acc, {"w": c["w"][0], "a": c["a"][0]})
        expected.append(acc)
    assert got[1:] == expected

