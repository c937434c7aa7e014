"""Dot-product units, mixed precision, block scaling: hand derivations and the
monotonicity physics demands."""

from fractions import Fraction

import pytest

import macgates
from appendix_b import ADD, AND2, FA, HA, MUX2, OR2, REG, XOR2
from macgates import DatapathError


def per_mac(fmt, k, acc="fp32", act=None):
    return macgates.dot(fmt, act, k=k, accumulator=acc).gates_per_mac


def test_scalar_mac_is_k1():
    for fmt, acc in (("int8", "kulisch"), ("fp8_e4m3", "fp16"), ("fp8_e4m3", "kulisch")):
        a, b = macgates.mac(fmt, accumulator=acc), macgates.dot(fmt, k=1, accumulator=acc)
        assert {n: c.cost for n, c in a.components.items()} == {n: c.cost for n, c in b.components.items()}


def test_int8_k4_kulisch_by_hand():
    # 4 int8 multipliers; 4 products of 15 bits -> a 15 + 2 = 17-bit sum: 2 rows of 17 FA
    # then a 17-bit adder; the accumulator is 17 + 12 = 29 bits.
    dp = macgates.dot("int8", k=4, accumulator="kulisch")
    multipliers = 4 * (64 * AND2 + 49 * FA + 7 * HA)
    tree = 2 * 17 * FA + ADD(17)
    assert dp.gates == multipliers + tree + ADD(29) + REG(29)
    assert dp.gates_per_mac == Fraction(dp.gates, 4)
    assert dp.components["pp_bits"].count == 4


def test_fp8_k4_align_tree_by_hand():
    # e4m3 into fp32, K = 4, products aligned to the largest exponent:
    # window = max(8, 23 + 3) + 1 = 27 bits; 5 shifter stages (ceil log2 28);
    # exponent sums are 5 bits: max tree of 3 cells; tree of 4 operands of 27 + 2 bits.
    acc = macgates.FloatingPoint(macgates.format("fp32"), combine="align")
    dp = macgates.dot("fp8_e4m3", k=4, accumulator=acc)
    c = dp.components
    assert c["to_twos"].cost == 4 * (8 * XOR2 + 8 * HA)
    assert c["exp_max_tree"].cost == 3 * (5 * (AND2 + OR2 + AOI21_) + 5 * MUX2)
    assert c["lane_diff"].cost == 4 * 5 * FA
    assert c["lane_align"].cost == 4 * (26 * 5 * MUX2)  # App. B signed >>: (N-1) L MUX2
    assert c["sum_tree"].cost == 2 * 29 * FA + ADD(29)


AOI21_ = 2  # AO[I]21 (App. B)


def test_auto_combine_takes_the_cheaper():
    fp32 = macgates.format("fp32")
    for fmt in ("fp8_e4m3", "fp4_e2m1", "bf16"):
        costs = {c: macgates.dot(fmt, k=32, accumulator=macgates.FloatingPoint(fp32, combine=c)).gates
                 for c in ("exact", "align")}
        assert macgates.dot(fmt, k=32, accumulator="fp32").gates == min(costs.values())
    assert macgates.dot("bf16", k=32, accumulator="fp32").info["combine"] == "align"  # 525-bit fixed point
    assert macgates.dot("fp4_e2m1", k=32, accumulator="fp32").info["combine"] == "exact"


# -- monotone where physics says so ------------------------------------------------------
@pytest.mark.parametrize("acc", ["kulisch", "fp32"])
@pytest.mark.parametrize("k", [1, 32])
def test_wider_integers_cost_more(acc, k):
    assert per_mac("int4", k, acc) < per_mac("int8", k, acc) < per_mac("int16", k, acc)


@pytest.mark.parametrize("k", [1, 32])
def test_fp4_fp6_fp8_elements(k):
    assert per_mac("fp4_e2m1", k) < per_mac("fp6_e2m3", k) < per_mac("float8_e4m3fn", k)
    assert per_mac("fp4_e2m1", k) < per_mac("fp6_e3m2", k) < per_mac("float8_e5m2", k)


@pytest.mark.parametrize("k", [1, 32])
def test_w4a8_between(k):
    assert per_mac("int4", k) < per_mac("int4", k, act="int8") < per_mac("int8", k)


def test_dot_product_beats_scalar_per_mac():
    assert per_mac("float8_e4m3fn", 32) < per_mac("float8_e4m3fn", 1)
    assert per_mac("fp8_e4m3", 32) < per_mac("fp8_e4m3", 1)


def test_block_scale_costs_its_logic():
    """mxfp8_e4m3 = float8_e4m3fn elements + an E8M0 scale per 32: the unit costs more by
    the scale logic: one 8-bit scale-exponent adder, plus the wider exponent that the
    block sum then carries into the accumulator."""
    plain = macgates.dot("float8_e4m3fn", k=32, accumulator="fp32")
    mx = macgates.dot("mxfp8_e4m3", k=32, accumulator="fp32")
    assert mx.gates_per_mac > plain.gates_per_mac
    scale = mx.components["scale_add"]
    assert scale.cost == ADD(8)
    # everything else that differs is the accumulator stage's exponent logic
    diff = {n for n in set(mx.components) | set(plain.components)
            if n not in plain.components or n not in mx.components
            or mx.components[n].cost != plain.components[n].cost}
    exponent_logic = {"scale_add", "prod_exp", "prod_rebias", "exp_diff", "exp_abs", "shift_clamp",
                      "exp_equal", "exp_max", "norm_exp", "round_exp", "underflow", "overflow"}
    assert diff <= exponent_logic, diff - exponent_logic
    assert mx.gates - plain.gates == sum(
        (mx.components[n].cost if n in mx.components else 0) - (plain.components[n].cost if n in plain.components else 0)
        for n in diff)


def test_nvfp4_multiplies_its_scales():
    dp = macgates.dot("nvfp4", k=16, accumulator="fp32")
    # two unsigned E4M3 scales: 4-bit significands multiplied, exponents added
    assert dp.components["scale_pp"].cost == 16 * AND2
    assert dp.components["scale_add"].cost == ADD(4)
    assert "scale_apply" in dp.components


def test_k_limits():
    with pytest.raises(DatapathError, match="k=32 is larger than nvfp4's block of 16"):
        macgates.dot("nvfp4", k=32)
    with pytest.raises(DatapathError, match="k=0 must be a whole number from 1 to 4096"):
        macgates.dot("int8", k=0)


def test_kulisch_of_block_formats_is_wide():
    # an E8M0 scale spans 2 x 254 binades: the fixed-point accumulator has to cover them
    dp = macgates.dot("mxfp4", k=32, accumulator="kulisch")
    fp4_fixed = 2 * (2 ** 2 + 1) - 1  # 9 bits (whitepaper's 2(2^E + M) - 1)
    assert dp.info["acc_bits"] == fp4_fixed + 5 + 2 * 254 + 12


# -- sweeps ------------------------------------------------------------------------------
def test_sweep_matches_dot_and_skips_invalid():
    frame = macgates.sweep(["int8", "fp8_e4m3", "nvfp4"], accumulators=["fp32", "kulisch"], k=[1, 16, 32])
    assert len(frame) + len(frame.attrs["skipped"]) == 3 * 2 * 3
    assert len(frame.attrs["skipped"]) == 2  # nvfp4 with k = 32, both accumulators
    for _, r in frame.iterrows():
        dp = macgates.dot(r["weights"], r["activations"], k=r["k"], accumulator=r["accumulator"])
        assert r["gates"] == dp.gates
        assert r["gates_per_mac"] == float(dp.gates_per_mac)


def test_sweep_cartesian_product():
    frame = macgates.sweep(["int4", "int8"], ["int4", "int8"], ["kulisch"], [1])
    assert sorted(zip(frame["weights"], frame["activations"])) == [
        ("int4", "int4"), ("int4", "int8"), ("int8", "int4"), ("int8", "int8")]
