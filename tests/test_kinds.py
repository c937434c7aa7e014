"""Primitive kinds (macgates/kinds.py): every primitive of the bundled libraries has one,
with a behaviour or a reason to be cost-only; ports are checked where a datapath is
connected and where it runs."""

import pytest

import macgates
from macgates.kinds import KINDS, Port, kind_of, ports, register_kind


@pytest.mark.parametrize("library", ["default", "calibrated"])
def test_every_bundled_primitive_has_a_kind(library):
    lib = macgates.load_library(library)
    for name in lib.primitives:
        kind = kind_of(name)
        assert kind is not None, f"{name} has no kind"
        assert (kind.behaviour is None) == bool(kind.cost_only), name  # one or the other
    cost_only = sorted(n for n in lib.primitives if kind_of(n).cost_only)
    assert cost_only == ["comparator", "fa", "ff", "ha", "inv", "shift_right"]  # App. B's cells


def test_a_misconnected_port_is_refused():
    # the case: port="carry_in" instead of cin cost 104 gates and ran wrong
    dp = macgates.mac("int8", accumulator="kulisch")
    with pytest.raises(macgates.DatapathError, match=r"component acc_add \(adder\) has no input port "
                                                     r"'carry_in' \(valid: a, b, cin\)"):
        dp.connect("pp_reduce", "acc_add", 1, port="carry_in")


def hand_built(connect_b=True):
    dp = macgates.Datapath("mine")
    dp.port("w", "in", 8)
    dp.port("a", "in", 8)
    dp.add("pp", "pp_bits", n=8, m=8, category="multiplier")
    dp.add("tree", "pp_reduce", n=8, m=8, category="multiplier")
    dp.add("acc", "adder", n=27, category="accumulator")
    dp.add("reg", "register", n=27, category="register")
    dp.connect("w", "pp", 8, port="a")
    if connect_b:
        dp.connect("a", "pp", 8, port="b")
    dp.connect("pp", "tree", 64, port="pp")
    dp.connect("tree", "acc", 16, port="a")
    dp.connect("reg", "acc", 27, name="feedback", port="b")
    dp.connect("acc", "reg", 27, port="d")
    return dp


def test_a_missing_input_is_refused_when_it_runs():
    assert hand_built().step(0, 3, 5) == 15  # unsigned 3 x 5 into a zero accumulator
    with pytest.raises(macgates.DatapathError, match=r"mine: not executable: input port 'b' of component pp "
                                                     r"\(pp_bits\) is not connected \(its inputs: a, b"):
        hand_built(connect_b=False).step(0, 3, 5)


def test_an_undeclared_primitive_is_costed_and_not_run(tmp_path):
    lib_file = tmp_path / "lib.yaml"
    lib_file.write_text('version: 1\nextends: default\nprimitives:\n'
                        '  nand3: {cost: "2", params: [], category: multiplier, source: my cells}\n')
    dp = hand_built()
    dp.library = macgates.load_library(lib_file)
    dp.add("odd", "nand3", category="normalize")
    dp.connect("reg", "odd", 1, port="anything")  # no kind: any port, for the graph and the costs
    assert dp.gates == hand_built().gates + 2
    with pytest.raises(macgates.DatapathError, match="uses primitive nand3, which has no behaviour "
                                                     r"\(no kind is registered for it"):
        dp.step(0, 1, 1)


def test_register_kind():
    try:
        @register_kind("test_kind_xor3", ports("a", "b", "c?"))
        def xor3(params, ins, attrs):
            return ins["a"] ^ ins["b"] ^ ins.get("c", 0)
        kind = KINDS["test_kind_xor3"]
        assert kind.ports == (Port("a"), Port("b"), Port("c", required=False)) and kind.required == ("a", "b")
        assert kind.behaviour(None, {"a": 6, "b": 3}, {}) == 5  # 110 ^ 011
        with pytest.raises(macgates.DatapathError, match="already registered"):
            register_kind("test_kind_xor3", ports("x"))(xor3)
        with pytest.raises(macgates.DatapathError, match="a port is declared twice"):
            register_kind("test_kind_twice", ports("x", "x"))
        # a component's Verilog names its output y and its wires t0, x_v, ...: a port of one of
        # those names made Yosys fail ("Incompatible re-declaration of wire \\y")
        for name in ("y", "clk", "t0", "x_v", "x_0", "Upper", "wire"):
            with pytest.raises(macgates.DatapathError, match=f"port '{name}': expected a lower-case name"):
                register_kind("test_kind_reserved", ports(name))
    finally:
        KINDS.pop("test_kind_xor3", None)


def test_the_bundled_kinds_are_there_in_a_fresh_process():
    # a datapath connected without ports never asks for a kind while it is built; running it
    # said "no kind is registered" for the adder instead of naming the port it lacks
    import subprocess
    import sys

    code = ("import macgates\n"
            "dp = macgates.Datapath('mine')\n"
            "dp.add('acc', 'adder', n=8, category='accumulator')\n"
            "dp.add('reg', 'register', n=8, category='register')\n"
            "dp.connect('acc', 'reg', 8)\n"
            "dp.connect('reg', 'acc', 8, name='feedback')\n"
            "try:\n    dp.step(0, 1, 1)\nexcept macgates.DatapathError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout == "mine: not executable: signal acc -> reg has no port\n", out.stderr
