"""Sweeps: the grid is counted before it is built, rows come one at a time, reasons are bounded."""

import itertools

import pytest

import macgates
from macgates import DatapathError
from macgates.design.names import resolve
from macgates.report.sweeps import MAX_CONFIGS, MAX_REASONS, Skipped, sweep_rows


def test_grid_counted_before_anything_is_built():
    names = ["int8"] * 1001
    with pytest.raises(DatapathError, match="1,002,001 combinations is more than the limit of 1,000,000"):
        sweep_rows(names, names)
    assert MAX_CONFIGS == 1_000_000
    rows = sweep_rows(names, names, max_configs=2_000_000)  # allowed, and lazy: nothing costed yet
    first = list(itertools.islice(rows, 3))
    assert [r["gates"] for r in first] == [macgates.mac("int8", accumulator="fp32").gates] * 3


def test_skipped_reasons_are_bounded_and_counted():
    skipped = Skipped()
    ks = list(range(2049, 2049 + MAX_REASONS + 5))  # every k above the limit
    assert list(sweep_rows(["int8"], k=ks, skipped=skipped)) == []
    assert skipped.count == MAX_REASONS + 5 and len(skipped.reasons) == MAX_REASONS


def test_api_sweep_takes_a_limit():
    with pytest.raises(DatapathError, match="more than the limit of 3"):
        macgates.sweep(["int4", "int8"], accumulators=["fp16", "fp32"], max_configs=3)


def test_sweep_frame_has_names_and_relative_for_the_charts():
    # issue 18: relative_chart(sweep_df) was a KeyError (no name or relative column)
    frame = macgates.sweep(["int8", "fp8_e4m3"], accumulators=["kulisch", "fp32"], k=[1, 4])
    assert list(frame["name"])[:2] == ["int8-kulisch", "int8-kulisch-k4"]  # as `macgates table NAME` spells it
    assert frame.attrs["baseline"] == "int8-kulisch"
    base = frame["gates_per_mac"][0]
    assert list(frame["relative"]) == [g / base for g in frame["gates_per_mac"]]
    assert macgates.relative_chart(frame).axes
    for name, gates in zip(frame["name"], frame["gates"]):  # each name costs what its row says
        design, (cfg,) = resolve(name)
        assert design.build(cfg).gates == gates
    other = macgates.sweep(["int8"], accumulators=["kulisch", "fp32"], baseline="int8-fp32")
    assert list(other["relative"]) == [775 / 2565, 1.0]  # Figure 3's int8 rows
    with pytest.raises(macgates.MacgatesError, match="baseline 'int9-fp32' is not a config"):
        macgates.sweep(["int8"], baseline="int9-fp32")

