"""Bit helpers every layer uses: masks, the widths of integer ranges, trailing zeros."""

from __future__ import annotations


def mask(width: int) -> int:
    """``width`` one bits: ``mask(3) == 0b111``."""
    return (1 << width) - 1


def signed_bits(lo: int, hi: int) -> int:
    """Bits of the smallest two's-complement word holding every integer in [lo, hi]."""
    return max(1, hi.bit_length() + 1 if hi >= 0 else 1, (-lo - 1).bit_length() + 1 if lo < 0 else 1)


def range_bits(lo: int, hi: int) -> int:
    """Bits of a signal whose values span [lo, hi]: unsigned when no value is negative,
    else two's complement (:func:`signed_bits`)."""
    return max(hi.bit_length(), 1) if lo >= 0 else signed_bits(lo, hi)


def trailing_zeros(value: int, width: int | None = None) -> int:
    """Trailing zero bits of ``value``; with ``width``, of ``value`` as a ``width``-bit word
    (all ``width`` of them for a zero word); without, 0 for 0 (nothing to skip)."""
    if width is not None:
        value &= mask(width)
        if value == 0:
            return width
    return (value & -value).bit_length() - 1 if value else 0
