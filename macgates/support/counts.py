"""Exact gate counts, and how they are shown.

Costs are computed exactly: ``int``, or :class:`Gates` (a :class:`fractions.Fraction`
that prints as a decimal number) when a library has fractional cell costs such as
``ff: "4.5"``. Everything a user reads (text, CSV, JSON, DataFrames, charts) shows
numbers, never ``1319/2``:

* a text or CSV column of numbers has one number of decimals: none when every value
  is whole, else the fewest (at most :data:`MAX_DECIMALS`) that show every value
  exactly, rounded half to even beyond that; the gate columns of one table that are
  not whole share one number of decimals (:func:`shared_places`); a library that
  states a ``precision`` (the calibrated one: figures fitted to synthesis, good to 1
  decimal) caps them at that;
* JSON gets numbers (an int when whole, else a float), DataFrames numeric columns.
"""

from __future__ import annotations

from fractions import Fraction

MAX_DECIMALS = 3
STR_DECIMALS = 6  # str() of a single exact value shows at most this many
REPR_DECIMALS = 30  # a repr shows at most this many decimals (else a fraction)


class Gates(Fraction):
    """An exact, non-whole gate count. Arithmetic is Fraction's; ``str`` and format
    specs show it as a decimal number (``str(Gates(1319, 2)) == '659.5'``), including
    on Python 3.11, whose Fraction has no ``__format__``."""

    __slots__ = ()

    def __str__(self) -> str:
        return fixed(self, decimals_for([self], cap=STR_DECIMALS))

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


def decimals_for(values, cap: int = MAX_DECIMALS, precision: int | None = None) -> int:
    """Decimals that show ``values``: none when all are whole, else the fewest (0 to
    ``cap``) that show every value exactly, ``cap`` if none do; at most ``precision``
    when given (a library's stated precision: what its figures are good to)."""
    values = [Fraction(v) for v in values]
    places = cap
    for n in range(cap + 1):
        scale = 10 ** n
        if all((v * scale).denominator == 1 for v in values):
            places = n
            break
    return places if precision is None else min(places, precision)


def shared_places(columns: dict, precision: int | None = None) -> dict:
    """Decimals per column of one table (column name -> its values): a column of whole
    numbers has none; the other columns share one number of decimals
    (:func:`decimals_for` of all their values, at most ``precision``), so one row never
    mixes ``599.50`` and ``491.000``."""
    whole = {c for c, values in columns.items() if all(Fraction(v).denominator == 1 for v in values)}
    shared = decimals_for([v for c, values in columns.items() if c not in whole for v in values],
                          precision=precision)
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


def plural(n: int, word: str) -> str:
    """``1 row``, ``2 rows``, ``1,234 configurations``."""
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def ratio(gates, base) -> Fraction:
    """gates / base, exact (rounded only where it is printed)."""
    return Fraction(gates) / Fraction(base)
