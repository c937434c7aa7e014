"""Bit helpers (macgates/support/bits.py), against their definitions."""

import pytest

from macgates.support.bits import mask, range_bits, signed_bits, trailing_zeros


def test_mask():
    assert [mask(w) for w in range(4)] == [0, 1, 3, 7]


@pytest.mark.parametrize("lo", range(-40, 41, 3))
def test_signed_bits_is_the_smallest_twos_complement_word(lo):
    for hi in range(lo, 70):
        fits = [w for w in range(1, 12) if -(1 << (w - 1)) <= lo and hi <= (1 << (w - 1)) - 1]
        assert signed_bits(lo, hi) == fits[0], (lo, hi)
        unsigned = [w for w in range(1, 12) if 0 <= lo and hi < (1 << w)]
        assert range_bits(lo, hi) == (unsigned[0] if lo >= 0 else fits[0]), (lo, hi)


def test_trailing_zeros():
    assert [trailing_zeros(v) for v in (0, 1, 2, 12, 96)] == [0, 0, 1, 2, 5]
    assert trailing_zeros(0, 5) == 5 and trailing_zeros(32, 5) == 5  # 32 is 0 as a 5-bit word
    assert trailing_zeros(-4, 8) == 2  # 0b11111100
