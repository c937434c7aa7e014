"""Number formats: one parametrized record, never a class per format.

``format("fp8_e4m3")`` returns a :class:`Format`; its ``repr`` rebuilds it::

    >>> format("e4m3")
    Format(name='fp8_e4m3', kind='float', bits=8, exp_bits=4, man_bits=3, bias=8, specials='none')

Integers are two's complement with the symmetric range [-(2^(n-1) - 1), 2^(n-1) - 1]
(the quantization convention that leaves -2^(n-1) unused), so an int8 x int8 product
needs 15 bits, the width the whitepaper gives. ``symmetric=False`` uses the full range.

Floating-point formats have subnormals. ``specials`` says which codes are not numbers:

* ``'none'``: the whitepaper's FP8 (App. A): no infinity, every exponent code holds
  numbers; the one NaN code 0b1000_0000 (negative zero) is not a number but costs no
  datapath logic in this model (it decodes as zero).
* ``'ieee'``: IEEE 754 binary formats: the all-ones exponent is infinity / NaN.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from .errors import FormatError, did_you_mean

SPECIALS = ("none", "ieee")
INT_BITS = range(2, 33)


@dataclass(frozen=True)
class Format:
    """A number format: ``kind`` is ``'int'`` or ``'float'``."""

    name: str
    kind: str
    bits: int
    exp_bits: int = 0
    man_bits: int = 0
    bias: int = 0
    specials: str = "none"
    symmetric: bool = True

    def __post_init__(self):
        if self.kind not in ("int", "float"):
            raise FormatError(f"format {self.name}: kind must be 'int' or 'float', got {self.kind!r}")
        if self.specials not in SPECIALS:
            raise FormatError(f"format {self.name}: specials must be one of {', '.join(SPECIALS)}")
        if self.kind == "float":
            if self.exp_bits < 1 or self.man_bits < 0 or self.bits != 1 + self.exp_bits + self.man_bits:
                raise FormatError(f"format {self.name}: bits must be 1 + exp_bits + man_bits "
                                  f"with exp_bits >= 1")
        elif self.bits < 2 or self.exp_bits or self.man_bits:
            raise FormatError(f"format {self.name}: an integer format has bits >= 2 and no exponent")

    def __repr__(self) -> str:
        if self.kind == "int":
            tail = "" if self.symmetric else ", symmetric=False"
            return f"Format(name={self.name!r}, kind='int', bits={self.bits}{tail})"
        return (f"Format(name={self.name!r}, kind='float', bits={self.bits}, exp_bits={self.exp_bits}, "
                f"man_bits={self.man_bits}, bias={self.bias}, specials={self.specials!r})")

    # -- the quantities datapath widths follow from ------------------------------------
    @property
    def is_float(self) -> bool:
        return self.kind == "float"

    @property
    def sig_bits(self) -> int:
        """Significand bits a multiplier sees: M + 1 (hidden bit) for floats; for integers
        the whole two's-complement word."""
        return self.man_bits + 1 if self.is_float else self.bits

    @property
    def max_exp_field(self) -> int:
        """Largest exponent field that encodes finite numbers."""
        top = (1 << self.exp_bits) - 1
        return top - 1 if self.specials == "ieee" else top

    @property
    def exp_span(self) -> int:
        """How many binades the significand can move across: effective exponents run from
        1 (subnormals share the first binade) to max_exp_field."""
        return self.max_exp_field - 1 if self.is_float else 0

    @property
    def ulp_exp_range(self) -> tuple[int, int]:
        """Exponent of the weight of the significand's LSB, smallest and largest."""
        if not self.is_float:
            return (0, 0)
        return (1 - self.bias - self.man_bits, self.max_exp_field - self.bias - self.man_bits)

    @property
    def normal_exp_range(self) -> tuple[int, int]:
        """Unbiased exponent of the leading bit of normal numbers."""
        return (1 - self.bias, self.max_exp_field - self.bias)

    @property
    def max_value(self) -> Fraction:
        if not self.is_float:
            return Fraction((1 << (self.bits - 1)) - 1)
        return Fraction(2) ** (self.max_exp_field - self.bias) * (2 - Fraction(1, 1 << self.man_bits))

    @property
    def min_positive(self) -> Fraction:
        if not self.is_float:
            return Fraction(1)
        return Fraction(2) ** self.ulp_exp_range[0]

    @property
    def min_value(self) -> Fraction:
        if not self.is_float and not self.symmetric:
            return -Fraction(1 << (self.bits - 1))
        return -self.max_value


def _paper_fp8(exp_bits: int) -> Format:
    man_bits = 7 - exp_bits
    # App. A: bias 2^(e-1), subnormals, no infinity.
    return Format(f"fp8_e{exp_bits}m{man_bits}", "float", 8, exp_bits, man_bits,
                  bias=1 << (exp_bits - 1), specials="none")


_NAMED: dict[str, Format] = {f.name: f for f in (
    *(_paper_fp8(e) for e in (2, 3, 4, 5)),
    Format("fp16", "float", 16, 5, 10, bias=15, specials="ieee"),
    Format("bf16", "float", 16, 8, 7, bias=127, specials="ieee"),
    Format("fp32", "float", 32, 8, 23, bias=127, specials="ieee"),
)}
SOURCES = {
    **{f"fp8_e{e}m{7 - e}": "whitepaper App. A (van Baalen et al. 2023)" for e in (2, 3, 4, 5)},
    "fp16": "IEEE 754 binary16",
    "bf16": "bfloat16 (Google Brain; IEEE-style specials)",
    "fp32": "IEEE 754 binary32",
}
INT_SOURCE = "two's complement, symmetric range (quantization convention)"
ALIASES = {f"e{e}m{7 - e}": f"fp8_e{e}m{7 - e}" for e in (2, 3, 4, 5)}
_INT = re.compile(r"^int(\d+)$")


def format(name) -> Format:  # noqa: A001 - the API name the issue asks for
    """Look a format up by name (``int8``, ``fp8_e4m3``, ``e4m3``, ``fp16``, ...)."""
    if isinstance(name, Format):
        return name
    if not isinstance(name, str):
        raise FormatError(f"format name must be a string, got {type(name).__name__}")
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key in _NAMED:
        return _NAMED[key]
    match = _INT.match(key)
    if match and int(match.group(1)) in INT_BITS:
        return Format(key, "int", int(match.group(1)))
    raise FormatError(f"unknown format '{name}' ({did_you_mean(known_names())})")


def all_formats() -> list[Format]:
    """One of each kind of format, for listings: int2..int32 in steps, then the named ones."""
    return [format(f"int{b}") for b in (2, 4, 8, 16, 32)] + list(_NAMED.values())


def source_of(fmt: Format) -> str:
    return INT_SOURCE if not fmt.is_float else SOURCES.get(fmt.name, "user-defined")


def known_names() -> list[str]:
    """Every accepted name, integers as the range int2..int32."""
    return [f"int{INT_BITS.start}..int{INT_BITS.stop - 1}", *_NAMED, *ALIASES]
