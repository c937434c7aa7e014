"""Plain-text renderings of table rows: text, csv, markdown, LaTeX (booktabs), json (no
pandas needed).

Numbers are shown as :mod:`macgates.support.counts` says: a column of numbers has one number of
decimals, shared by a table's columns of gate counts that are not whole (ratios such as
``relative`` always 3), JSON gets numbers. Long text cells are shortened in
the text format only (``max_text``); csv, markdown and json keep the full text.
"""

from __future__ import annotations

import csv
import io
import json
from fractions import Fraction

from ..datapath.timing import UNKNOWN
from ..support.counts import as_json, decimals_for, fixed, is_number, shared_places

FORMATS = ("text", "csv", "markdown", "latex", "json")
FIXED_DECIMALS = {"relative": 3, "ratio": 3, "model_relative": 3, "synth_relative": 3, "calibrated_relative": 3,
                  # static timing of a synthesized netlist (ns, MHz: the engine agrees with OpenSTA to
                  # under 1%) and its area x period relative
                  "area_delay_relative": 3, "critical_ns": 3, "loop_ns": 3, "fmax_mhz": 1,
                  "clock_ns": 3}  # fixed decimals
_NUMERIC = ("acc_bits", "gates", "relative", "k", "gates_per_mac", "delay", "loop_delay", "area_delay")
MAX_TEXT = 60  # widest text cell in the text format


def fixed3(value) -> str:
    """A value printed with exactly 3 decimals (rounded half to even)."""
    return fixed(value, 3)


def _places(rows, columns, precision: int | None = None) -> dict:
    """Decimals per column, for the columns whose values are all numbers (or None: no
    value, an empty cell)."""
    numbers = {}
    for c in columns:
        values = [r[c] for r in rows if r[c] is not None and not _unknown(r[c])]
        if values and all(is_number(v) for v in values):
            numbers[c] = values
    out = shared_places({c: v for c, v in numbers.items() if is_gates(c)}, precision)
    out.update({c: FIXED_DECIMALS.get(c, decimals_for(v)) for c, v in numbers.items() if not is_gates(c)})
    return out


def _unknown(value) -> bool:
    """A value the model cannot give (a delay without delay formulas): shown as it is."""
    return isinstance(value, str) and value == UNKNOWN


def is_gates(column: str) -> bool:
    """Does the column hold gate counts (``gates``, ``synth_gates_per_mac``, a category of
    a breakdown, its ``total``)? Those of one table share their decimals."""
    from ..datapath.graph import CATEGORIES

    return "gates" in column or column in CATEGORIES or column == "total"


def _cell(value, places) -> str:
    if value is None:
        return ""
    if places is None or not is_number(value):
        return str(value)
    return fixed(Fraction(value), places)


_LATEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
          "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def latex_text(text: str) -> str:
    """``text`` with LaTeX's special characters escaped (a table cell, a caption)."""
    return "".join(_LATEX.get(ch, ch) for ch in str(text))


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def render(rows: list[dict], columns, fmt: str, max_text: int = MAX_TEXT, precision: int | None = None) -> str:
    """``rows`` as ``fmt``; ``precision``: the library's stated precision (its gate counts
    are shown to at most that many decimals)."""
    columns = list(columns)
    if fmt == "json":
        def value(row, c):
            v = row[c]
            return float(v) if c in FIXED_DECIMALS and is_number(v) else as_json(v)
        return json.dumps([{c: value(r, c) for c in columns} for r in rows], indent=2) + "\n"
    places = _places(rows, columns, precision)
    cells = [[_cell(r[c], places.get(c)) for c in columns] for r in rows]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(cells)
        return out.getvalue()
    # right-aligned and never shortened: the columns of numbers, and the named numeric ones
    # whose cells are numbers or "unknown" (a column named delay holding formulas is text)
    numeric = set(places) | {c for c in _NUMERIC if c in columns and all(
        r[c] is None or is_number(r[c]) or _unknown(r[c]) for r in rows)}
    if fmt == "text":
        cells = [[v if c in numeric else _shorten(v, max_text) for v, c in zip(row, columns)]
                 for row in cells]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    if fmt == "latex":
        spec = "".join("r" if c in numeric else "l" for c in columns)
        out = [f"\\begin{{tabular}}{{{spec}}}", "\\toprule",
               " & ".join(latex_text(c) for c in columns) + " \\\\", "\\midrule"]
        out += [" & ".join(latex_text(v) for v in row) + " \\\\" for row in cells]
        out += ["\\bottomrule", "\\end{tabular}"]
        return "\n".join(out) + "\n"
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
