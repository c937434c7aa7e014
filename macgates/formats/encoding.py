"""Bit patterns and the values they stand for: :meth:`Format.decode` and :meth:`Format.encode`.

Written from the formats' definitions (``macgates/formats/spec.py``), not from any datapath,
so that the executable datapaths can be checked against them.

Decoding a code (a Python int of ``fmt.bits`` bits) gives an exact :class:`Fraction`, or
``math.inf`` / ``-math.inf`` / ``math.nan`` for special codes:

* integers are two's complement (the symmetric formats' unused code -2^(n-1) decodes
  to -2^(n-1), what the hardware computes with it; :func:`encode` never produces it);
* floats: sign, exponent field e, mantissa m. With mantissa bits, e = 0 is subnormal,
  m x 2^(1 - bias - M); otherwise (1 + m / 2^M) x 2^(e - bias). A format without
  mantissa bits (E8M0) is 2^(e - bias) for every e. Special codes by ``specials``:
  ``'ieee'``: e all ones is infinity (m = 0) or NaN (E8M0: NaN); ``'fn'``: e and m all
  ones is NaN; ``'none'``: every code is a number (negative zero decodes to 0).

Encoding rounds to nearest, ties to even, with each format's overflow rule:

* ``'ieee'`` formats (fp16, bf16, fp32, float8_e5m2): beyond the largest finite value
  after rounding, infinity; infinity stays infinity; NaN is the quiet NaN with the top
  mantissa bit set;
* ``'fn'`` formats (float8_e4m3fn, ue4m3): beyond the largest finite value, NaN (OCP's
  non-saturating conversion, as ml_dtypes does); infinity is NaN too;
* ``'none'`` formats (the whitepaper's FP8, OCP FP4/FP6): saturate to +-largest;
  infinity saturates; NaN cannot be encoded (FormatError);
* E8M0: round in the exponent (a tie goes up, to the even significand 2); below 2^-127
  it is 2^-127 (there is no zero); zero, negative values and infinity are NaN;
* integers: round half to even, saturate to the format's range.

Underflow rounds to (signed) zero, or to the smallest subnormal, by the same rounding.
"""

from __future__ import annotations

import math
from fractions import Fraction

from ..support.errors import FormatError, shown, whole


def decode(fmt, bits):
    """The value of code ``bits`` in ``fmt`` (block formats: of one element)."""
    if not whole(bits, 0, (1 << fmt.bits) - 1):
        raise FormatError(f"{fmt.name}: code {shown(bits)} is not a whole number from 0 to {(1 << fmt.bits) - 1}")
    if fmt.kind == "int":
        return Fraction(bits - (1 << fmt.bits) if bits >> (fmt.bits - 1) else bits)
    m_bits, e_bits = fmt.man_bits, fmt.exp_bits
    man = bits & ((1 << m_bits) - 1)
    exp = (bits >> m_bits) & ((1 << e_bits) - 1)
    negative = fmt.signed and bits >> (fmt.bits - 1)
    top = (1 << e_bits) - 1
    if fmt.specials == "ieee" and exp == top:
        if m_bits == 0 or man:
            return math.nan
        return -math.inf if negative else math.inf
    if fmt.specials == "fn" and exp == top and man == (1 << m_bits) - 1:
        return math.nan
    if m_bits == 0:
        value = _pow2(exp - fmt.bias)
    elif exp == 0:
        value = _times_pow2(man, 1 - fmt.bias - m_bits)
    else:
        value = _times_pow2((1 << m_bits) | man, exp - fmt.bias - m_bits)
    return -value if negative else value


def encode(fmt, value) -> int:
    """The code of ``value`` (a number, ``math.inf``, ``math.nan``) in ``fmt``, rounded to
    nearest even with the format's overflow rule (see the module docstring)."""
    if fmt.kind == "int":
        return _encode_int(fmt, value)
    if isinstance(value, float) and math.isnan(value):
        return _nan(fmt, negative=False)
    if isinstance(value, float) and math.isinf(value):
        return _overflow(fmt, value < 0)
    try:
        exact = Fraction(value)
    except (TypeError, ValueError):
        raise FormatError(f"{fmt.name}: cannot encode {type(value).__name__} value") from None
    negative = exact < 0 or (isinstance(value, float) and math.copysign(1.0, value) < 0)  # -0.0
    if not fmt.signed and (exact < 0 or (fmt.man_bits == 0 and exact == 0)):
        return _nan(fmt, negative=False)
    magnitude = abs(exact)
    if magnitude == 0:
        return _sign(fmt, negative)
    rounded = _round(fmt, magnitude)
    if rounded > fmt.max_value:
        return _overflow(fmt, negative)
    return _sign(fmt, negative) | _magnitude_code(fmt, rounded)


def _encode_int(fmt, value) -> int:
    if isinstance(value, float) and not math.isfinite(value):
        if math.isnan(value):
            raise FormatError(f"{fmt.name}: an integer format has no NaN")
        value = fmt.max_value if value > 0 else -fmt.max_value - (0 if fmt.symmetric else 1)
    n = round(Fraction(value))
    low = -(1 << (fmt.bits - 1)) + (1 if fmt.symmetric else 0)
    n = max(low, min((1 << (fmt.bits - 1)) - 1, n))
    return n & ((1 << fmt.bits) - 1)


def _pow2(k: int) -> Fraction:
    """2^k exactly."""
    return Fraction(1 << k) if k >= 0 else Fraction(1, 1 << -k)


def _times_pow2(n: int, k: int) -> Fraction:
    """n x 2^k exactly (n >= 0)."""
    return Fraction(n << k) if k >= 0 else Fraction(n, 1 << -k)


def _scaled(x: Fraction, k: int) -> tuple[int, int]:
    """x / 2^k as (numerator, denominator), integers (not reduced)."""
    n, d = x.numerator, x.denominator
    return (n, d << k) if k >= 0 else (n << -k, d)


def _exponent(x: Fraction) -> int:
    """floor(log2(x)) for x > 0, exactly (in integers: 2^e > n / d is d 2^e > n)."""
    n, d = x.numerator, x.denominator
    e = n.bit_length() - d.bit_length()
    if (d << e > n) if e >= 0 else (d > n << -e):
        e -= 1
    return e


def _round(fmt, magnitude: Fraction) -> Fraction:
    """``magnitude`` rounded to the format's grid (unbounded above), ties to even."""
    m_bits = fmt.man_bits
    if m_bits == 0:  # E8M0: powers of two; below the smallest, the smallest
        smallest = _pow2(-fmt.bias)
        if magnitude <= smallest:
            return smallest
    e = _exponent(magnitude)
    if m_bits:
        e = max(e, 1 - fmt.bias)  # subnormals share the first binade's quantum
    q = e - m_bits  # the quantum is 2^q: magnitude / 2^q rounded half to even, times 2^q
    n, d = _scaled(magnitude, q)
    k, r = divmod(n, d)
    if 2 * r > d or (2 * r == d and k & 1):
        k += 1
    return _times_pow2(k, q)


def _magnitude_code(fmt, value: Fraction) -> int:
    m_bits = fmt.man_bits
    if m_bits and value < _pow2(1 - fmt.bias):  # subnormal
        n, d = _scaled(value, 1 - fmt.bias - m_bits)
        return n // d
    e = _exponent(value)
    n, d = _scaled(value, e - m_bits)
    man = n // d - (1 << m_bits)
    return ((e + fmt.bias) << m_bits) | man


def _sign(fmt, negative: bool) -> int:
    return (1 << (fmt.bits - 1)) if negative and fmt.signed else 0


def _overflow(fmt, negative: bool) -> int:
    if fmt.specials == "ieee" and fmt.man_bits:
        return _sign(fmt, negative) | (((1 << fmt.exp_bits) - 1) << fmt.man_bits)  # infinity
    if fmt.specials in ("fn", "ieee"):
        return _nan(fmt, negative)
    return _sign(fmt, negative) | _magnitude_code(fmt, fmt.max_value)  # saturate


def _nan(fmt, negative: bool) -> int:
    if fmt.specials == "none":
        raise FormatError(f"{fmt.name}: has no NaN code")
    if fmt.specials == "fn" or fmt.man_bits == 0:
        return _sign(fmt, negative) | ((1 << (fmt.bits - int(fmt.signed))) - 1)  # all ones
    return (((1 << fmt.exp_bits) - 1) << fmt.man_bits) | (1 << (fmt.man_bits - 1))  # quiet NaN
