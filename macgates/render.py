"""Plain-text renderings of table rows: text, csv, markdown, json (no pandas needed)."""

from __future__ import annotations

import csv
import io
import json
from fractions import Fraction

FORMATS = ("text", "csv", "markdown", "json")
_NUMERIC = ("acc_bits", "gates", "relative", "k", "gates_per_mac")


def _numeric_columns(rows, columns) -> set:
    """Columns to right-align: the known numeric ones, and any whose values are all numbers."""
    out = set(_NUMERIC)
    for c in columns:
        values = [r[c] for r in rows]
        if values and all(isinstance(v, (int, Fraction)) and not isinstance(v, bool) for v in values):
            out.add(c)
    return out


def cell(value, column: str = "") -> str:
    if column == "relative":
        return fixed3(value)
    if isinstance(value, Fraction) and value.denominator != 1:
        return fixed3(round(value, 3))
    return str(value)


def fixed3(value) -> str:
    """A value already rounded to 3 decimals, printed exactly with 3 decimals."""
    thousandths = Fraction(value) * 1000
    if thousandths.denominator != 1:
        thousandths = round(thousandths)
    n = int(thousandths)
    sign = "-" if n < 0 else ""
    n = abs(n)
    return f"{sign}{n // 1000}.{n % 1000:03d}"


def render(rows: list[dict], columns, fmt: str) -> str:
    columns = list(columns)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([cell(row[c], c) for c in columns])
        return out.getvalue()
    if fmt == "json":
        def value(row, c):
            v = row[c]
            if c in ("relative", "gates_per_mac") and isinstance(v, Fraction):
                return float(round(v, 3))
            if isinstance(v, Fraction):
                return str(v)
            return v
        return json.dumps([{c: value(r, c) for c in columns} for r in rows], indent=2) + "\n"
    numeric = _numeric_columns(rows, columns)
    cells = [[cell(r[c], c) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    if fmt == "markdown":
        def line(values):
            return "| " + " | ".join(values) + " |"
        rule = ["-" * (w + 1) + (":" if c in numeric else "-") for w, c in zip(widths, columns)]
        out = [line([c.ljust(w) for c, w in zip(columns, widths)]), "|" + "|".join(rule) + "|"]
        out += [line([v.rjust(w) if c in numeric else v.ljust(w)
                      for v, w, c in zip(row, widths, columns)]) for row in cells]
        return "\n".join(out) + "\n"
    if fmt == "text":
        def line(values):
            return "  ".join(v.rjust(w) if c in numeric else v.ljust(w)
                             for v, w, c in zip(values, widths, columns)).rstrip()
        out = [line(columns), line(["-" * w for w in widths])]
        out += [line(row) for row in cells]
        return "\n".join(out) + "\n"
    raise ValueError(f"unknown output format {fmt!r}")
