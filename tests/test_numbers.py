"""Exact gate counts shown as numbers (macgates/support/counts.py and its use in render.py)."""

import json
from fractions import Fraction

import pytest

import macgates
from appendix_b import FF
from by_hand import E4M3_FP16, INT8_KULISCH
from macgates.support.counts import Gates, as_json, decimals_for, exact, fixed, numeric
from macgates.report.render import render

HALF_FF = {"ff": "4.5"}  # a flip-flop 1.5 gates cheaper than App. B's 2 MUX2 = 6


@pytest.mark.parametrize("value,text", [
    (Fraction(1319, 2), "659.5"), (Fraction(3109, 4), "777.25"), (Fraction(-5, 2), "-2.5"),
    (Fraction(1, 3), "0.333333"), (Fraction(24673, 32), "771.03125"),  # float8_e4m3fn k=32 per MAC
], ids=["half", "quarter", "negative", "third", "thirty-second"])
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
    ([Fraction(1, 16)], 3), ([Fraction(1, 16), Fraction(1, 3)], 3),
], ids=["ints", "half", "quarter", "third", "sixteenth", "sixteenth-and-third"])
def test_decimals_per_column(values, places):
    assert decimals_for(values) == places


def test_a_stated_precision_caps_the_decimals():
    assert decimals_for([Fraction(1, 3)], precision=1) == 1
    assert decimals_for([Fraction(1, 2)], precision=1) == 1
    assert decimals_for([Fraction(1, 4)], precision=1) == 1  # 0.25 shown as 0.2 (half to even)
    assert decimals_for([5, 7], precision=1) == 0  # whole numbers stay whole
    assert decimals_for([Fraction(1, 4)], precision=None) == 2


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
    assert str(unit.gates_per_mac) == str(unit.gates / 32)  # 611.375, not 19564/32's 4891/8
    assert "/" not in repr(unit)


# -- a user's second hour (issue 18) ---------------------------------------------------------
def test_gates_repr_reads_as_a_number():
    assert repr(Gates(243, 2)) == "121.5"  # was Gates(243, 2)
    assert repr(Gates(1, 3)) == "1/3"  # no decimal: the exact fraction
    lib = macgates.load_library().with_overrides(HALF_FF)
    dp = macgates.mac("int8", accumulator="kulisch", library=lib)
    # 27 flip-flops x 4.5
    assert repr(dp.by_category()["register"]) == "121.5"
    assert "Gates(" not in repr(dp.by_category())


def test_breakdown_frame_is_numeric_with_fractional_costs():
    lib = macgates.load_library().with_overrides(HALF_FF)
    dp = macgates.mac("int8", accumulator="kulisch", library=lib)
    frame = dp.breakdown()
    assert frame["gates"].dtype.kind == "f"
    assert frame["gates"].sum() == INT8_KULISCH - 27 * (FF - Fraction(9, 2))
    assert frame.set_index("component")["gates"]["acc_reg"] == 27 * 4.5
    frame.plot.bar(x="component", y="gates")  # "no numeric data to plot" before
    assert macgates.mac("int8", accumulator="kulisch").breakdown()["gates"].dtype.kind == "i"


def test_breakdown_params_are_a_mapping():
    frame = macgates.mac("int8", accumulator="kulisch").breakdown().set_index("component")
    assert frame["params"]["pp_bits"] == {"n": 8, "m": 8}  # was the string "n=8, m=8"
    assert frame["params"]["acc_reg"] == {"n": 27}  # FX+12 = 2*8 - 1 + 12


def test_relative_is_the_exact_ratio():
    rows = macgates.table_records()
    base = rows[0]["gates"]
    for row in rows:
        assert row["relative"] == Fraction(row["gates"], base)  # not rounded to 3 decimals
    frame = macgates.table()
    assert frame["relative"][1] == rows[1]["gates"] / base  # int8-fp16: 1682/775 = 2.17032...
    assert frame["relative"][1] != round(frame["relative"][1], 3)


def test_columns_of_one_table_share_decimals():
    # gates 599.5 and gates per MAC 491 in one row: "599.50,491.000" before
    rows = [{"name": "a", "gates": Fraction(1199, 2), "gates_per_mac": Fraction(1964, 4), "k": 4},
            {"name": "b", "gates": 1001, "gates_per_mac": Fraction(1001, 8), "k": 8}]
    cells = render(rows, ["name", "gates", "gates_per_mac", "k"], "csv").splitlines()[1:]
    assert cells == ["a,599.500,491.000,4", "b,1001.000,125.125,8"]  # 1001/8 needs 3; k stays whole
    third = [{"name": "a", "gates": Fraction(1, 3), "relative": Fraction(1, 3)}]
    assert render(third, ["name", "gates", "relative"], "csv").splitlines()[1] == "a,0.333,0.333"
    assert render(third, ["name", "gates", "relative"], "csv", precision=1).splitlines()[1] == "a,0.3,0.333"


def test_the_calibrated_library_states_its_precision():
    cal = macgates.load_library("calibrated")
    assert cal.precision == 1 and macgates.load_library().precision is None
    assert cal.with_overrides({"ff": "4.5"}).precision == 1  # overrides keep it
    dp = macgates.mac("int8", accumulator="kulisch", library=cal)
    assert (Fraction(dp.gates) * 10).denominator != 1  # a fitted figure with more than 1 decimal
    from macgates.cli import main
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["show", "int8-kulisch", "--library", "calibrated"]) == 0
    assert out.getvalue().splitlines()[0].endswith(f": {fixed(dp.gates, 1)} gates")  # was 983.696897
    with contextlib.redirect_stdout(out := io.StringIO()):
        assert main(["table", "--library", "calibrated", "--format", "csv"]) == 0
    gates = [line.split(",")[5] for line in out.getvalue().splitlines()[1:]]
    assert all(len(g.partition(".")[2]) == 1 for g in gates)  # one decimal, every row
    # exact fractional costs keep their decimals: 27 flip-flops of 4.5 (a k = 3 unit's
    # per-MAC figures have no short decimal; the others keep theirs)
    with contextlib.redirect_stdout(out := io.StringIO()):
        assert main(["sweep", "--weights", "int8", "--k", "1,3,16", "--cost", "ff=4.5", "--out", "-"]) == 0
    rows = out.getvalue().splitlines()[1:]
    k16 = next(r for r in rows if r.split(",")[3] == "16").split(",")
    unit = macgates.dot("int8", k=16, accumulator="fp32", library=macgates.load_library().with_overrides({"ff": "4.5"}))
    assert k16[6] == fixed(unit.gates_per_mac, 3)  # 3 decimals, not cut to 1 by the k = 3 row


def test_json_relative_is_not_rounded():
    from macgates.cli import main
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["table", "--format", "json"]) == 0
    rows = {r["name"]: r for r in json.loads(out.getvalue())}
    assert rows["fp8_e4m3-fp16"]["relative"] == E4M3_FP16 / INT8_KULISCH  # 1152/775 = 1.48645..., was 1.486
