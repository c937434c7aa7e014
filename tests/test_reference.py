"""The exact reference (macgates/run/reference.py), checked by hand-derived cases, and the
Kulisch bound: FX + 12 bits hold 4,096 largest products, one bit less does not."""

import math
from fractions import Fraction

import pytest

import macgates
from macgates.run.reference import KulischRef, block_sum, float_accumulate, product, smallest_product

FP16 = macgates.format("fp16")
INF16, NAN16 = 0x7C00, 0x7E00


def f16(value) -> int:
    return FP16.encode(value)


@pytest.mark.parametrize("weights", ["int8", "fp8_e2m5", "fp8_e3m4", "fp8_e4m3", "fp8_e5m2"])
@pytest.mark.parametrize("sign", [1, -1], ids=["positive", "negative"])
def test_kulisch_bound(weights, sign):
    fmt = macgates.format(weights)
    width = macgates.mac(weights).info["acc_bits"]  # the builder's FX + 12
    lsb = smallest_product(fmt, fmt)
    largest = sign * fmt.max_value ** 2  # the product of largest magnitude
    acc, overflowed = KulischRef(width, lsb).run([largest] * 4096)
    assert not overflowed
    assert KulischRef(width, lsb).value_of(acc) * lsb == 4096 * largest  # exact
    assert KulischRef(width - 1, lsb).run([largest] * 4096)[1]  # one bit less overflows


def test_kulisch_widths_are_fx_plus_12():
    # int8: |product| <= 127^2 < 2^14, so 15 bits two's complement, + 12 = 27
    assert macgates.mac("int8").info["acc_bits"] == 15 + 12
    # fp8_e4m3: products from 2^-20 (LSB) to 240^2 < 2^16: 36 magnitude bits + sign, + 12
    assert smallest_product(macgates.format("fp8_e4m3"), macgates.format("fp8_e4m3")) == Fraction(1, 2 ** 20)
    assert macgates.mac("fp8_e4m3").info["acc_bits"] == 1 + 36 + 12


def test_products_and_specials():
    e5m2 = macgates.format("float8_e5m2")
    inf, zero, nan, two = 0x7C, 0x00, 0x7E, 0x40
    assert product(e5m2, two, e5m2, two) == 4
    assert product(e5m2, inf, e5m2, two) == math.inf and product(e5m2, inf | 0x80, e5m2, two) == -math.inf
    assert math.isnan(product(e5m2, inf, e5m2, zero)) and math.isnan(product(e5m2, nan, e5m2, two))
    int8 = macgates.format("int8")
    assert product(int8, 0x81, int8, 0x7F) == -127 * 127


@pytest.mark.parametrize("acc,value,want", [
    (1, Fraction(1, 2 ** 11), 1),  # a tie: 1 + 2^-11 rounds to even, 1
    (1, Fraction(3, 2 ** 11), 1 + Fraction(1, 2 ** 9)),  # 1 + 3/2048 -> 1 + 2/1024
    (65504, 16, math.inf),  # 65520 is halfway to 65536: to even, which overflows
    (65504, 15, 65504),
    (Fraction(1, 2 ** 14), -Fraction(1, 2 ** 15), 0),  # below the smallest normal: +0
    (-Fraction(1, 2 ** 14), Fraction(1, 2 ** 14), 0),  # an exact zero sum is +0
    (math.inf, -65504, math.inf),  # infinity stays
    # 2^-14 - 5 * 2^-28 = 2^-15 x 1.1111111111|11011 (binary): to 11 significant bits with an
    # unbounded exponent it is 2^-15 x 1.1111111111 + 2^-25 x 0.34..., rounded down to
    # 2^-14 - 2^-25: tiny after rounding, flushed. (On fp16's subnormal grid, 2^-24 apart,
    # it would round up to 2^-14: the flush rule decides before that grid exists.)
    (Fraction(1, 2 ** 14), -Fraction(5, 2 ** 28), 0),
    (Fraction(1, 2 ** 14), -Fraction(1, 2 ** 26), Fraction(1, 2 ** 14)),  # 2^-15 x 1.11111111111|1: up
], ids=["tie-even", "round-up", "overflow", "no-overflow", "flush", "zero-sum", "inf-stays",
        "tiny-after-rounding", "rounds-up-to-normal"])
def test_float_accumulate(acc, value, want):
    got = float_accumulate(FP16, f16(acc), value)
    assert got == f16(want)


def test_float_accumulate_nan_rules():
    assert math.isnan(FP16.decode(float_accumulate(FP16, INF16, -math.inf)))  # +inf + -inf
    assert math.isnan(FP16.decode(float_accumulate(FP16, f16(1), math.nan)))
    assert math.isnan(FP16.decode(float_accumulate(FP16, NAN16, 1)))
    assert float_accumulate(FP16, f16(-2.0), 2) == 0 and FP16.decode(0) == 0


def test_block_sum():
    assert block_sum([1, 2, Fraction(1, 3)], scale=4) == Fraction(40, 3)
    assert block_sum([1, math.inf]) == math.inf
    assert math.isnan(block_sum([math.inf, -math.inf])) and math.isnan(block_sum([1], scale=math.nan))


def test_kulisch_rejects_off_grid_values():
    with pytest.raises(macgates.DatapathError, match="not a multiple of the accumulator's LSB"):
        KulischRef(8, Fraction(1, 2)).step(0, Fraction(1, 3))


TINY = Fraction(1, 2 ** 24)  # fp16's smallest subnormal


@pytest.mark.parametrize("acc,value,want", [
    (TINY, TINY, 2 * TINY),  # subnormal + subnormal: exact on the subnormal grid
    (0, TINY / 2, 0),  # a tie between 0 and the smallest subnormal: to even, +0
    (0, -TINY / 2, "-0"),  # ... keeping its sign (IEEE 754 6.3)
    (0, 3 * TINY / 4, TINY),  # nearer the smallest subnormal
    (1023 * TINY, TINY, Fraction(1, 2 ** 14)),  # the largest subnormal + 1 ulp: the smallest normal
    (Fraction(1, 2 ** 14), -Fraction(5, 2 ** 28), Fraction(1, 2 ** 14)),  # 2^-14 - 5/16 ulp: up, not flushed
    (Fraction(1, 2 ** 14), -Fraction(1, 2 ** 15), Fraction(1, 2 ** 15)),  # flushed by default, kept here
    (-TINY, TINY, 0),  # an exact zero sum is +0
    (65504, 16, math.inf),  # overflow as without subnormals
], ids=["sub-plus-sub", "tie-to-zero", "tie-to-minus-zero", "round-up", "to-smallest-normal",
        "no-flush-rounding", "kept", "zero-sum", "overflow"])
def test_float_accumulate_with_subnormals(acc, value, want):
    got = float_accumulate(FP16, f16(acc), value, subnormals=True)
    assert got == (0x8000 if want == "-0" else f16(want))
