"""Dot-product units (the ``align`` combine, IEEE-special lanes) and block-scaled formats
run bit by bit and checked against macgates/run/reference.py (aligned_block_sum, block_sum
times the scales). The checks at full size (10,000 sequences per modern-formats config,
every pair exhaustively) are in docs/verification.md; here each kind runs every pair
from +0 and a few hundred random sequences, and mutations show the checker bites."""

from fractions import Fraction

import pytest

import macgates
from macgates.run.reference import aligned_block_sum, block_sum, product
from macgates.run.verify import kulisch_reference, verify

pytestmark = pytest.mark.slow  # exhaustive verification of dot-product units and block formats


def fp32(combine="auto"):
    return macgates.FloatingPoint(macgates.format("fp32"), combine=combine)


def check(dp, weights, acc, *, exhaustive=True, vectors=200, length=4, starts=(0,), activations=None, first=False):
    w = macgates.format(weights)
    a = macgates.format(activations or weights)
    return verify(dp, w, a, acc, exhaustive=exhaustive, vectors=vectors, length=length, starts=list(starts),
                  first=first)


# -- the align combine -----------------------------------------------------------------------

def test_aligned_block_sum_by_hand():
    # OCP e4m3 x e4m3 (bias 7; p = 8 significand bits, LSB offset 2 * (-7 - 3) = -20) into fp32
    # (S = 23 fraction bits): the window holds W = max(8, 23 + 3) = 26 bits below the
    # largest product's top. Lane 0: 1 x 1, E = 7 + 7 = 14; lane 1: the smallest
    # subnormals' product 2^-9 x 2^-9 = 2^-18, E = 1 + 1 = 2. u = 2^(14 - 20 + 8 - 26) =
    # 2^-24, so +2^-18 is kept exactly and -2^-18 too (a multiple of u), while a product
    # below u vanishes (positive) or becomes -u (negative, rounding toward minus infinity).
    e4m3, one, tiny = macgates.format("float8_e4m3fn"), 0x38, 0x01
    assert e4m3.decode(one) == 1 and e4m3.decode(tiny) == Fraction(1, 512)
    assert aligned_block_sum(e4m3, [one, tiny], e4m3, [one, tiny], macgates.format("fp32")) == 1 + Fraction(1, 2**18)
    # with fp16 (S = 10): W = max(8, 13) = 13, u = 2^(14 - 20 + 8 - 13) = 2^-11: 2^-18 is dropped,
    # -2^-18 becomes -2^-11
    fp16 = macgates.format("fp16")
    assert aligned_block_sum(e4m3, [one, tiny], e4m3, [one, tiny], fp16) == 1
    assert aligned_block_sum(e4m3, [one, tiny | 0x80], e4m3, [one, tiny], fp16) == 1 - Fraction(1, 2**11)
    # no non-zero product: 0; one lane alone: exact
    assert aligned_block_sum(e4m3, [0, 0x80], e4m3, [one, one], fp16) == 0
    assert aligned_block_sum(e4m3, [0x7E, 0], e4m3, [0x7E, 0], fp16) == product(e4m3, 0x7E, e4m3, 0x7E)


@pytest.mark.parametrize("weights,k", [("float8_e4m3fn", 4), ("fp8_e4m3", 16), ("float8_e5m2", 2), ("bf16", 4)])
def test_align_units_run_and_match(weights, k):
    dp = macgates.dot(weights, k=k, accumulator=fp32("align"))
    assert dp.info["combine"] == "align"
    fmt = macgates.format(weights)
    exhaustive = fmt.bits <= 8 and k <= 4  # (every pair of wider units: docs/verification.md)
    result = check(dp, weights, fp32("align"), exhaustive=exhaustive)
    assert result.failed == 0, result.mismatches[:1]
    pairs = 2 * (1 << fmt.bits) ** 2 if exhaustive else 0  # lane 0, and every lane
    assert result.checked == pairs + 200 * 4


def test_a_zero_product_of_sign_one_is_zero_in_twos_complement():
    # 0 x -1 has sign 1 and significand 0: without lane_sign its 9-bit two's complement is
    # -2^8 (a -256 ulp error); the unit must add exactly 1 x 1 = 1
    dp = macgates.dot("float8_e4m3fn", k=2, accumulator=fp32("align"))
    fp32_fmt = macgates.format("fp32")
    assert fp32_fmt.decode(dp.step(0, [0x38, 0x00], [0x38, 0xB8])) == 1


def test_an_infinite_block_takes_the_sign_of_its_infinite_lanes():
    dp = macgates.dot("float8_e5m2", k=4, accumulator=fp32("align"))
    f, acc = macgates.format("float8_e5m2"), macgates.format("fp32")
    neg_inf, big, one = f.encode(float("-inf")), f.encode(57344), f.encode(1)
    # lanes: -inf x 1, and three large positive products: the sum's own sign is +
    got = dp.step(0, [neg_inf, big, big, big], [one, big, big, big])
    assert acc.decode(got) == float("-inf")
    both = dp.step(0, [neg_inf, f.encode(float("inf")), 0, 0], [one, one, 0, 0])  # +inf and -inf lanes
    assert acc.decode(both) != acc.decode(both)  # NaN


@pytest.mark.parametrize("component,param", [("lane_align", "w"), ("sum_tree", "n"), ("exp_max_tree", "n"),
                                             ("sum_tree", "k")])
def test_align_mutations_are_caught(component, param):
    dp = macgates.dot("float8_e4m3fn", k=8, accumulator=fp32("align"))
    dp.replace(component, fit=True, **{param: dp.components[component].params[param] - 1})
    # first: the check stops at its first mismatch (one is all a mutation needs)
    assert check(dp, "float8_e4m3fn", fp32("align"), exhaustive=False, vectors=300, first=True).failed > 0


# -- block scales ----------------------------------------------------------------------------

@pytest.mark.parametrize("weights,k,acc", [("mxfp4", 4, "fp32"), ("nvfp4", 16, "fp32"), ("mxfp6_e2m3", 8, "fp16"),
                                           ("mxint8", 4, "fp32"), ("nvfp4", 1, "kulisch"), ("mxfp4", 1, "kulisch"),
                                           ("mxfp8_e5m2", 4, "fp32")])
def test_block_formats_run_and_match(weights, k, acc):
    dp = macgates.dot(weights, k=k, accumulator=acc)
    fmt = macgates.format(weights)
    result = check(dp, weights, macgates.accumulator(acc), exhaustive=fmt.bits <= 4, vectors=300)
    assert result.failed == 0, result.mismatches[:1]


def test_block_sum_times_the_scales_by_hand():
    # mxfp4 x mxfp4, k = 2, scales 2^(130 - 127) = 8 and 2^(120 - 127) = 1/128: the block
    # sum (6 x 6 + 0.5 x -1) = 35.5, times 8/128 = 2.21875
    f = macgates.format("mxfp4")
    dp = macgates.dot("mxfp4", k=2, accumulator="fp32")
    got = dp.step(0, [f.encode(6), f.encode(0.5)], [f.encode(6), f.encode(-1)], scale_a=130, scale_b=120)
    assert macgates.format("fp32").decode(got) == Fraction(355, 160)
    assert block_sum([Fraction(36), Fraction(-1, 2)], Fraction(8, 128)) == Fraction(355, 160)
    nan = dp.step(0, [0, 0], [0, 0], scale_a=0xFF, scale_b=127)  # E8M0's NaN scale
    assert macgates.format("fp32").decode(nan) != macgates.format("fp32").decode(nan)


@pytest.mark.parametrize("weights,component,param", [("mxfp4", "scale_add", "n"), ("mxfp4", "scale_nan", "n"),
                                                     ("nvfp4", "scale_apply", "m"), ("nvfp4", "scale_signmag", "n"),
                                                     ("mxfp8", "scale_exp", "m")])
def test_scale_mutations_are_caught(weights, component, param):
    k = min(4, macgates.format(weights).block_size)
    dp = macgates.dot(weights, k=k, accumulator="fp32")
    dp.replace(component, fit=True, **{param: dp.components[component].params[param] - 1})
    # every input of a 4-bit format, and random vectors, stopped at the first mismatch;
    # scale_add's lost top bit shows in most random scale pairs: the random vectors alone
    # catch it, without the 66,048 exhaustive steps of mxfp4 (5-10 s)
    exhaustive = macgates.format(weights).bits <= 4 and component != "scale_add"
    result = check(dp, weights, macgates.accumulator("fp32"), exhaustive=exhaustive, vectors=300, first=True)
    assert result.failed > 0


@pytest.mark.parametrize("weights,k", [("mxint8", 4), ("mxfp4", 4), ("mxfp8_e4m3", 8)])
def test_a_scaled_block_sum_into_kulisch_runs(weights, k):
    """A block sum (two's complement) with a scale exponent: to sign + magnitude, shifted
    zero-filled, inverted when negative (a zero-filled shift of the two's-complement word
    would not sign-extend it: -1 x 2^3 would come out as 2^(n+3) - 2^3)."""
    dp = macgates.dot(weights, k=k, accumulator="kulisch")
    fmt = macgates.format(weights)
    result = check(dp, weights, macgates.Kulisch(), exhaustive=fmt.bits <= 4, vectors=300)
    assert result.failed == 0, result.mismatches[:1]


def test_a_negative_scaled_block_sum_by_hand():
    # mxint8 elements decode as integers (the scale carries the rest): -64 x 64 = -4096 in
    # lane 0 (lane 1 is zero), times the scales 2^(130 - 127) x 2^(127 - 127) = 8: -32768
    dp = macgates.dot("mxint8", k=2, accumulator="kulisch")
    f = macgates.format("mxint8")
    assert f.decode(0xC0) * f.decode(0x40) == -4096
    ref = kulisch_reference(f, f, macgates.Kulisch(dp.info["acc_bits"]))
    got = dp.step(0, [0xC0, 0], [0x40, 0], scale_a=130, scale_b=127)
    assert ref.value_of(got) * ref.lsb == -32768


@pytest.mark.parametrize("component", ["block_signmag", "negate"])
def test_a_narrower_block_magnitude_is_caught(component):
    """-128 x -128 in all four lanes is 2^16, the one block sum that needs all 17 magnitude
    bits (random sequences seldom draw it; the exhaustive every-lane run does); -128 x 127
    in all four is negative, so every bit of the shifted magnitude is inverted."""
    f = macgates.format("mxint8")
    dp = macgates.dot("mxint8", k=4, accumulator="kulisch")
    ref = kulisch_reference(f, f, macgates.Kulisch(dp.info["acc_bits"]))
    cases = [([f.encode(-128)] * 4, [f.encode(-128)] * 4, 4 * 128 * 128),
             ([f.encode(-128)] * 4, [f.encode(127)] * 4, -4 * 128 * 127)]

    def sums(unit):
        return [ref.value_of(unit.step(0, w, a, scale_a=127, scale_b=127)) * ref.lsb for w, a, _ in cases]

    assert sums(dp) == [want for _, _, want in cases]
    dp.replace(component, fit=True, n=dp.components[component].params["n"] - 1)
    assert sums(dp) != [want for _, _, want in cases]


@pytest.mark.parametrize("k", [1, 4])
def test_an_infinite_block_times_a_zero_scale_is_nan(k):
    """UE4M3 has a zero (E8M0 has none): infinity x 0 is NaN. Costed per zero-able scale:
    its zero test (or_reduce(7), 6 OR2), an AND2 with the block's infinity, and one more
    input to the NaN OR (found by running random sequences over every format pairing)."""
    from appendix_b import AND2, OR2

    dp = macgates.dot("nvfp4", "float8_e5m2", k=k, accumulator="fp32")
    f, e5 = macgates.format("nvfp4"), macgates.format("float8_e5m2")
    fp32_fmt = macgates.format("fp32")
    w = [f.encode(1)] + [0] * (k - 1) if k > 1 else f.encode(1)
    a = [e5.encode(float("inf"))] + [0] * (k - 1) if k > 1 else e5.encode(float("inf"))
    got = dp.step(0, w, a, scale_a=0)
    assert fp32_fmt.decode(got) != fp32_fmt.decode(got)  # NaN
    assert fp32_fmt.decode(dp.step(0, w, a, scale_a=0x38)) == float("inf")  # scale 1
    extra = [dp.components[c].cost for c in ("scale_zero_w", "scale_inf_zero_w")]
    assert sum(extra) == 6 * OR2 + AND2
    assert block_sum([float("inf")], Fraction(0)) != block_sum([float("inf")], Fraction(0))


def test_an_infinite_block_keeps_its_lanes_sign_through_a_scale_multiply():
    # NVFP4's scale multiply makes the block sum sign + magnitude; an infinite block's sign
    # must still be its infinite lanes' (Product.inf_sign), not the finite sum's: here
    # 2 x -40960 + ... is negative, the one infinite lane +inf
    dp = macgates.dot("nvfp4", "float8_e5m2", k=4, accumulator="bf16")
    f, e5, bf16 = macgates.format("nvfp4"), macgates.format("float8_e5m2"), macgates.format("bf16")
    w = [f.encode(v) for v in (2, -2, -4, 0.5)]
    a = [e5.encode(v) for v in (-40960, -0.875, 192, float("inf"))]
    assert bf16.decode(dp.step(0, w, a, scale_a=f.scale.encode(30))) == float("inf")
