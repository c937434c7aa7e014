"""Dot-product units, mixed precision, block scaling: hand derivations and the
monotonicity physics demands."""

from fractions import Fraction

import pytest

import macgates
from by_hand import E4M3_FP16, E4M3_KULISCH, INT8_KULISCH
from appendix_b import ADD, AND2, FA, HA, MUX2, OR2, REG, XOR2
from macgates import DatapathError


def per_mac(fmt, k, acc="fp32", act=None):
    return macgates.dot(fmt, act, k=k, accumulator=acc).gates_per_mac


def test_scalar_mac_is_the_k1_unit():
    # k = 1 builds no combine step: the components are the scalar MAC's, whose totals the
    # Figure 3 tests derive by hand (tests/by_hand.py)
    for fmt, acc, gates in (("int8", "kulisch", INT8_KULISCH), ("fp8_e4m3", "kulisch", E4M3_KULISCH),
                            ("fp8_e4m3", "fp16", E4M3_FP16)):
        dp = macgates.dot(fmt, k=1, accumulator=acc)
        assert dp.gates == gates
        assert not {"sum_tree", "exp_max_tree", "lane_align"} & set(dp.components)
        assert all(c.count == 1 for c in dp.components.values())


@pytest.mark.parametrize("fmt,acc", [("bf16", "kulisch"), ("float8_e5m2", "fp32"), ("int8", "fp32"),
                                     ("fp8_e4m3", "kulisch")])
def test_per_mac_cost_falls_from_k1_to_k2_to_k32(fmt, acc):
    assert per_mac(fmt, 32, acc) < per_mac(fmt, 2, acc) < per_mac(fmt, 1, acc)


def test_int8_k4_kulisch_by_hand():
    # 4 int8 multipliers; 4 products of 15 bits -> a 15 + 2 = 17-bit sum: 2 rows of
    # 15 + 1 FA, then a 17-bit adder; the accumulator is the product's 15 bits + 12 = 27
    # (headroom counts products, and the tree's 2 bits fit in it).
    dp = macgates.dot("int8", k=4, accumulator="kulisch")
    multipliers = 4 * (64 * AND2 + 49 * FA + 7 * HA)
    tree = 2 * 16 * FA + ADD(17)
    assert dp.gates == multipliers + tree + ADD(27) + REG(27)
    assert dp.gates_per_mac == Fraction(dp.gates, 4)
    assert dp.components["pp_bits"].count == 4


def test_fp8_k4_align_tree_by_hand():
    # e4m3 into fp32, K = 4, products aligned to the largest exponent: window
    # W = max(8, 23 + 3) + 1 = 27 bits; exponent sums 2..30 are 5 bits, so shifts reach
    # min(27, 28) = 27: 5 stages; a 3-cell max tree; a tree of 4 operands of 27 bits.
    acc = macgates.FloatingPoint(macgates.format("fp32"), combine="align")
    dp = macgates.dot("fp8_e4m3", k=4, accumulator=acc)
    c = dp.components
    assert c["to_twos"].cost == 4 * (8 * XOR2 + 8 * HA)
    # a product of two 4-bit significands is never 2^7 alone: OR of its low 7 bits
    assert c["lane_zero"].cost == 4 * 6 * OR2
    assert c["lane_sign"].cost == 4 * AND2  # product sign AND non-zero
    assert c["lane_exp_gate"].cost == 4 * 5 * AND2
    assert c["exp_max_tree"].cost == 3 * (5 * (AND2 + OR2 + AOI21_) + 5 * MUX2)
    assert c["lane_diff"].cost == 4 * 5 * FA
    # the 9-bit two's-complement product at the top of the 27-bit window; per stage
    # (shift 1, 2, 4, 8, 16) it spans 9, 10, 12, 16, 24 bits before and 10, 12, 16, 24, 27
    # after: (span - 1) MUX2 (the sign needs none) + the newly reached bits' AND2
    stages = [(9, 10), (10, 12), (12, 16), (16, 24), (24, 27)]
    assert c["lane_align"].cost == 4 * sum((a - 1) * MUX2 + (b - a) * AND2 for a, b in stages)
    assert c["sum_tree"].cost == 2 * 28 * FA + ADD(29)


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
    the scale logic: one 8-bit scale-exponent adder, NaN-scale detection (0xFF), plus the
    wider exponent that the block sum then carries into the accumulator."""
    plain = macgates.dot("float8_e4m3fn", k=32, accumulator="fp32")
    mx = macgates.dot("mxfp8_e4m3", k=32, accumulator="fp32")
    assert mx.gates_per_mac > plain.gates_per_mac
    scale = mx.components["scale_add"]
    assert scale.cost == ADD(8)
    # everything else that differs is the accumulator stage's exponent logic
    diff = {n for n in set(mx.components) | set(plain.components)
            if n not in plain.components or n not in mx.components
            or mx.components[n].cost != plain.components[n].cost}
    assert mx.components["scale_nan"].cost == 2 * 7 * AND2  # two scales, all 8 bits set
    exponent_logic = {"scale_add", "scale_exp", "scale_nan", "scale_nan_or", "prod_exp", "prod_rebias", "exp_diff", "exp_abs", "shift_clamp",
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
    with pytest.raises(DatapathError, match="k=32 does not divide nvfp4's block of 16"):
        macgates.dot("nvfp4", k=32)
    with pytest.raises(DatapathError, match="k=24 does not divide mxfp4's block of 32"):
        macgates.dot("mxfp4", k=24)
    with pytest.raises(DatapathError, match="k=0 must be a whole number from 1 to 2048"):
        macgates.dot("int8", k=0)


def test_kulisch_of_block_formats_is_wide():
    # an E8M0 scale spans 2 x 254 binades: the fixed-point accumulator has to cover them
    dp = macgates.dot("mxfp4", k=32, accumulator="kulisch")
    fp4_fixed = 2 * (2 ** 2 + 1) - 1  # 9 bits (whitepaper's 2(2^E + M) - 1)
    assert dp.info["acc_bits"] == fp4_fixed + 2 * 254 + 12  # headroom counts products


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


def test_infinities_of_opposite_sign_make_a_nan_block():
    dp = macgates.dot("float8_e5m2", k=32, accumulator="fp32")
    c = dp.components
    assert c["lane_inf_sign"].cost == 32 * 2 * AND2  # +inf and -inf per lane
    assert c["special_tree"].cost == 3 * 31 * OR2  # NaN, +inf, -inf over 32 lanes
    assert c["inf_clash"].cost == AND2 and c["block_special"].cost == 2 * OR2


def test_the_largest_k_builds_for_every_format_and_accumulator():
    from macgates.datapath.dotproduct import MAX_K
    from macgates.formats.spec import all_formats

    for fmt in all_formats():
        if fmt.is_block or fmt.name in ("e8m0", "ue4m3"):
            continue  # block formats take k up to their block; scales are not element formats
        for acc in ("kulisch", "fp16", "bf16", "fp32"):
            assert macgates.dot(fmt, k=MAX_K, accumulator=acc).macs == MAX_K
    with pytest.raises(DatapathError, match=f"must be a whole number from 1 to {MAX_K}"):
        macgates.dot("int8", k=MAX_K + 1)
