"""Floating-point accumulators run bit by bit (macgates/datapath/floating.py through
macgates/run/simulate.py) and checked by macgates/run/verify.py against
macgates/reference.float_accumulate, which is written from the formats' definitions.

The full exhaustive check of every Figure 3 configuration (11 start values x 65,536
pairs each) is in docs/verification.md and benchmarks/run.py; here every configuration
runs every pair from two start values, and the mutations of issue 11 run the check at its
defaults."""

import math
from fractions import Fraction

import pytest

import macgates
from macgates.run.simulate import Runner
from macgates.run.verify import FloatChecker, verify

pytestmark = pytest.mark.slow  # exhaustive verification of float accumulators

FIG3_FLOAT = [(w, acc) for w in ("int8", "fp8_e2m5", "fp8_e3m4", "fp8_e4m3", "fp8_e5m2") for acc in ("fp16", "fp32")]


def fp(name, align="swap"):
    return macgates.FloatingPoint(macgates.format(name), align)


def code(fmt, value):
    return macgates.format(fmt).encode(value)


@pytest.mark.parametrize("weights,acc", FIG3_FLOAT, ids=[f"{w}-{a}" for w, a in FIG3_FLOAT])
def test_figure3_float_configs_every_pair(weights, acc):
    """Every input pair from +0 and from -1 (products near 1 cancel it), then random
    sequences from random holdable values."""
    w = macgates.format(weights)
    dp = macgates.mac(weights, accumulator=acc)
    result = verify(dp, w, w, fp(acc), starts=[0, code(acc, -1)], vectors=100, length=8)
    codes = 255 if weights == "int8" else 256  # symmetric int8 never uses -128
    assert result.checked == codes * codes * 2 + 100 * 8
    assert result.failed == 0, result.mismatches[:3]


@pytest.mark.parametrize("weights,acc", [("fp8_e4m3", "fp16"), ("fp8_e5m2", "fp16"), ("int8", "bf16")])
def test_two_shifters_every_pair(weights, acc):
    """The second alignment style, from +-infinity too: fp8_e5m2 products (up to 2^31)
    outgrow fp16's infinity exponent, so an infinite accumulator must keep its sign."""
    w = macgates.format(weights)
    dp = macgates.mac(weights, accumulator=fp(acc, "two_shifters"))
    starts = [0, code(acc, -1), code(acc, math.inf), code(acc, -math.inf)]
    assert verify(dp, w, w, fp(acc), starts=starts).failed == 0


def test_two_shifters_sign_of_an_infinite_accumulator_is_costed_where_needed():
    # fp8_e5m2 products reach 2^31.6 (exponent 46 in fp16's bias >= 31): inf_sign is built;
    # fp8_e4m3's reach 240^2 < 2^16 (exponent 30): it is not
    assert "inf_sign" in macgates.mac("fp8_e5m2", accumulator=fp("fp16", "two_shifters")).components
    assert "inf_sign" not in macgates.mac("fp8_e4m3", accumulator=fp("fp16", "two_shifters")).components


def test_two_shifters_needs_its_sign_gate():
    """sum_neg masks the adder's top bit with the effective subtraction: with an OR2 in
    its place, an addition's carry-out is taken for a negative sum's sign."""
    dp = macgates.mac("fp8_e4m3", accumulator=fp("fp16", "two_shifters"))
    one = code("fp8_e4m3", 1.0)
    assert dp.step(code("fp16", 1.5), one, one) == code("fp16", 2.5)  # 1.5 + 1: a carry-out
    broken = dp.copy()
    broken.replace("sum_neg", "or2")  # the carry alone decides the sign and the negation
    assert broken.step(code("fp16", 1.5), one, one) != code("fp16", 2.5)


@pytest.mark.parametrize("weights,acc", [("float8_e5m2", "fp32"), ("float8_e4m3fn", "fp16"),
                                         ("float8_e5m2", "fp16")])
def test_special_inputs_every_pair(weights, acc):
    """Every code pair (NaN, +-inf, zeros included) from +1, -inf and +0."""
    w = macgates.format(weights)
    dp = macgates.mac(weights, accumulator=acc)
    starts = [code(acc, 1.0), code(acc, -math.inf), 0]
    result = verify(dp, w, w, fp(acc), starts=starts)
    assert result.checked == 3 * 256 * 256 and result.failed == 0, result.mismatches[:3]


def test_an_infinite_product_keeps_its_sign():
    """inf x tiny has the significand and exponent of a small number: the sum path takes
    the accumulator's sign, so the product's infinity must bring its own (inf_sign_sel)."""
    e5m2 = macgates.format("float8_e5m2")
    dp = macgates.mac("float8_e5m2", accumulator="fp32")
    tiny, neg_inf = 0x01, e5m2.encode(-math.inf)
    assert dp.step(code("fp32", 1.0), tiny, neg_inf) == code("fp32", -math.inf)
    assert dp.step(code("fp32", -1.0), neg_inf ^ 0x80, tiny) == code("fp32", math.inf)


def test_nan_accumulator_stays_nan():
    dp = macgates.mac("float8_e4m3fn", accumulator="fp16")
    nan16, one = code("fp16", math.nan), code("float8_e4m3fn", 1.0)
    assert math.isnan(macgates.format("fp16").decode(dp.step(nan16, one, one)))
    nan8 = code("float8_e4m3fn", math.nan)
    assert math.isnan(macgates.format("fp16").decode(dp.step(code("fp16", 2.0), nan8, one)))


def test_start_values_are_documented_and_holdable():
    f = macgates.format("fp16")
    e4m3 = macgates.format("fp8_e4m3")
    starts = FloatChecker(e4m3, e4m3, fp("fp16")).starts()
    values = [f.decode(c) for c in starts]
    third = 1 + Fraction(0b0101010101, 2 ** 10)  # 4/3 rounded down to 10 fraction bits
    # the window: max(8 product bits, 10 + 3) = 13, so 2^12 and 2^13
    assert values == [0, 1, -1, 1 + 2 ** -10, -1 - 2 ** -10, third, -third, 2, -2, 2 ** -14, -2 ** -14,
                      65504, -65504, 2 ** 12, -2 ** 12, 2 ** 13, -2 ** 13, 240 * 240, -240 * 240, math.inf, -math.inf]


def test_a_sticky_without_the_windows_top_two_bits_is_caught():
    """2^26 - 3 in fp32 is 67108860 (the nearest, 1 below); a sticky that misses the
    window's top two bits sees 2^26 - 2, a tie, and rounds to even: 2^26. The start value
    2^W (W = 26, the window) makes the exhaustive check meet it."""
    f32, i8 = macgates.format("fp32"), macgates.format("int8")
    dp = macgates.mac("int8", accumulator="fp32")
    acc = f32.encode(2 ** 26)
    assert f32.decode(dp.step(acc, i8.encode(-3), i8.encode(1))) == 2 ** 26 - 4
    dp.replace("sticky", fit=True, k=dp.components["sticky"].params["k"] - 1)
    assert f32.decode(dp.step(acc, i8.encode(-3), i8.encode(1))) == 2 ** 26
    assert acc in FloatChecker(i8, i8, fp("fp32")).starts()


@pytest.mark.parametrize("weights,acc,dtype", [("fp8_e3m4", "fp16", "int64"), ("int8", "fp32", object)])
def test_the_batch_form_equals_single_steps(weights, acc, dtype):
    """The batch form runs on int64 arrays when no value can reach 2^62 (an int8 array's
    64 partial-product bits can), else on Python ints in object arrays."""
    dp = macgates.mac(weights, accumulator=acc)
    run = Runner(dp)
    assert run.dtype == dtype
    accs = [0, code(acc, 3.25), code(acc, -1000), code(acc, math.inf)] * 64
    ws = list(range(256))
    xs = [(17 * i + 5) % 256 for i in range(256)]
    batch = run.step_batch(accs, ws, xs)
    assert [int(b) for b in batch] == [run.step(acc, {"w": w, "a": x}) for acc, w, x in zip(accs, ws, xs)]


# -- mutations (issue 11, item 7): each must be caught by verify at its defaults -----------
def _no_sticky(dp):
    dp.remove("sticky")  # the adder's LSB is then 0 for every shift


def _narrow_window(dp):
    dp.replace("align", fit=True, n=dp.components["align"].params["n"] - 1)


def _short_normalizer(dp):
    k = dp.components["norm_shift"].params["k"]  # [0, 14]: 4 stages; [0, 7]: 3
    dp.replace("norm_shift", fit=True, k=(1 << (k.bit_length() - 1)) - 1)


def _truncating_rounder(dp):
    dp.remove("round_decide")  # the incrementer's carry-in is then 0


def _narrow_product_lzc(dp):
    dp.replace("prod_lzc", fit=True, n=dp.components["prod_lzc"].params["n"] - 1)


@pytest.mark.parametrize("mutate", [_no_sticky, _narrow_window, _short_normalizer, _truncating_rounder,
                                    _narrow_product_lzc],
                         ids=["no-sticky", "window-one-bit-narrower", "normalizer-one-stage-short",
                              "truncating-rounder", "product-lzc-one-bit-narrower"])
def test_mutation_is_caught(mutate):
    e4m3 = macgates.format("fp8_e4m3")
    dp = macgates.mac("fp8_e4m3", accumulator="fp16")
    broken = dp.copy()
    mutate(broken)
    assert broken.gates <= dp.gates  # (lzc(7) costs what lzc(8) does: both are 8-input trees)
    assert verify(broken, e4m3, e4m3, fp("fp16"), first=True).failed > 0


# -- IEEE gradual underflow (subnormals=True) ------------------------------------------------
SUBNORMAL_CASES = [("fp8_e4m3", "fp16", "swap"), ("fp8_e4m3", "fp16", "two_shifters"),
                   ("fp8_e5m2", "fp16", "swap"), ("int8", "bf16", "swap")]


def subnormal_starts(acc):
    """Zero, the smallest and the largest subnormal, the smallest normal, of either sign
    (-0 is holdable: a negative sum that rounds to zero)."""
    f = macgates.format(acc)
    sign = 1 << (f.bits - 1)
    return [c | s for c in (0, 1, (1 << f.man_bits) - 1, 1 << f.man_bits) for s in (0, sign)]


@pytest.mark.parametrize("weights,acc,align", SUBNORMAL_CASES, ids=["-".join(c) for c in SUBNORMAL_CASES])
def test_subnormals_every_pair(weights, acc, align):
    w = macgates.format(weights)
    spec = macgates.FloatingPoint(macgates.format(acc), align, subnormals=True)
    dp = macgates.mac(weights, accumulator=spec)
    result = verify(dp, w, w, spec, starts=subnormal_starts(acc), vectors=100, length=8)
    assert result.failed == 0, result.mismatches[:3]


def test_subnormal_results_are_kept_and_rounded_on_their_grid():
    spec = macgates.FloatingPoint(macgates.format("fp16"), subnormals=True)
    dp = macgates.mac("fp8_e4m3", accumulator=spec)
    e4m3 = macgates.format("fp8_e4m3")
    tiny = e4m3.encode(Fraction(1, 2 ** 9))  # the smallest fp8_e4m3 (subnormal)
    # 2^-9 x 2^-9 = 2^-18 = 64 subnormal ulps of fp16 (2^-24): code 64, not flushed
    assert dp.step(0, tiny, tiny) == 64
    # 2^-18 + -2^-9 x 2^-9 = 0 exactly: +0; -(2^-9 x 2^-9) from +0: -2^-18 (code 0x8040)
    assert dp.step(64, tiny, tiny | 0x80) == 0
    assert dp.step(0, tiny, tiny | 0x80) == 0x8040


def _half_sum_negation(dp):
    # a subnormal accumulator smaller than the product makes the sum negative: |sum| needs
    # every bit of it
    dp.replace("sum_abs", fit=True, n=dp.components["sum_abs"].params["n"] // 2)


def _one_bit_shift_limit(dp):
    dp.replace("norm_limit", fit=True, n=1)  # a subnormal result's shift (e_max) keeps only its LSB


def _sticky_without_top(dp):
    dp.replace("sticky", fit=True, k=dp.components["sticky"].params["k"] - 1)  # -2^-30 + 0 rounds to +0, not -0


@pytest.mark.parametrize("mutate", [_half_sum_negation, _one_bit_shift_limit, _sticky_without_top],
                         ids=["sum-negation-half-width", "shift-limit-one-bit", "sticky-without-top-bit"])
def test_subnormal_mutation_is_caught(mutate):
    e5m2 = macgates.format("fp8_e5m2")
    spec = macgates.FloatingPoint(macgates.format("fp16"), subnormals=True)
    dp = macgates.mac("fp8_e5m2", accumulator=spec)
    broken = dp.copy()
    mutate(broken)
    assert verify(broken, e5m2, e5m2, spec, first=True).failed > 0
