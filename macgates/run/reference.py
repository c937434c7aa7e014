"""Exact reference arithmetic for checking datapaths, written from the formats'
definitions (:mod:`macgates.formats.encoding`) and the accumulation rules documented in
docs/datapaths.md, never from the datapath code.

* :func:`product`: the exact product of two codes (Fraction), with IEEE's special-value
  rules (NaN in, NaN out; infinity x 0 is NaN; infinity x finite is infinity);
* :class:`KulischRef`: a fixed-point accumulator, exact two's complement at its width
  with its LSB weight; an overflow is reported, never hidden;
* :func:`float_accumulate`: acc + product, rounded once to nearest even to the
  accumulator's precision with an unbounded exponent; a rounded result below the
  smallest normal is +0 (IEEE 754 tininess "after rounding", then flush to zero; an
  exact zero sum is +0 too), beyond the largest finite infinity, which then stays;
  NaN in anything, or +inf + -inf, is NaN; with ``subnormals`` (IEEE 754 gradual
  underflow) a result below the smallest normal is rounded to the subnormal grid
  instead (a non-zero sum that rounds to zero keeps its sign, IEEE 754 6.3);
* :func:`block_sum`: a dot-product unit's ``exact`` combine: one exact sum of k
  products, times the block scales;
* :func:`aligned_block_sum`: its ``align`` combine: each product truncated (toward minus
  infinity) to a window below the largest product's position, then summed exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from ..formats.encoding import decode, encode
from ..support.errors import DatapathError


def _is_nan(x) -> bool:
    return isinstance(x, float) and math.isnan(x)


def _is_inf(x) -> bool:
    return isinstance(x, float) and math.isinf(x)


@lru_cache(maxsize=1 << 17)
def decoded(fmt, code: int):
    """:func:`macgates.formats.encoding.decode`, each (format, code) decoded once."""
    return decode(fmt, code)


def product(w_fmt, w_code: int, a_fmt, a_code: int):
    """The exact product of two codes: a Fraction, or math.inf / -math.inf / math.nan."""
    return multiply(decoded(w_fmt, w_code), decoded(a_fmt, a_code))


def multiply(x, y):
    """The exact product of two decoded values, with IEEE's special-value rules."""
    if _is_nan(x) or _is_nan(y):
        return math.nan
    if _is_inf(x) or _is_inf(y):
        if x == 0 or y == 0:
            return math.nan
        return math.inf if (x > 0) == (y > 0) else -math.inf
    return x * y


def smallest_product(w_fmt, a_fmt) -> Fraction:
    """The weight of the smallest non-zero |product|: the LSB a fixed-point accumulator
    needs to hold every product exactly."""
    return w_fmt.min_positive * a_fmt.min_positive


@dataclass(frozen=True)
class KulischRef:
    """A ``width``-bit two's-complement accumulator whose LSB weighs ``lsb``."""

    width: int
    lsb: Fraction

    def step(self, acc: int, value) -> tuple[int, bool]:
        """(new accumulator code, overflowed?) after adding the exact ``value``, which must
        be a multiple of the LSB. The code wraps as two's complement does."""
        units = Fraction(value) / self.lsb
        if units.denominator != 1:
            raise DatapathError(f"{value} is not a multiple of the accumulator's LSB {self.lsb}")
        total = self.value_of(acc) + int(units)
        low, high = -(1 << (self.width - 1)), (1 << (self.width - 1)) - 1
        return total & ((1 << self.width) - 1), not low <= total <= high

    def value_of(self, acc: int) -> int:
        """The accumulator code as a signed number of LSBs."""
        return acc - (1 << self.width) if acc >> (self.width - 1) else acc

    def run(self, values, acc: int = 0) -> tuple[int, bool]:
        """Accumulate every value; (final code, whether any step overflowed)."""
        overflowed = False
        for value in values:
            acc, over = self.step(acc, value)
            overflowed = overflowed or over
        return acc, overflowed


def float_accumulate(acc_fmt, acc_code: int, value, subnormals: bool = False) -> int:
    """The accumulator code after ``acc + value`` (value exact, or a special), rounded once:
    flushed to +0 below the smallest normal, or (``subnormals``) kept as a subnormal."""
    acc = decoded(acc_fmt, acc_code)
    if _is_nan(acc) or _is_nan(value):
        return encode(acc_fmt, math.nan)
    if _is_inf(acc) or _is_inf(value):
        if _is_inf(acc) and _is_inf(value) and (acc > 0) != (value > 0):
            return encode(acc_fmt, math.nan)
        return encode(acc_fmt, acc if _is_inf(acc) else value)
    exact = acc + value
    if exact == 0:
        return 0  # an exact zero sum is +0
    if subnormals:  # rounded once on the format's grid (subnormals included), beyond it infinity
        return encode(acc_fmt, exact)
    rounded = round_significant(exact, acc_fmt.man_bits + 1)
    if abs(rounded) < pow2(1 - acc_fmt.bias):
        return 0  # tiny after rounding: flushed to +0
    if abs(rounded) > acc_fmt.max_value:
        return encode(acc_fmt, math.inf if rounded > 0 else -math.inf)
    return encode(acc_fmt, rounded)  # representable: encoded exactly


def pow2(e: int) -> Fraction:
    """2^e, exactly."""
    return Fraction(1 << e) if e >= 0 else Fraction(1, 1 << -e)


def round_significant(x: Fraction, bits: int) -> Fraction:
    """x rounded to nearest even with ``bits`` significant bits and an unbounded
    exponent (IEEE 754's rounding before tininess is detected "after rounding")."""
    sign, x = (-1 if x < 0 else 1), abs(Fraction(x))
    e = x.numerator.bit_length() - x.denominator.bit_length()  # 2^e <= x < 2^(e+2)
    if x < pow2(e):
        e -= 1
    if x >= pow2(e + 1):
        e += 1
    ulp = pow2(e - bits + 1)
    q, rest = divmod(x, ulp)
    if rest > ulp / 2 or (rest == ulp / 2 and q % 2):
        q += 1
    return sign * q * ulp


def block_sum(products, scale=Fraction(1)):
    """A dot-product unit's ``exact`` combine: the exact sum of k products, times the
    block scale (the product of the two scales); specials as :func:`product`'s."""
    infinities = set()
    for p in products:
        if _is_nan(p):
            return math.nan
        if _is_inf(p):
            infinities.add(p > 0)
    if _is_nan(scale):
        return math.nan
    if len(infinities) == 2:
        return math.nan
    if infinities:  # times the scale: a zero scale makes it NaN (infinity x 0)
        return multiply(math.inf if infinities.pop() else -math.inf, scale)
    return exact_sum(products) * scale


def exact_sum(values) -> Fraction:
    """The exact sum of Fractions, over their common denominator (one integer sum)."""
    values = [Fraction(v) for v in values]
    common = math.lcm(*(v.denominator for v in values)) if values else 1
    return Fraction(sum(v.numerator * (common // v.denominator) for v in values), common)


def significand(fmt) -> tuple:
    """(significand bits, LSB exponent offset) of an operand: a float's M + 1 bits and
    2^(-bias - M); an integer's magnitude bits (n - 1 if it leaves out -2^(n-1)) and 2^0."""
    if fmt.is_float:
        return fmt.man_bits + 1, -fmt.bias - fmt.man_bits
    return fmt.bits - (1 if fmt.symmetric else 0), 0


def _exponent_field(fmt, code: int) -> int:
    """A float code's effective exponent field (a subnormal's 0 counts as 1); 0 for an integer."""
    if not fmt.is_float:
        return 0
    return max((code >> fmt.man_bits) & ((1 << fmt.exp_bits) - 1), 1)


def aligned_block_sum(w_fmt, w_codes, a_fmt, a_codes, acc_fmt, scale=Fraction(1), products=None):
    """A dot-product unit's ``align`` combine (docs/datapaths.md), as arithmetic.

    Each product w x a is a p-bit significand (p = both operands' significand bits) times
    2^(E + offset), E the sum of the operands' effective exponent fields. Let E_max be the
    largest E among the non-zero products. The window holds W = max(p, S + 3) bits below
    the position 2^(E_max + offset + p) (S: the accumulator's fraction bits; the product
    of E_max fills its top p bits), so its LSB weighs u = 2^(E_max + offset + p - W). Each
    product keeps floor(p_i / u) * u: the bits of its two's complement below u are
    dropped, which rounds it toward minus infinity (a negative product that loses non-zero
    bits moves down by one u). The block sum is the exact sum of those, times the scale.
    NaN and infinities as :func:`block_sum`. ``products``: the lanes' products (as
    :func:`product` gives them), if the caller has them already."""
    if products is None:
        products = [product(w_fmt, w, a_fmt, a) for w, a in zip(w_codes, a_codes)]
    if any(isinstance(p, float) for p in products) or (isinstance(scale, float) and math.isnan(scale)):
        return block_sum(products, scale)
    (pw, ow), (pa, oa) = significand(w_fmt), significand(a_fmt)
    bits, offset = pw + pa, ow + oa
    exps = [_exponent_field(w_fmt, w) + _exponent_field(a_fmt, a)
            for w, a, p in zip(w_codes, a_codes, products) if p != 0]
    if not exps:
        return Fraction(0)
    window = max(bits, acc_fmt.man_bits + 3)
    u = Fraction(2) ** (max(exps) + offset + bits - window)
    return exact_sum(math.floor(p / u) * u for p in products) * scale
