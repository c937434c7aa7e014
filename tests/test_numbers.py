"""Exact gate counts shown as numbers (macgates/numbers.py and its use in render.py)."""

import json
from fractions import Fraction

import pytest

import macgates
from appendix_b import FF
from by_hand import INT8_KULISCH
from macgates.numbers import Gates, as_json, decimals_for, exact, fixed, numeric
from macgates.render import render

HALF_FF = {"ff": "4.5"}  # a flip-flop 1.5 gates cheaper than App. B's 2 MUX2 = 6


@pytest.mark.parametrize("value,text", [
    (Fraction(1319, 2), "659.5"), (Fraction(3109, 4), "777.25"), (Fraction(1, 3), "0.333333"),
    (Fraction(-5, 2), "-2.5"),
], ids=["half", "quarter", "third", "negative"])
def test_gates_print_as_decimals(value, text):
    assert str(exact(value)) == text
    assert exact(value) == value  # still exact


def test_whole_values_become_ints():
    assert exact(Fraction(6, 2)) == 3 and type(exact(Fraction(6, 2))) is int


def test_format_specs_work_on_311():
    assert f"{Gates(1319, 2):.1f}" == "659.5"
    assert f"{Gates(1, 3):.3f}" == "0.333"


def test_fixed_rounds_half_to_even():
    assert fixed(Fraction(1, 8), 2) == "0.12"  # 0.125 -> 0.12
    assert fixed(Fraction(3, 8), 2) == "0.38"
    assert fixed(7, 3) == "7.000"
    assert fixed(Fraction(-1, 2000), 3) == "0.000"  # -0.0005 rounds to 0, shown without a sign


@pytest.mark.parametrize("values,places", [
    ([1, 2], 0), ([1, Fraction(1, 2)], 1), ([Fraction(1, 4), 3], 2), ([Fraction(1, 3)], 3),
    ([Fraction(1, 16)], 3),
], ids=["ints", "half", "quarter", "third", "sixteenth"])
def test_decimals_per_column(values, places):
    assert decimals_for(values) == places


def test_render_one_number_of_decimals_per_column():
    rows = [{"name": "a", "gates": 775}, {"name": "b", "gates": Fraction(1319, 2)},
            {"name": "c", "gates": Fraction(3109, 4)}]
    csv = render(rows, ["name", "gates"], "csv")
    assert csv.splitlines()[1:] == ["a,775.00", "b,659.50", "c,777.25"]
    text = render(rows, ["name", "gates"], "text").splitlines()
    assert [line.split()[1] for line in text[2:]] == ["775.00", "659.50", "777.25"]
    assert text[2].endswith("775.00") and text[3].endswith("659.50")  # right-aligned
    ints = render(rows[:1], ["name", "gates"], "csv")
    assert ints.splitlines()[1] == "a,775"  # integers as integers when the whole column is
    data = json.loads(render(rows, ["name", "gates"], "json"))
    assert [d["gates"] for d in data] == [775, 659.5, 777.25]


def test_json_numbers_and_numeric_columns():
    assert as_json(Fraction(3, 2)) == 1.5 and as_json(Fraction(4, 2)) == 2
    assert numeric([1, 2]) == [1, 2] and numeric([1, Fraction(1, 2)]) == [1.0, 0.5]


def test_table_frame_is_numeric_with_fractional_costs():
    lib = macgates.load_library().with_overrides(HALF_FF)
    frame = macgates.table(library=lib)
    assert frame["gates"].dtype.kind == "f"
    assert frame["gates"][0] == INT8_KULISCH - 27 * (FF - Fraction(9, 2))  # 27 flip-flops
    frame.plot.bar(y="gates")  # "no numeric data to plot" before
    assert macgates.table()["gates"].dtype.kind == "i"


def test_unit_gates_per_mac_prints_a_number():
    unit = macgates.dot("int8", k=32, accumulator="fp32")
    assert unit.gates_per_mac == Fraction(unit.gates, 32)
    assert str(unit.gates_per_mac) == str(unit.gates / 32)  # 611.9375, not 19582/32's 9791/16
    assert "/" not in repr(unit)
