"""Exact gate counts, and how they are shown.

Costs are computed exactly: ``int``, or :class:`Gates` (a :class:`fractions.Fraction`
that prints as a decimal number) when a library has fractional cell costs such as
``ff: "4.5"``. Everything a user reads (text, CSV, JSON, DataFrames, charts) shows
numbers, never ``1319/2``:

* a text or CSV column of numbers has one number of decimals: none when every value
  is whole, else the fewest (at most :data:`MAX_DECIMALS`) that show every value
  exactly, rounded half to even beyond that;
* JSON gets numbers (an int when whole, else a float), DataFrames numeric columns.
"""

from __future__ import annotations

from fractions import Fraction

MAX_DECIMALS = 3


class Gates(Fraction):
    """An exact, non-whole gate count. Arithmetic is Fraction's; ``str`` and format
    specs show it as a decimal number (``str(Gates(1319, 2)) == '659.5'``), including
    on Python 3.11, whose Fraction has no ``__format__``."""

    __slots__ = ()

    def __str__(self) -> str:
        return fixed(self, decimals_for([self], cap=6))

    def __format__(self, spec: str) -> str:
        return str(self) if not spec else format(float(self), spec)


def exact(value):
    """Normalise a cost: whole values become ``int``, others :class:`Gates`."""
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return int(value)
        return value if type(value) is Gates else Gates(value)
    return value


def is_number(value) -> bool:
    return isinstance(value, (int, Fraction, float)) and not isinstance(value, bool)


def decimals_for(values, cap: int = MAX_DECIMALS) -> int:
    """The fewest decimals (0 to ``cap``) that show every value exactly; ``cap`` if none do."""
    for places in range(cap + 1):
        scale = 10 ** places
        if all((Fraction(v) * scale).denominator == 1 for v in values):
            return places
    return cap


def fixed(value, places: int) -> str:
    """``value`` rounded half to even to ``places`` decimals, printed with exactly that many."""
    scaled = round(Fraction(value) * 10 ** places)
    sign = "-" if scaled < 0 else ""
    whole, frac = divmod(abs(scaled), 10 ** places)
    return f"{sign}{whole}" + (f".{frac:0{places}d}" if places else "")


def as_json(value):
    """A JSON number for an exact value: an int when whole, else a float."""
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else float(value)
    return value


def numeric(values) -> list:
    """Values for a numeric DataFrame column: ints when all are whole, else floats."""
    values = list(values)
    if all(Fraction(v).denominator == 1 for v in values):
        return [int(v) for v in values]
    return [float(v) for v in values]
