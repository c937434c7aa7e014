"""The whitepaper's Figure 3 findings, from the bundled design."""

import pandas as pd
import pytest

import macgates

FIG3 = macgates.table()
GATES = dict(zip(FIG3["name"], FIG3["gates"]))
REL = dict(zip(FIG3["name"], FIG3["relative"]))


def test_fifteen_configs_in_paper_order():
    expected = [f"{f}-{acc}" for f in ("int8", "fp8_e2m5", "fp8_e3m4", "fp8_e4m3", "fp8_e5m2")
                for acc in ("kulisch", "fp16", "fp32")]
    assert list(FIG3["name"]) == expected
    assert list(FIG3.columns) == ["name", "weights", "activations", "accumulator", "acc_bits",
                                  "gates", "relative", "delay", "loop_delay", "area_delay"]  # timing after


def test_kulisch_widths_are_product_plus_12():
    kulisch = FIG3[FIG3["accumulator"] == "kulisch"]
    # int8: 15-bit product; fp8 E<e>M<m>: 2(2^e + m) - 1 bits; + 12 each
    assert list(kulisch["acc_bits"]) == [15 + 12, 17 + 12, 23 + 12, 37 + 12, 67 + 12]


def test_float_accumulator_widths():
    assert set(FIG3[FIG3["accumulator"] == "fp16"]["acc_bits"]) == {16}
    assert set(FIG3[FIG3["accumulator"] == "fp32"]["acc_bits"]) == {32}


def test_e4_fp16_ratio_in_band():
    # whitepaper: +53%
    assert 1.45 <= REL["fp8_e4m3-fp16"] <= 1.61


@pytest.mark.xfail(strict=True, reason=(
    "known deviation: the reviewed, correctly-rounding FP32 datapath gives 2.662 "
    "(whitepaper 2.83); docs/datapaths.md explains it. Strict: fails once it passes."))
def test_e4_fp32_ratio_in_band():
    # whitepaper: +183%
    assert 2.69 <= REL["fp8_e4m3-fp32"] <= 2.97


def test_fp32_costs_more_than_fp16_for_every_input():
    for fmt in ("int8", "fp8_e2m5", "fp8_e3m4", "fp8_e4m3", "fp8_e5m2"):
        assert GATES[f"{fmt}-fp32"] > GATES[f"{fmt}-fp16"]


@pytest.mark.parametrize("fmt", ["int8", "fp8_e2m5", "fp8_e3m4"])
def test_kulisch_cheapest_up_to_e3(fmt):
    assert GATES[f"{fmt}-kulisch"] < min(GATES[f"{fmt}-fp16"], GATES[f"{fmt}-fp32"])


def test_e4_break_even():
    k, f = GATES["fp8_e4m3-kulisch"], GATES["fp8_e4m3-fp16"]
    assert abs(k - f) <= 0.10 * min(k, f)


def test_e5_kulisch_costs_more_than_fp16():
    assert GATES["fp8_e5m2-kulisch"] > GATES["fp8_e5m2-fp16"]


def test_baseline_is_one():
    assert REL["int8-kulisch"] == 1.0


def test_table_from_config_list_matches_design():
    configs = [{"name": "int8-kulisch", "weights": "int8", "accumulator": "kulisch"},
               {"name": "fp8_e4m3-fp16", "weights": "fp8_e4m3", "accumulator": "fp16"}]
    small = macgates.table(configs)
    pd.testing.assert_frame_equal(
        small.reset_index(drop=True),
        FIG3[FIG3["name"].isin(["int8-kulisch", "fp8_e4m3-fp16"])].reset_index(drop=True))


def test_other_baseline():
    t = macgates.table(baseline="fp8_e4m3-fp16")
    rel = dict(zip(t["name"], t["relative"]))
    assert rel["fp8_e4m3-fp16"] == 1.0
    assert rel["int8-kulisch"] == GATES["int8-kulisch"] / GATES["fp8_e4m3-fp16"]  # exact, not rounded
