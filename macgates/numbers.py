"""Exact gate counts, and how they are shown.

Costs are computed exactly: ``int``, or :class:`Gates` (a :class:`fractions.Fraction`
that prints as a decimal number) when a library has fractional cell costs such as
``ff: "4.5"``. Everything a user reads (text, CSV, JSON, DataFrames, charts) shows
numbers, never ``1319/2``:

* a text or CSV column of numbers has one number of decimals: none when every value
  is whole, else the fewest (at most :data:`MAX_DECIMALS`) that show every value
  exactly, rounded half to even beyond that; figures with no short decimal (fitted
  to synthesis: the calibrated library's) have :data:`FITTED_DECIMALS`; the columns of
  one table that are not whole share one number of decimals (:func:`shared_places`);
* JSON gets numbers (an int when whole, else a float), DataFrames numeric columns.
"""

from __future__ import annotations

from fractions import Fraction

MAX_DECIMALS = 3
FITTED_DECIMALS = 1  # a figure with no short decimal (fitted to measurements) is shown to this
DECIMAL_DIGITS = 12  # decimals a value may need and still be shown exactly (gates / k: k <= 2048)
REPR_DECIMALS = 30  # a repr shows at most this many decimals (else a fraction)


class Gates(Fraction):
    """An exact, non-whole gate count. Arithmetic is Fraction's; ``str`` and format
    specs show it as a decimal number (``str(Gates(1319, 2)) == '659.5'``), including
    on Python 3.11, whose Fraction has no ``__format__``."""

    __slots__ = ()

    def __str__(self) -> str:
        return fixed(self, decimals_for([self]))

    def __format__(self, spec: str) -> str:
        return str(self) if not spec else format(float(self), spec)

    def __repr__(self) -> str:
        """Reads as the number it is: its exact decimal (``121.5``) when it has one,
        else ``numerator/denominator``."""
        places = decimals_for([self], cap=REPR_DECIMALS)
        if (Fraction(self) * 10 ** places).denominator == 1:
            return fixed(self, places)
        return f"{self.numerator}/{self.denominator}"


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
    """Decimals that show ``values``: none when all are whole; :data:`FITTED_DECIMALS`
    when some value has no short decimal (more than :data:`DECIMAL_DIGITS` places: a
    figure fitted to measurements, as the calibrated library's, is good to no more);
    else the fewest (0 to ``cap``) that show every value exactly, ``cap`` if none do."""
    values = [Fraction(v) for v in values]
    if all(v.denominator == 1 for v in values):
        return 0
    if any((v * 10 ** DECIMAL_DIGITS).denominator != 1 for v in values):
        return min(FITTED_DECIMALS, cap)
    for places in range(cap + 1):
        scale = 10 ** places
        if all((v * scale).denominator == 1 for v in values):
            return places
    return cap


def shared_places(columns: dict) -> dict:
    """Decimals per column of one table (column name -> its values): a column of whole
    numbers has none; the other columns share one number of decimals
    (:func:`decimals_for` of all their values), so one row never mixes ``599.50`` and
    ``491.000``."""
    whole = {c for c, values in columns.items() if all(Fraction(v).denominator == 1 for v in values)}
    shared = decimals_for([v for c, values in columns.items() if c not in whole for v in values])
    return {c: 0 if c in whole else shared for c in columns}


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
