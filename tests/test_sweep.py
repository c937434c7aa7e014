"""Sweeps: the grid is counted before it is built, rows come one at a time, reasons are bounded."""

import itertools

import pytest

import macgates
from macgates import DatapathError
from macgates.sweep import MAX_CONFIGS, MAX_REASONS, Skipped, sweep_rows


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
