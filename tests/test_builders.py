"""Each builder's component list, widths and total, derived by hand from Appendix B."""

import pytest

import macgates
from appendix_b import ADD, AND2, AOI21, FA, FF, HA, MUX2, OR2, REG, XOR2
from by_hand import E4M3_FP16_BY_CATEGORY, E4M3_KULISCH, INT8_KULISCH
from macgates import DatapathError


def components(dp):
    return {c.name: (c.primitive, dict(c.params)) for c in dp.components.values()}


def test_int8_kulisch():
    dp = macgates.mac("int8", accumulator="kulisch")
    assert components(dp) == {
        "pp_bits": ("pp_bits", {"n": 8, "m": 8}),
        "pp_reduce": ("pp_reduce", {"n": 8, "m": 8}),
        "acc_add": ("adder", {"n": 27}),  # 15-bit product + 12
        "acc_reg": ("register", {"n": 27}),
    }
    assert dp.gates == 64 * AND2 + (49 * FA + 7 * HA) + ADD(27) + REG(27)  # = 775
    assert dp.info["acc_bits"] == 27


@pytest.mark.parametrize("fmt,e,m", [("fp8_e2m5", 2, 5), ("fp8_e3m4", 3, 4),
                                     ("fp8_e4m3", 4, 3), ("fp8_e5m2", 5, 2)])
def test_float_kulisch(fmt, e, m):
    dp = macgates.mac(fmt, accumulator="kulisch")
    sig = m + 1
    product_bits = 2 * (2 ** e + m) - 1  # sign + 2(M+1) + 2(2^E - 2)
    acc = product_bits + 12
    smax = 2 * (2 ** e - 1)  # sum of the largest effective exponents
    stages = smax.bit_length()  # ceil(log2(smax + 1)); smax + 1 is odd, never a power of 2
    assert components(dp) == {
        "decode_w": ("fp_decode", {"e": e}),
        "decode_a": ("fp_decode", {"e": e}),
        "sign_xor": ("xor2", {}),
        "pp_bits": ("pp_bits", {"n": sig, "m": sig}),
        "pp_reduce": ("pp_reduce", {"n": sig, "m": sig}),
        "exp_add": ("adder", {"n": e}),
        "product_pipe": ("register", {"n": 1 + 2 * sig + e + 1}),
        "align": ("shift_left_widening", {"n": 2 * sig, "k": smax}),
        "negate": ("cond_invert", {"n": product_bits - 1}),
        "acc_add": ("adder_cin", {"n": acc}),
        "acc_reg": ("register", {"n": acc}),
    }
    expected = (2 * e * OR2 + XOR2 + sig * sig * AND2 + ((sig - 1) ** 2 * FA + (sig - 1) * HA)
                + ADD(e) + REG(2 * sig + e + 2)
                + ((2 * sig - 2) * stages * MUX2 + smax * (MUX2 + AND2))
                + (product_bits - 1) * XOR2 + acc * FA + REG(acc))
    assert dp.gates == expected


def test_e4m3_kulisch_total_by_hand():
    # 8 + 3 + 16 + 72 + 24 + 84 + 210 + 108 + 343 + 294
    assert macgates.mac("e4m3").gates == E4M3_KULISCH == 1162


def test_fp_accumulator_e4m3_fp16():
    """fp8_e4m3 x fp8_e4m3 into fp16: every width derived by hand.

    p = 2*(3+1) = 8 product bits; s = 10+1 = 11 accumulator significand bits;
    window n = max(p, s + 2) = 13 (guard, round); adder w = 14 (sticky); the larger
    operand has max(p, s) = 11 bits.
    Exponents, in fp16's biased units, each signal as wide as its range:
    exponent sum - lz in [2 - 7, 30]: 6 bits signed. Product exponent (leading one,
    unbiased) in [2*(1-8-3), 2*(15-8-3) + 7] = [-20, 15], + 15: [-5, 30], 6 bits; the
    rebias constant 15 + 1 - 8 - 8 = 0 needs no adder. Accumulator field [0, 31].
    d in [0 - 30, 31 + 5] = [-30, 36]: 7 bits, |d| 6 bits; d == 0 reads d's low 6 bits
    (no other value in the range is a multiple of 64). e_max in [-5, 31]: 6 bits;
    e_max - lz in [-5 - 14, 31]: 6 bits; + 1 + carry in [-18, 33]: 7 bits.
    The sticky ORs 12 of the 13 window bits (the product, 8 bits, is never wider than the
    accumulator's 11, so once the window's top bit goes, no sticky can change the sum);
    the normalizer keeps the 14 bits below the leading one.
    """
    dp = macgates.mac("fp8_e4m3", accumulator="fp16")
    expect = {
        "decode_w": ("fp_decode", {"e": 4}), "decode_a": ("fp_decode", {"e": 4}),
        "sign_xor": ("xor2", {}),
        "pp_bits": ("pp_bits", {"n": 4, "m": 4}), "pp_reduce": ("pp_reduce", {"n": 4, "m": 4}),
        "exp_add": ("adder", {"n": 4}),
        "prod_lzc": ("lzc", {"n": 8}), "prod_norm": ("shift_left", {"n": 8, "k": 7}),
        "prod_exp": ("subtractor", {"n": 6}),
        "acc_hidden": ("or_reduce", {"n": 5}),
        "exp_diff": ("subtractor", {"n": 7}), "exp_abs": ("cond_negate", {"n": 6}),
        "shift_clamp": ("shift_clamp", {"n": 6, "l": 4}),
        "exp_equal": ("or_reduce", {"n": 6}),
        "sig_compare": ("comparator_msb", {"n": 8, "m": 11}),
        "swap_ctl": ("aoi21", {}), "swap_zero_acc": ("or2", {}), "zero_gate": ("and2", {}),
        "inf_gate": ("and2", {}),
        "swap": ("swap", {"n": 8, "m": 11}),
        "exp_max": ("mux", {"n": 6}), "sign_sel": ("mux2", {}), "eff_sub": ("xor2", {}),
        "align": ("shift_right_logical", {"n": 13, "k": 13}), "sticky": ("sticky", {"k": 12}),
        "sub_invert": ("cond_invert", {"n": 14}), "sig_add": ("adder_msb", {"n": 14, "m": 11}),
        "carry_mask": ("and2", {}),
        "norm_lzc": ("lzc", {"n": 15}), "norm_shift": ("shift_left", {"n": 14, "k": 14}),
        "norm_exp": ("subtractor", {"n": 6}),
        "round_sticky": ("or_reduce", {"n": 3}), "round_decide": ("round_rne", {}),
        "round_inc": ("incrementer", {"n": 10}), "round_exp": ("const_adder", {"n": 7}),
        "underflow": ("const_compare", {"n": 7}), "overflow": ("const_compare", {"n": 7}),
        "acc_inf": ("and_reduce", {"n": 5}), "inf_or": ("or2", {}),
        "flush_or": ("or2", {}), "flush_gate": ("and2", {}),
        "range_limit": ("fp_range_limit", {"e": 5, "m": 11}),
        "acc_reg": ("register", {"n": 16}),
    }
    assert components(dp) == expect
    by_hand = E4M3_FP16_BY_CATEGORY
    assert dp.by_category() == by_hand
    assert dp.gates == sum(by_hand.values())  # = 1152


def test_fp_accumulator_e4m3_fp16_subnormals():
    """fp8_e4m3 into fp16 with IEEE gradual underflow: what changes, derived by hand.

    The accumulator's field 0 counts as exponent 1: its hidden-bit OR becomes fp_decode(5)
    (one OR2 more, e0 OR not(hidden)), so its range is [1, 31]: e_max in [1, 31] (a zero
    accumulator no longer swaps, so the larger operand's exponent is never below 1): 5
    bits; the result exponent (-1 for a subnormal result, else e_max - lz >= 0, + 1 + the
    carry) in [0, 33]: 6 bits, so round_exp and overflow lose a bit; underflow and the
    flush OR go (only an exact zero sum is flushed). A zero accumulator adds the product:
    acc_nonzero ORs the 10 fraction bits and the hidden bit, gates the effective
    subtraction (AND2) and picks the product's sign (OR2 on the select; swap_zero_acc goes).
    A subnormal accumulator can be smaller than a product with the smaller exponent, so a
    subtraction can go negative: sum_neg (AND2), |sum| (cond_negate(14)), sign_fix (XOR2);
    with the negation there, equal exponents need no comparator: the swap is d < 0
    (exp_equal, sig_compare and swap_ctl go). The sticky sees all 13 window bits (a
    product shifted wholly out leaves its sign in a result that rounds to -0). The
    normalization shift stops at e_max (mux(4) on the
    4-bit shift amount) and a subnormal result's exponent is forced to -1 (and_gate(6))."""
    flush = macgates.mac("fp8_e4m3", accumulator="fp16")
    dp = macgates.mac("fp8_e4m3", accumulator="fp16:subnormals")
    assert dp.info["accumulator"] == "fp16:subnormals"
    before, after = components(flush), components(dp)
    changed = {n: (before.get(n), after.get(n)) for n in set(before) | set(after) if before.get(n) != after.get(n)}
    assert changed == {
        "acc_hidden": (("or_reduce", {"n": 5}), ("fp_decode", {"e": 5})),
        "acc_nonzero": (None, ("or_reduce", {"n": 11})),
        "swap_zero_acc": (("or2", {}), None), "sign_zero_acc": (None, ("or2", {})),
        "exp_equal": (("or_reduce", {"n": 6}), None), "sig_compare": (("comparator_msb", {"n": 8, "m": 11}), None),
        "swap_ctl": (("aoi21", {}), None),
        "eff_sub_zero": (None, ("and2", {})),
        "exp_max": (("mux", {"n": 6}), ("mux", {"n": 5})),
        "sticky": (("sticky", {"k": 12}), ("sticky", {"k": 13})),
        "sum_neg": (None, ("and2", {})), "sum_abs": (None, ("cond_negate", {"n": 14})),
        "sign_fix": (None, ("xor2", {})),
        "norm_limit": (None, ("mux", {"n": 4})), "subnormal_exp": (None, ("and_gate", {"n": 6})),
        "round_exp": (("const_adder", {"n": 7}), ("const_adder", {"n": 6})),
        "underflow": (("const_compare", {"n": 7}), None),
        "overflow": (("const_compare", {"n": 7}), ("const_compare", {"n": 6})),
        "flush_or": (("or2", {}), None),
    }
    extra = (OR2 + 10 * OR2 + AND2 - MUX2 + OR2  # decode, nonzero, eff_sub gate, e_max, sign pick
             + AND2 + 14 * (XOR2 + HA) + XOR2  # a negative sum
             - 5 * OR2 - 8 * (AND2 + OR2 + AOI21) - AOI21  # no d == 0, comparator, swap_ctl
             + OR2 + 4 * MUX2 + 6 * AND2  # sticky bit 13, shift limit, subnormal exponent
             - HA - AND2 - 6 * AND2 - OR2 - OR2)  # narrower result exponent, no underflow flush
    assert dp.gates - flush.gates == extra == 66


def test_subnormals_two_shifters_costs_little():
    """With two shifters the sum is already made non-negative (sum_abs) and a zero
    accumulator needs nothing: fp_decode's OR2, both stickies' top bits, the shift limit
    and the subnormal exponent, less the narrower exponents and the underflow flush."""
    def two(acc):
        return macgates.mac("fp8_e4m3", accumulator=macgates.FloatingPoint(macgates.format("fp16"), "two_shifters",
                                                                            subnormals=acc))
    extra = OR2 - MUX2 + 2 * OR2 + 4 * MUX2 + 6 * AND2 - HA - AND2 - 6 * AND2 - OR2
    assert two(True).gates - two(False).gates == extra == 7


def test_fp32_accumulator_widths():
    # e4m3 products in fp32 bias: [-20 + 127, 15 + 127] = [107, 142], 8 bits unsigned;
    # accumulator [0, 255]; e_max - lz in [0 - 27, 255]: 9 bits signed; + 1 + carry up to
    # 257: 10 bits signed.
    dp = macgates.mac("fp8_e4m3", accumulator="fp32")
    assert dp.info["exp_width"] == 10
    assert dp.info["adder_width"] == 24 + 2 + 1  # s + guard + round + sticky
    # rebias 127 + 1 - 16 = 112 = 0b1110000: the constant adder's cells start at bit 4
    assert dict(dp.components["prod_rebias"].params) == {"n": 8 - 4}


def test_window_holds_a_wide_product():
    # int8 products have 14 magnitude bits, more than fp16's 11 + guard + round
    assert macgates.mac("int8", accumulator="fp16").info["adder_width"] == 14 + 1


def test_int8_into_fp16_converts_the_product():
    dp = macgates.mac("int8", accumulator="fp16")
    # the 15-bit two's-complement product becomes sign + 14-bit magnitude
    assert dict(dp.components["to_signmag"].params) == {"n": 14}
    assert dict(dp.components["prod_lzc"].params) == {"n": 14}
    assert "exp_add" not in dp.components


def test_feedback_is_a_real_edge():
    import networkx as nx

    for acc in ("kulisch", "fp16"):
        g = macgates.mac("fp8_e4m3", accumulator=acc).graph
        assert g.has_edge("acc_reg", "acc_add" if acc == "kulisch" else "exp_diff")
        cycles = list(nx.simple_cycles(g))
        assert cycles and all("acc_reg" in c for c in cycles)


def test_graph_edges_carry_widths_and_nodes_cost():
    dp = macgates.mac("int8")
    g = dp.graph
    assert g.edges["acc_add", "acc_reg"]["width"] == 27
    assert sum(d["cost"] for _, d in g.nodes(data=True)) == dp.gates


def test_breakdown_frame():
    dp = macgates.mac("fp8_e4m3", accumulator="fp16")
    frame = dp.breakdown()
    assert list(frame.columns) == ["component", "category", "primitive", "params", "count", "gates", "note"]
    assert len(frame) == len(dp.components)
    assert frame["gates"].sum() == dp.gates


def test_kulisch_width_override():
    dp = macgates.mac("fp8_e4m3", accumulator="kulisch:64")
    assert dp.info["acc_bits"] == 64
    assert dp.components["acc_add"].params == {"n": 64}


def test_kulisch_narrower_than_product():
    with pytest.raises(DatapathError, match=r"kulisch:30 is narrower than the 37-bit exact product "
                                            r"of fp8_e4m3 x fp8_e4m3; use at least kulisch:37"):
        macgates.mac("fp8_e4m3", accumulator="kulisch:30")


@pytest.mark.parametrize("spec,message", [
    ("kulish", "unknown accumulator 'kulish' (kulisch, kulisch:N (N-bit fixed point), any float format"),
    ("int32", "accumulator 'int32' is an integer format; for an integer accumulator write kulisch:32"),
])
def test_bad_accumulator(spec, message):
    with pytest.raises(DatapathError) as info:
        macgates.mac("int8", accumulator=spec)
    assert str(info.value).startswith(message)


def test_accumulator_objects_are_arguments():
    a = macgates.mac("e4m3", accumulator=macgates.Kulisch(width=60))
    b = macgates.mac("e4m3", accumulator="kulisch:60")
    assert a.gates == b.gates
    c = macgates.mac("e4m3", accumulator=macgates.FloatingPoint(macgates.format("bf16")))
    assert c.info["acc_bits"] == 16 and c.gates > 0


def test_integer_times_float():
    # int8 -> sign + 7-bit magnitude; times the 4-bit e4m3 significand; the exponent is e4m3's
    dp = macgates.mac("int8", "fp8_e4m3", accumulator="fp32")
    assert dp.components["magnitude_w"].params == {"n": 7}
    assert dp.components["pp_bits"].params == {"n": 7, "m": 4}
    assert "exp_add" not in dp.components
    # fixed point: sign + 11 magnitude bits + the 14 binades of e4m3's effective exponent 1..15
    k = macgates.mac("int8", "fp8_e4m3")
    assert k.info["product_bits"] == 1 + 11 + 14


def test_mixed_integer_widths():
    # W4A8: a 4 x 8 Baugh-Wooley array, its two correction constants upgrading two HA to FA
    dp = macgates.mac("int4", "int8")
    assert dp.gates == 32 * AND2 + (3 * 7 * FA + 3 * HA) + 2 * (FA - HA) + ADD(11 + 12) + REG(11 + 12)


def test_special_values_are_costed():
    # OCP float8_e4m3fn has a NaN code: detect it per input, OR the flags, propagate
    dp = macgates.mac("float8_e4m3fn", accumulator="fp32")
    assert dp.components["special_w"].cost == 6 * AND2
    assert dp.components["special_mul"].cost == OR2
    assert dp.components["special_acc"].cost == 22 * OR2 + AND2 + 3 * OR2
    # float8_e5m2 has infinities and NaNs
    dp = macgates.mac("float8_e5m2")
    assert dp.components["special_w"].cost == 4 * AND2 + OR2 + 2 * AND2
    assert dp.components["special_acc"].cost == 3 * (FF + OR2) + 2 * (AND2 + OR2)
    # the whitepaper's formats carry none of it
    assert not any(n.startswith("special") for n in macgates.mac("fp8_e4m3").components)


def test_custom_library_changes_costs():
    lib = macgates.load_library().with_overrides({"ff": "4"})
    assert macgates.mac("int8", library=lib).gates == INT8_KULISCH - 27 * (FF - 4)


# -- multiplier styles ------------------------------------------------------------------
@pytest.mark.parametrize("fmt,style,rows,bits", [
    ("int8", "array", 8, 8 * 8),  # one row per multiplier bit
    ("int8", "booth", 4, 4 * 9),  # ceil(8/2) radix-4 digits, rows of 8+1 bits (2X)
    ("int16", "booth", 8, 8 * 17),
    ("fp8_e4m3", "array", 4, 4 * 4),  # 4-bit significands
    ("fp8_e4m3", "booth", 3, 3 * 6),  # unsigned: recoded as 5-bit signed: ceil(5/2) rows of 5+1
])
def test_partial_product_counts(fmt, style, rows, bits):
    dp = macgates.mac(fmt, multiplier=style)
    assert (dp.info["pp_rows"], dp.info["pp_bits"]) == (rows, bits)


def test_booth_int8_by_hand():
    dp = macgates.mac("int8", multiplier="booth")
    encode = 4 * (2 * XOR2 + AND2)  # 4 digit encoders
    select = 4 * 9 * (2 * AND2 + OR2 + XOR2)  # AO22 + XOR2 per bit
    reduce = 34 * FA + 3 * HA  # 49 matrix bits -> 16 outputs
    assert dp.gates == encode + select + reduce + ADD(27) + REG(27)


def test_booth_wins_at_16_bits_loses_at_8():
    for bits, booth_cheaper in ((8, False), (16, True)):
        array = macgates.mac(f"int{bits}").gates
        booth = macgates.mac(f"int{bits}", multiplier="booth").gates
        assert (booth < array) == booth_cheaper


def test_custom_multiplier_callable():
    def wallace_like(dp, n, m, *, signed, note):
        dp.add("pp_bits", "pp_bits", n=n, m=m, category="multiplier")
        dp.add("tree", "adder", n=n + m, category="multiplier", note=note)
        dp.connect("pp_bits", "tree", n * m)
        return "pp_bits", "pp_bits", "tree"

    dp = macgates.mac("int8", multiplier=wallace_like)
    assert dp.gates == 64 * AND2 + ADD(16) + ADD(27) + REG(27)


def test_unknown_multiplier():
    with pytest.raises(DatapathError, match=r"unknown multiplier 'wallace' \(valid: array, booth\)"):
        macgates.mac("int8", multiplier="wallace")


# -- floating-point alignment styles and the product pipe --------------------------------
def test_two_shifters_replace_the_swap():
    swap = macgates.mac("e4m3", accumulator="fp16")
    two = macgates.mac("e4m3", accumulator=macgates.FloatingPoint(macgates.format("fp16"), "two_shifters"))
    gone = {"exp_equal", "sig_compare", "swap_ctl", "swap_zero_acc", "zero_gate", "inf_gate", "swap",
            "sign_sel", "align", "sticky", "carry_mask"}
    added = {"shift_gate", "route_prod", "route_acc", "align_prod", "align_acc", "sticky_prod", "sticky_acc",
             "sum_neg", "sum_abs", "sign_fix"}
    assert set(swap.components) - set(two.components) == gone
    assert set(two.components) - set(swap.components) == added
    # fp16 window n = 13, 4 shifter stages, adder w = 14
    assert two.components["align_acc"].cost == 13 * 4 * MUX2 - 13 * (MUX2 - AND2)
    assert two.components["route_prod"].cost == two.components["route_acc"].cost == 4 * AND2
    assert two.components["sig_add"].cost == 15 * FA  # w + 1 bits: a signed sum
    assert two.components["sum_abs"].cost == 15 * XOR2 + 15 * HA
    assert two.gates > swap.gates


def test_unknown_align():
    with pytest.raises(DatapathError, match=r"unknown align 'three' \(valid: swap, two_shifters\)"):
        macgates.FloatingPoint(macgates.format("fp16"), "three")


def test_product_pipe_option():
    # e4m3 product: sign + 8 significand bits + 5 exponent-sum bits
    base = macgates.mac("e4m3", accumulator="fp32")
    piped = macgates.mac("e4m3", accumulator="fp32", product_pipe=True)
    assert piped.gates - base.gates == REG(1 + 8 + 5)
    k = macgates.mac("e4m3")  # Kulisch: piped by default (Figure 2 left)
    assert k.gates - macgates.mac("e4m3", product_pipe=False).gates == REG(14)
    assert macgates.mac("int8", product_pipe=True).gates - macgates.mac("int8").gates == REG(15)


# -- editing a built datapath ------------------------------------------------------------
def test_swap_a_component_and_recost():
    dp = macgates.mac("fp8_e4m3", accumulator="fp16")
    mine = dp.copy("mine")
    mine.replace("norm_shift", "shift_right", n=15, k=14)  # any primitive, re-costed
    # shift_right(15, 14): (15 - 1) * 4 MUX2 against the built shift_left(14, 14)
    assert mine.gates - dp.gates == 14 * 4 * MUX2 - (14 * 4 * MUX2 - 14 * 2)
    mine.remove("carry_mask")
    assert mine.gates == dp.gates + (14 * 4 * MUX2 - (14 * 4 * MUX2 - 14 * 2)) - AND2
    assert "carry_mask" in dp.components  # the original is untouched
    assert all("carry_mask" not in (s.src, s.dst) for s in mine.signals)


def test_replace_keeps_params_when_primitive_is_kept():
    dp = macgates.mac("int8")
    dp.replace("acc_reg", n=32)
    assert dp.components["acc_reg"].cost == REG(32)
    with pytest.raises(DatapathError, match="unknown component 'nope'"):
        dp.replace("nope", n=3)


@pytest.mark.parametrize("weights,k", [("int8", 1), ("fp8_e4m3", 1), ("bf16", 16), ("mxfp4", 32),
                                       ("nvfp4", 16), ("float8_e5m2", 4)])
@pytest.mark.parametrize("acc", ["kulisch", "fp16", "fp32"])
def test_built_datapaths_loop_only_through_registers(weights, k, acc):
    dp = macgates.dot(weights, k=k, accumulator=acc)
    assert dp.combinational_loop() == []
    assert any(s.dst == "acc_add" or s.src == "acc_reg" for s in dp.signals)  # the feedback is there


def test_a_loop_without_a_register_is_found():
    dp = macgates.Datapath()
    dp.add("a", "adder", n=8, category="accumulator")
    dp.add("b", "incrementer", n=8, category="accumulator")
    dp.connect("a", "b", 8)
    dp.connect("b", "a", 8)
    assert dp.combinational_loop() == ["a", "b", "a"]
    with pytest.raises(macgates.DatapathError, match="combinational loop a -> b -> a"):
        dp.validate()
