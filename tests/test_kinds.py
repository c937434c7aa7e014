"""Primitive kinds (macgates/library/kinds.py): every primitive of the bundled libraries has one,
with a behaviour or a reason to be cost-only; ports are checked where a datapath is
connected and where it runs."""

import itertools

import pytest

import macgates
from macgates.library.kinds import KINDS, Port, kind_of, ports, register_kind


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
    dp.connect("tree", "acc", 16, port="a")  # (at most n bits: the 16-bit product, zero-extended)
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


# -- port widths ---------------------------------------------------------------------------
def test_ports_read_widths():
    a, b, c, d = ports("a:n", "b?:>= m + 1", "c", "d:<=2*n")
    assert (a.name, a.required, a.width, a.bound) == ("a", True, "n", "")
    assert (b.name, b.required, b.width, b.bound) == ("b", False, ">= m + 1", ">=")
    assert (c.width, c.formula) == ("any", None)  # no width: not checked
    assert (d.width, d.bound, d.spec) == ("<= 2*n", "<=", "d:<= 2*n")
    assert a.expected({"n": 5}) == 5 and b.expected({"m": 5}) == 6 and c.expected({"n": 5}) is None
    assert Port("s", width="ceil_log2(k + 1)").expected({"k": 8}) == 4  # a shifter by 0..8: 4 stages
    for width, message in (("n +", "not an expression"), ("adder(n)", r"adder\(...\) is not a function of widths"),
                           ("n ** 2", r"'\*\*' \(powers\) not allowed"), (">= any", "'any' takes no bound")):
        with pytest.raises(macgates.DatapathError, match=f"port 'x': width .*{message}"):
            ports(f"x:{width}")


def test_a_misconnected_width_is_refused_by_connect():
    # int8 x int8 into kulisch: FX+12 = the 15-bit product + 12 = a 27-bit accumulator adder
    dp = macgates.mac("int8", accumulator="kulisch")
    assert dp.components["acc_add"].params == {"n": 27}
    with pytest.raises(macgates.DatapathError, match=r"^int8-kulisch: connection acc_reg -> acc_add: port 'a' of "
                                                     r"component acc_add \(adder\): 28 bits given, expected at most 27 = "
                                                     r"n for n=27; the exponent fields of two formats are added, the "
                                                     r"narrower zero-extended$"):
        dp.connect("acc_reg", "acc_add", 28, port="a")
    with pytest.raises(macgates.DatapathError, match=r"acc_add: port 'a' of component acc_add \(adder\): 8 bits at "
                                                     r"bit 20 \(28 in all\) given, expected at most 27 = n for n=27"):
        dp.connect("acc_reg", "acc_add", 8, port="a", at=20)  # bits 20..27 of a 27-bit port
    with pytest.raises(macgates.DatapathError, match=r"port 'cin' of component acc_add \(adder\): 2 bits given, "
                                                     r"expected 1$"):
        dp.connect("pp_reduce", "acc_add", 2, port="cin")
    # an unknown port is still named with the valid ones
    with pytest.raises(macgates.DatapathError, match=r"has no input port 'x' \(valid: a, b, cin\)"):
        dp.connect("acc_reg", "acc_add", 27, port="x")
    assert dp.connect("pp_reduce", "acc_add", 1, port="cin") == dp.signals[-1]  # a width that fits is taken


def test_a_bound_is_named_with_its_reason():
    dp = macgates.mac("fp8_e4m3", accumulator="fp16")
    diff = dp.components["exp_diff"]
    assert diff.primitive == "subtractor"
    n = diff.params["n"]
    with pytest.raises(macgates.DatapathError, match=rf"port 'a' of component exp_diff \(subtractor\): {n + 1} bits "
                                                     rf"given, expected at most {n} = n for n={n}; exponents are "
                                                     r"zero-extended to the difference's n bits$"):
        dp.connect("acc_reg", "exp_diff", n + 1, port="a")


def test_the_simulator_refuses_a_width_changed_after_connect():
    dp = macgates.mac("int8", accumulator="kulisch")
    assert dp.step(0, 3, 5) == 15
    dp.replace("acc_add", n=26)  # its signals stay 27 bits wide: the feedback a, the 15-bit signed product b
    with pytest.raises(macgates.DatapathError, match=r"^int8-kulisch: not executable: port 'a' of component acc_add "
                                                     r"\(adder\): 27 bits given, expected at most 26 = n for n=26; "
                                                     r"the exponent fields"):
        dp.step(0, 3, 5)
    dp.replace("acc_add", n=27)
    dp.replace("acc_reg", n=28)  # a register takes exactly n bits: its top bit would be left undriven
    with pytest.raises(macgates.DatapathError, match=r"acc_reg \(register\): 27 bits given, expected 28 = n for "
                                                     r"n=28 \(drive every bit; a narrower signed signal is "
                                                     r"sign-extended: signed=True\)$"):
        dp.step(0, 3, 5)
    dp.replace("acc_add", n=26, fit=True)  # fit: its inputs cut to 26 bits, as the narrower adder reads them
    dp.replace("acc_reg", n=26, fit=True)
    assert [s.width for s in dp.signals if s.dst in ("acc_add", "acc_reg")] == [15, 26, 26]
    assert dp.step(0, 3, 5) == 15
    assert dp.step(0, 0x81, 0x7F) == (1 << 26) - 127 * 127  # -127 x 127 in 26 bits


def test_a_user_kind_with_widths(tmp_path):
    lib_file = tmp_path / "lib.yaml"
    lib_file.write_text('version: 1\nextends: default\nprimitives:\n'
                        '  test_pair: {cost: "n * and2", params: [n], category: logic, source: mine}\n')
    try:
        @register_kind("test_pair", ports("x:n", "u?:>= n // 2", "z?"))
        def pair(params, ins, attrs):
            return ins["x"] & ins.get("u", 0)
        dp = macgates.Datapath("mine", library=macgates.load_library(lib_file))
        dp.port("w", "in", 8)
        dp.add("p", "test_pair", n=6, category="normalize")
        with pytest.raises(macgates.DatapathError, match=r"^mine: connection w -> p: port 'x' of component p "
                                                         r"\(test_pair\): 7 bits given, expected 6 = n for n=6$"):
            dp.connect("w", "p", 7, port="x")
        dp.connect("w", "p", 8, port="u")  # at least n // 2 = 3: any wider signal
        dp.connect("w", "p", 8, port="z")  # no width: any
        register_kind("test_pair", ports("x:m"), replace=True)(pair)  # m: not a parameter of test_pair
        with pytest.raises(macgates.DatapathError, match=r"component p \(test_pair\): port 'x' is declared m bits "
                                                         r"wide, but the primitive has no parameter m \(its parameters: "
                                                         r"n\)"):
            dp.connect("w", "p", 6, port="x")
    finally:
        KINDS.pop("test_pair", None)


def builder_sample():
    """Datapaths the builders make: every config of every bundled design, and k-term units
    (k = 2 and 32) over scalar, mixed and block formats, both multipliers, both float
    combines and aligns, with and without subnormals, each adder style; the mixed pairs include the ones
    whose exponents are zero-extended (fp6_e2m3 x tf32) or wider than a difference
    (fp16 x int31)."""
    from dataclasses import replace

    from macgates.design.schema import bundled_designs, load_design

    for path in bundled_designs().values():
        design = load_design(path)
        for cfg in design.configs:
            if not cfg.datapath:  # (a design's own datapath is wired without ports: it does not run)
                yield design.build(cfg)
    pairs = [("int8", "int8"), ("int4", "fp8_e4m3"), ("fp8_e4m3", "fp8_e4m3"), ("fp8_e5m2", "float8_e4m3fn"),
             ("fp4_e2m1", "fp4_e2m1"), ("fp6_e2m3", "tf32"), ("fp16", "int31"), ("bf16", "bf16"),
             ("mxfp8_e4m3", "mxfp8_e4m3"), ("mxfp8_e5m2", "mxfp8_e5m2"), ("mxfp4", "mxfp6_e2m3"), ("nvfp4", "nvfp4"), ("mxint8", "mxint8")]
    for (w, a), acc, k, multiplier in itertools.product(pairs, ("kulisch", "fp16", "fp32:subnormals"), (1, 2, 32),
                                                       ("array", "booth")):
        accumulator = macgates.accumulator(acc)
        variants = [accumulator]
        if isinstance(accumulator, macgates.FloatingPoint):
            variants = [replace(accumulator, align=align, combine=combine) for align in ("swap", "two_shifters")
                        for combine in (("exact", "align") if k > 1 else ("auto",))]
        for variant in variants:
            try:
                yield macgates.dot(w, a, k, variant, multiplier=multiplier)
            except macgates.DatapathError as exc:
                assert "does not divide" in str(exc), exc  # (a k that splits a scale block: not modelled)
    # the accumulator adder styles, into both accumulators, both aligns, integer and float products
    for style, acc, (w, a), k in itertools.product(("kogge_stone", "brent_kung"), ("kulisch", "fp16", "fp32"),
                                                   pairs[:5], (1, 4)):
        for align in (("swap", "two_shifters") if acc != "kulisch" else (None,)):
            accumulator = macgates.accumulator(acc) if align is None else replace(macgates.accumulator(acc), align=align)
            yield macgates.dot(w, a, k, accumulator, adder=style)


def test_every_builder_port_meets_its_declared_width():
    from macgates.run.simulate import plan

    seen, checked = set(), 0
    for dp in builder_sample():  # (connect already refused any signal above a port's width)
        _, _, inputs = plan(dp)  # (refuses a port whose signals do not match its width, naming it)
        for name, sigs in inputs.items():
            comp = dp.components[name]
            for port in KINDS[comp.primitive].ports:
                mine = [s for s in sigs if s.port == port.name]
                if mine and port.formula is not None:
                    top = max(mine, key=lambda s: s.at + s.width)
                    bits, want = top.at + top.width, port.expected(comp.params)
                    assert {"": bits == want or (top.signed and bits < want), ">=": bits >= want or top.signed,
                            "<=": bits <= want}[port.bound], (dp.name, name, port, bits, want)
                    seen.add((comp.primitive, port.name))
                    checked += 1
    declared = {(kind.name, port.name) for kind in KINDS.values() if kind.behaviour is not None
                for port in kind.ports if port.formula is not None and not kind.name.startswith("test_")}
    # the one declared port no builder drives: a plain adder's optional carry-in
    assert declared - seen == {("adder", "cin")}, sorted(declared - seen)
    assert checked > 10_000


def test_bundled_widths_name_their_parameters_and_reasons():
    for library in ("default", "calibrated"):
        lib = macgates.load_library(library)
        for name, prim in lib.primitives.items():
            for port in kind_of(name).ports:
                names = port.formula.params if port.formula is not None else ()
                assert set(names) <= set(prim.params), (library, name, port.name, port.width, prim.params)
    for kind in KINDS.values():
        for port in kind.ports:
            if not kind.name.startswith("test_"):  # a bound or 'any' says why
                assert bool(port.why) == (port.formula is None or bool(port.bound)), (kind.name, port.name)
